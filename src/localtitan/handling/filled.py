"""An answer shaped from records as the unit filled them, without shaping their fields again.

A create answers with the records it made (a customer with its locations), and their data was
filled to the collection's stored shape when they were made (``fill_record``). Shaping that
data to the response schema again walked every field a second time, the same schema nodes with
the same values: about a sixth of a customer create's Python. :func:`filled_shaper` gives what
``Shapers.compile(schema)`` gives for such data, but takes a field as it is where shaping it
again cannot change it:

* the response declares the field with the very schema the collection stores it under (the
  two schema texts are the same, strictly: ``0`` is not ``False``), and
* that schema is *stable*: ``shape`` gives back unchanged everything it gives. It is for every
  node whose empty values are themselves unchanged by shaping (checked here, node by node:
  an enum's or a default's empty value need not be of its node's type) and which holds no
  date-time text (a string shaped from another type, such as a value's ``str``, is not padded
  to seven digits, and shaping it again would pad it) and no node deep enough that the
  depth limit would let it pass unshaped on one side only. Strings stay strings, integers
  integers, numbers numbers, booleans booleans; an object's shape holds exactly its declared
  properties, each shaped; an array's, its items shaped; a passing object's, its own items.

Every other field is shaped as :func:`~localtitan.handling.shapers._object_function` would
shape it, and a list of records at a field of :class:`Filled`'s ``items`` (the customer's
locations) is shaped by such a shaper in turn. A value that is not a dict, or lacks one of the
fields taken as they are (data that was not filled), goes to the full shaper.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from localtitan.handling import shaping
from localtitan.handling.catalog import catalog_for
from localtitan.handling.shapers import _MISSING, Shaper, Shapers, _clone, property_code

__all__ = ["Filled", "filled_shaper"]

_MAX_DEPTH = shaping._MAX_DEPTH


@dataclass(frozen=True, eq=False)
class Filled:
    """What an answer's data holds: the fields of a record of ``kind`` as ``Tx.create`` filled
    them (and maybe other fields), and at each key of ``items`` a list of such data in turn.
    A module keeps its own as a constant (the shapers are found by its identity)."""

    kind: str
    items: Mapping[str, Filled] = field(default_factory=dict)


def filled_shaper(shapers: Shapers, schema: Mapping[str, Any], filled: Filled) -> Shaper:
    """``shapers.compile(schema, 0)`` for data as ``filled`` describes (made once)."""
    cache: dict[tuple[int, int], tuple[Any, Filled, Shaper]] | None = shapers.manifest.cache.get(
        "filled_shapers"
    )
    if cache is None:
        cache = shapers.manifest.cache["filled_shapers"] = {}
    found = cache.get((id(schema), id(filled)))
    if found is not None and found[0] is schema and found[1] is filled:
        return found[2]
    shaper = _build(shapers, schema, filled, 0)
    cache[(id(schema), id(filled))] = (schema, filled, shaper)
    return shaper


def _build(shapers: Shapers, schema: Mapping[str, Any], filled: Filled, depth: int) -> Shaper:
    full = shapers.compile(schema, depth)
    manifest = shapers.manifest
    coll = catalog_for(manifest).collections.get(filled.kind)
    concrete, _ = shaping._resolved(manifest, schema)
    props: Mapping[str, Any] = concrete.get("properties") or {}
    if coll is None or not coll.properties or not props or depth >= _MAX_DEPTH:
        # Nothing filled (Tx.create keeps such a kind's data as given), or not an object
        # whose fields could be taken: the full shaper.
        return full
    stored = coll.properties
    fields, arrays, nulls, times = shapers.fields(props, depth)
    children: list[Shaper] = []

    def compile_children() -> None:
        if not children:
            children.extend(shapers.compile(props[f[0]], depth + 1) for f in fields)

    env: dict[str, Any] = {
        "M": _MISSING,
        "C": children,
        "_clone": _clone,
        "full": full,
        "compile_children": compile_children,
    }
    lines = [
        "def filled(value):",
        "    if type(value) is not dict:",
        "        return full(value)",
        "    if not C:",
        "        compile_children()",
        "    get = value.get",
        "    try:",
        "        return {",
    ]
    for i, (name, *_) in enumerate(fields):
        sub = props[name]
        inner = filled.items.get(name)
        items = _record_items(manifest, sub) if inner is not None else None
        if inner is not None and items is not None:
            # A list of records: each shaped from its filled data (an empty list is a new
            # empty list, as the array's shaper gives); anything else as before.
            env[f"P{i}"] = _build(shapers, items, inner, depth + 2)
            present = f"([P{i}(x) for x in v] if v else []) if type(v) is list else C[{i}](v)"
            code = property_code(i, fields[i], arrays, nulls, times, env, present)
        elif name in stored and _same(sub, stored[name]) and _stable(manifest, sub, depth + 1):
            code = f"value[{name!r}]"
        else:
            code = property_code(i, fields[i], arrays, nulls, times, env)
        lines.append(f"            {name!r}: ({code}),")
    lines += [
        "        }",
        "    except KeyError:",
        "        return full(value)",
    ]
    exec(compile("\n".join(lines), "<filled shaper>", "exec"), env)  # noqa: S102 - our own code
    shaper: Shaper = env["filled"]
    return shaper


def _record_items(manifest: Any, schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The items' schema of an array ``schema`` (None when it is no array)."""
    concrete, _ = shaping._resolved(manifest, schema)
    types = [t for t in shaping._types(concrete) if t != "null"]
    items = concrete.get("items")
    return items if types[:1] == ["array"] and isinstance(items, Mapping) else None


def _stable(manifest: Any, schema: Mapping[str, Any], depth: int) -> bool:
    """Whether shaping at ``depth`` gives back unchanged whatever shaping ``schema`` at ``depth``
    or at 1 (where the record's fields were shaped) gives (see the module's docstring)."""
    if depth > _MAX_DEPTH:
        return False
    concrete, _ = shaping._resolved(manifest, schema)
    for empty in (
        shaping._empty(manifest, schema, depth),
        shaping._empty(manifest, concrete, depth),
    ):
        if not _same(shaping.shape(manifest, schema, empty, depth), empty):
            return False
    types = [t for t in shaping._types(concrete) if t != "null"]
    kind = types[0] if types else ("object" if "properties" in concrete else None)
    if kind == "string":
        return concrete.get("format") != "date-time"
    if kind == "array":
        return _stable(manifest, concrete.get("items") or {}, depth + 1)
    if kind == "object" or "properties" in concrete:
        props = concrete.get("properties") or {}
        return all(_stable(manifest, sub, depth + 1) for sub in props.values())
    return True


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types throughout, keys in the same order (as JSON they are the
    same text)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(_same(v, b[k]) for k, v in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
