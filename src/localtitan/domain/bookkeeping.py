"""Patterns shared by accounting and inventory: bulk custom-field updates, "mark as exported"
acknowledgements, and cancellations that move a record to a final state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from localtitan.handling import Tx, bad_request, conflict, empty, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import format_time

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

MAX_BATCH = 500

# operation id -> kind whose records' customFields it edits.
_CUSTOM_FIELDS = {
    "accounting.ApBills_UpdateCustomFields": "accounting:ap-bills",
    "accounting.ApCredits_UpdateCustomFields": "accounting:ap-credits",
    "accounting.ApPayments_UpdateCustomFields": "accounting:ap-payments",
    "accounting.CreditMemos_UpdateCustomFields": "accounting:credit-memos",
    "accounting.InventoryBills_UpdateCustomFields": "accounting:inventory-bills",
    "accounting.Invoices_UpdateCustomFields": "accounting:invoices",
    "accounting.Payments_UpdateCustomFields": "accounting:payments",
    "inventory.Adjustments_UpdateCustomFields": "inventory:adjustments",
    "inventory.Receipts_UpdateCustomFields": "inventory:receipts",
    "inventory.Returns_UpdateCustomFields": "inventory:returns",
    "inventory.Transfers_UpdateCustomFields": "inventory:transfers",
    "inventory.Vendors_UpdateCustomFields": "inventory:vendors",
}

# operation id -> (kind, id field in the request and result items, field listing ids in body)
_EXPORTED = {
    "accounting.ApBills_MarkAsExported": ("accounting:ap-bills", "billId", "billIds"),
    "accounting.ApCredits_MarkAsExported": ("accounting:ap-credits", "apCreditId", None),
    "accounting.ApPayments_MarkAsExported": ("accounting:ap-payments", "apPaymentId", None),
    "accounting.Deposits_MarkAsExported": ("accounting:bank-deposits", "id", "ids"),
    "accounting.CreditMemos_MarkAsExported": ("accounting:credit-memos", "creditMemoId", None),
    "accounting.InventoryBills_MarkAsExported": (
        "accounting:inventory-bills",
        "inventoryBillId",
        "inventoryBillIds",
    ),
    "accounting.Invoices_MarkAsExported": ("accounting:invoices", "invoiceId", None),
}


def _kind(tx: Tx, kind: str) -> str:
    # Fall back to the first collection of that resource name when the guess is off.
    if kind in tx.catalog.collections:
        return kind
    module, _, resource = kind.partition(":")
    for name in tx.catalog.collections:
        if name.startswith(module + ":") and name.endswith(resource):
            return name
    return kind


def _custom_fields_handler(kind: str) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body if isinstance(call.body, Mapping) else {}
        operations: Sequence[Any] = body.get("operations") or []
        if len(operations) > MAX_BATCH:
            raise bad_request("operations", f"At most {MAX_BATCH} operations per request.")

        async def work(tx: Tx) -> Result:
            target = _kind(tx, kind)
            for i, op in enumerate(operations):
                rec = await tx.find(target, op.get("objectId"))
                if rec is None:
                    raise bad_request(
                        f"operations[{i}].objectId",
                        f"There is no record with ID {op.get('objectId')}.",
                    )
                fields = {f.get("name"): f for f in rec.data.get("customFields") or []}
                for pair in op.get("customFields") or []:
                    fields[pair.get("name")] = {
                        "name": pair.get("name"),
                        "value": pair.get("value"),
                    }
                rec.data["customFields"] = list(fields.values())
                await tx.save(rec)
            return empty(call)

        return await transaction(call, work)

    return handle


def _exported_handler(kind: str, id_field: str, list_field: str | None) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body
        if list_field is not None:
            ids = list((body or {}).get(list_field) or []) if isinstance(body, Mapping) else []
            items: list[Mapping[str, Any]] = [{id_field: i} for i in ids]
        else:
            items = [b for b in body or [] if isinstance(b, Mapping)]
        if len(items) > MAX_BATCH:
            raise bad_request(list_field or "$", f"At most {MAX_BATCH} records per request.")

        async def work(tx: Tx) -> Result:
            target = _kind(tx, kind)
            results = []
            for item in items:
                rec = await tx.find(target, item.get(id_field))
                if rec is None:
                    results.append(
                        {
                            id_field: item.get(id_field),
                            "success": False,
                            "errorMessage": f"There is no record with ID {item.get(id_field)}.",
                        }
                    )
                    continue
                rec.data["exportId"] = item.get("externalId") or rec.data.get("exportId")
                rec.data["isExported"] = True
                rec.data["exportedOn"] = format_time(tx.now)
                if "syncStatus" in rec.data:
                    # What the record shows of it (SyncStatus: Pending, Posted, Exported).
                    rec.data["syncStatus"] = "Exported"
                await tx.save(rec)
                results.append({id_field: rec.id, "success": True, "errorMessage": None})
            if call.operation.responses.get("200", {}).get("schema") is None:
                return empty(call)
            return respond(call, results)

        return await transaction(call, work)

    return handle


for _op, _kind_name in _CUSTOM_FIELDS.items():
    register(_op)(_custom_fields_handler(_kind_name))
for _op, (_k, _field, _list) in _EXPORTED.items():
    register(_op)(_exported_handler(_k, _field, _list))


# ---------------------------------------------------------------- state changes

# operation id -> (kind, field, new value, states it cannot leave, extra fields from the body)
_STATE_CHANGES: dict[str, tuple[str, str, Any, tuple[Any, ...], tuple[str, ...]]] = {
    "inventory.PurchaseOrders_Cancel": (
        "inventory:purchase-orders",
        "status",
        "Canceled",
        ("Canceled", "Received"),
        ("canceledReason",),
    ),
    "inventory.Receipts_CancelReceipts": (
        "inventory:receipts",
        "active",
        False,
        (False,),
        ("canceledReason",),
    ),
    "inventory.Returns_Cancel": (
        "inventory:returns",
        "active",
        False,
        (False,),
        ("canceledReason",),
    ),
    "inventory.PurchaseOrders_ApproveRequest": (
        "inventory:purchase-orders",
        "status",
        "Pending",
        ("Canceled", "Received"),
        (),
    ),
    "inventory.PurchaseOrders_RejectRequest": (
        "inventory:purchase-orders",
        "status",
        "Canceled",
        ("Canceled", "Received"),
        ("rejectionReason",),
    ),
    "memberships.LocationRecurringServiceEvents_MarkComplete": (
        "memberships:recurring-service-events",
        "status",
        "Won",  # OpportunityStatus has no "Completed": a completed visit is a won opportunity
        (),
        ("jobId",),
    ),
    "memberships.LocationRecurringServiceEvents_MarkIncomplete": (
        "memberships:recurring-service-events",
        "status",
        "NotAttempted",
        (),
        ("jobId",),
    ),
    "dispatch.ArrivalWindows_Activated": (
        "dispatch:arrival-windows",
        "active",
        None,
        (),
        (),
    ),
}


def _state_handler(
    kind: str, field: str, value: Any, final: tuple[Any, ...], extra: tuple[str, ...]
) -> Any:
    async def handle(call: Call) -> Result:
        body = call.body if isinstance(call.body, Mapping) else {}

        async def work(tx: Tx) -> Result:
            rec = await tx.get(_kind(tx, kind), call.path.get("id"))
            current = rec.data.get(field)
            if current in final:
                raise conflict(f"Record {rec.id} is already {current} and cannot change.")
            new = body.get("isActive") if value is None else value
            rec.data[field] = new
            if field == "active":
                rec.active = bool(new)
            for name in extra:
                if name in body:
                    rec.data[name] = body[name]
            await tx.save(rec)
            if call.operation.responses.get("200", {}).get("schema") is None:
                return empty(call)
            return respond(call, rec.data)

        return await transaction(call, work)

    return handle


for _op, (_k, _f, _v, _final, _extra) in _STATE_CHANGES.items():
    register(_op)(_state_handler(_k, _f, _v, _final, _extra))


@register("accounting.Payments_UpdateStatus")
async def payment_status(call: Call) -> Result:
    body = call.body if isinstance(call.body, Mapping) else {}
    ids = list(body.get("paymentIds") or [])
    if len(ids) > MAX_BATCH:
        raise bad_request("paymentIds", f"At most {MAX_BATCH} payments per request.")

    async def work(tx: Tx) -> Result:
        for i, pid in enumerate(ids):
            rec = await tx.find("accounting:payments", pid)
            if rec is None:
                raise bad_request(f"paymentIds[{i}]", f"Payment with ID {pid} was not found.")
            # Payments show their PaymentStatus (Pending, Posted, Exported) as syncStatus.
            rec.data["syncStatus"] = body.get("status")
            await tx.save(rec)
        return empty(call)

    return await transaction(call, work)
