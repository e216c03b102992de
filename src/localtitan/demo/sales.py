"""Sales: the estimates technicians leave on service and consultation calls. A sold estimate
becomes an install job (see :mod:`localtitan.demo.jobs`)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, chance, pick, stamp, weighted
from localtitan.demo.model import Company, Sku, Work

__all__ = ["Estimate", "estimate_for_job"]

# Which install a trade's estimate proposes.
_INSTALL_FOR = {
    "HVAC": ("AC Install", "Furnace Install", "Heat Pump Install"),
    "Plumbing": ("Water Heater Install",),
    "Electrical": ("Panel Upgrade", "EV Charger Install"),
}
_STATUS = {"Open": 0, "Sold": 1, "Dismissed": 2}


@dataclass
class Estimate:
    id: int
    status: str
    sold_on: datetime | None
    sold_by: int | None
    install_type: str
    skus: list[tuple[Sku, float]]


def _item(company: Company, ids: Ids, sku: Sku, qty: float, when: datetime) -> dict[str, Any]:
    account = company.gl["4010"]
    return {
        "id": ids.take(),
        "sku": {
            "id": sku.id,
            "name": sku.code,
            "displayName": sku.name,
            "type": sku.type,
            "soldHours": sku.hours,
            "generalLedgerAccountId": account.id,
            "generalLedgerAccountName": account.name,
            "modifiedOn": stamp(company.founded + timedelta(days=20)),
        },
        "skuAccount": f"{account.number} {account.name}",
        "description": f"<p>{sku.name}</p>",
        "membershipTypeId": None,
        "qty": qty,
        "unitRate": sku.price,
        "total": round(sku.price * qty, 2),
        "unitCost": sku.cost,
        "totalCost": round(sku.cost * qty, 2),
        "itemGroupName": "",
        "itemGroupRootId": None,
        "createdOn": stamp(when),
        "modifiedOn": stamp(when),
        "chargeable": True,
        "invoiceItemId": None,
        "budgetCodeId": None,
    }


def estimate_for_job(
    company: Company, ids: Ids, out: Out, rng: random.Random, work: Work
) -> Estimate | None:
    """Maybe leave an estimate on a finished job (always on a consultation)."""
    if work.status != "Completed" or work.completed is None:
        return None
    consult = work.job_type.cls == "Sales"
    if not consult and not (work.job_type.cls == "Service" and chance(rng, 0.18)):
        return None
    options = [name for name in _INSTALL_FOR.get(work.job_type.trade, ()) if company.skus_for(name)]
    if not options:
        return None
    install_type = pick(rng, options)
    offered = company.skus_for(install_type)
    skus: list[tuple[Sku, float]] = []
    if offered.get("Equipment"):
        skus.append((pick(rng, offered["Equipment"]), 1))
    skus.extend((s, 1) for s in offered.get("Service", [])[:1])
    skus.extend((m, 1) for m in offered.get("Material", [])[:2])
    if not skus:
        return None
    when = work.completed - timedelta(minutes=rng.randint(10, 40))
    age = (company.anchor - when).days
    status = weighted(
        rng,
        [("Sold", 40 if consult else 25), ("Dismissed", 30 if age > 30 else 5), ("Open", 30)],
    )
    tech = work.lead_tech
    sold_on = None
    if status == "Sold":
        sold_on = min(company.anchor - timedelta(hours=1), when + timedelta(days=rng.randint(0, 9)))
    eid = ids.take()
    items = [_item(company, ids, sku, qty, when) for sku, qty in skus]
    subtotal = round(sum(i["total"] for i in items), 2)
    taxable = sum(i["total"] for i, (sku, _) in zip(items, skus, strict=True) if sku.taxable)
    tax = round(taxable * company.tax_zones[0].rate, 2)
    tier = pick(rng, ("Good", "Better", "Best"))
    out.add(
        "sales:estimates",
        {
            "id": eid,
            "jobId": work.id,
            "projectId": None,
            "locationId": work.place.id,
            "customerId": work.client.id,
            "name": f"{install_type} - {tier}",
            "jobNumber": work.number,
            "status": {"value": _STATUS[status], "name": status},
            "reviewStatus": "None",
            "summary": f"{tier} option: {skus[0][0].name}",
            "soldOn": stamp(sold_on),
            "soldBy": tech.id if sold_on else None,
            "items": items,
            "externalLinks": [],
            "subtotal": subtotal,
            "tax": tax,
            "businessUnitId": work.business_unit.id,
            "businessUnitName": work.business_unit.name,
            "isRecommended": tier == "Better",
            "budgetCodeId": None,
            "isChangeOrder": False,
            "proposalTagName": None,
            "depositAmount": None,
            "depositPercent": None,
            "requireDepositOnSignature": False,
        },
        created=when,
        modified=sold_on or when,
    )
    for item in items:
        out.add("sales:estimates/{}/items", item, created=when, parent_id=eid)
    work.estimate_ids.append(eid)
    return Estimate(eid, status, sold_on, tech.id if sold_on else None, install_type, skus)
