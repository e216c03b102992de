"""The token endpoint: RFC 6749 client credentials at /auth-integration and /auth."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote_plus

import httpx
import pytest

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.platform.environments import Environment

GRANT = "client_credentials"


def _form(creds: Creds, **extra: str) -> dict[str, str]:
    return {
        "grant_type": GRANT,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        **extra,
    }


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def _assert_oauth_error(r: httpx.Response, status: int, error: str) -> dict[str, str]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert body["error_description"]
    assert r.headers["cache-control"] == "no-store"
    return dict(body)


async def test_form_fields_issue_a_bearer_token(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    r = await client.post(creds.token_url, data=_form(creds))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["expires_in"] == 900
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert set(body["scope"].split(" ")) == set(app.runtime.manifest.scopes)


async def test_http_basic_client_authentication(client: httpx.AsyncClient, creds: Creds) -> None:
    r = await client.post(
        creds.token_url,
        data={"grant_type": GRANT},
        headers={"Authorization": _basic(creds.client_id, creds.client_secret)},
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    r = await client.get(
        creds.api("/crm/v2/tenant/{tenant}/customers"),
        headers={"Authorization": token, "ST-App-Key": creds.app_key},
    )
    assert r.status_code == 200, r.text


async def test_production_endpoint_issues_production_tokens(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    prod = await make_creds(app.runtime, environment=Environment.PRODUCTION)
    assert prod.token_url == "/auth/connect/token"
    r = await client.post(prod.token_url, data=_form(prod))
    assert r.status_code == 200, r.text
    r = await client.get(
        prod.api("/crm/v2/tenant/{tenant}/customers"),
        headers={"Authorization": r.json()["access_token"], "ST-App-Key": prod.app_key},
    )
    assert r.status_code == 200, r.text


async def test_missing_grant_type(client: httpx.AsyncClient, creds: Creds) -> None:
    form = _form(creds)
    del form["grant_type"]
    r = await client.post(creds.token_url, data=form)
    _assert_oauth_error(r, 400, "invalid_request")


async def test_unsupported_grant_type(client: httpx.AsyncClient, creds: Creds) -> None:
    for grant in ("password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"):
        r = await client.post(creds.token_url, data=_form(creds, grant_type=grant))
        _assert_oauth_error(r, 400, "unsupported_grant_type")


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
async def test_missing_client_credentials(
    client: httpx.AsyncClient, creds: Creds, field: str
) -> None:
    form = _form(creds)
    del form[field]
    r = await client.post(creds.token_url, data=form)
    body = _assert_oauth_error(r, 400, "invalid_request")
    assert field in body["error_description"]
    r = await client.post(creds.token_url, data={**_form(creds), field: ""})
    _assert_oauth_error(r, 400, "invalid_request")


async def test_wrong_secret_in_form(client: httpx.AsyncClient, creds: Creds) -> None:
    # The last character changed, to one it is not (a secret may end in "x" already).
    last = "y" if creds.client_secret.endswith("x") else "x"
    r = await client.post(
        creds.token_url, data=_form(creds, client_secret=creds.client_secret[:-1] + last)
    )
    body = _assert_oauth_error(r, 400, "invalid_client")
    assert "www-authenticate" not in r.headers
    assert creds.client_secret not in body["error_description"]


async def test_unknown_client_id(client: httpx.AsyncClient, creds: Creds) -> None:
    r = await client.post(creds.token_url, data=_form(creds, client_id="cid." + "a" * 25))
    _assert_oauth_error(r, 400, "invalid_client")


async def test_wrong_secret_via_basic_is_401_with_challenge(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.post(
        creds.token_url,
        data={"grant_type": GRANT},
        headers={"Authorization": _basic(creds.client_id, "cs1." + "z" * 50)},
    )
    _assert_oauth_error(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].lower().startswith("basic")


async def test_malformed_basic_header_is_401(client: httpx.AsyncClient, creds: Creds) -> None:
    for header in (
        "Basic",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Bearer abc.def.ghi",
    ):
        r = await client.post(
            creds.token_url, data={"grant_type": GRANT}, headers={"Authorization": header}
        )
        _assert_oauth_error(r, 401, "invalid_client")
        assert r.headers["www-authenticate"].lower().startswith("basic"), header


async def test_basic_and_form_secret_together_is_refused(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.post(
        creds.token_url,
        data=_form(creds),
        headers={"Authorization": _basic(creds.client_id, creds.client_secret)},
    )
    _assert_oauth_error(r, 400, "invalid_request")


async def test_scope_not_granted_is_invalid_scope(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    narrow = await make_creds(app.runtime, scopes=frozenset({"tn.crm.customers:r"}))
    r = await client.post(
        narrow.token_url, data=_form(narrow, scope="tn.crm.customers:r tn.jpm.jobs:r")
    )
    body = _assert_oauth_error(r, 400, "invalid_scope")
    assert "tn.jpm.jobs:r" in body["error_description"]
    r = await client.post(narrow.token_url, data=_form(narrow, scope="tn.no.such:r"))
    _assert_oauth_error(r, 400, "invalid_scope")


async def test_subset_scope_request_narrows_the_token(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.post(
        creds.token_url, data=_form(creds, scope="tn.crm.customers:r tn.jpm.jobs:r")
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["scope"].split()) == {"tn.crm.customers:r", "tn.jpm.jobs:r"}
    headers = {"Authorization": r.json()["access_token"], "ST-App-Key": creds.app_key}
    ok = await client.get(creds.api("/crm/v2/tenant/{tenant}/customers"), headers=headers)
    assert ok.status_code == 200, ok.text
    refused = await client.get(creds.api("/crm/v2/tenant/{tenant}/locations"), headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["data"] == {"requiredScope": "tn.crm.locations:r"}


async def test_non_form_content_type_is_refused(client: httpx.AsyncClient, creds: Creds) -> None:
    form = "&".join(f"{k}={quote_plus(v)}" for k, v in _form(creds).items()).encode()
    for content_type, content in (
        ("application/json", json.dumps(_form(creds)).encode()),
        ("text/plain", form),
        ("multipart/form-data; boundary=x", form),
        (None, form),
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        r = await client.post(creds.token_url, content=content, headers=headers)
        _assert_oauth_error(r, 400, "invalid_request")


async def test_form_with_charset_is_accepted(client: httpx.AsyncClient, creds: Creds) -> None:
    body = "&".join(f"{k}={quote_plus(v)}" for k, v in _form(creds).items())
    r = await client.post(
        creds.token_url,
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert r.status_code == 200, r.text


async def test_repeated_parameter_is_refused(client: httpx.AsyncClient, creds: Creds) -> None:
    body = (
        f"grant_type={GRANT}&client_id={creds.client_id}&client_id={creds.client_id}"
        f"&client_secret={creds.client_secret}"
    )
    r = await client.post(
        creds.token_url,
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body_json = _assert_oauth_error(r, 400, "invalid_request")
    assert "client_id" in body_json["error_description"]


async def test_other_methods_are_405(client: httpx.AsyncClient, creds: Creds) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        r = await client.request(method, creds.token_url, params=_form(creds))
        assert r.status_code == 405, r.text
        assert r.headers["allow"] == "POST"
        assert r.json()["error"] == "invalid_request"


async def test_oversized_body_is_refused(client: httpx.AsyncClient, creds: Creds) -> None:
    r = await client.post(creds.token_url, data=_form(creds, padding="x" * 20_000))
    _assert_oauth_error(r, 400, "invalid_request")


async def test_invalid_utf8_form_is_refused(client: httpx.AsyncClient, creds: Creds) -> None:
    r = await client.post(
        creds.token_url,
        content=b"grant_type=client_credentials&client_id=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400, r.text


async def test_odd_client_ids_are_invalid_client_never_500(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    for client_id in ("cid.\x00abc", "x" * 500, "ci\u00e9d.\u2603", "cid.' OR '1'='1"):
        r = await client.post(creds.token_url, data=_form(creds, client_id=client_id))
        _assert_oauth_error(r, 400, "invalid_client")
        r = await client.post(
            creds.token_url,
            data={"grant_type": GRANT},
            headers={"Authorization": _basic(client_id, creds.client_secret)},
        )
        _assert_oauth_error(r, 401, "invalid_client")


async def test_integration_credentials_are_refused_by_production(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    assert creds.environment is Environment.INTEGRATION
    r = await client.post("/auth/connect/token", data=_form(creds))
    _assert_oauth_error(r, 400, "invalid_client")


async def test_production_credentials_are_refused_by_integration(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    prod = await make_creds(app.runtime, environment=Environment.PRODUCTION)
    r = await client.post("/auth-integration/connect/token", data=_form(prod))
    _assert_oauth_error(r, 400, "invalid_client")


async def test_unknown_auth_path_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/auth-integration/connect/authorize")
    assert r.status_code == 404
    assert set(r.json()) == {"type", "title", "status", "traceId", "errors", "data"}


@pytest.mark.parametrize(
    ("headers", "server", "issuer"),
    [
        ([(b"host", b"testserver")], ("127.0.0.1", 80), "http://testserver"),
        ([(b"host", b"example.test:8080"), (b"host", b"x")], None, "http://example.test:8080"),
        ([], ("10.0.0.1", 8443), "http://10.0.0.1:8443"),
        ([], ("::1", 80), "http://[::1]"),
        ([], ["10.0.0.2", 80], "http://10.0.0.2"),
    ],
)
async def test_a_granted_token_is_answered_as_a_starlette_response_would_be(
    app: LocalTitan,
    creds: Creds,
    headers: list[tuple[bytes, bytes]],
    server: tuple[str, int] | list[object] | None,
    issuer: str,
) -> None:
    """The endpoint sends a granted token on the ASGI messages itself: the headers, their
    order and the issuer are what Starlette's Response and Request.url gave."""
    from starlette.responses import Response

    form = f"grant_type={GRANT}&client_id={creds.client_id}&client_secret={creds.client_secret}"
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/auth-integration/connect/token",
        "raw_path": b"/auth-integration/connect/token",
        "query_string": b"",
        "headers": [*headers, (b"content-type", b"application/x-www-form-urlencoded")],
        "scheme": "http",
        "server": server,
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
        "root_path": "",
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": form.encode(), "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, body = sent
    assert start["status"] == 200
    raw = body["body"]
    assert isinstance(raw, bytes)
    expected = Response(
        raw,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
    assert start["headers"] == expected.raw_headers
    token = json.loads(raw)["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == issuer + "/auth-integration"
