"""Installed equipment: what the company put in on install jobs, and the older systems found
at customers' homes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, chance, pick, stamp
from localtitan.demo.model import Client, Company, Place, Sku

__all__ = ["existing_equipment", "install"]

_OLD = (
    ("Air Conditioner", "Carrier", "AC"),
    ("Furnace", "Lennox", "Furnace"),
    ("Water Heater", "Bradford White", "Water Heater"),
    ("Air Conditioner", "Goodman", "AC"),
    ("Furnace", "Trane", "Furnace"),
)


def _serial(rng: random.Random) -> str:
    return f"{rng.randint(1000, 9999)}{chr(65 + rng.randint(0, 25))}{rng.randint(100000, 999999)}"


def _record(
    company: Company,
    rng: random.Random,
    eid: int,
    client: Client,
    place: Place,
    name: str,
    kind: str,
    maker: str,
    model: str,
    installed: datetime,
    warranty_years: int,
) -> dict[str, Any]:
    life_months = 180
    replace_on = installed + timedelta(days=life_months * 30)
    return {
        "id": eid,
        "name": name,
        "locationId": place.id,
        "customerId": client.id,
        "installedOn": stamp(installed),
        "manufacturedOn": (installed - timedelta(days=rng.randint(30, 300))).strftime("%Y-%m-%d"),
        "serialNumber": _serial(rng),
        "barcodeId": None,
        "memo": "",
        "manufacturer": maker,
        "model": model,
        "type": {"id": company.equipment_types[kind], "name": kind}
        if kind in company.equipment_types
        else None,
        "status": "Installed",
        "manufacturerWarrantyStart": stamp(installed),
        "manufacturerWarrantyEnd": stamp(installed + timedelta(days=365 * warranty_years)),
        "serviceProviderWarrantyStart": stamp(installed),
        "serviceProviderWarrantyEnd": stamp(installed + timedelta(days=365)),
        "predictedReplacementMonths": life_months,
        "predictedReplacementDate": replace_on.strftime("%Y-%m-%d"),
        "actualReplacementDate": None,
        "tags": [],
        "attachments": [],
        "customFields": [],
    }


def existing_equipment(
    company: Company, ids: Ids, out: Out, rng: random.Random, client: Client
) -> None:
    """Systems already at a home when it became a customer."""
    for place in client.places:
        if not chance(rng, 0.35):
            continue
        kind, maker, short = pick(rng, _OLD)
        age_years = rng.randint(3, 19)
        installed = client.created - timedelta(days=365 * age_years + rng.randint(0, 300))
        eid = ids.take()
        data = _record(
            company,
            rng,
            eid,
            client,
            place,
            f"{maker} {short}",
            kind,
            maker,
            f"{short[:2].upper()}{rng.randint(1000, 9999)}",
            installed,
            10,
        )
        data["equipmentId"] = None
        data["invoiceItemId"] = None
        data["cost"] = 0
        out.add("equipmentsystems:installed-equipment", data, created=client.created)


def install(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    client: Client,
    place: Place,
    sku: Sku,
    when: datetime,
    invoice_item_id: int | None,
) -> int:
    """Record equipment the company installed; returns its id."""
    eid = ids.take()
    data = _record(
        company,
        rng,
        eid,
        client,
        place,
        sku.name,
        sku.equipment_type,
        sku.manufacturer,
        sku.model,
        when,
        sku.warranty_years,
    )
    data["equipmentId"] = sku.id
    data["invoiceItemId"] = invoice_item_id
    data["cost"] = sku.cost
    out.add("equipmentsystems:installed-equipment", data, created=when)
    return eid
