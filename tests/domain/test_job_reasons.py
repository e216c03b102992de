"""Cancel and hold reasons as a dispatcher's report sees them: a job canceled or put on hold
with a reason is listed with that reason by the per-job lookups."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect, insert, response_schema, type_problems

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.spec import load_manifest


async def _reason(app: LocalTitan, creds: Creds, kind: str, name: str, **extra: Any) -> int:
    return int((await insert(app, creds, kind, [{"name": name, **extra}]))[0]["id"])


def _schema(op_id: str) -> Any:
    return response_schema(load_manifest().by_id[op_id])


async def _lookup(api: Api, op_id: str, *job_ids: int) -> list[dict[str, Any]]:
    body = await api.ok(op_id, params={"ids": ",".join(str(j) for j in job_ids)})
    assert not type_problems(_schema(op_id), body)
    return list(body["data"])


async def test_a_canceled_job_reports_its_reason(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    moved = await _reason(app, creds, "jpm:job-cancel-reasons", "Customer moved")
    price = await _reason(app, creds, "jpm:job-cancel-reasons", "Too expensive")
    first = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    second = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    kept = await api.ok("jpm.Jobs_Create", json=await world.job_body())

    await api.ok("jpm.Jobs_Cancel", id=first["id"], json={"reasonId": moved, "memo": "Sold"})
    await api.ok("jpm.Jobs_Cancel", id=second["id"], json={"reasonId": moved, "memo": "a"})
    # Restored and canceled again: the latest cancellation is the one reported.
    await api.ok("jpm.Jobs_RemoveCancellation", id=second["id"])
    await api.ok("jpm.Jobs_Cancel", id=second["id"], json={"reasonId": price, "memo": "b"})

    found = await _lookup(
        api, "jpm.Jobs_GetCancelReasons", second["id"], first["id"], kept["id"], 999999
    )
    assert found == [
        {"jobId": first["id"], "reasonId": moved, "name": "Customer moved", "text": "Sold"},
        {"jobId": second["id"], "reasonId": price, "name": "Too expensive", "text": "b"},
    ]
    # A restored job is no longer canceled.
    await api.ok("jpm.Jobs_RemoveCancellation", id=first["id"])
    assert await _lookup(api, "jpm.Jobs_GetCancelReasons", first["id"]) == []

    # A reason that is not the tenant's (or no longer used) is refused, and nothing changes.
    retired = await _reason(app, creds, "jpm:job-cancel-reasons", "Old", active=False)
    for bad in (999999, retired):
        error = await api.fails(
            400, "jpm.Jobs_Cancel", id=kept["id"], json={"reasonId": bad, "memo": "x"}
        )
        assert list(error["errors"]) == ["reasonId"]
    assert (await api.ok("jpm.Jobs_Get", id=kept["id"]))["jobStatus"] == "Scheduled"
    error = await api.fails(400, "jpm.Jobs_GetCancelReasons", params={"ids": "one"})
    assert "ids" in error["errors"]
    many = ",".join(str(i) for i in range(1, 52))
    await api.fails(400, "jpm.Jobs_GetCancelReasons", params={"ids": many})


async def test_a_held_job_reports_its_appointments_reasons(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    parts = await _reason(app, creds, "jpm:job-hold-reasons", "Waiting for parts")
    access = await _reason(app, creds, "jpm:job-hold-reasons", "No access")
    body = await world.job_body()
    body["appointments"] = body["appointments"] * 2
    job = await api.ok("jpm.Jobs_Create", json=body)
    other = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    first, last = job["firstAppointmentId"], job["lastAppointmentId"]

    await api.ok("jpm.Appointments_Hold", id=first, json={"reasonId": parts, "memo": "Valve"})
    assert (await api.ok("jpm.Jobs_Get", id=job["id"]))["jobStatus"] == "Hold"
    await api.ok("jpm.Appointments_Hold", id=last, json={"reasonId": access, "memo": "Gate"})

    found = await _lookup(api, "jpm.Jobs_GetHoldReasons", job["id"], other["id"])
    assert found == [
        {
            "jobId": job["id"],
            "reasonId": access,
            "name": "No access",
            "text": "Gate",
            "appointmentHoldReasons": [
                {
                    "appointmentId": first,
                    "reasonId": parts,
                    "name": "Waiting for parts",
                    "text": "Valve",
                },
                {"appointmentId": last, "reasonId": access, "name": "No access", "text": "Gate"},
            ],
        }
    ]

    await api.ok("jpm.Appointments_RemoveHold", id=last)
    found = await _lookup(api, "jpm.Jobs_GetHoldReasons", job["id"])
    assert [(f["reasonId"], len(f["appointmentHoldReasons"])) for f in found] == [(parts, 1)]
    assert (await api.ok("jpm.Jobs_Get", id=job["id"]))["jobStatus"] == "Hold"
    await api.ok("jpm.Appointments_RemoveHold", id=first)
    assert await _lookup(api, "jpm.Jobs_GetHoldReasons", job["id"]) == []
    assert (await api.ok("jpm.Jobs_Get", id=job["id"]))["jobStatus"] == "Scheduled"

    error = await api.fails(
        400, "jpm.Appointments_Hold", id=first, json={"reasonId": 999999, "memo": "x"}
    )
    assert list(error["errors"]) == ["reasonId"]
    assert (await api.ok("jpm.Appointments_Get", id=first))["status"] == "Scheduled"

    # Canceling a held job ends its holds.
    await api.ok("jpm.Appointments_Hold", id=first, json={"reasonId": parts, "memo": "Valve"})
    moved = await _reason(app, creds, "jpm:job-cancel-reasons", "Customer moved")
    await api.ok("jpm.Jobs_Cancel", id=job["id"], json={"reasonId": moved, "memo": "Sold"})
    assert await _lookup(api, "jpm.Jobs_GetHoldReasons", job["id"]) == []
