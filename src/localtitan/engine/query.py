"""List filters and sorting: ServiceTitan query parameters -> SQL over the records table.

The common filters (ids, created/modified ranges, active, sort) and the promoted reference
columns are index scans; any other parameter that names a record field is compared inside the
stored JSON.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Interval,
    Numeric,
    String,
    case,
    cast,
    func,
)
from sqlalchemy.sql.elements import ColumnElement as Col

from localtitan.engine.list_filters import (
    COMPANIONS,
    RESPONSE_OPTIONS,
    SORTING,
    array_overlaps,
    compare_time,
    concrete,
    object_part,
    shape_condition,
)
from localtitan.errors import ApiError
from localtitan.handling.shaping import _types
from localtitan.handling.unit import INT64_MAX, INT64_MIN, MAX_IDS
from localtitan.spec import Operation
from localtitan.store.json_paths import json_field
from localtitan.store.records import NESTED_REFERENCES, PROMOTED, format_time
from localtitan.store.tables import records

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_IDS",
    "build_filters",
    "json_field",
    "json_value",
    "page_bounds",
    "sort_clause",
    "sort_text",
]


# Parameters every list shares, handled before the resource-specific ones.
_PAGING = {"page", "pagesize", "includetotal", "sort", "tenant"}
# Parameters that neither filter nor order a list here: ``from`` is the export feeds' cursor.
_IGNORED = {"from"}
_ADDRESS_PARTS = {
    p.lower(): p
    for p in ("street", "unit", "city", "state", "zip", "country", "latitude", "longitude")
}
_COLUMNS = {
    "id": records.c.id,
    "createdon": records.c.created_on,
    "modifiedon": records.c.modified_on,
    "name": records.c.name,
    "number": records.c.number,
}


def json_value(dialect: str, value: Any) -> Any:
    # PostgreSQL's ->> yields text; SQLite's json_extract yields the JSON scalar itself.
    if dialect == "postgresql":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return format_time(value)
        return str(value)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, datetime):
        return format_time(value)
    return value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for v in value:
            out.extend(_as_list(v))
        return out
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _ids(name: str, value: Any) -> list[int]:
    raw = _as_list(value)
    if len(raw) > MAX_IDS:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={name: [f"At most {MAX_IDS} ids can be requested at once."]},
        )
    out = []
    for v in raw:
        try:
            number = int(v)
            if not INT64_MIN <= number <= INT64_MAX:
                raise ValueError(v)
            out.append(number)
        except (TypeError, ValueError):
            raise ApiError(
                400,
                "One or more validation errors occurred.",
                errors={name: [f"The value '{v}' is not a valid id."]},
            ) from None
    return out


def _guid_ids(properties: Mapping[str, Any]) -> bool:
    schema = properties.get("id")
    if not isinstance(schema, Mapping):
        return False
    types = schema.get("type")
    return "string" in ([types] if isinstance(types, str) else list(types or []))


def _guids(name: str, value: Any) -> list[str]:
    raw = [str(v) for v in _as_list(value)]
    if len(raw) > MAX_IDS:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={name: [f"At most {MAX_IDS} ids can be requested at once."]},
        )
    return [v.lower() for v in raw]


def _field_for(name: str, properties: Mapping[str, Any]) -> str | None:
    lower = {p.lower(): p for p in properties}
    return lower.get(name.lower())


def _reference(name: str, properties: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """Where an ``xId`` filter looks when records have no ``xId`` field: an invoice names its
    job as ``job: {id, ...}`` but is filtered with ``jobId=``; an estimate's ``soldBy`` is the
    id ``soldById=`` compares. Returns the JSON path and the promoted column holding it."""
    if len(name) <= 2 or not name.lower().endswith("id"):
        return None
    base = _field_for(name[:-2], properties)
    if base is None:
        return None
    schema = properties[base]
    types = _types(schema) if isinstance(schema, Mapping) else []
    if "integer" in types:
        return base, None
    if any(t in types for t in ("string", "number", "boolean", "array")):
        return None
    promoted = _field_for(name, {k: v for k, v in PROMOTED.items() if k in NESTED_REFERENCES})
    return f"{base}.id", PROMOTED[promoted] if promoted else None


# Date filters named after the event rather than the field: ``invoicedOnOrAfter`` compares
# an invoice's ``invoiceDate``, ``paidOnAfter`` a payment's ``date``.
_DATE_ALIASES = {
    "invoiced": "invoiceDate",
    "invoicedon": "invoiceDate",
    "paid": "date",
    "paidon": "date",
    "approved": "managerApprovedOn",
    "completed": "actualCompletionDate",
}

# ``xNumber`` and ``xName`` filters on records that hold ``x`` as an object.
_NESTED_FIELD = re.compile(r"^(?P<base>[a-z]\w*?)(?P<sub>Number|Name)$")


def _nested_field(name: str, properties: Mapping[str, Any]) -> str | None:
    match = _NESTED_FIELD.match(name)
    if match is None:
        return None
    base = _field_for(match["base"], properties)
    if base is None:
        return None
    schema = properties[base]
    types = _types(schema) if isinstance(schema, Mapping) else []
    if types and "object" not in types:
        return None  # a scalar (``job`` as an id) has no number inside
    return f"{base}.{match['sub'][0].lower()}{match['sub'][1:]}"


# ``minCost`` on a bill compares its amount.
_AMOUNT_ALIASES = {"cost": "billAmount"}

_BOUNDS = (
    (re.compile(r"^min(?P<f>\w+)$"), ">="),
    (re.compile(r"^max(?P<f>\w+)$"), "<="),
    (re.compile(r"^(?P<f>\w+?)Greater$"), ">"),
    (re.compile(r"^(?P<f>\w+?)Less$"), "<"),
    (re.compile(r"^(?P<f>\w+?)Contains$"), "contains"),
)


def _compared(name: str, properties: Mapping[str, Any]) -> tuple[str, str] | None:
    """``totalGreater=``, ``minDuration=``, ``titleContains=``: the field compared and how.
    Ranges apply to numbers and to amounts stored as decimal text (an invoice's ``total``),
    not to other text such as a call's duration (``00:03:12``)."""
    for pattern, op in _BOUNDS:
        match = pattern.match(name)
        if match is None:
            continue
        field = _field_for(match["f"], properties) or _field_for(
            _AMOUNT_ALIASES.get(match["f"].lower(), ""), properties
        )
        if field is None:
            return None
        schema = properties[field]
        types = _types(schema) if isinstance(schema, Mapping) else []
        if op == "contains":
            return (field, op) if "string" in types else None
        numeric = "number" in types or "integer" in types
        decimal_text = "string" in types and schema.get("format") in (None, "decimal")
        if "string" in types and schema.get("format") == "duration":
            return field, f"seconds{op}"
        return (field, op) if numeric or decimal_text else None
    return None


def _numeric(dialect: str, field: str) -> ColumnElement[Any]:
    """A JSON field as a number; text that is not one compares as NULL (never matches)."""
    if dialect == "postgresql":
        text = json_field(dialect, field)
        return case((text.op("~")(r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"), cast(text, Numeric)))
    return cast(json_field(dialect, field), Float)


def duration_seconds(dialect: str, field: str) -> ColumnElement[Any]:
    """A ``hh:mm:ss`` duration (a .NET TimeSpan, with optional days and fractions) in
    seconds; other text compares as NULL (never matches)."""
    text = cast(json_field(dialect, field), String)
    if dialect == "postgresql":
        valid = text.op("~")(r"^([0-9]+\.)?[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")
        days = func.coalesce(func.substring(text, r"^([0-9]+)\."), "0")
        clock = func.regexp_replace(text, r"^[0-9]+\.", "")
        epoch = func.date_part("epoch", cast(clock, Interval))
        return case((valid, cast(days, Numeric) * 86400 + epoch))

    # SQLite: hh:mm:ss (NULL for other text; no call lasts a day).
    def part(start: int) -> ColumnElement[Any]:
        return cast(func.substr(text, start, 2), Integer)

    seconds: ColumnElement[Any] = part(1) * 3600 + part(4) * 60 + part(7)
    return case((text.op("GLOB")("[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*"), seconds))


def _number(dialect: str, name: str, value: Any) -> Any:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={name: [f"The value '{value}' is not a number."]},
        ) from None
    return number if dialect == "postgresql" else float(number)


def _plural_of(name: str, properties: Mapping[str, Any]) -> str | None:
    """The field an ``-es`` or ``-ies`` list filter names: ``statuses`` -> ``status``,
    ``priorities`` -> ``priority``."""
    if name.lower().endswith("ies"):
        return _field_for(name[:-3] + "y", properties)
    if name.lower().endswith("es"):
        return _field_for(name[:-2], properties)
    return None


def build_filters(
    dialect: str,
    query: Mapping[str, Any],
    properties: Mapping[str, Any],
    *,
    has_active: bool,
    kind: str | None = None,
) -> list[ColumnElement[bool]]:
    """SQL conditions for the query parameters a list operation received (those that only
    ``kind``'s own rules answer, in ``related.py``, are left to them)."""
    from localtitan.engine.collection_filters import answers

    taken = answers(kind) if kind else frozenset()
    conds: list[ColumnElement[bool]] = []
    active = query.get("active")
    if has_active:
        choice = str(active if active is not None else "True").lower()
        if choice == "true":
            conds.append(records.c.active.is_(True))
        elif choice == "false":
            conds.append(records.c.active.is_(False))
    for name, value in query.items():
        if value is None or value == "" or value == []:
            continue
        key = name.lower()
        if key in _PAGING or key in _IGNORED or key == "active" or key in taken:
            continue
        if key in COMPANIONS or key in SORTING or key in RESPONSE_OPTIONS:
            continue
        cond = shape_condition(dialect, name, value, query, properties)
        if cond is None:
            cond = _condition(dialect, name, key, value, properties)
        if cond is not None:
            conds.append(cond)
    return conds


def _condition(
    dialect: str, name: str, key: str, value: Any, properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    if key == "ids":
        if _guid_ids(properties):
            # Collections whose ids are GUIDs (journal entries, CRM contacts) look up by guid.
            return records.c.guid.in_(_guids(name, value))
        return records.c.id.in_(_ids(name, value))
    when: datetime | None = value if isinstance(value, datetime) else None
    if key == "createdbefore" and when:
        return records.c.created_on < when
    if key in ("createdonorafter", "createdafter") and when:
        return records.c.created_on >= when
    if key == "modifiedbefore" and when:
        return records.c.modified_on < when
    if key in ("modifiedonorafter", "modifiedafter") and when:
        return records.c.modified_on >= when
    if key == "number":
        # Records name their number differently (number, jobNumber...); all land in one column.
        return records.c.number == str(value)
    column = PROMOTED.get(_field_for(name, PROMOTED) or "")
    if column is not None and _field_for(name, properties):
        col = records.c[column]
        if column == "name":
            return func.lower(col).contains(str(value).lower(), autoescape=True)
        return col == (str(value) if column == "number" else value)
    field = _field_for(name, properties)
    if field is not None:
        return _equals(dialect, field, value, properties[field])
    reference = _reference(name, properties)
    if reference is not None:
        path, promoted = reference
        if promoted is not None:
            return typing.cast("ColumnElement[bool]", records.c[promoted] == value)
        return _equals(dialect, path, value, None)
    if key in _ADDRESS_PARTS and "address" in properties:
        # Customer and location filters such as city= and zip= match the address inside.
        return _equals(dialect, f"address.{_ADDRESS_PARTS[key]}", value, None)
    compared = _compared(name, properties)
    if compared is not None:
        field, op = compared
        if op == "contains":
            text = func.lower(cast(json_field(dialect, field), String))
            return text.contains(str(value).lower(), autoescape=True)
        if op.startswith("seconds"):
            # ``minDuration=60`` (seconds) on a call's ``duration: "00:03:12"``.
            seconds = duration_seconds(dialect, field)
            return seconds.op(op[7:])(_number(dialect, name, value))
        return _numeric(dialect, field).op(op)(_number(dialect, name, value))
    if key == "activestate":
        state = str(value).lower()
        if state == "activeonly":
            return records.c.active.is_(True)
        return records.c.active.is_(False) if state == "inactiveonly" else None
    nested = _nested_field(name, properties)
    if nested is not None:
        # ``jobNumber=`` on an invoice's ``job: {id, number}``: compared as text, as the
        # number may be stored as text or as a number.
        text = func.lower(cast(json_field(dialect, nested), String))
        return text == str(value).lower()
    if key == "activeonly":
        return records.c.active.is_(True) if str(value).lower() == "true" else None
    if key.endswith("ids") and len(key) > 3:
        singular = _field_for(name[:-1], properties)
        # Else businessUnitIds= on records naming ``businessUnit: {id, name}``.
        held = (singular, PROMOTED.get(singular)) if singular else _reference(name[:-1], properties)
        if held is not None:
            path, promoted = held
            if promoted is not None:
                return records.c[promoted].in_(_ids(name, value))
            expr = json_field(dialect, path)
            return expr.in_([json_value(dialect, v) for v in _ids(name, value)])
    if key.endswith("s") and len(key) > 1:
        singular = _field_for(name[:-1], properties) or _plural_of(name, properties)
        if singular:
            return _equals(dialect, singular, _as_list(value), properties[singular])
    for suffix, op in (
        ("onorafter", ">="),
        ("after", ">"),
        ("onorbefore", "<="),
        ("before", "<"),
    ):
        if key.endswith(suffix) and len(key) > len(suffix):
            stem = name[: -len(suffix)]
            # ``startsOnOrAfter`` compares ``start``; ``completedBefore`` compares ``completedOn``.
            field = (
                _field_for(stem, properties)
                or _field_for(stem + "On", properties)
                or (_field_for(stem[:-1], properties) if stem.endswith("s") else None)
                or (_field_for(stem[:-1] + "Date", properties) if stem.endswith("s") else None)
                or _field_for(stem + "By", properties)
                or _field_for(_DATE_ALIASES.get(stem.lower(), ""), properties)
            )
            if field is None:
                return None
            target: Col[Any]
            if field.lower() == "createdon":
                target, v = records.c.created_on, value
            elif field.lower() == "modifiedon":
                target, v = records.c.modified_on, value
            else:
                return compare_time(dialect, field, properties[field], op, value)
            return typing.cast("ColumnElement[bool]", target.op(op)(v))
    return None


def _equals(dialect: str, field: str, value: Any, schema: Any) -> ColumnElement[bool] | None:
    shape = concrete(schema)
    types = [t for t in _types(shape) if t != "null"]
    if "array" in types:
        # ``tagTypeIds=1,2`` on records holding a list of them: any of them.
        return array_overlaps(dialect, field, _as_list(value))
    if "object" in types or (not types and "properties" in shape):
        # ``status=Open`` on an estimate's ``status: {name, value}`` (docs/decisions/0131).
        first = value[0] if isinstance(value, list) and value else value
        part = object_part(shape, first)
        if part is None:
            return None
        field, schema = f"{field}.{part}", (shape.get("properties") or {}).get(part)
    if isinstance(value, str) and value.lower() == "any" and _enum(schema):
        return None  # ``status=Any``: every record (no record's status is "Any")
    expr = json_field(dialect, field)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return func.lower(cast(expr, String)).in_([v.lower() for v in value])
        return expr.in_([json_value(dialect, v) for v in value])
    if isinstance(value, str):
        # Enum and text filters match regardless of case, as ServiceTitan's do.
        return func.lower(cast(expr, String)) == value.lower()
    return typing.cast("ColumnElement[bool]", expr == json_value(dialect, value))


def page_bounds(op: Operation, largest: int) -> tuple[int, int]:
    """(first page, largest page size) of a list: 1 and ``largest`` unless the operation
    declares its own (the Intacct business-unit mappings number pages from 0, to 500)."""
    first = 1
    for p in op.parameters:
        if p.location != "query":
            continue
        if p.name.lower() == "page" and isinstance(p.schema.get("minimum"), int | float):
            first = int(p.schema["minimum"])
        if p.name.lower() == "pagesize" and isinstance(p.schema.get("maximum"), int | float):
            largest = min(largest, int(p.schema["maximum"]))
    return first, largest


def _enum(schema: Any) -> list[str]:
    return [str(v).lower() for v in concrete(schema).get("enum") or []]


def sort_text(query: Mapping[str, Any]) -> str | None:
    """The order a list asks for: ``sort=-Name``, or ``orderBy=Name&orderByDirection=desc``
    (``sortBy`` and ``descending=true`` on installed-equipment custom-field types)."""
    if query.get("sort"):
        return str(query["sort"])
    lowered = {k.lower(): v for k, v in query.items() if v not in (None, "")}
    field = lowered.get("orderby") or lowered.get("sortby")
    if not field:
        return None
    direction = str(lowered.get("orderbydirection") or "").lower()
    descending = direction.startswith("desc") or lowered.get("descending") is True
    return ("-" if descending else "+") + str(field).lstrip("+-")


def sort_clause(
    dialect: str, sort: str | None, properties: Mapping[str, Any]
) -> Sequence[ColumnElement[Any]]:
    """``+Field`` / ``-Field`` (or plain ``Field``) -> ORDER BY, always ending with the id."""
    if not sort:
        return [records.c.id.asc()]
    text = sort.strip()
    descending = text.startswith("-")
    name = text.lstrip("+- ")
    column = _COLUMNS.get(name.lower())
    if column is None:
        field = _field_for(name, properties)
        if field is None:
            raise ApiError(
                400,
                "One or more validation errors occurred.",
                errors={"sort": [f"Sorting by '{name}' is not supported here."]},
            )
        expr: ColumnElement[Any] = json_field(dialect, field)
    elif column is records.c.name:
        # SQL Server's collation, which ServiceTitan sorts with, ignores case.
        expr = func.lower(column)
    else:
        expr = column
    ordered = expr.desc() if descending else expr.asc()
    tie = records.c.id.desc() if descending else records.c.id.asc()
    return [ordered] if column is records.c.id else [ordered, tie]
