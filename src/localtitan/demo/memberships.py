"""Memberships and service agreements: the plans (types, recurring service types, the billing
SKUs), then per customer the membership, its recurring services, its visits (events, each
booked as a maintenance job once due) and its bills; commercial service agreements."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from localtitan.demo import content
from localtitan.demo.accounting import invoice_for_membership
from localtitan.demo.context import Ids, Out, pick, stamp
from localtitan.demo.model import (
    Client,
    Company,
    MembershipType,
    RecurringServiceType,
    Sku,
    Work,
)

__all__ = [
    "Membership",
    "PlannedVisit",
    "build_membership_plans",
    "record_events",
    "sell_membership",
    "service_agreement",
]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass
class PlannedVisit:
    """A recurring service visit: its event id, and the job that served it (once booked)."""

    event_id: int
    service_id: int
    service: RecurringServiceType
    date: datetime
    job: Work | None = None


@dataclass
class Membership:
    id: int
    type: MembershipType
    start: datetime
    end: datetime
    status: str
    visits: list[PlannedVisit] = field(default_factory=list)


def build_membership_plans(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=40)
    maintenance_bu = next(
        (bu for bu in company.business_units if bu.kind == "Maintenance"), company.business_units[0]
    )
    existing = next(c for c in company.campaigns if c.category == "Existing Customers")
    types: dict[str, RecurringServiceType] = {}
    for name, job_type, recurrence, in_months, interval, _ in content.RECURRING_SERVICE_TYPES:
        rid = ids.take()
        jt = company.job_type(job_type)
        types[name] = RecurringServiceType(rid, name, job_type, in_months, interval)
        out.add(
            "memberships:recurring-service-types",
            {
                "id": rid,
                "name": name,
                "recurrenceType": recurrence,
                "recurrenceInterval": interval,
                "recurrenceMonths": list(in_months),
                "durationType": "Continuous",
                "durationLength": 0,
                "invoiceTemplateId": None,
                "businessUnitId": maintenance_bu.id,
                "jobTypeId": jt.id,
                "priority": "Normal",
                "campaignId": existing.id,
                "jobSummary": f"{name} included in membership",
                "importId": None,
                "createdById": company.staff[0].id,
            },
            created=when,
        )
    for name, display, billing, price, months, target in content.MEMBERSHIP_TYPES:
        mid = ids.take()
        services = tuple(
            types[n] for n, *_rest, included in content.RECURRING_SERVICE_TYPES if name in included
        )
        mtype = MembershipType(mid, name, billing, price, months, services)
        company.membership_types.append(mtype)
        out.add(
            "memberships:membership-types",
            {
                "id": mid,
                "name": name,
                "displayName": display,
                "active": True,
                "discountMode": "Basic",
                "locationTarget": target,
                "revenueRecognitionMode": "PointOfSale",
                "autoCalculateInvoiceTemplates": True,
                "useMembershipPricingTable": True,
                "showMembershipSavings": True,
                "discount": 15,
                "discounts": [],
                "durationBilling": [
                    {
                        "duration": months,
                        "billingFrequency": billing,
                        "salePrice": price,
                        "billingPrice": price,
                        "renewalPrice": price,
                    }
                ],
                "recurringServices": [],
                "billingTemplateId": None,
                "tagTypeIds": [company.tag_types["Member"]],
                "importId": None,
                "createdById": company.staff[0].id,
            },
            created=when,
        )
        for offset, service in enumerate(services):
            out.add(
                "memberships:membership-types/{}/recurring-service-items",
                {
                    "id": ids.take(),
                    "membershipTypeId": mid,
                    "recurringServiceTypeId": service.id,
                    "offset": offset * 6,
                    "offsetType": "Months",
                    "allocation": round(price / max(1, len(services)), 2),
                    "importId": None,
                    "createdById": company.staff[0].id,
                },
                created=when,
                parent_id=mid,
            )
        # Memberships are billed with a pricebook service of their own.
        sid = ids.take()
        code = "MBR-" + "".join(w[0] for w in name.split()).upper()
        sku = Sku(
            sid, code, f"{name} Membership", "Service", price, price, 0, 0, False, "Memberships"
        )
        company.services.append(sku)
        out.add(
            "pricebook:services",
            {
                "id": sid,
                "code": code,
                "displayName": sku.name,
                "description": f"<p>{display} membership, billed {billing.lower()}.</p>",
                "price": price,
                "memberPrice": price,
                "addOnPrice": price,
                "addOnMemberPrice": price,
                "taxable": False,
                "hours": 0,
                "isLabor": False,
                "account": f"{company.gl['4500'].number} {company.gl['4500'].name}",
                "businessUnitId": maintenance_bu.id,
                "categories": [],
                "recommendations": [],
                "upgrades": [],
                "assets": [],
                "serviceMaterials": [],
                "serviceEquipment": [],
                "paysCommission": False,
                "bonus": 0,
                "commissionBonus": 0,
                "cost": 0,
                "soldByCommission": 0,
            },
            created=when,
        )


def _membership_sku(company: Company, mtype: MembershipType) -> Sku:
    return next(s for s in company.services if s.name == f"{mtype.name} Membership")


def _add_months(when: datetime, months: int) -> datetime:
    month = when.month - 1 + months
    year = when.year + month // 12
    day = min(when.day, 28)
    return when.replace(year=year, month=month % 12 + 1, day=day)


def sell_membership(
    company: Company, ids: Ids, out: Out, rng: random.Random, client: Client
) -> Membership | None:
    """Maybe sell ``client`` a membership; write it, its recurring services, its bills and
    status changes. Visits are planned here; :func:`record_events` writes them once jobs
    exist for the due ones."""
    commercial = client.type == "Commercial"
    options = [m for m in company.membership_types if ("Commercial" in m.name) == commercial]
    if not options:
        return None
    mtype = pick(rng, options)
    earliest = max(client.created, company.anchor - timedelta(days=720))
    span = (company.anchor - timedelta(days=10) - earliest).days
    if span <= 0:
        return None
    start = (earliest + timedelta(days=rng.randint(0, span))).replace(
        hour=rng.randint(14, 22), minute=rng.randint(0, 59), second=0, microsecond=0
    )
    end = _add_months(start, mtype.months)
    status = "Active"
    if end < company.anchor:
        status = "Expired"
    elif rng.random() < 0.05:
        status = "Canceled"
    mid = ids.take()
    maintenance_bu = next(
        (bu for bu in company.business_units if bu.kind == "Maintenance"), company.business_units[0]
    )
    seller = pick(rng, company.techs_for(maintenance_bu.id))
    csr = company.office_user(rng, "Customer Service Representative")
    place = client.places[0]
    canceled_on = None
    if status == "Canceled":
        canceled_on = start + timedelta(
            days=rng.randint(30, max(31, (company.anchor - start).days))
        )
        canceled_on = min(canceled_on, company.anchor - timedelta(days=1))
    membership = Membership(mid, mtype, start, end, status)
    if status == "Active":
        client.membership_id = mid
        client.membership_type = mtype
    # Recurring services and their visits within the membership's year.
    for service in mtype.services:
        rs_id = ids.take()
        dates: list[datetime] = []
        if service.months:
            for year in (start.year, start.year + 1):
                month = _MONTHS.index(pick(rng, service.months)) + 1
                day = start.replace(
                    year=year, month=month, day=rng.randint(3, 26), hour=0, minute=0
                )
                if start <= day < end:
                    dates.append(day)
        else:
            day = start + timedelta(days=21)
            while day < end:
                dates.append(day.replace(hour=0, minute=0))
                day = _add_months(day, service.interval)
        for date in dates[:4]:
            membership.visits.append(PlannedVisit(ids.take(), rs_id, service, date))
        jt = company.job_type(service.job_type)
        out.add(
            "memberships:recurring-services",
            {
                "id": rs_id,
                "name": service.name,
                "membershipId": mid,
                "locationId": place.id,
                "recurringServiceTypeId": service.id,
                "durationType": "Continuous",
                "durationLength": 0,
                "from": stamp(start),
                "to": stamp(end),
                "memo": None,
                "invoiceTemplateId": None,
                "invoiceTemplateForFollowingYearsId": None,
                "firstVisitComplete": any(v.date < company.anchor for v in membership.visits),
                "activatedFromId": None,
                "allocation": round(mtype.price / max(1, len(mtype.services)), 2),
                "businessUnitId": maintenance_bu.id,
                "jobTypeId": jt.id,
                "campaignId": next(
                    c.id for c in company.campaigns if c.category == "Existing Customers"
                ),
                "priority": "Normal",
                "jobSummary": f"{service.name} ({mtype.name})",
                "recurrenceType": "Seasonal" if service.months else "Monthly",
                "recurrenceInterval": service.interval,
                "recurrenceMonths": list(service.months),
                "recurrenceDaysOfWeek": [],
                "recurrenceWeek": "None",
                "recurrenceDayOfNthWeek": None,
                "recurrenceDaysOfMonth": [],
                "jobStartTime": "08:00:00",
                "estimatedPayrollCost": None,
                "preferredTechnicianIds": [],
                "tagTypeIds": [],
                "importId": None,
                "createdById": csr.id,
            },
            created=start,
            active=status == "Active",
        )
    modified = canceled_on or (end if status == "Expired" else start)
    out.add(
        "memberships:memberships",
        {
            "id": mid,
            "customerId": client.id,
            "businessUnitId": maintenance_bu.id,
            "membershipTypeId": mtype.id,
            "locationId": place.id,
            "recurringLocationId": place.id,
            "status": status,
            "billingFrequency": mtype.billing,
            "renewalBillingFrequency": mtype.billing,
            "duration": mtype.months,
            "renewalDuration": mtype.months,
            "from": stamp(start),
            "to": stamp(end),
            "nextScheduledBillDate": (
                stamp(_add_months(start, ((company.anchor - start).days // 30) + 1))
                if status == "Active" and mtype.billing != "Annual"
                else None
            ),
            "followUpOn": stamp(end - timedelta(days=30)),
            "followUpStatus": "NotAttempted",
            "followUpCustomStatusId": None,
            "cancellationDate": stamp(canceled_on),
            "cancellationBalanceInvoiceId": None,
            "cancellationInvoiceId": None,
            "soldById": seller.id,
            "activatedById": csr.id,
            "activatedFromId": None,
            "renewedById": None,
            "renewalMembershipTaskId": None,
            "createdById": csr.id,
            "billingTemplateId": None,
            "paymentMethodId": None,
            "paymentTypeId": None,
            "initialDeferredRevenue": 0,
            "customerPo": None,
            "importId": None,
            "memo": None,
            "customFields": [],
        },
        created=start,
        modified=min(modified, company.anchor),
        active=status == "Active",
    )
    if status != "Active":
        changed = canceled_on or end
        out.add(
            "memberships:memberships/{}/status-changes",
            {
                "id": ids.take(),
                "membershipId": mid,
                "oldStatus": "Active",
                "newStatus": status,
                "note": "Customer asked to cancel" if status == "Canceled" else "Term ended",
                "createdById": csr.id,
            },
            created=min(changed, company.anchor),
            parent_id=mid,
        )
    # Bills: the whole price up front, or one per billing period so far.
    sku = _membership_sku(company, mtype)
    step = {"Annual": 12, "Monthly": 1, "Quarterly": 3}.get(mtype.billing, 12)
    bills = mtype.months // step
    stop = min(company.anchor - timedelta(hours=1), canceled_on or end)
    for n in range(bills):
        when = _add_months(start, n * step)
        if when > stop:
            break
        invoice_for_membership(
            company,
            ids,
            out,
            rng,
            client=client,
            membership_id=mid,
            membership_type_id=mtype.id,
            bu=maintenance_bu,
            sku=sku,
            amount_cents=round(mtype.price * 100),
            when=when,
            created_by=(csr.id, csr.name),
        )
    return membership


def record_events(company: Company, ids: Ids, out: Out, membership: Membership) -> None:
    """One event per planned visit, pointing at its job when one was booked."""
    for visit in membership.visits:
        job = visit.job
        if job is not None and job.status == "Completed":
            status = "Won"
        elif job is not None:
            status = "Contacted"
        else:
            status = "NotAttempted" if visit.date >= company.anchor else "Dismissed"
        created = min(membership.start, company.anchor)
        out.add(
            "memberships:recurring-service-events",
            {
                "id": visit.event_id,
                "locationRecurringServiceId": visit.service_id,
                "locationRecurringServiceName": visit.service.name,
                "membershipId": membership.id,
                "membershipName": membership.type.name,
                "status": status,
                "date": stamp(visit.date),
                "jobId": job.id if job else None,
                "createdById": None,
            },
            created=created,
            modified=min(company.anchor, job.created if job else created),
        )


def service_agreement(
    company: Company, ids: Ids, out: Out, rng: random.Random, client: Client
) -> None:
    """A yearly agreement covering a commercial customer's locations."""
    start = max(client.created, company.anchor - timedelta(days=rng.randint(60, 600)))
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    end = _add_months(start, 12)
    status = "Activated" if end > company.anchor else "Expired"
    bu = next(
        (b for b in company.business_units if b.kind == "Maintenance"), company.business_units[0]
    )
    price = round(rng.uniform(2400, 18000), 2)
    labor = round(price * rng.uniform(0.3, 0.45), 2)
    material = round(price * rng.uniform(0.1, 0.2), 2)
    pm = next((s for s in company.services if s.code == "HV-PM"), company.services[0])
    manager = company.office_user(rng, "Office Manager")
    out.add(
        "service-agreements:service-agreements",
        {
            "id": ids.take(),
            "name": f"{client.name} Service Agreement {start.year}",
            "customerId": client.id,
            "businessUnitId": bu.id,
            "status": status,
            "locationIds": [p.id for p in client.places],
            "origin": "Initial",
            "summary": "Quarterly preventive maintenance on all rooftop units.",
            "importId": None,
            "importedDeferredAmount": 0,
            "importedRecognizedAmount": 0,
            "durationMonths": 12,
            "autoRenew": rng.random() < 0.6,
            "renewalAgreementId": None,
            "startDate": start.strftime("%Y-%m-%d"),
            "endDate": end.strftime("%Y-%m-%d"),
            "billingSchedule": "Quarterly",
            "paymentTermId": company.payment_terms["Net 30"][0],
            "paymentMethodId": None,
            "estimatedTravelCost": round(price * 0.05, 2),
            "estimatedLaborCost": labor,
            "estimatedMaterialCost": material,
            "laborMarkupPercentage": 35,
            "materialMarkupPercentage": 50,
            "laborSurcharge": 0,
            "materialSurcharge": 0,
            "totalAgreementPrice": price,
            "estimatedGrossMarginAmount": round(price - labor - material, 2),
            "estimatedGrossMarginPercentage": round((price - labor - material) / price * 100, 2),
            "rateSheetId": None,
            "accountManagerId": manager.id,
            "soldById": pick(rng, company.techs_for(bu.id)).id,
            "tagTypeIds": [],
            "customFields": [],
            "templateFields": {
                "billingScheduleType": "Quarterly",
                "billingServiceId": pm.id,
                "defaultAutoRenew": True,
                "defaultCampaignId": next(
                    c.id for c in company.campaigns if c.category == "Existing Customers"
                ),
                "generalLedgerAccountId": company.gl["4020"].id,
                "invoiceCancellationMode": "AskToCreateInvoice",
            },
            "createdById": manager.id,
            "modifiedById": manager.id,
        },
        created=start,
        modified=min(company.anchor, start + timedelta(days=2)),
        active=status == "Activated",
    )
