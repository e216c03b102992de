"""The report catalog every tenant has: ServiceTitan's categories, and in them reports with the
ids, parameters and fields integrations use (docs/decisions/0171-report-catalog.md).

Each report's data is one SQL query over the tenant's records (invoices, jobs, appointment
assignments, ratings...), so it reflects whatever the API and the demo seed wrote; rows come
back as arrays aligned with the report's fields, as ServiceTitan returns them.
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
    "CATEGORIES",
    "REPORTS",
    "Context",
    "Field",
    "Parameter",
    "Report",
    "Rows",
    "Statement",
    "dynamic_set",
]

# (id, name): the categories ServiceTitan's report list is divided into.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("accounting", "Accounting"),
    ("business-unit-dashboard", "Business Unit Dashboard"),
    ("marketing", "Marketing"),
    ("memberships", "Memberships"),
    ("operations", "Operations"),
    ("payroll", "Payroll"),
    ("sales", "Sales"),
    ("technician", "Technician"),
    ("technician-dashboard", "Technician Dashboard"),
)


# Field paths the queries read: code constants, checked before they are written into SQL.
_PATH = re.compile(r"[A-Za-z]+(\.[A-Za-z]+)*")


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    data_type: str  # String, Number, Boolean, Date, Time
    required: bool = False
    is_array: bool = False
    # (value, label) pairs a value must be one of, or the dynamic value set listing them.
    values: tuple[tuple[Any, str], ...] | None = None
    dynamic_set: str | None = None

    def metadata(self) -> dict[str, Any]:
        accept = None
        if self.values is not None or self.dynamic_set is not None:
            accept = {
                "fields": [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}],
                "dynamicSetId": self.dynamic_set,
                "values": [list(v) for v in self.values] if self.values is not None else None,
            }
        return {
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
            "isArray": self.is_array,
            "isRequired": self.required,
            "acceptValues": accept,
        }


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    data_type: str = "Number"
    # Numbers are rounded to this many places (money 2); None leaves them as they are.
    places: int | None = None


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
            path = literal_column("'{" + name.replace(".", ",") + "}'")
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


@dataclass(frozen=True)
class Report:
    id: int
    category: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    fields: tuple[Field, ...]
    query: Query
    # Fills in what one SQL row cannot hold portably (a job's technicians), for one page.
    finish: Finish | None = None


def _ratio(part: Any, whole: Any) -> ColumnElement[Any]:
    return cast(part, Float) / func.nullif(cast(whole, Float), 0.0)


FROM = Parameter("From", "From", "Date", required=True)
TO = Parameter("To", "To", "Date", required=True)
BUSINESS_UNITS = Parameter(
    "BusinessUnitIds", "Business Units", "Number", is_array=True, dynamic_set="business-units"
)
BUSINESS_UNIT = Parameter("BusinessUnitId", "Business Unit", "Number", dynamic_set="business-units")
DATE_TYPE = Parameter(
    "DateType", "Date Type", "Number", values=((1, "Completion Date"), (2, "Creation Date"))
)


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


def _bu_revenue(ctx: Context) -> Statement:
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


def _technician_revenue(ctx: Context) -> Statement:
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


def _completed_job_detail(ctx: Context) -> Statement:
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


async def _assigned_technicians(conn: AsyncConnection, ctx: Context, rows: Rows) -> Rows:
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


def _jobs_by_status(ctx: Context) -> Statement:
    jobs = ctx.table("jpm:jobs", "job")
    status = ctx.text(jobs, "jobStatus")
    return (
        select(status, func.count())
        .where(ctx.within(jobs, "createdOn"))
        .group_by(status)
        .order_by(status)
    )


# ---------------------------------------------------------------- accounting, technician, marketing


def _revenue_by_business_unit(ctx: Context) -> Statement:
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


def _completed_by_technician(ctx: Context) -> Statement:
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


def _jobs_by_campaign(ctx: Context) -> Statement:
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


MONEY = 2
RATE = 4

_REVENUE_FIELDS = (
    Field("CompletedRevenue", "Completed Revenue", places=MONEY),
    Field("OpportunityJobAverage", "Opportunity Job Average", places=MONEY),
    Field("OpportunityConversionRate", "Opportunity Conversion Rate", places=RATE),
    Field("Opportunity", "Opportunity"),
    Field("ConvertedJobs", "Converted Jobs"),
    Field("CustomerSatisfaction", "Customer Satisfaction", places=RATE),
)

REPORTS: dict[int, Report] = {
    r.id: r
    for r in (
        Report(
            175,
            "business-unit-dashboard",
            "Revenue",
            "Revenue per business unit for invoices dated in the period, with the opportunities "
            "(jobs completed in the period) and how many of them were invoiced.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                *_REVENUE_FIELDS,
                Field("AdjustmentRevenue", "Adjustment Revenue", places=MONEY),
                Field("TotalRevenue", "Total Revenue", places=MONEY),
                Field("NonJobRevenue", "Non Job Revenue", places=MONEY),
            ),
            _bu_revenue,
        ),
        Report(
            168,
            "technician-dashboard",
            "Technician Revenue",
            "Revenue per technician for invoices dated in the period, split evenly between the "
            "technicians assigned to each job.",
            (FROM, TO, BUSINESS_UNITS),
            (
                Field("Name", "Name", "String"),
                *_REVENUE_FIELDS,
                Field("TechnicianId", "Technician Id"),
                Field("AdjustmentRevenue", "Adjustment Revenue", places=MONEY),
                Field("TotalRevenue", "Total Revenue", places=MONEY),
            ),
            _technician_revenue,
        ),
        Report(
            165,
            "operations",
            "Completed Jobs",
            "One row per job completed (or created, by DateType) in the period.",
            (DATE_TYPE, FROM, TO, BUSINESS_UNIT),
            (
                Field("JobNumber", "Job #", "String"),
                Field("JobId", "Job Id"),
                Field("AssignedTechnicians", "Assigned Technicians", "String"),
                Field("CustomerName", "Customer Name", "String"),
                Field("BusinessUnit", "Business Unit", "String"),
                Field("JobType", "Job Type", "String"),
                Field("CompletedOn", "Completion Date", "Date"),
                Field("CreatedOn", "Created Date", "Date"),
                Field("JobsTotal", "Jobs Total", places=MONEY),
            ),
            _completed_job_detail,
            _assigned_technicians,
        ),
        Report(
            1001,
            "operations",
            "Jobs by Status",
            "Jobs created in the period, counted by their current status.",
            (FROM, TO),
            (Field("Status", "Job Status", "String"), Field("Jobs", "Jobs")),
            _jobs_by_status,
        ),
        Report(
            2001,
            "accounting",
            "Revenue by Business Unit",
            "Invoices dated in the period: count, total and open balance per business unit.",
            (FROM, TO),
            (
                Field("BusinessUnit", "Business Unit", "String"),
                Field("Invoices", "Invoices"),
                Field("Total", "Total", places=MONEY),
                Field("Balance", "Balance", places=MONEY),
            ),
            _revenue_by_business_unit,
        ),
        Report(
            3001,
            "technician",
            "Completed Jobs by Technician",
            "Jobs completed in the period per assigned technician.",
            (FROM, TO),
            (Field("Technician", "Technician", "String"), Field("CompletedJobs", "Completed Jobs")),
            _completed_by_technician,
        ),
        Report(
            4001,
            "marketing",
            "Jobs by Campaign",
            "Jobs created in the period per campaign.",
            (FROM, TO),
            (Field("Campaign", "Campaign", "String"), Field("Jobs", "Jobs")),
            _jobs_by_campaign,
        ),
    )
}

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
