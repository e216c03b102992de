"""List filters and sorting: what ServiceTitan's query parameters ask of the records table,
as :mod:`localtitan.store.conditions` (``store/list_filters.py`` writes them as SQL).

The common filters (ids, created/modified ranges, active, sort) and the promoted reference
columns are index scans; any other parameter that names a record field is compared inside the
stored JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from localtitan.engine.list_filters import (
    COMPANIONS,
    RESPONSE_OPTIONS,
    SORTING,
    array_overlaps,
    compare_time,
    concrete,
    number,
    object_part,
    shape_condition,
)
from localtitan.errors import ApiError
from localtitan.handling.shaping import _types
from localtitan.handling.unit import INT64_MAX, INT64_MIN, MAX_IDS
from localtitan.spec import Operation
from localtitan.store import conditions as c
from localtitan.store.list_filters import clause
from localtitan.store.records import NESTED_REFERENCES, PROMOTED

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_IDS",
    "build_filters",
    "conditions_for",
    "json_value",
    "json_values",
    "page_bounds",
    "sort_clause",
    "sort_order",
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
    "id": "id",
    "createdon": "created_on",
    "modifiedon": "modified_on",
    "name": "name",
    "number": "number",
}
_ID = c.Col("id")
_ACTIVE = c.IsTrue(c.Col("active"))
_INACTIVE = c.IsTrue(c.Col("active"), negated=True)


def json_value(value: Any) -> c.Value:
    """A value compared with a JSON field's scalar."""
    return c.Value(value, "json")


def json_values(values: list[Any]) -> tuple[c.Value, ...]:
    return tuple(c.Value(v, "json") for v in values)


def _plain(values: list[Any]) -> tuple[c.Value, ...]:
    return tuple(c.Value(v) for v in values)


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
) -> list[Any]:
    """:func:`conditions_for` as SQLAlchemy conditions of ``dialect``, for statements composed
    with SQLAlchemy (the export feed's, tests')."""
    conds = conditions_for(query, properties, has_active=has_active, kind=kind)
    return [clause(cond, dialect) for cond in conds]


def conditions_for(
    query: Mapping[str, Any],
    properties: Mapping[str, Any],
    *,
    has_active: bool,
    kind: str | None = None,
) -> list[c.Cond]:
    """The conditions of the query parameters a list operation received (those that only
    ``kind``'s own rules answer, in ``collection_filters.py``, are left to them)."""
    from localtitan.engine.collection_filters import answers

    taken = answers(kind) if kind else frozenset()
    conds: list[c.Cond] = []
    active = query.get("active")
    if has_active:
        choice = str(active if active is not None else "True").lower()
        if choice == "true":
            conds.append(_ACTIVE)
        elif choice == "false":
            conds.append(_INACTIVE)
    for name, value in query.items():
        if value is None or value == "" or value == []:
            continue
        key = name.lower()
        if key in _PAGING or key in _IGNORED or key == "active" or key in taken:
            continue
        if key in COMPANIONS or key in SORTING or key in RESPONSE_OPTIONS:
            continue
        cond = shape_condition(name, value, query, properties)
        if cond is None:
            cond = _condition(name, key, value, properties)
        if cond is not None:
            conds.append(cond)
    return conds


def _condition(name: str, key: str, value: Any, properties: Mapping[str, Any]) -> c.Cond | None:
    if key == "ids":
        if _guid_ids(properties):
            # Collections whose ids are GUIDs (journal entries, CRM contacts) look up by guid.
            return c.In(c.Col("guid"), _plain(_guids(name, value)))
        return c.In(_ID, _plain(_ids(name, value)))
    when: datetime | None = value if isinstance(value, datetime) else None
    if key == "createdbefore" and when:
        return c.Cmp(c.Col("created_on"), "<", c.Value(when))
    if key in ("createdonorafter", "createdafter") and when:
        return c.Cmp(c.Col("created_on"), ">=", c.Value(when))
    if key == "modifiedbefore" and when:
        return c.Cmp(c.Col("modified_on"), "<", c.Value(when))
    if key in ("modifiedonorafter", "modifiedafter") and when:
        return c.Cmp(c.Col("modified_on"), ">=", c.Value(when))
    if key == "number":
        # Records name their number differently (number, jobNumber...); all land in one column.
        return c.Cmp(c.Col("number"), "=", c.Value(str(value)))
    column = PROMOTED.get(_field_for(name, PROMOTED) or "")
    if column is not None and _field_for(name, properties):
        col = c.Col(column)
        if column == "name":
            return c.Contains(c.Lower(col), c.Value(str(value).lower(), "like"))
        return c.Cmp(col, "=", c.Value(str(value) if column == "number" else value))
    field = _field_for(name, properties)
    if field is not None:
        return _equals(field, value, properties[field])
    reference = _reference(name, properties)
    if reference is not None:
        path, promoted = reference
        if promoted is not None:
            return c.Cmp(c.Col(promoted), "=", c.Value(value))
        return _equals(path, value, None)
    if key in _ADDRESS_PARTS and "address" in properties:
        # Customer and location filters such as city= and zip= match the address inside.
        return _equals(f"address.{_ADDRESS_PARTS[key]}", value, None)
    compared = _compared(name, properties)
    if compared is not None:
        field, op = compared
        if op == "contains":
            return c.Contains(c.Text(c.Json(field)), c.Value(str(value).lower(), "like"))
        if op.startswith("seconds"):
            # ``minDuration=60`` (seconds) on a call's ``duration: "00:03:12"``.
            return c.Cmp(c.Seconds(field), op[7:], number(name, value))
        return c.Cmp(c.Num(field), op, number(name, value))
    if key == "activestate":
        state = str(value).lower()
        if state == "activeonly":
            return _ACTIVE
        return _INACTIVE if state == "inactiveonly" else None
    nested = _nested_field(name, properties)
    if nested is not None:
        # ``jobNumber=`` on an invoice's ``job: {id, number}``: compared as text, as the
        # number may be stored as text or as a number.
        return c.Cmp(c.Text(c.Json(nested)), "=", c.Value(str(value).lower()))
    if key == "activeonly":
        return _ACTIVE if str(value).lower() == "true" else None
    if key.endswith("ids") and len(key) > 3:
        singular = _field_for(name[:-1], properties)
        # Else businessUnitIds= on records naming ``businessUnit: {id, name}``.
        held = (singular, PROMOTED.get(singular)) if singular else _reference(name[:-1], properties)
        if held is not None:
            path, promoted = held
            if promoted is not None:
                return c.In(c.Col(promoted), _plain(_ids(name, value)))
            return c.In(c.Json(path), json_values(_ids(name, value)))
    if key.endswith("s") and len(key) > 1:
        singular = _field_for(name[:-1], properties) or _plural_of(name, properties)
        if singular:
            return _equals(singular, _as_list(value), properties[singular])
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
            if field.lower() == "createdon":
                return c.Cmp(c.Col("created_on"), op, c.Value(value))
            if field.lower() == "modifiedon":
                return c.Cmp(c.Col("modified_on"), op, c.Value(value))
            return compare_time(field, properties[field], op, value)
    return None


def _equals(field: str, value: Any, schema: Any) -> c.Cond | None:
    shape = concrete(schema)
    types = [t for t in _types(shape) if t != "null"]
    if "array" in types:
        # ``tagTypeIds=1,2`` on records holding a list of them: any of them.
        return array_overlaps(field, _as_list(value))
    if "object" in types or (not types and "properties" in shape):
        # ``status=Open`` on an estimate's ``status: {name, value}`` (docs/decisions/0131).
        first = value[0] if isinstance(value, list) and value else value
        part = object_part(shape, first)
        if part is None:
            return None
        field, schema = f"{field}.{part}", (shape.get("properties") or {}).get(part)
    if isinstance(value, str) and value.lower() == "any" and _enum(schema):
        return None  # ``status=Any``: every record (no record's status is "Any")
    expr = c.Json(field)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return c.In(c.Text(expr), _plain([v.lower() for v in value]))
        return c.In(expr, json_values(value))
    if isinstance(value, str):
        # Enum and text filters match regardless of case, as ServiceTitan's do.
        return c.Cmp(c.Text(expr), "=", c.Value(value.lower()))
    return c.Cmp(expr, "=", json_value(value))


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


def sort_clause(dialect: str, sort: str | None, properties: Mapping[str, Any]) -> Sequence[Any]:
    """:func:`sort_order` as SQLAlchemy ORDER BY terms of ``dialect``."""
    return [clause(o, dialect) for o in sort_order(sort, properties)]


def sort_order(sort: str | None, properties: Mapping[str, Any]) -> tuple[c.Order, ...]:
    """``+Field`` / ``-Field`` (or plain ``Field``) -> ORDER BY, always ending with the id."""
    if not sort:
        return (c.Order(_ID),)
    text = sort.strip()
    descending = text.startswith("-")
    name = text.lstrip("+- ")
    column = _COLUMNS.get(name.lower())
    expr: c.Expr
    if column is None:
        field = _field_for(name, properties)
        if field is None:
            raise ApiError(
                400,
                "One or more validation errors occurred.",
                errors={"sort": [f"Sorting by '{name}' is not supported here."]},
            )
        expr = c.Json(field)
    elif column == "name":
        # SQL Server's collation, which ServiceTitan sorts with, ignores case.
        expr = c.Lower(c.Col(column))
    else:
        expr = c.Col(column)
    ordered = c.Order(expr, descending)
    tie = c.Order(_ID, descending)
    return (ordered,) if column == "id" else (ordered, tie)
