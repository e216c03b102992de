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


async def test_every_review_and_transfer_filter_value_finds_demo_records(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    """The demo reviews vary in what reportType, responseTypes and reviewStatuses compare,
    and the transfers in their type, so each value of those filters finds some, and the
    values of one filter split the list between them (docs/decisions/0180)."""
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    reviews = "/marketingreputation/v2/tenant/{tenant}/reviews?pageSize=5000"
    every = len(await _all(client, h, creds.api(reviews)))
    for name, parts in (
        ("reportType", ("1", "2")),
        ("responseTypes", ("1", "2")),
        ("reviewStatuses", ("0", "3", "6")),
    ):
        counts = [len(await _all(client, h, creds.api(f"{reviews}&{name}={v}"))) for v in parts]
        assert all(counts) and sum(counts) == every, (name, counts, every)
    transfers = "/inventory/v2/tenant/{tenant}/transfers?pageSize=5000"
    total = len(await _all(client, h, creds.api(transfers)))
    counts = [
        len(await _all(client, h, creds.api(f"{transfers}&transferTypeIds={i}"))) for i in (1, 2)
    ]
    assert all(counts) and sum(counts) <= total, counts
