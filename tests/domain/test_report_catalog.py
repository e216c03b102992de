"""The report catalog as integrations use it: the business-unit dashboard's Revenue report (175),
the technician dashboard's revenue (168), the operations Completed Jobs detail (165), with the
parameters, validation and paging ServiceTitan documents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from domain_kit import connect, insert

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_tenant
from localtitan.domain.report_catalog import REPORTS

BASE = "/reporting/v2/tenant/{tenant}"
FROM, TO = "2024-03-01", "2024-03-31"


def period(**more: Any) -> dict[str, Any]:
    params = [{"name": "From", "value": FROM}, {"name": "To", "value": TO}]
    params += [{"name": k, "value": v} for k, v in more.items()]
    return {"parameters": params}


async def run(
    client: httpx.AsyncClient,
    creds: Creds,
    headers: dict[str, str],
    path: str,
    body: Any,
    **query: Any,
) -> httpx.Response:
    return await client.post(
        creds.api(f"{BASE}/report-category/{path}/data"), headers=headers, json=body, params=query
    )


def as_dicts(body: dict[str, Any]) -> list[dict[str, Any]]:
    names = [f["name"] for f in body["fields"]]
    return [dict(zip(names, row, strict=True)) for row in body["data"]]


async def company(app: LocalTitan, creds: Creds) -> dict[str, Any]:
    """Two business units, three technicians, jobs and invoices around March 2024."""
    hvac, plumbing = await insert(
        app, creds, "settings:business-units", [{"name": "HVAC"}, {"name": "Plumbing"}]
    )
    ann, bob, cat = await insert(
        app,
        creds,
        "settings:technicians",
        [{"name": "Ann Tech"}, {"name": "Bob Tech"}, {"name": "Cat Tech"}],
    )
    customer = (await insert(app, creds, "crm:customers", [{"name": "Jane Doe"}]))[0]

    def job(number: str, unit: dict[str, Any], completed: str | None) -> dict[str, Any]:
        return {
            "jobNumber": number,
            "customerId": customer["id"],
            "businessUnitId": unit["id"],
            "jobStatus": "Completed" if completed else "Scheduled",
            "completedOn": completed,
            "createdOn": "2024-02-20T10:00:00Z",
        }

    j1, j2, j3, j4 = await insert(
        app,
        creds,
        "jpm:jobs",
        [
            job("J1", hvac, "2024-03-05T16:00:00Z"),
            job("J2", hvac, "2024-03-31T23:30:00Z"),  # the last day counts
            job("J3", plumbing, "2024-03-12T09:00:00Z"),
            job("J4", plumbing, "2024-04-01T00:10:00Z"),  # the day after does not
        ],
    )
    assignments = [
        (j1, ann),
        (j1, bob),  # J1's revenue is split between Ann and Bob
        (j2, ann),
        (j3, cat),
        (j4, cat),
    ]
    await insert(
        app,
        creds,
        "dispatch:appointment-assignments",
        [
            {"jobId": j["id"], "technicianId": t["id"], "technicianName": t["name"]}
            for j, t in assignments
        ],
    )

    def invoice(unit: dict[str, Any], day: str, total: str, **more: Any) -> dict[str, Any]:
        return {
            "invoiceDate": day,
            "total": total,
            "balance": "0.00",
            "businessUnit": {"id": unit["id"], "name": unit["name"]},
            "job": None,
            "adjustmentToId": None,
            **more,
        }

    ref = {"id": j1["id"], "number": "J1", "type": "Repair"}
    await insert(
        app,
        creds,
        "accounting:invoices",
        [
            invoice(hvac, "2024-03-01T00:00:00Z", "1000.10", job=ref),  # first day
            invoice(hvac, "2024-03-31T23:59:59Z", "250.25", job=ref),  # last day
            invoice(hvac, "2024-02-29T23:59:59Z", "9999.00", job=ref),  # day before
            invoice(hvac, "2024-04-01T00:00:00Z", "8888.00", job=ref),  # day after
            invoice(hvac, "2024-03-10T12:00:00Z", "-50.05", job=ref, adjustmentToId=1),
            invoice(hvac, "2024-03-11T12:00:00Z", "75.00"),  # no job
            invoice(
                plumbing,
                "2024-03-15T12:00:00Z",
                "420.00",
                job={"id": j3["id"], "number": "J3", "type": "Repair"},
            ),
            invoice(plumbing, None, "5.00"),  # not issued yet
        ],
    )
    # Deleted invoices count for nothing.
    await insert(
        app,
        creds,
        "accounting:invoices",
        [invoice(plumbing, "2024-03-15T12:00:00Z", "7777.00")],
        deleted=True,
    )
    await insert(
        app,
        creds,
        "customer-interactions:technician-ratings",
        [
            {"jobId": j1["id"], "technicianId": ann["id"], "rating": 5.0},
            {"jobId": j1["id"], "technicianId": bob["id"], "rating": 4.0},
        ],
    )
    return {
        "hvac": hvac,
        "plumbing": plumbing,
        "ann": ann,
        "bob": bob,
        "cat": cat,
        "jobs": [j1, j2, j3, j4],
    }


async def invoiced_between(
    client: httpx.AsyncClient, creds: Creds, headers: dict[str, str], start: str, end: str
) -> dict[int, Decimal]:
    """Revenue per business unit as a client would add it up from the invoices list."""
    totals: dict[int, Decimal] = {}
    page = 1
    while True:
        r = await client.get(
            creds.api("/accounting/v2/tenant/{tenant}/invoices"),
            headers=headers,
            params={"page": page, "pageSize": 100},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        for inv in body["data"]:
            day = (inv["invoiceDate"] or "")[:10]
            if start <= day <= end:
                unit = inv["businessUnit"]["id"]
                totals[unit] = totals.get(unit, Decimal(0)) + Decimal(str(inv["total"]))
        if not body["hasMore"]:
            return totals
        page += 1


async def test_revenue_between_two_dates_matches_the_invoices(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await company(app, creds)
    # Another tenant's invoices in the same period are not this tenant's revenue.
    other = await make_creds(app.runtime)
    unit = (await insert(app, other, "settings:business-units", [{"name": "HVAC"}]))[0]
    await insert(
        app,
        other,
        "accounting:invoices",
        [{"invoiceDate": "2024-03-02T00:00:00Z", "total": "123.00", "businessUnit": unit}],
    )

    r = await run(client, creds, api.headers, "business-unit-dashboard/reports/175", period())
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["name"] for f in body["fields"]] == [
        "Name",
        "CompletedRevenue",
        "OpportunityJobAverage",
        "OpportunityConversionRate",
        "Opportunity",
        "ConvertedJobs",
        "CustomerSatisfaction",
        "AdjustmentRevenue",
        "TotalRevenue",
        "NonJobRevenue",
    ]
    rows = {row["Name"]: row for row in as_dicts(body)}
    expected = await invoiced_between(client, creds, api.headers, FROM, TO)
    hvac, plumbing = rows["HVAC"], rows["Plumbing"]
    assert Decimal(str(hvac["TotalRevenue"])) == expected[made["hvac"]["id"]] == Decimal("1275.30")
    assert Decimal(str(plumbing["TotalRevenue"])) == expected[made["plumbing"]["id"]]
    assert hvac["CompletedRevenue"] == 1250.35
    assert hvac["AdjustmentRevenue"] == -50.05 and hvac["NonJobRevenue"] == 75.0
    # Opportunities are the jobs completed in the period; J2 has no invoice, so is not converted.
    assert (hvac["Opportunity"], hvac["ConvertedJobs"]) == (2, 1)
    assert hvac["OpportunityConversionRate"] == 0.5
    assert hvac["OpportunityJobAverage"] == round(1250.35 / 2, 2)
    assert hvac["CustomerSatisfaction"] == 4.5
    assert (plumbing["Opportunity"], plumbing["ConvertedJobs"]) == (1, 1)
    assert plumbing["CustomerSatisfaction"] is None

    # One business unit only.
    r = await run(
        client,
        creds,
        api.headers,
        "business-unit-dashboard/reports/175",
        period(BusinessUnitIds=[made["plumbing"]["id"]]),
    )
    assert [row[0] for row in r.json()["data"]] == ["Plumbing"]
    assert r.json()["data"][0][8] == 420.0

    # A period with no invoices still lists every business unit, at zero.
    r = await run(
        client,
        creds,
        api.headers,
        "business-unit-dashboard/reports/175",
        {
            "parameters": [
                {"name": "from", "value": "2001-01-01T00:00:00Z"},
                {"name": "TO", "value": "2001-01-31"},
            ]
        },
    )
    assert [(row[0], row[8], row[4]) for row in r.json()["data"]] == [
        ("HVAC", 0.0, 0),
        ("Plumbing", 0.0, 0),
    ]


async def test_technician_revenue_splits_a_shared_job(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await company(app, creds)
    r = await run(client, creds, api.headers, "technician-dashboard/reports/168", period())
    assert r.status_code == 200, r.text
    rows = {row["Name"]: row for row in as_dicts(r.json())}
    assert set(rows) == {"Ann Tech", "Bob Tech", "Cat Tech"}
    ann, bob, cat = rows["Ann Tech"], rows["Bob Tech"], rows["Cat Tech"]
    assert ann["TechnicianId"] == made["ann"]["id"]
    # J1 invoiced 1,250.35 in the period, shared by Ann and Bob.
    assert ann["CompletedRevenue"] == bob["CompletedRevenue"] == round(1250.35 / 2, 2)
    assert cat["CompletedRevenue"] == 420.0
    # Ann completed J1 and J2 in the period, one of them invoiced.
    assert (ann["Opportunity"], ann["ConvertedJobs"], ann["OpportunityConversionRate"]) == (
        2,
        1,
        0.5,
    )
    assert (bob["Opportunity"], cat["Opportunity"]) == (1, 1)
    assert (ann["CustomerSatisfaction"], bob["CustomerSatisfaction"]) == (5.0, 4.0)


async def test_completed_jobs_detail_pages_and_names_technicians(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await company(app, creds)
    path = "operations/reports/165"
    r = await run(client, creds, api.headers, path, period(DateType=1), includeTotal="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalCount"] == 3 and body["hasMore"] is False and body["pageSize"] == 1000
    rows = as_dicts(body)
    assert [row["JobNumber"] for row in rows] == ["J1", "J3", "J2"]  # by completion
    assert rows[0]["AssignedTechnicians"] == "Ann Tech, Bob Tech"
    assert rows[0]["CustomerName"] == "Jane Doe" and rows[0]["BusinessUnit"] == "HVAC"
    assert rows[0]["JobsTotal"] == 1250.35 + 9999.0 + 8888.0

    # Paged: one row a page, the last page says there is no more.
    first = await run(client, creds, api.headers, path, period(), pageSize=1, includeTotal="true")
    third = await run(client, creds, api.headers, path, period(), pageSize=1, page=3)
    beyond = await run(client, creds, api.headers, path, period(), pageSize=1, page=4)
    assert (first.json()["hasMore"], first.json()["totalCount"]) == (True, 3)
    assert third.json()["hasMore"] is False and third.json()["totalCount"] is None
    assert third.json()["data"][0][0] == "J2"
    assert beyond.json()["data"] == []

    # DateType 2 picks jobs by creation date; BusinessUnitId narrows to one unit.
    r = await run(
        client,
        creds,
        api.headers,
        path,
        {
            "parameters": [
                {"name": "DateType", "value": 2},
                {"name": "From", "value": "2024-02-01"},
                {"name": "To", "value": "2024-02-29"},
                {"name": "BusinessUnitId", "value": str(made["plumbing"]["id"])},
            ]
        },
    )
    # J4 was completed after the period, but created in February like J3.
    assert [row[0] for row in r.json()["data"]] == ["J3", "J4"]


async def test_catalog_categories_metadata_and_value_sets(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await company(app, creds)
    r = await client.get(creds.api(f"{BASE}/report-categories"), headers=api.headers)
    ids = [c["id"] for c in r.json()["data"]]
    for expected in ("operations", "accounting", "marketing", "business-unit-dashboard"):
        assert expected in ids
    assert "technician-dashboard" in ids
    paged = await client.get(
        creds.api(f"{BASE}/report-categories"),
        headers=api.headers,
        params={"pageSize": 2, "page": 2, "includeTotal": "true"},
    )
    assert paged.json()["data"] == r.json()["data"][2:4]
    assert paged.json()["totalCount"] == len(ids) and paged.json()["hasMore"] is True

    listed = await client.get(
        creds.api(f"{BASE}/report-category/business-unit-dashboard/reports"), headers=api.headers
    )
    assert {"id": 175, "name": "Revenue"}.items() <= listed.json()["data"][0].items()
    unknown = await client.get(
        creds.api(f"{BASE}/report-category/no-such-thing/reports"), headers=api.headers
    )
    assert unknown.status_code == 404

    meta = await client.get(
        creds.api(f"{BASE}/report-category/operations/reports/165"), headers=api.headers
    )
    params = {p["name"]: p for p in meta.json()["parameters"]}
    assert params["DateType"]["acceptValues"]["values"] == [
        [1, "Completion Date"],
        [2, "Creation Date"],
    ]
    assert params["BusinessUnitId"]["acceptValues"]["dynamicSetId"] == "business-units"
    assert (params["From"]["dataType"], params["From"]["isRequired"]) == ("Date", True)

    units = await client.get(
        creds.api(f"{BASE}/dynamic-value-sets/business-units"), headers=api.headers
    )
    assert units.status_code == 200, units.text
    assert units.json()["data"] == [
        [made["hvac"]["id"], "HVAC"],
        [made["plumbing"]["id"], "Plumbing"],
    ]
    missing = await client.get(creds.api(f"{BASE}/dynamic-value-sets/nope"), headers=api.headers)
    assert missing.status_code == 404


async def test_parameters_are_checked_against_the_report(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    path = "business-unit-dashboard/reports/175"

    async def refused(body: Any, field: str, words: str, report: str = path) -> None:
        r = await run(client, creds, api.headers, report, body)
        assert r.status_code == 400, r.text
        problem = r.json()
        assert words in " ".join(problem["errors"][field]), problem
        assert problem["status"] == 400 and problem["traceId"]

    await refused({"parameters": []}, "parameters", "needs the parameter 'From'")
    await refused(period(Region="West"), "parameters", "no parameter 'Region'")
    await refused(
        {"parameters": [*period()["parameters"], {"name": "from", "value": FROM}]},
        "parameters",
        "given twice",
    )
    await refused(
        {"parameters": [{"name": "From", "value": "March"}, {"name": "To", "value": TO}]},
        "From",
        "must be a date",
    )
    await refused(
        {"parameters": [{"name": "From", "value": "2024-03-01junk"}, {"name": "To", "value": TO}]},
        "From",
        "must be a date",
    )
    await refused(
        {"parameters": [{"name": "From", "value": TO}, {"name": "To", "value": FROM}]},
        "To",
        "must not be before",
    )
    await refused(period(BusinessUnitIds=["x"]), "BusinessUnitIds", "must be a number")
    await refused(period(BusinessUnitIds=[1.5]), "BusinessUnitIds", "whole number")
    await refused(period(DateType=3), "DateType", "must be one of 1", "operations/reports/165")
    await refused(period(DateType=[1, 2]), "DateType", "one value", "operations/reports/165")
    # A report asked for under another category is not found.
    r = await run(client, creds, api.headers, "operations/reports/175", period())
    assert r.status_code == 404
    r = await run(
        client, creds, api.headers, "business-unit-dashboard/reports/175", period(), page=0
    )
    assert r.status_code == 400


async def test_every_report_runs_on_the_demo_company(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """On a seeded company every report has rows, and the dashboard's revenue for a quarter is
    what the invoices add up to."""
    await seed_tenant(
        app.runtime.db,
        app.runtime.manifest,
        environment=creds.environment.value,
        tenant_id=creds.tenant_id,
        customers=15,
        seed=3,
        anchor="2026-06-30",
    )
    api = await connect(client, creds)
    start, end = "2026-01-01", "2026-03-31"
    body = {"parameters": [{"name": "From", "value": start}, {"name": "To", "value": end}]}
    for report in REPORTS.values():
        r = await run(client, creds, api.headers, f"{report.category}/reports/{report.id}", body)
        assert r.status_code == 200, (report.id, r.text)
        assert r.json()["data"], report.id
        assert all(len(row) == len(report.fields) for row in r.json()["data"])
    r = await run(client, creds, api.headers, "business-unit-dashboard/reports/175", body)
    expected = await invoiced_between(client, creds, api.headers, start, end)
    units = await client.get(
        creds.api("/settings/v2/tenant/{tenant}/business-units"),
        headers=api.headers,
        params={"pageSize": 200},
    )
    names = {u["id"]: u["name"] for u in units.json()["data"]}
    got = {row[0]: Decimal(str(row[8])) for row in r.json()["data"]}
    assert sum(expected.values()) > 0
    assert got == {names[u]: expected.get(u, Decimal(0)).quantize(Decimal("0.01")) for u in names}


async def test_sales_memberships_and_payroll_reports(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await company(app, creds)
    hvac, plumbing, ann, cat = made["hvac"], made["plumbing"], made["ann"], made["cat"]
    j1, j2, j3, _ = made["jobs"]

    def estimate(unit: dict[str, Any], job: dict[str, Any], created: str, **more: Any) -> Any:
        return {
            "businessUnitId": unit["id"],
            "jobId": job["id"],
            "createdOn": created,
            "status": {"value": 0, "name": "Open"},
            "soldOn": None,
            **more,
        }

    sold = {"value": 1, "name": "Sold"}
    await insert(
        app,
        creds,
        "sales:estimates",
        [
            estimate(
                hvac,
                j1,
                "2024-03-02T10:00:00Z",
                status=sold,
                soldOn="2024-03-05T10:00:00Z",
                subtotal=1000.0,
                soldBy=ann["id"],
            ),
            estimate(hvac, j1, "2024-03-02T10:05:00Z", subtotal=1500.0),  # the other option
            estimate(hvac, j2, "2024-03-10T10:00:00Z", subtotal=300.0),
            # Offered before the period, sold in it.
            estimate(
                plumbing,
                j3,
                "2024-01-10T10:00:00Z",
                status=sold,
                soldOn="2024-03-20T10:00:00Z",
                subtotal=500.0,
                soldBy=cat["id"],
            ),
        ],
    )
    r = await run(client, creds, api.headers, "business-unit-dashboard/reports/179", period())
    assert r.status_code == 200, r.text
    rows = {row["Name"]: row for row in as_dicts(r.json())}
    assert rows["HVAC"] == {
        "Name": "HVAC",
        "TotalSales": 1000.0,
        "ClosedAverageSale": 1000.0,
        "CloseRate": 0.5,  # j1 closed, j2 did not
        "SalesOpportunity": 2,
        "OptionsPerOpportunity": 1.5,
        "AdjustmentRevenue": -50.05,
        "TotalRevenue": 1275.3,
        "NonJobRevenue": 75.0,
    }
    assert (rows["Plumbing"]["TotalSales"], rows["Plumbing"]["SalesOpportunity"]) == (500.0, 0)
    assert rows["Plumbing"]["CloseRate"] is None

    r = await run(client, creds, api.headers, "sales/reports/5001", period())
    assert r.json()["data"] == [
        ["Ann Tech", ann["id"], 1, 1000.0],
        ["Cat Tech", cat["id"], 1, 500.0],
    ]

    gold = (await insert(app, creds, "memberships:membership-types", [{"name": "Gold"}]))[0]
    await insert(
        app,
        creds,
        "memberships:memberships",
        [
            {"membershipTypeId": gold["id"], "status": "Active", "from": "2023-05-01T00:00:00Z"},
            {"membershipTypeId": gold["id"], "status": "Active", "from": "2024-03-05T00:00:00Z"},
            {
                "membershipTypeId": gold["id"],
                "status": "Canceled",
                "from": "2023-01-01T00:00:00Z",
                "cancellationDate": "2024-03-20T00:00:00Z",
            },
        ],
    )
    r = await run(client, creds, api.headers, "memberships/reports/6001", period())
    assert r.json()["data"] == [["Gold", gold["id"], 2, 1, 1]]

    await insert(
        app,
        creds,
        "payroll:gross-pay-items",
        [
            {
                "employeeId": ann["id"],
                "date": "2024-03-03T00:00:00Z",
                "paidDurationHours": 2.5,
                "amount": 75.0,
            },
            {
                "employeeId": ann["id"],
                "date": "2024-03-04T00:00:00Z",
                "paidDurationHours": 1.0,
                "amount": 30.0,
            },
            {
                "employeeId": cat["id"],
                "date": "2024-02-28T00:00:00Z",
                "paidDurationHours": 8.0,
                "amount": 240.0,
            },
        ],
    )
    r = await run(client, creds, api.headers, "payroll/reports/7001", period())
    assert r.json()["data"] == [["Ann Tech", ann["id"], 3.5, 105.0, 2]]
