"""Why a job was canceled or put on hold: the reasons cancel and hold actions record, and the
per-job lookups that report them (``jobs/cancel-reasons``, ``jobs/hold-reasons``)."""

from __future__ import annotations

from typing import Any

from localtitan.handling import Tx, bad_request, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.handling.unit import INT64_MAX, INT64_MIN, MAX_IDS
from localtitan.store.records import Stored

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["CANCEL_REASONS", "HOLD_REASONS", "clear_hold", "reason", "record_hold"]

JOBS = "jpm:jobs"
CANCELED_LOGS = "jpm:jobs/{}/canceled-logs"
CANCEL_REASONS = "jpm:job-cancel-reasons"
HOLD_REASONS = "jpm:job-hold-reasons"
# The reason an appointment is on hold, kept under it while the hold lasts. No operation reads
# this kind as a record; the hold-reasons lookup reports it.
APPOINTMENT_HOLDS = "jpm:appointments/{}/hold-reason"


async def reason(tx: Tx, kind: str, reason_id: Any) -> Stored:
    """The tenant's active reason the body names; else 400 naming ``reasonId``."""
    found = await tx.find(kind, reason_id)
    what = "Job cancel reason" if kind == CANCEL_REASONS else "Job hold reason"
    if found is None:
        raise bad_request("reasonId", f"{what} with ID {reason_id} was not found.")
    if not found.active:
        raise bad_request("reasonId", f"{what} {reason_id} is inactive.")
    return found


async def record_hold(tx: Tx, appt: Stored, held_for: Stored, memo: Any) -> None:
    await clear_hold(tx, appt)
    await tx.create(
        APPOINTMENT_HOLDS,
        {
            "appointmentId": appt.id,
            "jobId": appt.data.get("jobId"),
            "reasonId": held_for.id,
            "name": held_for.data.get("name") or "",
            "text": memo if isinstance(memo, str) else "",
        },
        parent_id=appt.id,
    )


async def clear_hold(tx: Tx, appt: Stored) -> None:
    for hold in await tx.children(APPOINTMENT_HOLDS, appt.id):
        hold.deleted, hold.active = True, False
        await tx.save(hold)


def _job_ids(call: Call) -> list[int]:
    raw = call.query.get("ids")
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    texts = [str(v).strip() for v in items if str(v).strip()]
    if not texts:
        raise bad_request("ids", "The ids field is required.")
    if len(texts) > MAX_IDS:
        raise bad_request("ids", f"At most {MAX_IDS} ids can be requested at once.")
    out: list[int] = []
    for text in texts:
        try:
            number = int(text)
        except ValueError:
            raise bad_request("ids", f"The value '{text}' is not a valid id.") from None
        if not INT64_MIN <= number <= INT64_MAX:
            raise bad_request("ids", f"The value '{text}' is not a valid id.")
        if number not in out:
            out.append(number)
    return out


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "page": 1,
        "pageSize": len(items),
        "hasMore": False,
        "totalCount": len(items),
        "data": items,
    }


@register("jpm.Jobs_GetCancelReasons")
async def cancel_reasons(call: Call) -> Result:
    """Each named job that is canceled, with the reason and memo of its latest cancellation;
    ids of jobs that are not canceled (or not there) are left out, as in any id lookup."""
    job_ids = _job_ids(call)

    async def work(tx: Tx) -> Result:
        found = []
        for job_id in sorted(job_ids):
            job = await tx.find(JOBS, job_id)
            if job is None or job.data.get("jobStatus") != "Canceled":
                continue
            logs = await tx.children(CANCELED_LOGS, job.id)
            if not logs:
                continue
            last = logs[-1].data
            named = await tx.find(CANCEL_REASONS, last.get("reasonId"))
            found.append(
                {
                    "jobId": job.id,
                    "reasonId": last.get("reasonId"),
                    "name": (named.data.get("name") if named else None) or "",
                    "text": last.get("memo") or "",
                }
            )
        return respond(call, _page(found))

    return await transaction(call, work)


@register("jpm.Jobs_GetHoldReasons")
async def hold_reasons(call: Call) -> Result:
    """Each named job with an appointment on hold: the latest hold's reason for the job, and
    every held appointment's own."""
    job_ids = _job_ids(call)

    async def work(tx: Tx) -> Result:
        found = []
        for job_id in sorted(job_ids):
            holds = await tx.children(APPOINTMENT_HOLDS, job_id=job_id)
            if not holds:
                continue
            per_appointment = [
                {
                    "appointmentId": h.data.get("appointmentId"),
                    "reasonId": h.data.get("reasonId"),
                    "name": h.data.get("name") or "",
                    "text": h.data.get("text") or "",
                }
                for h in holds
            ]
            latest = per_appointment[-1]
            found.append(
                {
                    "jobId": job_id,
                    "reasonId": latest["reasonId"],
                    "name": latest["name"],
                    "text": latest["text"],
                    "appointmentHoldReasons": per_appointment,
                }
            )
        return respond(call, _page(found))

    return await transaction(call, work)
