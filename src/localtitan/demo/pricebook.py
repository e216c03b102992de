"""The pricebook: categories, services, materials, equipment, discounts and fees, plus the
equipment types installed equipment is filed under."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from localtitan.demo import content
from localtitan.demo.context import Ids, Out, pick
from localtitan.demo.model import Company, Sku

__all__ = ["build_pricebook"]


def _vendor(company: Company, rng: random.Random, cost: float) -> dict[str, Any]:
    vendor = pick(rng, company.vendors)
    return {
        "id": vendor.id,
        "vendorId": vendor.id,
        "vendorName": vendor.name,
        "memo": None,
        "vendorPart": f"{rng.randint(10000, 99999)}",
        "cost": cost,
        "active": True,
        "primarySubAccount": None,
        "otherSubAccounts": None,
    }


def build_pricebook(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=20)
    modified = company.anchor - timedelta(days=rng.randint(20, 90))
    bus = {bu.trade: bu.id for bu in reversed(company.business_units)}
    categories: dict[str, int] = {}
    for position, (name, trade, kind) in enumerate(content.PRICEBOOK_CATEGORIES):
        cid = ids.take()
        categories[name] = cid
        out.add(
            "pricebook:categories",
            {
                "id": cid,
                "name": name,
                "position": position,
                "description": f"{trade} {kind.lower()}",
                "parentId": None,
                "image": None,
                "categoryType": kind,
                "businessUnitIds": [bus[trade]],
                "skuImages": [],
                "skuVideos": [],
                "hideInMobile": False,
                "subcategories": [],
            },
            created=when,
            modified=modified,
        )
    for name in content.EQUIPMENT_TYPES:
        eid = ids.take()
        company.equipment_types[name] = eid
        out.add("equipmentsystems:equipment-types", {"id": eid, "name": name}, created=when)
    gl = company.gl
    for code, name, category, cost, price, unit, job_types in content.MATERIALS:
        mid = ids.take()
        # Parts billed inside a service (price 0) are not charged on their own.
        sell = price or round(cost * 3, 2)
        sku = Sku(
            mid,
            code,
            name,
            "Material",
            sell,
            round(sell * 0.85, 2),
            cost,
            0,
            True,
            category,
            job_types,
        )
        company.materials.append(sku)
        out.add(
            "pricebook:materials",
            {
                "id": mid,
                "code": code,
                "displayName": name,
                "description": f"<p>{name}</p>",
                "cost": cost,
                "price": sell,
                "memberPrice": sku.member_price,
                "addOnPrice": sell,
                "addOnMemberPrice": sku.member_price,
                "hours": 0,
                "bonus": 0,
                "commissionBonus": 0,
                "paysCommission": False,
                "deductAsJobCost": True,
                "unitOfMeasure": unit,
                "isInventory": unit == "Each",
                "account": f"{gl['4000'].number} {gl['4000'].name}",
                "costOfSaleAccount": f"{gl['5000'].number} {gl['5000'].name}",
                "assetAccount": f"{gl['1300'].number} {gl['1300'].name}",
                "generalLedgerAccountId": gl["4000"].id,
                "taxable": True,
                "primaryVendor": _vendor(company, rng, cost),
                "otherVendors": [],
                "categories": [categories[category]],
                "assets": [],
                "source": None,
                "externalId": None,
                "chargeableByDefault": price > 0,
                "isConfigurableMaterial": False,
                "displayInAmount": False,
                "isOtherDirectCost": False,
                "createdById": company.staff[0].id,
                "variationsOrConfigurableMaterials": [],
            },
            created=when,
            modified=modified,
        )
    for code, name, maker, model, etype, cost, _price, years, job_types in content.EQUIPMENT:
        eid = ids.take()
        sell = round(cost * 2.2, 2)
        sku = Sku(
            eid,
            code,
            name,
            "Equipment",
            sell,
            round(sell * 0.95, 2),
            cost,
            0,
            True,
            "HVAC Installation",
            job_types,
            maker,
            model,
            etype,
            years,
        )
        company.equipment.append(sku)
        out.add(
            "pricebook:equipment",
            {
                "id": eid,
                "code": code,
                "displayName": name,
                "description": f"<p>{maker} {name}, model {model}</p>",
                "price": sell,
                "memberPrice": sku.member_price,
                "addOnPrice": sell,
                "addOnMemberPrice": sku.member_price,
                "cost": cost,
                "manufacturer": maker,
                "model": model,
                "manufacturerWarranty": {
                    "duration": years * 12,
                    "description": f"{years}-year parts",
                },
                "serviceProviderWarranty": {"duration": 12, "description": "1-year labor"},
                "categories": [],
                "assets": [],
                "recommendations": [],
                "upgrades": [],
                "equipmentMaterials": [],
                "isInventory": True,
                "unitOfMeasure": "Each",
                "account": f"{gl['4010'].number} {gl['4010'].name}",
                "costOfSaleAccount": f"{gl['5010'].number} {gl['5010'].name}",
                "assetAccount": f"{gl['1300'].number} {gl['1300'].name}",
                "generalLedgerAccountId": gl["4010"].id,
                "taxable": True,
                "primaryVendor": _vendor(company, rng, cost),
                "otherVendors": [],
                "typeId": company.equipment_types.get(etype),
                "dimensions": None,
                "hours": 0,
                "bonus": 0,
                "commissionBonus": 0,
                "paysCommission": True,
                "displayInAmount": False,
                "isConfigurableEquipment": False,
            },
            created=when,
            modified=modified,
        )
    for code, name, category, price, hours, job_types in content.SERVICES:
        sid = ids.take()
        sku = Sku(
            sid,
            code,
            name,
            "Service",
            price,
            round(price * 0.85, 2),
            round(price * 0.3, 2),
            hours,
            True,
            category,
            job_types,
        )
        company.services.append(sku)
        trade = next(t for n, t, _ in content.PRICEBOOK_CATEGORIES if n == category)
        links = [m for m in company.materials if set(m.job_types) & set(job_types)][:2]
        account = gl["4010"] if "Installation" in category else gl["4000"]
        out.add(
            "pricebook:services",
            {
                "id": sid,
                "code": code,
                "displayName": name,
                "description": f"<p>{name}. Includes labor and standard warranty.</p>",
                "warranty": {"duration": 12 if price > 500 else 3, "description": "Labor warranty"},
                "categories": [{"id": categories[category], "name": category, "active": True}],
                "price": price,
                "memberPrice": sku.member_price,
                "addOnPrice": round(price * 0.9, 2),
                "addOnMemberPrice": round(price * 0.8, 2),
                "taxable": False,
                "account": f"{account.number} {account.name}",
                "hours": hours,
                "isLabor": True,
                "recommendations": [],
                "upgrades": [],
                "assets": [],
                "serviceMaterials": [{"skuId": m.id, "quantity": 1} for m in links],
                "serviceEquipment": [],
                "crossSaleGroup": None,
                "paysCommission": True,
                "bonus": 0,
                "commissionBonus": 0,
                "source": None,
                "externalId": None,
                "businessUnitId": bus[trade],
                "cost": sku.cost,
                "soldByCommission": 0,
                "defaultAssetUrl": None,
            },
            created=when,
            modified=modified,
        )
    for code, name, kind, amount_type, amount in content.DISCOUNTS_AND_FEES:
        did = ids.take()
        company.discounts.append(
            Sku(
                did,
                code,
                name,
                "PriceModifier",
                amount,
                amount,
                0,
                0,
                kind == "Fee",
                kind,
                amount_type=amount_type,
            )
        )
        out.add(
            "pricebook:discounts-and-fees",
            {
                "id": did,
                "type": kind,
                "code": code,
                "displayName": name,
                "description": f"<p>{name}</p>",
                "amountType": amount_type,
                "amount": amount,
                "limit": 0,
                "taxable": kind == "Fee",
                "categories": [],
                "hours": 0,
                "assets": [],
                "account": f"{gl['4000'].number} {gl['4000'].name}",
                "crossSaleGroup": None,
                "paysCommission": False,
                "bonus": 0,
                "commissionBonus": 0,
                "excludeFromPayroll": kind == "Discount",
            },
            created=when,
            modified=modified,
        )
