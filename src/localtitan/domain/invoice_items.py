"""Adding and changing one invoice item (``PATCH .../invoices/{id}/items``), and what follows
from it: the item's totals, the invoice's subtotal, sales tax, total and balance
(docs/decisions/0153)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from localtitan.handling import Tx, bad_request, empty, not_found, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, format_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["recompute_invoice"]

INVOICES = "accounting:invoices"
ITEMS = "accounting:invoices/{}/items"
# Pricebook kind of each SKU type, in the order a bare skuId is looked up.
SKU_KINDS = (
    ("pricebook:services", "Service"),
    ("pricebook:materials", "Material"),
    ("pricebook:equipment", "Equipment"),
    ("pricebook:discounts-and-fees", "PriceModifier"),
)
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e12")


def _dec(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _amount(body: Mapping[str, Any], name: str) -> Decimal | None:
    if body.get(name) is None:
        return None
    value = _dec(body[name])
    if abs(value) >= _MAX_AMOUNT:
        raise bad_request(name, f"The {name} must be less than {_MAX_AMOUNT:,.0f} in size.")
    return value


async def _sku(tx: Tx, sku_id: Any) -> tuple[Stored, str] | None:
    for kind, sku_type in SKU_KINDS:
        found = await tx.find(kind, sku_id)
        if found is not None:
            return found, sku_type
    return None


def recompute_invoice(invoice: Stored, items: list[dict[str, Any]]) -> None:
    """The invoice's subtotal, tax, total and balance after its items changed; what was paid
    stays paid, and a tax-exempt invoice (no tax on a taxable amount) stays exempt."""
    d = invoice.data
    old_total, old_balance = _dec(d.get("total")), _dec(d.get("balance"))
    old_taxable = sum(
        (
            _dec(i.get("total"))
            for i in d.get("items") or []
            if isinstance(i, Mapping) and i.get("taxable")
        ),
        Decimal(0),
    )
    exempt = _dec(d.get("salesTax")) == 0 and old_taxable > 0
    subtotal = sum((_dec(i.get("total")) for i in items), Decimal(0))
    taxable = sum((_dec(i.get("total")) for i in items if i.get("taxable")), Decimal(0))
    code = d.get("salesTaxCode")
    rate = _dec(code.get("taxRate")) if isinstance(code, Mapping) else Decimal(0)
    tax = Decimal(0) if exempt else (taxable * rate).quantize(_CENT, rounding=ROUND_HALF_UP)
    total = subtotal + tax
    d["subTotal"] = _money(subtotal)
    d["salesTax"] = _money(tax)
    d["total"] = _money(total)
    d["balance"] = _money(total - (old_total - old_balance))
    d["items"] = items


@register("accounting.Invoices_UpdateInvoiceItems")
async def update_invoice_item(call: Call) -> Result:
    body: Mapping[str, Any] = call.body if isinstance(call.body, Mapping) else {}
    if not body:
        raise bad_request("$", "Send the invoice item to add or change.")
    quantity = _amount(body, "quantity")
    unit_price = _amount(body, "unitPrice")
    cost = _amount(body, "cost")

    async def work(tx: Tx) -> Result:
        invoice = await tx.get(INVOICES, call.path.get("invoiceId"), "Invoice")
        children = {c.id: c for c in await tx.children(ITEMS, invoice.id)}
        item_id = body.get("id")
        if item_id is not None:
            rec = children.get(item_id) if isinstance(item_id, int) else None
            if rec is None:
                raise not_found("Invoice item", item_id)
            item = dict(rec.data)
        else:
            if body.get("skuId") is None:
                raise bad_request("skuId", "A new invoice item needs a skuId.")
            rec = None
            item = {
                "invoiceId": invoice.id,
                "order": max((c.data.get("order") or 0 for c in children.values()), default=0) + 1,
                "isChargeable": True,
                "businessUnit": invoice.data.get("businessUnit"),
                "membershipTypeId": 0,
            }
        if body.get("skuId") is not None and body.get("skuId") != item.get("skuId"):
            found = await _sku(tx, body["skuId"])
            if found is None:
                raise bad_request("skuId", f"There is no pricebook item with ID {body['skuId']}.")
            sku, sku_type = found
            s = sku.data
            item.update(
                {
                    "skuId": sku.id,
                    "skuName": s.get("code"),
                    "displayName": s.get("displayName") or s.get("name"),
                    "type": sku_type,
                    "taxable": bool(s.get("taxable")),
                    "inventory": sku_type == "Material",
                    "price": _money(
                        _dec(s.get("price") if sku_type != "PriceModifier" else s.get("amount"))
                    ),
                    "memberPrice": _money(_dec(s.get("memberPrice"))),
                    "cost": _money(_dec(s.get("cost"))),
                }
            )
        for name, field in (
            ("skuName", "skuName"),
            ("description", "description"),
            ("technicianId", "technicianId"),
            ("budgetCodeId", "budgetCodeId"),
            ("inventoryLocationId", "inventoryLocationId"),
            ("inventoryWarehouseName", "inventoryLocation"),
            ("isAddOn", "addOn"),
        ):
            if body.get(name) is not None:
                item[field] = body[name]
        if body.get("installedOn") is not None:
            item["serviceDate"] = body["installedOn"]
        if body.get("itemGroupName") is not None or body.get("itemGroupRootId") is not None:
            item["itemGroup"] = {
                "rootId": body.get("itemGroupRootId"),
                "name": body.get("itemGroupName"),
            }
        if quantity is not None:
            item["quantity"] = str(quantity.quantize(_CENT, rounding=ROUND_HALF_UP))
        if unit_price is not None:
            item["price"] = _money(unit_price)
        if cost is not None:
            item["cost"] = _money(cost)
        qty = _dec(item.get("quantity"))
        item["total"] = _money(qty * _dec(item.get("price")))
        item["totalCost"] = _money(qty * _dec(item.get("cost")))
        if rec is None:
            rec = await tx.create(ITEMS, item, parent_id=invoice.id)
        else:
            rec.data = item
            await tx.save(rec)
        children[rec.id] = rec
        ordered = sorted(children.values(), key=lambda c: (c.data.get("order") or 0, c.id))
        recompute_invoice(
            invoice,
            [
                {**c.data, "modifiedOn": format_time(tx.now)} if c.id == rec.id else c.data
                for c in ordered
            ],
        )
        await tx.save(invoice)
        return empty(call)

    return await transaction(call, work)
