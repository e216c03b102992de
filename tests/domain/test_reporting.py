"""Reports as servicepytan runs them: list a category's reports, read a report's parameters,
then post them to get rows aligned with the report's fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from domain_kit import World, connect

from conftest import Creds
from localtitan.app import LocalTitan

BASE = "/reporting/v2/tenant/{tenant}/report-category"


async def test_jobs_by_status_report(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    jobs = [await api.ok("jpm.Jobs_Create", json=await world.job_body()) for _ in range(3)]
    await api.ok("jpm.Jobs_Cancel", id=jobs[0]["id"], json={"reasonId": 1, "memo": "no"})

    listed = await client.get(creds.api(f"{BASE}/operations/reports"), headers=api.headers)
    assert any(r["name"] == "Jobs by Status" for r in listed.json()["data"])
    report_id = next(r["id"] for r in listed.json()["data"] if r["name"] == "Jobs by Status")
    meta = await client.get(
        creds.api(f"{BASE}/operations/reports/{report_id}"), headers=api.headers
    )
    assert [p["name"] for p in meta.json()["parameters"] if p["isRequired"]] == ["From", "To"]

    today = datetime.now(UTC).date()
    params = [
        {"name": "From", "value": str(today - timedelta(days=1))},
        {"name": "To", "value": str(today)},
    ]
    r = await client.post(
        creds.api(f"{BASE}/operations/reports/{report_id}/data"),
        headers=api.headers,
        params={"includeTotal": "true"},
        json={"parameters": params},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["name"] for f in body["fields"]] == ["Status", "Jobs"]
    assert body["data"] == [["Canceled", 1], ["Scheduled", 2]]
    assert body["totalCount"] == 2 and body["hasMore"] is False

    # A period with no jobs has no rows.
    old = [{"name": "From", "value": "2001-01-01"}, {"name": "To", "value": "2001-12-31"}]
    r = await client.post(
        creds.api(f"{BASE}/operations/reports/{report_id}/data"),
        headers=api.headers,
        json={"parameters": old},
    )
    assert r.json()["data"] == []


async def test_report_errors(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    url = creds.api(f"{BASE}/operations/reports/1001/data")
    missing = await client.post(url, headers=api.headers, json={"parameters": []})
    assert missing.status_code == 400 and "parameters" in missing.json()["errors"]
    bad_date = await client.post(
        url,
        headers=api.headers,
        json={"parameters": [{"name": "From", "value": "soon"}, {"name": "To", "value": "x"}]},
    )
    assert bad_date.status_code == 400
    wrong_category = await client.post(
        creds.api(f"{BASE}/marketing/reports/1001/data"),
        headers=api.headers,
        json={"parameters": []},
    )
    assert wrong_category.status_code == 404
    unknown = await client.get(creds.api(f"{BASE}/operations/reports/999"), headers=api.headers)
    assert unknown.status_code == 404
