"""The ASGI application: prefixes and real host names, the portal, and the lifespan."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import jwt

from conftest import Creds
from localtitan.app import LocalTitan, create_app
from localtitan.settings import Settings

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
ERROR_KEYS = {"type", "title", "status", "traceId", "errors", "data"}


def _form(creds: Creds) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }


async def test_api_host_needs_no_prefix(client: httpx.AsyncClient, creds: Creds) -> None:
    headers = await creds.headers(client)
    path = CUSTOMERS.replace("{tenant}", str(creds.tenant_id))
    for host in ("api-integration.servicetitan.io", "API-Integration.ServiceTitan.io:443"):
        r = await client.get(path, headers={**headers, "Host": host})
        assert r.status_code == 200, (host, r.text)
        assert isinstance(r.json()["data"], list)
    # The production API host is production: the integration token is refused there.
    r = await client.get(path, headers={**headers, "Host": "api.servicetitan.io"})
    assert r.status_code == 401, r.text
    assert set(r.json()) == ERROR_KEYS


async def test_auth_host_issues_tokens_at_connect_token(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.post(
        "/connect/token", data=_form(creds), headers={"Host": "auth-integration.servicetitan.io"}
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "http://auth-integration.servicetitan.io"
    assert claims["environment"] == "integration"
    # That token opens the integration API, prefixed or by host.
    r = await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
    )
    assert r.status_code == 200, r.text

    r = await client.get(
        "/.well-known/openid-configuration", headers={"Host": "auth-integration.servicetitan.io"}
    )
    assert r.status_code == 200
    assert r.json()["token_endpoint"] == "http://auth-integration.servicetitan.io/connect/token"

    # The production auth host refuses integration credentials.
    r = await client.post(
        "/connect/token", data=_form(creds), headers={"Host": "auth.servicetitan.io"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_client"


async def test_portal_pages(client: httpx.AsyncClient, app: LocalTitan) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    total = len(app.runtime.manifest.operations)
    assert f"of {total} operations have behaviour" in r.text
    assert "/auth-integration/connect/token" in r.text
    assert "/api-integration" in r.text

    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}

    # A browser gets the portal's 404 page; a client asking for JSON gets ServiceTitan's shape.
    r = await client.get("/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text
    r = await client.get("/no-such-page", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert set(r.json()) == ERROR_KEYS


async def test_prefixes_match_whole_segments(client: httpx.AsyncClient) -> None:
    # "/apis" is not "/api": it falls through to the portal's 404, not the API's.
    json_only = {"Accept": "application/json"}
    r = await client.get("/apis/crm/v2/tenant/1/customers", headers=json_only)
    assert r.status_code == 404
    assert "portal" in r.json()["title"].lower()
    r = await client.get("/api")
    assert r.status_code == 404
    assert "API operation" in r.json()["title"]
    r = await client.get("/auth-integrationx/connect/token", headers=json_only)
    assert r.status_code == 404
    assert "portal" in r.json()["title"].lower()


async def test_lifespan_starts_and_stops_the_runtime(settings: Settings) -> None:
    application = create_app(settings)
    assert isinstance(application, LocalTitan)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    task = asyncio.create_task(application({"type": "lifespan"}, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    for _ in range(500):
        if sent:
            break
        await asyncio.sleep(0.01)
    assert sent == [{"type": "lifespan.startup.complete"}]

    # Started: it serves requests.
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/auth-integration/.well-known/jwks")
        assert r.status_code == 200 and r.json()["keys"]

    await inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(task, timeout=10)
    assert sent[-1] == {"type": "lifespan.shutdown.complete"}
