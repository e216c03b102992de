"""Payroll: timesheet and activity codes, two-week payroll periods for everyone, and per job
the technicians' timesheets and gross pay items (time worked, and commission on sales)."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo import content
from localtitan.demo.context import Ids, Out, stamp
from localtitan.demo.model import Company, Work

__all__ = ["build_payroll", "pay_for_job"]


def build_payroll(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=30)
    for code, description, kind, applies in content.TIMESHEET_CODES:
        cid = ids.take()
        company.timesheet_codes[code] = cid
        out.add(
            "payroll:timesheet-codes",
            {
                "id": cid,
                "code": code,
                "description": description,
                "type": kind,
                "applicableEmployeeType": applies,
                "rateInfo": {
                    "hourlyRate": "EmployeeHourlyRate",
                    "customHourlyRate": None,
                    "rateMultiplier": 1.5 if code == "OT" else 1.0,
                },
            },
            created=when,
        )
    for code, name, category in content.ACTIVITY_CODES:
        aid = ids.take()
        company.activity_codes[code] = aid
        out.add(
            "payroll:activity-codes",
            {
                "id": aid,
                "code": code,
                "name": name,
                "earningCategory": category,
                "isDiscretionary": code == "SPIFF",
            },
            created=when,
        )
    # A payroll per person and two-week period over the seeded window.
    people = [(t.id, "Technician") for t in company.technicians] + [
        (s.id, "Employee") for s in company.staff
    ]
    current = company.period_index(company.anchor)
    for index in range(company.period_count):
        start, end = company.period_bounds(index)
        if index < current - 1:
            status = "Paid"
        elif index == current - 1:
            status = "Approved"
        else:
            status = "Pending"
        for person_id, kind in people:
            pid = ids.take()
            company.payrolls[(person_id, index)] = pid
            out.add(
                "payroll:payrolls",
                {
                    "id": pid,
                    "employeeId": person_id,
                    "employeeType": kind,
                    "startedOn": stamp(start),
                    "endedOn": stamp(end - timedelta(seconds=1)),
                    "status": status,
                    "burdenRate": None,
                    "managerApprovedOn": stamp(end + timedelta(days=2))
                    if status in ("Paid", "Approved")
                    else None,
                },
                created=min(start, company.anchor),
                modified=min(company.anchor, end + timedelta(days=3)),
            )


def pay_for_job(company: Company, ids: Ids, out: Out, rng: random.Random, work: Work) -> None:
    """Timesheets for every assignment worked, and the gross pay they earned."""
    address = work.place.address
    location_text = f"{address['street']}, {address['city']}, {address['state']} {address['zip']}"
    zone_name = next((z.name for z in company.zones if z.id == work.place.city.zone_id), None)
    tax_zone = next(
        (z.name for z in company.tax_zones if z.id == work.place.city.tax_zone_id), None
    )
    for visit in work.visits:
        if visit.status not in ("Done", "Hold"):
            continue
        for tech, _assignment in visit.techs:
            dispatched = visit.start - timedelta(minutes=rng.randint(20, 50))
            arrived = visit.start + timedelta(minutes=rng.randint(-10, 40))
            done = max(
                arrived + timedelta(minutes=30), visit.end + timedelta(minutes=rng.randint(-20, 45))
            )
            done = min(done, company.anchor - timedelta(minutes=1))
            out.add(
                "payroll:jobs/{}/timesheets",
                {
                    "id": ids.take(),
                    "jobId": work.id,
                    "appointmentId": visit.id,
                    "technicianId": tech.id,
                    "dispatchedOn": stamp(dispatched),
                    "arrivedOn": stamp(arrived),
                    "doneOn": stamp(done),
                    "canceledOn": None,
                },
                created=dispatched,
                modified=done,
                parent_id=work.id,
            )
            payroll_id = company.payrolls.get((tech.id, company.period_index(arrived)))
            if payroll_id is None:
                continue
            hours = round((done - dispatched).total_seconds() / 3600, 2)
            base = {
                "employeeId": tech.id,
                "employeeType": "Technician",
                "employeePayrollId": None,
                "businessUnitName": work.business_unit.name,
                "payoutBusinessUnitName": work.business_unit.name,
                "payrollId": payroll_id,
                "date": stamp(arrived.replace(hour=0, minute=0, second=0, microsecond=0)),
                "jobId": work.id,
                "jobNumber": work.number,
                "jobTypeName": work.job_type.name,
                "projectId": None,
                "projectNumber": None,
                "invoiceId": work.invoice_id,
                "invoiceNumber": work.number,
                "invoiceItemId": None,
                "customerId": work.client.id,
                "customerName": work.client.name,
                "locationId": work.place.id,
                "locationName": work.place.name,
                "locationAddress": location_text,
                "locationZip": address["zip"],
                "zoneName": zone_name,
                "taxZoneName": tax_zone,
                "laborTypeId": None,
                "laborTypeCode": None,
                "isPrevailingWageJob": False,
                "budgetCodeId": None,
                "sourceEntityId": None,
                "amountAdjustment": None,
            }
            out.add(
                "payroll:gross-pay-items",
                {
                    **base,
                    "id": ids.take(),
                    "activity": "Job Time",
                    "activityCodeId": company.activity_codes.get("TIME"),
                    "activityCode": "TIME",
                    "grossPayItemType": "TimesheetTime",
                    "amount": round(hours * tech.hourly_rate, 2),
                    "paidDurationHours": hours,
                    "paidTimeType": "Regular",
                    "startedOn": stamp(dispatched),
                    "endedOn": stamp(done),
                    "memo": None,
                },
                created=done,
            )
            if (
                tech.id == work.lead_tech.id
                and work.subtotal_cents > 0
                and visit is work.visits[-1]
            ):
                out.add(
                    "payroll:gross-pay-items",
                    {
                        **base,
                        "id": ids.take(),
                        "activity": "Sales Commission",
                        "activityCodeId": company.activity_codes.get("COMM"),
                        "activityCode": "COMM",
                        "grossPayItemType": "InvoiceRelatedBonus",
                        "amount": round(work.subtotal_cents / 100 * tech.commission, 2),
                        "paidDurationHours": None,
                        "paidTimeType": None,
                        "startedOn": None,
                        "endedOn": None,
                        "memo": f"{int(tech.commission * 100)}% of invoice subtotal",
                    },
                    created=done,
                )
