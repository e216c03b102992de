"""The API Reference pages: the list, the viewers and the documents, as a browser gets them."""

from __future__ import annotations

import hashlib
from importlib import metadata
from typing import Any

import httpx

from localtitan.app import LocalTitan
from localtitan.portal import viewers
from localtitan.portal.reference import VIEWER_CSP


async def test_apis_lists_every_api_with_counts(client: httpx.AsyncClient, app: LocalTitan) -> None:
    r = await client.get("/apis")
    assert r.status_code == 200
    manifest = app.runtime.manifest
    assert len(manifest.modules) == 24
    for key, module in manifest.modules.items():
        assert f'href="/apis/{key}"' in r.text
        assert f"<code>{module.base}</code>" in r.text
    assert "<td>86</td>" in r.text  # CRM's operations
    assert f"{len(manifest.operations)} operations" in r.text


async def test_document_names_the_host_the_browser_used(client: httpx.AsyncClient) -> None:
    r = await client.get("/apis/crm/openapi.json", headers={"Host": "portal.example:9000"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert [s["url"] for s in doc["servers"]] == [
        "http://portal.example:9000/api-integration",
        "http://portal.example:9000/api",
    ]
    token = doc["components"]["securitySchemes"]["oauth2Integration"]["flows"]["clientCredentials"]
    assert token["tokenUrl"] == "http://portal.example:9000/auth-integration/connect/token"
    other = (await client.get("/apis/crm/openapi.json")).json()
    assert other["servers"][0]["url"] == "http://testserver/api-integration"


async def test_unknown_api_is_the_portal_404(client: httpx.AsyncClient) -> None:
    for path in ("/apis/nope", "/apis/nope/swagger", "/apis/nope/openapi.json"):
        r = await client.get(path)
        assert r.status_code == 404 and "no API with this name" in r.text


async def test_viewer_pages_load_only_this_servers_files(client: httpx.AsyncClient) -> None:
    scalar = await client.get("/apis/crm")
    assert scalar.status_code == 200
    assert f'<script src="{viewers.SCALAR_URL}" defer></script>' in scalar.text
    assert '"documentUrl":"/apis/crm/openapi.json"' in scalar.text
    assert '"Customers_GetList":"tag/customers/GET/crm/v2/tenant/{tenant}/customers"' in scalar.text
    swagger = await client.get("/apis/crm/swagger")
    assert f'src="{viewers.SWAGGER_JS_URL}"' in swagger.text
    for page in (scalar, swagger):
        csp = page.headers["content-security-policy"]
        assert csp == VIEWER_CSP
        assert "script-src 'self';" in csp and "connect-src 'self';" in csp
        assert "unsafe-eval" not in csp and "http" not in csp
        assert "<script>" not in page.text  # no inline script, only JSON blocks and files


async def test_viewer_bundles_come_from_their_packages(client: httpx.AsyncClient) -> None:
    r = await client.get(viewers.SCALAR_URL)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    installed = metadata.distribution("star-openapi-scalar").locate_file(
        "star_openapi_scalar/templates/scalar/js/scalar.standalone.js"
    )
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(installed.read_bytes()).digest()
    assert (await client.get(viewers.SWAGGER_JS_URL)).status_code == 200
    assert (await client.get(viewers.SWAGGER_CSS_URL)).status_code == 200
    # Only the files the pages use: not the packages' demo page pointing at the petstore.
    assert (await client.get("/static/viewers/swagger-ui/index.html")).status_code == 404
    assert (
        await client.get("/static/viewers/swagger-ui/swagger-initializer.js")
    ).status_code == 404
    start = await client.get("/static/viewers/scalar-start.js")
    assert "withDefaultFonts: false" in start.text and "telemetry: false" in start.text
    assert "validatorUrl: null" in (await client.get("/static/viewers/swagger-start.js")).text


async def test_token_endpoint_takes_what_the_viewers_send(
    client: httpx.AsyncClient, creds: Any
) -> None:
    """Scalar and Swagger UI send the client as HTTP Basic with only grant_type in the body."""
    doc = (await client.get("/apis/crm/openapi.json")).json()
    flow = doc["components"]["securitySchemes"]["oauth2Integration"]["flows"]["clientCredentials"]
    token_path = httpx.URL(flow["tokenUrl"]).path
    r = await client.post(
        token_path,
        data={"grant_type": "client_credentials"},
        auth=(creds.client_id, creds.client_secret),
    )
    assert r.status_code == 200, r.text
    server = httpx.URL(doc["servers"][0]["url"]).path
    listed = await client.get(
        f"{server}/crm/v2/tenant/{creds.tenant_id}/customers",
        headers={
            "Authorization": f"Bearer {r.json()['access_token']}",
            "ST-App-Key": creds.app_key,
        },
    )
    assert listed.status_code == 200 and "data" in listed.json()
