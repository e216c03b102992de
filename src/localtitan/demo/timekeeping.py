"""Time away from jobs and how pay is split: per technician the monthly team meeting, the odd
training day and vacation (as non-job appointments, and as non-job timesheets once worked),
payroll adjustments (spiffs and bonuses); per chunk the technicians' split of each completed
job, timesheet activities (driving, working) for some visits, and the labor rates of
commercial locations with a contract rate."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from localtitan.demo.context import Ids, Out, chance, iso, pick
from localtitan.demo.model import Company
from localtitan.store.records import Stored, parse_time

__all__ = ["build_time_away", "time_for_chunk"]

# (name, timesheet code, hours, chance per technician per month)
_AWAY = [
    ("Team Meeting", "REG", 1.5, 1.0),
    ("Manufacturer Training", "TRAIN", 8.0, 0.15),
    ("Vacation", "PTO", 8.0, 0.12),
]
_ADJUSTMENTS = [("SPIFF", "AddOn", 25.0), ("SPIFF", "AddOn", 50.0), ("COMM", "MonthlyBonus", 150.0)]


def _duration(hours: float) -> str:
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def build_time_away(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    dispatcher = company.staff_with("Dispatcher")[0]
    months = 12
    for tech in company.technicians:
        for month in range(months, -1, -1):
            first = company.anchor - timedelta(days=30 * month)
            for name, code, hours, p in _AWAY:
                if not chance(rng, p):
                    continue
                day = first + timedelta(days=rng.randint(0, 27))
                # The company's morning (7 or 8 am), in UTC.
                start = datetime(day.year, day.month, day.day, 12 if hours < 8 else 13)
                start = start.replace(tzinfo=day.tzinfo)
                all_day = hours >= 8
                booked = start - timedelta(days=rng.randint(3, 20))
                out.add(
                    "dispatch:non-job-appointments",
                    {
                        "id": ids.take(),
                        "technicianId": tech.id,
                        "name": name,
                        "summary": f"{name} ({tech.name})",
                        "start": iso(start),
                        "duration": _duration(hours),
                        "timesheetCodeId": company.timesheet_codes[code],
                        "allDay": all_day,
                        "clearDispatchBoard": all_day,
                        "clearTechnicianView": False,
                        "removeTechnicianFromCapacityPlanning": all_day,
                        "showOnTechnicianSchedule": True,
                        "createdById": dispatcher.id,
                    },
                    created=min(booked, company.anchor - timedelta(hours=1)),
                )
                end = start + timedelta(hours=hours)
                if end >= company.anchor:
                    continue
                out.add(
                    "payroll:non-job-timesheets",
                    {
                        "id": ids.take(),
                        "employeeId": tech.id,
                        "employeeType": "Technician",
                        "timesheetCodeId": company.timesheet_codes[code],
                        "startedOn": iso(start),
                        "endedOn": iso(end),
                    },
                    created=end,
                )
    current = company.period_index(company.anchor)
    for person_id, period in sorted(company.payrolls):
        if period >= current or not chance(rng, 0.2):
            continue
        if not any(t.id == person_id for t in company.technicians):
            continue
        code, kind, amount = pick(rng, _ADJUSTMENTS)
        start, end = company.period_bounds(period)
        posted = start + timedelta(days=rng.randint(1, 12), hours=20)
        out.add(
            "payroll:payroll-adjustments",
            {
                "id": ids.take(),
                "employeeId": person_id,
                "employeeType": "Technician",
                "activityCodeId": company.activity_codes[code],
                "type": kind,
                "amount": amount,
                "quantity": 1,
                "rate": amount,
                "hours": 0,
                "memo": "Membership sold on site" if kind == "AddOn" else "Monthly goal met",
                "postedOn": iso(posted),
                "invoiceId": None,
            },
            created=posted,
        )


def time_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    crews: dict[int, list[int]] = {}
    for timesheet in kinds.get("payroll:jobs/{}/timesheets", []):
        techs = crews.setdefault(int(timesheet.data["jobId"]), [])
        if timesheet.data["technicianId"] not in techs:
            techs.append(timesheet.data["technicianId"])
    for job in kinds.get("jpm:jobs", []):
        crew = crews.get(job.id)
        if job.data["jobStatus"] != "Completed" or not crew:
            continue
        done = parse_time(job.data["completedOn"])
        share = round(100 / len(crew), 2)
        for tech_id in crew:
            out.add(
                "payroll:jobs/{}/splits",
                {"id": ids.take(), "jobId": job.id, "technicianId": tech_id, "split": share},
                created=done,
                parent_id=job.id,
            )
    working = company.activity_types.get("WORK")
    driving = company.activity_types.get("DRIVE")
    for timesheet in kinds.get("payroll:jobs/{}/timesheets", []):
        if working is None or driving is None or not chance(rng, 0.25):
            continue
        data = timesheet.data
        legs = (
            (driving, data["dispatchedOn"], data["arrivedOn"]),
            (working, data["arrivedOn"], data["doneOn"]),
        )
        for type_id, start, end in legs:
            if not start or not end:
                continue
            out.add(
                "timesheets:activities",
                {
                    "id": ids.take(),
                    "activityTypeId": type_id,
                    "employeeId": data["technicianId"],
                    "employeeType": "Technician",
                    "jobId": data["jobId"] if type_id == working else None,
                    "appointmentId": data["appointmentId"] if type_id == working else None,
                    "startTime": start,
                    "endTime": end,
                    "memo": None,
                    "tagTypes": [],
                },
                created=parse_time(end),
            )
    customers = {c.id: c for c in kinds.get("crm:customers", [])}
    for location in kinds.get("crm:locations", []):
        owner = customers.get(int(location.data["customerId"]))
        if owner is None or owner.data.get("type") != "Commercial" or not chance(rng, 0.3):
            continue
        for code, name, rate in (("STD", "Standard Labor", 95.0), ("OT", "Overtime Labor", 140.0)):
            out.add(
                "payroll:locations/rates",
                {
                    "locationId": location.id,
                    "laborTypeCode": code,
                    "laborTypeName": name,
                    "hourlyRate": rate,
                },
                created=location.created_on or company.anchor,
                row_id=ids.take(),
            )
