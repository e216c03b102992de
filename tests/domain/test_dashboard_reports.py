"""The dashboards' productivity (177, 170), lead generation (176) and memberships (178)
reports on a seeded company: each figure checked is what a client adds up from the records it
reads through the API (docs/decisions/0181-dashboard-reports.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from domain_kit import connect

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_tenant

START, END = "2025-07-01", "2026-06-30"
_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z?")


def _time(text: str) -> datetime:
    match = _STAMP.fullmatch(text)
    assert match, text
    fraction = (match[2] or ".0")[1:7].ljust(6, "0")
    return datetime.fromisoformat(f"{match[1]}.{fraction}").replace(tzinfo=UTC)


def _in_period(text: str | None) -> bool:
    return bool(text) and START <= str(text)[:10] <= END


@pytest.fixture
async def seeded(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> Any:
    await seed_tenant(
        app.runtime.db,
        app.runtime.manifest,
        environment=creds.environment.value,
        tenant_id=creds.tenant_id,
        customers=60,
        seed=3,
        anchor="2026-06-30",
    )
    return await connect(client, creds)


async def _every(client: httpx.AsyncClient, creds: Creds, api: Any, path: str) -> list[Any]:
    found: list[Any] = []
    page = 1
    while True:
        r = await client.get(
            creds.api(path), headers=api.headers, params={"page": page, "pageSize": 500}
        )
        assert r.status_code == 200, r.text
        found += r.json()["data"]
        if not r.json()["hasMore"]:
            return found
        page += 1


async def _report(
    client: httpx.AsyncClient, creds: Creds, api: Any, path: str, key: str = "Name"
) -> dict[Any, dict[str, Any]]:
    body = {"parameters": [{"name": "From", "value": START}, {"name": "To", "value": END}]}
    r = await client.post(
        creds.api(f"/reporting/v2/tenant/{{tenant}}/report-category/{path}/data"),
        headers=api.headers,
        json=body,
    )
    assert r.status_code == 200, r.text
    names = [f["name"] for f in r.json()["fields"]]
    rows = [dict(zip(names, row, strict=True)) for row in r.json()["data"]]
    return {row[key]: row for row in rows}


async def _names(client: httpx.AsyncClient, creds: Creds, api: Any, path: str) -> dict[int, str]:
    return {r["id"]: r["name"] for r in await _every(client, creds, api, path)}


def _count_by(items: list[Any], key: Callable[[Any], Any]) -> dict[Any, int]:
    counted: dict[Any, int] = {}
    for item in items:
        k = key(item)
        counted[k] = counted.get(k, 0) + 1
    return counted


async def _working_hours(
    client: httpx.AsyncClient, creds: Creds, api: Any, by: Callable[[Any, Any], Any]
) -> dict[Any, float]:
    """Arrival-to-done hours on the timesheets of jobs completed in the period, summed by
    ``by(timesheet, job)``."""
    jobs = {
        j["id"]: j
        for j in await _every(client, creds, api, "/jpm/v2/tenant/{tenant}/jobs")
        if j["jobStatus"] == "Completed" and _in_period(j["completedOn"])
    }
    sheets = await _every(client, creds, api, "/payroll/v2/tenant/{tenant}/jobs/timesheets")
    hours: dict[Any, float] = {}
    for sheet in sheets:
        job = jobs.get(sheet["jobId"])
        if job is None or not sheet["arrivedOn"] or not sheet["doneOn"] or sheet["canceledOn"]:
            continue
        spent = (_time(sheet["doneOn"]) - _time(sheet["arrivedOn"])).total_seconds() / 3600
        hours[by(sheet, job)] = hours.get(by(sheet, job), 0.0) + spent
    return hours


async def test_business_unit_productivity_hours_are_the_timesheets(
    client: httpx.AsyncClient, creds: Creds, seeded: Any
) -> None:
    api = seeded
    units = await _names(client, creds, api, "/settings/v2/tenant/{tenant}/business-units")
    rows = await _report(client, creds, api, "business-unit-dashboard/reports/177")
    hours = await _working_hours(client, creds, api, lambda sheet, job: job["businessUnitId"])
    assert sum(hours.values()) > 0
    for unit, name in units.items():
        assert rows[name]["BillableHours"] == pytest.approx(hours.get(unit, 0.0), abs=0.01)
    revenue = await _report(client, creds, api, "business-unit-dashboard/reports/175")
    for name, row in rows.items():
        assert row["CompletedRevenue"] == revenue[name]["CompletedRevenue"]
        if row["BillableHours"]:
            expected = revenue[name]["CompletedRevenue"] / row["BillableHours"]
            assert row["RevenuePerBillableHour"] == pytest.approx(expected, rel=0.01)
        assert 0 <= (row["BillableEfficiency"] or 0) <= 1


async def test_technician_productivity_hours_are_their_own_timesheets(
    client: httpx.AsyncClient, creds: Creds, seeded: Any
) -> None:
    api = seeded
    rows = await _report(client, creds, api, "technician-dashboard/reports/170", "TechnicianId")
    hours = await _working_hours(client, creds, api, lambda sheet, job: sheet["technicianId"])
    assert sum(hours.values()) > 0
    techs = await _names(client, creds, api, "/settings/v2/tenant/{tenant}/technicians")
    assert set(rows) == set(techs)
    for tech in techs:
        assert rows[tech]["BillableHours"] == pytest.approx(hours.get(tech, 0.0), abs=0.01)


async def test_lead_generation_counts_the_leads_and_follow_up_jobs(
    client: httpx.AsyncClient, creds: Creds, seeded: Any
) -> None:
    api = seeded
    units = await _names(client, creds, api, "/settings/v2/tenant/{tenant}/business-units")
    rows = await _report(client, creds, api, "business-unit-dashboard/reports/176")
    leads = [
        lead
        for lead in await _every(client, creds, api, "/crm/v2/tenant/{tenant}/leads")
        if _in_period(lead["createdOn"])
    ]
    jobs = await _every(client, creds, api, "/jpm/v2/tenant/{tenant}/jobs")
    follow_ups = [j for j in jobs if j["createdFromEstimateId"] and _in_period(j["createdOn"])]
    done = [j for j in jobs if j["jobStatus"] == "Completed" and _in_period(j["completedOn"])]
    assert leads and follow_ups
    by_unit = _count_by(leads, lambda lead: lead["businessUnitId"])
    set_by_unit = _count_by(follow_ups, lambda j: j["businessUnitId"])
    done_by_unit = _count_by(done, lambda j: j["businessUnitId"])
    for unit, name in units.items():
        row = rows[name]
        assert row["Leads"] == by_unit.get(unit, 0)
        assert row["LeadsSet"] == set_by_unit.get(unit, 0)
        assert row["Opportunity"] == done_by_unit.get(unit, 0)
        assert row["OpenLeads"] + row["DismissedLeads"] <= row["Leads"]


async def test_memberships_dashboard_counts_memberships_sold_and_active(
    client: httpx.AsyncClient, creds: Creds, seeded: Any
) -> None:
    api = seeded
    units = await _names(client, creds, api, "/settings/v2/tenant/{tenant}/business-units")
    rows = await _report(client, creds, api, "business-unit-dashboard/reports/178")
    members = await _every(client, creds, api, "/memberships/v2/tenant/{tenant}/memberships")
    sold = _count_by([m for m in members if _in_period(m["from"])], lambda m: m["businessUnitId"])
    active = _count_by(
        [m for m in members if m["status"] == "Active"], lambda m: m["businessUnitId"]
    )
    assert sum(sold.values()) > 0 and sum(active.values()) > 0
    for unit, name in units.items():
        row = rows[name]
        assert row["MembershipsSold"] == sold.get(unit, 0)
        assert row["ActiveMemberships"] == active.get(unit, 0)
        if row["Opportunity"]:
            assert row["MembershipConversionRate"] == pytest.approx(
                row["MembershipsSold"] / row["Opportunity"], abs=1e-4
            )
