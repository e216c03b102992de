"""Where each operation is served: its handler, generic or behaviour, the collections it reads and
writes, and the filters it applies. ``localtitan coverage --where`` prints one operation,
``--markdown`` the whole table (``docs/operations.md``).

Everything here is read from the dispatch table the server uses (``localtitan.operations``) and
from the code that runs, so it cannot drift from what a request does.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localtitan.engine.query import conditions_for, sort_order
from localtitan.engine.related import related_conditions
from localtitan.errors import ApiError
from localtitan.handling.catalog import Catalog, Collection, catalog_for
from localtitan.handling.references import REFERENCES
from localtitan.handling.shaping import object_properties
from localtitan.operations import GENERIC, OperationTable, table_for
from localtitan.spec import Manifest, Operation
from localtitan.store.list_filters import describe as describe_condition
from localtitan.store.tables import table_name

__all__ = [
    "REGENERATE",
    "Description",
    "describe",
    "find_operations",
    "markdown",
    "render",
    "suggestion",
]

REGENERATE = "localtitan coverage --markdown > docs/operations.md"
NOT_IMPLEMENTED = "not implemented"

# Query parameters of every list that page, count or order rather than filter.
_PAGING = {"page", "pageSize", "includeTotal", "sort"}
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_KIND = re.compile(r"^([a-z][a-z-]*):[A-Za-z0-9{}/_-]+$")


@dataclass(frozen=True)
class Description:
    id: str
    module: str
    operation_id: str
    method: str
    path: str
    kind: str
    served_by: str  # "behaviour" | "generic" | "not implemented"
    handler: str | None = None  # localtitan.domain.jpm.cancel_job
    file: str | None = None  # localtitan/domain/jpm.py
    line: int | None = None
    collection: str = ""  # the collection the operation's path names
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    # Behaviours: every collection their code names (what it reads and writes).
    touches: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = field(default=())
    ignored: tuple[str, ...] = ()
    order: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["filters"] = [{"parameter": p, "condition": c} for p, c in self.filters]
        return out


# ---------------------------------------------------------------- handler


def _unwrap(fn: Any) -> tuple[str, str | None, int | None]:
    """(module.function, source file under the package root, line) of a handler. A handler
    built by a factory (``_tag_handler(...)``) is named after the factory."""
    module = getattr(fn, "__module__", None) or "?"
    qualname = str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "?"))
    qualname = qualname.split(".<locals>", 1)[0]
    try:
        source = inspect.getsourcefile(fn)
        line = inspect.getsourcelines(fn)[1]
    except (OSError, TypeError):
        return f"{module}.{qualname}", None, None
    file: str | None = None
    if source is not None:
        path = Path(source).resolve()
        try:
            file = path.relative_to(_PACKAGE_ROOT).as_posix()
        except ValueError:
            file = path.as_posix()
    return f"{module}.{qualname}", file, line


def _named_kinds(fn: Any, modules: frozenset[str]) -> list[str]:
    """The collections (``<module>:<resource>`` strings) a behaviour's code names: in its own
    constants, the module constants and closure values it uses, and the same module's helper
    functions it calls."""
    found: list[str] = []
    seen: set[int] = set()

    def is_kind(value: Any) -> bool:
        match = _KIND.match(value) if isinstance(value, str) else None
        return match is not None and match[1] in modules

    def note(value: Any) -> None:
        table = table_name(value)
        if table is not None and table != "records":
            value = f"table {table}"  # stored outside the records of collections
        elif not is_kind(value):
            return
        if value not in found:
            found.append(value)

    def visit_code(code: types.CodeType, scope: Mapping[str, Any], home: str) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                visit_code(const, scope, home)
            else:
                note(const)
        for name in code.co_names:
            value = scope.get(name)
            note(value)
            if isinstance(value, types.FunctionType) and value.__module__ == home:
                visit_function(value)

    def visit_function(f: types.FunctionType) -> None:
        for cell in f.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            note(value)
            if isinstance(value, types.FunctionType) and value.__module__ == f.__module__:
                visit_function(value)
        visit_code(f.__code__, f.__globals__, f.__module__)

    if isinstance(fn, types.FunctionType):
        visit_function(fn)
    return found


# ---------------------------------------------------------------- generic


def _types(schema: Mapping[str, Any]) -> list[str]:
    kinds = schema.get("type") or []
    return [kinds] if isinstance(kinds, str) else list(kinds)


_SAMPLE_TEXT = "VALUE"
_SAMPLE_NUMBER = 424242
_SAMPLE_TIME = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def _sample(manifest: Manifest, schema: Mapping[str, Any]) -> Any:
    """A value of the parameter's type, as validation hands it to a handler."""
    concrete = manifest.resolve(schema) if "$ref" in schema else schema
    if concrete.get("enum"):
        return concrete["enum"][0]
    kinds = _types(concrete)
    if "array" in kinds:
        return [_sample(manifest, concrete.get("items") or {})]
    if "boolean" in kinds:
        return True
    if "integer" in kinds or "number" in kinds:
        return _SAMPLE_NUMBER
    if concrete.get("format") in ("date-time", "date"):
        return _SAMPLE_TIME
    return _SAMPLE_TEXT


_LITERALS = (
    re.compile(r"'[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+(\+00:00|Z)?'"),
    re.compile(rf"'{_SAMPLE_TEXT}'", re.IGNORECASE),
    re.compile(rf"'?\b{_SAMPLE_NUMBER}(\.0)?\b'?"),
)


def _sql(condition: Any) -> str:
    text = describe_condition(condition)
    for pattern in _LITERALS:
        text = pattern.sub(":value", text)
    return " ".join(text.split())


def _filters(
    manifest: Manifest, op: Operation, coll: Collection
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(parameter, SQL condition) for each query parameter the generic list or export turns into
    a filter, and the query parameters it accepts but does not filter on."""
    applied: list[tuple[str, str]] = []
    ignored: list[str] = []
    for param in op.parameters:
        if param.location != "query" or param.name in _PAGING:
            continue
        if op.kind == "export" and param.name == "from":
            # The feed's position (engine.generic._export_handler): a token or a date.
            applied.append(
                (
                    "from",
                    "records.row_version > :position (a continueFrom token), or "
                    "records.modified_on >= :value (a date)",
                )
            )
            continue
        if op.kind == "export" and param.name != "active":
            ignored.append(param.name)  # an export filters on its position and active alone
            continue
        if param.name == "active":
            conds = conditions_for({}, coll.properties, has_active=True)
            applied.append(
                (param.name, f"{_sql(conds[0])} (by default; False: inactive, Any: all)")
            )
            continue
        conds = []
        # The typed value first; an id list typed as text (``ids=1,2``) takes digits.
        for value in (_sample(manifest, param.schema), str(_SAMPLE_NUMBER)):
            query = {param.name: value}
            try:
                conds = conditions_for(query, coll.properties, has_active=False)
                if op.kind == "list":
                    conds += related_conditions(coll.kind, query)
                break
            except ApiError:
                continue
        if conds:
            applied.append((param.name, " AND ".join(_sql(c) for c in conds)))
        else:
            ignored.append(param.name)
    return tuple(applied), tuple(ignored)


def _order(op: Operation, coll: Collection) -> str:
    if op.kind == "export":
        return "row version (the feed's order)"
    if op.kind != "list":
        return ""
    if not any(p.name == "sort" for p in op.parameters):
        return "id"
    fields = [f for f in ("id", "createdOn", "modifiedOn", "name") if f in coll.properties]
    try:
        sample = (
            ", ".join(_sql(c) for c in sort_order(f"-{fields[-1]}", coll.properties))
            if fields
            else ""
        )
    except ApiError:
        sample = ""
    hint = f" (sort=-{fields[-1]}: {sample})" if sample else ""
    return f"id, or the sort parameter{hint}"


def _parent(catalog: Catalog, coll: Collection) -> str | None:
    # The collection a nested path's parent id names (customers/{}/notes -> customers).
    if not coll.has_parent:
        return None
    head = f"{coll.module}:{coll.resource.rsplit('/{}/', 1)[0]}"
    return head if head in catalog.collections else None


def _referenced(catalog: Catalog, op: Operation) -> list[str]:
    """Collections a generic create or update checks the body's ids against."""
    if op.request_body is None:
        return []
    schema = op.request_body.get("schema") or op.request_body
    try:
        props = object_properties(catalog.manifest, schema)
    except (KeyError, ValueError):
        return []
    return [kind for name, kind in REFERENCES.items() if name in props]


def _generic(catalog: Catalog, op: Operation, coll: Collection) -> dict[str, Any]:
    parent = _parent(catalog, coll) if "{" in op.path.replace("{tenant}", "") else None
    checked = [parent] if parent else []
    out: dict[str, Any] = {}
    if op.kind in ("list", "get", "export"):
        out["reads"] = (coll.kind, *checked)
        if op.kind != "get":
            out["filters"], out["ignored"] = _filters(catalog.manifest, op, coll)
            out["order"] = _order(op, coll)
    elif op.kind == "create":
        out["reads"] = tuple(dict.fromkeys([*checked, *_referenced(catalog, op)]))
        out["writes"] = (coll.kind,)
    elif op.kind in ("update", "replace"):
        out["reads"] = tuple(dict.fromkeys([coll.kind, *_referenced(catalog, op)]))
        out["writes"] = (coll.kind,)
    elif op.kind == "delete":
        out["reads"] = (coll.kind,)
        out["writes"] = (coll.kind,)
    return out


# ---------------------------------------------------------------- describe


def describe(manifest: Manifest, op: Operation, table: OperationTable | None = None) -> Description:
    table = table if table is not None else table_for(manifest)
    catalog = catalog_for(manifest)
    coll = catalog.collection(op)
    base: dict[str, Any] = {
        "id": op.id,
        "module": op.module,
        "operation_id": op.operation_id,
        "method": op.method,
        "path": op.path,
        "kind": op.kind,
        "collection": coll.kind,
    }
    served = table.get(op.id)
    if served is None:
        return Description(served_by=NOT_IMPLEMENTED, **base)
    handler, file, line = _unwrap(served.handler)
    more: dict[str, Any] = {}
    if served.how == GENERIC:
        more = _generic(catalog, op, coll)
    else:
        more["touches"] = tuple(_named_kinds(served.handler, frozenset(manifest.modules)))
    return Description(served_by=served.how, handler=handler, file=file, line=line, **base, **more)


def find_operations(manifest: Manifest, name: str) -> list[Operation]:
    """The operations ``name`` names: ``jpm.Jobs_Cancel``, or a bare ``Jobs_Cancel`` (one per
    module that has it). Case is ignored when nothing matches exactly."""
    name = name.strip()
    exact = [op for op in manifest.operations if name in (op.id, op.operation_id)]
    if exact:
        return exact
    lower = name.lower()
    return [op for op in manifest.operations if lower in (op.id.lower(), op.operation_id.lower())]


def suggestion(manifest: Manifest, name: str) -> str:
    """``; did you mean Jobs_Cancel?`` for a near miss, else a reminder of the form."""
    names = sorted({n for op in manifest.operations for n in (op.id, op.operation_id)})
    close = difflib.get_close_matches(name.strip(), names, n=1)
    return f"; did you mean {close[0]}?" if close else " (use an operationId such as Jobs_Cancel)."


def _join(values: Iterable[str]) -> str:
    return ", ".join(values) or "nothing"


def render(d: Description) -> str:
    """The description as a person reads it."""
    lines = [f"{d.id}  {d.method} {d.path}"]
    if d.served_by == NOT_IMPLEMENTED:
        lines.append("  handler:     none: it answers 501 (not implemented)")
        lines.append(f"  collection:  {d.collection} (the one its path names)")
        return "\n".join(lines)
    where = f"  ({d.file}:{d.line})" if d.file else ""
    lines.append(f"  handler:     {d.handler}{where}")
    if d.served_by == GENERIC:
        lines.append(f"  served by:   generic {d.kind} handler")
        lines.append(f"  reads:       {_join(d.reads)}")
        lines.append(f"  writes:      {_join(d.writes)}")
    else:
        lines.append("  served by:   behaviour")
        lines.append(f"  collection:  {d.collection} (the one its path names)")
        lines.append(f"  touches:     {_join(d.touches)} (named in its code)")
    if d.served_by == GENERIC and d.kind in ("list", "export"):
        if d.filters:
            width = max(len(p) for p, _ in d.filters)
            lines.append("  filters:")
            lines.extend(f"    {p.ljust(width)}  {c}" for p, c in d.filters)
        else:
            lines.append("  filters:     none")
        if d.ignored:
            lines.append(f"  accepted, not filtered on: {', '.join(d.ignored)}")
        if d.order:
            lines.append(f"  order:       {d.order}")
    elif d.served_by == GENERIC:
        lines.append("  filters:     none (the path's ids)")
    else:
        lines.append("  filters:     those its code applies")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(manifest: Manifest) -> str:
    """``docs/operations.md``: one row per operation."""
    table = table_for(manifest)
    rows = [describe(manifest, op, table) for op in manifest.operations]
    done = sum(r.served_by != NOT_IMPLEMENTED for r in rows)
    behaviours = sum(r.served_by == "behaviour" for r in rows)
    out = [
        "# Operations and their handlers",
        "",
        f"<!-- Generated by `{REGENERATE}`; do not edit by hand. -->",
        "",
        f"{len(rows)} operations: {behaviours} served by a behaviour (`localtitan/domain/`), "
        f"{done - behaviours} by a generic handler (`localtitan/engine/generic.py`), "
        f"{len(rows) - done} not implemented (they answer 501). "
        "`localtitan coverage --where OPERATION_ID` shows one operation's handler, the "
        "collections it reads and writes and the filters it applies.",
        "",
        "A behaviour module keeps its own table, `HANDLERS = Handlers(__name__)` with "
        "`register = HANDLERS.register`, and serves an operation with "
        '`@register("jpm.Jobs_Cancel")`; '
        "`localtitan.operations` lists the modules (`BEHAVIOURS`), checks every id against the "
        "manifest when the server starts and gives every other operation the generic handler of "
        "its kind. Neither `localtitan.engine` nor `localtitan.domain` imports the other: what "
        "both use is in `localtitan.handling`.",
        "",
        "| module | operationId | method and path | handler | served by | collection |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        handler = f"`{r.handler.removeprefix('localtitan.')}`" if r.handler else "—"
        out.append(
            f"| {r.module} | {r.operation_id} | `{r.method} {_cell(r.path)}` | {handler} "
            f"| {r.served_by} | `{r.collection}` |"
        )
    return "\n".join(out) + "\n"
