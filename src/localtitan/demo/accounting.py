"""Accounting: an invoice (with its items) for every job and membership bill, and the payments
against them: most paid in full, some partly, some still open.

Amounts are computed in whole cents and written as the decimal strings the API uses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, money, stamp, weighted
from localtitan.demo.model import BusinessUnit, Client, Company, GlAccount, Place, Sku, Work

__all__ = ["Line", "invoice_for_job", "invoice_for_membership"]


@dataclass(frozen=True)
class Line:
    """One invoice line: a pricebook item, how many, at what unit price."""

    sku: Sku
    quantity: float
    unit_cents: int
    technician_id: int | None = None


def _gl(account: GlAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "number": account.number,
        "type": account.type,
        "detailType": account.detail_type,
    }


def _address(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address.get(k) for k in ("street", "unit", "city", "state", "zip", "country")}


def _revenue_account(company: Company, sku: Sku) -> GlAccount:
    if sku.type == "Equipment" or "Installation" in sku.category:
        return company.gl["4010"]
    if "Maintenance" in sku.category:
        return company.gl["4020"]
    if sku.type == "Material":
        return company.gl["4000"]
    return company.gl["4000"]


def _items(
    company: Company,
    ids: Ids,
    invoice_id: int,
    bu: BusinessUnit,
    lines: list[Line],
    when: datetime,
    membership_type_id: int | None,
) -> tuple[list[dict[str, Any]], int, int]:
    """Item dicts, the subtotal and the taxable part, in cents."""
    items: list[dict[str, Any]] = []
    subtotal = 0
    taxable = 0
    for order, line in enumerate(lines, start=1):
        total = round(line.unit_cents * line.quantity)
        subtotal += total
        if line.sku.taxable:
            taxable += total
        cost_cents = round(line.sku.cost * 100 * line.quantity)
        kind = line.sku.type if line.sku.type != "PriceModifier" else "PriceModifier"
        items.append(
            {
                "id": ids.take(),
                "invoiceId": invoice_id,
                "skuId": line.sku.id,
                "skuName": line.sku.code,
                "displayName": line.sku.name,
                "description": f"<p>{line.sku.name}</p>",
                "type": kind,
                "quantity": f"{line.quantity:.2f}",
                "price": money(line.unit_cents),
                "memberPrice": money(round(line.sku.member_price * 100)),
                "total": money(total),
                "cost": money(round(line.sku.cost * 100)),
                "totalCost": money(cost_cents),
                "taxable": line.sku.taxable,
                "order": order,
                "isChargeable": True,
                "addOn": False,
                "inventory": kind == "Material",
                "inventoryLocation": None,
                "inventoryLocationId": None,
                "inventoryStatus": None,
                "generalLedgerAccount": _gl(_revenue_account(company, line.sku)),
                "costOfSaleAccount": _gl(
                    company.gl["5010"] if kind == "Equipment" else company.gl["5000"]
                ),
                "assetAccount": _gl(company.gl["1300"]) if kind != "Service" else None,
                "businessUnit": {"id": bu.id, "name": bu.name},
                "technicianId": line.technician_id,
                "serviceDate": stamp(when),
                "soldHours": line.sku.hours * line.quantity if kind == "Service" else None,
                "membershipTypeId": membership_type_id or 0,
                "itemGroup": None,
                "estimateItemId": None,
                "installedEquipmentId": None,
                "budgetCodeId": None,
                "displayInAmount": None,
                "createdById": None,
                "importId": None,
                "exportId": None,
                "active": True,
                "createdOn": stamp(when),
                "modifiedOn": stamp(when),
            }
        )
    return items, subtotal, taxable


def _tax_zone(company: Company, place: Place) -> tuple[int, str, float]:
    for zone in company.tax_zones:
        if zone.id == place.city.tax_zone_id:
            return zone.id, zone.name, zone.rate
    zone = company.tax_zones[0]
    return zone.id, zone.name, zone.rate


def _write_invoice(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    *,
    invoice_id: int,
    client: Client,
    place: Place,
    bu: BusinessUnit,
    lines: list[Line],
    when: datetime,
    issued: bool,
    config: str,
    summary: str,
    work: Work | None,
    membership_id: int | None,
    membership_type_id: int | None,
    employee: tuple[int, str],
    created_by: str,
    created: datetime,
) -> list[dict[str, Any]]:
    """Write the invoice, its items and its payments; return the item records."""
    items, subtotal, taxable = _items(company, ids, invoice_id, bu, lines, when, membership_type_id)
    zone_id, zone_name, rate = _tax_zone(company, place)
    tax = round(taxable * rate) if client.type == "Residential" or rng.random() < 0.8 else 0
    total = subtotal + tax
    _term_id, term_days = company.payment_terms.get(client.term, (0, 0))
    paid, payments = (
        _payments(company, ids, out, rng, client, bu, invoice_id, work, total, when, created_by)
        if issued and total > 0
        else (0, [])
    )
    balance = total - paid
    client.balance_cents += balance
    last_payment = payments[-1] if payments else None
    modified = max([created, when if issued else created, *(p for p in payments)])
    job = {"id": work.id, "number": work.number, "type": work.job_type.name} if work else None
    recent = issued and (company.anchor - when).days < 5
    out.add(
        "accounting:invoices",
        {
            "id": invoice_id,
            "syncStatus": "Pending" if recent or not issued else "Posted",
            "referenceNumber": work.number if work else str(invoice_id),
            "invoiceDate": stamp(when) if issued else None,
            "dueDate": stamp(when + timedelta(days=term_days)) if issued else None,
            "subTotal": money(subtotal),
            "salesTax": money(tax),
            "salesTaxCode": {"id": zone_id, "name": zone_name, "taxRate": rate},
            "taxZoneId": zone_id,
            "total": money(total),
            "balance": money(balance),
            "invoiceType": None,
            "customer": {"id": client.id, "name": client.name},
            "customerAddress": _address(client.address),
            "location": {"id": place.id, "name": place.name},
            "locationAddress": _address(place.address),
            "businessUnit": {"id": bu.id, "name": bu.name},
            "termName": client.term,
            "createdBy": created_by,
            "batch": None,
            "depositedOn": None,
            "adjustmentToId": None,
            "job": job,
            "projectId": None,
            "royalty": None,
            "employeeInfo": {
                "id": employee[0],
                "name": employee[1],
                "modifiedOn": stamp(company.founded),
            },
            "commissionEligibilityDate": stamp(last_payment) if balance == 0 and payments else None,
            "sentStatus": "Sent" if issued and not recent else "NotSent",
            "reviewStatus": "NeedsReview" if recent or not issued else "Reviewed",
            "assignedTo": None,
            "summary": summary,
            "items": items,
            "customFields": [],
            "discountTotal": money(
                -sum(
                    round(line.unit_cents * line.quantity) for line in lines if line.unit_cents < 0
                )
            ),
            "importId": None,
            "exportId": None,
            "materialSkuId": None,
            "membershipId": membership_id,
            "paidOn": stamp(last_payment) if balance == 0 and payments else None,
            "invoiceConfiguration": config,
            "budgetCodeId": None,
        },
        created=created,
        modified=modified,
    )
    for item in items:
        out.add(
            "accounting:invoices/{}/items",
            item,
            created=when,
            parent_id=invoice_id,
        )
    return items


def _payments(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    client: Client,
    bu: BusinessUnit,
    invoice_id: int,
    work: Work | None,
    total: int,
    when: datetime,
    created_by: str,
) -> tuple[int, list[datetime]]:
    """Pay an invoice (in full, in part, or not yet); return the amount paid and the dates."""
    age = (company.anchor - when).days
    if client.term != "Due Upon Receipt":
        outcome = weighted(rng, [("full", 70), ("partial", 8), ("none", 22 if age < 45 else 6)])
    else:
        outcome = weighted(rng, [("full", 80), ("partial", 9), ("none", 11 if age > 7 else 45)])
    if outcome == "none":
        return 0, []
    amounts = [total] if outcome == "full" else [round(total * rng.uniform(0.3, 0.7))]
    if outcome == "full" and total > 150_000 and rng.random() < 0.5:
        # Large jobs: a deposit, then the rest.
        first = round(total * 0.5)
        amounts = [first, total - first]
    paid = 0
    dates: list[datetime] = []
    reference = work.number if work else str(invoice_id)
    day = when
    for amount in amounts:
        if client.term == "Due Upon Receipt" and not dates and rng.random() < 0.65:
            day = when + timedelta(minutes=rng.randint(5, 40))  # paid on site
        else:
            day = day + timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 6))
        if day > company.anchor:
            break
        ptype = weighted(rng, [(p, share) for p, share in company.payment_types])
        pid = ids.take()
        out.add(
            "accounting:payments",
            {
                "id": pid,
                "typeId": str(ptype.id),
                "type": ptype.name,
                "total": money(amount),
                "unappliedAmount": "0.00",
                "date": stamp(day),
                "memo": None,
                "authCode": f"{rng.randint(0, 999999):06d}"
                if ptype.name == "Credit Card"
                else None,
                "checkNumber": str(rng.randint(1000, 9999)) if ptype.name == "Check" else None,
                "referenceNumber": reference,
                "batch": None,
                "businessUnit": {"id": bu.id, "name": bu.name},
                "customer": {"id": client.id, "name": client.name},
                "createdBy": created_by,
                "generalLedgerAccount": _gl(company.gl["1020"]),
                "deposit": None,
                "refundedPaymentId": None,
                "syncStatus": "Posted" if (company.anchor - day).days > 3 else "Pending",
                "appliedTo": [
                    {
                        "appliedId": pid,
                        "appliedTo": invoice_id,
                        "appliedAmount": money(amount),
                        "appliedOn": stamp(day),
                        "appliedBy": created_by,
                        "appliedToReferenceNumber": reference,
                    }
                ],
                "customFields": [],
            },
            created=day,
        )
        paid += amount
        dates.append(day)
    return paid, dates


def invoice_for_job(
    company: Company, ids: Ids, out: Out, rng: random.Random, work: Work
) -> list[dict[str, Any]]:
    """The job's invoice: items for a completed job, an empty invoice otherwise."""
    client = work.client
    done = work.status == "Completed" or (work.status == "Hold" and work.completed is None)
    lines: list[Line] = []
    if done and work.planned_skus:
        member = client.membership_id is not None
        tech = work.lead_tech.id
        for sku, qty in work.planned_skus:
            unit = sku.member_price if member and sku.type == "Service" else sku.price
            lines.append(Line(sku, qty, round(unit * 100), tech))
        discounts = {d.code: d for d in company.discounts}
        if not member and rng.random() < 0.06 and "D-SENIOR" in discounts:
            sub = sum(round(line.unit_cents * line.quantity) for line in lines)
            lines.append(Line(discounts["D-SENIOR"], 1, -round(sub * 0.10)))
        if rng.random() < 0.04 and "F-AFTERHRS" in discounts:
            fee = discounts["F-AFTERHRS"]
            lines.append(Line(fee, 1, round(fee.price * 100)))
    when = work.completed or work.created
    issued = work.status == "Completed" and work.completed is not None
    items = _write_invoice(
        company,
        ids,
        out,
        rng,
        invoice_id=work.invoice_id,
        client=client,
        place=work.place,
        bu=work.business_unit,
        lines=lines,
        when=when,
        issued=issued,
        config="JobInvoice",
        summary=f"<p>{work.job_type.name}</p>",
        work=work,
        membership_id=work.membership_id,
        membership_type_id=None,
        employee=(work.lead_tech.id, work.lead_tech.name),
        created_by=work.booked_by.name,
        created=work.created,
    )
    work.subtotal_cents = sum(round(line.unit_cents * line.quantity) for line in lines)
    return items


def invoice_for_membership(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    *,
    client: Client,
    membership_id: int,
    membership_type_id: int,
    bu: BusinessUnit,
    sku: Sku,
    amount_cents: int,
    when: datetime,
    created_by: tuple[int, str],
) -> None:
    place = client.places[0]
    _write_invoice(
        company,
        ids,
        out,
        rng,
        invoice_id=ids.take(),
        client=client,
        place=place,
        bu=bu,
        lines=[Line(sku, 1, amount_cents)],
        when=when,
        issued=True,
        config="MembershipInvoice",
        summary="<p>Membership billing</p>",
        work=None,
        membership_id=membership_id,
        membership_type_id=membership_type_id,
        employee=created_by,
        created_by=created_by[1],
        created=when,
    )
