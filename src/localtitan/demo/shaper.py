"""A compiled twin of :func:`localtitan.handling.shaping.fill_record` for bulk seeding.

``fill_record`` resolves every schema node on every call, which costs 80-400 µs a record:
minutes for a large company. This module resolves each node once and keeps a closure per
(node, depth), mirroring ``shaping.shape`` rule for rule, so a record costs a few µs.

It must give exactly what ``fill_record`` gives. The seeder checks the first records of every
kind against ``fill_record`` while it runs (:meth:`Filler.fill` with ``verify``), and the tests
compare every record of a small company, so a change to ``shaping`` that this twin misses fails
loudly instead of storing records in another shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localtitan.handling import shaping
from localtitan.handling.shaping import fill_record
from localtitan.spec import Manifest

__all__ = ["Filler", "ShapeMismatchError"]

_Shaper = Callable[[Any], Any]
_MISSING: Any = object()
# Objects with this many properties get generated straight-line code; compiling costs about
# 0.3 ms, which small nested objects would not win back.
_GENERATE_FROM = 12
_MAX_DEPTH = shaping._MAX_DEPTH


class ShapeMismatchError(RuntimeError):
    """The compiled filler and ``fill_record`` disagree: ``shaping`` changed under us."""


def _clone(value: Any) -> Any:
    # Empty values are computed once; records must not share mutable ones.
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


class Filler:
    """Per-manifest cache of compiled shapers, one per collection."""

    def __init__(self, manifest: Manifest, *, verify_first: int = 3) -> None:
        self.manifest = manifest
        self._nodes: dict[tuple[int, int], _Shaper] = {}
        self._kinds: dict[str, _Shaper] = {}
        self._roots: list[dict[str, Any]] = []  # keep root schemas alive: keys use id()
        self._verified: dict[str, int] = {}
        self._verify_first = verify_first

    def fill(self, collection: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """``fill_record(manifest, collection, data)``, compiled."""
        shaper = self._kinds.get(collection.kind)
        if shaper is None:
            root = {"type": ["object"], "properties": collection.properties}
            self._roots.append(root)
            shaper = self._kinds[collection.kind] = self._compile(root, 0)
        out: dict[str, Any] = shaper(data)
        seen = self._verified.get(collection.kind, 0)
        if seen < self._verify_first:
            self._verified[collection.kind] = seen + 1
            expected = fill_record(self.manifest, collection, data)
            if expected != out:
                raise ShapeMismatchError(
                    f"The demo filler and fill_record disagree on {collection.kind}; "
                    "update localtitan.demo.shaper to match engine.shaping."
                )
        return out

    # ------------------------------------------------------------ compilation

    def _compile(self, schema: Mapping[str, Any], depth: int) -> _Shaper:
        key = (id(schema), depth)
        found = self._nodes.get(key)
        if found is not None:
            return found
        # Children compile lazily: recursive schemas (pricebook subcategories) stay cheap.
        cell: list[_Shaper] = []

        def lazy(value: Any) -> Any:
            return cell[0](value)

        self._nodes[key] = lazy
        real = self._build(schema, depth)
        cell.append(real)
        self._nodes[key] = real
        return real

    def _build(self, schema: Mapping[str, Any], depth: int) -> _Shaper:
        manifest = self.manifest
        concrete, nullable = shaping._resolved(manifest, schema)
        if depth > _MAX_DEPTH:
            null_value = None

            def deep(value: Any) -> Any:
                return null_value if value is None else value

            return deep
        empty = shaping._empty(manifest, concrete, depth)
        empty_scalar = _is_scalar(empty)

        def on_none() -> Any:
            if nullable:
                return None
            return empty if empty_scalar else _clone(empty)

        types = [t for t in shaping._types(concrete) if t != "null"]
        kind = types[0] if types else ("object" if "properties" in concrete else None)
        if kind == "object" or (kind is None and "properties" in concrete):
            return self._object(concrete, depth, on_none, empty, empty_scalar)
        if kind == "array":
            item = concrete.get("items") or {}
            if not isinstance(item, Mapping):
                item = {}
            item_schema: Mapping[str, Any] = item
            compiled: list[_Shaper] = []

            def array(value: Any) -> Any:
                if value is None:
                    return on_none()
                if not isinstance(value, list):
                    return []
                if not compiled:
                    compiled.append(self._compile(item_schema, depth + 1))
                sub = compiled[0]
                return [sub(v) for v in value]

            return array
        if kind == "string":
            decimal_format = concrete.get("format") in (None, "decimal")
            date_time = concrete.get("format") == "date-time"

            def string(value: Any) -> Any:
                if value is None:
                    return on_none()
                if isinstance(value, str):
                    return shaping.seven_digits(value) if date_time else value
                if isinstance(value, bool):
                    return "true" if value else "false"
                if decimal_format and isinstance(value, int | float):
                    return shaping._decimal_text(value)
                return str(value)

            return string
        if kind == "integer":

            def integer(value: Any) -> Any:
                if value is None:
                    return on_none()
                if isinstance(value, bool):
                    return int(value)
                if isinstance(value, int):
                    return value
                return shaping.shape(manifest, concrete, value, depth)

            return integer
        if kind == "number":

            def number(value: Any) -> Any:
                if value is None:
                    return on_none()
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return value
                return shaping.shape(manifest, concrete, value, depth)

            return number
        if kind == "boolean":

            def boolean(value: Any) -> Any:
                if value is None:
                    return on_none()
                return bool(value) if not isinstance(value, str) else value.lower() == "true"

            return boolean

        def anything(value: Any) -> Any:
            return on_none() if value is None else value

        return anything

    def _object(
        self,
        concrete: Mapping[str, Any],
        depth: int,
        on_none: Callable[[], Any],
        empty: Any,
        empty_scalar: bool,
    ) -> _Shaper:
        manifest = self.manifest
        props: Mapping[str, Any] = concrete.get("properties") or {}
        extra = concrete.get("additionalProperties")
        passthrough = not props and extra not in (None, False)
        # Per property: name, what a missing one becomes (shaping._empty at depth + 1), and the
        # JSON types a present value may already have to be kept as it is.
        fields: list[tuple[str, Any, bool, tuple[type, ...]]] = []
        for name, sub in props.items():
            default = shaping._empty(manifest, sub, depth + 1)
            fields.append((name, default, _is_scalar(default), self._kept_types(sub, depth + 1)))
        children: list[_Shaper] = []
        if passthrough:

            def passing(value: Any) -> Any:
                if value is None:
                    return on_none()
                if not isinstance(value, Mapping):
                    return empty if empty_scalar else _clone(empty)
                return dict(value)

            return passing

        def compile_children() -> None:
            children.extend(self._compile(props[f[0]], depth + 1) for f in fields)

        def not_mapping() -> Any:
            return empty if empty_scalar else _clone(empty)

        if len(fields) >= _GENERATE_FROM:
            return _object_function(fields, children, compile_children, on_none, not_mapping)

        def obj(value: Any) -> Any:
            if value is None:
                return on_none()
            if not isinstance(value, Mapping):
                return not_mapping()
            if not children:
                compile_children()
            out: dict[str, Any] = {}
            get = value.get
            for i, (name, default, scalar, kept) in enumerate(fields):
                v = get(name, _MISSING)
                if v is _MISSING:
                    out[name] = default if scalar else _clone(default)
                elif type(v) in kept:
                    out[name] = v
                else:
                    out[name] = children[i](v)
            return out

        return obj

    def _kept_types(self, schema: Mapping[str, Any], depth: int) -> tuple[type, ...]:
        """Python types a value of ``schema`` passes through ``shape`` unchanged."""
        if depth > _MAX_DEPTH:
            return ()
        concrete, _ = shaping._resolved(self.manifest, schema)
        types = [t for t in shaping._types(concrete) if t != "null"]
        kind = types[0] if types else None
        if kind == "string":
            return (str,)
        if kind == "integer":
            return (int,)
        if kind == "number":
            return (int, float)
        if kind == "boolean":
            return (bool,)
        return ()


def _object_function(
    fields: list[tuple[str, Any, bool, tuple[type, ...]]],
    children: list[_Shaper],
    compile_children: Callable[[], None],
    on_none: Callable[[], Any],
    not_mapping: Callable[[], Any],
) -> _Shaper:
    """Generate the object shaper as straight-line code: one dict display, one conditional
    expression per property. Three to four times faster than looping over the properties."""
    env: dict[str, Any] = {
        "M": _MISSING,
        "C": children,
        "Mapping": Mapping,
        "_clone": _clone,
        "on_none": on_none,
        "not_mapping": not_mapping,
        "compile_children": compile_children,
    }
    lines = [
        "def obj(value):",
        "    if value is None:",
        "        return on_none()",
        "    if not isinstance(value, Mapping):",
        "        return not_mapping()",
        "    if not C:",
        "        compile_children()",
        "    get = value.get",
        "    return {",
    ]
    for i, (name, default, scalar, kept) in enumerate(fields):
        env[f"D{i}"] = default
        env[f"K{i}"] = kept[0] if len(kept) == 1 else kept
        missing = f"D{i}" if scalar else f"_clone(D{i})"
        if not kept:
            present = f"C[{i}](v)"
        elif len(kept) == 1:
            present = f"v if type(v) is K{i} else C[{i}](v)"
        else:
            present = f"v if type(v) in K{i} else C[{i}](v)"
        lines.append(
            f"        {name!r}: ({missing} if (v := get({name!r}, M)) is M else {present}),"
        )
    lines.append("    }")
    exec(compile("\n".join(lines), "<demo-shaper>", "exec"), env)  # noqa: S102 - our own code
    shaper: _Shaper = env["obj"]
    return shaper
