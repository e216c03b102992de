"""Declared filters on the demo company, as a client first tries them: estimates by their
status (stored as ``{name, value}``), jobs by tag."""

from __future__ import annotations

from typing import Any

import httpx
from demo_kit import small_tenant

from localtitan.app import LocalTitan


async def _all(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> list[Any]:
    r = await client.get(url, headers=headers)
    assert r.status_code == 200, (url, r.text)
    return list(r.json()["data"])


async def test_estimates_by_status_match_the_demo_estimates(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    every = await _all(
        client, h, creds.api("/sales/v2/tenant/{tenant}/estimates?pageSize=5000&active=Any")
    )
    by_status: dict[str, int] = {}
    for estimate in every:
        by_status[estimate["status"]["name"]] = by_status.get(estimate["status"]["name"], 0) + 1
    assert by_status.get("Open", 0) > 0
    for name, count in by_status.items():
        for asked in (name, name.upper()):
            url = f"/sales/v2/tenant/{{tenant}}/estimates?pageSize=5000&active=Any&status={asked}"
            found = await _all(client, h, creds.api(url))
            assert len(found) == count, (asked, len(found), count)
            assert {e["status"]["name"] for e in found} == {name}
    value = every[0]["status"]["value"]
    url = f"/sales/v2/tenant/{{tenant}}/estimates?pageSize=5000&active=Any&status={value}"
    found = await _all(client, h, creds.api(url))
    assert found and {e["status"]["value"] for e in found} == {value}
