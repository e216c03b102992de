"""The dashboards' reports: one row per business unit (the business-unit dashboard) or per
technician (the technician dashboard), computed from the tenant's invoices, jobs, appointment
assignments, timesheets, ratings, estimates, leads and memberships
(docs/decisions/0171-report-catalog.md, 0181-dashboard-reports.md).

A business unit's figures come from what names it (an invoice's business unit, a job's); a
technician's from the jobs they were assigned to, each job's revenue split evenly between its
technicians. One builder per dashboard report serves both subjects where both have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, case, cast, func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from localtitan.store.report_context import (
    ReportContext,
    Statement,
    completed_jobs,
    invoice_revenue,
    job_revenue,
    ratings,
    ratio,
)

__all__ = [
    "BUSINESS_UNITS",
    "TECHNICIANS",
    "Subject",
    "bu_lead_generation",
    "bu_memberships",
    "bu_sales",
    "productivity",
    "revenue",
]

_TIMESHEETS = "payroll:jobs/{}/timesheets"


@dataclass(frozen=True)
class Subject:
    """Whom a dashboard's rows are about."""

    kind: str
    by_technician: bool


BUSINESS_UNITS = Subject("settings:business-units", by_technician=False)
TECHNICIANS = Subject("settings:technicians", by_technician=True)


def _crew(ctx: ReportContext) -> Subquery:
    """Each job's distinct assigned technicians."""
    assign = ctx.table("dispatch:appointment-assignments", "assign")
    return (
        select(
            ctx.ref(assign, "jobId").label("job_id"),
            ctx.ref(assign, "technicianId").label("tech_id"),
        )
        .where(assign.c.active.is_(True))
        .distinct()
        .subquery("crew")
    )


def _credit(ctx: ReportContext, subject: Subject) -> Subquery:
    """Invoiced revenue of the period per subject (key, completed, adjustment, nonjob,
    total); a technician gets an even share of each of their jobs' invoices."""
    if not subject.by_technician:
        return invoice_revenue(ctx, "businessUnit.id")
    crew = _crew(ctx)
    size = select(crew.c.job_id, func.count().label("n")).group_by(crew.c.job_id).subquery("size")
    revenue = invoice_revenue(ctx, "job.id")

    def share(column: Any) -> Any:
        return func.sum(column / cast(size.c.n, Float))

    return (
        select(
            crew.c.tech_id.label("key"),
            share(revenue.c.completed).label("completed"),
            share(revenue.c.adjustment).label("adjustment"),
            share(revenue.c.nonjob).label("nonjob"),
            share(revenue.c.total).label("total"),
        )
        .select_from(
            revenue.join(crew, crew.c.job_id == revenue.c.key).join(
                size, size.c.job_id == crew.c.job_id
            )
        )
        .group_by(crew.c.tech_id)
        .subquery("credit")
    )


def _done_by(ctx: ReportContext, subject: Subject, done: Subquery) -> tuple[Any, Any]:
    """(what a completed job's rows are keyed by, what they are read from)."""
    if not subject.by_technician:
        return done.c.bu_id, done
    crew = _crew(ctx)
    return crew.c.tech_id, done.join(crew, crew.c.job_id == done.c.job_id)


def _opportunities(ctx: ReportContext, subject: Subject, done: Subquery) -> Subquery:
    """Jobs completed in the period per subject: how many, how many invoiced, recalls."""
    key, source = _done_by(ctx, subject, done)
    return (
        select(
            key.label("key"),
            func.count().label("opportunity"),
            func.sum(done.c.converted).label("converted"),
            func.sum(done.c.recall).label("recalls"),
        )
        .select_from(source)
        .group_by(key)
        .subquery("opportunities")
    )


def _satisfaction(ctx: ReportContext, subject: Subject, done: Subquery) -> Subquery:
    """The mean technician rating of the jobs completed in the period."""
    rated = ratings(ctx)
    key = ctx.ref(rated, "technicianId") if subject.by_technician else done.c.bu_id
    return (
        select(key.label("key"), func.avg(ctx.number(rated, "rating")).label("score"))
        .select_from(rated.join(done, done.c.job_id == ctx.ref(rated, "jobId")))
        .group_by(key)
        .subquery("satisfaction")
    )


def _hours(ctx: ReportContext, subject: Subject, done: Subquery) -> Subquery:
    """Time on the jobs completed in the period, from their timesheets: working (arrived to
    done) and driving (dispatched to arrived), per subject."""
    sheets = ctx.table(_TIMESHEETS, "sheet")
    key = ctx.ref(sheets, "technicianId") if subject.by_technician else done.c.bu_id
    working = ctx.hours(sheets, "arrivedOn", "doneOn")
    driving = ctx.hours(sheets, "dispatchedOn", "arrivedOn")
    return (
        select(
            key.label("key"),
            func.sum(working).label("working"),
            func.sum(driving).label("driving"),
        )
        .select_from(sheets.join(done, done.c.job_id == sheets.c.parent_id))
        .where(ctx.text(sheets, "canceledOn").is_(None))
        .group_by(key)
        .subquery("hours")
    )


def _narrowed(
    ctx: ReportContext, subject: Subject, stmt: Statement, who: Subquery, *worked: Subquery
) -> Statement:
    """BusinessUnitIds: those business units' rows; for technicians, those who worked in
    them in the period (a row in one of ``worked``)."""
    wanted = ctx.ids("BusinessUnitIds")
    if not wanted:
        return stmt
    if not subject.by_technician:
        return stmt.where(who.c.id.in_(wanted))
    return stmt.where(or_(*(w.c.key.is_not(None) for w in worked)))


def _zero(column: Any) -> ColumnElement[Any]:
    return func.coalesce(column, 0)


# ---------------------------------------------------------------- revenue (175, 168)


def revenue(subject: Subject) -> Any:
    """Revenue of the period with its opportunities, conversion and satisfaction."""

    def query(ctx: ReportContext) -> Statement:
        who = ctx.table(subject.kind, "who")
        credit = _credit(ctx, subject)
        done = completed_jobs(ctx)
        jobs = _opportunities(ctx, subject, done)
        happy = _satisfaction(ctx, subject, done)
        completed = func.coalesce(credit.c.completed, 0.0)
        opportunity, converted = _zero(jobs.c.opportunity), _zero(jobs.c.converted)
        adjustment = func.coalesce(credit.c.adjustment, 0.0)
        total = func.coalesce(credit.c.total, 0.0)
        tail = (
            (who.c.id, adjustment, total)
            if subject.by_technician
            else (adjustment, total, func.coalesce(credit.c.nonjob, 0.0))
        )
        stmt = (
            select(
                who.c.name,
                completed,
                ratio(completed, opportunity),
                ratio(converted, opportunity),
                opportunity,
                converted,
                happy.c.score,
                *tail,
            )
            .select_from(
                who.outerjoin(credit, credit.c.key == who.c.id)
                .outerjoin(jobs, jobs.c.key == who.c.id)
                .outerjoin(happy, happy.c.key == who.c.id)
            )
            .order_by(who.c.name, who.c.id)
        )
        return _narrowed(ctx, subject, stmt, who, jobs, credit)

    return query


# ---------------------------------------------------------------- productivity (177, 170)


def productivity(subject: Subject) -> Any:
    """Revenue per working hour and how the time on the period's completed jobs was spent."""

    def query(ctx: ReportContext) -> Statement:
        who = ctx.table(subject.kind, "who")
        credit = _credit(ctx, subject)
        done = completed_jobs(ctx)
        jobs = _opportunities(ctx, subject, done)
        time = _hours(ctx, subject, done)
        completed = func.coalesce(credit.c.completed, 0.0)
        working = func.coalesce(time.c.working, 0.0)
        driving = func.coalesce(time.c.driving, 0.0)
        tail = (who.c.id,) if subject.by_technician else ()
        stmt = (
            select(
                who.c.name,
                ratio(completed, working),
                working,
                driving,
                ratio(working, working + driving),
                completed,
                _zero(jobs.c.opportunity),
                _zero(jobs.c.recalls),
                *tail,
            )
            .select_from(
                who.outerjoin(credit, credit.c.key == who.c.id)
                .outerjoin(jobs, jobs.c.key == who.c.id)
                .outerjoin(time, time.c.key == who.c.id)
            )
            .order_by(who.c.name, who.c.id)
        )
        return _narrowed(ctx, subject, stmt, who, jobs, credit)

    return query


# ---------------------------------------------------------------- business-unit dashboard


def bu_lead_generation(ctx: ReportContext) -> Statement:
    """Per business unit: the follow-up jobs technicians set (jobs created in the period from
    an estimate) against the period's completed jobs, what those jobs were invoiced, and
    the leads the office took in the period."""
    bu = ctx.table("settings:business-units", "bu")
    done = completed_jobs(ctx)
    jobs = _opportunities(ctx, BUSINESS_UNITS, done)
    follow = ctx.table("jpm:jobs", "follow")
    revenue = job_revenue(ctx)
    unit = ctx.ref(follow, "businessUnitId")
    set_ = (
        select(
            unit.label("key"),
            func.count().label("count"),
            func.sum(func.coalesce(revenue.c.revenue, 0.0)).label("sales"),
        )
        .select_from(follow.outerjoin(revenue, revenue.c.job_id == follow.c.id))
        .where(
            ctx.text(follow, "createdFromEstimateId").is_not(None),
            ctx.within(follow, "createdOn"),
        )
        .group_by(unit)
        .subquery("leads_set")
    )
    lead = ctx.table("crm:leads", "lead")
    status = ctx.text(lead, "status")
    leads = (
        select(
            ctx.ref(lead, "businessUnitId").label("key"),
            func.count().label("count"),
            func.sum(case((status == "Open", 1), else_=0)).label("open"),
            func.sum(case((status == "Dismissed", 1), else_=0)).label("dismissed"),
        )
        .where(ctx.within(lead, "createdOn"))
        .group_by(ctx.ref(lead, "businessUnitId"))
        .subquery("leads")
    )
    stmt = (
        select(
            bu.c.name,
            _zero(jobs.c.opportunity),
            _zero(set_.c.count),
            ratio(_zero(set_.c.count), _zero(jobs.c.opportunity)),
            func.coalesce(set_.c.sales, 0.0),
            _zero(leads.c.count),
            _zero(leads.c.open),
            _zero(leads.c.dismissed),
        )
        .select_from(
            bu.outerjoin(jobs, jobs.c.key == bu.c.id)
            .outerjoin(set_, set_.c.key == bu.c.id)
            .outerjoin(leads, leads.c.key == bu.c.id)
        )
        .order_by(bu.c.name, bu.c.id)
    )
    return _narrowed(ctx, BUSINESS_UNITS, stmt, bu)


def bu_memberships(ctx: ReportContext) -> Statement:
    """Per business unit: memberships sold (begun) in the period against the period's
    completed jobs, those active now and those canceled in the period."""
    bu = ctx.table("settings:business-units", "bu")
    done = completed_jobs(ctx)
    jobs = _opportunities(ctx, BUSINESS_UNITS, done)
    member = ctx.table("memberships:memberships", "member")
    unit = ctx.ref(member, "businessUnitId")
    counts = (
        select(
            unit.label("key"),
            func.sum(case((ctx.within(member, "from"), 1), else_=0)).label("sold"),
            func.sum(case((ctx.text(member, "status") == "Active", 1), else_=0)).label("active"),
            func.sum(case((ctx.within(member, "cancellationDate"), 1), else_=0)).label("canceled"),
        )
        .group_by(unit)
        .subquery("member_counts")
    )
    sold, opportunity = _zero(counts.c.sold), _zero(jobs.c.opportunity)
    stmt = (
        select(
            bu.c.name,
            sold,
            opportunity,
            ratio(sold, opportunity),
            _zero(counts.c.active),
            _zero(counts.c.canceled),
        )
        .select_from(
            bu.outerjoin(jobs, jobs.c.key == bu.c.id).outerjoin(counts, counts.c.key == bu.c.id)
        )
        .order_by(bu.c.name, bu.c.id)
    )
    return _narrowed(ctx, BUSINESS_UNITS, stmt, bu)


def _sold(ctx: ReportContext, est: Subquery) -> ColumnElement[bool]:
    return and_(ctx.text(est, "status.name") == "Sold", ctx.within(est, "soldOn"))


def bu_sales(ctx: ReportContext) -> Statement:
    """Per business unit: estimates sold in the period, and the jobs offered estimates in it."""
    bu = ctx.table("settings:business-units", "bu")
    est = ctx.table("sales:estimates", "est")
    unit = ctx.ref(est, "businessUnitId")
    job = ctx.ref(est, "jobId")
    sold = _sold(ctx, est)
    offered = ctx.within(est, "createdOn")
    closed = and_(offered, ctx.text(est, "status.name") == "Sold")
    sales = (
        select(
            unit.label("bu_id"),
            func.sum(
                case((sold, func.coalesce(ctx.number(est, "subtotal"), 0.0)), else_=0.0)
            ).label("total"),
            func.count(func.distinct(case((sold, job)))).label("sold_jobs"),
            func.count(func.distinct(case((offered, job)))).label("offered_jobs"),
            func.count(func.distinct(case((closed, job)))).label("closed_jobs"),
            func.sum(case((offered, 1), else_=0)).label("options"),
        )
        .where(or_(sold, offered))
        .group_by(unit)
        .subquery("sales")
    )
    revenue = invoice_revenue(ctx, "businessUnit.id")
    offered_jobs = _zero(sales.c.offered_jobs)
    stmt = (
        select(
            bu.c.name,
            func.coalesce(sales.c.total, 0.0),
            ratio(sales.c.total, sales.c.sold_jobs),
            ratio(_zero(sales.c.closed_jobs), offered_jobs),
            offered_jobs,
            ratio(_zero(sales.c.options), offered_jobs),
            func.coalesce(revenue.c.adjustment, 0.0),
            func.coalesce(revenue.c.total, 0.0),
            func.coalesce(revenue.c.nonjob, 0.0),
        )
        .select_from(
            bu.outerjoin(sales, sales.c.bu_id == bu.c.id).outerjoin(
                revenue, revenue.c.key == bu.c.id
            )
        )
        .order_by(bu.c.name, bu.c.id)
    )
    return _narrowed(ctx, BUSINESS_UNITS, stmt, bu)
