"""List filters that look inside a record's lists and objects: custom fields, external data,
free text, amount comparers, ``xFrom``/``xTo`` ranges, id lists over list fields, and fields
stored as ``{name, value}`` objects.

Each rule reads the record's declared shape (its collection's properties) to know where to
look; none depends on a particular collection (those are in ``related.py``).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    true,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from localtitan.handling.shaping import _types
from localtitan.spec import load_manifest
from localtitan.store.records import format_time
from localtitan.store.tables import records

__all__ = [
    "COMPANIONS",
    "RESPONSE_OPTIONS",
    "SORTING",
    "element_exists",
    "object_part",
    "shape_condition",
]

# Parameters that only modify another one (the operator of a custom-field filter, the
# comparer of an amount): they are applied with it.
COMPANIONS = {
    "customfield.operator": ("customfield.fields",),
    "customfields.operator": ("customfields.fields",),
    "totalfilter.comparer": ("totalfilter.amount",),
    "balancefilter.comparer": ("balancefilter.amount", "balancefilter.balance"),
    "orderbydirection": ("orderby",),
    "descending": ("sortby",),
}
# Parameters that order the list rather than filter it (``query.sort_text``).
SORTING = {"sort", "orderby", "orderbydirection", "sortby", "descending"}
# Parameters that choose what a response carries, not which records: the records are served
# whole whatever they say (docs/decisions/0131).
RESPONSE_OPTIONS = {
    "calculateprices": "pricebook services carry their stored prices",
    "genpermurl": "a lead's leadUrl is stored with the lead",
    "includediscounts": "membership types carry their discounts",
    "includedurationbilling": "membership types carry their duration billing",
    "includerecurringservices": "membership types carry their recurring services",
    "includetags": "membership types carry their tag type ids",
    "includetechnicians": "location recurring services carry their technicians",
    "includesubtasks": "tasks carry their subtasks in subTasksData",
    "includerecentchanges": "records are always read as last written",
    "excludeaccountingchangesfrommodifieddaterange": "no change is kept apart as accounting's",
}

_TEXT_FORMATS = (None, "html", "multiline", "email", "phone")


def concrete(schema: Any, depth: int = 0) -> Mapping[str, Any]:
    """A property's schema through ``$ref`` (the packaged manifest's, which the runtime
    serves) and single-option oneOf/anyOf/allOf."""
    if not isinstance(schema, Mapping) or depth > 16:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = load_manifest().schemas.get(ref)
        return concrete(target, depth + 1) if target is not None else {}
    for key in ("oneOf", "anyOf", "allOf"):
        options = [o for o in schema.get(key) or [] if _types(o) != ["null"]]
        if len(options) == 1:
            return concrete(options[0], depth + 1)
    return schema


def _kind(schema: Any) -> str | None:
    s = concrete(schema)
    types = [t for t in _types(s) if t != "null"]
    if types:
        return types[0]
    return "object" if "properties" in s else None


def _field(name: str, properties: Mapping[str, Any]) -> str | None:
    return {p.lower(): p for p in properties}.get(name.lower())


# ---------------------------------------------------------------- inside lists and objects


def _scalar_text(dialect: str, expr: Any) -> ColumnElement[Any]:
    return func.lower(cast(expr, String))


def element_exists(
    dialect: str,
    field: str,
    matches: typing.Callable[[typing.Callable[[str | None], ColumnElement[Any]]], Any],
    *,
    table: Any = records,
    where: typing.Sequence[Any] = (),
) -> ColumnElement[bool]:
    """A record whose list ``field`` holds an element for which ``matches(part)`` holds;
    ``part("key")`` is that element's ``key`` (``part(None)``: the element itself), as
    PostgreSQL text or SQLite's JSON scalar. With ``table``, a record of that (aliased)
    table meeting ``where`` holds it."""
    if dialect == "postgresql":
        raw = cast(table.c.data, JSONB).op("->")(literal(field))
        safe = case((func.jsonb_typeof(raw) == "array", raw), else_=cast(literal("[]"), JSONB))
        each = func.jsonb_array_elements(safe).table_valued("value").alias("element")

        def pg_part(key: str | None) -> ColumnElement[Any]:
            if key is None:
                return each.c.value.op("#>>")(literal([], ARRAY(Text)))
            return each.c.value.op("->>")(literal(key))

        source = each if table is records else table.join(each, true())
        return exists(sa_select(literal(1)).select_from(source).where(*where, matches(pg_part)))
    each = func.json_each(table.c.data, f"$.{field}").table_valued("value").alias("element")

    def lite_part(key: str | None) -> ColumnElement[Any]:
        if key is None:
            return typing.cast("ColumnElement[Any]", each.c.value)
        return func.json_extract(each.c.value, f"$.{key}")

    # Another table's list: that table first, as SQLite's json_each reads only tables to its left.
    source = each if table is records else table.join(each, true())
    return exists(
        sa_select(literal(1))
        .select_from(source)
        .where(*where, func.json_type(table.c.data, f"$.{field}") == "array", matches(lite_part))
    )


def _bound(dialect: str, value: Any) -> Any:
    if dialect == "postgresql":
        if isinstance(value, bool):
            return "true" if value else "false"
        return format_time(value) if isinstance(value, datetime) else str(value)
    if isinstance(value, bool):
        return 1 if value else 0
    return format_time(value) if isinstance(value, datetime) else value


def _in(dialect: str, expr: Any, values: list[Any]) -> ColumnElement[bool]:
    if all(isinstance(v, str) for v in values):
        return typing.cast(
            "ColumnElement[bool]", _scalar_text(dialect, expr).in_([v.lower() for v in values])
        )
    return typing.cast("ColumnElement[bool]", expr.in_([_bound(dialect, v) for v in values]))


def array_overlaps(dialect: str, field: str, values: list[Any]) -> ColumnElement[bool]:
    """``tagTypeIds=1,2`` on records holding ``tagTypeIds: [...]``: any of them."""
    return element_exists(dialect, field, lambda part: _in(dialect, part(None), values))


def object_part(schema: Any, value: Any) -> str | None:
    """Which part of an object-valued field a filter value compares: ``status=Open`` names a
    ``{name, value}`` status by its name, ``status=1`` by its value; references by id."""
    props = concrete(schema).get("properties") or {}
    text = isinstance(value, str) and not _looks_numeric(value)
    order = ("name", "value", "id") if text else ("value", "id", "name")
    for part in order:
        if part in props:
            return part
    return None


def _looks_numeric(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text.strip()) is not None


# ---------------------------------------------------------------- families


def _custom_fields(
    dialect: str, key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    """``customField.Fields[Colour]=Red``: records whose custom field ``Colour`` is ``Red``,
    every pair (``Operator=And``, the default) or any (``Or``)."""
    field = _field("customFields", properties)
    if field is None or not isinstance(value, Mapping) or not value:
        return None
    prefix = key.rsplit(".", 1)[0] if "." in key else key
    operator = next(
        (str(v) for k, v in query.items() if k.lower() == f"{prefix}.operator" and v), "And"
    )

    def pair(name: str, wanted: str) -> ColumnElement[bool]:
        def matches(part: typing.Callable[[str | None], ColumnElement[Any]]) -> Any:
            return and_(
                _scalar_text(dialect, part("name")) == name.lower(),
                _scalar_text(dialect, part("value")) == wanted.lower(),
            )

        return element_exists(dialect, field, matches)

    conds = [pair(str(name), str(wanted)) for name, wanted in value.items()]
    return or_(*conds) if operator.lower() == "or" else and_(*conds)


def _external_data(
    dialect: str, key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    """``externalDataKey=k&externalDataValues=a,b``: records whose external data holds key
    ``k`` with one of those values. Without values, the key alone; with values alone, any key.
    The application GUID is matched when the stored entries carry one."""
    field = _field("externalData", properties)
    if field is None:
        return None
    lowered = {k.lower(): v for k, v in query.items() if v not in (None, "", [])}
    if key == "externaldatavalues" and "externaldatakey" in lowered:
        return None  # applied with the key
    data_key = lowered.get("externaldatakey")
    wanted = _as_list(lowered.get("externaldatavalues"))
    guid = lowered.get("externaldataapplicationguid")
    if key == "externaldataapplicationguid":
        if data_key is not None or wanted:
            return None  # applied with the key or values
        return element_exists(dialect, field, lambda part: _same_app(dialect, part, guid))

    def matches(part: typing.Callable[[str | None], ColumnElement[Any]]) -> Any:
        conds: list[Any] = []
        if data_key is not None:
            conds.append(_scalar_text(dialect, part("key")) == str(data_key).lower())
        if wanted:
            conds.append(_in(dialect, part("value"), [str(w) for w in wanted]))
        if guid is not None:
            conds.append(_same_app(dialect, part, guid))
        return and_(*conds)

    return element_exists(dialect, field, matches)


def _same_app(
    dialect: str, part: typing.Callable[[str | None], ColumnElement[Any]], guid: Any
) -> ColumnElement[bool]:
    # Entries are stored as the record schema declares them, {key, value}, without the
    # application's GUID: an entry that names none belongs to any application.
    stored = part("applicationGuid")
    return or_(stored.is_(None), _scalar_text(dialect, stored) == str(guid).lower())


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for item in value for v in _as_list(item)]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def text_fields(properties: Mapping[str, Any]) -> list[str]:
    """The record's own text: top-level strings that are not dates, GUIDs or enums."""
    out = []
    for name, schema in properties.items():
        s = concrete(schema)
        if _kind(s) == "string" and s.get("format") in _TEXT_FORMATS and not s.get("enum"):
            out.append(name)
    return out


def free_text(dialect: str, value: Any, properties: Mapping[str, Any]) -> ColumnElement[bool]:
    """``searchText=boil``: records any of whose text fields (or whose id) contains it."""
    from localtitan.engine.query import json_field

    needle = str(value).lower()
    conds = [
        func.lower(cast(json_field(dialect, f), String)).contains(needle, autoescape=True)
        for f in text_fields(properties)
    ]
    conds.append(cast(records.c.id, String).contains(needle, autoescape=True))
    return or_(*conds)


_COMPARERS = {
    "equal": "=",
    "equals": "=",
    "notequal": "!=",
    "notequals": "!=",
    "greaterthan": ">",
    "greater": ">",
    "greaterthanorequal": ">=",
    "lessthan": "<",
    "less": "<",
    "lessthanorequal": "<=",
}


def _comparer(
    dialect: str, key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    """``totalFilter.Amount=100&totalFilter.Comparer=GreaterThan``: the amount compared
    with the record's ``total`` (``balanceFilter.Balance`` with its ``balance``)."""
    from localtitan.engine.query import _number, _numeric

    prefix = key.split(".", 1)[0]
    field = _field(prefix.removesuffix("filter"), properties)
    if field is None:
        return None
    comparer = next(
        (str(v) for k, v in query.items() if k.lower() == f"{prefix}.comparer" and v), "Equal"
    )
    op = _COMPARERS.get(comparer.lower(), "=")
    return typing.cast(
        "ColumnElement[bool]",
        _numeric(dialect, field).op(op)(_number(dialect, key, value)),
    )


# ``dateFrom``/``dateTo``, ``fromRating``/``toRating``, ``exportedFrom``: inclusive ranges.
_FROM_TO = (
    (re.compile(r"^(?P<f>\w+?)From$"), ">="),
    (re.compile(r"^(?P<f>\w+?)To$"), "<="),
    (re.compile(r"^from(?P<f>[A-Z]\w*)$"), ">="),
    (re.compile(r"^to(?P<f>[A-Z]\w*)$"), "<="),
)
# A range's stem -> the fields it may name, in order (the record's own date first).
_STEM_FIELDS = {
    "date": ("date", "billDate", "invoiceDate", "publishDate", "dateTime"),
    "utc": ("dateTime", "date", "createdOn"),
    "posted": ("postDate", "postedOn"),
    "transactionposted": ("postDate", "postedOn"),
    "exported": ("exportedOn",),
}


def range_field(stem: str, properties: Mapping[str, Any]) -> str | None:
    for candidate in (*_STEM_FIELDS.get(stem.lower(), ()), stem, stem + "On", stem + "Date"):
        found = _field(candidate, properties)
        if found is not None:
            return found
    return None


def compare_time(
    dialect: str, field: str, schema: Any, op: str, value: Any, table: Any = records
) -> ColumnElement[bool]:
    """A stored time compared with a filter's. A date-only field (``format: date``, a
    journal entry's ``postDate``) compares by its day: ``postedFrom=2024-01-31`` includes
    that day whether the field holds ``2024-01-31`` or a time on it."""
    from localtitan.engine.query import json_field

    stored = json_field(dialect, field, table)
    if concrete(schema).get("format") == "date" or not isinstance(value, datetime):
        return typing.cast("ColumnElement[bool]", func.substr(stored, 1, 10).op(op)(day_of(value)))
    return typing.cast("ColumnElement[bool]", stored.op(op)(_bound(dialect, value)))


def day_of(value: Any) -> str:
    """The UTC day of a filter's time, or of a date-only filter (``appliedOnOrAfter``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _from_to(
    dialect: str, name: str, value: Any, properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    from localtitan.engine.query import _number, _numeric

    for pattern, op in _FROM_TO:
        match = pattern.match(name)
        if match is None:
            continue
        field = range_field(match["f"], properties)
        if field is None and match["f"].lower() == "utc":
            field = "createdOn"  # rows with no time of their own: when they were recorded
        if field is None:
            return None
        if field == "createdOn":
            return typing.cast("ColumnElement[bool]", records.c.created_on.op(op)(value))
        if isinstance(value, datetime | date):
            return compare_time(dialect, field, properties[field], op, value)
        return typing.cast(
            "ColumnElement[bool]", _numeric(dialect, field).op(op)(_number(dialect, name, value))
        )
    return None


def shape_condition(
    dialect: str, name: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> ColumnElement[bool] | None:
    """The condition of a filter these rules know, or None."""
    key = name.lower()
    if key in ("customfield.fields", "customfields.fields", "customfield"):
        return _custom_fields(dialect, key, value, query, properties)
    if key.startswith("externaldata"):
        return _external_data(dialect, key, value, query, properties)
    if key in ("searchtext", "search", "searchterm"):
        return free_text(dialect, value, properties)
    if key in ("totalfilter.amount", "balancefilter.amount", "balancefilter.balance"):
        return _comparer(dialect, key, value, query, properties)
    return _from_to(dialect, name, value, properties)
