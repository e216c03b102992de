"""Tenants (and environments) never see each other's records: not by id, not in lists, not in
export feeds, and not as references in a body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from engine_kit import Api, World, connect

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.platform.apps import make_visible
from localtitan.platform.credentials import connect_app
from localtitan.platform.environments import Environment
from localtitan.platform.tenants import create_tenant


async def _same_app_other_tenant(app: LocalTitan, creds: Creds) -> Creds:
    runtime = app.runtime
    async with runtime.db.begin() as conn:
        tenant = await create_tenant(conn, name="Other Co")
        await make_visible(conn, creds.app_id, [tenant.id])
        connection, issued = await connect_app(
            conn,
            runtime.server_key,
            app_id=creds.app_id,
            tenant_id=tenant.id,
            environment=creds.environment,
        )
    return Creds(
        tenant.id,
        creds.app_id,
        creds.app_key,
        connection.client_id,
        issued.secret,
        creds.environment,
    )


async def _same_tenant_production(app: LocalTitan, creds: Creds) -> Creds:
    runtime = app.runtime
    async with runtime.db.begin() as conn:
        connection, issued = await connect_app(
            conn,
            runtime.server_key,
            app_id=creds.app_id,
            tenant_id=creds.tenant_id,
            environment=Environment.PRODUCTION,
        )
    return Creds(
        creds.tenant_id,
        creds.app_id,
        creds.app_key,
        connection.client_id,
        issued.secret,
        Environment.PRODUCTION,
    )


async def _all_exported(api: Api, op: str) -> list[Any]:
    token = None
    seen: list[Any] = []
    while True:
        body = await api.ok(op, params={"from": token} if token else None)
        seen += [r["id"] for r in body["data"]]
        token = body["continueFrom"]
        if not body["hasMore"]:
            return seen


@pytest.mark.parametrize("other", ["same app", "another app", "production"])
async def test_records_stay_in_their_tenant(
    other: str, client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    a = await connect(client, creds)
    world_a = World(a, app)
    job = await a.ok("jpm.Jobs_Create", json=await world_a.job_body())
    customer_id = world_a.ids["crm:customers"]
    location_id = world_a.ids["crm:locations"]

    if other == "same app":
        b_creds = await _same_app_other_tenant(app, creds)
    elif other == "another app":
        b_creds = await make_creds(app.runtime)
    else:
        b_creds = await _same_tenant_production(app, creds)
    b = await connect(client, b_creds)

    # Not by id.
    for op, rid in (
        ("crm.Customers_Get", customer_id),
        ("crm.Locations_Get", location_id),
        ("jpm.Jobs_Get", job["id"]),
        ("jpm.Appointments_Get", job["firstAppointmentId"]),
    ):
        error = await b.fails(404, op, id=rid)
        assert error["data"] == {"id": str(rid)}
    # Not changed by id either: A's record is untouched.
    await b.fails(404, "crm.Customers_Update", id=customer_id, json={"name": "Taken"})
    await b.fails(404, "jpm.Jobs_Cancel", id=job["id"], json={"reasonId": 1, "memo": "x"})
    assert (await a.ok("crm.Customers_Get", id=customer_id))["name"] != "Taken"
    assert (await a.ok("jpm.Jobs_Get", id=job["id"]))["jobStatus"] == "Scheduled"

    # Not listed, not even when asked for by id.
    for op in ("crm.Customers_GetList", "crm.Locations_GetList", "jpm.Jobs_GetList"):
        assert (await b.ok(op))["data"] == []
        assert (await b.ok(op, params={"ids": str(customer_id)}))["data"] == []
    assert (await b.ok("jpm.Appointments_GetList", params={"jobId": job["id"]}))["data"] == []

    # Not exported.
    for op in ("crm.ExportCustomers_GetCustomers", "jpm.Export_Jobs", "jpm.Export_Appointments"):
        assert await _all_exported(b, op) == []
    assert customer_id in await _all_exported(a, "crm.ExportCustomers_GetCustomers")

    # Not referenced: a body naming A's records is a 400 naming the field.
    body = await World(b, app).body("crm.Locations_Create")
    body["customerId"] = customer_id
    error = await b.fails(400, "crm.Locations_Create", json=body)
    assert list(error["errors"]) == ["customerId"]
    world_b = World(b, app)
    job_body = await world_b.job_body()
    job_body["customerId"] = customer_id
    error = await b.fails(400, "jpm.Jobs_Create", json=job_body)
    assert "customerId" in error["errors"]
    job_body = await world_b.job_body(locationId=location_id)
    error = await b.fails(400, "jpm.Jobs_Create", json=job_body)
    assert "locationId" in error["errors"]
    # And nothing of B's leaked into A.
    assert [c["id"] for c in (await a.ok("crm.Customers_GetList"))["data"]] == [customer_id]


async def test_export_token_of_one_tenant_shows_nothing_of_it_to_another(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    a = await connect(client, creds)
    await World(a, app).ref("crm:customers")
    first = await a.ok("crm.ExportCustomers_GetCustomers")
    b = await connect(client, await make_creds(app.runtime))
    # A token is bound to the feed that issued it: another tenant's feed refuses it.
    body = await b.fails(
        400, "crm.ExportCustomers_GetCustomers", params={"from": first["continueFrom"]}
    )
    assert "from" in body["errors"]
