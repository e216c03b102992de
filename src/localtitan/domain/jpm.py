"""Job planning: booking a job with its appointments, cancelling and restoring it, holds,
confirmations, rescheduling, and the job's history (the reasons: ``job_reasons.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localtitan.domain.job_reasons import (
    CANCEL_REASONS,
    HOLD_REASONS,
    clear_hold,
    reason,
    record_hold,
)
from localtitan.handling import (
    Tx,
    bad_request,
    conflict,
    empty,
    respond,
    transaction,
)
from localtitan.handling.call import Call, Result
from localtitan.handling.catalog import catalog_for
from localtitan.handling.references import check_references
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, format_time

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

JOBS = "jpm:jobs"
APPOINTMENTS = "jpm:appointments"
HISTORY = "jpm:jobs/{}/history"
CANCELED_LOGS = "jpm:jobs/{}/canceled-logs"
ASSIGNMENTS = "dispatch:appointment-assignments"
_DONE_JOB = ("Completed", "Canceled")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return format_time(value) if isinstance(value, datetime) else str(value)


def _window(appt: Mapping[str, Any], field: str) -> None:
    start, end = appt.get("start"), appt.get("end")
    if isinstance(start, datetime) and isinstance(end, datetime) and end <= start:
        raise bad_request(field, "The appointment must end after it starts.")


async def _history(tx: Tx, job_id: int, event: str, **extra: Any) -> None:
    """Append an entry to the job's history: one record per job, ``{jobId, history: [...]}``,
    the shape the job-history export reports (and so re-reports when an entry is added)."""
    entry = {
        "id": tx.new_ids(1),
        "eventType": event,
        "date": format_time(tx.now),
        "employeeId": tx.call.app_id,
        "usedSchedulingTool": "Manual",
        **extra,
    }
    found = await tx.children(HISTORY, job_id)
    if found:
        found[0].data["history"] = [*(found[0].data.get("history") or []), entry]
        await tx.save(found[0])
    else:
        await tx.create(HISTORY, {"jobId": job_id, "history": [entry]}, parent_id=job_id)


async def _assign(tx: Tx, appt: Stored, technician_ids: list[int]) -> None:
    for tech_id in technician_ids:
        tech = await tx.get("settings:technicians", tech_id, "Technician")
        await tx.create(
            ASSIGNMENTS,
            {
                "technicianId": tech_id,
                "technicianName": tech.data.get("name"),
                "assignedById": tx.call.app_id,
                "assignedOn": format_time(tx.now),
                "status": appt.data.get("status", "Scheduled"),
                "isPaused": False,
                "jobId": appt.data.get("jobId"),
                "appointmentId": appt.id,
            },
        )


@register("jpm.Jobs_Create")
async def create_job(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}
    await check_references(call, catalog_for(call.runtime.manifest), body)
    appointments = body.get("appointments") or []
    if not appointments:
        raise bad_request("appointments", "A job needs at least one appointment.")
    for i, appt in enumerate(appointments):
        _window(appt, f"appointments[{i}].end")

    async def work(tx: Tx) -> Result:
        location = await tx.get("crm:locations", body.get("locationId"), "Location")
        if location.data.get("customerId") != body.get("customerId"):
            raise bad_request(
                "locationId",
                f"Location {location.id} does not belong to customer {body.get('customerId')}.",
            )
        fields = {k: v for k, v in body.items() if k != "appointments"}
        # The job's id first (its appointments name it), the job itself once its appointments
        # are known: it is filled to its stored shape once, not again for a save.
        job_id = tx.new_ids(1)
        number = str(job_id)
        made: list[Stored] = []
        for i, appt in enumerate(appointments, start=1):
            made.append(
                await tx.create(
                    APPOINTMENTS,
                    {
                        "jobId": job_id,
                        "customerId": body.get("customerId"),
                        "appointmentNumber": f"{number}-{i}",
                        "start": _text(appt.get("start")),
                        "end": _text(appt.get("end")),
                        "arrivalWindowStart": _text(appt.get("arrivalWindowStart")),
                        "arrivalWindowEnd": _text(appt.get("arrivalWindowEnd")),
                        "status": "Scheduled",
                        "isConfirmed": False,
                        "unused": False,
                    },
                )
            )
            await _assign(tx, made[-1], list(appt.get("technicianIds") or []))
        job = await tx.create(
            JOBS,
            {
                **fields,
                "jobStatus": "Scheduled",
                "total": 0,
                "jobNumber": number,
                "appointmentCount": len(made),
                "firstAppointmentId": made[0].id,
                "lastAppointmentId": made[-1].id,
            },
            record_id=job_id,
        )
        await _history(tx, job.id, "Job Booked")
        return respond(call, job.data)

    return await transaction(call, work)


@register("jpm.Jobs_Cancel")
async def cancel_job(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        status = job.data.get("jobStatus")
        if status in _DONE_JOB:
            raise conflict(f"Job {job.id} is {status} and cannot be canceled.")
        await reason(tx, CANCEL_REASONS, body.get("reasonId"))
        job.data["jobStatus"] = "Canceled"
        await tx.save(job)
        for appt in await tx.children(APPOINTMENTS, job_id=job.id):
            if appt.data.get("status") not in ("Done", "Canceled"):
                appt.data["status"] = "Canceled"
                await clear_hold(tx, appt)
                await tx.save(appt)
        await tx.create(
            CANCELED_LOGS,
            {"jobId": job.id, "reasonId": body.get("reasonId"), "memo": body.get("memo")},
            parent_id=job.id,
        )
        await _history(tx, job.id, "Job Canceled", memo=body.get("memo"))
        return empty(call)

    return await transaction(call, work)


@register("jpm.Jobs_RemoveCancellation")
async def restore_job(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        if job.data.get("jobStatus") != "Canceled":
            raise conflict(f"Job {job.id} is not canceled.")
        job.data["jobStatus"] = "Scheduled"
        await tx.save(job)
        for appt in await tx.children(APPOINTMENTS, job_id=job.id):
            if appt.data.get("status") == "Canceled":
                appt.data["status"] = "Scheduled"
                await tx.save(appt)
        await _history(tx, job.id, "Job Cancellation Removed")
        return empty(call)

    return await transaction(call, work)


@register("jpm.Jobs_GetHistory")
async def job_history(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        found = await tx.children(HISTORY, job.id)
        return respond(call, {"history": found[0].data.get("history") if found else []})

    return await transaction(call, work)


@register("jpm.Jobs_GetBookedLog")
async def booked_log(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        first = await tx.find(APPOINTMENTS, job.data.get("firstAppointmentId"))
        appt = first.data if first else {}
        return respond(
            call,
            {
                "id": job.id,
                "jobId": job.id,
                "active": True,
                "createdOn": job.data.get("createdOn"),
                "createdById": job.data.get("createdById"),
                "jobAppointmentId": first.id if first else 0,
                "start": appt.get("start"),
                "arrivalWindowStart": appt.get("arrivalWindowStart"),
                "arrivalWindowEnd": appt.get("arrivalWindowEnd"),
            },
        )

    return await transaction(call, work)


# ---------------------------------------------------------------- appointments


def _appointment_change(change: str) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body if isinstance(call.body, Mapping) else {}

        async def work(tx: Tx) -> Result:
            appt = await tx.get(APPOINTMENTS, call.path.get("id"), "Appointment")
            status = appt.data.get("status")
            if change == "hold":
                if status in ("Done", "Canceled"):
                    raise conflict(f"Appointment {appt.id} is {status} and cannot be put on hold.")
                held_for = await reason(tx, HOLD_REASONS, body.get("reasonId"))
                appt.data["status"] = "Hold"
                await record_hold(tx, appt, held_for, body.get("memo"))
                await _job_held(tx, appt, held=True)
            elif change == "unhold":
                if status != "Hold":
                    raise conflict(f"Appointment {appt.id} is not on hold.")
                appt.data["status"] = "Scheduled"
                await clear_hold(tx, appt)
                await _job_held(tx, appt, held=False)
            elif change == "confirm":
                appt.data["isConfirmed"] = True
            elif change == "unconfirm":
                appt.data["isConfirmed"] = False
            elif change == "instructions":
                appt.data["specialInstructions"] = body.get("specialInstructions")
            elif change == "reschedule":
                _window(body, "end")
                if status in ("Done", "Canceled"):
                    raise conflict(f"Appointment {appt.id} is {status} and cannot be rescheduled.")
                for field in ("start", "end", "arrivalWindowStart", "arrivalWindowEnd"):
                    if field in body:
                        appt.data[field] = _text(body[field])
            await tx.save(appt)
            if change in ("reschedule", "instructions"):
                return respond(call, appt.data)
            return empty(call)

        return await transaction(call, work)

    return handle


async def _job_held(tx: Tx, appt: Stored, *, held: bool) -> None:
    """A job is on hold while one of its appointments is (as the demo company's are)."""
    job = await tx.find(JOBS, appt.data.get("jobId"))
    if job is None or job.data.get("jobStatus") in _DONE_JOB:
        return
    if held:
        job.data["jobStatus"] = "Hold"
    else:
        others = [
            a
            for a in await tx.children(APPOINTMENTS, job_id=job.id)
            if a.id != appt.id and a.data.get("status") == "Hold"
        ]
        if others or job.data.get("jobStatus") != "Hold":
            return
        job.data["jobStatus"] = "Scheduled"
    await tx.save(job)


register("jpm.Appointments_Hold")(_appointment_change("hold"))
register("jpm.Appointments_RemoveHold")(_appointment_change("unhold"))
register("jpm.Appointments_Confirm")(_appointment_change("confirm"))
register("jpm.Appointments_RemoveConfirmation")(_appointment_change("unconfirm"))
register("jpm.Appointments_Reschedule")(_appointment_change("reschedule"))
register("jpm.Appointments_UpdateSpecialInstructions")(_appointment_change("instructions"))


@register("jpm.Appointments_SetSummary")
async def appointment_summary(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        appt = await tx.get(APPOINTMENTS, call.path.get("id"), "Appointment")
        await tx.get("settings:technicians", body.get("technicianId"), "Technician")
        summary = {
            "jobAppointmentId": appt.id,
            "jobId": appt.data.get("jobId"),
            "technicianId": body.get("technicianId"),
            "notes": body.get("notes"),
            "createdOn": format_time(tx.now),
            "modifiedOn": format_time(tx.now),
        }
        appt.data["appointmentSummaries"] = [
            *(appt.data.get("appointmentSummaries") or []),
            summary,
        ]
        await tx.save(appt)
        return respond(call, summary)

    return await transaction(call, work)


@register("jpm.Appointments_Add")
async def add_appointment(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}
    _window(body, "end")

    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, body.get("jobId"), "Job")
        if job.data.get("jobStatus") in _DONE_JOB:
            raise conflict(f"Job {job.id} is {job.data.get('jobStatus')}: no new appointments.")
        count = int(job.data.get("appointmentCount") or 0) + 1
        appt = await tx.create(
            APPOINTMENTS,
            {
                "jobId": job.id,
                "customerId": job.data.get("customerId"),
                "appointmentNumber": f"{job.data.get('jobNumber') or job.id}-{count}",
                "start": _text(body.get("start")),
                "end": _text(body.get("end")),
                "arrivalWindowStart": _text(body.get("arrivalWindowStart")),
                "arrivalWindowEnd": _text(body.get("arrivalWindowEnd")),
                "specialInstructions": body.get("specialInstructions"),
                "status": "Scheduled",
                "isConfirmed": False,
                "unused": False,
            },
        )
        await _assign(tx, appt, list(body.get("technicianIds") or []))
        job.data.update(appointmentCount=count, lastAppointmentId=appt.id)
        await tx.save(job)
        return respond(call, appt.data)

    return await transaction(call, work)


@register("jpm.Projects_AttachJob", "jpm.Projects_DetachJob")
async def attach_job(call: Call) -> Result:
    attach = call.operation.operation_id == "Projects_AttachJob"

    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("jobId"), "Job")
        if attach:
            project = await tx.get("jpm:projects", call.path.get("id"), "Project")
            job.data["projectId"] = project.id
        else:
            job.data["projectId"] = None
        await tx.save(job)
        return empty(call)

    return await transaction(call, work)
