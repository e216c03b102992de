"""Task Management's client-side data: the lists a task form offers (employees, business
units, priorities, statuses, resolution kinds, and the tenant's task types, sources and
resolutions), read from the tenant's records."""

from __future__ import annotations

from typing import Any

from localtitan.handling import Tx, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["TASK_RESOLUTIONS", "TASK_SOURCES", "TASK_TYPES"]

EMPLOYEES = "settings:employees"
BUSINESS_UNITS = "settings:business-units"
# The tenant's task setup (no operation edits it; the seed or the store holds it).
TASK_TYPES = "taskmanagement:task-types"
TASK_SOURCES = "taskmanagement:task-sources"
TASK_RESOLUTIONS = "taskmanagement:task-resolutions"
_ENUMS = {
    "taskPriorities": "taskmanagement:TaskManagement.V2.TaskPriority",
    "taskStatuses": "taskmanagement:TaskManagement.V2.TaskStatus",
    "taskResolutionTypes": "taskmanagement:TaskManagement.V2.TaskResolutionType",
}


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)]


def _named(rec: Stored) -> dict[str, Any]:
    return {"id": rec.id, "name": rec.data.get("name") or "", "active": rec.active}


@register("taskmanagement.ClientSideData_Get")
async def client_side_data(call: Call) -> Result:
    schemas = call.runtime.manifest.schemas

    async def work(tx: Tx) -> Result:
        employees = await tx.children(EMPLOYEES)
        units = await tx.children(BUSINESS_UNITS)
        data: dict[str, Any] = {
            name: [{"name": v} for v in schemas.get(ref, {}).get("enum") or []]
            for name, ref in _ENUMS.items()
        }
        data["employees"] = [_named(e) for e in employees]
        # Business units are offered as name/value pairs, active ones only (a new task
        # cannot go to an inactive unit).
        data["businessUnits"] = [
            {"name": u.data.get("name") or "", "value": u.id} for u in units if u.active
        ]
        data["taskTypes"] = [
            {
                **_named(t),
                "excludedTaskResolutionIds": _ids(t.data.get("excludedTaskResolutionIds")),
            }
            for t in await tx.children(TASK_TYPES)
        ]
        data["taskSources"] = [_named(s) for s in await tx.children(TASK_SOURCES)]
        data["taskResolutions"] = [
            {
                **_named(r),
                "type": r.data.get("type") if r.data.get("type") == "Refund" else "Custom",
                "excludedTaskTypeIds": _ids(r.data.get("excludedTaskTypeIds")),
            }
            for r in await tx.children(TASK_RESOLUTIONS)
        ]
        return respond(call, data)

    return await transaction(call, work)
