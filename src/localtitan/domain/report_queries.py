"""The SQL behind each report in the catalog: one query per report over the tenant's records
(invoices, jobs, appointment assignments, ratings...), so a report reflects whatever the API and
the demo seed wrote. Amounts are summed as floating point and rounded to cents when a row is sent.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import Subquery

from localtitan.store.tables import records

__all__ = [
    "Context",
    "Finish",
    "Query",
    "Rows",
    "Statement",
    "assigned_technicians",
    "bu_revenue",
    "bu_sales",
    "completed_by_technician",
    "completed_job_detail",
    "dynamic_set",
    "gross_pay_by_employee",
    "jobs_by_campaign",
    "jobs_by_status",
    "memberships_by_type",
    "revenue_by_business_unit",
    "sold_by_salesperson",
    "technician_revenue",
]

# Field paths the queries read: code constants, checked before they are written into SQL.
_PATH = re.compile(r"[A-Za-z]+(\.[A-Za-z]+)*")


@dataclass
class Context:
    """What a report's query needs: the tenant's records and the validated parameters."""

    dialect: str
    env: str
    tenant: int
    args: Mapping[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> str:
        return str(self.args["from"])

    @property
    def end(self) -> str:
        return str(self.args["to"])

    def table(self, kind: str, name: str) -> Subquery:
        """The live records of ``kind`` as a subquery named ``name``, ``data`` and ``id`` kept."""
        return (
            select(records.c.id, records.c.data, records.c.active, records.c.name)
            .where(
                records.c.environment == self.env,
                records.c.tenant_id == self.tenant,
                records.c.kind == kind,
                records.c.deleted.is_(False),
            )
            .subquery(name)
        )

    def text(self, table: Subquery, name: str) -> ColumnElement[Any]:
        """A stored JSON field as text. The path is written into the SQL, not bound: PostgreSQL
        matches a GROUP BY expression to the select list only when their texts are equal,
        and two bound copies of one path are two parameters."""
        if not _PATH.fullmatch(name):
            raise ValueError(f"not a field path: {name!r}")
        if self.dialect == "postgresql":
            path: ColumnElement[Any] = literal_column("'{" + name.replace(".", ",") + "}'")
            return cast(table.c.data, JSONB).op("#>>")(path)
        return func.json_extract(table.c.data, literal_column(f"'$.{name}'"))

    def number(self, table: Subquery, name: str) -> ColumnElement[Any]:
        # Accounting amounts are decimal strings ("123.45"), other numbers JSON numbers.
        return cast(self.text(table, name), Float)

    def ref(self, table: Subquery, name: str) -> ColumnElement[Any]:
        return cast(self.text(table, name), BigInteger)

    def day(self, table: Subquery, name: str) -> ColumnElement[Any]:
        """The calendar day (YYYY-MM-DD) of a stored timestamp, for inclusive date ranges."""
        return func.substr(self.text(table, name), 1, 10)

    def within(self, table: Subquery, name: str) -> ColumnElement[bool]:
        day = self.day(table, name)
        return and_(day >= self.start, day <= self.end)

    def ids(self, name: str) -> list[int] | None:
        value = self.args.get(name.lower())
        return [int(v) for v in value] if value else None


# Any number of columns: each report has its own.
Statement = Select[*tuple[Any, ...]]
Query = Callable[[Context], Statement]
Rows = list[list[Any]]
Finish = Callable[[AsyncConnection, Context, Rows], Awaitable[Rows]]


def _ratio(part: Any, whole: Any) -> ColumnElement[Any]:
    return cast(part, Float) / func.nullif(cast(whole, Float), 0.0)


def _invoice_revenue(ctx: Context, group: str) -> Subquery:
    """Invoices dated in the period, by ``group`` (a JSON path): revenue split into what
    completed jobs brought, adjustments, and invoices without a job."""
    inv = ctx.table("accounting:invoices", "inv")
    units = ctx.ids("BusinessUnitIds")
    where = [ctx.within(inv, "invoiceDate")]
    if units:
        where.append(ctx.ref(inv, "businessUnit.id").in_(units))
    total = func.coalesce(ctx.number(inv, "total"), 0.0)
    adjustment = ctx.text(inv, "adjustmentToId").is_not(None)
    job = ctx.text(inv, "job.id").is_not(None)
    return (
        select(
            ctx.ref(inv, group).label("key"),
            func.sum(case((and_(~adjustment, job), total), else_=0.0)).label("completed"),
            func.sum(case((adjustment, total), else_=0.0)).label("adjustment"),
            func.sum(case((and_(~adjustment, ~job), total), else_=0.0)).label("nonjob"),
            func.sum(total).label("total"),
        )
        .where(*where)
        .group_by(ctx.ref(inv, group))
        .subquery("revenue")
    )


def _job_revenue(ctx: Context) -> Subquery:
    """Each job's invoiced revenue (adjustments aside), whenever invoiced."""
    inv = ctx.table("accounting:invoices", "jinv")
    return (
        select(
            ctx.ref(inv, "job.id").label("job_id"),
            func.sum(func.coalesce(ctx.number(inv, "total"), 0.0)).label("revenue"),
        )
        .where(ctx.text(inv, "job.id").is_not(None), ctx.text(inv, "adjustmentToId").is_(None))
        .group_by(ctx.ref(inv, "job.id"))
        .subquery("job_revenue")
    )


def _completed_jobs(ctx: Context) -> Subquery:
    """Jobs completed in the period: id, business unit, whether invoiced above zero."""
    jobs = ctx.table("jpm:jobs", "cj")
    revenue = _job_revenue(ctx)
    units = ctx.ids("BusinessUnitIds")
    where = [ctx.text(jobs, "jobStatus") == "Completed", ctx.within(jobs, "completedOn")]
    if units:
        where.append(ctx.ref(jobs, "businessUnitId").in_(units))
    return (
        select(
            jobs.c.id.label("job_id"),
            ctx.ref(jobs, "businessUnitId").label("bu_id"),
            case((func.coalesce(revenue.c.revenue, 0.0) > 0, 1), else_=0).label("converted"),
        )
        .select_from(jobs.outerjoin(revenue, revenue.c.job_id == jobs.c.id))
        .where(*where)
        .subquery("completed_jobs")
    )


def _ratings(ctx: Context) -> Subquery:
    return ctx.table("customer-interactions:technician-ratings", "rating")


# ---------------------------------------------------------------- business-unit-dashboard


def bu_revenue(ctx: Context) -> Statement:
    bu = ctx.table("settings:business-units", "bu")
    revenue = _invoice_revenue(ctx, "businessUnit.id")
    done = _completed_jobs(ctx)
    jobs = (
        select(
            done.c.bu_id,
            func.count().label("opportunity"),
            func.sum(done.c.converted).label("converted"),
        )
        .group_by(done.c.bu_id)
        .subquery("bu_jobs")
    )
    ratings = _ratings(ctx)
    satisfaction = (
        select(done.c.bu_id, func.avg(ctx.number(ratings, "rating")).label("score"))
        .select_from(ratings.join(done, done.c.job_id == ctx.ref(ratings, "jobId")))
        .group_by(done.c.bu_id)
        .subquery("bu_ratings")
    )
    completed = func.coalesce(revenue.c.completed, 0.0)
    opportunity = func.coalesce(jobs.c.opportunity, 0)
    stmt = (
        select(
            bu.c.name,
            completed,
            _ratio(completed, opportunity),
            _ratio(func.coalesce(jobs.c.converted, 0), opportunity),
            opportunity,
            func.coalesce(jobs.c.converted, 0),
            satisfaction.c.score,
            func.coalesce(revenue.c.adjustment, 0.0),
            func.coalesce(revenue.c.total, 0.0),
            func.coalesce(revenue.c.nonjob, 0.0),
        )
        .select_from(
            bu.outerjoin(revenue, revenue.c.key == bu.c.id)
            .outerjoin(jobs, jobs.c.bu_id == bu.c.id)
            .outerjoin(satisfaction, satisfaction.c.bu_id == bu.c.id)
        )
        .order_by(bu.c.name, bu.c.id)
    )
    wanted = ctx.ids("BusinessUnitIds")
    return stmt.where(bu.c.id.in_(wanted)) if wanted else stmt


# ---------------------------------------------------------------- technician-dashboard


def technician_revenue(ctx: Context) -> Statement:
    tech = ctx.table("settings:technicians", "tech")
    assign = ctx.table("dispatch:appointment-assignments", "assign")
    # Each job's distinct technicians, and how many share it (revenue is split evenly).
    crew = (
        select(
            ctx.ref(assign, "jobId").label("job_id"),
            ctx.ref(assign, "technicianId").label("tech_id"),
        )
        .where(assign.c.active.is_(True))
        .distinct()
        .subquery("crew")
    )
    size = select(crew.c.job_id, func.count().label("n")).group_by(crew.c.job_id).subquery("size")
    revenue = _invoice_revenue(ctx, "job.id")
    credit = (
        select(
            crew.c.tech_id,
            func.sum(revenue.c.completed / cast(size.c.n, Float)).label("completed"),
            func.sum(revenue.c.adjustment / cast(size.c.n, Float)).label("adjustment"),
            func.sum(revenue.c.total / cast(size.c.n, Float)).label("total"),
        )
        .select_from(
            revenue.join(crew, crew.c.job_id == revenue.c.key).join(
                size, size.c.job_id == crew.c.job_id
            )
        )
        .group_by(crew.c.tech_id)
        .subquery("credit")
    )
    done = _completed_jobs(ctx)
    jobs = (
        select(
            crew.c.tech_id,
            func.count().label("opportunity"),
            func.sum(done.c.converted).label("converted"),
        )
        .select_from(done.join(crew, crew.c.job_id == done.c.job_id))
        .group_by(crew.c.tech_id)
        .subquery("tech_jobs")
    )
    ratings = _ratings(ctx)
    satisfaction = (
        select(
            ctx.ref(ratings, "technicianId").label("tech_id"),
            func.avg(ctx.number(ratings, "rating")).label("score"),
        )
        .select_from(ratings.join(done, done.c.job_id == ctx.ref(ratings, "jobId")))
        .group_by(ctx.ref(ratings, "technicianId"))
        .subquery("tech_ratings")
    )
    completed = func.coalesce(credit.c.completed, 0.0)
    opportunity = func.coalesce(jobs.c.opportunity, 0)
    stmt = (
        select(
            tech.c.name,
            completed,
            _ratio(completed, opportunity),
            _ratio(func.coalesce(jobs.c.converted, 0), opportunity),
            opportunity,
            func.coalesce(jobs.c.converted, 0),
            satisfaction.c.score,
            tech.c.id,
            func.coalesce(credit.c.adjustment, 0.0),
            func.coalesce(credit.c.total, 0.0),
        )
        .select_from(
            tech.outerjoin(credit, credit.c.tech_id == tech.c.id)
            .outerjoin(jobs, jobs.c.tech_id == tech.c.id)
            .outerjoin(satisfaction, satisfaction.c.tech_id == tech.c.id)
        )
        .order_by(tech.c.name, tech.c.id)
    )
    if ctx.ids("BusinessUnitIds"):
        # Only the technicians who worked in those business units in the period.
        stmt = stmt.where(or_(jobs.c.tech_id.is_not(None), credit.c.tech_id.is_not(None)))
    return stmt


# ---------------------------------------------------------------- operations


def completed_job_detail(ctx: Context) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    customers = ctx.table("crm:customers", "customer")
    units = ctx.table("settings:business-units", "unit")
    types = ctx.table("jpm:job-types", "jtype")
    revenue = _job_revenue(ctx)
    by_creation = ctx.args.get("datetype") == 2
    stmt = (
        select(
            ctx.text(jobs, "jobNumber"),
            jobs.c.id,
            literal(""),  # assigned technicians, joined in by the handler
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


async def assigned_technicians(conn: AsyncConnection, ctx: Context, rows: Rows) -> Rows:
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


def jobs_by_status(ctx: Context) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    status = ctx.text(jobs, "jobStatus")
    return (
        select(status, func.count())
        .where(ctx.within(jobs, "createdOn"))
        .group_by(status)
        .order_by(status)
    )


# ---------------------------------------------------------------- accounting, technician, marketing


def revenue_by_business_unit(ctx: Context) -> Statement:
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


def completed_by_technician(ctx: Context) -> Statement:
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


def jobs_by_campaign(ctx: Context) -> Statement:
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


def _sold(ctx: Context, est: Subquery) -> ColumnElement[bool]:
    return and_(ctx.text(est, "status.name") == "Sold", ctx.within(est, "soldOn"))


def bu_sales(ctx: Context) -> Statement:
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
    revenue = _invoice_revenue(ctx, "businessUnit.id")
    offered_jobs = func.coalesce(sales.c.offered_jobs, 0)
    stmt = (
        select(
            bu.c.name,
            func.coalesce(sales.c.total, 0.0),
            _ratio(sales.c.total, sales.c.sold_jobs),
            _ratio(func.coalesce(sales.c.closed_jobs, 0), offered_jobs),
            offered_jobs,
            _ratio(func.coalesce(sales.c.options, 0), offered_jobs),
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
    wanted = ctx.ids("BusinessUnitIds")
    return stmt.where(bu.c.id.in_(wanted)) if wanted else stmt


def sold_by_salesperson(ctx: Context) -> Statement:
    est = ctx.table("sales:estimates", "est")
    tech = ctx.table("settings:technicians", "tech")
    seller = ctx.ref(est, "soldBy")
    name = func.coalesce(tech.c.name, "(unknown)")
    return (
        select(
            name,
            seller,
            func.count(),
            func.sum(func.coalesce(ctx.number(est, "subtotal"), 0.0)),
        )
        .select_from(est.outerjoin(tech, tech.c.id == seller))
        .where(_sold(ctx, est))
        .group_by(name, seller)
        .order_by(name, seller)
    )


def memberships_by_type(ctx: Context) -> Statement:
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


def gross_pay_by_employee(ctx: Context) -> Statement:
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


# Dynamic value sets a parameter's accepted values come from: id -> kind of record listed.
_DYNAMIC_SETS = {
    "business-units": "settings:business-units",
    "technicians": "settings:technicians",
    "campaigns": "marketing:campaigns",
    "job-types": "jpm:job-types",
}


def dynamic_set(ctx: Context, set_id: str) -> Statement | None:
    """The (value, name) rows of a dynamic value set, or None for an unknown set."""
    kind = _DYNAMIC_SETS.get(set_id)
    if kind is None:
        return None
    table = ctx.table(kind, "entry")
    return (
        select(table.c.id, table.c.name)
        .where(table.c.active.is_(True))
        .order_by(table.c.name, table.c.id)
    )
