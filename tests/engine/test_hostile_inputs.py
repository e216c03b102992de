"""Inputs a hostile or careless client sends answer 400 naming the field, never 500.

Each test is one reproduction of issue 11's audit, run on every operation it applies to: id
filters beyond int64, an unpaired surrogate escape in a JSON body, dates at or past the ends
of .NET's DateTime, and null items in a list of objects.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from engine_kit import MANIFEST, Api, connect, error_shape_problems

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.operations import handler_for
from localtitan.spec import Operation

IMPLEMENTED = [op for op in MANIFEST.operations if handler_for(op) is not None]
BEYOND_INT64 = str(2**63)


def _path_values(op: Operation) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for p in op.parameters:
        if p.location != "path" or p.name == "tenant":
            continue
        fmt = (
            MANIFEST.resolve(p.schema).get("format")
            if "$ref" in p.schema
            else p.schema.get("format")
        )
        values[p.name] = str(uuid.UUID(int=1)) if fmt in ("guid", "uuid") else 1
    return values


def _string_id_filters(op: Operation) -> list[str]:
    """Query parameters that are comma-separated id lists (``ids``, ``jobIds``...)."""
    out = []
    for p in op.parameters:
        schema = MANIFEST.resolve(p.schema) if "$ref" in p.schema else p.schema
        named = p.location == "query" and p.name.lower().endswith("ids")
        if named and "string" in (schema.get("type") or []) and not schema.get("format"):
            out.append(p.name)
    return out


def _assert_names(response: httpx.Response, field: str, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code} {response.text[:300]}"
    assert not error_shape_problems(response), error_shape_problems(response)
    assert field in response.json()["errors"], f"{what}: {response.text[:300]}"


async def _send(api: Api, op: Operation, *, params: Any = None, body: bytes | None = None) -> Any:
    headers = dict(api.headers)
    if body is not None:
        headers["Content-Type"] = "application/json"
    return await api.client.request(
        op.method, api.url(op, **_path_values(op)), params=params, content=body, headers=headers
    )


async def test_id_filters_beyond_int64_are_refused(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    tried = 0
    for op in IMPLEMENTED:
        if op.method != "GET":
            continue
        for name in _string_id_filters(op):
            for value in (BEYOND_INT64, f"1,-{BEYOND_INT64}1"):
                r = await _send(api, op, params={name: value})
                if r.status_code == 404 and _path_values(op):
                    continue  # the parent record is missing: answered before the filter
                _assert_names(r, name, f"{op.id} {name}={value}")
                tried += 1
    assert tried > 200  # both values on every id-list filter of a list without a parent


async def test_unpaired_surrogate_in_any_body_is_refused(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    tried = 0
    for op in IMPLEMENTED:
        body = op.request_body
        if op.method not in ("POST", "PUT", "PATCH") or body is None:
            continue
        if "json" not in str(body.get("contentType") or "application/json"):
            continue
        r = await _send(api, op, body=b'{"name":"\\ud800","memo":"ok"}')
        _assert_names(r, "$.name", op.id)
        tried += 1
    assert tried > 150


async def test_valid_surrogate_pairs_are_kept(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    r = await api.raw("POST", api.url("crm.Contacts_Create"), json={"name": "Pat \U0001f600"})
    assert r.status_code == 200, r.text
    shown = await api.ok("crm.Contacts_Get", id=r.json()["id"])
    assert shown["name"] == "Pat \U0001f600"


async def test_far_future_export_start_is_refused_on_every_feed(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    feeds = [op for op in IMPLEMENTED if op.kind == "export"]
    assert len(feeds) >= 53
    for op in feeds:
        r = await _send(api, op, params={"from": "9999-12-31T23:59:59.9999999Z"})
        _assert_names(r, "from", op.id)
        # The last instant Python holds is a valid start: nothing was modified after it.
        r = await _send(api, op, params={"from": "9999-12-31T23:59:59.999999Z"})
        assert r.status_code == 200, f"{op.id}: {r.text[:300]}"
        assert r.json()["data"] == []


async def test_dates_past_datetime_in_utc_are_refused(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    op = MANIFEST.by_id["crm.Customers_GetList"]
    for value in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-05:00"):
        r = await _send(api, op, params={"modifiedOnOrAfter": value})
        _assert_names(r, "modifiedOnOrAfter", value)
    r = await api.raw(
        "POST",
        api.url("crm.Customers_Create"),
        json={
            "name": "x",
            "address": {},
            "locations": [],
            "createdOn": "0001-01-01T00:00:00+01:00",
        },
    )
    assert r.status_code == 400, r.text
    for value in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z"):
        r = await _send(api, op, params={"modifiedOnOrAfter": value})
        assert r.status_code == 200, f"{value}: {r.text[:300]}"


async def test_null_items_in_custom_field_operations_are_refused(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    ops = [op for op in IMPLEMENTED if op.path.endswith("/custom-fields") and op.method == "PATCH"]
    assert len(ops) >= 12
    for op in ops:
        r = await _send(api, op, body=b'{"operations":[null]}')
        _assert_names(r, "operations[0]", op.id)
