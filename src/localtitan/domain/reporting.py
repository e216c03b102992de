"""Reporting: built-in reports that run against the tenant's own records.

Each report names its category, parameters and fields like ServiceTitan's report metadata; its
data is computed when asked, so it reflects what the API and the demo seed wrote. Rows are
arrays aligned with ``fields``, as ServiceTitan returns them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from localtitan.errors import ApiError
from localtitan.handling import Tx, bad_request, json_result, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import parse_time

__all__ = ["HANDLERS", "REPORTS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

Rows = list[list[Any]]


@dataclass(frozen=True)
class Report:
    id: int
    category: str
    name: str
    description: str
    fields: tuple[tuple[str, str, str], ...]  # (name, label, dataType)
    run: Callable[[Tx, datetime, datetime], Awaitable[Rows]]


_PARAMETERS = [
    {"name": "From", "label": "From", "dataType": "Date", "isArray": False, "isRequired": True},
    {"name": "To", "label": "To", "dataType": "Date", "isArray": False, "isRequired": True},
]


def _in_range(stamp: Any, start: datetime, end: datetime) -> bool:
    if not isinstance(stamp, str) or not stamp:
        return False
    try:
        when = parse_time(stamp)
    except ValueError:
        return False
    return start <= when < end


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


async def _jobs_by_status(tx: Tx, start: datetime, end: datetime) -> Rows:
    counts: Counter[str] = Counter()
    for job in await tx.children("jpm:jobs"):
        if _in_range(job.data.get("createdOn"), start, end):
            counts[str(job.data.get("jobStatus"))] += 1
    return [[status, n] for status, n in sorted(counts.items())]


async def _revenue_by_business_unit(tx: Tx, start: datetime, end: datetime) -> Rows:
    totals: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for invoice in await tx.children("accounting:invoices"):
        if not _in_range(
            invoice.data.get("invoiceDate") or invoice.data.get("createdOn"), start, end
        ):
            continue
        unit = invoice.data.get("businessUnit") or {}
        name = str(unit.get("name") or "(none)") if isinstance(unit, Mapping) else "(none)"
        row = totals[name]
        row[0] += 1
        row[1] += _money(invoice.data.get("total"))
        row[2] += _money(invoice.data.get("balance"))
    return [[name, n, float(t), float(b)] for name, (n, t, b) in sorted(totals.items())]


async def _completed_by_technician(tx: Tx, start: datetime, end: datetime) -> Rows:
    done = {
        job.id
        for job in await tx.children("jpm:jobs")
        if job.data.get("jobStatus") == "Completed"
        and _in_range(job.data.get("completedOn"), start, end)
    }
    counts: Counter[str] = Counter()
    for assignment in await tx.children("dispatch:appointment-assignments"):
        if assignment.data.get("jobId") in done:
            counts[str(assignment.data.get("technicianName") or "(unknown)")] += 1
    return [[name, n] for name, n in sorted(counts.items())]


async def _leads_by_campaign(tx: Tx, start: datetime, end: datetime) -> Rows:
    counts: Counter[Any] = Counter()
    for job in await tx.children("jpm:jobs"):
        if _in_range(job.data.get("createdOn"), start, end):
            counts[job.data.get("campaignId")] += 1
    names = {c.id: c.data.get("name") for c in await tx.children("marketing:campaigns")}
    return [[names.get(cid, "(none)"), n] for cid, n in sorted(counts.items(), key=str)]


REPORTS: dict[int, Report] = {
    r.id: r
    for r in (
        Report(
            1001,
            "operations",
            "Jobs by Status",
            "Jobs created in the period, counted by their current status.",
            (("Status", "Job Status", "String"), ("Jobs", "Jobs", "Number")),
            _jobs_by_status,
        ),
        Report(
            2001,
            "accounting",
            "Revenue by Business Unit",
            "Invoices dated in the period: count, total and open balance per business unit.",
            (
                ("BusinessUnit", "Business Unit", "String"),
                ("Invoices", "Invoices", "Number"),
                ("Total", "Total", "Number"),
                ("Balance", "Balance", "Number"),
            ),
            _revenue_by_business_unit,
        ),
        Report(
            3001,
            "technician",
            "Completed Jobs by Technician",
            "Jobs completed in the period per assigned technician.",
            (("Technician", "Technician", "String"), ("CompletedJobs", "Completed Jobs", "Number")),
            _completed_by_technician,
        ),
        Report(
            4001,
            "marketing",
            "Jobs by Campaign",
            "Jobs created in the period per campaign.",
            (("Campaign", "Campaign", "String"), ("Jobs", "Jobs", "Number")),
            _leads_by_campaign,
        ),
    )
}


def _report(call: Call) -> Report:
    report = REPORTS.get(call.path.get("reportId"))  # type: ignore[arg-type]
    if report is None or report.category != call.path.get("report_category"):
        raise not_found("Report", call.path.get("reportId"))
    return report


@register("reporting.ReportCategoryReports_GetReports")
async def list_reports(call: Call) -> Result:
    category = call.path.get("report_category")
    found = [r for r in REPORTS.values() if r.category == category]
    items = [{"id": r.id, "name": r.name, "description": r.description} for r in found]
    page = {"page": 1, "pageSize": max(len(items), 1), "hasMore": False, "totalCount": len(items)}
    return respond(call, {**page, "data": items})


@register("reporting.ReportCategoryReports_Get")
async def report_metadata(call: Call) -> Result:
    report = _report(call)
    return respond(
        call,
        {
            "id": report.id,
            "name": report.name,
            "description": report.description,
            "modifiedOn": "2026-01-01T00:00:00Z",
            "parameters": _PARAMETERS,
            "fields": [{"name": n, "label": lbl, "dataType": t} for n, lbl, t in report.fields],
        },
    )


def _date_parameter(values: Mapping[str, Any], name: str) -> datetime:
    raw = values.get(name.lower())
    if raw is None or raw == "":
        raise bad_request("parameters", f"The report needs the parameter '{name}'.")
    try:
        day = date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise bad_request("parameters", f"'{name}' must be a date such as 2024-01-31.") from None
    return datetime.combine(day, time(), tzinfo=UTC)


async def _count_run(call: Call, report: Report) -> None:
    """ServiceTitan runs the same report at most 5 times a minute per tenant (any app); a run
    refused for bad parameters is no run. Counted in the shared limiter, so exact across
    workers."""
    settings = call.runtime.settings
    limit = settings.report_limit if settings.rate_limit else 0
    if not limit:
        return
    key = f"report:{call.environment.value}:{call.tenant_id}:{report.category}:{report.id}"
    wait = await call.runtime.limiter.hit(key, limit, 60)
    if wait is not None:
        raise ApiError(
            429,
            f"Rate limit is exceeded. Try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


@register("reporting.ReportCategoryReports_GetData")
async def report_data(call: Call) -> Result:
    report = _report(call)
    body = call.body if isinstance(call.body, Mapping) else {}
    values = {
        str(p.get("name", "")).lower(): p.get("value")
        for p in body.get("parameters") or []
        if isinstance(p, Mapping)
    }
    start = _date_parameter(values, "From")
    end = _date_parameter(values, "To")
    if end < start:
        raise bad_request("parameters", "'To' must not be before 'From'.")
    # The range is inclusive of the last day, as a person reading "to 31 January" expects.
    end = end.replace(hour=23, minute=59, second=59, microsecond=999999)
    page = call.query.get("page") or 1
    size = call.query.get("pageSize") or 1000
    if page < 1 or size < 1:
        raise bad_request("page", "Page and page size start at 1.")
    await _count_run(call, report)

    async def work(tx: Tx) -> Result:
        rows = await report.run(tx, start, end)
        chunk = rows[(page - 1) * size : page * size]
        return json_result(
            {
                "page": page,
                "pageSize": size,
                "hasMore": page * size < len(rows),
                "totalCount": len(rows) if call.query.get("includeTotal") else None,
                "data": chunk,
                "fields": [{"name": n, "label": lbl} for n, lbl, _ in report.fields],
            }
        )

    return await transaction(call, work)
