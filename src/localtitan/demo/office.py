"""Back office: forms and report categories at company level; per job the form submissions,
technician ratings and the occasional follow-up task."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo import content
from localtitan.demo.context import Ids, Out, chance, pick, stamp
from localtitan.demo.model import Company, Named, Work

__all__ = ["after_job", "build_office"]


def build_office(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=60)
    author = company.staff[0].id
    for name, trade in content.FORMS:
        fid = ids.take()
        company.forms.append((Named(fid, name), trade))
        out.add(
            "forms:forms",
            {
                "id": fid,
                "name": name,
                "published": True,
                "hasConditionalLogic": trade is not None,
                "hasTriggers": trade is not None,
                "createdById": author,
            },
            created=when,
        )
    for key, name in content.REPORT_CATEGORIES:
        # Report categories are keyed by a text id ("operations"), kept in the guid column.
        out.add(
            "reporting:report-categories",
            {"id": key, "name": name},
            created=company.founded,
            row_id=ids.take(),
            guid=key,
        )


def after_job(company: Company, ids: Ids, out: Out, rng: random.Random, work: Work) -> None:
    """What a finished job leaves behind in the office."""
    if work.status != "Completed" or work.completed is None:
        return
    tech = work.lead_tech
    done = work.completed
    forms = [f for f, trade in company.forms if trade == work.job_type.trade]
    if forms and (work.job_type.cls == "Maintenance" or chance(rng, 0.15)):
        form = forms[0]
        out.add(
            "forms:submissions",
            {
                "id": ids.take(),
                "formId": form.id,
                "formName": form.name,
                "submittedOn": stamp(done - timedelta(minutes=5)),
                "createdById": tech.id,
                "status": "Completed",
                "owners": [{"id": work.id, "type": "Job"}],
                "units": [],
            },
            created=done - timedelta(minutes=5),
        )
    if chance(rng, 0.18):
        rated = min(
            company.anchor - timedelta(minutes=1), done + timedelta(hours=rng.randint(2, 48))
        )
        out.add(
            "customer-interactions:technician-ratings",
            {
                "jobId": work.id,
                "technicianId": tech.id,
                "rating": float(rng.choice((5, 5, 5, 5, 4, 4, 3))),
            },
            created=rated,
            row_id=ids.take(),
        )
    if chance(rng, 0.02):
        name, priority = pick(rng, content.TASK_KINDS)
        reporter = company.office_user(rng, "Customer Service Representative")
        owner = company.office_user(
            rng, pick(rng, ("Office Manager", "Accounting", "Field Manager"))
        )
        reported = min(
            company.anchor - timedelta(hours=1), done + timedelta(days=rng.randint(0, 5))
        )
        closed = None
        if (company.anchor - reported).days > 3 and chance(rng, 0.75):
            closed = reported + timedelta(days=rng.randint(1, 3))
        status = "Completed" if closed else pick(rng, ("ToDo", "InProgress", "OnHold"))
        tid = ids.take()
        out.add(
            "taskmanagement:tasks",
            {
                "id": tid,
                "taskNumber": tid,
                "name": name,
                "description": f"{name} for job {work.number} ({work.client.name}).",
                "status": status,
                "priority": priority,
                "isClosed": closed is not None,
                "closedOn": stamp(closed),
                "completeBy": stamp(reported + timedelta(days=3)),
                "startedOn": stamp(reported + timedelta(hours=2)) if status != "ToDo" else None,
                "reportedById": reporter.id,
                "reportedOn": stamp(reported),
                "reportedDate": stamp(reported),
                "assignedToId": owner.id,
                "involvedEmployeeIdList": [reporter.id, owner.id],
                "businessUnitId": work.business_unit.id,
                "customerId": work.client.id,
                "customerName": work.client.name,
                "jobId": work.id,
                "jobNumber": work.number,
                "projectId": None,
                "refundIssued": 75.0 if "refund" in name.lower() and closed else None,
                "descriptionModifiedById": None,
                "descriptionModifiedOn": None,
                "descriptionModifiedBy": None,
                "comments": [
                    {
                        "comment": "Called customer, left voicemail.",
                        "employeeId": owner.id,
                        "createdOn": stamp(reported + timedelta(hours=3)),
                    }
                ]
                if status != "ToDo"
                else [],
                "attachments": None,
                "subTasksData": None,
            },
            created=reported,
            modified=closed or reported,
        )
