"""Accounts payable: remittance vendors and monthly journal entries for the company; per
chunk, the vendor bill of every received purchase order (as an inventory bill and as an AP
bill), its payment once due, the odd return to the vendor and the credit it brings, inventory
adjustments and technicians' purchase requests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, chance, iso, pick, stamp
from localtitan.demo.model import Company, GlAccount
from localtitan.store.records import Stored, parse_time

__all__ = ["build_payables_setup", "payables_for_chunk"]


def _gl(account: GlAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "number": account.number,
        "type": account.type,
        "detailType": account.detail_type,
    }


def _named(value: Any) -> dict[str, Any] | None:
    return {"id": value.id, "name": value.name} if value is not None else None


def build_payables_setup(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """A remittance vendor per vendor (where bills are paid), and a journal entry per month
    since the company started."""
    vocab = company.vocab
    for vendor in company.vendors:
        rid = ids.take()
        company.remittance_vendors[vendor.id] = rid
        first, last = vocab.person(rng)
        address, _ = company.address(rng)
        out.add(
            "accounting:remittance-vendors",
            {
                "id": rid,
                "name": f"{vendor.name} Remittance",
                "customerId": f"C{vendor.id % 100000:05d}",
                "isApproved": True,
                "isVerified": chance(rng, 0.8),
                "address": {k: address[k] for k in ("street", "unit", "city", "state", "zip")}
                | {"country": "USA"},
                "contactInfo": {
                    "firstName": first,
                    "lastName": last,
                    "phone": company.phone(rng),
                    "email": vocab.email(rng, first, last),
                    "fax": "",
                },
            },
            created=company.founded + timedelta(days=20),
        )
    accountant = company.staff_with("Accounting")[0]
    month = datetime(company.founded.year, company.founded.month, 1, tzinfo=company.anchor.tzinfo)
    number = 1
    while month < company.anchor:
        nxt = datetime(
            month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=month.tzinfo
        )
        closed = nxt + timedelta(days=10) < company.anchor
        posted = min(company.anchor - timedelta(hours=1), nxt + timedelta(days=rng.randint(3, 9)))
        key = f"{rng.getrandbits(128):032x}"
        jid = f"{key[:8]}-{key[8:12]}-4{key[13:16]}-a{key[17:20]}-{key[20:]}"
        out.add(
            "accounting:journal-entries",
            {
                "id": jid,
                "number": number,
                "name": f"Month end {month:%B %Y}",
                "status": "Closed" if closed else "Open",
                "postDate": (nxt - timedelta(days=1)).date().isoformat(),
                "source": "ServiceTitan",
                "syncStatus": "Synced" if closed else "NotSynced",
                "isEmpty": False,
                "exportedOn": stamp(posted) if closed else None,
                "exportedBy": _named(accountant) if closed else None,
                "message": None,
                "url": None,
                "versionId": 1,
                "lastSyncVersionId": 1 if closed else None,
                "customFields": [],
            },
            created=posted,
            row_id=ids.take(),
            guid=jid,
        )
        number += 1
        month = nxt


def _bill_items(company: Company, receipt: Stored, po: Stored) -> list[dict[str, Any]]:
    by_po_item = {item["id"]: item for item in po.data["items"]}
    items = []
    for order, line in enumerate(receipt.data["items"], start=1):
        po_item = by_po_item.get(line.get("purchaseOrderItemId"), {})
        cost = float(line["cost"])
        items.append(
            {
                "id": line["id"],
                "order": order,
                "name": line["name"],
                "description": line["description"],
                "quantity": f"{float(line['quantity']):.2f}",
                "cost": f"{cost:.2f}",
                "fullyLandedUnitCost": f"{cost:.2f}",
                "allocatedTax": "0.00",
                "allocatedShipping": "0.00",
                "allocatedOtherCosts": "0.00",
                "skuId": line["skuId"],
                "skuCode": line["code"],
                "skuType": po_item.get("skuType", "Equipment"),
                "vendorPartNumber": po_item.get("vendorPartNumber"),
                "serialNumber": None,
                "receiptItemId": line["id"],
                "generalLedgerAccount": _gl(company.gl["1300"]),
                "costOfSaleAccount": _gl(company.gl["5010"]),
                "assetAccount": _gl(company.gl["1300"]),
                "budgetCodeId": None,
            }
        )
    return items


def _bills(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    pos = {rec.id: rec for rec in kinds.get("inventory:purchase-orders", [])}
    vendors = {v.id: v for v in company.vendors}
    warehouses = {w.id: w for w in company.warehouses}
    accountant = company.staff_with("Accounting")[0]
    for receipt in kinds.get("inventory:receipts", []):
        po = pos.get(receipt.data["purchaseOrderId"])
        if po is None:
            continue
        received = parse_time(receipt.data["receivedOn"])
        billed = received + timedelta(days=rng.randint(1, 6))
        if billed > company.anchor:
            continue
        bill_id = ids.take()
        receipt.data["billId"] = bill_id
        vendor = vendors[receipt.data["vendorId"]]
        total = float(receipt.data["receiptAmount"])
        tax = float(receipt.data["taxAmount"])
        due = billed + timedelta(days=30)
        common = {
            "id": bill_id,
            "referenceNumber": receipt.data["vendorInvoiceNumber"],
            "vendorNumber": receipt.data["vendorInvoiceNumber"],
            "summary": po.data["summary"],
            "billDate": iso(billed),
            "billAmount": f"{total:.2f}",
            "taxAmount": f"{tax:.2f}",
            "shippingAmount": "0.00",
            "otherAmount": "0.00",
            "dueDate": iso(due),
            "postDate": iso(billed),
            "createdBy": accountant.name,
            "termName": "Net 30",
            "jobId": po.data["jobId"],
            "jobNumber": str(po.data["jobId"]),
            "purchaseOrderId": po.id,
            "businessUnit": {"id": po.data["businessUnitId"], "name": ""},
            "vendor": _named(vendor),
            "shipTo": po.data["shipTo"],
            "shipToDescription": receipt.data["shipToDescription"],
            "taxZone": {"id": company.tax_zones[0].id, "name": company.tax_zones[0].name},
            "landedCostMethod": "None",
            "syncStatus": "Posted" if (company.anchor - billed).days > 3 else "Pending",
            "dateReconciled": None,
            "items": _bill_items(company, receipt, po),
            "customFields": [],
            "batch": None,
            "budgetCodeId": None,
        }
        bu = next((b for b in company.business_units if b.id == po.data["businessUnitId"]), None)
        if bu is not None:
            common["businessUnit"] = _named(bu)
        modified = billed
        paid_on = due - timedelta(days=rng.randint(0, 10))
        paid = paid_on < company.anchor
        out.add("accounting:inventory-bills", dict(common), created=billed, modified=modified)
        warehouse = warehouses.get(receipt.data["inventoryLocationId"])
        ap_items = [{**item, "inventoryLocation": _named(warehouse)} for item in common["items"]]
        out.add(
            "accounting:ap-bills",
            {
                **common,
                "items": ap_items,
                "billType": "Inventory",
                "source": "PurchaseOrder",
                "status": "Paid" if paid else "Unpaid",
                "vendorInvoiceTotal": f"{total:.2f}",
                "remittanceVendorInfo": {
                    "id": company.remittance_vendors[vendor.id],
                    "name": f"{vendor.name} Remittance",
                },
                "doNotPay": False,
                "earlyDiscountDate": None,
                "dateCanceled": None,
                "canceledBy": None,
                "expenseItems": [],
            },
            created=billed,
            modified=paid_on if paid else billed,
            row_id=bill_id,
        )
        if not paid:
            continue
        payment_id = ids.take()
        out.add(
            "accounting:ap-payments",
            {
                "id": payment_id,
                "name": f"Check {rng.randint(10000, 99999)}",
                "date": iso(paid_on),
                "approvedDate": iso(paid_on - timedelta(days=1)),
                "amount": total,
                "method": "AccountingSystem",
                "status": "Paid",
                "syncStatus": "Posted",
                "printCheck": chance(rng, 0.5),
                "errorMessage": None,
                "vendor": _named(vendor),
                "remittanceVendor": {
                    "id": company.remittance_vendors[vendor.id],
                    "name": f"{vendor.name} Remittance",
                },
                "businessUnit": common["businessUnit"],
                "glAccount": _gl(company.gl["1010"]),
                "splits": [
                    {
                        "id": ids.take(),
                        "active": True,
                        "amount": total,
                        "createdOn": iso(paid_on),
                        "inventoryBillId": bill_id,
                        "documentId": bill_id,
                    }
                ],
                "customFields": [],
                "batch": None,
            },
            created=paid_on,
        )
        if chance(rng, 0.12):
            _return(company, ids, out, rng, po, receipt, bill_id, received)


def _return(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    po: Stored,
    receipt: Stored,
    bill_id: int,
    received: datetime,
) -> None:
    """A damaged or wrong unit sent back to the vendor, and the credit the vendor gives."""
    line = receipt.data["items"][0]
    returned = received + timedelta(days=rng.randint(2, 10))
    if returned > company.anchor - timedelta(days=1):
        return
    credited = returned + timedelta(days=rng.randint(5, 20))
    has_credit = credited < company.anchor
    cost = float(line["cost"])
    return_type = pick(rng, company.return_types)
    rid = ids.take()
    out.add(
        "inventory:returns",
        {
            "id": rid,
            "number": f"RT{rid}",
            "referenceNumber": receipt.data["vendorInvoiceNumber"],
            "jobId": po.data["jobId"],
            "purchaseOrderId": po.id,
            "vendorId": po.data["vendorId"],
            "businessUnitId": po.data["businessUnitId"],
            "inventoryLocationId": po.data["inventoryLocationId"],
            "returnTypeId": return_type.id,
            "status": "CreditReceived" if has_credit else "Returned",
            "memo": "Unit arrived damaged.",
            "returnDate": iso(returned),
            "returnedOn": iso(returned),
            "creditReceivedOn": stamp(credited) if has_credit else None,
            "returnAmount": cost,
            "taxAmount": 0,
            "shippingAmount": 0,
            "syncStatus": "Posted",
            "createdById": po.data["createdById"],
            "items": [
                {
                    "id": ids.take(),
                    "skuId": line["skuId"],
                    "code": line["code"],
                    "name": line["name"],
                    "description": line["description"],
                    "quantity": 1,
                    "cost": cost,
                    "active": True,
                    "createdById": po.data["createdById"],
                    "createdOn": iso(returned),
                    "modifiedOn": iso(returned),
                    "generalLedgerAccount": _gl(company.gl["1300"]),
                    "costOfSaleAccount": _gl(company.gl["5010"]),
                    "assetAccount": _gl(company.gl["1300"]),
                }
            ],
            "customFields": [],
            "externalData": [],
        },
        created=returned,
        modified=credited if has_credit else returned,
    )
    if not has_credit:
        return
    vendor = next(v for v in company.vendors if v.id == po.data["vendorId"])
    cid = ids.take()
    out.add(
        "accounting:ap-credits",
        {
            "id": cid,
            "number": f"VC{cid}",
            "referenceNumber": f"CM-{rng.randint(10000, 99999)}",
            "inventoryReturnId": rid,
            "jobId": po.data["jobId"],
            "date": iso(credited),
            "amount": cost,
            "appliedAmount": cost,
            "memo": "Credit for returned unit.",
            "status": "Unreconciled",
            "paymentStatus": "Paid",
            "syncStatus": "Posted",
            "vendor": _named(vendor),
            "remittanceVendor": {
                "id": company.remittance_vendors[vendor.id],
                "name": f"{vendor.name} Remittance",
            },
            "businessUnit": {"id": po.data["businessUnitId"], "name": ""},
            "splits": [
                {
                    "id": ids.take(),
                    "active": True,
                    "amount": cost,
                    "createdOn": iso(credited),
                    "inventoryBillId": bill_id,
                    "vendorCreditId": cid,
                }
            ],
            "customFields": [],
            "batch": None,
        },
        created=credited,
    )


def _stock(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    """Cycle-count adjustments at the warehouse and technicians' purchase requests."""
    jobs = [
        rec
        for rec in kinds.get("jpm:jobs", [])
        if rec.data["jobStatus"] in ("Completed", "Scheduled")
    ]
    count = max(1, len(jobs) // 60)
    span = (company.anchor - company.window_start).days
    for _ in range(count):
        when = company.window_start + timedelta(days=rng.uniform(0, span - 1))
        sku = pick(rng, company.materials)
        qty = float(rng.choice((-3, -2, -1, 1, 2)))
        aid = ids.take()
        clerk = pick(rng, company.staff_with("Office Manager"))
        out.add(
            "inventory:adjustments",
            {
                "id": aid,
                "number": f"ADJ{aid}",
                "type": "Adjustment",
                "referenceNumber": f"CC-{when:%Y%m%d}",
                "memo": "Cycle count correction",
                "date": iso(when),
                "inventoryLocationId": company.warehouses[0].id,
                "businessUnitId": company.business_units[0].id,
                "createdById": clerk.id,
                "syncStatus": "Posted",
                "items": [
                    {
                        "id": ids.take(),
                        "skuId": sku.id,
                        "code": sku.code,
                        "name": sku.name,
                        "description": sku.name,
                        "quantity": qty,
                        "cost": sku.cost,
                        "active": True,
                        "createdById": clerk.id,
                        "createdOn": iso(when),
                        "modifiedOn": iso(when),
                    }
                ],
                "customFields": [],
                "externalData": [],
            },
            created=when,
        )
    for job in rng.sample(jobs, min(len(jobs), count)):
        tech_id = None
        for assignment in kinds.get("dispatch:appointment-assignments", []):
            if assignment.data["jobId"] == job.id:
                tech_id = assignment.data["technicianId"]
                break
        when = parse_time(job.data["createdOn"]) + timedelta(hours=rng.randint(1, 20))
        when = min(when, company.anchor - timedelta(hours=1))
        sku = pick(rng, company.materials)
        status = (
            "Pending"
            if (company.anchor - when).days < 3
            else pick(rng, ("Approved", "Approved", "Rejected"))
        )
        rid = ids.take()
        out.add(
            "inventory:purchase-orders/requests",
            {
                "id": rid,
                "requestNumber": f"REQ{rid}",
                "requestStatus": status,
                "jobId": job.id,
                "invoiceId": job.data["invoiceId"],
                "technicianId": tech_id,
                "vendorId": company.vendors[0].id,
                "typeId": company.po_types["Job Order"],
                "businessUnitId": job.data["businessUnitId"],
                "inventoryLocationId": company.warehouses[0].id,
                "date": iso(when),
                "requiredOn": iso(when + timedelta(days=2)),
                "summary": f"Parts for job {job.data['jobNumber']}",
                "total": round(sku.cost * 2, 2),
                "tax": 0,
                "shipping": 0,
                "items": [
                    {
                        "id": ids.take(),
                        "skuId": sku.id,
                        "skuCode": sku.code,
                        "description": sku.name,
                        "quantity": 2,
                        "quantityReceived": 0,
                        "cost": sku.cost,
                        "chargeable": True,
                        "createdOn": iso(when),
                        "modifiedOn": iso(when),
                        "serialNumbers": [],
                    }
                ],
                "customFields": [],
            },
            created=when,
        )


def payables_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    _bills(company, ids, out, rng, kinds)
    _stock(company, ids, out, rng, kinds)
