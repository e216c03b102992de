"""The installed equipment a job works on: attached and detached through the job, kept in the
job's own ``equipmentIds`` so the job, its equipment list and ``jobs?equipmentIds=`` agree
(docs/decisions/0140-job-equipment.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localtitan.handling import Tx, bad_request, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__: list[str] = []

JOBS = "jpm:jobs"
INSTALLED_EQUIPMENT = "equipmentsystems:installed-equipment"
# A job holds a handful of equipment; the bound keeps one request's checks small.
_MAX_IDS = 100


def _body_ids(call: Call) -> list[int]:
    body = call.body if isinstance(call.body, Mapping) else {}
    raw = body.get("equipmentIds")
    if not isinstance(raw, list):
        raise bad_request("equipmentIds", "The equipmentIds field is required.")
    if len(raw) > _MAX_IDS:
        raise bad_request("equipmentIds", f"At most {_MAX_IDS} equipment ids at once.")
    out: list[int] = []
    for i, value in enumerate(raw):
        # The door has checked the items are int64; anything else names no equipment.
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"equipmentIds[{i}]", "The value is not a valid id.")
        if value not in out:
            out.append(value)
    return out


def _detached() -> Result:
    # Both detaches declare 200 and 204; their descriptions say they answer 204 No Content.
    return Result(status=204, body=b"")


def _attached(job: Any) -> list[int]:
    held = job.data.get("equipmentIds")
    return [v for v in held if isinstance(v, int)] if isinstance(held, list) else []


async def _check_equipment(tx: Tx, ids: list[int]) -> None:
    """Ids in a body that name no installed equipment of this tenant: 400 naming the item."""
    for i, eid in enumerate(ids):
        if await tx.find(INSTALLED_EQUIPMENT, eid) is None:
            raise bad_request(
                f"equipmentIds[{i}]", f"Installed equipment with ID {eid} was not found."
            )


@register("jpm.JobEquipment_Get")
async def job_equipment(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        return respond(call, {"equipmentIds": _attached(job)})

    return await transaction(call, work)


@register("jpm.JobEquipment_Attach")
async def attach_equipment(call: Call) -> Result:
    ids = _body_ids(call)

    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        await _check_equipment(tx, ids)
        held = _attached(job)
        added = [e for e in ids if e not in held]
        if added:
            job.data["equipmentIds"] = [*held, *added]
            await tx.save(job)
        return respond(call, {"equipmentIds": _attached(job)})

    return await transaction(call, work)


@register("jpm.JobEquipment_DetachBulk")
async def detach_equipment_bulk(call: Call) -> Result:
    ids = _body_ids(call)

    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        await _check_equipment(tx, ids)
        held = _attached(job)
        kept = [e for e in held if e not in ids]
        if kept != held:
            job.data["equipmentIds"] = kept
            await tx.save(job)
        return _detached()

    return await transaction(call, work)


@register("jpm.JobEquipment_Detach")
async def detach_equipment(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        job = await tx.get(JOBS, call.path.get("id"), "Job")
        eid = call.path.get("equipmentId")
        held = _attached(job)
        if eid not in held:
            # The path names it: 404, as for any path id that names nothing here.
            raise not_found("Job equipment", eid)
        job.data["equipmentIds"] = [e for e in held if e != eid]
        await tx.save(job)
        return _detached()

    return await transaction(call, work)
