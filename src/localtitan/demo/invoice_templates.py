"""Membership invoice templates: the invoice each membership type bills with (its own
pricebook service at its price) and the one each recurring service type's visits are invoiced
with (the maintenance service at no charge). Types, customers' memberships and their recurring
services name their template."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from localtitan.demo.context import Ids, Out
from localtitan.demo.model import Company, Sku
from localtitan.store.records import Stored

__all__ = ["build_invoice_templates", "templates_for_chunk"]


def _template(
    company: Company, ids: Ids, out: Out, name: str, sku: Sku | None, price: float, when: Any
) -> int:
    tid = ids.take()
    items = []
    if sku is not None:
        items.append(
            {
                "id": ids.take(),
                "skuId": sku.id,
                "skuType": sku.type,
                "description": f"<p>{sku.name}</p>",
                "quantity": 1,
                "unitPrice": price,
                "cost": sku.cost,
                "hours": sku.hours,
                "isAddOn": False,
            }
        )
    out.add(
        "memberships:invoice-templates",
        {
            "id": tid,
            "name": name,
            "total": price,
            "isSettingsTemplate": True,
            "createdById": company.staff[0].id,
            "items": items,
        },
        created=when,
    )
    return tid


def build_invoice_templates(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """After the membership plans: a template per type and per recurring service type."""
    types = [r for r in out.items if r.kind == "memberships:membership-types"]
    services = [r for r in out.items if r.kind == "memberships:recurring-service-types"]
    by_name = {s.name: s for s in company.services}
    for rec in types:
        mtype = next(t for t in company.membership_types if t.id == rec.id)
        sku = by_name.get(f"{mtype.name} Membership")
        when = (rec.created_on or company.founded) + timedelta(hours=1)
        tid = _template(company, ids, out, f"{mtype.name} Billing", sku, mtype.price, when)
        company.invoice_template_ids[rec.id] = tid
        rec.data["billingTemplateId"] = tid
    for rec in services:
        when = (rec.created_on or company.founded) + timedelta(hours=1)
        sku = next((s for s in company.services if rec.data["name"] in s.name), None)
        tid = _template(company, ids, out, f"{rec.data['name']} Visit", sku, 0.0, when)
        company.invoice_template_ids[rec.id] = tid
        rec.data["invoiceTemplateId"] = tid


def templates_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    templates = company.invoice_template_ids
    for membership in kinds.get("memberships:memberships", []):
        found = templates.get(membership.data.get("membershipTypeId") or 0)
        if found:
            membership.data["billingTemplateId"] = found
    for service in kinds.get("memberships:recurring-services", []):
        found = templates.get(service.data.get("recurringServiceTypeId") or 0)
        if found:
            service.data["invoiceTemplateId"] = found
