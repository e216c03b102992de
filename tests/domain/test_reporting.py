"""Reports as servicepytan runs them: list a category's reports, read a report's parameters,
then post them to get rows aligned with the report's fields."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from domain_kit import World, connect

from conftest import Creds, make_creds
from localtitan import limits
from localtitan.app import LocalTitan
from localtitan.runtime import Runtime
from localtitan.settings import Settings

BASE = "/reporting/v2/tenant/{tenant}/report-category"


async def test_jobs_by_status_report(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    jobs = [await api.ok("jpm.Jobs_Create", json=await world.job_body()) for _ in range(3)]
    reason = await world.ref("jpm:job-cancel-reasons")
    await api.ok("jpm.Jobs_Cancel", id=jobs[0]["id"], json={"reasonId": reason, "memo": "no"})

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


# ---------------------------------------------------------------- 5 runs a minute


class _Clock:
    """Stands in for ``time`` in ``localtitan.limits``: 5 s into a minute, never straddling."""

    def __init__(self) -> None:
        self.now = (int(time.time()) // 60) * 60 + 5.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    c = _Clock()
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=c.time))
    return c


async def _worker(settings: Settings) -> LocalTitan:
    # The tests' default settings turn request limits off; these need ServiceTitan's.
    application = LocalTitan(Runtime(dataclasses.replace(settings, rate_limit=60)))
    await application.startup()
    return application


PERIOD = {
    "parameters": [{"name": "From", "value": "2024-01-01"}, {"name": "To", "value": "2024-01-31"}]
}


async def test_sixth_run_of_a_report_in_a_minute_is_429(settings: Settings, clock: _Clock) -> None:
    first, second = await _worker(settings), await _worker(settings)
    try:
        creds = await make_creds(first.runtime)
        other_tenant = await make_creds(first.runtime)
        t1 = httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t")
        t2 = httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://t")
        async with t1, t2:
            headers = await creds.headers(t1)
            url = creds.api(f"{BASE}/operations/reports/1001/data")
            # A request refused for its parameters runs nothing and counts nothing.
            bad = await t1.post(url, headers=headers, json={"parameters": []})
            assert bad.status_code == 400
            # Five runs, spread over two workers of one server, then the sixth is refused.
            for client in (t1, t2, t1, t2, t1):
                r = await client.post(url, headers=headers, json=PERIOD)
                assert r.status_code == 200, r.text
            r = await t2.post(url, headers=headers, json=PERIOD)
            assert r.status_code == 429, r.text
            assert r.headers["retry-after"] == "55"
            body = r.json()
            assert body["status"] == 429
            assert body["title"] == "Rate limit is exceeded. Try again in 55 seconds."
            assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}

            # Another report of the tenant, and the same report of another tenant, still run.
            r = await t1.post(
                creds.api(f"{BASE}/accounting/reports/2001/data"), headers=headers, json=PERIOD
            )
            assert r.status_code == 200, r.text
            other_headers = await other_tenant.headers(t1)
            r = await t1.post(
                other_tenant.api(f"{BASE}/operations/reports/1001/data"),
                headers=other_headers,
                json=PERIOD,
            )
            assert r.status_code == 200, r.text

            # The next minute brings five more runs.
            clock.now += 55
            r = await t1.post(url, headers=headers, json=PERIOD)
            assert r.status_code == 200, r.text
    finally:
        await first.shutdown()
        await second.shutdown()
