"""Jobs: booking a job (appointments, technicians), then everything its life leaves behind:
the booking call or web booking, assignments, notes, history, the invoice and payments,
estimates (a sold one books the install), installed equipment, purchase orders, timesheets
and pay, and office follow-ups.

Past jobs are mostly Completed with some Canceled (a few recent ones on Hold); jobs from the
anchor date on are Scheduled.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo import content, crm, equipment, inventory, office, payroll, sales, telecom
from localtitan.demo.accounting import invoice_for_job
from localtitan.demo.context import Ids, Out, chance, pick, stamp, weighted
from localtitan.demo.model import Client, Company, JobType, Place, Sku, Visit, Work

__all__ = ["book_job", "complete_job"]

# Arrival windows (UTC hours) a dispatcher books: 8-10, 10-12, 12-2 and 2-4 in US Central.
_WINDOWS = (13, 15, 17, 19)

_SUMMARIES = {
    "Service": "Customer reports {what}. Please diagnose and repair.",
    "Maintenance": "{what}: scheduled maintenance visit.",
    "Sales": "Homeowner would like options for {what}.",
    "Install": "{what} per sold estimate.",
}


def _summary(job_type: JobType) -> str:
    what = job_type.name.lower()
    return _SUMMARIES.get(job_type.cls, "{what}").format(
        what=what if job_type.cls != "Maintenance" else job_type.name
    )


def _plan_skus(company: Company, rng: random.Random, job_type: JobType) -> list[tuple[Sku, float]]:
    """What a technician typically sells on this kind of job."""
    offered = company.skus_for(job_type.name)
    services = offered.get("Service", [])
    chosen: list[tuple[Sku, float]] = []
    if services:
        first = services[0]
        chosen.append((first, 1))
        extra = [s for s in services[1:] if s.price > 0]
        if extra and chance(rng, 0.75):
            sku = pick(rng, extra)
            qty = float(rng.randint(1, 3)) if "per lb" in sku.name else 1.0
            chosen.append((sku, qty))
    materials = [m for m in offered.get("Material", []) if m.price > 0]
    if materials and chance(rng, 0.5):
        m = pick(rng, materials)
        qty = float(rng.randint(10, 40)) if m.name.endswith("in") or "Wire" in m.name else 1.0
        chosen.append((m, qty))
    if job_type.cls == "Install" and offered.get("Equipment"):
        chosen.append((pick(rng, offered["Equipment"]), 1.0))
    return chosen


def book_job(
    company: Company,
    ids: Ids,
    rng: random.Random,
    client: Client,
    place: Place,
    job_type: JobType,
    day: datetime,
    *,
    returning: bool,
    membership_id: int | None = None,
    planned: list[tuple[Sku, float]] | None = None,
    from_estimate: int | None = None,
    sold_by: int | None = None,
) -> Work:
    """Decide a job's status, appointments and technicians; nothing is written yet."""
    anchor = company.anchor
    day = day.replace(hour=0, minute=0, second=0, microsecond=0)
    window = pick(rng, _WINDOWS)
    start = day + timedelta(hours=window)
    minutes = max(45, int(job_type.minutes * rng.uniform(0.75, 1.3)))
    # A job cannot come before its customer, and a past job is over by the anchor (the
    # demo's "now"); move it a day when it would be.
    while start < client.created + timedelta(hours=2):
        start += timedelta(days=1)
    if start < anchor < start + timedelta(minutes=minutes + 30):
        start -= timedelta(days=1)
        if start < client.created + timedelta(hours=2):
            start += timedelta(days=2)
    # Status follows from when the job is.
    if start >= anchor:
        status = "Canceled" if chance(rng, 0.03) else "Scheduled"
    else:
        age = (anchor - start).days
        status = weighted(
            rng,
            [("Completed", 88), ("Canceled", 9), ("Hold", 6 if age < 45 else 0)],
        )
    bu_id = pick(rng, job_type.business_unit_ids)
    bu = company.business_unit(bu_id)
    techs = company.techs_for(bu_id)
    crew = 2 if (job_type.cls == "Install" and chance(rng, 0.6)) or chance(rng, 0.08) else 1
    # Scheduling: the booking comes some days before the visit (hours for urgent calls).
    if job_type.priority == "High":
        lead = timedelta(hours=rng.randint(2, 30))
    else:
        lead = timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
    created = start - lead
    created = max(created, client.created + timedelta(minutes=5))
    created = min(
        created, anchor - timedelta(minutes=rng.randint(5, 600)), start - timedelta(hours=1)
    )
    created = created.replace(microsecond=0)
    visits: list[Visit] = []
    job_id = ids.take()
    number = str(job_id)
    starts = [start]
    if status == "Completed" and job_type.cls == "Service" and chance(rng, 0.12):
        second = start + timedelta(days=rng.randint(1, 6))
        if second + timedelta(minutes=minutes) < anchor - timedelta(hours=2):
            starts.append(second)
    for n, begin in enumerate(starts, start=1):
        end = begin + timedelta(minutes=minutes)
        if status == "Completed":
            visit_status = "Done"
        elif status == "Hold":
            visit_status = "Hold"
        elif status == "Canceled":
            visit_status = "Canceled"
        else:
            visit_status = "Scheduled"
        team = rng.sample(techs, min(crew, len(techs)))
        visits.append(
            Visit(
                ids.take(),
                f"{number}-{n}",
                begin,
                end,
                visit_status,
                [(t, ids.take()) for t in team],
            )
        )
    completed = None
    if status == "Completed":
        completed = visits[-1].end + timedelta(minutes=rng.randint(0, 30))
        completed = min(completed, anchor - timedelta(minutes=1))
    work = Work(
        id=job_id,
        number=number,
        client=client,
        place=place,
        job_type=job_type,
        business_unit=bu,
        campaign=company.campaign(rng, returning=returning),
        status=status,
        created=created,
        visits=visits,
        invoice_id=ids.take(),
        booked_by=company.office_user(rng, "Customer Service Representative"),
        completed=completed,
        membership_id=membership_id,
        from_estimate=from_estimate,
        sold_by=sold_by,
    )
    work.planned_skus = planned if planned is not None else _plan_skus(company, rng, job_type)
    if job_type.cls == "Install":
        work.installed = [s for s, _ in work.planned_skus if s.type == "Equipment"]
    return work


def _history(
    company: Company, ids: Ids, rng: random.Random, work: Work, dispatcher: int
) -> list[dict[str, Any]]:
    events: list[tuple[datetime, int, str]] = [(work.created, work.booked_by.id, "Job Booked")]
    for visit in work.visits:
        events.append((work.created + timedelta(minutes=1), dispatcher, "Appointment Scheduled"))
        for tech, _ in visit.techs:
            events.append((work.created + timedelta(minutes=2), dispatcher, "Technician Assigned"))
            if visit.status in ("Done", "Hold"):
                events.append(
                    (visit.start - timedelta(minutes=30), tech.id, "Technician Dispatched")
                )
                events.append((visit.start, tech.id, "Working"))
    if work.status == "Completed" and work.completed:
        events.append((work.completed, work.lead_tech.id, "Job Completed"))
    elif work.status == "Canceled":
        when = min(company.anchor - timedelta(minutes=1), work.created + timedelta(days=1))
        events.append((max(when, work.created), work.booked_by.id, "Job Canceled"))
    elif work.status == "Hold":
        events.append((work.visits[-1].end, work.lead_tech.id, "Job Put On Hold"))
    return [
        {
            "id": ids.take(),
            "date": stamp(when),
            "employeeId": who,
            "eventType": kind,
            "usedSchedulingTool": "Manual",
        }
        for when, who, kind in sorted(events, key=lambda e: e[0])
    ]


def _tech_note(rng: random.Random, work: Work) -> str:
    jt = work.job_type
    notes = (
        content.TECH_NOTES.get(jt.name)
        or content.TECH_NOTES.get(jt.cls)
        or content.TECH_NOTES.get(jt.trade)
        or content.TECH_NOTES["Maintenance"]
    )
    return pick(rng, notes)


def complete_job(
    company: Company, ids: Ids, out: Out, rng: random.Random, work: Work
) -> list[Work]:
    """Write a booked job and everything it leaves behind. Returns follow-up jobs it caused
    (an install from a sold estimate, a callback) for the caller to complete in turn."""
    anchor = company.anchor
    origin = "none"
    if work.from_estimate is None and work.membership_id is None:
        origin = weighted(rng, [("phone", 65), ("web", 15), ("none", 20)])
    lead_call_id = telecom.call_for_job(company, ids, out, rng, work) if origin == "phone" else None
    booking_id = crm.booking_for_job(company, ids, out, rng, work) if origin == "web" else None
    dispatcher = company.office_user(rng, "Dispatcher").id
    customer = work.client
    # Appointments and who was assigned to them.
    for visit in work.visits:
        canceled = visit.status == "Canceled"
        out.add(
            "jpm:appointments",
            {
                "id": visit.id,
                "jobId": work.id,
                "appointmentNumber": visit.number,
                "start": stamp(visit.start),
                "end": stamp(visit.end),
                "arrivalWindowStart": stamp(visit.start),
                "arrivalWindowEnd": stamp(visit.start + timedelta(hours=2)),
                "status": visit.status,
                "specialInstructions": None,
                "createdById": work.booked_by.id,
                "isConfirmed": visit.status != "Scheduled" or chance(rng, 0.6),
                "customerId": customer.id,
                "unused": False,
                "appointmentSummaries": None,
            },
            created=work.created,
            modified=min(anchor, visit.end) if visit.status in ("Done", "Hold") else work.created,
        )
        for tech, assignment_id in visit.techs:
            status = {"Done": "Done", "Hold": "Done"}.get(visit.status, "Scheduled")
            out.add(
                "dispatch:appointment-assignments",
                {
                    "id": assignment_id,
                    "technicianId": tech.id,
                    "technicianName": tech.name,
                    "assignedById": dispatcher,
                    "assignedOn": stamp(work.created + timedelta(minutes=2)),
                    "status": status,
                    "isPaused": visit.status == "Hold",
                    "jobId": work.id,
                    "appointmentId": visit.id,
                },
                created=work.created + timedelta(minutes=2),
                modified=min(anchor, visit.end) if status == "Done" else work.created,
                active=not canceled,
            )
    # The invoice (and payments), then what the sale leads to.
    items = invoice_for_job(company, ids, out, rng, work)
    follow_ups: list[Work] = []
    estimate = sales.estimate_for_job(company, ids, out, rng, work)
    if estimate is not None and estimate.sold_on is not None:
        when = estimate.sold_on + timedelta(days=rng.randint(2, 12))
        if when < company.window_end:
            install = book_job(
                company,
                ids,
                rng,
                customer,
                work.place,
                company.job_type(estimate.install_type),
                when,
                returning=True,
                planned=estimate.skus,
                from_estimate=estimate.id,
                sold_by=estimate.sold_by,
                membership_id=work.membership_id,
            )
            # The install is booked when the estimate is sold.
            install.created = min(
                max(estimate.sold_on, install.created), install.start - timedelta(hours=1)
            )
            follow_ups.append(install)
    equipment_ids: list[int] = []
    if work.status == "Completed" and work.completed and work.installed:
        by_sku = {item["skuId"]: item["id"] for item in items}
        for sku in work.installed:
            equipment_ids.append(
                equipment.install(
                    company,
                    ids,
                    out,
                    rng,
                    customer,
                    work.place,
                    sku,
                    work.completed,
                    by_sku.get(sku.id),
                )
            )
    inventory.purchase_order(company, ids, out, rng, work)
    payroll.pay_for_job(company, ids, out, rng, work)
    office.after_job(company, ids, out, rng, work)
    if (
        work.status == "Completed"
        and work.completed
        and work.job_type.cls == "Service"
        and chance(rng, 0.03)
    ):
        when = work.completed + timedelta(days=rng.randint(3, 20))
        if when < company.window_end:
            callback = book_job(
                company,
                ids,
                rng,
                customer,
                work.place,
                work.job_type,
                when,
                returning=True,
                planned=[],
            )
            callback.recall_for = work.id
            follow_ups.append(callback)
    # Notes: the CSR's at booking, the technician's at the end.
    if chance(rng, 0.25):
        out.add(
            "jpm:jobs/{}/notes",
            {
                "id": ids.take(),
                "jobId": work.id,
                "text": pick(rng, content.CUSTOMER_NOTES),
                "isPinned": False,
                "createdById": work.booked_by.id,
            },
            created=work.created,
            parent_id=work.id,
        )
    if work.status in ("Completed", "Hold") and (work.completed or work.status == "Hold"):
        when = work.completed or work.visits[-1].end
        out.add(
            "jpm:jobs/{}/notes",
            {
                "id": ids.take(),
                "jobId": work.id,
                "text": _tech_note(rng, work)
                if work.status == "Completed"
                else f"On hold: {pick(rng, company.hold_reasons).name.lower()}.",
                "isPinned": work.status == "Hold",
                "createdById": work.lead_tech.id,
            },
            created=min(anchor - timedelta(minutes=1), when),
            parent_id=work.id,
        )
    out.add(
        "jpm:jobs/{}/history",
        {"jobId": work.id, "history": _history(company, ids, rng, work, dispatcher)},
        created=work.created,
        modified=min(anchor, work.completed or work.created),
        row_id=ids.take(),
        parent_id=work.id,
    )
    canceled_on = None
    if work.status == "Canceled":
        canceled_on = max(
            work.created, min(anchor - timedelta(minutes=1), work.created + timedelta(days=1))
        )
        reason = pick(rng, company.cancel_reasons)
        out.add(
            "jpm:jobs/{}/canceled-logs",
            {
                "id": ids.take(),
                "jobId": work.id,
                "reasonId": reason.id,
                "memo": reason.name,
                "createdById": work.booked_by.id,
            },
            created=canceled_on,
            parent_id=work.id,
        )
    tags = []
    recall_for = work.recall_for
    if recall_for is not None:
        tags.append(company.tag_types["Callback"])
    if work.job_type.priority == "High" and chance(rng, 0.3):
        tags.append(company.tag_types["Priority"])
    modified = work.completed or canceled_on or work.created
    if work.status == "Hold":
        modified = min(anchor - timedelta(minutes=1), work.visits[-1].end)
    out.add(
        "jpm:jobs",
        {
            "id": work.id,
            "jobNumber": work.number,
            "customerId": customer.id,
            "locationId": work.place.id,
            "jobStatus": "Completed" if work.status == "Completed" else work.status,
            "completedOn": stamp(work.completed),
            "businessUnitId": work.business_unit.id,
            "jobTypeId": work.job_type.id,
            "priority": work.job_type.priority,
            "campaignId": work.campaign.id,
            "summary": f"<p>{_summary(work.job_type)}</p>",
            "customFields": [],
            "appointmentCount": len(work.visits),
            "firstAppointmentId": work.visits[0].id,
            "lastAppointmentId": work.visits[-1].id,
            "recallForId": recall_for,
            "warrantyId": None,
            "jobGeneratedLeadSource": None,
            "noCharge": work.job_type.cls == "Sales" or recall_for is not None,
            "notificationsEnabled": True,
            "createdById": work.booked_by.id,
            "tagTypeIds": tags,
            "leadCallId": lead_call_id,
            "partnerLeadCallId": None,
            "bookingId": booking_id,
            "soldById": work.sold_by,
            "externalData": [],
            "customerPo": f"PO-{rng.randint(10000, 99999)}"
            if customer.type == "Commercial"
            else "",
            "invoiceId": work.invoice_id,
            "membershipId": work.membership_id,
            "total": round(work.subtotal_cents / 100, 2),
            "createdFromEstimateId": work.from_estimate,
            "estimateIds": list(work.estimate_ids),
            "equipmentIds": equipment_ids,
            "projectId": None,
            "isAutoDispatched": False,
            "summaryOfWork": None,
        },
        created=work.created,
        modified=min(anchor, modified),
    )
    return follow_ups
