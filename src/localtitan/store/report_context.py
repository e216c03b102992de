"""What every report query is built from: the calling tenant's records of one kind as a
subquery, their JSON fields as SQL, the period, and the figures several reports share (each
invoice's revenue, the jobs completed in the period, technician ratings).

Amounts are summed as floating point and rounded when a row is sent; field paths are code
constants, checked before they are written into the SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, and_, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.selectable import Subquery

from localtitan.store.tables import records

__all__ = [
    "ReportContext",
    "Statement",
    "completed_jobs",
    "invoice_revenue",
    "job_revenue",
    "ratings",
    "ratio",
]

_PATH = re.compile(r"[A-Za-z]+(\.[A-Za-z]+)*")

# Any number of columns: each report has its own.
Statement = Select[*tuple[Any, ...]]


@dataclass
class ReportContext:
    """What a report's query needs: the tenant's records and the validated parameters
    (lower-cased names)."""

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
            select(
                records.c.id,
                records.c.data,
                records.c.active,
                records.c.name,
                records.c.parent_id,
            )
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

    def hours(self, table: Subquery, start: str, end: str) -> ColumnElement[Any]:
        """Hours between two stored UTC timestamps of a record (0 when either is missing)."""
        seconds: ColumnElement[Any]
        if self.dialect == "postgresql":
            stamp = DateTime(timezone=True)
            seconds = func.extract(
                "epoch", cast(self.text(table, end), stamp) - cast(self.text(table, start), stamp)
            )
        else:
            seconds = (
                func.julianday(self.text(table, end)) - func.julianday(self.text(table, start))
            ) * 86400.0
        return func.coalesce(cast(seconds, Float) / 3600.0, 0.0)

    def ids(self, name: str) -> list[int] | None:
        value = self.args.get(name.lower())
        return [int(v) for v in value] if value else None


def ratio(part: Any, whole: Any) -> ColumnElement[Any]:
    return cast(part, Float) / func.nullif(cast(whole, Float), 0.0)


def invoice_revenue(ctx: ReportContext, group: str) -> Subquery:
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


def job_revenue(ctx: ReportContext) -> Subquery:
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


def completed_jobs(ctx: ReportContext) -> Subquery:
    """Jobs completed in the period: id, business unit, whether invoiced above zero, and
    whether the job is a recall of an earlier one."""
    jobs = ctx.table("jpm:jobs", "cj")
    revenue = job_revenue(ctx)
    units = ctx.ids("BusinessUnitIds")
    where = [ctx.text(jobs, "jobStatus") == "Completed", ctx.within(jobs, "completedOn")]
    if units:
        where.append(ctx.ref(jobs, "businessUnitId").in_(units))
    return (
        select(
            jobs.c.id.label("job_id"),
            ctx.ref(jobs, "businessUnitId").label("bu_id"),
            case((func.coalesce(revenue.c.revenue, 0.0) > 0, 1), else_=0).label("converted"),
            case((ctx.text(jobs, "recallForId").is_not(None), 1), else_=0).label("recall"),
        )
        .select_from(jobs.outerjoin(revenue, revenue.c.job_id == jobs.c.id))
        .where(*where)
        .subquery("completed_jobs")
    )


def ratings(ctx: ReportContext) -> Subquery:
    return ctx.table("customer-interactions:technician-ratings", "rating")
