"""The door answers a request it has seen before exactly as the first time: routing, query
parsing and validation are remembered per method, path and query string (api.py), but
authentication, the app key, the tenant and the scope are checked on every request."""

from __future__ import annotations

import re

import httpx

from conftest import Creds, make_creds
from localtitan.app import LocalTitan

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
ADDRESS = {"street": "1 Main", "city": "Fresno", "state": "CA", "zip": "93650", "country": "USA"}


async def _headers(client: httpx.AsyncClient, creds: Creds) -> dict[str, str]:
    return {"Authorization": await creds.token(client), "ST-App-Key": creds.app_key}


async def _customer(client: httpx.AsyncClient, creds: Creds, headers: dict[str, str]) -> int:
    r = await client.post(
        creds.api(CUSTOMERS),
        json={
            "name": "Repeat",
            "address": ADDRESS,
            "locations": [{"name": "Home", "address": ADDRESS}],
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


async def test_a_repeated_request_is_still_authenticated_and_authorized(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await _headers(client, creds)
    await _customer(client, creds, headers)
    url = creds.api(CUSTOMERS) + "?pageSize=50"
    assert (await client.get(url, headers=headers)).status_code == 200
    assert (await client.get(url, headers=headers)).status_code == 200

    no_token = await client.get(url, headers={"ST-App-Key": creds.app_key})
    assert no_token.status_code == 401
    wrong_key = await client.get(url, headers={**headers, "ST-App-Key": "not-the-key"})
    assert wrong_key.status_code == 403
    no_key = await client.get(url, headers={"Authorization": headers["Authorization"]})
    assert no_key.status_code == 403

    # Another tenant's token on the very path bound for this tenant.
    other = await make_creds(app.runtime)
    other_headers = await _headers(client, other)
    foreign = await client.get(url, headers=other_headers)
    assert foreign.status_code == 403
    assert str(creds.tenant_id) in foreign.json()["title"]

    narrow = await make_creds(app.runtime, scopes=frozenset({"tn.jpm.jobs:r"}))
    narrow_url = narrow.api(CUSTOMERS) + "?pageSize=50"
    narrow_headers = await _headers(client, narrow)
    assert (await client.get(narrow_url, headers=narrow_headers)).status_code == 403
    assert (await client.get(narrow_url, headers=narrow_headers)).status_code == 403


async def test_a_bad_value_is_refused_after_a_good_one_on_the_same_path(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await _headers(client, creds)
    base = creds.api(CUSTOMERS)
    assert (await client.get(base + "?pageSize=50", headers=headers)).status_code == 200
    for _ in range(2):
        bad = await client.get(base + "?pageSize=abc", headers=headers)
        assert bad.status_code == 400
        assert "pageSize" in bad.json()["errors"]
    assert (await client.get(base + "?pageSize=50", headers=headers)).status_code == 200


async def test_the_app_key_in_the_query_string_works_on_repeats(
    client: httpx.AsyncClient, creds: Creds
) -> None:
    token = await creds.token(client)
    url = creds.api(CUSTOMERS) + f"?pageSize=5&servicetitanapplicationkey={creds.app_key}"
    for _ in range(2):
        r = await client.get(url, headers={"Authorization": token})
        assert r.status_code == 200, r.text
    wrong = creds.api(CUSTOMERS) + "?pageSize=5&servicetitanapplicationkey=nope"
    for _ in range(2):
        assert (await client.get(wrong, headers={"Authorization": token})).status_code == 403


async def test_a_repeated_get_sees_each_change(client: httpx.AsyncClient, creds: Creds) -> None:
    headers = await _headers(client, creds)
    customer = await _customer(client, creds, headers)
    url = creds.api(CUSTOMERS) + f"/{customer}"
    assert (await client.get(url, headers=headers)).json()["name"] == "Repeat"
    r = await client.patch(url, json={"name": "Renamed"}, headers=headers)
    assert r.status_code == 200, r.text
    assert (await client.get(url, headers=headers)).json()["name"] == "Renamed"


async def test_every_error_has_its_own_trace_id(client: httpx.AsyncClient, creds: Creds) -> None:
    url = creds.api(CUSTOMERS) + "?pageSize=50"
    seen = set()
    for _ in range(50):
        r = await client.get(url, headers={"ST-App-Key": creds.app_key})
        assert r.status_code == 401
        trace = r.json()["traceId"]
        assert re.fullmatch(r"[0-9a-f]{32}", trace)
        seen.add(trace)
    assert len(seen) == 50
