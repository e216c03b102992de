"""A seeded company through the API, as a client sees it: jobs whose customers, locations,
appointments and invoices all resolve."""

from __future__ import annotations

import httpx
from demo_kit import MANIFEST, small_tenant

from localtitan.app import LocalTitan
from localtitan.demo import seed_quickstart
from localtitan.store.tenant_data import count_records, read_seed_settings


async def _get(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> dict:
    r = await client.get(url, headers=headers)
    assert r.status_code == 200, (url, r.text)
    return r.json()


async def test_jobs_resolve_through_the_api(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    page = await _get(
        client, h, creds.api("/jpm/v2/tenant/{tenant}/jobs?pageSize=40&includeTotal=true")
    )
    assert page["totalCount"] > 300 and page["hasMore"]
    jobs = page["data"]
    assert {j["jobStatus"] for j in jobs} >= {"Completed"}
    ids = []
    for job in jobs[:12]:
        assert job["jobNumber"] == str(job["id"]) and job["summary"]
        customer = await _get(
            client, h, creds.api(f"/crm/v2/tenant/{{tenant}}/customers/{job['customerId']}")
        )
        assert customer["name"] and customer["address"]["city"]
        location = await _get(
            client, h, creds.api(f"/crm/v2/tenant/{{tenant}}/locations/{job['locationId']}")
        )
        assert location["customerId"] == customer["id"]
        appts = await _get(
            client, h, creds.api(f"/jpm/v2/tenant/{{tenant}}/appointments?jobId={job['id']}")
        )
        assert {a["id"] for a in appts["data"]} >= {
            job["firstAppointmentId"],
            job["lastAppointmentId"],
        }
        assert all(a["customerId"] == customer["id"] for a in appts["data"])
        ids.append(job["invoiceId"])
    invoices = await _get(
        client,
        h,
        creds.api(f"/accounting/v2/tenant/{{tenant}}/invoices?ids={','.join(map(str, ids))}"),
    )
    found = {i["id"]: i for i in invoices["data"]}
    assert set(found) == set(ids)
    for job in jobs[:12]:
        invoice = found[job["invoiceId"]]
        assert invoice["job"]["id"] == job["id"]
        assert invoice["customer"]["id"] == job["customerId"]
        assert isinstance(invoice["total"], str)


async def test_the_rest_of_the_company_is_there(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    for path in (
        "/settings/v2/tenant/{tenant}/technicians",
        "/settings/v2/tenant/{tenant}/business-units",
        "/pricebook/v2/tenant/{tenant}/services",
        "/marketing/v2/tenant/{tenant}/campaigns",
        "/memberships/v2/tenant/{tenant}/memberships",
        "/dispatch/v2/tenant/{tenant}/appointment-assignments",
        "/accounting/v2/tenant/{tenant}/payments",
        "/sales/v2/tenant/{tenant}/estimates",
        "/equipmentsystems/v2/tenant/{tenant}/installed-equipment",
        "/inventory/v2/tenant/{tenant}/purchase-orders",
        "/payroll/v2/tenant/{tenant}/gross-pay-items",
    ):
        page = await _get(client, h, creds.api(path + "?pageSize=5"))
        assert page["data"], path
    export = await _get(client, h, creds.api("/crm/v2/tenant/{tenant}/export/customers"))
    assert len(export["data"]) == 300 or export["hasMore"]


async def test_the_quickstart_seed_fills_integration_only_once(
    app: LocalTitan, backend: str
) -> None:
    creds = await small_tenant(app, backend)
    db = app.runtime.db
    assert await seed_quickstart(db, MANIFEST, creds.tenant_id) is None
    async with db.read() as conn:
        assert await count_records(conn, "production", creds.tenant_id) == 0
        settings = await read_seed_settings(conn, "integration", creds.tenant_id)
    assert settings is not None and (settings.size, settings.customers) == ("small", 300)


async def test_references_named_by_nested_objects_filter_lists(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    """Invoices name their job and customer as objects (``job: {id}``), payments their
    customer, estimates their seller as ``soldBy``: ``jobId=``, ``customerId=`` and
    ``soldById=`` still pick exactly the records that name them."""
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    jobs = await _get(client, h, creds.api("/jpm/v2/tenant/{tenant}/jobs?pageSize=50"))
    invoiced = [j for j in jobs["data"] if j["invoiceId"]][:3]
    assert invoiced
    for job in invoiced:
        url = f"/accounting/v2/tenant/{{tenant}}/invoices?jobId={job['id']}"
        found = (await _get(client, h, creds.api(url)))["data"]
        assert found and {i["job"]["id"] for i in found} == {job["id"]}
        assert job["invoiceId"] in {i["id"] for i in found}
        url = f"/accounting/v2/tenant/{{tenant}}/invoices?customerId={job['customerId']}"
        mine = (await _get(client, h, creds.api(url)))["data"]
        assert job["invoiceId"] in {i["id"] for i in mine}
        assert {i["customer"]["id"] for i in mine} == {job["customerId"]}
    payments = await _get(client, h, creds.api("/accounting/v2/tenant/{tenant}/payments"))
    payer = payments["data"][0]["customer"]["id"]
    url = f"/accounting/v2/tenant/{{tenant}}/payments?customerId={payer}&pageSize=200"
    paid = (await _get(client, h, creds.api(url)))["data"]
    assert paid and {p["customer"]["id"] for p in paid} == {payer}
    assert len(paid) < len(payments["data"]) or not payments["hasMore"]
    estimates = await _get(client, h, creds.api("/sales/v2/tenant/{tenant}/estimates"))
    seller = next(e["soldBy"] for e in estimates["data"] if e["soldBy"])
    url = f"/sales/v2/tenant/{{tenant}}/estimates?soldById={seller}&pageSize=200"
    sold = (await _get(client, h, creds.api(url)))["data"]
    assert sold and {e["soldBy"] for e in sold} == {seller}


async def test_every_demo_call_names_its_job_type(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    """ServiceTitan's v2 calls require a job type with a name on every call, booked or not."""
    creds = await small_tenant(app, backend)
    h = await creds.headers(client)
    job_types = await _get(client, h, creds.api("/jpm/v2/tenant/{tenant}/job-types?pageSize=500"))
    known = {t["id"]: t["name"] for t in job_types["data"]}
    seen, page, unbooked = 0, 1, 0
    while True:
        calls = await _get(
            client, h, creds.api(f"/telecom/v2/tenant/{{tenant}}/calls?pageSize=200&page={page}")
        )
        for call in calls["data"]:
            kind = call["type"]
            assert kind["name"] and known.get(kind["id"]) == kind["name"], call["id"]
            unbooked += call["leadCall"]["callType"] != "Booked"
        seen += len(calls["data"])
        if not calls["hasMore"]:
            break
        page += 1
    assert seen > 100 and unbooked > 10
