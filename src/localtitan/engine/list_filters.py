"""List filters that look inside a record's lists and objects: custom fields, external data,
free text, amount comparers, ``xFrom``/``xTo`` ranges, id lists over list fields, and fields
stored as ``{name, value}`` objects.

Each rule reads the record's declared shape (its collection's properties) to know where to
look; none depends on a particular collection (those are in ``related.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from localtitan.errors import ApiError
from localtitan.handling.shaping import _types
from localtitan.spec import load_manifest
from localtitan.store import conditions as c

__all__ = [
    "COMPANIONS",
    "RESPONSE_OPTIONS",
    "SORTING",
    "array_overlaps",
    "compare_time",
    "day_of",
    "number",
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


def number(name: str, value: Any) -> c.Value:
    """A filter's number, or the client's 400 naming the parameter."""
    try:
        parsed = Decimal(str(value))
    except ArithmeticError:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={name: [f"The value '{value}' is not a number."]},
        ) from None
    return c.Value(parsed, "number")


# ---------------------------------------------------------------- inside lists and objects


def _in(expr: c.Expr, values: list[Any]) -> c.Cond:
    if all(isinstance(v, str) for v in values):
        return c.In(c.Text(expr), tuple(c.Value(v.lower()) for v in values))
    return c.In(expr, tuple(c.Value(v, "json") for v in values))


def array_overlaps(field: str, values: list[Any]) -> c.Cond:
    """``tagTypeIds=1,2`` on records holding ``tagTypeIds: [...]``: any of them."""
    return c.ElementExists(field, _in(c.Part(), values))


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
    key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> c.Cond | None:
    """``customField.Fields[Colour]=Red``: records whose custom field ``Colour`` is ``Red``,
    every pair (``Operator=And``, the default) or any (``Or``)."""
    field = _field("customFields", properties)
    if field is None or not isinstance(value, Mapping) or not value:
        return None
    prefix = key.rsplit(".", 1)[0] if "." in key else key
    operator = next(
        (str(v) for k, v in query.items() if k.lower() == f"{prefix}.operator" and v), "And"
    )

    def pair(name: str, wanted: str) -> c.Cond:
        return c.ElementExists(
            field,
            c.All(
                (
                    c.Cmp(c.Text(c.Part("name")), "=", c.Value(name.lower())),
                    c.Cmp(c.Text(c.Part("value")), "=", c.Value(wanted.lower())),
                )
            ),
        )

    conds = tuple(pair(str(name), str(wanted)) for name, wanted in value.items())
    return c.AnyOf(conds) if operator.lower() == "or" else c.All(conds)


def _external_data(
    key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> c.Cond | None:
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
        return c.ElementExists(field, _same_app(guid))
    conds: list[c.Cond] = []
    if data_key is not None:
        conds.append(c.Cmp(c.Text(c.Part("key")), "=", c.Value(str(data_key).lower())))
    if wanted:
        conds.append(_in(c.Part("value"), [str(w) for w in wanted]))
    if guid is not None:
        conds.append(_same_app(guid))
    return c.ElementExists(field, c.All(tuple(conds)))


def _same_app(guid: Any) -> c.Cond:
    # Entries are stored as the record schema declares them, {key, value}, without the
    # application's GUID: an entry that names none belongs to any application.
    stored = c.Part("applicationGuid")
    return c.AnyOf((c.IsNull(stored), c.Cmp(c.Text(stored), "=", c.Value(str(guid).lower()))))


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


def free_text(value: Any, properties: Mapping[str, Any]) -> c.Cond:
    """``searchText=boil``: records any of whose text fields (or whose id) contains it."""
    needle = str(value).lower()
    conds: list[c.Cond] = [
        c.Contains(c.Text(c.Json(f)), c.Value(needle, "like")) for f in text_fields(properties)
    ]
    conds.append(c.Contains(c.AsText(c.Col("id")), c.Value(needle, "like")))
    return c.AnyOf(tuple(conds))


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
    key: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> c.Cond | None:
    """``totalFilter.Amount=100&totalFilter.Comparer=GreaterThan``: the amount compared
    with the record's ``total`` (``balanceFilter.Balance`` with its ``balance``)."""
    prefix = key.split(".", 1)[0]
    field = _field(prefix.removesuffix("filter"), properties)
    if field is None:
        return None
    comparer = next(
        (str(v) for k, v in query.items() if k.lower() == f"{prefix}.comparer" and v), "Equal"
    )
    op = _COMPARERS.get(comparer.lower(), "=")
    return c.Cmp(c.Num(field), op, number(key, value))


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


def compare_time(field: str, schema: Any, op: str, value: Any, table: str | None = None) -> c.Cond:
    """A stored time compared with a filter's. A date-only field (``format: date``, a
    journal entry's ``postDate``) compares by its day: ``postedFrom=2024-01-31`` includes
    that day whether the field holds ``2024-01-31`` or a time on it."""
    stored = c.Json(field, table)
    if concrete(schema).get("format") == "date" or not isinstance(value, datetime):
        return c.Cmp(c.Day(stored), op, c.Value(day_of(value)))
    return c.Cmp(stored, op, c.Value(value, "json"))


def day_of(value: Any) -> str:
    """The UTC day of a filter's time, or of a date-only filter (``appliedOnOrAfter``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _from_to(name: str, value: Any, properties: Mapping[str, Any]) -> c.Cond | None:
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
            return c.Cmp(c.Col("created_on"), op, c.Value(value))
        if isinstance(value, datetime | date):
            return compare_time(field, properties[field], op, value)
        return c.Cmp(c.Num(field), op, number(name, value))
    return None


def shape_condition(
    name: str, value: Any, query: Mapping[str, Any], properties: Mapping[str, Any]
) -> c.Cond | None:
    """The condition of a filter these rules know, or None."""
    key = name.lower()
    if key in ("customfield.fields", "customfields.fields", "customfield"):
        return _custom_fields(key, value, query, properties)
    if key.startswith("externaldata"):
        return _external_data(key, value, query, properties)
    if key in ("searchtext", "search", "searchterm"):
        return free_text(value, properties)
    if key in ("totalfilter.amount", "balancefilter.amount", "balancefilter.balance"):
        return _comparer(key, value, query, properties)
    return _from_to(name, value, properties)
