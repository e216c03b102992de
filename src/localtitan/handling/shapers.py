"""Compiled response shaping: :func:`localtitan.handling.shaping.shape`, with every schema node
resolved once.

``shape`` walks the schema on every call (resolving ``$ref`` and ``oneOf`` wrappers, working
out each node's type and empty value again), which made shaping the largest part of a create's
CPU: a customer with one location is shaped three times (two records filled to their stored
shape, then the response), about 400 µs. Here each (schema node, depth) becomes a closure, made
once per manifest, that gives exactly what ``shape`` gives for every value; objects with many
properties become generated straight-line code. ``tests/handling/test_shapers.py`` holds the
two to the same answers, and ``shape`` stays the readable statement of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from localtitan.handling import shaping
from localtitan.spec import Manifest
from localtitan.store.records import format_time

__all__ = ["Fields", "Shaper", "Shapers", "property_code", "shapers_for"]

Shaper = Callable[[Any], Any]
# An object shaper's properties: name, missing value, whether it is a scalar, kept type.
Fields = list[tuple[str, Any, bool, type | None]]
_MISSING: Any = object()
# Objects with this many properties get generated straight-line code. Generating costs about
# 0.3 ms once for a dozen properties, less for fewer; a small nested object (an address, a
# location's) is shaped on every write and answer of its records, where the loop below took
# three times as long, so every object with properties is generated.
_GENERATE_FROM = 1
_MAX_DEPTH = shaping._MAX_DEPTH
_CONTAINERS = (Mapping, list)


def _clone(value: Any) -> Any:
    # Empty values are computed once; the records and answers made from them must not share
    # mutable ones.
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def shapers_for(manifest: Manifest) -> Shapers:
    """The manifest's compiled shapers (made once, kept in the manifest's memo space)."""
    found = manifest.cache.get("shapers")
    if found is None:
        found = manifest.cache["shapers"] = Shapers(manifest)
    return found


class Shapers:
    """Per-manifest cache of compiled shapers, one per (schema node, depth)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        # id(schema), depth -> (schema, shaper): the schema is kept so its id is never reused.
        self._nodes: dict[tuple[int, int], tuple[Mapping[str, Any], Shaper]] = {}
        self._records: dict[int, tuple[Any, Shaper]] = {}

    def shape(self, schema: Mapping[str, Any], value: Any, depth: int = 0) -> Any:
        """``shape(manifest, schema, value, depth)``, compiled."""
        return self.compile(schema, depth)(value)

    def record(self, properties: dict[str, Any]) -> Shaper:
        """The shaper of a collection's stored record (``fill_record``'s schema)."""
        found = self._records.get(id(properties))
        if found is not None and found[0] is properties:
            return found[1]
        shaper = self.compile({"type": ["object"], "properties": properties}, 0)
        self._records[id(properties)] = (properties, shaper)
        return shaper

    # ------------------------------------------------------------ compilation

    def compile(self, schema: Mapping[str, Any], depth: int) -> Shaper:
        key = (id(schema), depth)
        found = self._nodes.get(key)
        if found is not None and found[0] is schema:
            return found[1]
        # Children compile lazily: recursive schemas (pricebook subcategories) stay cheap.
        cell: list[Shaper] = []

        def lazy(value: Any) -> Any:
            return cell[0](value)

        self._nodes[key] = (schema, lazy)
        real = self._build(schema, depth)
        cell.append(real)
        self._nodes[key] = (schema, real)
        return real

    def _build(self, schema: Mapping[str, Any], depth: int) -> Shaper:
        manifest = self.manifest
        concrete, nullable = shaping._resolved(manifest, schema)
        if depth > _MAX_DEPTH:

            def deep(value: Any) -> Any:
                return value

            return deep
        empty = shaping._empty(manifest, concrete, depth)
        empty_scalar = _is_scalar(empty)

        def blank() -> Any:
            return empty if empty_scalar else _clone(empty)

        def on_none() -> Any:
            return None if nullable else blank()

        types = [t for t in shaping._types(concrete) if t != "null"]
        kind = types[0] if types else ("object" if "properties" in concrete else None)
        if kind == "object" or (kind is None and "properties" in concrete):
            return self._object(concrete, depth, on_none, blank)
        if kind == "array":
            item = concrete.get("items") or {}
            compiled: list[Shaper] = []

            def array(value: Any) -> Any:
                if value is None:
                    return on_none()
                if not isinstance(value, list):
                    return []
                if not compiled:
                    compiled.append(self.compile(item, depth + 1))
                sub = compiled[0]
                return [sub(v) for v in value]

            return array
        if kind in shaping._SCALARS:
            return self._scalar(kind, concrete, on_none)

        def anything(value: Any) -> Any:
            return on_none() if value is None else value

        return anything

    def _scalar(self, kind: str, concrete: Mapping[str, Any], on_none: Callable[[], Any]) -> Shaper:
        # An object where a scalar is declared becomes null or the empty value, never its repr.
        if kind == "string":
            fmt = concrete.get("format")
            decimal_format = fmt in (None, "decimal")
            date_time = fmt == "date-time"

            def string(value: Any) -> Any:
                if isinstance(value, str):
                    return shaping.seven_digits(value) if date_time else value
                if value is None or isinstance(value, _CONTAINERS):
                    return on_none()
                if isinstance(value, datetime):
                    return format_time(value)
                if isinstance(value, date):
                    return value.isoformat() + ("T00:00:00Z" if date_time else "")
                if isinstance(value, bool):
                    return "true" if value else "false"
                if isinstance(value, timedelta):
                    return shaping.timespan_text(value)
                if decimal_format and isinstance(value, int | float):
                    return shaping._decimal_text(value)
                return str(value)

            return string
        manifest = self.manifest

        def slow(value: Any) -> Any:
            # Rare conversions (text to a number): ``shape`` on the concrete node, whose answer
            # for a present, non-container value does not depend on nullability.
            return shaping.shape(manifest, concrete, value, 0)

        if kind == "integer":

            def integer(value: Any) -> Any:
                if type(value) is int:
                    return value
                if value is None or isinstance(value, _CONTAINERS):
                    return on_none()
                if isinstance(value, bool):
                    return int(value)
                return value if isinstance(value, int) else slow(value)

            return integer
        if kind == "number":

            def number(value: Any) -> Any:
                if type(value) is int or type(value) is float:
                    return value
                if value is None or isinstance(value, _CONTAINERS):
                    return on_none()
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return value
                return slow(value)

            return number

        def boolean(value: Any) -> Any:
            if type(value) is bool:
                return value
            if value is None or isinstance(value, _CONTAINERS):
                return on_none()
            return bool(value) if not isinstance(value, str) else value.lower() == "true"

        return boolean

    def _object(
        self,
        concrete: Mapping[str, Any],
        depth: int,
        on_none: Callable[[], Any],
        blank: Callable[[], Any],
    ) -> Shaper:
        props: Mapping[str, Any] = concrete.get("properties") or {}
        extra = concrete.get("additionalProperties")
        if not props and extra not in (None, False):

            def passing(value: Any) -> Any:
                if value is None:
                    return on_none()
                if type(value) is not dict and not isinstance(value, Mapping):
                    return blank()
                return dict(value)

            return passing
        fields, arrays, nulls, times = self.fields(props, depth)
        children: list[Shaper] = []

        def compile_children() -> None:
            if not children:
                children.extend(self.compile(props[f[0]], depth + 1) for f in fields)

        if len(fields) >= _GENERATE_FROM:
            return _object_function(
                fields, arrays, nulls, times, children, compile_children, on_none, blank
            )

        def obj(value: Any) -> Any:
            if value is None:
                return on_none()
            # A dict first: isinstance against an ABC is a Python call.
            if type(value) is not dict and not isinstance(value, Mapping):
                return blank()
            if not children:
                compile_children()
            out: dict[str, Any] = {}
            get = value.get
            for i, (name, default, scalar, kept) in enumerate(fields):
                v = get(name, _MISSING)
                if v is _MISSING:
                    out[name] = default if scalar else _clone(default)
                elif kept is not None and type(v) is kept:
                    out[name] = v
                else:
                    out[name] = children[i](v)
            return out

        return obj

    def fields(
        self, props: Mapping[str, Any], depth: int
    ) -> tuple[Fields, set[int], set[int], set[int]]:
        """What generating the shaper of an object at ``depth`` with ``props`` needs: per
        property its name, what a missing one becomes (``shaping._empty`` at depth + 1),
        whether that is a scalar, and the one Python type a present value may have to be kept
        as it is (None: always shape it); and which properties are arrays, keep None and are
        date-times (see :func:`_object_function`)."""
        manifest = self.manifest
        fields: Fields = []
        for name, sub in props.items():
            default = shaping._empty(manifest, sub, depth + 1)
            fields.append((name, default, _is_scalar(default), self._kept_type(sub, depth + 1)))
        arrays = {i for i, f in enumerate(fields) if self._is_array(props[f[0]], depth + 1)}
        nulls = {i for i, f in enumerate(fields) if self._keeps_none(props[f[0]], depth + 1)}
        times = {i for i, f in enumerate(fields) if self._is_time(props[f[0]], depth + 1)}
        return fields, arrays, nulls, times

    def _is_array(self, schema: Mapping[str, Any], depth: int) -> bool:
        """Whether ``schema`` is shaped as an array (which gives a new list for a list)."""
        if depth > _MAX_DEPTH:
            return False
        concrete, _ = shaping._resolved(self.manifest, schema)
        types = [t for t in shaping._types(concrete) if t != "null"]
        return bool(types) and types[0] == "array"

    def _keeps_none(self, schema: Mapping[str, Any], depth: int) -> bool:
        """Whether ``schema``'s shaper gives None for None (a nullable node, or one past the
        depth where values pass as they are)."""
        if depth > _MAX_DEPTH:
            return True
        return shaping._resolved(self.manifest, schema)[1]

    def _is_time(self, schema: Mapping[str, Any], depth: int) -> bool:
        """Whether ``schema`` is shaped as a date-time string (``seven_digits`` of a str)."""
        if depth > _MAX_DEPTH:
            return False
        concrete, _ = shaping._resolved(self.manifest, schema)
        types = [t for t in shaping._types(concrete) if t != "null"]
        return bool(types) and types[0] == "string" and concrete.get("format") == "date-time"

    def _kept_type(self, schema: Mapping[str, Any], depth: int) -> type | None:
        """The Python type whose values ``shape`` returns unchanged for ``schema``."""
        if depth > _MAX_DEPTH:
            return None
        concrete, _ = shaping._resolved(self.manifest, schema)
        types = [t for t in shaping._types(concrete) if t != "null"]
        kind = types[0] if types else None
        if kind == "string" and concrete.get("format") != "date-time":
            return str
        if kind in ("integer", "number"):
            return int
        if kind == "boolean":
            return bool
        return None


def _object_function(
    fields: Fields,
    arrays: set[int],
    nulls: set[int],
    times: set[int],
    children: list[Shaper],
    compile_children: Callable[[], None],
    on_none: Callable[[], Any],
    blank: Callable[[], Any],
) -> Shaper:
    """Generate the object shaper as straight-line code: one dict display, one conditional
    expression per property. Three to four times faster than looping over the properties.
    What a property's shaper would give is written in place, without calling it, where it
    is plain: an empty list where ``arrays`` holds an array property becomes a new empty list
    (most records' lists are empty); None stays None where ``nulls`` holds a property whose
    shaper keeps it (a nullable one); a date-time text with seven fractional digits where
    ``times`` holds a date-time property stays as it is (``seven_digits`` pads only 1-6
    digits: a ``.`` nine characters from the end rules that out); a missing property whose
    empty value is an empty list becomes a new one (what ``_clone`` gives)."""
    env: dict[str, Any] = {
        "M": _MISSING,
        "C": children,
        "Mapping": Mapping,
        "_clone": _clone,
        "on_none": on_none,
        "blank": blank,
        "compile_children": compile_children,
    }
    lines = [
        "def obj(value):",
        "    if value is None:",
        "        return on_none()",
        "    if type(value) is not dict and not isinstance(value, Mapping):",
        "        return blank()",
        "    if not C:",
        "        compile_children()",
        "    get = value.get",
        "    return {",
    ]
    for i, field in enumerate(fields):
        lines.append(
            f"        {field[0]!r}: ({property_code(i, field, arrays, nulls, times, env)}),"
        )
    lines.append("    }")
    exec(compile("\n".join(lines), "<shaper>", "exec"), env)  # noqa: S102 - our own code
    shaper: Shaper = env["obj"]
    return shaper


def property_code(
    i: int,
    field: tuple[str, Any, bool, type | None],
    arrays: set[int],
    nulls: set[int],
    times: set[int],
    env: dict[str, Any],
    present: str | None = None,
) -> str:
    """The generated expression of property ``i`` of an object shaper (its value from
    ``get``, its child shaper ``C[i]``), with what it needs put in ``env``; ``present``, if
    given, is the expression of a present value ``v`` instead of the child shaper's."""
    name, default, scalar, kept = field
    env[f"D{i}"] = default
    env[f"K{i}"] = kept
    missing = f"D{i}" if scalar else f"_clone(D{i})"
    if type(default) is list and not default:
        missing = "[]"
    if present is not None:
        return f"{missing} if (v := get({name!r}, M)) is M else {present}"
    present = f"C[{i}](v)" if kept is None else f"v if type(v) is K{i} else C[{i}](v)"
    if i in arrays:
        present = f"[] if type(v) is list and not v else C[{i}](v)"
    elif i in times:
        present = f'v if type(v) is str and v[-9:-8] == "." else C[{i}](v)'
    if i in nulls:
        present = f"None if v is None else ({present})"
    return f"{missing} if (v := get({name!r}, M)) is M else {present}"
