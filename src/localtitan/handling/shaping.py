"""Response shaping: every field a reference schema declares is present, with its JSON type.

A client generated from ServiceTitan's documents must never meet a missing key, so records are
filled from the schema when written: a missing nullable field becomes null, a missing required
one gets its type's empty value, and numbers the schema types as strings (accounting amounts)
become decimal strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from localtitan.spec import Manifest
from localtitan.store.records import format_time

__all__ = ["fill_record", "object_properties", "shape", "skeleton", "timespan_text"]

_MAX_DEPTH = 12
_SCALARS = ("string", "integer", "number", "boolean")
_SHORT_FRACTION = re.compile(r"T\d\d:\d\d:\d\d\.\d{1,6}Z\Z", re.ASCII)


def timespan_text(value: timedelta) -> str:
    """.NET TimeSpan's constant format ``[-][d.]hh:mm:ss[.fffffff]``, as ServiceTitan writes it
    (``str(timedelta)`` would write ``0:00:00``)."""
    total = abs(value)
    days, rest = total.days, total.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if days:
        text = f"{days}.{text}"
    if total.microseconds:
        text += f".{total.microseconds:06d}0"
    return ("-" if value < timedelta(0) else "") + text


def seven_digits(value: str) -> str:
    """A UTC time text with 1-6 fractional digits padded to ServiceTitan's seven (times
    stored before timestamps had seven digits, or sent with fewer)."""
    # Seven digits already (a "." nine characters from the end leaves no room for the
    # pattern's "T00:00:00." before 1-6 digits and the Z), as every time written here is.
    if value[-9:-8] == "." or not _SHORT_FRACTION.search(value):
        return value
    head, _, frac = value[:-1].rpartition(".")
    return f"{head}.{frac.ljust(7, '0')}Z"


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def _resolved(manifest: Manifest, schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The concrete schema and whether null is allowed."""
    nullable = bool(schema.get("nullable"))
    for key in ("oneOf", "anyOf", "allOf"):
        options = schema.get(key)
        if options:
            concrete = [o for o in options if _types(o) != ["null"]]
            nullable = nullable or len(concrete) < len(options)
            if len(concrete) == 1:
                inner, inner_null = _resolved(manifest, concrete[0])
                return inner, nullable or inner_null
    if "$ref" in schema:
        target = manifest.resolve(schema)
        inner, inner_null = _resolved(manifest, target)
        return inner, nullable or inner_null
    types = _types(schema)
    return dict(schema), nullable or "null" in types


def object_properties(manifest: Manifest, schema: Mapping[str, Any]) -> dict[str, Any]:
    concrete, _ = _resolved(manifest, schema)
    props = concrete.get("properties")
    return dict(props) if isinstance(props, Mapping) else {}


def _empty(manifest: Manifest, schema: Mapping[str, Any], depth: int) -> Any:
    concrete, nullable = _resolved(manifest, schema)
    if "default" in concrete:
        return concrete["default"]
    if nullable:
        return None
    types = [t for t in _types(concrete) if t != "null"]
    kind = types[0] if types else ("object" if "properties" in concrete else None)
    if concrete.get("enum"):
        return concrete["enum"][0]
    if kind == "string":
        fmt = concrete.get("format")
        if fmt == "date-time":
            return "0001-01-01T00:00:00Z"
        if fmt in ("guid", "uuid"):
            return "00000000-0000-0000-0000-000000000000"
        if fmt == "duration":
            return "00:00:00"
        return ""
    if kind == "integer":
        return 0
    if kind == "number":
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object" or "properties" in concrete:
        return skeleton(manifest, concrete, depth + 1)
    return None


def skeleton(manifest: Manifest, schema: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """An object with every declared property at its empty value."""
    if depth > _MAX_DEPTH:
        return {}
    return {
        name: _empty(manifest, sub, depth)
        for name, sub in object_properties(manifest, schema).items()
    }


def fill_record(manifest: Manifest, collection: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """A record in its stored shape: every property any read operation of its collection
    declares (``collection.properties``), so one stored JSON serves get, list and export.
    Compiled (``handling/shapers.py``): what :func:`shape` gives for the collection's schema."""
    filled: dict[str, Any] = _shapers.shapers_for(manifest).record(collection.properties)(data)
    return filled


def _decimal_text(value: Any) -> str:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{d:.2f}" if d == d.quantize(Decimal("0.01")) else format(d.normalize(), "f")


def shape(manifest: Manifest, schema: Mapping[str, Any], value: Any, depth: int = 0) -> Any:
    """``value`` reshaped to ``schema``: declared fields filled, scalar types coerced."""
    concrete, nullable = _resolved(manifest, schema)
    if value is None:
        return None if nullable or depth > _MAX_DEPTH else _empty(manifest, concrete, depth)
    if depth > _MAX_DEPTH:
        return value
    types = [t for t in _types(concrete) if t != "null"]
    kind = types[0] if types else ("object" if "properties" in concrete else None)
    if kind in _SCALARS and isinstance(value, Mapping | list):
        # A collection read by several operations can hold an object where one of them
        # declares a scalar (a v2 call's job ``type`` vs the export's call type): never its repr.
        return None if nullable else _empty(manifest, concrete, depth)
    if kind == "object" or (kind is None and "properties" in concrete):
        if not isinstance(value, Mapping):
            return _empty(manifest, concrete, depth)
        props = concrete.get("properties") or {}
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name in value:
                out[name] = shape(manifest, sub, value[name], depth + 1)
            else:
                out[name] = _empty(manifest, sub, depth + 1)
        extra = concrete.get("additionalProperties")
        if not props and extra not in (None, False):
            return dict(value)
        return out
    if kind == "array":
        if not isinstance(value, list):
            return []
        item = concrete.get("items") or {}
        return [shape(manifest, item, v, depth + 1) for v in value]
    if kind == "string":
        if isinstance(value, datetime):
            return format_time(value)
        if isinstance(value, date):
            return value.isoformat() + (
                "T00:00:00Z" if concrete.get("format") == "date-time" else ""
            )
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, timedelta):
            return timespan_text(value)
        if isinstance(value, int | float) and concrete.get("format") in (None, "decimal"):
            return _decimal_text(value)
        if isinstance(value, str):
            return seven_digits(value) if concrete.get("format") == "date-time" else value
        return str(value)
    if kind == "integer":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return 0
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        try:
            d = Decimal(str(value))
        except InvalidOperation:
            return 0
        return int(d) if d == d.to_integral_value() else float(d)
    if kind == "boolean":
        return bool(value) if not isinstance(value, str) else value.lower() == "true"
    return value


# Last: the compiled shapers build on the rules above (and import this module).
from localtitan.handling import shapers as _shapers  # noqa: E402
