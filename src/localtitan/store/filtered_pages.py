"""List pages with filters or a sort order, read on the drivers (:mod:`localtitan.store.drivers`).

The page's conditions arrive as plain data (:mod:`localtitan.store.conditions`); its statements
are written and compiled once per shape (:func:`localtitan.store.list_filters.prepared`) and
each request binds its values. Id-ordered pages use the page cache as plain pages do
(:mod:`localtitan.store.list_pages`); a page is one read: the collection's version, where the
page starts, the page and its total are one transaction's statements.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect

from localtitan.store import conditions as c
from localtitan.store.drivers import DriverReads, Reads, Sql
from localtitan.store.list_filters import Prepared, Writer, prepared, values_of
from localtitan.store.list_pages import PageRead, learn, start_still_true
from localtitan.store.tables import records

# A page row's stored JSON (the last column of a sorted page's rows), taken in C by map.
_DATA, _LAST = operator.itemgetter(1), operator.itemgetter(-1)

if TYPE_CHECKING:
    from localtitan.engine.page_cache import PageCache

__all__ = ["FilteredPage", "filtered_page"]

_VERSION = Sql.of(
    "SELECT max(row_version) FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
)
# Columns whose ranges have an index of their own (ix_records_modified, ix_records_created).
_RANGED = ("modified_on", "created_on")
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_RANGE_OPS = tuple(_COMPARE)
# A range matching fewer records than this is read from its index and its ids sorted (bounded
# work, on the event loop's thread on SQLite); a wider one walks ids in order until the page
# is full, as the planner would (it cannot tell the two apart: SQLite keeps no histograms).
_NARROW = 2000
# What a range's probe counted lately, and the collection's version then: (driver,
# environment, tenant, kind, the range, its values) -> (count, version). Which plan a page is
# read with never changes what it holds, only how long it takes, so a count that still holds
# spares the probe (a statement, on PostgreSQL a round trip): a count under _NARROW holds while
# it plus the records written since (at most the growth of the version: every write takes a
# new, higher row version) stays under it; a wider one holds while nothing is written.
_PROBED_MAX = 1024
_probed: OrderedDict[tuple[Any, ...], tuple[int, int]] = OrderedDict()
# PostgreSQL: the ids of a narrow range's first page, and the collection's version they were
# read at: (the probe's key, the page's shape, its values, parent and size) -> (version, ids).
# A later read of the same page looks those records up by id with the version beside them
# (one statement, one snapshot) and keeps them when the version is the same: every write
# takes a new, higher version and versions become visible in order (record_counters), so an
# unchanged version means no write to the collection since; a record deleted outright (no
# version) is a row missing from the lookup. Anything else reads the page afresh. Picking
# the ids is half the page's database CPU: 507 index entries and a top-N sort for 51 ids.
_PICKED_MAX = 1024
_picked: OrderedDict[tuple[Any, ...], tuple[int, tuple[int, ...]]] = OrderedDict()
# Conditions whose index answers them in a few entries: a page of them is short to read.
_KEYED = frozenset({"id", "guid", "customer_id", "location_id", "job_id", "parent_id"})


@dataclass(frozen=True)
class FilteredPage:
    """One page of a filtered (or sorted) list. ``order`` None: id order, where the page
    cache (keyed ``cache_key`` and the page) remembers where pages start."""

    env: str
    tenant_id: int
    kind: str
    conds: tuple[c.Cond, ...]
    order: tuple[c.Order, ...] | None
    parent_id: int | None
    page: int
    size: int
    with_total: bool
    cache_key: tuple[Any, ...] = ()


def _where(
    w: Writer, q: FilteredPage, table: Any = records, unseen: tuple[c.Cond, ...] = ()
) -> list[Any]:
    out = [
        table.c.environment == bindparam("env", "", type_=String),
        table.c.tenant_id == bindparam("tenant", 0, type_=BigInteger),
        table.c.kind == bindparam("kind", "", type_=String),
        table.c.deleted.is_(False),
        *(_unseen(w, k) if k in unseen else w.cond(k) for k in q.conds),
    ]
    if q.parent_id is not None:
        out.append(table.c.parent_id == bindparam("parent", 0, type_=BigInteger))
    return out


def _unseen(w: Writer, k: c.Cond) -> Any:
    """A range bound the planner cannot see (``modified_on >= (SELECT $4)``), still an index
    condition. PostgreSQL reuses a statement's generic plan only when it costs no more than
    the custom plans made for the values: for a narrow range a custom plan always looks
    cheaper (it sees 500 matches where the generic plan assumes a third of the collection),
    so every narrow page was planned afresh, 0.4 ms of the database's CPU, for the same plan
    (``ORDER BY id + 0`` leaves the range's index the only way to read it). Hidden from both,
    the bound costs the same in each and the generic plan is kept (decision 0295)."""
    assert isinstance(k, c.Cmp) and isinstance(k.right, c.Value)
    left = w.expr(k.left)
    return _COMPARE[k.op](left, select(w.value(k.right, left)).scalar_subquery())


def _limit(n: int) -> Any:
    """``n`` written into the statement's text, not bound (decision 0295): PostgreSQL costs a
    prepared statement's generic plan for a ``LIMIT $n`` it cannot see as reading a tenth of
    the matches, and so planned every filtered page afresh. ``n`` is an int the server
    computes (the page size plus one), formatted by Python; the statement's key holds it."""
    return literal_column(f"{int(n):d}")


def _id_ordered(q: FilteredPage, mode: str, narrow: bool) -> Any:
    """One filtered page in id order without reading the records of earlier pages.

    ``mode``: ``first`` (page 1), ``from`` (the page cache knows its first id: ``start``) or
    ``offset`` (it does not: an index-only scan finds it). The page's ids are picked first
    (from an index alone when the filters allow), then just those records read: a date range
    matching thousands of records then sorts ids, not JSON. ``narrow``: the ids are ordered
    by an expression (``id + 0``) no index gives, so the planner reads the range's own index
    instead of walking every id until the page is full. On SQLite the page's rows are then
    read by rowid, which every index entry holds: one b-tree descent per row, not two. The
    first page's statement also reads the collection's version (one statement, one snapshot).
    """

    def build(w: Writer) -> Any:
        # Written here, not when the builder is made: that is every request, this once.
        by_id = records.c.id + literal_column("0") if narrow else records.c.id
        w.number(q.conds)
        rowid = w.dialect == "sqlite"
        # SQLite plans every statement as it prepares it: nothing to hide there.
        unseen = _ranges(q.conds) if narrow and not rowid else ()
        key = literal_column("records.rowid") if rowid else records.c.id
        picked = select(key).where(*_where(w, q, unseen=unseen))
        if mode == "from":
            picked = picked.where(records.c.id >= bindparam("start", 0, type_=BigInteger))
        elif mode == "offset":
            bound = (
                select(records.c.id)
                .where(*_where(w, q, unseen=unseen))
                .order_by(by_id)
                .offset(bindparam("skip", 0, type_=BigInteger))
                .limit(_limit(1))
            ).scalar_subquery()
            picked = picked.where(records.c.id >= bound)
        picked = picked.order_by(by_id).limit(_limit(q.size + 1))
        of_kind = [
            records.c.environment == bindparam("env", "", type_=String),
            records.c.tenant_id == bindparam("tenant", 0, type_=BigInteger),
            records.c.kind == bindparam("kind", "", type_=String),
        ]
        columns: list[Any] = [records.c.id, records.c.data]
        if mode == "first":
            columns.append(_version_column())
        # A rowid names one row: the key's conditions would only repeat themselves.
        where: list[Any]
        if rowid:
            where = [key.in_(picked.scalar_subquery())]
        elif narrow:
            # PostgreSQL: the ids as an array (an init plan) read by one index scan
            # (``id = ANY``) rather than a hash of the ids joined to a lookup per id: about
            # 3-7% less of the database's CPU; the plan stays generic (decisions 0295, 0340).
            where = [*of_kind, key == any_(func.array(picked.scalar_subquery()))]
        else:
            where = [*of_kind, key.in_(picked.scalar_subquery())]
        return select(*columns).where(*where).order_by(records.c.id)

    return build


def _version_column() -> Any:
    versions = records.alias("versions")
    return (
        select(func.max(versions.c.row_version))
        .where(
            versions.c.environment == bindparam("env", "", type_=String),
            versions.c.tenant_id == bindparam("tenant", 0, type_=BigInteger),
            versions.c.kind == bindparam("kind", "", type_=String),
        )
        .scalar_subquery()
    )


def _known(q: FilteredPage) -> Any:
    """Page 1 given its ids (``_picked``), with the collection's version: the page's own
    conditions stay, so a row that no longer matches is left out, never served (its range's
    bound hidden, as the page's own: the plan stays generic, the key's lookups)."""

    def build(w: Writer) -> Any:
        w.number(q.conds)
        ids = bindparam("ids", [], type_=ARRAY(BigInteger))
        return (
            select(records.c.id, records.c.data, _version_column())
            .where(*_where(w, q, unseen=_ranges(q.conds)), records.c.id == any_(ids))
            .order_by(records.c.id)
        )

    return build


def _sorted(q: FilteredPage, skip: bool) -> Any:
    order = q.order or ()

    def build(w: Writer) -> Any:
        w.number(q.conds, order)
        stmt = (
            select(records.c.data)
            .where(*_where(w, q))
            .order_by(*(w.order(o) for o in order))
            .limit(_limit(q.size + 1))
        )
        return stmt.offset(bindparam("skip", 0, type_=BigInteger)) if skip else stmt

    return build


def _count(q: FilteredPage) -> Any:
    def build(w: Writer) -> Any:
        w.number(q.conds)
        return select(func.count()).select_from(records).where(*_where(w, q))

    return build


def _shape(q: FilteredPage) -> tuple[Any, ...]:
    return (q.conds, q.order, q.parent_id is not None)


def _ranges(conds: tuple[c.Cond, ...]) -> tuple[c.Cond, ...]:
    """The page's conditions on one indexed time range (``modifiedOnOrAfter``...), if any."""
    for column in _RANGED:
        col = c.Col(column)
        found = tuple(
            k for k in conds if isinstance(k, c.Cmp) and k.left == col and k.op in _RANGE_OPS
        )
        if found:
            return found
    return ()


def _probe(q: FilteredPage, ranges: tuple[c.Cond, ...]) -> Any:
    """How many records the range matches, counted up to ``_NARROW`` from its index alone."""

    def build(w: Writer) -> Any:
        w.number(ranges)
        within: Any = (
            select(literal_column("1"))
            .where(
                records.c.environment == bindparam("env", "", type_=String),
                records.c.tenant_id == bindparam("tenant", 0, type_=BigInteger),
                records.c.kind == bindparam("kind", "", type_=String),
                records.c.deleted.is_(False),
                *(w.cond(k) for k in ranges),
            )
            .limit(_limit(_NARROW))
        )
        return select(func.count()).select_from(within.subquery())

    return build


def _count_holds(key: tuple[Any, ...], counted: tuple[int, int], version: int | None) -> None:
    """Remember the probe's count (version -1: counted by this read) for the next page under
    the same range while it still holds at ``version`` (None: not known, an empty page 1).
    On PostgreSQL a page read without a transaction may see writes its probe did not: the
    count is then a little low, which can only cost a page the faster plan, never a record."""
    count, seen = counted
    if version is None or (seen >= 0 and version < seen):
        holds = False
    elif seen < 0:
        holds = True
    elif count < _NARROW:
        count += version - seen
        holds = count < _NARROW
    else:
        holds = version == seen
    if not holds or version is None:
        _probed.pop(key, None)
        return
    _probed[key] = (count, version)
    _probed.move_to_end(key)
    if len(_probed) > _PROBED_MAX:
        _probed.popitem(last=False)


class _Alone:
    """The :class:`Reads` of a read known to be one statement (:meth:`DriverReads.one`)."""

    __slots__ = ("_driver",)

    def __init__(self, driver: DriverReads) -> None:
        self._driver = driver

    async def rows(self, sql: Sql | str, args: Sequence[Any]) -> list[Sequence[Any]]:
        return await self._driver.one(sql if isinstance(sql, Sql) else Sql(sql, sql), args)

    async def value(self, sql: Sql | str, args: Sequence[Any]) -> Any:
        raise AssertionError("a read of one statement reads no other")


def _pick_key(
    probe_key: tuple[Any, ...], q: FilteredPage, values: list[c.Value]
) -> tuple[Any, ...] | None:
    key = (probe_key, _shape(q), tuple(v.value for v in values), q.parent_id, q.size)
    try:
        hash(key)
    except TypeError:  # a list among the values: such a page is not remembered
        return None
    return key


def _remember_picked(key: tuple[Any, ...], version: int, rows: list[Any]) -> None:
    _picked[key] = (version, tuple(row[0] for row in rows))
    _picked.move_to_end(key)
    if len(_picked) > _PICKED_MAX:
        _picked.popitem(last=False)


def _keyed(k: c.Cond) -> bool:
    if isinstance(k, c.Cmp):
        return (
            k.op == "="
            and isinstance(k.left, c.Col)
            and k.left.table is None
            and (k.left.name in _KEYED)
        )
    if isinstance(k, c.In):
        return isinstance(k.left, c.Col) and k.left.table is None and k.left.name in _KEYED
    return isinstance(k, c.IsTrue) and k.of == c.Col("active")


async def filtered_page(
    driver: DriverReads, dialect: Dialect, q: FilteredPage, pages: PageCache
) -> PageRead:
    """The page (its rows' JSON, and one more row to tell ``hasMore``) and its total."""
    name = dialect.name
    values = values_of(q.conds) if q.order is None else values_of(q.conds, q.order)
    named: dict[str, Any] = {
        "env": q.env,
        "tenant": q.tenant_id,
        "kind": q.kind,
    }
    if q.parent_id is not None:
        named["parent"] = q.parent_id
    key_args = (q.env, q.tenant_id, q.kind)
    page_key = (*q.cache_key, q.page)
    count = prepared(("count", *_shape(q)), dialect, _count(q)) if q.with_total else None

    async def total(r: Reads, out: PageRead) -> None:
        if count is not None:
            out.total = int(
                await r.value(count.text, count.args(values_of(q.conds), name, **named))
            )

    async def run(r: Reads, stmt: Prepared, out: PageRead, **extra: Any) -> list[Any]:
        return await r.rows(stmt.text, stmt.args(values, name, **named, **extra))

    ranges = _ranges(q.conds) if q.order is None else ()
    probe_key = (driver, *key_args, ranges, tuple(v.value for v in values_of(ranges)))
    this_read: list[tuple[int, int]] = []
    pick_key = _pick_key(probe_key, q, values) if ranges and name == "postgresql" else None
    # A page is short to read when every condition is answered by a few index entries, or
    # when its range turns out narrow; a total reads every match, never short.
    keyed = (
        q.order is None and not q.with_total and all(_keyed(k) for k in q.conds if k not in ranges)
    )

    async def read(r: Reads, *, may_scan: bool) -> PageRead | None:
        out = PageRead([])
        if q.order is not None:
            skip = (q.page - 1) * q.size
            stmt = prepared(
                ("sorted", *_shape(q), q.size, bool(skip)), dialect, _sorted(q, bool(skip))
            )
            rows = await run(r, stmt, out, skip=skip)
            out.rows = list(map(_LAST, rows))
            await total(r, out)
            return out
        narrow = False
        counted = None
        if ranges:
            counted = _probed.get(probe_key) or (this_read[0] if this_read else None)
            if counted is None:
                probe = prepared(("probe", ranges, _NARROW), dialect, _probe(q, ranges))
                matched = await r.value(probe.text, probe.args(values_of(ranges), name, **named))
                narrow = int(matched or 0) < _NARROW
                counted = (int(matched or 0), -1)
                this_read.append(counted)  # a wide range is read again off the loop
            else:
                narrow = counted[0] < _NARROW
        if not (narrow or ranges == ()) and not may_scan:
            return None  # a wide range walks ids: not on the loop
        first = pick_key if q.page == 1 and narrow else None
        known = _picked.get(first) if first is not None else None
        if first is not None and known is not None:
            seen, ids = known
            stmt = prepared(("known", *_shape(q)), dialect, _known(q))
            rows = await run(r, stmt, out, ids=list(ids))
            if len(rows) == len(ids) and int(rows[0][2] or 0) == seen:
                out = finish(out, rows, seen, counted)
                await total(r, out)
                return out
            _picked.pop(first, None)
        version = 0 if q.page == 1 else int(await r.value(_VERSION, key_args) or 0)
        start = None
        if q.page > 1:
            start = await start_still_true(r, pages, key_args, page_key, version, out.remember)
            if start is None and not (may_scan or narrow):
                return None  # finding the start scans earlier pages: not on the loop
        if q.page == 1:
            mode, extra = "first", {}
        elif start is not None:
            mode, extra = "from", {"start": start}
        else:
            mode, extra = "offset", {"skip": (q.page - 1) * q.size}
        stmt = prepared((mode, narrow, *_shape(q), q.size), dialect, _id_ordered(q, mode, narrow))
        rows = await run(r, stmt, out, **extra)
        if q.page == 1 and rows:
            version = int(rows[0][2] or 0)
            if first is not None:
                _remember_picked(first, version, rows)
        out = finish(out, rows, version, counted)
        await total(r, out)
        return out

    def finish(
        out: PageRead, rows: list[Any], version: int, counted: tuple[int, int] | None
    ) -> PageRead:
        if counted is not None:
            _count_holds(probe_key, counted, version if rows or q.page > 1 else None)
        if rows:
            out.remember.append((page_key, version, rows[0][0]))
        if len(rows) > q.size:
            out.remember.append(((*q.cache_key, q.page + 1), version, rows[q.size][0]))
        out.rows = list(map(_DATA, rows))
        return out

    async def on_loop(r: Reads) -> PageRead | None:
        return await read(r, may_scan=False)

    async def anywhere(r: Reads) -> PageRead | None:
        return await read(r, may_scan=True)

    # Page 1 with nothing to count first is one statement: run alone, with no transaction of
    # its own (one statement sees one snapshot), as a get is; on SQLite two calls fewer, on
    # PostgreSQL no pool connection to take and give back.
    counted = _probed.get(probe_key) if ranges else None
    alone = keyed and q.page == 1 and (not ranges or (counted is not None and counted[0] < _NARROW))
    if alone:
        done = await read(_Alone(driver), may_scan=False)
    else:
        done = await driver.read(on_loop, short=True) if keyed else None
    if done is None:
        done = await driver.read(anywhere, short=False)
    assert done is not None
    if q.order is None:
        learn(pages, done.remember)
    return done
