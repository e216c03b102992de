"""Generic handlers: list, get, create, update, replace, delete and export, for any collection.

Each is built from the operation's manifest entry alone; the dispatch table
(``localtitan.operations``) uses one for every operation no behaviour module serves.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from localtitan.engine.continuation import decode_token, encode_token
from localtitan.engine.page_cache import PageCache
from localtitan.engine.projection import Projection, as_stored, projection
from localtitan.engine.query import (
    INT64_MAX,
    INT64_MIN,
    conditions_for,
    page_bounds,
    sort_order,
    sort_text,
)
from localtitan.engine.related import related_conditions
from localtitan.errors import ApiError
from localtitan.handling.call import Call, Handler, Result
from localtitan.handling.catalog import Catalog, Collection, catalog_for, response_schema
from localtitan.handling.external_data import unwrap_external_data
from localtitan.handling.references import check_references
from localtitan.handling.shaping import fill_record, object_properties, shape
from localtitan.handling.unit import Tx, writing
from localtitan.spec import Operation
from localtitan.store.conditions import Col, Cond, IsTrue
from localtitan.store.export_pages import export_page, in_envelope
from localtitan.store.filtered_pages import FilteredPage, filtered_page
from localtitan.store.list_pages import PlainPage, plain_page
from localtitan.store.record_reads import Found, find_record
from localtitan.store.records import (
    Stored,
    decode,
    encode,
    format_time,
    parse_time,
)

__all__ = ["DEFAULT_PAGE_SIZE", "EXPORT_PAGE_SIZE", "MAX_PAGE_SIZE", "generic_handler"]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000
# Lists whose reference documents a lower maximum ("Maximum value is 500").
_LOWER_MAXIMUM = {
    "accounting.JournalEntries_GetList": 500,
    "accounting.JournalEntries_GetDetails": 500,
    "accounting.JournalEntries_GetSummary": 500,
}
EXPORT_PAGE_SIZE = 1000
_PARAM = re.compile(r"{(\w+)}")
_SYSTEM_FIELDS = ("id", "createdOn", "modifiedOn", "createdById", "modifiedById")


@functools.lru_cache(maxsize=4096)
@functools.cache  # one per operation path; read on every list and get
def _path_names(path: str) -> tuple[str, ...]:
    return tuple(p for p in _PARAM.findall(path) if p != "tenant")


def _path_params(op: Operation) -> list[str]:
    return list(_path_names(op.path))


def _id_names(op: Operation, coll: Collection) -> tuple[str | None, str | None]:
    """The path parameters naming (the parent, the record); either may be None."""
    names = _path_names(op.path)
    item = op.path.endswith("}")
    record = names[-1] if item and names else None
    before = names[:-1] if item else names
    return (before[-1] if coll.has_parent and before else None), record


def _ids_from_path(op: Operation, coll: Collection, call: Call) -> tuple[Any, Any]:
    """(parent id, record id) named by the path; either may be None."""
    parent, record = _id_names(op, coll)
    path = call.path
    return (
        None if parent is None else path.get(parent),
        None if record is None else path.get(record),
    )


def _not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, f"{what} with ID {ident} was not found.", data={"id": str(ident)})


def _label(coll: Collection) -> str:
    last = coll.resource.split("/")[-1].replace("-", " ")
    return last[:1].upper() + last[1:]


async def _lookup(tx: Tx, coll: Collection, record_id: Any) -> Stored | None:
    if coll.id_is_guid:
        return await tx.find_by_guid(coll.kind, record_id)
    return await tx.find(coll.kind, record_id)


def _int(value: Any) -> int | None:
    """The record id in ``value``; None when it is no int64 (no record has such an id)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            return None
    return number if INT64_MIN <= number <= INT64_MAX else None


def _parent_collection(catalog: Catalog, coll: Collection) -> Collection | None:
    head = coll.resource.rsplit("/{}/", 1)[0]
    return catalog.collections.get(f"{coll.module}:{head}")


async def _check_parent(call: Call, catalog: Catalog, coll: Collection, parent_id: Any) -> None:
    if parent_id is None:
        return
    parent = _parent_collection(catalog, coll)
    if parent is None:
        return
    if await _find_stored(call, parent, parent_id) is None:
        raise _not_found(_label(parent), parent_id)


def _json(data: Any, status: int = 200) -> Result:
    return Result(status=status, body=encode(data))


def _success_status(op: Operation) -> int:
    for code in ("200", "201", "204"):
        if code in op.responses:
            return int(code)
    return 200


def _respond(catalog: Catalog, op: Operation, record: Mapping[str, Any]) -> Result:
    status = _success_status(op)
    schema = response_schema(op)
    if schema is None or status == 204:
        return Result(status=status, body=b"", content_type="application/json")
    concrete = catalog.manifest.resolve(schema) if "$ref" in schema else schema
    props = object_properties(catalog.manifest, concrete)
    if list(props) == ["data"]:
        # ``Result_Of_...``: the record wrapped as {"data": {...}} (materials markup).
        return _json({"data": shape(catalog.manifest, props["data"], record)}, status)
    types = concrete.get("type") or []
    if isinstance(types, str):
        types = [types]
    if "object" in types or "properties" in concrete:
        return _json(shape(catalog.manifest, schema, record), status)
    if "integer" in types or "string" in types:
        return _json(record.get("id"), status)
    return _json(shape(catalog.manifest, schema, record), status)


# ---------------------------------------------------------------- plans

_Plan = TypeVar("_Plan")


class _LastPlan(Generic[_Plan]):
    """One operation's plan for the manifest last served (every runtime of a process has the
    same one): a handler finds it without the plan cache's look-up per request."""

    __slots__ = ("_build", "_last", "_op")

    def __init__(self, build: Callable[[Catalog, Operation], _Plan], op: Operation) -> None:
        self._build = build
        self._op = op
        self._last: tuple[Any, _Plan] | None = None

    def plan_for(self, manifest: Any) -> _Plan:
        last = self._last
        if last is not None and last[0] is manifest:
            return last[1]
        plan = self._build(catalog_for(manifest), self._op)
        self._last = (manifest, plan)
        return plan


# ---------------------------------------------------------------- list


@dataclass(frozen=True, slots=True)
class _ListPlan:
    """What a list operation needs that does not change from call to call."""

    catalog: Catalog
    coll: Collection
    has_active: bool
    first: int  # the first page's number: 1, or 0 where the document says so
    largest: int
    total_required: bool
    parent_name: str | None  # the path parameter naming the parent (_id_names)
    projection: Projection
    head: _Head


_list_plans: dict[tuple[int, str], _ListPlan] = {}
_ACTIVE = {True: IsTrue(Col("active")), False: IsTrue(Col("active"), negated=True)}


def _list_plan(catalog: Catalog, op: Operation) -> _ListPlan:
    key = (id(catalog), op.id)
    plan = _list_plans.get(key)
    if plan is None:
        first, largest = page_bounds(op, _LOWER_MAXIMUM.get(op.id, MAX_PAGE_SIZE))
        coll = catalog.collection(op)
        plan = _list_plans[key] = _ListPlan(
            catalog=catalog,
            coll=coll,
            has_active=any(p.name == "active" for p in op.parameters),
            first=first,
            largest=largest,
            total_required=_total_required(catalog, op),
            parent_name=_id_names(op, coll)[0],
            projection=_projection_for(catalog, op, coll),
            head=_head_of(catalog, op),
        )
    return plan


def _plain_active(extra: list[Any]) -> tuple[bool, bool | None]:
    """(True, the ``active`` choice) when the filters are no more than that choice; the page is
    then the plain shape that store/list_pages.py answers with its own statements."""
    if not extra:
        return True, None
    if len(extra) == 1:
        for value, cond in _ACTIVE.items():
            if extra[0] == cond:
                return True, value
    return False, None


# conditions_for, related_conditions and sort_text are pure functions of their arguments:
# what a query seen before (the same parameters and values, say ``pageSize=50``) means is
# reused: its conditions, whether they are the plain shape, the related conditions and the
# sort. Only queries whose values can be keys are remembered.
_FILTERS_MAX = 1024
_QueryPlan = tuple[list[Cond], bool, bool | None, list[Cond], str | None]
_filters_seen: OrderedDict[tuple[Any, ...], _QueryPlan] = OrderedDict()


def _filters(query: Mapping[str, Any], coll: Collection, has_active: bool) -> _QueryPlan:
    """(conditions, plain shape, active choice, related conditions, sort) for a list query
    (engine/query.py's filters, engine/related.py's)."""
    key: tuple[Any, ...] | None
    try:
        key = (coll.kind, has_active, frozenset(query.items()))
        hit = _filters_seen.get(key)
    except TypeError:  # a list value
        key, hit = None, None
    if hit is not None:
        return hit
    conds = conditions_for(query, coll.properties, has_active=has_active, kind=coll.kind)
    found = (
        conds,
        *_plain_active(conds),
        related_conditions(coll.kind, query),
        sort_text(query),
    )
    if key is not None:
        _filters_seen[key] = found
        if len(_filters_seen) > _FILTERS_MAX:
            _filters_seen.popitem(last=False)
    return found


def _list_handler(op: Operation) -> Handler:
    plan_for = _LastPlan(_list_plan, op).plan_for

    async def handle(call: Call) -> Result:
        plan = plan_for(call.runtime.manifest)
        catalog, coll = plan.catalog, plan.coll
        parent_id = None if plan.parent_name is None else call.path.get(plan.parent_name)
        if parent_id is not None:
            await _check_parent(call, catalog, coll, parent_id)
        first, largest = plan.first, plan.largest
        query = call.query
        page = query.get("page")
        page = first if page is None else page
        size = query.get("pageSize")
        size = DEFAULT_PAGE_SIZE if size is None else size
        if page < first or size < 1 or size > largest:
            errors: dict[str, list[str]] = {}
            if page < first:
                errors["page"] = [f"The page must be {first} or more."]
            if size < 1 or size > largest:
                errors["pageSize"] = [f"The page size must be between 1 and {largest}."]
            raise ApiError(400, "One or more validation errors occurred.", errors=errors)
        shown, page = page, page - first + 1  # a list numbered from 0 (docs/decisions/0130)
        db = call.runtime.db
        env = call.environment.value
        # What the filters mean is engine/query.py's and engine/related.py's (plain data);
        # their statements are the store's (store/list_pages.py, store/filtered_pages.py).
        filters, plain, active, related, sort = _filters(query, coll, plan.has_active)
        with_total = bool(query.get("includeTotal")) or plan.total_required
        parent = _int(parent_id) if parent_id is not None else None
        projection = plan.projection
        if plain and not sort and not related:
            read = await plain_page(
                db.reads,
                PlainPage(
                    env,
                    call.tenant_id,
                    coll.kind,
                    active,
                    parent,
                    page,
                    size,
                    (id(db), env, call.tenant_id, coll.kind, parent, "plain", active, size),
                    with_total,
                ),
                _pages,
                # Served as stored: the store may hand back the page's records joined.
                joined=projection is as_stored,
            )
        else:
            order = sort_order(sort, coll.properties) if sort else None
            query_key = tuple(
                sorted((k, repr(v)) for k, v in query.items() if k not in ("page", "includeTotal"))
            )
            read = await filtered_page(
                db.reads,
                db.engine.dialect,
                FilteredPage(
                    env,
                    call.tenant_id,
                    coll.kind,
                    (*filters, *related),
                    order,
                    parent,
                    page,
                    size,
                    with_total,
                    (id(db), env, call.tenant_id, coll.kind, parent_id, query_key, size),
                ),
                _pages,
            )
        items: Sequence[bytes | memoryview]
        if read.joined is not None:
            has_more = read.has_more
            items = [read.joined] if read.joined else []
        else:
            rows = read.rows
            has_more = len(rows) > size
            items = projection(rows[:size])
        head = (shown, size, has_more, read.total, call.tenant_id)
        return Result(200, _envelope(catalog, op, plan.head, head, items))

    return handle


_pages = PageCache()


_projections: dict[tuple[int, str], Projection] = {}


def _project(catalog: Catalog, op: Operation, coll: Collection, rows: Any) -> list[bytes]:
    return _projection_for(catalog, op, coll)(rows)


def _projection_for(catalog: Catalog, op: Operation, coll: Collection) -> Projection:
    key = (id(catalog), op.id)
    found = _projections.get(key)
    if found is None:
        found = _projections[key] = _projection(catalog, op, coll)
    return found


def _projection(catalog: Catalog, op: Operation, coll: Collection) -> Projection:
    """How stored records become this operation's items, decided once per operation
    (engine/projection.py)."""
    item = catalog.item_schema(op)
    declared = object_properties(catalog.manifest, item) if item is not None else {}
    return projection(catalog.manifest, coll.properties, item, declared)


def _total_required(catalog: Catalog, op: Operation) -> bool:
    """Some envelopes (``CollectionResult_Of_...``) declare a non-null ``totalCount``."""
    schema = response_schema(op)
    if schema is None:
        return False
    concrete = catalog.manifest.resolve(schema)
    total = (concrete.get("properties") or {}).get("totalCount")
    if not isinstance(total, Mapping) or "totalCount" not in (concrete.get("required") or []):
        return False
    kinds = total.get("type") or []
    return "null" not in ([kinds] if isinstance(kinds, str) else kinds)


# An envelope's head: None (no schema: page, pageSize, hasMore, totalCount), "array" (a bare
# array of items), or the schema and the properties the head shapes.
_Head = tuple[Mapping[str, Any], tuple[str, ...], bool] | str | None
_heads: dict[tuple[int, str], _Head] = {}
# The encoded head for the values seen (page 1 of 50 with more to come...), most recent last.
_HEADS_MAX = 4096
_head_bytes: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def _head_of(catalog: Catalog, op: Operation) -> _Head:
    key = (id(catalog), op.id)
    if key in _heads:
        return _heads[key]
    schema = response_schema(op)
    head: _Head = None
    if schema is not None:
        concrete = catalog.manifest.resolve(schema)
        if concrete.get("items") is not None and "properties" not in concrete:
            head = "array"
        else:
            props = object_properties(catalog.manifest, concrete)
            fields = {k: v for k, v in props.items() if k != "data"}
            head_schema = {**concrete, "properties": fields}
            head = (head_schema, tuple(props), "data" in props)
    _heads[key] = head
    return head


def _wrapped(opening: bytes, items: Sequence[bytes | memoryview], closing: bytes) -> bytes:
    """``opening + b",".join(items) + closing`` with the page's bytes copied once, not once per
    concatenation (a 28 KB page was copied four times)."""
    if not items:
        return opening + closing
    if len(items) == 1:
        return b"".join((opening, items[0], closing))
    return b",".join([opening + items[0], *items[1:-1], b"".join((items[-1], closing))])


# What an envelope's head may hold, in the order of _envelope's ``values``.
_KNOWN = ("page", "pageSize", "hasMore", "totalCount", "tenantId")


def _envelope(
    catalog: Catalog,
    op: Operation,
    head_plan: _Head,
    values: tuple[int, int, bool, int | None, int],
    items: Sequence[bytes | memoryview],
) -> bytes:
    """The operation's list envelope (``head_plan``: _head_of's) around already-encoded items
    (or a bare array); ``values`` are page, pageSize, hasMore, totalCount and tenantId."""
    if head_plan is None:
        head = encode(dict(zip(_KNOWN[:4], values, strict=False)))
        return _wrapped(head[:-1] + b',"data":[', items, b"]}")
    if isinstance(head_plan, str):
        return _wrapped(b"[", items, b"]")  # a bare array
    head_schema, names, has_data = head_plan
    # The head is a function of the values (the few a client's pages take), so it is encoded
    # once for each.
    memo = (id(catalog), op.id, values)
    cached = _head_bytes.get(memo)
    if cached is not None:
        head = cached
    else:
        known = dict(zip(_KNOWN, values, strict=True))
        fields = {k: known.get(k) for k in names}
        head = encode(shape(catalog.manifest, head_schema, fields))
        _head_bytes[memo] = head
        if len(_head_bytes) > _HEADS_MAX:
            _head_bytes.popitem(last=False)
    if not has_data:
        return head
    separator = b"," if len(head) > 2 else b""
    return _wrapped(head[:-1] + separator + b'"data":[', items, b"]}")


# ---------------------------------------------------------------- get


@dataclass(frozen=True, slots=True)
class _GetPlan:
    coll: Collection
    # The stored JSON is the response as it is: this operation declares the very fields stored.
    as_stored: bool
    # ``Result_Of_...``: the record wrapped as {"data": {...}}.
    wrapped: Mapping[str, Any] | None
    status: int
    # The path parameters naming the parent and the record (_id_names).
    parent_name: str | None
    record_name: str | None


_get_plans: dict[tuple[int, str], _GetPlan] = {}


def _get_plan(catalog: Catalog, op: Operation) -> _GetPlan:
    key = (id(catalog), op.id)
    plan = _get_plans.get(key)
    if plan is not None:
        return plan
    coll = catalog.collection(op)
    schema = response_schema(op)
    status = _success_status(op)
    wrapped = None
    as_stored = False
    if schema is not None and status != 204:
        props = object_properties(catalog.manifest, schema)
        if "data" in props and len(props) == 1:
            wrapped = props["data"]
        else:
            concrete = catalog.manifest.resolve(schema) if "$ref" in schema else schema
            types = concrete.get("type") or []
            types = [types] if isinstance(types, str) else types
            is_object = "object" in types or "properties" in concrete
            as_stored = is_object and bool(props) and props == coll.properties
    plan = _get_plans[key] = _GetPlan(coll, as_stored, wrapped, status, *_id_names(op, coll))
    return plan


def _get_handler(op: Operation) -> Handler:
    plan_for = _LastPlan(_get_plan, op).plan_for

    async def handle(call: Call) -> Result:
        manifest = call.runtime.manifest
        plan = plan_for(manifest)
        coll = plan.coll
        path = call.path
        record_id = None if plan.record_name is None else path.get(plan.record_name)
        found = await _find_stored(call, coll, record_id)
        if found is None:
            raise _not_found(_label(coll), record_id)
        if plan.parent_name is not None:
            parent_id = path.get(plan.parent_name)
            if parent_id is not None and found.parent_id != _int(parent_id):
                raise _not_found(_label(coll), record_id)
        if plan.as_stored:
            raw = found.data
            return Result(plan.status, raw.encode() if isinstance(raw, str) else raw)
        catalog = catalog_for(manifest)
        data = decode(found.data)
        if plan.wrapped is not None:
            return _json({"data": shape(catalog.manifest, plan.wrapped, data)})
        return _respond(catalog, op, data)

    return handle


def _find_stored(call: Call, coll: Collection, record_id: Any) -> Awaitable[Found | None]:
    """The live record ``record_id`` names, read on the driver (store/record_reads.py).
    Not a coroutine itself: it hands back the store's, one await layer fewer a get."""
    env = call.environment.value
    reads = call.runtime.db.reads
    if coll.id_is_guid:
        guid = str(record_id).lower()
        return find_record(reads, env, call.tenant_id, coll.kind, id=None, guid=guid)
    if type(record_id) is int and INT64_MIN <= record_id <= INT64_MAX:
        rid: int | None = record_id  # what validation made of the path's integer
    else:
        rid = _int(record_id)
        if rid is None:
            return _no_record()
    return find_record(reads, env, call.tenant_id, coll.kind, id=rid, guid=None)


async def _no_record() -> None:
    return None


# ---------------------------------------------------------------- create


def _create_handler(op: Operation) -> Handler:
    async def handle(call: Call) -> Result:
        catalog = catalog_for(call.runtime.manifest)
        coll = catalog.collection(op)
        parent_id, _ = _ids_from_path(op, coll, call)
        await _check_parent(call, catalog, coll, parent_id)
        body = call.body if isinstance(call.body, Mapping) else {}
        await check_references(call, catalog, body)
        body = unwrap_external_data(body)
        async with writing(call) as tx:
            # The counter's time, not one taken before waiting for it (docs/decisions/0002).
            now = tx.now
            record_id = tx.new_ids(1)
            guid = str(uuid.uuid4()) if coll.id_is_guid else None
            data = {
                **body,
                "id": guid or record_id,
                "active": body.get("active", True)
                if isinstance(body.get("active"), bool)
                else True,
                "createdOn": format_time(now),
                "modifiedOn": format_time(now),
                "createdById": call.app_id,
                "modifiedById": call.app_id,
            }
            stored = Stored(
                coll.kind,
                record_id,
                fill_record(catalog.manifest, coll, data),
                parent_id=_int(parent_id),
                guid=guid,
                active=bool(data["active"]),
                created_on=now,
                modified_on=now,
            )
            tx.put(stored, new=True)
        return _respond(catalog, op, stored.data)

    return handle


# ---------------------------------------------------------------- update / replace


@asynccontextmanager
async def _existing(
    call: Call, coll: Collection, record_id: Any, parent_id: Any
) -> AsyncIterator[tuple[Tx, Stored]]:
    """One write unit on an existing record: the tenant's counter is taken first (it orders
    the write and gives its time, ``tx.now``), then the record is found, or 404 when missing
    or under another parent."""
    async with writing(call) as tx:
        found = await _lookup(tx, coll, record_id)
        if found is None or (parent_id is not None and found.parent_id != _int(parent_id)):
            raise _not_found(_label(coll), record_id)
        yield tx, found


def _merge(current: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(current)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_request_fields_seen: dict[tuple[int, str], frozenset[str] | None] = {}


def _request_fields(catalog: Catalog, op: Operation) -> frozenset[str] | None:
    """The top-level fields ``op``'s JSON body declares, or None when it declares no object;
    worked out once per operation, as the list plans are."""
    key = (id(catalog), op.id)
    if key not in _request_fields_seen:
        schema = (op.request_body or {}).get("schema")
        props = object_properties(catalog.manifest, schema) if schema else None
        _request_fields_seen[key] = frozenset(props) if props else None
    return _request_fields_seen[key]


def _update_handler(op: Operation, *, replace: bool) -> Handler:
    async def handle(call: Call) -> Result:
        catalog = catalog_for(call.runtime.manifest)
        coll = catalog.collection(op)
        parent_id, record_id = _ids_from_path(op, coll, call)
        body = call.body if isinstance(call.body, Mapping) else {}
        body = {k: v for k, v in body.items() if k not in _SYSTEM_FIELDS}
        await check_references(call, catalog, body)
        async with _existing(call, coll, record_id, parent_id) as (tx, found):
            now = tx.now
            body = unwrap_external_data(body, found.data.get("externalData"))
            if replace:
                # A replace sets what its request can name; what it cannot (``active`` on
                # most, computed fields) stays as it was rather than falling to a default.
                named = _request_fields(catalog, op)
                kept = {
                    k: v
                    for k, v in found.data.items()
                    if k in _SYSTEM_FIELDS or (named is not None and k not in named)
                }
                data = {**body, **kept}
            else:
                data = _merge(found.data, body)
            data["modifiedOn"] = format_time(now)
            if "modifiedById" in coll.properties:
                data["modifiedById"] = call.app_id
            found.data = fill_record(catalog.manifest, coll, data)
            found.active = bool(found.data.get("active", found.active))
            found.modified_on = now
            tx.put(found, new=False)
        return _respond(catalog, op, found.data)

    return handle


# ---------------------------------------------------------------- delete


def _delete_handler(op: Operation) -> Handler:
    async def handle(call: Call) -> Result:
        catalog = catalog_for(call.runtime.manifest)
        coll = catalog.collection(op)
        parent_id, record_id = _ids_from_path(op, coll, call)
        async with _existing(call, coll, record_id, parent_id) as (tx, found):
            now = tx.now
            # Deleted records stay in the table: export feeds must still report them.
            found.deleted = True
            found.active = False
            if "active" in found.data:
                found.data["active"] = False
            found.data["modifiedOn"] = format_time(now)
            found.modified_on = now
            tx.put(found, new=False)
        status = _success_status(op)
        schema = response_schema(op)
        if schema is None or status == 204:
            return Result(status=status, body=b"")
        # A few deletes answer a result object ({id} or {id, message}) rather than nothing.
        own_id = found.guid if coll.id_is_guid and found.guid else found.id
        result = {"id": own_id, "message": f"{_label(coll)} {own_id} was deleted."}
        return Result(status=status, body=encode(shape(catalog.manifest, schema, result)))

    return handle


# ---------------------------------------------------------------- export


def _feed(call: Call, coll: Collection) -> str:
    """What a continuation token is bound to: one collection of one tenant's environment."""
    return f"{call.environment.value}:{call.tenant_id}:{coll.kind}"


def _export_from(call: Call, coll: Collection) -> tuple[int, datetime | None]:
    """(row version to continue after, start date) named by ``from``: a continuation token of
    this feed, or a date."""
    start = call.query.get("from")
    if not start:
        return 0, None
    position = decode_token(call.runtime.server_key, _feed(call, coll), str(start))
    if position is not None:
        return position
    try:
        return 0, parse_time(str(start)).astimezone(UTC)
    except OverflowError:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={
                "from": [
                    f"The date '{str(start)[:40]}' is out of range: use a date "
                    "from 0001-01-01 to 9999-12-31T23:59:59.999999Z (UTC)."
                ]
            },
        ) from None
    except ValueError:
        raise ApiError(
            400,
            "One or more validation errors occurred.",
            errors={
                "from": [
                    "Use the continueFrom token of a previous export, or a date such as 2024-01-01."
                ]
            },
        ) from None


def _export_active(op: Operation, call: Call) -> bool | None:
    """The ``active`` choice of an export that declares it (as engine/query.py reads it for
    lists); an export without one, or with ``Any``, includes every record."""
    if call.query.get("active") is None or not any(p.name == "active" for p in op.parameters):
        return None
    return _ACTIVE_CHOICE.get(str(call.query["active"]).lower())


_ACTIVE_CHOICE = {"true": True, "false": False}


def _export_handler(op: Operation) -> Handler:
    # The page itself is the store's (store/export_pages.py): one statement on the driver,
    # the stored JSON joined into the envelope as it is.
    async def handle(call: Call) -> Result:
        catalog = catalog_for(call.runtime.manifest)
        coll = catalog.collection(op)
        after, since = _export_from(call, coll)
        page = await export_page(
            call.runtime.db.reads,
            call.environment.value,
            call.tenant_id,
            coll.kind,
            after=after,
            since=since,
            active=_export_active(op, call),
            size=EXPORT_PAGE_SIZE,
        )
        token = encode_token(call.runtime.server_key, _feed(call, coll), page.last, since)
        rows = page.rows
        if _projection_for(catalog, op, coll) is not as_stored:
            rows = _project(catalog, op, coll, rows)
        head = encode({"hasMore": page.has_more, "continueFrom": token})
        return Result(body=in_envelope(head, rows))

    return handle


# ---------------------------------------------------------------- registration


def generic_handler(op: Operation) -> Handler | None:
    if op.kind == "list" and not op.path.endswith("}"):
        return _list_handler(op)
    if op.kind == "get":
        return _get_handler(op)
    if op.kind == "create" and op.request_body is not None:
        return _create_handler(op)
    if op.kind == "update":
        return _update_handler(op, replace=False)
    if op.kind == "replace":
        return _update_handler(op, replace=True)
    if op.kind == "delete":
        return _delete_handler(op)
    if op.kind == "export":
        return _export_handler(op)
    return None
