"""Dispatch: assigning and unassigning technicians, technician shifts."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

ASSIGN = "dispatch.AppointmentAssignments_AssignTechnicians"
UNASSIGN = "dispatch.AppointmentAssignments_UnassignTechnicians"
ASSIGNMENTS = "dispatch.AppointmentAssignments_GetList"


async def _assigned(api: Api, appointment: Any, active: str = "True") -> list[Any]:
    body = await api.ok(ASSIGNMENTS, params={"appointmentIds": str(appointment), "active": active})
    return [a["technicianId"] for a in body["data"]]


async def test_assign_and_unassign_technicians(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    techs = await insert(app, creds, "settings:technicians", [{"name": "Ann"}, {"name": "Bo"}])
    ann, bo = (t["id"] for t in techs)
    job = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    appt = job["firstAppointmentId"]

    shown = await api.ok(ASSIGN, json={"jobAppointmentId": appt, "technicianIds": [ann, bo]})
    assert shown["id"] == appt
    assert await _assigned(api, appt) == [ann, bo]
    listed = await api.ok(ASSIGNMENTS, params={"jobId": job["id"]})
    assert [(a["technicianName"], a["appointmentId"]) for a in listed["data"]] == [
        ("Ann", appt),
        ("Bo", appt),
    ]
    # Assigning again adds nobody twice.
    await api.ok(ASSIGN, json={"jobAppointmentId": appt, "technicianIds": [ann]})
    assert await _assigned(api, appt) == [ann, bo]

    await api.ok(UNASSIGN, json={"jobAppointmentId": appt, "technicianIds": [ann]})
    assert await _assigned(api, appt) == [bo]
    assert await _assigned(api, appt, active="False") == [ann]
    # The feed reports the unassignment.
    exported = await api.ok("dispatch.Export_AppointmentAssignments", params={"active": "Any"})
    assert {(a["technicianId"], a["active"]) for a in exported["data"]} == {
        (ann, False),
        (bo, True),
    }
    # Unassigning someone not assigned changes nothing; assigning again makes a new one.
    await api.ok(UNASSIGN, json={"jobAppointmentId": appt, "technicianIds": [ann]})
    await api.ok(ASSIGN, json={"jobAppointmentId": appt, "technicianIds": [ann]})
    assert sorted(await _assigned(api, appt)) == sorted([ann, bo])

    error = await api.fails(400, ASSIGN, json={"jobAppointmentId": appt, "technicianIds": [bo, 1]})
    assert "technicianIds[1]" in error["errors"]
    error = await api.fails(400, ASSIGN, json={"jobAppointmentId": 1, "technicianIds": [ann]})
    assert "jobAppointmentId" in error["errors"]
    error = await api.fails(400, ASSIGN, json={"jobAppointmentId": appt, "technicianIds": []})
    assert "technicianIds" in error["errors"]


async def test_technician_shifts(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    techs = await insert(app, creds, "settings:technicians", [{"name": "Ann"}, {"name": "Bo"}])
    ann, bo = (t["id"] for t in techs)
    body = {
        "technicianIds": [ann, bo],
        "shiftType": "Normal",
        "title": "Morning",
        "start": "2024-05-06T08:00:00Z",
        "end": "2024-05-06T12:00:00Z",
        "repeatType": "Daily",
        "repeatEndDate": "2024-05-08T00:00:00Z",
    }
    made = await api.ok("dispatch.TechnicianShifts_Create", json=body)
    assert made["created"] is True
    shifts = made["technicianShifts"]
    assert len(shifts) == 6
    assert {(s["technicianId"], s["start"][:10]) for s in shifts} == {
        (t, f"2024-05-0{d}") for t in (ann, bo) for d in (6, 7, 8)
    }
    shown = await api.ok("dispatch.TechnicianShifts_Get", id=shifts[0]["id"])
    assert shown["title"] == "Morning" and shown["technicianId"] == ann
    listed = await api.ok("dispatch.TechnicianShifts_GetList")
    assert len(listed["data"]) == 6

    once = {**body, "technicianIds": [ann], "repeatType": "Never", "title": "Evening"}
    assert (
        len((await api.ok("dispatch.TechnicianShifts_Create", json=once))["technicianShifts"]) == 1
    )
    error = await api.fails(
        400, "dispatch.TechnicianShifts_Create", json={**once, "end": "2024-05-06T07:00:00Z"}
    )
    assert "end" in error["errors"]
    error = await api.fails(
        400, "dispatch.TechnicianShifts_Create", json={**once, "technicianIds": [ann, 1]}
    )
    assert "technicianIds[1]" in error["errors"]
    error = await api.fails(
        400, "dispatch.TechnicianShifts_Create", json={**body, "repeatEndDate": None}
    )
    assert "repeatEndDate" in error["errors"]

    # Deleting a day's shifts.
    deleted = await api.ok(
        "dispatch.TechnicianShifts_BulkDelete",
        json={"start": "2024-05-07T00:00:00Z", "end": "2024-05-08T00:00:00Z"},
    )
    assert len(deleted["deletedIds"]) == 2
    remaining = await api.ok("dispatch.TechnicianShifts_GetList", params={"pageSize": 100})
    assert len(remaining["data"]) == 5
    assert not {s["id"] for s in remaining["data"]} & set(deleted["deletedIds"])


async def test_arrival_window_configuration(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    get, put = (
        "dispatch.ArrivalWindows_GetConfiguration",
        "dispatch.ArrivalWindows_UpdatedConfiguration",
    )
    assert await api.ok(get) == {"configuration": "StartTimeOfArrivalWindow"}
    changed = await api.ok(put, json={"configuration": "EndTimeOfArrivalWindow"})
    assert changed == {"configuration": "EndTimeOfArrivalWindow"}
    assert await api.ok(get) == {"configuration": "EndTimeOfArrivalWindow"}
    await api.fails(400, put, json={"configuration": "Ranged"})
