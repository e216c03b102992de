"""The access token as a client sees it: a JWT any library can verify against the JWKS."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.platform.environments import Environment

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


async def _token_response(client: httpx.AsyncClient, creds: Creds) -> dict[str, Any]:
    r = await client.post(
        creds.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _jwks(client: httpx.AsyncClient, prefix: str = "/auth-integration") -> dict[str, Any]:
    r = await client.get(f"{prefix}/.well-known/jwks")
    assert r.status_code == 200, r.text
    return dict(r.json())


def _verify(token: str, jwks: dict[str, Any]) -> jwt.Token:
    """Verify with joserfc, an implementation independent of the server's PyJWT."""
    return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])  # type: ignore[arg-type]


async def test_token_verifies_against_published_jwks(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    before = int(time.time())
    body = await _token_response(client, creds)
    after = int(time.time())
    jwks = await _jwks(client)
    assert jwks["keys"], jwks
    for key in jwks["keys"]:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        assert "d" not in key and "p" not in key, "private key material published"

    token = _verify(body["access_token"], jwks)
    assert token.header["typ"] == "at+jwt"
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] in {k["kid"] for k in jwks["keys"]}

    claims = token.claims
    assert claims["iss"] == "http://testserver/auth-integration"
    assert before <= claims["nbf"] <= after
    assert claims["iat"] == claims["nbf"]
    assert claims["exp"] == claims["nbf"] + 900
    assert claims["client_id"] == creds.client_id
    assert claims["tenant"] == str(creds.tenant_id)
    assert isinstance(claims["scope"], list)
    assert set(claims["scope"]) == set(app.runtime.manifest.scopes)
    assert set(claims["scope"]) == set(body["scope"].split())
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert claims["environment"] == "integration"

    # Standard claim checks pass too.
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "http://testserver/auth-integration"},
        exp={"essential": True},
        nbf={"essential": True},
    )
    registry.validate(claims)


async def test_each_token_has_its_own_jti(client: httpx.AsyncClient, creds: Creds) -> None:
    tokens = [(await _token_response(client, creds))["access_token"] for _ in range(3)]
    jtis = {pyjwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 3


async def test_token_is_the_jws_pyjwt_makes_of_its_claims(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    # The server writes its JWS itself; a client that reads the header or the claims by their
    # bytes sees what a standard library makes: header alg, kid, typ; compact JSON claims.
    token = (await _token_response(client, creds))["access_token"]
    key = await app.runtime.keys.signing_key(Environment.INTEGRATION)
    claims = pyjwt.decode(token, options={"verify_signature": False})
    again = pyjwt.encode(
        claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
    )
    assert token == again
    assert list(pyjwt.get_unverified_header(token)) == ["alg", "kid", "typ"]


async def test_discovery_names_token_endpoint_and_jwks(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    for prefix in ("/auth-integration", "/auth"):
        r = await client.get(f"{prefix}/.well-known/openid-configuration")
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["issuer"] == f"http://testserver{prefix}"
        assert doc["token_endpoint"] == f"http://testserver{prefix}/connect/token"
        assert doc["jwks_uri"] == f"http://testserver{prefix}/.well-known/jwks"
        assert "client_credentials" in doc["grant_types_supported"]
        # The URLs it names work.
        jwks = await client.get(doc["jwks_uri"].removeprefix("http://testserver"))
        assert jwks.status_code == 200 and jwks.json()["keys"]
    token = await creds.token(client)
    r = await client.get("/auth-integration/.well-known/openid-configuration")
    _verify(token, (await client.get(r.json()["jwks_uri"])).json())


async def test_environments_publish_different_keys(client: httpx.AsyncClient, creds: Creds) -> None:
    integration = {k["kid"] for k in (await _jwks(client, "/auth-integration"))["keys"]}
    production = {k["kid"] for k in (await _jwks(client, "/auth"))["keys"]}
    assert integration and production
    assert not integration & production
    token = await creds.token(client)
    assert pyjwt.get_unverified_header(token)["kid"] in integration


async def test_key_rotation(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    old_token = await creds.token(client)
    old_kid = pyjwt.get_unverified_header(old_token)["kid"]

    new_key = await app.runtime.keys.rotate(Environment.INTEGRATION)
    assert new_key.kid != old_kid

    new_token = await creds.token(client)
    assert pyjwt.get_unverified_header(new_token)["kid"] == new_key.kid

    jwks = await _jwks(client)
    kids = [k["kid"] for k in jwks["keys"]]
    assert old_kid in kids and new_key.kid in kids
    _verify(old_token, jwks)
    _verify(new_token, jwks)

    # The token signed by the retired key still opens the door (first use after rotation).
    for token in (old_token, new_token):
        r = await client.get(
            creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
        )
        assert r.status_code == 200, r.text

    # Production keys were not touched.
    production = {k["kid"] for k in (await _jwks(client, "/auth"))["keys"]}
    assert old_kid not in production and new_key.kid not in production


async def test_rotation_seen_by_a_second_worker(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that did not rotate still accepts tokens signed by the new key."""
    from localtitan.auth import keys as keys_module
    from localtitan.runtime import Runtime

    other = LocalTitan(Runtime(app.runtime.settings))
    await other.startup()
    try:
        await other.runtime.keys.rotate(Environment.INTEGRATION)
        # A worker looks again for unknown kids at most once a second: let that second pass.
        clock = SimpleNamespace(monotonic=lambda: time.monotonic() + 2.0, time=time.time)
        monkeypatch.setattr(keys_module, "time", clock)
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c2:
            token = await creds.token(c2)
        r = await client.get(
            creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
        )
        assert r.status_code == 200, r.text
    finally:
        await other.shutdown()


async def _forge(app: LocalTitan, creds: Creds, **times: int) -> str:
    """A token signed with the server's own current key, with the given time claims."""
    key = await app.runtime.keys.signing_key(Environment.INTEGRATION)
    now = int(time.time())
    claims = {
        "iss": "http://testserver/auth-integration",
        "nbf": now,
        "iat": now,
        "exp": now + 900,
        "client_id": creds.client_id,
        "tenant": str(creds.tenant_id),
        "scope": sorted(app.runtime.manifest.scopes),
        "jti": "F" * 32,
        "environment": "integration",
        **times,
    }
    return pyjwt.encode(
        claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
    )


async def test_a_validly_signed_ten_year_token_is_refused(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    now = int(time.time())
    ten_years = 10 * 365 * 86400
    headers = {"ST-App-Key": creds.app_key}
    url = creds.api(CUSTOMERS)
    # The same claims with the issued lifetime are accepted: only the lifetime is wrong.
    fair = await _forge(app, creds)
    assert (await client.get(url, headers={**headers, "Authorization": fair})).status_code == 200
    for times in (
        {"nbf": now, "iat": now, "exp": now + ten_years},  # exp - nbf and exp - iat too long
        {"exp": now + ten_years, "iat": now + ten_years - 900},  # exp - nbf too long
        {"nbf": now + ten_years - 900, "exp": now + ten_years, "iat": now - 5},  # nbf in future
        {"nbf": now, "iat": now, "exp": now + 901},  # one second beyond the issued lifetime
    ):
        token = await _forge(app, creds, **times)
        r = await client.get(url, headers={**headers, "Authorization": token})
        assert r.status_code == 401, (times, r.text)
        assert r.json()["status"] == 401
    long = await _forge(app, creds, exp=now + ten_years)
    r = await client.get(url, headers={**headers, "Authorization": long})
    assert "longer than this server issues" in r.json()["title"]


async def test_issued_claims_are_the_claims_dict_encoded_whole(app: LocalTitan) -> None:
    """The scope claim is encoded once per list and spliced in (auth/tokens.py, _ScopeClaim):
    whatever the head's length (all three places in base64's groups), the claims' bytes are
    msgspec's encoding of the whole dict, in base64url without padding."""
    import base64

    import msgspec

    lists: list[tuple[str, ...]] = [(), ("a",), ("a.b", "c:d"), tuple(f"s{i}" for i in range(200))]
    for scopes in lists:
        for extra in range(6):
            token, _ = await app.runtime.tokens.issue(
                environment=Environment.INTEGRATION,
                issuer="http://testserver" + "x" * extra,
                client_id="cid." + "y" * extra,
                tenant_id=7,
                scopes=scopes,
            )
            segment = token.split(".")[1].encode()
            decoded = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
            claims = msgspec.json.decode(decoded)
            assert list(claims) == [
                *("iss", "nbf", "iat", "exp", "client_id", "tenant", "scope", "jti", "environment")
            ]
            assert claims["scope"] == list(scopes)
            assert msgspec.json.encode(claims) == decoded
            assert base64.urlsafe_b64encode(decoded).rstrip(b"=") == segment


def test_token_body_is_the_answer_dict_encoded() -> None:
    import msgspec

    from localtitan.auth.token_endpoint import _Granted, token_body

    granted = _Granted.of(frozenset({"tn.a:read", "tn.b:write", 'q"uote'}))
    body = token_body("eyJ.abc-_.sig", granted.text_json)
    assert body == msgspec.json.encode(
        {
            "access_token": "eyJ.abc-_.sig",
            "expires_in": 900,
            "token_type": "Bearer",
            "scope": granted.text,
        }
    )
