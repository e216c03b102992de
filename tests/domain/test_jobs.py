"""Job planning as a dispatcher's integration sees it: booking a job with its appointments,
cancelling and restoring it, and what can be done to an appointment."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect, insert, parse_z, response_schema, type_problems

from conftest import Creds
from localtitan.app import LocalTitan

T10 = "2024-05-01T10:00:00Z"
T12 = "2024-05-01T12:00:00Z"


async def _setup(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> tuple[Api, World]:
    api = await connect(client, creds)
    return api, World(api, app)


async def _appointments(api: Api, job_id: Any) -> list[dict[str, Any]]:
    body = await api.ok("jpm.Appointments_GetList", params={"jobId": job_id, "active": "Any"})
    return list(body["data"])


async def _history(api: Api, job_id: Any) -> list[str]:
    body = await api.ok("jpm.Jobs_GetHistory", id=job_id)
    return [h["eventType"] for h in body["history"]]


async def test_booking_a_job_makes_its_appointments(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api, world = await _setup(client, creds, app)
    tech = await world.ref("settings:technicians")
    body = await world.job_body(priority="High", summary="No heat upstairs")
    body["appointments"] = [
        {"start": T10, "end": T12, "arrivalWindowStart": T10, "arrivalWindowEnd": T12},
        {
            "start": "2024-05-02T08:00:00Z",
            "end": "2024-05-02T09:30:00Z",
            "technicianIds": [tech],
        },
    ]
    job = await api.ok("jpm.Jobs_Create", json=body)
    assert not type_problems(response_schema(api_op("jpm.Jobs_Create")), job)
    for name in ("customerId", "locationId", "businessUnitId", "jobTypeId", "campaignId"):
        assert job[name] == body[name], name
    assert job["jobStatus"] == "Scheduled"
    assert job["priority"] == "High" and job["summary"] == "No heat upstairs"
    assert job["appointmentCount"] == 2
    assert job["jobNumber"]
    assert await api.ok("jpm.Jobs_Get", id=job["id"]) == job

    appointments = await _appointments(api, job["id"])
    assert [a["id"] for a in appointments] == [job["firstAppointmentId"], job["lastAppointmentId"]]
    first, second = appointments
    assert same(first["start"], T10) and same(first["end"], T12)
    assert same(first["arrivalWindowStart"], T10) and same(first["arrivalWindowEnd"], T12)
    assert same(second["start"], "2024-05-02T08:00:00Z")
    for appt in appointments:
        assert appt["jobId"] == job["id"] and appt["customerId"] == body["customerId"]
        assert appt["status"] == "Scheduled" and appt["isConfirmed"] is False
    assert first["appointmentNumber"] != second["appointmentNumber"]

    assigned = await api.ok(
        "dispatch.AppointmentAssignments_GetList", params={"appointmentIds": str(second["id"])}
    )
    assert [(a["technicianId"], a["jobId"]) for a in assigned["data"]] == [(tech, job["id"])]
    assert await _history(api, job["id"]) == ["Job Booked"]
    exported = await api.ok("jpm.Export_Jobs")
    assert [j["id"] for j in exported["data"]] == [job["id"]]


async def test_booking_rejects_what_does_not_fit(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api, world = await _setup(client, creds, app)
    body = await world.job_body()
    # A location of another customer.
    other = await api.ok("crm.Customers_Create", json=await world.body("crm.Customers_Create"))
    error = await api.fails(
        400, "jpm.Jobs_Create", json={**body, "locationId": other["locations"][0]["id"]}
    )
    assert "locationId" in error["errors"]
    error = await api.fails(400, "jpm.Jobs_Create", json={**body, "appointments": []})
    assert "appointments" in error["errors"]
    backwards = [{"start": T12, "end": T10}]
    error = await api.fails(400, "jpm.Jobs_Create", json={**body, "appointments": backwards})
    assert "appointments[0].end" in error["errors"]
    error = await api.fails(400, "jpm.Jobs_Create", json={**body, "jobTypeId": 1})
    assert "jobTypeId" in error["errors"]
    missing = {k: v for k, v in body.items() if k != "campaignId"}
    error = await api.fails(400, "jpm.Jobs_Create", json=missing)
    assert "campaignId" in error["errors"]
    # Nothing was half made.
    assert (await api.ok("jpm.Jobs_GetList"))["data"] == []
    assert (await api.ok("jpm.Appointments_GetList"))["data"] == []


async def test_cancel_and_restore(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api, world = await _setup(client, creds, app)
    body = await world.job_body()
    body["appointments"] = body["appointments"] * 2
    job = await api.ok("jpm.Jobs_Create", json=body)
    jid = job["id"]
    moved = await world.ref("jpm:job-cancel-reasons")

    await api.ok(
        "jpm.Jobs_Cancel", id=jid, json={"reasonId": moved, "memo": "Customer sold the house"}
    )
    shown = await api.ok("jpm.Jobs_Get", id=jid)
    assert shown["jobStatus"] == "Canceled"
    assert shown["modifiedOn"] > job["modifiedOn"]
    assert {a["status"] for a in await _appointments(api, jid)} == {"Canceled"}
    logs = await api.ok("jpm.Jobs_GetJobCanceledLogs", id=jid)
    assert [(g["jobId"], g["reasonId"], g["memo"]) for g in logs["data"]] == [
        (jid, moved, "Customer sold the house")
    ]
    exported = await api.ok("jpm.Export_JobCancelReasons")
    assert [g["jobId"] for g in exported["data"]] == [jid]
    assert await _history(api, jid) == ["Job Booked", "Job Canceled"]
    feed = await api.ok("jpm.Export_JobHistory")
    assert [(h["jobId"], [e["eventType"] for e in h["history"]]) for h in feed["data"]] == [
        (jid, ["Job Booked", "Job Canceled"])
    ]
    # The appointments changed, but were still created before the cancellation.
    before = await api.ok(
        "jpm.Appointments_GetList", params={"createdBefore": shown["modifiedOn"], "active": "Any"}
    )
    assert len(before["data"]) == 2
    # Twice is a conflict, and changes nothing.
    await api.fails(409, "jpm.Jobs_Cancel", id=jid, json={"reasonId": moved, "memo": "again"})
    assert len((await api.ok("jpm.Jobs_GetJobCanceledLogs", id=jid))["data"]) == 1

    await api.ok("jpm.Jobs_RemoveCancellation", id=jid)
    assert (await api.ok("jpm.Jobs_Get", id=jid))["jobStatus"] == "Scheduled"
    assert {a["status"] for a in await _appointments(api, jid)} == {"Scheduled"}
    assert await _history(api, jid) == ["Job Booked", "Job Canceled", "Job Cancellation Removed"]
    await api.fails(409, "jpm.Jobs_RemoveCancellation", id=jid)
    await api.fails(404, "jpm.Jobs_Cancel", id=1, json={"reasonId": moved, "memo": "x"})


async def test_a_completed_job_cannot_be_canceled(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api, world = await _setup(client, creds, app)
    customer = await world.ref("crm:customers")
    done = await insert(
        app, creds, "jpm:jobs", [{"customerId": customer, "jobStatus": "Completed"}]
    )
    jid = done[0]["id"]
    error = await api.fails(409, "jpm.Jobs_Cancel", id=jid, json={"reasonId": 1, "memo": "late"})
    assert "Completed" in error["title"]
    assert (await api.ok("jpm.Jobs_Get", id=jid))["jobStatus"] == "Completed"
    await api.fails(409, "jpm.Jobs_RemoveCancellation", id=jid)
    appt = {"jobId": jid, "start": T10, "end": T12}
    await api.fails(409, "jpm.Appointments_Add", json=appt)


async def test_appointment_hold_confirm_and_reschedule(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api, world = await _setup(client, creds, app)
    job = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    aid = job["firstAppointmentId"]

    async def appointment() -> dict[str, Any]:
        return dict(await api.ok("jpm.Appointments_Get", id=aid))

    parts = await world.ref("jpm:job-hold-reasons")
    await api.ok("jpm.Appointments_Hold", id=aid, json={"reasonId": parts, "memo": "Parts"})
    assert (await appointment())["status"] == "Hold"
    await api.ok("jpm.Appointments_RemoveHold", id=aid)
    assert (await appointment())["status"] == "Scheduled"
    await api.fails(409, "jpm.Appointments_RemoveHold", id=aid)

    await api.ok("jpm.Appointments_Confirm", id=aid)
    assert (await appointment())["isConfirmed"] is True
    await api.ok("jpm.Appointments_RemoveConfirmation", id=aid)
    assert (await appointment())["isConfirmed"] is False

    moved = await api.ok(
        "jpm.Appointments_Reschedule",
        id=aid,
        json={"start": "2024-06-03T13:00:00Z", "end": "2024-06-03T15:00:00Z"},
    )
    assert same(moved["start"], "2024-06-03T13:00:00Z")
    assert same(moved["end"], "2024-06-03T15:00:00Z")
    assert await appointment() == moved
    error = await api.fails(
        400,
        "jpm.Appointments_Reschedule",
        id=aid,
        json={"start": "2024-06-03T15:00:00Z", "end": "2024-06-03T13:00:00Z"},
    )
    assert "end" in error["errors"]
    assert same((await appointment())["start"], "2024-06-03T13:00:00Z")
    await api.fails(400, "jpm.Appointments_Reschedule", id=aid, json={"start": "soon", "end": T12})

    # A second visit, then the job is canceled: its appointments can no longer change.
    extra = await api.ok(
        "jpm.Appointments_Add", json={"jobId": job["id"], "start": T10, "end": T12}
    )
    assert extra["jobId"] == job["id"] and extra["status"] == "Scheduled"
    assert (await api.ok("jpm.Jobs_Get", id=job["id"]))["appointmentCount"] == 2
    canceled = await world.ref("jpm:job-cancel-reasons")
    await api.ok("jpm.Jobs_Cancel", id=job["id"], json={"reasonId": canceled, "memo": "x"})
    await api.fails(409, "jpm.Appointments_Hold", id=aid, json={"reasonId": parts, "memo": "x"})
    await api.fails(409, "jpm.Appointments_Reschedule", id=aid, json={"start": T10, "end": T12})
    await api.fails(
        409, "jpm.Appointments_Add", json={"jobId": job["id"], "start": T10, "end": T12}
    )
    await api.fails(404, "jpm.Appointments_Confirm", id=1)


def same(shown: str, sent: str) -> bool:
    """The same instant (a timestamp may come back with more fractional digits)."""
    return bool(parse_z(shown) == parse_z(sent))


def api_op(op_id: str) -> Any:
    from domain_kit import operation

    return operation(op_id)


async def test_jobs_and_appointments_by_technician_and_appointment_status(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api, world = await _setup(client, creds, app)
    alice = await world.ref("settings:technicians")
    (bob_record,) = await insert(app, api.creds, "settings:technicians", [{"name": "Bob"}])
    bob = bob_record["id"]
    body = await world.job_body()
    body["appointments"] = [{"start": T10, "end": T12, "technicianIds": [alice]}]
    alice_job = await api.ok("jpm.Jobs_Create", json=body)
    body = await world.job_body()
    body["appointments"] = [{"start": T10, "end": T12, "technicianIds": [bob]}]
    bob_job = await api.ok("jpm.Jobs_Create", json=body)

    def ids(page: Any) -> list[Any]:
        return [r["id"] for r in page["data"]]

    assert ids(await api.ok("jpm.Jobs_GetList", params={"technicianId": alice})) == [
        alice_job["id"]
    ]
    assert ids(await api.ok("jpm.Appointments_GetList", params={"technicianId": bob})) == [
        bob_job["firstAppointmentId"]
    ]
    hold = {"reasonId": await world.ref("jpm:job-hold-reasons"), "memo": "waiting for parts"}
    await api.ok("jpm.Appointments_Hold", id=bob_job["firstAppointmentId"], json=hold)
    held = await api.ok("jpm.Jobs_GetList", params={"appointmentStatus": "Hold"})
    assert ids(held) == [bob_job["id"]]
