"""Capacity as a booking site sees it: the arrival windows of the days asked for, with the
hours the business unit's technicians have left in each, from the tenant's own settings,
shifts and bookings."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect, insert, parse_z, response_schema, type_problems

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.spec import load_manifest

# Monday 3 June 2024; the tenant's wall clock (US Central) is UTC-5 that day.
DAY = {"startsOnOrAfter": "2024-06-03T00:00:00Z", "endsOnOrBefore": "2024-06-04T00:00:00Z"}
CAPACITY = "dispatch.Capacity_GetList"


async def _capacity(api: Api, **body: Any) -> list[dict[str, Any]]:
    answer = await api.ok(CAPACITY, json={**DAY, "skillBasedAvailability": False, **body})
    assert not type_problems(response_schema(load_manifest().by_id[CAPACITY]), answer)
    return list(answer["availabilities"])


def _when(availability: dict[str, Any]) -> tuple[str, str, str, str]:
    return tuple(  # type: ignore[return-value]
        parse_z(availability[k]).strftime("%H:%M") for k in ("start", "end", "startUtc", "endUtc")
    )


def _techs(availability: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {t["name"]: (t["status"], t["hasRequiredSkills"]) for t in availability["technicians"]}


async def _setup(api: Api, world: World, app: LocalTitan, creds: Creds) -> dict[str, Any]:
    """Two business units: HVAC (windows 8-10 and 10-12, Ann with the furnace skill and a
    shift, Bob on business hours) and plumbing (a 9-12 window, Cy with an hour off)."""
    hvac, plumbing = (
        r["id"]
        for r in await insert(
            app, creds, "settings:business-units", [{"name": "HVAC"}, {"name": "Plumbing"}]
        )
    )
    await api.ok(
        "dispatch.BusinessHour_Create",
        json={"weekdays": [{"fromHour": 8, "toHour": 12}], "saturday": [], "sunday": []},
    )
    for start, length, unit in (("08:00", "02:00", hvac), ("10:00", "02:00", hvac)):
        await api.ok(
            "dispatch.ArrivalWindows_Create",
            json={"start": start, "duration": length, "businessUnitIds": [unit]},
        )
    await api.ok(
        "dispatch.ArrivalWindows_Create",
        json={"start": "09:00", "duration": "03:00", "businessUnitIds": [plumbing]},
    )
    ann, bob, cy = (
        r["id"]
        for r in await insert(
            app,
            creds,
            "settings:technicians",
            [
                {"name": "Ann", "businessUnitId": hvac},
                {"name": "Bob", "businessUnitId": hvac},
                {"name": "Cy", "businessUnitId": plumbing},
            ],
        )
    )
    await api.ok(
        "dispatch.TechnicianSkills_CreateTechnicianSkill",
        json={"technicianId": ann, "name": "Furnace", "active": True},
    )
    furnace = await api.ok(
        "jpm.JobTypes_Create",
        json={
            "name": "No heat",
            "businessUnitIds": [hvac],
            "duration": 3600,
            "skills": ["Furnace"],
        },
    )
    shift = {"shiftType": "Normal", "title": "Day", "repeatType": "Never"}
    await api.ok(
        "dispatch.TechnicianShifts_Create",
        json={
            **shift,
            "technicianIds": [ann],
            "start": "2024-06-03T13:00:00Z",
            "end": "2024-06-03T17:00:00Z",
        },
    )
    await api.ok(
        "dispatch.TechnicianShifts_Create",
        json={
            **shift,
            "shiftType": "TimeOff",
            "technicianIds": [cy],
            "start": "2024-06-03T14:00:00Z",
            "end": "2024-06-03T15:00:00Z",
        },
    )
    await api.ok(
        "dispatch.NonJobAppointments_Create",
        json={
            "technicianId": bob,
            "name": "Training",
            "start": "2024-06-03T15:00:00Z",
            "duration": "01:00:00",
            "removeTechnicianFromCapacityPlanning": True,
        },
    )
    # Ann is booked 8-9 local on an HVAC job.
    body = await world.job_body(businessUnitId=hvac, jobTypeId=furnace["id"])
    body["appointments"] = [
        {"start": "2024-06-03T13:00:00Z", "end": "2024-06-03T14:00:00Z", "technicianIds": [ann]}
    ]
    await api.ok("jpm.Jobs_Create", json=body)
    return {"hvac": hvac, "plumbing": plumbing, "furnace": furnace["id"]}


async def test_capacity_comes_from_the_tenants_schedule(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    made = await _setup(api, world, app, creds)
    hvac, plumbing, furnace = made["hvac"], made["plumbing"], made["furnace"]

    # Skill-based: only Ann has the job type's skill; her 8-9 booking leaves an hour at 8-10.
    early, late = await _capacity(
        api, businessUnitIds=[hvac], jobTypeId=furnace, skillBasedAvailability=True
    )
    assert _when(early) == ("08:00", "10:00", "13:00", "15:00")
    assert _when(late) == ("10:00", "12:00", "15:00", "17:00")
    assert early["businessUnitIds"] == [hvac]
    assert (early["totalAvailability"], early["openAvailability"]) == (2, 1)
    assert (late["totalAvailability"], late["openAvailability"]) == (2, 2)
    assert _techs(early) == {"Ann": ("Available", True), "Bob": ("Unavailable", False)}
    assert early["isAvailable"] and late["isAvailable"]
    assert not early["isExceedingIdealBookingPercentage"]

    # Not skill-based: Bob counts too (business hours, less his hour of training at 10).
    early, late = await _capacity(api, businessUnitIds=[hvac], jobTypeId=furnace)
    assert (early["totalAvailability"], early["openAvailability"]) == (4, 3)
    assert (late["totalAvailability"], late["openAvailability"]) == (3, 3)
    assert _techs(late) == {"Ann": ("Available", True), "Bob": ("Available", False)}

    # The job type alone names its business unit.
    assert len(await _capacity(api, jobTypeId=furnace)) == 2

    # Plumbing: one 9-12 window, Cy off 9-10; no job type, so no skills to have.
    (only,) = await _capacity(api, businessUnitIds=[plumbing])
    assert _when(only) == ("09:00", "12:00", "14:00", "17:00")
    assert (only["totalAvailability"], only["openAvailability"]) == (2, 2)
    assert _techs(only) == {"Cy": ("Available", None)}

    # Both units: each window with the unit it serves, in time order.
    both = await _capacity(api, businessUnitIds=[hvac, plumbing])
    assert [(_when(a)[0], a["businessUnitIds"]) for a in both] == [
        ("08:00", [hvac]),
        ("09:00", [plumbing]),
        ("10:00", [hvac]),
    ]

    # Only frames wholly inside the range asked for.
    narrow = await _capacity(
        api,
        businessUnitIds=[hvac],
        startsOnOrAfter="2024-06-03T14:00:00Z",
        endsOnOrBefore="2024-06-03T17:00:00Z",
    )
    assert [_when(a)[0] for a in narrow] == ["10:00"]
    # No business hours on Sunday.
    sunday = {"startsOnOrAfter": "2024-06-02T05:00:00Z", "endsOnOrBefore": "2024-06-03T05:00:00Z"}
    assert await _capacity(api, businessUnitIds=[hvac], **sunday) == []

    # Booking the rest of the early window fills it.
    body = await world.job_body(businessUnitId=hvac, jobTypeId=furnace)
    body["appointments"] = [{"start": "2024-06-03T14:00:00Z", "end": "2024-06-03T15:00:00Z"}]
    await api.ok("jpm.Jobs_Create", json=body)
    early, _ = await _capacity(
        api, businessUnitIds=[hvac], jobTypeId=furnace, skillBasedAvailability=True
    )
    assert early["openAvailability"] == 0 and not early["isAvailable"]
    assert early["isExceedingIdealBookingPercentage"]

    # A skill of Bob's made for this job type qualifies him, whatever its name.
    bob = next(t["id"] for t in late["technicians"] if t["name"] == "Bob")
    await insert(
        app,
        creds,
        "dispatch:technician-skills",
        [{"name": "Ducts", "technicianId": bob, "jobTypeIds": [furnace]}],
    )
    _, late = await _capacity(
        api, businessUnitIds=[hvac], jobTypeId=furnace, skillBasedAvailability=True
    )
    assert (late["totalAvailability"], late["openAvailability"]) == (3, 3)
    assert _techs(late) == {"Ann": ("Available", True), "Bob": ("Available", True)}


async def test_capacity_of_a_tenant_with_no_settings(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    assert await api.ok("dispatch.BusinessHour_GetList") == {
        "weekdays": [{"fromHour": 8, "toHour": 17}],
        "saturday": [{"fromHour": 9, "toHour": 13}],
        "sunday": [],
    }
    assert await _capacity(api) != []
    await insert(app, creds, "settings:technicians", [{"name": "Ann"}])
    # Saturday 8 June: business hours 9-13, two-hour windows.
    saturday = {"startsOnOrAfter": "2024-06-08T00:00:00Z", "endsOnOrBefore": "2024-06-09T00:00:00Z"}
    frames = await _capacity(api, **saturday)
    assert [_when(a) for a in frames] == [
        ("09:00", "11:00", "14:00", "16:00"),
        ("11:00", "13:00", "16:00", "18:00"),
    ]
    assert [(a["totalAvailability"], a["businessUnitIds"]) for a in frames] == [(2, []), (2, [])]
    hours = {"weekdays": [{"fromHour": 7, "toHour": 15}], "saturday": [], "sunday": []}
    await api.ok("dispatch.BusinessHour_Create", json=hours)
    assert await api.ok("dispatch.BusinessHour_GetList") == hours
    assert await _capacity(api, **saturday) == []
    for bad in (
        {"fromHour": 9, "toHour": 9},
        {"fromHour": 20, "toHour": 25},
        {"fromHour": -1, "toHour": 3},
    ):
        error = await api.fails(
            400, "dispatch.BusinessHour_Create", json={**hours, "saturday": [bad]}
        )
        assert list(error["errors"]) == ["saturday[0]"]
    overlapping = [{"fromHour": 8, "toHour": 12}, {"fromHour": 11, "toHour": 14}]
    error = await api.fails(
        400, "dispatch.BusinessHour_Create", json={**hours, "weekdays": overlapping}
    )
    assert list(error["errors"]) == ["weekdays[1]"]
    assert await api.ok("dispatch.BusinessHour_GetList") == hours


async def test_capacity_refuses_what_it_cannot_answer(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    base = {**DAY, "skillBasedAvailability": True}
    error = await api.fails(400, CAPACITY, json={**base, "jobTypeId": 999999})
    assert list(error["errors"]) == ["jobTypeId"]
    error = await api.fails(400, CAPACITY, json={**base, "businessUnitIds": [999999]})
    assert list(error["errors"]) == ["businessUnitIds[0]"]
    error = await api.fails(400, CAPACITY, json={**base, "endsOnOrBefore": "2024-08-01T00:00:00Z"})
    assert list(error["errors"]) == ["endsOnOrBefore"]
    error = await api.fails(400, CAPACITY, json={**base, "endsOnOrBefore": "2024-06-02T00:00:00Z"})
    assert list(error["errors"]) == ["endsOnOrBefore"]
    # At the edge of the calendar there is nothing to book, and no error either.
    edge = {"startsOnOrAfter": "0001-01-01T00:00:00Z", "endsOnOrBefore": "0001-01-02T00:00:00Z"}
    assert await _capacity(api, **edge) == []


async def test_arrival_windows_are_checked_and_keep_their_state(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    (unit,) = (r["id"] for r in await insert(app, creds, "settings:business-units", [{}]))
    good = {"start": "08:00", "duration": "02:00", "businessUnitIds": [unit]}
    made = await api.ok("dispatch.ArrivalWindows_Create", json=good)
    assert made["businessUnitIds"] == [unit] and made["active"] is True
    for field, value in (
        ("start", "1.02:00:00"),
        ("duration", "00:00"),
        ("duration", "2.00:00:00"),
        ("businessUnitIds", [unit, 999999]),
    ):
        error = await api.fails(400, "dispatch.ArrivalWindows_Create", json={**good, field: value})
        wanted = "businessUnitIds[1]" if field == "businessUnitIds" else field
        assert list(error["errors"]) == [wanted]
        error = await api.fails(
            400, "dispatch.ArrivalWindows_Update", id=made["id"], json={**good, field: value}
        )
        assert list(error["errors"]) == [wanted]
    moved = await api.ok(
        "dispatch.ArrivalWindows_Update", id=made["id"], json={**good, "start": "09:30"}
    )
    assert moved["start"].startswith("09:30")
    assert moved["active"] is True
    listed = await api.ok("dispatch.ArrivalWindows_GetList")
    assert [w["id"] for w in listed["data"]] == [made["id"]]
    # A window made inactive stays so through an update, and capacity leaves it out.
    await api.ok("dispatch.ArrivalWindows_Activated", id=made["id"], json={"isActive": False})
    moved = await api.ok("dispatch.ArrivalWindows_Update", id=made["id"], json=good)
    assert moved["active"] is False
    frames = await _capacity(api, businessUnitIds=[unit])
    assert [_when(a)[0] for a in frames] == ["08:00", "10:00", "12:00", "14:00"]
