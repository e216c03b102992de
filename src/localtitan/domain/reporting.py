"""Reporting: report categories, the reports in them, their metadata and their data.

The catalog (``report_catalog``) is the same for every tenant, as ServiceTitan's system reports
are; each report's rows are computed by SQL from the calling tenant's records when asked.
Parameters are checked against the report's metadata before a run counts towards the limit of
5 runs a minute (docs/decisions/0171-report-catalog.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from localtitan.domain.report_catalog import CATEGORIES, REPORTS, Parameter, Report
from localtitan.errors import ApiError
from localtitan.handling import bad_request, json_result, respond
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.reports import (
    ReportContext,
    dynamic_set_rows,
    report_page,
    stored_categories,
)

__all__ = ["HANDLERS", "REPORTS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

_CATEGORY_IDS = {key for key, _ in CATEGORIES}
# Report metadata changes when localtitan's catalog does, not per tenant.
_MODIFIED_ON = "2026-01-01T00:00:00Z"
# The most values one array parameter takes (ids of business units, technicians...).
_MAX_VALUES = 500


def _paging(call: Call, default_size: int) -> tuple[int, int, bool]:
    page = call.query.get("page")
    size = call.query.get("pageSize")
    page = 1 if page is None else int(page)
    size = default_size if size is None else int(size)
    if page < 1:
        raise bad_request("page", "The page must be 1 or more.")
    if size < 1:
        raise bad_request("pageSize", "The page size must be 1 or more.")
    return page, size, bool(call.query.get("includeTotal"))


def _page_of(items: Sequence[Any], page: int, size: int, total: bool) -> dict[str, Any]:
    chunk = list(items[(page - 1) * size : page * size])
    return {
        "page": page,
        "pageSize": size,
        "hasMore": page * size < len(items),
        "totalCount": len(items) if total else None,
        "data": chunk,
    }


async def _categories(call: Call) -> list[dict[str, Any]]:
    """The catalog's categories, and any the tenant holds besides (imported with a snapshot,
    or written by a test): ``reporting:report-categories`` records, keyed by their text id."""
    found = {key: {"id": key, "name": name} for key, name in CATEGORIES}
    async with call.runtime.db.read() as conn:
        stored = await stored_categories(conn, call.environment.value, call.tenant_id)
    for data in stored:
        key = data.get("id") if isinstance(data, dict) else None
        if isinstance(key, str) and key and key not in found:
            found[key] = {"id": key, "name": str(data.get("name") or key)}
    return sorted(found.values(), key=lambda c: str(c["id"]))


async def _category(call: Call) -> str:
    category = str(call.path.get("report_category") or "")
    if category not in _CATEGORY_IDS and all(c["id"] != category for c in await _categories(call)):
        raise ApiError(
            404,
            f"Report category '{category[:100]}' was not found.",
            data={"reportCategory": category[:100]},
        )
    return category


async def _report(call: Call) -> Report:
    category = await _category(call)
    report = REPORTS.get(call.path.get("reportId"))  # type: ignore[arg-type]
    if report is None or report.category != category:
        raise ApiError(
            404,
            f"Report with ID {call.path.get('reportId')} was not found in category '{category}'.",
            data={"id": str(call.path.get("reportId"))},
        )
    return report


@register("reporting.ReportCategories_GetCategories")
async def list_categories(call: Call) -> Result:
    page, size, total = _paging(call, 50)
    return respond(call, _page_of(await _categories(call), page, size, total))


@register("reporting.ReportCategoryReports_GetReports")
async def list_reports(call: Call) -> Result:
    category = await _category(call)
    page, size, total = _paging(call, 50)
    found = sorted((r for r in REPORTS.values() if r.category == category), key=lambda r: r.id)
    items = [{"id": r.id, "name": r.name, "description": r.description} for r in found]
    return respond(call, _page_of(items, page, size, total))


@register("reporting.ReportCategoryReports_Get")
async def report_metadata(call: Call) -> Result:
    report = await _report(call)
    return respond(
        call,
        {
            "id": report.id,
            "name": report.name,
            "description": report.description,
            "modifiedOn": _MODIFIED_ON,
            "parameters": [p.metadata() for p in report.parameters],
            "fields": [
                {"name": f.name, "label": f.label, "dataType": f.data_type} for f in report.fields
            ],
        },
    )


# ---------------------------------------------------------------- parameters


def _invalid(name: str, message: str) -> ApiError:
    return bad_request(name, message)


def _scalar(param: Parameter, value: Any) -> Any:
    """One value of ``param`` in its data type, or a 400 naming the parameter."""
    kind = param.data_type
    if kind == "Date":
        # A day (2024-01-31), or a timestamp whose day is taken (2024-01-31T00:00:00Z).
        text = value.strip()[:40] if isinstance(value, str) else ""
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            raise _invalid(
                param.name, f"'{param.name}' must be a date such as 2024-01-31."
            ) from None
    if kind == "Number":
        if isinstance(value, bool):
            raise _invalid(param.name, f"'{param.name}' must be a number.")
        try:
            # JSON numbers with a fraction arrive as Decimal.
            number = float(value) if isinstance(value, str | int | float | Decimal) else None
        except ValueError:
            number = None
        if number is None or number != number or abs(number) > 9.2e18:
            raise _invalid(param.name, f"'{param.name}' must be a number.")
        if param.dynamic_set is not None and not number.is_integer():
            # Values from a dynamic set are record ids.
            raise _invalid(param.name, f"'{param.name}' must be a whole number (an id).")
        return int(number) if number.is_integer() else number
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _invalid(param.name, f"'{param.name}' must be true or false.")
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise _invalid(param.name, f"'{param.name}' must be text.")
    return str(value)[:4000]


def _typed(param: Parameter, value: Any) -> Any:
    if param.is_array:
        items = value if isinstance(value, list) else str(value).split(",")
        items = [v.strip() if isinstance(v, str) else v for v in items]
        items = [v for v in items if v != ""]
        if len(items) > _MAX_VALUES:
            raise _invalid(param.name, f"'{param.name}' takes at most {_MAX_VALUES} values.")
        typed = [_scalar(param, v) for v in items]
    else:
        if isinstance(value, list):
            raise _invalid(param.name, f"'{param.name}' takes one value, not a list.")
        typed = [_scalar(param, value)]
    if param.values is not None:
        allowed = {v for v, _ in param.values}
        for v in typed:
            if v not in allowed:
                choices = ", ".join(f"{v} ({label})" for v, label in param.values)
                raise _invalid(param.name, f"'{param.name}' must be one of {choices}.")
    return typed if param.is_array else typed[0]


def _arguments(report: Report, body: Any) -> dict[str, Any]:
    """The request's parameters checked against the report's: names, types, required ones."""
    given = body.get("parameters") if isinstance(body, Mapping) else None
    declared = {p.name.lower(): p for p in report.parameters}
    args: dict[str, Any] = {}
    for item in given or []:
        if not isinstance(item, Mapping):
            raise bad_request("parameters", "Each parameter is an object with a name and a value.")
        name = str(item.get("name") or "")
        param = declared.get(name.lower())
        if param is None:
            known = ", ".join(p.name for p in report.parameters)
            raise bad_request(
                "parameters", f"The report has no parameter '{name[:100]}'; it takes {known}."
            )
        if param.name.lower() in args:
            raise bad_request("parameters", f"The parameter '{param.name}' is given twice.")
        value = item.get("value")
        if value is None or value == "" or value == []:
            continue
        args[param.name.lower()] = _typed(param, value)
    for param in report.parameters:
        if param.required and param.name.lower() not in args:
            raise bad_request("parameters", f"The report needs the parameter '{param.name}'.")
    start, end = args.get("from"), args.get("to")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise bad_request("To", "'To' must not be before 'From'.")
    return args


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


def _cell(value: Any, places: int | None) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if places is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), places)
    if isinstance(value, Decimal):  # PostgreSQL numerics
        return round(float(value), places if places is not None else 6)
    return value


@register("reporting.ReportCategoryReports_GetData")
async def report_data(call: Call) -> Result:
    report = await _report(call)
    args = _arguments(report, call.body)
    page, size, _ = _paging(call, 1000)
    await _count_run(call, report)
    db = call.runtime.db
    ctx = ReportContext(db.dialect, call.environment.value, call.tenant_id, args)
    with_total = bool(call.query.get("includeTotal"))
    async with db.read() as conn:
        found = await report_page(
            conn, ctx, report.query, page=page, size=size, with_total=with_total
        )
    places = [f.places for f in report.fields]
    data = [[_cell(v, places[i]) for i, v in enumerate(row)] for row in found.rows]
    return json_result(
        {
            "page": page,
            "pageSize": size,
            "hasMore": found.has_more,
            "totalCount": found.total,
            "data": data,
            "fields": [{"name": f.name, "label": f.label} for f in report.fields],
        }
    )


@register("reporting.DynamicValueSets_GetDynamicSet")
async def dynamic_value_set(call: Call) -> Result:
    set_id = str(call.path.get("dynamicSetId") or "")
    db = call.runtime.db
    ctx = ReportContext(db.dialect, call.environment.value, call.tenant_id)
    async with db.read() as conn:
        rows = await dynamic_set_rows(conn, ctx, set_id)
    if rows is None:
        raise ApiError(
            404,
            f"Dynamic value set '{set_id[:100]}' was not found.",
            data={"dynamicSetId": set_id[:100]},
        )
    page, size, total = _paging(call, 1000)
    body = _page_of(rows, page, size, total)
    body["fields"] = [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
    return respond(call, body)
