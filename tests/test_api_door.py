"""The door: authentication, authorization and validation in front of every API operation."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.platform.credentials import connect_app
from localtitan.platform.environments import Environment, api_prefix
from localtitan.spec import Operation

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
ERROR_KEYS = {"type", "title", "status", "traceId", "errors", "data"}
ADDRESS = {
    "street": "1 Main St",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "country": "USA",
}


def assert_error(r: httpx.Response, status: int) -> dict[str, Any]:
    """ServiceTitan's error shape: exactly these keys, and ``status`` equal to the HTTP status."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["traceId"], str) and body["traceId"]
    assert isinstance(body["errors"], dict)
    assert isinstance(body["data"], dict)
    assert isinstance(body["type"], str)
    return dict(body)


def _customer(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Ada Lovelace",
        "address": ADDRESS,
        "locations": [{"name": "Home", "address": ADDRESS}],
        **extra,
    }


# ---------------------------------------------------------------- authentication (401)


async def test_raw_token_and_bearer_token_both_work(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    token = await creds.token(client)
    for authorization in (token, f"Bearer {token}", f"bearer {token}", f"  Bearer  {token} "):
        r = await client.get(
            creds.api(CUSTOMERS),
            headers={"Authorization": authorization, "ST-App-Key": creds.app_key},
        )
        assert r.status_code == 200, (authorization[:12], r.text)
        body = r.json()
        assert body["page"] == 1 and isinstance(body["data"], list)


async def test_missing_authorization_is_401_with_challenge(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    for headers in ({"ST-App-Key": creds.app_key}, {"Authorization": "", "ST-App-Key": "x"}, {}):
        r = await client.get(creds.api(CUSTOMERS), headers=headers)
        assert_error(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_garbage_tokens_are_401(client: httpx.AsyncClient, creds: Creds) -> None:
    token = await creds.token(client)
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["tenant"] = "1"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    for garbage in (
        "garbage",
        "Bearer",
        "a.b.c",
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        f"{header}.{forged_payload}.{signature}",
        jwt.encode(claims, key="", algorithm="none"),
        jwt.encode(claims, key="x" * 32, algorithm="HS256", headers={"kid": "k"}),
        "Basic " + "dXNlcjpwYXNz",
    ):
        r = await client.get(
            creds.api(CUSTOMERS), headers={"Authorization": garbage, "ST-App-Key": creds.app_key}
        )
        body = assert_error(r, 401)
        assert 'error="invalid_token"' in r.headers["www-authenticate"], garbage
        assert body["title"]


async def _mint(app: LocalTitan, creds: Creds, **overrides: Any) -> str:
    """A token signed by the environment's real key, with chosen claims."""
    key = await app.runtime.keys.signing_key(creds.environment)
    now = int(time.time())
    claims = {
        "iss": "http://testserver/auth-integration",
        "nbf": now,
        "iat": now,
        "exp": now + 900,
        "client_id": creds.client_id,
        "tenant": str(creds.tenant_id),
        "scope": sorted(app.runtime.manifest.scopes),
        "jti": uuid.uuid4().hex,
        "environment": creds.environment.value,
        **overrides,
    }
    return jwt.encode(
        claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
    )


async def test_minted_token_works_so_the_negative_cases_mean_something(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    token = await _mint(app, creds)
    r = await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
    )
    assert r.status_code == 200, r.text


async def test_expired_token_is_401(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    now = int(time.time())
    expired = await _mint(app, creds, nbf=now - 1000, iat=now - 1000, exp=now - 100)
    r = await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": expired, "ST-App-Key": creds.app_key}
    )
    body = assert_error(r, 401)
    assert "expired" in body["title"]
    assert "invalid_token" in r.headers["www-authenticate"]


async def test_not_yet_valid_and_incomplete_tokens_are_401(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    now = int(time.time())
    for token in (
        await _mint(app, creds, nbf=now + 600),
        await _mint(app, creds, scope=5),
        await _mint(app, creds, tenant="not-a-number"),
        await _mint(app, creds, environment="production"),
        await _mint(app, creds, client_id="cid." + "q" * 25),
    ):
        r = await client.get(
            creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
        )
        assert_error(r, 401)


async def test_token_signed_by_a_stranger_with_a_real_kid_is_401(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    real = await app.runtime.keys.signing_key(Environment.INTEGRATION)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    good = jwt.decode(await creds.token(client), options={"verify_signature": False})
    forged = jwt.encode(good, stranger, algorithm="RS256", headers={"kid": real.kid})
    r = await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": forged, "ST-App-Key": creds.app_key}
    )
    assert_error(r, 401)


async def test_token_of_the_other_environment_is_401(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    integration_token = await creds.token(client)
    path = CUSTOMERS.replace("{tenant}", str(creds.tenant_id))
    r = await client.get(
        api_prefix(Environment.PRODUCTION) + path,
        headers={"Authorization": integration_token, "ST-App-Key": creds.app_key},
    )
    assert_error(r, 401)

    prod = await make_creds(app.runtime, environment=Environment.PRODUCTION)
    prod_token = await prod.token(client)
    r = await client.get(
        api_prefix(Environment.INTEGRATION) + CUSTOMERS.replace("{tenant}", str(prod.tenant_id)),
        headers={"Authorization": prod_token, "ST-App-Key": prod.app_key},
    )
    assert_error(r, 401)


# ---------------------------------------------------------------- authorization (403)


async def test_missing_app_key_is_403(client: httpx.AsyncClient, creds: Creds) -> None:
    token = await creds.token(client)
    for headers in ({"Authorization": token}, {"Authorization": token, "ST-App-Key": ""}):
        r = await client.get(creds.api(CUSTOMERS), headers=headers)
        body = assert_error(r, 403)
        assert "ST-App-Key" in body["title"]


async def test_legacy_query_parameter_carries_the_app_key(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    token = await creds.token(client)
    for name in ("servicetitanapplicationkey", "ServiceTitanApplicationKey"):
        r = await client.get(
            creds.api(CUSTOMERS),
            params={name: creds.app_key, "pageSize": "5"},
            headers={"Authorization": token},
        )
        assert r.status_code == 200, r.text
        assert r.json()["pageSize"] == 5
    r = await client.get(
        creds.api(CUSTOMERS),
        params={"servicetitanapplicationkey": "ak1.wrong"},
        headers={"Authorization": token},
    )
    assert_error(r, 403)


async def test_another_apps_key_is_403(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    other = await make_creds(app.runtime)
    token = await creds.token(client)
    r = await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": other.app_key}
    )
    assert_error(r, 403)
    # Its own key with its own token works, so the 403 was about the mismatch.
    r = await client.get(other.api(CUSTOMERS), headers=await other.headers(client))
    assert r.status_code == 200, r.text


async def test_other_tenant_in_path_is_403(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    other = await make_creds(app.runtime)
    headers = await creds.headers(client)
    for tenant in (other.tenant_id, creds.tenant_id + 1, 0):
        r = await client.get(creds.api(CUSTOMERS.replace("{tenant}", str(tenant))), headers=headers)
        assert_error(r, 403)


async def test_token_without_the_operations_scope_is_403(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    narrow = await make_creds(app.runtime, scopes=frozenset({"tn.crm.customers:r"}))
    headers = await narrow.headers(client)
    r = await client.get(narrow.api(CUSTOMERS), headers=headers)
    assert r.status_code == 200, r.text
    r = await client.post(narrow.api(CUSTOMERS), headers=headers, json=_customer())
    body = assert_error(r, 403)
    assert body["data"] == {"requiredScope": "tn.crm.customers:w"}
    r = await client.get(narrow.api("/jpm/v2/tenant/{tenant}/jobs"), headers=headers)
    body = assert_error(r, 403)
    assert body["data"] == {"requiredScope": "tn.jpm.jobs:r"}


async def test_401_comes_before_403(client: httpx.AsyncClient, creds: Creds) -> None:
    r = await client.get(creds.api(CUSTOMERS.replace("{tenant}", "1")))
    assert_error(r, 401)


# ---------------------------------------------------------------- validation (400)


async def test_bad_query_parameter_is_400_keyed_by_name(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.get(
        creds.api(CUSTOMERS), params={"pageSize": "abc"}, headers=await creds.headers(client)
    )
    body = assert_error(r, 400)
    assert list(body["errors"]) == ["pageSize"]
    assert all(isinstance(m, str) for m in body["errors"]["pageSize"])


async def test_malformed_json_body_is_400(client: httpx.AsyncClient, creds: Creds) -> None:
    headers = {**await creds.headers(client), "Content-Type": "application/json"}
    for content in (b"{not json", b'{"name": "x",}', b"\xff\xfe"):
        r = await client.post(creds.api(CUSTOMERS), headers=headers, content=content)
        body = assert_error(r, 400)
        assert body["errors"], body


async def test_missing_required_field_is_400_naming_it(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await creds.headers(client)
    payload = _customer()
    del payload["name"]
    r = await client.post(creds.api(CUSTOMERS), headers=headers, json=payload)
    body = assert_error(r, 400)
    assert any("name" in key.lower() for key in body["errors"]), body
    assert "name" in json.dumps(body["errors"]).lower()

    payload = _customer(address={k: v for k, v in ADDRESS.items() if k != "city"})
    r = await client.post(creds.api(CUSTOMERS), headers=headers, json=payload)
    body = assert_error(r, 400)
    assert "city" in json.dumps(body["errors"]).lower(), body


async def test_bad_enum_value_is_400(client: httpx.AsyncClient, creds: Creds) -> None:
    headers = await creds.headers(client)
    r = await client.post(creds.api(CUSTOMERS), headers=headers, json=_customer(type="Spaceship"))
    body = assert_error(r, 400)
    assert any("type" in key.lower() for key in body["errors"]), body
    # The valid value is accepted, so it was the enum the door refused.
    r = await client.post(creds.api(CUSTOMERS), headers=headers, json=_customer(type="Commercial"))
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "Commercial"


# ---------------------------------------------------------------- routing (404, 405, 501)


async def test_unknown_path_is_404_in_the_error_shape(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await creds.headers(client)
    for path in ("/nope", "/crm/v2/tenant/{tenant}/nothing-here", "/", ""):
        r = await client.get(creds.api(path), headers=headers)
        assert_error(r, 404)
    # No credentials needed to learn that nothing is there.
    assert_error(await client.get("/api/crm/v9/whatever"), 404)


async def test_wrong_method_on_a_known_path_is_405(client: httpx.AsyncClient, creds: Creds) -> None:
    headers = await creds.headers(client)
    for method in ("PUT", "DELETE", "PATCH"):
        r = await client.request(method, creds.api(CUSTOMERS), headers=headers)
        body = assert_error(r, 405)
        assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
        assert method in body["title"]


def _concrete_path(op: Operation) -> str | None:
    """``op.path`` with every path parameter but the tenant filled in, or None."""
    path = op.path
    for p in op.parameters:
        if p.location != "path" or p.name == "tenant":
            continue
        types = p.schema.get("type", [])
        if "integer" in types:
            value = "7"
        elif p.schema.get("format") in ("guid", "uuid"):
            value = str(uuid.uuid4())
        elif types == ["string"] and "format" not in p.schema:
            value = "somevalue"
        else:
            return None
        path = path.replace("{" + p.name + "}", value)
    return path if "{" not in path.replace("{tenant}", "") else None


def _unimplemented_operation(app: LocalTitan) -> tuple[Operation, str] | None:
    """An operation with no required input, and a path that routes to it."""
    router = app.runtime.router
    found: list[tuple[Operation, str]] = []
    for op in app.runtime.manifest.operations:
        if op.request_body and op.request_body.get("required"):
            continue
        if any(p.required and p.location != "path" for p in op.parameters):
            continue
        path = _concrete_path(op)
        if path is None:
            continue
        match = router.match(op.method, path.replace("{tenant}", "1"))
        if match is not None and match.operation.id == op.id:
            found.append((op, path))
    # Prefer an operation that takes no body at all.
    found.sort(key=lambda pair: pair[0].request_body is not None)
    return found[0] if found else None


async def test_operation_without_behaviour_is_501_naming_it(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All 559 operations are served, so one is taken out of this process's table: an
    # operation the table lacks (a manifest newer than the code) must answer 501.
    picked = _unimplemented_operation(app)
    assert picked is not None
    op, path = picked
    monkeypatch.delitem(app.runtime.handlers, op.id)
    headers = await creds.headers(client)
    if op.request_body is not None:
        headers["Content-Type"] = "application/json"
    r = await client.request(op.method, creds.api(path), headers=headers)
    body = assert_error(r, 501)
    assert op.operation_id in body["title"]
    assert body["data"]["operationId"] == op.operation_id


# ---------------------------------------------------------------- environments


async def test_production_credentials_cannot_read_integration_data(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    runtime = app.runtime
    r = await client.post(
        creds.api(CUSTOMERS), headers=await creds.headers(client), json=_customer()
    )
    assert r.status_code == 200, r.text
    customer_id = r.json()["id"]
    r = await client.get(
        creds.api(f"{CUSTOMERS}/{customer_id}"), headers=await creds.headers(client)
    )
    assert r.status_code == 200, r.text

    # The same app, connected to the same tenant in production.
    async with runtime.db.begin() as conn:
        connection, issued = await connect_app(
            conn,
            runtime.server_key,
            app_id=creds.app_id,
            tenant_id=creds.tenant_id,
            environment=Environment.PRODUCTION,
        )
    prod = Creds(
        creds.tenant_id,
        creds.app_id,
        creds.app_key,
        connection.client_id,
        issued.secret,
        Environment.PRODUCTION,
    )
    prod_headers = await prod.headers(client)
    r = await client.get(prod.api(CUSTOMERS), headers=prod_headers)
    assert r.status_code == 200, r.text
    assert all(c["id"] != customer_id for c in r.json()["data"])
    r = await client.get(prod.api(f"{CUSTOMERS}/{customer_id}"), headers=prod_headers)
    assert_error(r, 404)
    # And the production token does not open the integration door.
    r = await client.get(creds.api(f"{CUSTOMERS}/{customer_id}"), headers=prod_headers)
    assert_error(r, 401)


async def test_tenants_do_not_see_each_others_records(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    r = await client.post(
        creds.api(CUSTOMERS), headers=await creds.headers(client), json=_customer()
    )
    assert r.status_code == 200, r.text
    customer_id = r.json()["id"]
    other = await make_creds(app.runtime)
    r = await client.get(
        other.api(f"{CUSTOMERS}/{customer_id}"), headers=await other.headers(client)
    )
    assert_error(r, 404)
