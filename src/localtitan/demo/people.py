"""Business units and the people in them: office staff, technicians, teams, zones, skills and
shifts."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from localtitan.demo import content
from localtitan.demo.context import Ids, Out, guid, pick, stamp
from localtitan.demo.model import BusinessUnit, Company, Named, Staff, Tech

__all__ = [
    "build_business_units",
    "build_shifts",
    "build_skills",
    "build_staff",
    "build_technicians",
]

# Built-in role (the deprecated ``role`` enum) for each of our user roles.
_BUILT_IN = {
    "Owner": "Owner",
    "Office Manager": "GeneralOffice",
    "Customer Service Representative": "CSR",
    "Dispatcher": "Dispatch",
    "Accounting": "Accounting",
    "Field Manager": "FieldManager",
}


def build_business_units(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded
    address, _ = company.address(rng)
    for name, trade, kind in content.BUSINESS_UNITS:
        bid = ids.take()
        company.business_units.append(BusinessUnit(bid, name, trade, kind))
        out.add(
            "settings:business-units",
            {
                "id": bid,
                "name": name,
                "officialName": f"{company.name} - {name}",
                "email": f"{trade.lower()}@{company.domain}",
                "currency": "USD",
                "phoneNumber": company.phone(rng),
                "invoiceHeader": f"<p>{company.name}</p>",
                "invoiceMessage": "<p>Thank you for your business!</p>",
                "defaultTaxRate": company.tax_zones[0].rate,
                "authorizationParagraph": "<p>I authorize the work described above.</p>",
                "acknowledgementParagraph": "<p>The work was completed to my satisfaction.</p>",
                "address": {**address, "isManualCoordinates": False, "isMilitary": False},
                "materialSku": None,
                "quickbooksClass": name,
                "accountCode": f"BU{len(company.business_units):02d}",
                "trade": None,
                "division": None,
                "tagTypeIds": [],
                "tenant": None,
                "externalData": [],
            },
            created=when,
        )


def _person_record(
    company: Company, rng: random.Random, pid: int, first: str, last: str
) -> dict[str, Any]:
    home, _ = company.address(rng)
    return {
        "id": pid,
        "userId": pid,  # our users are the employees and technicians themselves
        "name": f"{first} {last}",
        "firstName": first,
        "lastName": last,
        "email": f"{first}.{last}@{company.domain}".lower().replace(" ", ""),
        "phoneNumber": company.phone(rng),
        "loginName": f"{first[0]}{last}".lower().replace(" ", ""),
        "home": {k: home[k] for k in ("street", "unit", "city", "state", "zip")}
        | {"country": "USA"},
        "accountLocked": False,
        "aadUserId": None,
        "customFields": [],
        "permissions": [],
    }


def build_staff(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """User roles, then the office: an owner, managers, CSRs, dispatchers, accounting."""
    for name, employee_type in content.USER_ROLES:
        rid = ids.take()
        company.roles[name] = rid
        out.add(
            "settings:user-roles",
            {"id": rid, "name": name, "employeeType": employee_type},
            created=company.founded,
        )
    count = company.plan.office_staff
    roles = ["Owner", "Office Manager", "Accounting", "Dispatcher", "Field Manager"]
    while len(roles) < count:
        roles.append(
            pick(
                rng,
                (
                    "Customer Service Representative",
                    "Customer Service Representative",
                    "Customer Service Representative",
                    "Dispatcher",
                    "Accounting",
                    "Field Manager",
                ),
            )
        )
    manager: int | None = None
    for i, role in enumerate(roles):
        sid = ids.take()
        first, last = company.vocab.person(rng)
        started = company.founded + timedelta(days=0 if i == 0 else rng.randint(10, 2000))
        started = min(started, company.anchor - timedelta(days=20))
        bu = pick(rng, company.business_units).id if role == "Field Manager" else None
        company.staff.append(Staff(sid, f"{first} {last}", role, company.roles[role], bu))
        data = _person_record(company, rng, sid, first, last)
        data.update(
            {
                "role": _BUILT_IN[role],
                "roleIds": [company.roles[role]],
                "businessUnitId": bu,
                "managerId": manager,
                "agentId": 0,
                "startDate": stamp(started),
                "terminationDate": None,
                "hourlyRate": 0 if role == "Owner" else round(rng.uniform(18, 34), 2),
                "overtimeProfileId": None,
            }
        )
        out.add("settings:employees", data, created=started)
        if i == 1:
            manager = sid  # the office manager manages everyone hired after


def build_technicians(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Technicians spread over business units by how much work each unit has, then teams and
    the zone records listing who covers them."""
    plan = company.plan
    weights = {"Service": 5.0, "Maintenance": 2.0, "Install": 2.0}
    trades = {"HVAC": 6.0, "Plumbing": 3.0, "Electrical": 1.5}
    bus = company.business_units
    shares = [weights[bu.kind] * trades[bu.trade] for bu in bus]
    total = sum(shares)
    counts = [max(1, round(plan.technicians * s / total)) for s in shares]
    for _ in range(plan.teams):
        company.teams.append(Named(ids.take(), ""))
    team_names = [
        f"{company.vocab.cities[i % len(company.vocab.cities)]} Crew" for i in range(plan.teams)
    ]
    company.teams = [Named(t.id, team_names[i]) for i, t in enumerate(company.teams)]
    zone_ids = [z.id for z in company.zones]
    position = {"Service": "Service", "Maintenance": "Maintenance", "Install": "Installer"}
    role = {
        "Service": "Service Technician",
        "Maintenance": "Service Technician",
        "Install": "Install Technician",
    }
    n = 0
    for bu, count in zip(bus, counts, strict=True):
        for _ in range(count):
            tid = ids.take()
            first, last = company.vocab.person(rng)
            main = zone_ids[n % len(zone_ids)]
            extra = [z for z in rng.sample(zone_ids, min(2, len(zone_ids))) if z != main]
            zones = (main, *extra[:1])
            hourly = round(rng.uniform(24, 42), 2)
            commission = round(rng.choice((0.02, 0.03, 0.05)), 2)
            tech = Tech(tid, f"{first} {last}", bu.id, bu.trade, bu.kind, hourly, commission, zones)
            company.technicians.append(tech)
            started = company.founded + timedelta(days=rng.randint(30, 2100))
            started = min(started, company.anchor - timedelta(days=30))
            team = company.teams[n % len(company.teams)]
            data = _person_record(company, rng, tid, first, last)
            data.update(
                {
                    "roleIds": [company.roles[role[bu.kind]]],
                    "businessUnitId": bu.id,
                    "mainZoneId": main,
                    "zoneIds": list(zones),
                    "mobilePhone": data["phoneNumber"],
                    "dailyGoal": 1800 if bu.kind == "Install" else 1200,
                    "isManagedTech": True,
                    "licenseType": "ManagedTech",
                    "burdenRate": round(hourly * 0.28, 2),
                    "team": team.name,
                    "jobFilter": "AllScheduledDispatchedWorkingToday",
                    "commissionRate": commission,
                    "hourlyRate": hourly,
                    "payrollId": f"P{1000 + n}",
                    "shiftStart": "08:00:00",
                    "shiftEnd": "17:00:00",
                    "soldByRate": 0.05 if bu.kind == "Install" else 0.03,
                    "startDate": stamp(started),
                    "status": "Idle",
                    "positions": [position[bu.kind]],
                    "skills": None,
                    "bio": None,
                    "memo": None,
                    "location": None,
                }
            )
            out.add("settings:technicians", data, created=started)
            n += 1
    dispatcher = company.staff_with("Dispatcher")[0].id
    for team in company.teams:
        out.add(
            "dispatch:teams",
            {"id": team.id, "name": team.name, "createdBy": dispatcher},
            created=company.founded + timedelta(days=5),
        )
    for zone in company.zones:
        cities = [c for c in company.cities if c.zone_id == zone.id]
        out.add(
            "dispatch:zones",
            {
                "id": zone.id,
                "name": zone.name,
                "zips": sorted({z for c in cities for z in c.zips}),
                "cities": [c.name for c in cities],
                "territoryNumbers": [],
                "locnNumbers": [],
                "createdBy": dispatcher,
                "serviceDaysEnabled": False,
                "serviceDays": [],
                "businessUnits": [bu.id for bu in bus],
                "technicians": [t.id for t in company.technicians if zone.id in t.zone_ids],
            },
            created=company.founded + timedelta(days=4),
        )


def build_skills(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Technician skills: GUID-keyed records, one per technician and skill."""
    for tech in company.technicians:
        skills = [s for s, trade in content.SKILLS if trade == tech.trade]
        for name in rng.sample(skills, min(len(skills), rng.randint(1, 2))):
            key = guid(rng)
            job_types = [jt.id for jt in company.job_types if jt.trade == tech.trade]
            out.add(
                "dispatch:technician-skills",
                {"id": key, "name": name, "technicianId": tech.id, "jobTypeIds": job_types},
                created=company.founded + timedelta(days=30),
                row_id=ids.take(),
                guid=key,
            )


def build_shifts(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    """Each technician's shifts for the next two weeks (weekdays, some time off)."""
    regular = company.timesheet_codes.get("REG")
    pto = company.timesheet_codes.get("PTO")
    created = company.anchor - timedelta(days=7)
    for tech in company.technicians:
        for d in range(14):
            day = company.anchor + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            off = rng.random() < 0.04
            start = day + timedelta(hours=13)
            out.add(
                "dispatch:technician-shifts",
                {
                    "id": ids.take(),
                    "shiftType": "TimeOff" if off else "Normal",
                    "title": "Time Off" if off else "Regular Shift",
                    "note": None,
                    "start": stamp(start),
                    "end": stamp(start + timedelta(hours=9)),
                    "technicianId": tech.id,
                    "timesheetCodeId": pto if off else regular,
                },
                created=created,
            )
