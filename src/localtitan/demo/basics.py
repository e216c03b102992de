"""Company settings every other record points at: geography and tax, tags, accounts, payment
types and terms, job types and the reasons jobs and calls are given."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo import content
from localtitan.demo.context import Ids, Out
from localtitan.demo.model import City, Company, GlAccount, JobType, Named, TaxZone

__all__ = ["build_geography", "build_job_types", "build_settings"]


def build_settings(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Tag types, GL accounts, payment types and terms, and the reason lists."""
    when = company.founded + timedelta(days=2)
    for name, color, code, importance, _ in content.TAG_TYPES:
        tid = ids.take()
        company.tag_types[name] = tid
        out.add(
            "settings:tag-types",
            {
                "id": tid,
                "name": name,
                "color": color,
                "code": code,
                "importance": importance,
                "isConversionOpportunity": name == "Second Opinion",
                "allowToUseOnTimesheetActivity": False,
                "isVisibleOnDispatchBoard": name in ("VIP", "Priority", "Callback"),
            },
            created=when,
        )
    for number, name, kind, detail, default in content.GL_ACCOUNTS:
        gid = ids.take()
        company.gl[number] = GlAccount(gid, number, name, kind, detail)
        out.add(
            "accounting:gl-accounts",
            {
                "id": gid,
                "name": name,
                "number": number,
                "description": f"{name} ({detail})",
                "type": kind,
                "subtype": detail,
                "defaultAccountType": default,
                "source": "AccountingSystem",
                "isIntacctGroup": False,
                "isIntacctBankAccount": kind == "Bank",
            },
            created=when,
        )
    for name, share in content.PAYMENT_TYPES:
        pid = ids.take()
        company.payment_types.append((Named(pid, name), share))
        out.add("accounting:payment-types", {"id": pid, "name": name}, created=when)
    for name, days, is_default in content.PAYMENT_TERMS:
        tid = ids.take()
        company.payment_terms[name] = (tid, days)
        out.add(
            "accounting:payment-terms",
            {
                "id": tid,
                "name": name,
                "dueDayType": "NumberOfDays",
                "dueDay": days,
                "isCustomerDefault": is_default,
                "isVendorDefault": name == "Net 30",
                "inUse": True,
                "paymentTermDiscountModel": None,
                "interestSettings": None,
            },
            created=when,
        )
    for name in content.CANCEL_REASONS:
        rid = ids.take()
        company.cancel_reasons.append(Named(rid, name))
        out.add("jpm:job-cancel-reasons", {"id": rid, "name": name}, created=when)
    for name in content.HOLD_REASONS:
        rid = ids.take()
        company.hold_reasons.append(Named(rid, name))
        out.add("jpm:job-hold-reasons", {"id": rid, "name": name}, created=when)
    for name, lead in content.CALL_REASONS:
        rid = ids.take()
        company.call_reasons.append((Named(rid, name), lead))
        out.add("jbce:call-reasons", {"id": rid, "name": name, "isLead": lead}, created=when)


def build_geography(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Cities around the metro centre, grouped into dispatch zones and tax zones.

    Zone records are written later (:func:`localtitan.demo.people.write_zones`), once the
    technicians that cover them exist; here they only get ids and names.
    """
    when = company.founded + timedelta(days=1)
    centre = next(m for m in content.METROS if m[0] == company.state)
    plan = company.plan
    vocab = company.vocab
    tax_zone_count = max(2, min(6, plan.zones // 2))
    for i in range(tax_zone_count):
        tid = ids.take()
        rate = round(rng.choice((0.0625, 0.07, 0.0725, 0.0775, 0.08, 0.0825)), 4)
        zone = TaxZone(tid, f"{vocab.cities[i % len(vocab.cities)]} County", rate)
        company.tax_zones.append(zone)
        out.add(
            "accounting:tax-zones",
            {
                "id": tid,
                "name": zone.name,
                "color": rng.randint(0, 0xFFFFFF),
                "isTaxRateSeparated": False,
                "isMultipleTaxZone": False,
                "rates": [
                    {
                        "id": None,
                        "taxName": f"{zone.name} Sales Tax",
                        "taxBaseType": ["Subtotal"],
                        "taxRate": rate,
                        "salesTaxItem": f"Sales Tax {rate * 100:.2f}%",
                    }
                ],
            },
            created=when,
        )
    for _ in range(plan.zones):
        company.zones.append(Named(ids.take(), ""))
    zips = list(vocab.zips)
    for i, name in enumerate(vocab.cities[: plan.cities]):
        zone_index = i % plan.zones
        own = zips[(i * 3) % len(zips) : (i * 3) % len(zips) + 3] or zips[:3]
        company.cities.append(
            City(
                name,
                tuple(own),
                round(centre[1] + rng.uniform(-0.35, 0.35), 5),
                round(centre[2] + rng.uniform(-0.45, 0.45), 5),
                company.zones[zone_index].id,
                company.tax_zones[i % len(company.tax_zones)].id,
            )
        )
    # A zone is named after its biggest city.
    named: list[Named] = []
    for z, dispatch_zone in enumerate(company.zones):
        first = next(
            (c.name for c in company.cities if c.zone_id == dispatch_zone.id), f"Zone {z + 1}"
        )
        named.append(Named(dispatch_zone.id, f"{first} Area"))
    company.zones = named


def build_job_types(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=3)
    for name, trade, kind, minutes, priority, cls, weight in content.JOB_TYPES:
        bus = tuple(
            bu.id for bu in company.business_units if bu.trade == trade and bu.kind == kind
        ) or tuple(bu.id for bu in company.business_units if bu.trade == trade)
        jid = ids.take()
        jt = JobType(jid, name, trade, kind, cls, minutes, priority, weight, bus)
        company.job_types.append(jt)
        tags = [company.tag_types["Priority"]] if priority == "High" else []
        out.add(
            "jpm:job-types",
            {
                "id": jid,
                "name": name,
                "businessUnitIds": list(bus),
                "skills": [s for s, t in content.SKILLS if t == trade][:2],
                "tagTypeIds": tags,
                "priority": priority,
                "duration": minutes * 60,
                "soldThreshold": 0 if cls != "Sales" else 1000,
                "class": cls,
                "summary": f"{name} ({trade.lower()} {kind.lower()})",
                "noCharge": cls == "Sales",
                "enforceRecurringServiceEventSelection": cls == "Maintenance",
                "invoiceSignaturesRequired": cls == "Install",
                "isSmartDispatched": cls == "Service",
                "defaultEstimateSoldAction": "None",
                "customFieldTypeIds": [],
                "externalData": [],
            },
            created=when,
        )
