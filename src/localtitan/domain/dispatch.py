"""Dispatch: assigning technicians to appointments, skills, shifts and arrival windows
(capacity: ``capacity.py``, business hours: ``business_hours.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from localtitan.handling import Tx, bad_request, reading, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import format_time, parse_time
from localtitan.store.unit_records import first_id

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

ASSIGNMENTS = "dispatch:appointment-assignments"
APPOINTMENTS = "jpm:appointments"
SHIFTS = "dispatch:technician-shifts"


def _body(call: Call) -> Mapping[str, Any]:
    return call.body if isinstance(call.body, Mapping) else {}


@register(
    "dispatch.AppointmentAssignments_AssignTechnicians",
    "dispatch.AppointmentAssignments_UnassignTechnicians",
)
async def assign(call: Call) -> Result:
    body = _body(call)
    assigning = call.operation.operation_id.endswith("_AssignTechnicians")
    tech_ids = list(dict.fromkeys(body.get("technicianIds") or []))
    if not tech_ids:
        raise bad_request("technicianIds", "Name at least one technician.")

    async def work(tx: Tx) -> Result:
        # Ids in a body that name nothing are a 400 naming the field (404 is for paths).
        appt = await tx.find(APPOINTMENTS, body.get("jobAppointmentId"))
        if appt is None:
            raise bad_request(
                "jobAppointmentId",
                f"Appointment with ID {body.get('jobAppointmentId')} was not found.",
            )
        current = [
            a
            for a in await tx.children(ASSIGNMENTS)
            if a.data.get("appointmentId") == appt.id and a.active
        ]
        by_tech = {a.data.get("technicianId"): a for a in current}
        for i, tech_id in enumerate(tech_ids):
            tech = await tx.find("settings:technicians", tech_id)
            if tech is None:
                raise bad_request(
                    f"technicianIds[{i}]", f"Technician with ID {tech_id} was not found."
                )
            if assigning and tech_id not in by_tech:
                await tx.create(
                    ASSIGNMENTS,
                    {
                        "technicianId": tech_id,
                        "technicianName": tech.data.get("name"),
                        "assignedById": call.app_id,
                        "assignedOn": format_time(tx.now),
                        "status": appt.data.get("status", "Scheduled"),
                        "isPaused": False,
                        "jobId": appt.data.get("jobId"),
                        "appointmentId": appt.id,
                    },
                )
            elif not assigning and tech_id in by_tech:
                rec = by_tech[tech_id]
                rec.active = False
                rec.data["active"] = False
                await tx.save(rec)
        return respond(call, appt.data)

    return await transaction(call, work)


@register("dispatch.TechnicianSkills_AssignTechnicianSkills")
async def assign_skills(call: Call) -> Result:
    body = _body(call)

    async def work(tx: Tx) -> Result:
        tech = await tx.get("settings:technicians", body.get("technicianId"), "Technician")
        skills = [] if body.get("replaceExistingSkills") else list(tech.data.get("skillIds") or [])
        for skill in body.get("skillIds") or []:
            if skill not in skills:
                skills.append(skill)
        tech.data["skillIds"] = skills
        await tx.save(tech)
        return respond(
            call,
            {
                "updated": True,
                "technicianSkills": [{"technicianId": tech.id, "skillId": s} for s in skills],
            },
        )

    return await transaction(call, work)


_REPEAT_DAYS = {"Daily": 1, "Weekly": 7}
_MAX_SHIFTS = 1000


@register("dispatch.TechnicianShifts_Create")
async def create_shifts(call: Call) -> Result:
    """One shift per technician and occurrence (``repeatType`` Daily or Weekly every
    ``repeatInterval`` until ``repeatEndDate``); answers ``{created, technicianShifts}``."""
    body = _body(call)
    start, end = body.get("start"), body.get("end")
    if not isinstance(start, datetime) or not isinstance(end, datetime) or end <= start:
        raise bad_request("end", "The shift must end after it starts.")
    starts = [start]
    step_days = _REPEAT_DAYS.get(str(body.get("repeatType")))
    if step_days is not None:
        until = body.get("repeatEndDate")
        if not isinstance(until, datetime):
            raise bad_request("repeatEndDate", "A repeating shift needs a repeatEndDate.")
        interval = body.get("repeatInterval")
        step = timedelta(days=step_days * (interval if isinstance(interval, int) else 1))
        if step <= timedelta(0):
            raise bad_request("repeatInterval", "The repeat interval must be 1 or more.")
        # The end date is a day: a shift starting on it is still made.
        while (starts[-1] + step).date() <= until.date() and len(starts) < _MAX_SHIFTS:
            starts.append(starts[-1] + step)
    tech_ids = list(dict.fromkeys(body.get("technicianIds") or []))
    if not tech_ids:
        raise bad_request("technicianIds", "Name at least one technician.")
    if len(tech_ids) * len(starts) > _MAX_SHIFTS:
        raise bad_request("repeatEndDate", f"At most {_MAX_SHIFTS} shifts can be made at once.")

    async def work(tx: Tx) -> Result:
        made = []
        for i, tech_id in enumerate(tech_ids):
            if await tx.find("settings:technicians", tech_id) is None:
                raise bad_request(f"technicianIds[{i}]", f"Technician {tech_id} was not found.")
            for first in starts:
                rec = await tx.create(
                    SHIFTS,
                    {
                        "technicianId": tech_id,
                        "shiftType": body.get("shiftType"),
                        "title": body.get("title"),
                        "note": body.get("note"),
                        "timesheetCodeId": body.get("timesheetCodeId"),
                        "start": format_time(first),
                        "end": format_time(first + (end - start)),
                    },
                )
                made.append(rec.data)
        return respond(call, {"created": True, "technicianShifts": made})

    return await transaction(call, work)


@register("dispatch.TechnicianShifts_BulkDelete")
async def delete_shifts(call: Call) -> Result:
    body = _body(call)
    start, end = body.get("start"), body.get("end")
    if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        raise bad_request("end", "The end must be after the start.")

    async def work(tx: Tx) -> Result:
        deleted = []
        for shift in await tx.children("dispatch:technician-shifts"):
            try:
                s_start = parse_time(str(shift.data.get("start")))
            except ValueError:
                continue
            if isinstance(start, datetime) and isinstance(end, datetime) and start <= s_start < end:
                shift.deleted = True
                shift.active = False
                shift.data["active"] = False
                await tx.save(shift)
                deleted.append(shift.id)
        return respond(
            call, {"deletedIds": deleted, "message": f"{len(deleted)} shift(s) deleted."}
        )

    return await transaction(call, work)


@register(
    "dispatch.ArrivalWindows_GetConfiguration", "dispatch.ArrivalWindows_UpdatedConfiguration"
)
async def arrival_configuration(call: Call) -> Result:
    kind = "dispatch:arrival-windows/configuration"

    async def work(tx: Tx) -> Result:
        await tx.flush()
        row_id = await first_id(tx.session, tx.env, tx.tenant, kind)
        current = await tx.find(kind, row_id) if row_id is not None else None
        if call.operation.method == "POST":
            config = _body(call).get("configuration")
            if current is None:
                current = await tx.create(kind, {"configuration": config})
            else:
                current.data["configuration"] = config
                await tx.save(current)
        data = current.data if current else {"configuration": "StartTimeOfArrivalWindow"}
        return respond(call, {"configuration": data.get("configuration")})

    return await transaction(call, work)


@register("dispatch.TechnicianTracking_Get")
async def technician_tracking(call: Call) -> Result:
    return respond(
        call, {"technicianTrackingUrl": f"https://tracking.localtitan.invalid/{call.tenant_id}"}
    )


_DAY = timedelta(days=1)


@register("dispatch.ArrivalWindows_Create", "dispatch.ArrivalWindows_Update")
async def arrival_window(call: Call) -> Result:
    """A window starts within a day and lasts up to a day, for business units of the tenant;
    it is then stored as any record is. Capacity reads windows as (start, length)."""
    body = _body(call)
    start, length = body.get("start"), body.get("duration")
    if isinstance(start, timedelta) and not timedelta(0) <= start < _DAY:
        raise bad_request("start", "The window starts at a time of day (00:00 to 23:59).")
    if isinstance(length, timedelta) and not timedelta(0) < length <= _DAY:
        raise bad_request("duration", "The window lasts more than nothing and at most a day.")
    units = body.get("businessUnitIds")

    async with reading(call) as tx:
        for i, unit in enumerate(units if isinstance(units, list) else []):
            if await tx.find("settings:business-units", unit) is None:
                raise bad_request(
                    f"businessUnitIds[{i}]", f"Business unit with ID {unit} was not found."
                )
    handler = call.runtime.handlers.generic(call.operation)
    assert handler is not None
    return await handler(call)
