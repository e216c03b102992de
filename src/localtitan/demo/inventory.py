"""Inventory: vendors, warehouses, trucks and purchase order types at company level; purchase
orders with their receipts for install jobs, and truck restocking transfers per chunk."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, pick, stamp
from localtitan.demo.model import Company, Named, Truck, Work
from localtitan.engine.collection_filters import TRANSFER_TYPES

__all__ = ["build_inventory", "purchase_order", "transfers"]

_VENDOR_KINDS = ("HVAC Supply", "Plumbing Supply", "Electric Supply", "Distribution")


def _short_address(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address.get(k) for k in ("street", "unit", "city", "state", "zip", "country")}


def build_inventory(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=15)
    vocab = company.vocab
    for i in range(company.plan.vendors):
        vid = ids.take()
        name = f"{pick(rng, vocab.last_names)} {_VENDOR_KINDS[i % len(_VENDOR_KINDS)]}"
        company.vendors.append(Named(vid, name))
        first, last = vocab.person(rng)
        address, _ = company.address(rng)
        out.add(
            "inventory:vendors",
            {
                "id": vid,
                "name": name,
                "isTruckReplenishment": i == 0,
                "isMobileCreationRestricted": False,
                "memo": "",
                "deliveryOption": "Email",
                "defaultTaxRate": company.tax_zones[0].rate,
                "contactInfo": {
                    "firstName": first,
                    "lastName": last,
                    "phone": company.phone(rng),
                    "email": vocab.email(rng, first, last),
                    "fax": "",
                },
                "address": _short_address(address),
                "customFields": [],
                "externalData": [],
            },
            created=when,
        )
    for i in range(company.plan.warehouses):
        wid = ids.take()
        name = (
            "Main Warehouse" if i == 0 else f"{company.cities[i % len(company.cities)].name} Yard"
        )
        company.warehouses.append(Named(wid, name))
        address, _ = company.address(rng)
        out.add(
            "inventory:warehouses",
            {
                "id": wid,
                "name": name,
                "address": _short_address(address),
                "inventoryTemplateId": None,
                "externalData": [],
            },
            created=when,
        )
    for n, tech in enumerate(company.technicians):
        tid = ids.take()
        warehouse = company.warehouses[n % len(company.warehouses)]
        truck = Truck(tid, f"Truck {101 + n}", warehouse.id, (tech.id,))
        company.trucks.append(truck)
        out.add(
            "inventory:trucks",
            {
                "id": tid,
                "name": truck.name,
                "memo": f"Assigned to {tech.name}",
                "warehouseId": warehouse.id,
                "technicianIds": [tech.id],
                "inventoryTemplateId": None,
                "externalData": [],
            },
            created=when,
        )
    for name, auto in (("Job Order", False), ("Stock Replenishment", True), ("Warranty", False)):
        pid = ids.take()
        company.po_types[name] = pid
        out.add(
            "inventory:purchase-order-types",
            {
                "id": pid,
                "name": name,
                "automaticallyReceive": auto,
                "displayToTechnician": name != "Warranty",
                "impactToTechnicianPayroll": False,
                "allowTechniciansToSendPo": name == "Job Order",
                "defaultRequiredDateDaysOffset": 2,
                "skipWeekends": True,
                "excludeTaxFromJobCosting": False,
                "includeTaxInFullyLandedCost": True,
                "landedCostMethod": "None",
            },
            created=when,
        )


def purchase_order(company: Company, ids: Ids, out: Out, rng: random.Random, work: Work) -> None:
    """The equipment order for an install job, received before the install if it happened."""
    if not work.installed:
        return
    ordered = work.created + timedelta(hours=rng.randint(2, 30))
    if ordered > company.anchor:
        return
    vendor = pick(rng, company.vendors)
    tech = work.lead_tech
    warehouse = company.warehouses[0]
    canceled = work.status == "Canceled"
    received = None if canceled else work.start - timedelta(days=1)
    if received is not None and received > company.anchor:
        received = None
    status = "Canceled" if canceled else ("Received" if received else "Sent")
    items = []
    total = 0.0
    for sku in work.installed:
        item_id = ids.take()
        total += sku.cost
        items.append(
            {
                "id": item_id,
                "skuId": sku.id,
                "skuName": sku.name,
                "skuCode": sku.code,
                "skuType": "Equipment",
                "description": f"<p>{sku.manufacturer} {sku.model}</p>",
                "vendorPartNumber": sku.model,
                "quantity": 1,
                "quantityReceived": 1 if received else 0,
                "cost": sku.cost,
                "total": sku.cost,
                "serialNumbers": [],
                "status": "Received" if received else "Pending",
                "chargeable": False,
                "budgetCodeId": None,
                "createdOn": stamp(ordered),
                "modifiedOn": stamp(received or ordered),
            }
        )
    tax = round(total * 0.0825, 2)
    po_id = ids.take()
    modified = received or ordered
    out.add(
        "inventory:purchase-orders",
        {
            "id": po_id,
            "number": f"PO{po_id}",
            "invoiceId": work.invoice_id,
            "jobId": work.id,
            "projectId": None,
            "status": status,
            "typeId": company.po_types["Job Order"],
            "vendorId": vendor.id,
            "technicianId": tech.id,
            "shipTo": _short_address(work.place.address),
            "businessUnitId": work.business_unit.id,
            "inventoryLocationId": warehouse.id,
            "batchId": None,
            "budgetCodeId": None,
            "vendorDocumentNumber": f"SO-{rng.randint(100000, 999999)}",
            "date": stamp(ordered),
            "requiredOn": stamp(work.start - timedelta(days=1)),
            "sentOn": stamp(ordered),
            "receivedOn": stamp(received),
            "createdById": work.booked_by.id,
            "total": round(total + tax, 2),
            "tax": tax,
            "shipping": 0,
            "summary": f"Equipment for job {work.number}",
            "items": items,
            "customFields": [],
        },
        created=ordered,
        modified=modified,
    )
    if received is None:
        return
    rid = ids.take()
    out.add(
        "inventory:receipts",
        {
            "id": rid,
            "number": f"RC{rid}",
            "vendorInvoiceNumber": f"INV-{rng.randint(100000, 999999)}",
            "memo": "",
            "purchaseOrderId": po_id,
            "billId": None,
            "batchId": None,
            "vendorId": vendor.id,
            "technicianId": tech.id,
            "businessUnitId": work.business_unit.id,
            "inventoryLocationId": warehouse.id,
            "jobId": work.id,
            "shipToDescription": warehouse.name,
            "receiptAmount": round(total + tax, 2),
            "taxAmount": tax,
            "shippingAmount": 0,
            "landedCostMethod": "None",
            "syncStatus": "Posted",
            "receivedOn": stamp(received),
            "createdById": work.booked_by.id,
            "items": [
                {
                    "id": ids.take(),
                    "skuId": item["skuId"],
                    "code": item["skuCode"],
                    "name": item["skuName"],
                    "description": item["description"],
                    "quantity": 1,
                    "cost": item["cost"],
                    "purchaseOrderItemId": item["id"],
                }
                for item in items
            ],
            "customFields": [],
        },
        created=received,
    )


def _transfer_type(transfer_id: int) -> str:
    """Mostly truck replenishment, some standard transfers and requisitions; chosen from the
    id so the generator's sequence is unchanged. Names are ServiceTitan's prebuilt types, which
    ``transferTypeIds`` names by id (docs/decisions/0180)."""
    share = transfer_id % 10
    type_id = 1 if share < 6 else (2 if share < 9 else 3)
    return TRANSFER_TYPES[type_id]


def transfers(company: Company, ids: Ids, out: Out, rng: random.Random, count: int) -> None:
    """Warehouse-to-truck restocking over the past year."""
    stock = [m for m in company.materials if m.price > 0] or company.materials
    clerk = company.staff_with("Field Manager")
    for _ in range(count):
        truck = pick(rng, company.trucks)
        when = company.window_start + timedelta(days=rng.uniform(0, 364), hours=rng.randint(12, 22))
        pending = when > company.anchor - timedelta(days=3)
        picker = truck.technician_ids[0]
        items = []
        for sku in rng.sample(stock, min(len(stock), rng.randint(1, 4))):
            qty = rng.randint(2, 12)
            items.append(
                {
                    "id": ids.take(),
                    "skuId": sku.id,
                    "code": sku.code,
                    "name": sku.name,
                    "description": f"<p>{sku.name}</p>",
                    "quantity": qty,
                    "quantityPicked": 0 if pending else qty,
                    "cost": sku.cost,
                    "totalCost": round(sku.cost * qty, 2),
                    "serialNumbers": [],
                    "active": True,
                    "budgetCodeId": None,
                    "createdById": pick(rng, clerk).id,
                    "createdOn": stamp(when),
                    "modifiedOn": stamp(when),
                }
            )
        tid = ids.take()
        done = when + timedelta(hours=rng.randint(1, 20))
        out.add(
            "inventory:transfers",
            {
                "id": tid,
                "number": f"TR{tid}",
                "transferType": _transfer_type(tid),
                "status": "Pending" if pending else "Completed",
                "referenceNumber": f"RPL-{tid % 100000:05d}",
                "fromLocationId": truck.warehouse_id,
                "toLocationId": truck.id,
                "memo": f"Restock {truck.name}",
                "date": stamp(when),
                "dateRequired": stamp(when + timedelta(days=1)),
                "pickedDate": None if pending else stamp(done),
                "pickedById": None if pending else picker,
                "receivedDate": None if pending else stamp(done),
                "receivedById": None if pending else picker,
                "createdById": items[0]["createdById"],
                "syncStatus": "Pending" if pending else "Posted",
                "jobId": None,
                "invoiceId": None,
                "batchId": None,
                "batch": None,
                "canceledById": None,
                "canceledReason": None,
                "dateCanceled": None,
                "items": items,
                "customFields": [],
                "externalData": [],
            },
            created=when,
            modified=when if pending else done,
        )
