"""Report data: each report's SQL over the calling tenant's records, run a page at a time,
the dynamic value sets report parameters name, and the report categories a tenant holds.

``QUERIES`` names every report query; the catalog (``domain/report_catalog.py``) says which
one computes each report. Dashboard reports are in :mod:`localtitan.store.dashboard_reports`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store import dashboard_reports as dash
from localtitan.store.records import decode, key_filter
from localtitan.store.report_context import ReportContext, Statement, job_revenue
from localtitan.store.tables import records

__all__ = [
    "QUERIES",
    "ReportContext",
    "ReportPage",
    "dynamic_set_rows",
    "report_page",
    "stored_categories",
]

Rows = list[list[Any]]


@dataclass(frozen=True)
class _Query:
    build: Callable[[ReportContext], Statement]
    # Fills in what one SQL row cannot hold portably (a job's technicians), for one page.
    finish: Callable[[AsyncConnection, ReportContext, Rows], Awaitable[Rows]] | None = None


@dataclass(frozen=True)
class ReportPage:
    rows: Rows
    has_more: bool
    total: int | None


# ---------------------------------------------------------------- operations


def _completed_job_detail(ctx: ReportContext) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    customers = ctx.table("crm:customers", "customer")
    units = ctx.table("settings:business-units", "unit")
    types = ctx.table("jpm:job-types", "jtype")
    revenue = job_revenue(ctx)
    by_creation = ctx.args.get("datetype") == 2
    stmt = (
        select(
            ctx.text(jobs, "jobNumber"),
            jobs.c.id,
            literal(""),  # assigned technicians, filled in by _assigned_technicians
            customers.c.name,
            units.c.name,
            types.c.name,
            ctx.text(jobs, "completedOn"),
            ctx.text(jobs, "createdOn"),
            func.coalesce(revenue.c.revenue, 0.0),
        )
        .select_from(
            jobs.outerjoin(customers, customers.c.id == ctx.ref(jobs, "customerId"))
            .outerjoin(units, units.c.id == ctx.ref(jobs, "businessUnitId"))
            .outerjoin(types, types.c.id == ctx.ref(jobs, "jobTypeId"))
            .outerjoin(revenue, revenue.c.job_id == jobs.c.id)
        )
        .where(
            ctx.text(jobs, "jobStatus") == "Completed",
            ctx.within(jobs, "createdOn" if by_creation else "completedOn"),
        )
        .order_by(ctx.text(jobs, "completedOn"), jobs.c.id)
    )
    unit = ctx.args.get("businessunitid")
    if unit is not None:
        stmt = stmt.where(ctx.ref(jobs, "businessUnitId") == int(unit))
    return stmt


async def _assigned_technicians(conn: AsyncConnection, ctx: ReportContext, rows: Rows) -> Rows:
    """Column 2 of each row: the names of the technicians assigned to its job (column 1)."""
    job_ids = [row[1] for row in rows]
    if not job_ids:
        return rows
    assign = ctx.table("dispatch:appointment-assignments", "assign")
    found = await conn.execute(
        select(ctx.ref(assign, "jobId"), ctx.text(assign, "technicianName"))
        .where(ctx.ref(assign, "jobId").in_(job_ids), assign.c.active.is_(True))
        .distinct()
    )
    names: dict[int, set[str]] = {}
    for job_id, name in found:
        if name:
            names.setdefault(int(job_id), set()).add(str(name))
    for row in rows:
        row[2] = ", ".join(sorted(names.get(int(row[1]), ())))
    return rows


def _jobs_by_status(ctx: ReportContext) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    status = ctx.text(jobs, "jobStatus")
    return (
        select(status, func.count())
        .where(ctx.within(jobs, "createdOn"))
        .group_by(status)
        .order_by(status)
    )


# ---------------------------------------------------------------- accounting, technician, marketing


def _revenue_by_business_unit(ctx: ReportContext) -> Statement:
    inv = ctx.table("accounting:invoices", "inv")
    name = func.coalesce(ctx.text(inv, "businessUnit.name"), "(none)")
    dated = func.substr(
        func.coalesce(ctx.text(inv, "invoiceDate"), ctx.text(inv, "createdOn")), 1, 10
    )
    return (
        select(
            name,
            func.count(),
            func.sum(func.coalesce(ctx.number(inv, "total"), 0.0)),
            func.sum(func.coalesce(ctx.number(inv, "balance"), 0.0)),
        )
        .where(dated >= ctx.start, dated <= ctx.end)
        .group_by(name)
        .order_by(name)
    )


def _completed_by_technician(ctx: ReportContext) -> Statement:
    assign = ctx.table("dispatch:appointment-assignments", "assign")
    jobs = ctx.table("jpm:jobs", "job")
    name = func.coalesce(ctx.text(assign, "technicianName"), "(unknown)")
    return (
        select(name, func.count())
        .select_from(assign.join(jobs, jobs.c.id == ctx.ref(assign, "jobId")))
        .where(ctx.text(jobs, "jobStatus") == "Completed", ctx.within(jobs, "completedOn"))
        .group_by(name)
        .order_by(name)
    )


def _jobs_by_campaign(ctx: ReportContext) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    campaigns = ctx.table("marketing:campaigns", "campaign")
    name = func.coalesce(campaigns.c.name, "(none)")
    return (
        select(name, func.count())
        .select_from(jobs.outerjoin(campaigns, campaigns.c.id == ctx.ref(jobs, "campaignId")))
        .where(ctx.within(jobs, "createdOn"))
        .group_by(name)
        .order_by(name)
    )


# ---------------------------------------------------------------- sales, memberships, payroll


def _sold_by_salesperson(ctx: ReportContext) -> Statement:
    est = ctx.table("sales:estimates", "est")
    tech = ctx.table("settings:technicians", "tech")
    seller = ctx.ref(est, "soldBy")
    name = func.coalesce(tech.c.name, "(unknown)")
    sold = and_(ctx.text(est, "status.name") == "Sold", ctx.within(est, "soldOn"))
    return (
        select(
            name,
            seller,
            func.count(),
            func.sum(func.coalesce(ctx.number(est, "subtotal"), 0.0)),
        )
        .select_from(est.outerjoin(tech, tech.c.id == seller))
        .where(sold)
        .group_by(name, seller)
        .order_by(name, seller)
    )


def _memberships_by_type(ctx: ReportContext) -> Statement:
    types = ctx.table("memberships:membership-types", "mtype")
    member = ctx.table("memberships:memberships", "member")
    counts = (
        select(
            ctx.ref(member, "membershipTypeId").label("type_id"),
            func.sum(case((ctx.text(member, "status") == "Active", 1), else_=0)).label("active"),
            func.sum(case((ctx.within(member, "from"), 1), else_=0)).label("new"),
            func.sum(case((ctx.within(member, "cancellationDate"), 1), else_=0)).label("canceled"),
        )
        .group_by(ctx.ref(member, "membershipTypeId"))
        .subquery("counts")
    )
    return (
        select(
            types.c.name,
            types.c.id,
            func.coalesce(counts.c.active, 0),
            func.coalesce(counts.c.new, 0),
            func.coalesce(counts.c.canceled, 0),
        )
        .select_from(types.outerjoin(counts, counts.c.type_id == types.c.id))
        .order_by(types.c.name, types.c.id)
    )


def _gross_pay_by_employee(ctx: ReportContext) -> Statement:
    pay = ctx.table("payroll:gross-pay-items", "pay")
    tech = ctx.table("settings:technicians", "tech")
    staff = ctx.table("settings:employees", "staff")
    employee = ctx.ref(pay, "employeeId")
    name = func.coalesce(tech.c.name, staff.c.name, "(unknown)")
    return (
        select(
            name,
            employee,
            func.sum(func.coalesce(ctx.number(pay, "paidDurationHours"), 0.0)),
            func.sum(func.coalesce(ctx.number(pay, "amount"), 0.0)),
            func.count(),
        )
        .select_from(
            pay.outerjoin(tech, tech.c.id == employee).outerjoin(staff, staff.c.id == employee)
        )
        .where(ctx.within(pay, "date"))
        .group_by(name, employee)
        .order_by(name, employee)
    )


QUERIES: dict[str, _Query] = {
    "business-unit-revenue": _Query(dash.revenue(dash.BUSINESS_UNITS)),
    "technician-revenue": _Query(dash.revenue(dash.TECHNICIANS)),
    "business-unit-productivity": _Query(dash.productivity(dash.BUSINESS_UNITS)),
    "technician-productivity": _Query(dash.productivity(dash.TECHNICIANS)),
    "business-unit-lead-generation": _Query(dash.bu_lead_generation),
    "business-unit-memberships": _Query(dash.bu_memberships),
    "business-unit-sales": _Query(dash.bu_sales),
    "completed-job-detail": _Query(_completed_job_detail, _assigned_technicians),
    "jobs-by-status": _Query(_jobs_by_status),
    "revenue-by-business-unit": _Query(_revenue_by_business_unit),
    "completed-by-technician": _Query(_completed_by_technician),
    "jobs-by-campaign": _Query(_jobs_by_campaign),
    "sold-by-salesperson": _Query(_sold_by_salesperson),
    "memberships-by-type": _Query(_memberships_by_type),
    "gross-pay-by-employee": _Query(_gross_pay_by_employee),
}


async def report_page(
    conn: AsyncConnection,
    ctx: ReportContext,
    query: str,
    *,
    page: int,
    size: int,
    with_total: bool,
) -> ReportPage:
    """One page of report ``query``'s rows (paged in SQL), and their count if asked."""
    found = QUERIES[query]
    stmt = found.build(ctx)
    fetched = (await conn.execute(stmt.limit(size + 1).offset((page - 1) * size))).all()
    rows: Rows = [list(r) for r in fetched[:size]]
    if found.finish is not None:
        rows = await found.finish(conn, ctx, rows)
    total: int | None = None
    if with_total:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = int((await conn.execute(counted)).scalar_one())
    return ReportPage(rows, len(fetched) > size, total)


# Dynamic value sets a parameter's accepted values come from: id -> kind of record listed.
_DYNAMIC_SETS = {
    "business-units": "settings:business-units",
    "technicians": "settings:technicians",
    "campaigns": "marketing:campaigns",
    "job-types": "jpm:job-types",
}


async def dynamic_set_rows(
    conn: AsyncConnection, ctx: ReportContext, set_id: str
) -> list[list[Any]] | None:
    """The [value, name] rows of a dynamic value set, or None for an unknown set."""
    kind = _DYNAMIC_SETS.get(set_id)
    if kind is None:
        return None
    table = ctx.table(kind, "entry")
    stmt = (
        select(table.c.id, table.c.name)
        .where(table.c.active.is_(True))
        .order_by(table.c.name, table.c.id)
    )
    return [[int(r[0]), r[1]] for r in (await conn.execute(stmt)).all()]


async def stored_categories(conn: AsyncConnection, env: str, tenant: int) -> list[Any]:
    """The data of the tenant's ``reporting:report-categories`` records (imported with a
    snapshot, or written by a test)."""
    rows = await conn.execute(
        select(records.c.data).where(
            key_filter(env, tenant, "reporting:report-categories"),
            records.c.deleted.is_(False),
        )
    )
    return [decode(raw) for (raw,) in rows]
