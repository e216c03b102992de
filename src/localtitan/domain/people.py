"""Settings and payroll behaviour for people: account actions and payroll settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localtitan.handling import Tx, bad_request, empty, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

_ACCOUNT_ACTIONS = {"Activate": True, "Deactivate": False}


def _account_action(kind: str) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body if isinstance(call.body, Mapping) else {}
        action = body.get("action")

        async def work(tx: Tx) -> Result:
            rec = await tx.get(kind, call.path.get("id"))
            if action in _ACCOUNT_ACTIONS:
                rec.active = _ACCOUNT_ACTIONS[action]
                rec.data["active"] = rec.active
                await tx.save(rec)
            elif not rec.data.get("email") and action == "SendInvite":
                raise bad_request("action", f"Record {rec.id} has no email to send an invite to.")
            return respond(call, {"status": "Success"})

        return await transaction(call, work)

    return handle


register("settings.Employees_AccountActions")(_account_action("settings:employees"))
register("settings.Technicians_AccountActions")(_account_action("settings:technicians"))

_PAYROLL_FIELDS = (
    "externalPayrollId",
    "hireDate",
    "hourlyRate",
    "isIncludedInPayroll",
    "managerId",
    "payrollBusinessUnitId",
    "customFields",
)


def _payroll_settings(kind: str, param: str, employee_type: str) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body if isinstance(call.body, Mapping) else {}

        async def work(tx: Tx) -> Result:
            person = await tx.get(kind, call.path.get(param))
            settings = dict(person.data.get("payrollSettings") or {})
            if call.operation.method == "PUT":
                for name in _PAYROLL_FIELDS:
                    if name in body:
                        settings[name] = body[name]
                person.data["payrollSettings"] = settings
                await tx.save(person)
                return respond(call, {"employeeId": person.id})
            return respond(
                call,
                {
                    "employeeId": person.id,
                    "employeeType": employee_type,
                    "active": person.active,
                    "createdOn": person.data.get("createdOn"),
                    "modifiedOn": person.data.get("modifiedOn"),
                    "hourlyRate": 0,
                    "isIncludedInPayroll": True,
                    **settings,
                },
            )

        return await transaction(call, work)

    return handle


for _verb in ("Get", "Update"):
    register(f"payroll.PayrollSettings_{_verb}EmployeePayrollSettings")(
        _payroll_settings("settings:employees", "employee", "Employee")
    )
    register(f"payroll.PayrollSettings_{_verb}TechnicianPayrollSettings")(
        _payroll_settings("settings:technicians", "technician", "Technician")
    )


# ---------------------------------------------------------------- technician ratings

RATINGS = "customer-interactions:technician-ratings"


async def _rate(tx: Tx, tech_id: Any, job_id: Any, value: Any) -> dict[str, Any]:
    """A technician's rating for a job: added, or changed when there is one already."""
    if await tx.find("settings:technicians", tech_id) is None:
        raise bad_request("technicianId", f"Technician with ID {tech_id} was not found.")
    if await tx.find("jpm:jobs", job_id) is None:
        raise bad_request("jobId", f"Job with ID {job_id} was not found.")
    for rec in await tx.children(RATINGS, job_id=job_id):
        if rec.data.get("technicianId") == tech_id:
            rec.data["rating"] = value
            rec.active = True
            rec.data["active"] = True
            return (await tx.save(rec)).data
    made = await tx.create(RATINGS, {"technicianId": tech_id, "jobId": job_id, "rating": value})
    return made.data


@register("customer-interactions.TechnicianRatings_Update")
async def rate(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        data = await _rate(tx, body.get("technicianId"), body.get("jobId"), body.get("rating"))
        return respond(call, data)

    return await transaction(call, work)


@register("customer-interactions.TechnicianRating_Update")
async def rate_by_path(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        await _rate(tx, call.path.get("technicianId"), call.path.get("jobId"), body.get("value"))
        return empty(call)

    return await transaction(call, work)
