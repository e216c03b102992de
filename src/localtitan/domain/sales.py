"""Sales: selling, unselling and dismissing estimates, and editing their items."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from localtitan.handling import Tx, conflict, empty, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import format_time, get_record

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

ESTIMATES = "sales:estimates"
_STATUS = {"Open": 0, "Sold": 1, "Dismissed": 2}


def _status(name: str) -> dict[str, Any]:
    return {"name": name, "value": _STATUS[name]}


def _current(rec: Any) -> str:
    status = rec.data.get("status")
    return str(status.get("name")) if isinstance(status, Mapping) else "Open"


@register("sales.Estimates_Create", "sales.Estimates_Update")
async def write_estimate(call: Call) -> Result:
    """The generic create/replace, with the status a request names (``"Sold"``) stored as
    the ``{name, value}`` object estimates show; a new estimate is Open."""
    body = dict(call.body) if isinstance(call.body, Mapping) else {}
    status = body.get("status")
    if status in _STATUS:
        body["status"] = _status(str(status))
    elif call.operation.kind == "create":
        body["status"] = _status("Open")
    else:
        # A replace that names no status keeps the one the estimate has.
        async with call.runtime.db.read() as conn:
            rid = call.path.get("id")
            found = (
                await get_record(conn, call.environment.value, call.tenant_id, ESTIMATES, rid)
                if isinstance(rid, int)
                else None
            )
        body["status"] = found.data.get("status") if found else _status("Open")
    # The generic create/replace comes from the dispatch table: this package imports no engine.
    handler = call.runtime.handlers.generic(call.operation)
    assert handler is not None
    return await handler(dataclasses.replace(call, body=body))


@register("sales.Estimates_Sell")
async def sell(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        est = await tx.get(ESTIMATES, call.path.get("id"), "Estimate")
        if _current(est) != "Open":
            raise conflict(f"Estimate {est.id} is {_current(est)}; only an open one can be sold.")
        sold_by = body.get("soldBy")
        if await tx.find("settings:employees", sold_by) is None:
            await tx.get("settings:technicians", sold_by, "Employee or technician")
        est.data.update(status=_status("Sold"), soldBy=sold_by, soldOn=format_time(tx.now))
        await tx.save(est)
        return respond(call, est.data)

    return await transaction(call, work)


def _move(target: str, allowed: tuple[str, ...]) -> Any:
    async def handle(call: Call) -> Result:
        async def work(tx: Tx) -> Result:
            est = await tx.get(ESTIMATES, call.path.get("id"), "Estimate")
            if _current(est) not in allowed:
                raise conflict(f"Estimate {est.id} is {_current(est)} and cannot become {target}.")
            est.data["status"] = _status(target)
            if target == "Open":
                est.data.update(soldBy=None, soldOn=None)
            await tx.save(est)
            return empty(call)

        return await transaction(call, work)

    return handle


register("sales.Estimates_Unsell")(_move("Open", ("Sold",)))
register("sales.Estimates_Dismiss")(_move("Dismissed", ("Open",)))


@register("sales.Estimates_PutItem")
async def put_item(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}

    async def work(tx: Tx) -> Result:
        est = await tx.get(ESTIMATES, call.path.get("id"), "Estimate")
        items = list(est.data.get("items") or [])
        qty = float(body.get("quantity") or 1)
        price = float(body.get("unitPrice") or 0)
        cost = float(body.get("unitCost") or 0)
        item_id = body.get("id")
        existing = next((i for i in items if item_id is not None and i.get("id") == item_id), None)
        item = {
            "id": item_id
            or (max((int(i.get("id") or 0) for i in items), default=est.id * 100) + 1),
            "estimateId": est.id,
            "sku": {"id": body.get("skuId") or 0, "name": body.get("skuName") or ""},
            "description": body.get("description") or "",
            "qty": qty,
            "unitRate": price,
            "total": round(qty * price, 2),
            "unitCost": cost,
            "totalCost": round(qty * cost, 2),
            "itemGroupName": body.get("itemGroupName") or "",
            "itemGroupRootId": body.get("itemGroupRootId"),
            "chargeable": body.get("chargeable"),
            "budgetCodeId": body.get("budgetCodeId"),
            "createdOn": (existing or {}).get("createdOn") or format_time(tx.now),
            "modifiedOn": format_time(tx.now),
        }
        items = [i for i in items if i is not existing] + [item]
        est.data["items"] = items
        est.data["subtotal"] = round(sum(float(i.get("total") or 0) for i in items), 2)
        await tx.save(est)
        return respond(call, item)

    return await transaction(call, work)
