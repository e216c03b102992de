"""Projects: the company's project statuses, substatuses and types and its budget codes; per
chunk, a project for most replacement installs (the sales visit and the install jobs it
groups), with the jobs naming their project and a note or two on it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, chance, iso, pick, stamp
from localtitan.demo.model import Company
from localtitan.store.records import Stored, parse_time

__all__ = ["build_project_setup", "projects_for_chunk"]

# (status, its substatuses)
_STATUSES: list[tuple[str, list[str]]] = [
    ("Not Started", ["Awaiting Permit", "Awaiting Equipment"]),
    ("In Progress", ["Rough-In", "Install Scheduled", "Punch List"]),
    ("On Hold", ["Customer Decision", "Financing"]),
    ("Completed", ["Final Inspection Passed", "Closed Out"]),
    ("Canceled", ["Customer Canceled"]),
]
_TYPES = [
    ("Residential Replacement", "Equipment replaced at a home."),
    ("Commercial Replacement", "Rooftop or split systems replaced at a business."),
    ("System Upgrade", "Ductwork, panel or repipe work spanning several visits."),
]
# Budget codes bind an item of each segment of the work breakdown structure: a cost code
# (what the money is for) and a cost type (labor, material...). (code, description, type code)
_COST_CODES = [
    ("01-100", "Equipment", "E"),
    ("01-200", "Materials", "M"),
    ("02-100", "Installation Labor", "L"),
    ("02-200", "Electrical Labor", "L"),
    ("03-100", "Permits and Fees", "O"),
    ("04-100", "Subcontractors", "S"),
    ("05-100", "Disposal", "O"),
]
# (code, description, cost category)
_COST_TYPES = [
    ("L", "Labor", "Labor"),
    ("M", "Material", "Material"),
    ("E", "Equipment", "Equipment"),
    ("S", "Subcontract", "Subcontract"),
    ("O", "Other", "Other"),
]
SEGMENTS = "jpm:work-breakdown-structure/segments"
SEGMENT_ITEMS = "jpm:work-breakdown-structure/segments/{}/items"
_NOTES = [
    "Permit pulled; inspection requested for the week after the install.",
    "Customer approved the equipment option and financing.",
    "Old unit hauled away; pad leveled.",
    "Final walkthrough done with the homeowner.",
]


def build_project_setup(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=400)
    statuses: dict[str, int] = {}
    subs: dict[str, list[int]] = {}
    for order, (name, substatuses) in enumerate(_STATUSES, start=1):
        sid = ids.take()
        statuses[name] = sid
        out.add(
            "jpm:project-statuses",
            {"id": sid, "name": name, "order": order},
            created=when,
            modified=when,
        )
        for sub_order, sub in enumerate(substatuses, start=1):
            uid = ids.take()
            subs.setdefault(name, []).append(uid)
            out.add(
                "jpm:project-substatuses",
                {"id": uid, "name": sub, "statusId": sid, "order": sub_order},
                created=when,
                modified=when,
            )
    company.project_statuses = statuses
    company.project_substatuses = subs
    author = company.staff[0].id
    for name, description in _TYPES:
        tid = ids.take()
        company.project_types[name] = tid
        out.add(
            "jpm:project-types",
            {"id": tid, "name": name, "description": description, "createdById": author},
            created=when,
        )
    _budget_codes(company, ids, out, rng, when)


def _budget_codes(company: Company, ids: Ids, out: Out, rng: random.Random, when: datetime) -> None:
    """The two segments, their items, and a code for each cost code with its cost type.
    Segments have no list schema of their own (Budget Codes' handlers read them), so they are
    stored as they are."""
    segments: list[tuple[int, dict[str, dict[str, Any]]]] = []
    for name, kind, required, rows in (
        ("Cost Code", "CostCode", True, [(c, d, "None") for c, d, _ in _COST_CODES]),
        ("Cost Type", "CostType", False, _COST_TYPES),
    ):
        sid = ids.take()
        data = {"name": name, "type": kind, "structure": "Flat", "isActive": True}
        data["isRequired"] = required
        out.items.append(Stored(SEGMENTS, sid, data, created_on=when, modified_on=when))
        items: dict[str, dict[str, Any]] = {}
        for code, description, category in rows:
            item = out.add(
                SEGMENT_ITEMS,
                {
                    "id": ids.take(),
                    "code": code,
                    "description": description,
                    "costCategory": category,
                    "isActive": True,
                    "parentId": None,
                    "path": code,
                },
                created=when,
                parent_id=sid,
            )
            items[code] = item
        segments.append((sid, items))
    (code_segment, code_items), (type_segment, type_items) = segments
    for code, _description, type_code in _COST_CODES:
        bound = [(code_segment, code_items[code]), (type_segment, type_items[type_code])]
        out.add(
            "jpm:work-breakdown-structure/budget-codes",
            {
                "id": ids.take(),
                "code": "-".join(str(item["code"]) for _, item in bound),
                "description": " - ".join(str(item["description"]) for _, item in bound),
                "segments": [
                    {
                        "segmentId": segment_id,
                        "segmentItemId": item["id"],
                        "code": item["code"],
                        "description": item["description"],
                        "path": item["path"],
                    }
                    for segment_id, item in bound
                ],
            },
            created=when + timedelta(days=rng.randint(0, 60)),
        )


def _status(company: Company, jobs: list[dict[str, Any]]) -> tuple[str, str]:
    states = {j["jobStatus"] for j in jobs}
    if states == {"Canceled"}:
        return "Canceled", "Customer Canceled"
    if "Hold" in states:
        return "On Hold", "Customer Decision"
    if states <= {"Completed", "Canceled"}:
        return "Completed", "Closed Out"
    if "Completed" in states:
        return "In Progress", "Install Scheduled"
    return "Not Started", "Awaiting Equipment"


def projects_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    """A project for most install jobs sold from an estimate: the sales job and the install."""
    jobs = {rec.id: rec for rec in kinds.get("jpm:jobs", [])}
    estimates = {rec.id: rec for rec in kinds.get("sales:estimates", [])}
    customers = {rec.id: rec for rec in kinds.get("crm:customers", [])}
    managers = company.staff_with("Field Manager")
    sub_ids = {
        (status, name): uid
        for status, names in _STATUSES
        for name, uid in zip(names, company.project_substatuses.get(status, []), strict=True)
    }
    for job in list(jobs.values()):
        from_estimate = job.data.get("createdFromEstimateId")
        if not from_estimate or not chance(rng, 0.7):
            continue
        estimate = estimates.get(from_estimate)
        sales_job = jobs.get(int(estimate.data.get("jobId") or 0)) if estimate else None
        members = [j for j in (sales_job, job) if j is not None]
        data = [j.data for j in members]
        status, sub = _status(company, data)
        started = min(parse_time(d["createdOn"]) for d in data)
        ends = [parse_time(d["completedOn"]) for d in data if d.get("completedOn")]
        done = max(ends) if status == "Completed" and ends else None
        customer = customers.get(job.data["customerId"])
        commercial = customer is not None and customer.data.get("type") == "Commercial"
        ptype = "Commercial Replacement" if commercial else "Residential Replacement"
        pid = ids.take()
        modified = min(company.anchor, done or started + timedelta(days=3))
        for member in members:
            member.data["projectId"] = pid
        if estimate is not None:
            estimate.data["projectId"] = pid
        job_type = company.job_type_by_id(job.data["jobTypeId"]).name
        owner = customer.data["name"] if customer else "the customer"
        out.add(
            "jpm:projects",
            {
                "id": pid,
                "number": str(pid),
                "name": f"{job_type} #{job.data['jobNumber']}",
                "summary": f"<p>{job_type} for {owner}</p>",
                "status": status,
                "statusId": company.project_statuses[status],
                "subStatus": sub,
                "subStatusId": sub_ids[(status, sub)],
                "customerId": job.data["customerId"],
                "locationId": job.data["locationId"],
                "projectTypeId": company.project_types[ptype],
                "projectManagerIds": [pick(rng, managers).id],
                "businessUnitIds": sorted({d["businessUnitId"] for d in data}),
                "startDate": iso(started),
                "targetCompletionDate": iso(started + timedelta(days=21)),
                "actualCompletionDate": stamp(done),
                "jobIds": [m.id for m in members],
                "customFields": [],
                "externalData": [],
            },
            created=started,
            modified=modified,
        )
        if chance(rng, 0.6):
            out.add(
                "jpm:projects/{}/notes",
                {
                    "id": ids.take(),
                    "projectId": pid,
                    "text": pick(rng, _NOTES),
                    "isPinned": False,
                    "createdById": pick(rng, managers).id,
                },
                created=min(company.anchor - timedelta(minutes=1), started + timedelta(days=1)),
                parent_id=pid,
            )
