"""List pages read on the drivers (:mod:`localtitan.store.drivers`).

The plain shape (id order; the only conditions the tenant's collection, not deleted, the
``active`` choice and the parent): statements written here once per shape, run with bound
parameters on the event loop's thread when the page's start is known (page 1, or a page the
page cache remembers), else in one worker-thread hop. Every other shape (filters and sorting)
is :mod:`localtitan.store.filtered_pages`', which shares the page cache's steps below.

Either way a page is one read: the collection's version, where the page starts, the page and
its total are one transaction's statements.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from localtitan.store.drivers import DriverReads, Reads, Sql

if TYPE_CHECKING:
    from localtitan.engine.page_cache import PageCache

__all__ = ["PageRead", "PlainPage", "Remember", "learn", "plain_page", "start_still_true"]

_MAX_CHANGES_CHECKED = 200
# A page row's stored JSON, taken from every row in C (map) rather than a Python loop: on
# PostgreSQL a 51-row page's comprehension was about 350 bytecodes a request.
_DATA = itemgetter(1)
_KEY = "environment = ? AND tenant_id = ? AND kind = ?"
_VERSION = Sql.of(
    "SELECT max(row_version) FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
)
# Bounds compared with (SELECT CAST(? AS BIGINT)): a value the planner cannot see, still an
# index condition. PostgreSQL keeps a prepared statement's generic plan only while it costs no
# more than the plans made for the values; with the bound visible the custom plan always
# looked a little cheaper (66.9 against 73.2 for a page from its start), so the page was
# planned afresh on every execution: 0 generic plans of 1,200, and about 90 us of the
# backend's CPU of a 230 us page read (docs/performance.md, "pgdeep"). Hidden, both plans
# cost the same and the generic one is kept (as decision 0295 did for narrow ranges).
_UNSEEN = "(SELECT CAST(? AS BIGINT))"
# Joined from constant fragments only (here and below); every value is a bound parameter.
_CHANGED = Sql.of(
    " ".join(
        (
            "SELECT id FROM records WHERE",
            _KEY,
            "AND row_version >",
            _UNSEEN,
            "ORDER BY row_version LIMIT ?",
        )
    )
)
# The check of a remembered start, as a one-row table: of the first _MAX_CHANGES_CHECKED + 1
# records changed after a row version (in row-version order: the ix_records_version index),
# how many there are, their lowest id and their newest version. While there are no more than
# are checked, that newest version is the collection's (row versions commit in order), so the
# check needs no max() of its own: one index range read, not three.
_CHECK = " ".join(
    (
        "(SELECT count(*) AS changes, min(id) AS lowest, max(row_version) AS newest FROM",
        "(SELECT id, row_version FROM records WHERE",
        _KEY,
        "AND row_version >",
        _UNSEEN,
        f"ORDER BY row_version LIMIT {_MAX_CHANGES_CHECKED + 1:d}) AS changed) AS checked",
    )
)

# (key, row version, first id): what the page cache learns from a page, remembered on the
# event loop's thread once the read is over (a worker thread's read does not touch the cache).
Remember = tuple[Hashable, int, int]


@dataclass(frozen=True)
class _Statements:
    first_page: Sql
    first_joined: Sql
    page: Sql
    page_from: Sql
    page_checked: Sql
    start: Sql
    count: Sql


_shapes: dict[tuple[bool, bool], _Statements] = {}


def _joined(*fragments: str) -> Sql:
    return Sql.of(" ".join(fragments))


def _statements(active: bool, parent: bool) -> _Statements:
    found = _shapes.get((active, parent))
    if found is None:
        where = _KEY + " AND deleted = ?"
        if active:
            where += " AND active = ?"
        if parent:
            where += " AND parent_id = ?"
        # Joined from the constant fragments above only; every value is a bound parameter.
        found = _shapes[(active, parent)] = _Statements(
            first_page=_joined(
                "SELECT id, data, (SELECT max(row_version) FROM records WHERE",
                _KEY + ")",
                "FROM records WHERE",
                where,
                "ORDER BY id LIMIT ?",
            ),
            # SQLite only (group_concat): the collection's version, how many records there
            # are (up to one more than the page), the last one's id and its JSON's length
            # (SQLite takes a bare column from the row of the query's one max()), and the
            # records' stored JSON joined by commas, in one row. The subquery's order is the
            # joined order: SQLite runs an ordered, limited subquery under an aggregate as a
            # co-routine, row by row.
            first_joined=_joined(
                "SELECT (SELECT max(row_version) FROM records WHERE",
                _KEY + "),",
                "count(*), max(id), length(CAST(data AS BLOB)), group_concat(data, ',') FROM",
                "(SELECT id, data FROM records WHERE",
                where,
                "ORDER BY id LIMIT ?)",
            ),
            page=_joined("SELECT id, data FROM records WHERE", where, "ORDER BY id LIMIT ?"),
            page_from=_joined(
                "SELECT id, data FROM records WHERE",
                where,
                "AND id >=",
                _UNSEEN,
                "ORDER BY id LIMIT ?",
            ),
            # A remembered start checked and used in one statement (one snapshot, one round
            # trip): the page from the start beside the check of the records changed since
            # the entry's stamp (_CHECK: start_still_true's test, in SQL).
            page_checked=_joined(
                "SELECT page.id, page.data, checked.newest, checked.changes, checked.lowest",
                "FROM",
                _CHECK,
                "CROSS JOIN (SELECT id, data FROM records WHERE",
                where,
                "AND id >=",
                _UNSEEN,
                "ORDER BY id LIMIT ?) AS page ORDER BY page.id",
            ),
            start=_joined("SELECT id FROM records WHERE", where, "ORDER BY id LIMIT 1 OFFSET ?"),
            count=_joined("SELECT count(*) FROM records WHERE", where),
        )
    return found


@functools.lru_cache(maxsize=512)
def _limited(sql: Sql, limit: int) -> Sql:
    """``sql`` with its last ``LIMIT ?`` written as the number ``limit``.

    PostgreSQL costs a prepared statement's generic plan for a ``LIMIT $n`` it cannot see as
    reading a tenth of the collection, finds that dearer than a plan made for the values, and
    so plans such a statement afresh on every execution: about 300 us of the database's CPU for
    a 50-record first page here, twice the cost of running it. With the limit in the text the
    generic plan is costed for the rows it reads, and PostgreSQL reuses it from the sixth
    execution on (asyncpg keeps each statement prepared on its connection). One text per page
    size: clients use a few, and the cache is bounded.
    """
    head, found, tail = sql.qmark.rpartition("LIMIT ?")
    if not found:
        raise ValueError(f"no LIMIT ? in {sql.qmark!r}")
    # An int written by Python, between constant fragments: nothing a client sent as text.
    return Sql.of(f"{head}LIMIT {int(limit):d}{tail}")


@dataclass(slots=True)  # not frozen: built on every list request, and frozen inits cost more
class PlainPage:
    """One page of the plain shape: which records, and the page cache's key without the page."""

    env: str
    tenant_id: int
    kind: str
    active: bool | None
    parent_id: int | None
    page: int
    size: int
    cache_key: tuple[Any, ...]
    with_total: bool

    def args(self) -> tuple[Any, ...]:
        active, parent = self.active, self.parent_id
        head = (self.env, self.tenant_id, self.kind, False)
        if active is None:
            return head if parent is None else (*head, parent)
        return (*head, active) if parent is None else (*head, active, parent)


@dataclass
class PageRead:
    rows: list[Any]
    total: int | None = None
    remember: list[Remember] = field(default_factory=list)
    # With ``joined``: the page's records as stored, joined by commas (``rows`` is empty),
    # or b"" for an empty page; and whether more records follow it.
    joined: bytes | memoryview | None = None
    has_more: bool = False


async def _version(r: Reads, env: str, tenant_id: int, kind: str) -> int:
    return int(await r.value(_VERSION, (env, tenant_id, kind)) or 0)


async def start_still_true(
    r: Reads,
    pages: PageCache,
    key_args: Sequence[Any],
    key: Hashable,
    version: int,
    remember: list[Remember],
) -> int | None:
    """Where the page under ``key`` starts, if the page cache knows and it is still true.

    A page starts where it did as long as no record before that start changed: new records
    get higher ids, so appends (the usual write) never move an earlier page. One indexed look
    at the records changed since the entry was made tells, and the entry is re-stamped.
    """
    entry = pages.entry(key)
    if entry is None:
        return None
    stamped, first_id = entry
    if stamped == version:
        return first_id
    # Walk the changes in row-version order (that index), not ids before the start (which
    # would scan the whole collection); after many changes, finding the start afresh is cheaper.
    changed = await r.rows(_limited(_CHANGED, _MAX_CHANGES_CHECKED + 1), (*key_args, stamped))
    if len(changed) > _MAX_CHANGES_CHECKED or any(row[0] < first_id for row in changed):
        return None
    remember.append((key, version, first_id))
    return first_id


async def plain_page(
    driver: DriverReads, q: PlainPage, pages: PageCache, *, joined: bool = False
) -> PageRead:
    """A page in id order; the extra row read to tell ``hasMore`` is the next page's first
    record, which the page cache remembers for the client's next request.

    ``joined``: the caller serves the records as stored, so a first page on SQLite may come
    back as one joined ``bytes`` (:attr:`PageRead.joined`): one row from the driver, not a
    row per record (on the loop's thread, each row and column costs sqlite3 a release and a
    take of the GIL, more than the record's own read).
    """
    shape = (q.active is not None, q.parent_id is not None)
    sql = _shapes.get(shape) or _statements(*shape)
    where = q.args()
    key_args = (q.env, q.tenant_id, q.kind)
    if q.page == 1 and not q.with_total and joined and driver.dialect == "sqlite":
        found = await driver.one(sql.first_joined, (*key_args, *where, q.size + 1))
        version, count, last_id, last_length, data = found[0]
        if data is None:
            return PageRead([], None, [], b"", False)
        data = data if type(data) is bytes else data.encode()
        if count > q.size:
            # The extra record is the next page's first: remembered, and cut off the page
            # (a view, not a copy: the envelope copies the page's bytes once).
            pages.remember((*q.cache_key, 2), int(version or 0), last_id)
            return PageRead([], None, [], memoryview(data)[: len(data) - last_length - 1], True)
        return PageRead([], None, [], data, False)
    page_key = (*q.cache_key, q.page)
    if q.page == 1 and not q.with_total:
        # The page and the collection's version are one statement: no transaction to open,
        # no closures to build (the usual request: a client's first page).
        first = _limited(sql.first_page, q.size + 1)
        rows = await driver.one(first, (*key_args, *where))
        if rows:
            version = int(rows[0][2] or 0)
            pages.remember(page_key, version, rows[0][0])
            if len(rows) > q.size:
                pages.remember((*q.cache_key, 2), version, rows[q.size][0])
        return PageRead(list(map(_DATA, rows)))
    entry = None if q.with_total or driver.dialect == "sqlite" else pages.entry(page_key)
    if entry is not None:
        # A later page whose start the page cache knows: one statement on the single-statement
        # path instead of a read's version look, changes check and page (a pool acquire and
        # two or three round trips where page 1 is one). When the check fails, or the page is
        # empty (no row to carry the check), the read below decides. Not on SQLite: its read
        # makes no round trips, and there the joined statement cost more than the three
        # (86-108 against 53-62 us a warm page in process, docs/performance.md, "pgdeep").
        stamped, first_id = entry
        checked = _limited(sql.page_checked, q.size + 1)
        rows = await driver.one(checked, (*key_args, stamped, *where, first_id))
        if rows:
            head = rows[0]
            low = head[4]
            if head[3] <= _MAX_CHANGES_CHECKED and (low is None or low >= first_id):
                version = stamped if head[2] is None else int(head[2])
                pages.remember(page_key, version, head[0])
                if len(rows) > q.size:
                    pages.remember((*q.cache_key, q.page + 1), version, rows[q.size][0])
                return PageRead(list(map(_DATA, rows)))

    async def read(r: Reads, *, may_scan: bool) -> PageRead | None:
        out = PageRead([])
        if q.page == 1:
            # The first page and the collection's version in one statement (one snapshot,
            # one round trip); an empty page has nothing for the page cache to learn.
            rows = await r.rows(_limited(sql.first_page, q.size + 1), (*key_args, *where))
            version = int(rows[0][2] or 0) if rows else 0
            return await _finish(r, out, rows, version)
        # The version is read before the page: a write between them leaves an older stamp,
        # which only makes the page cache check more.
        version = await _version(r, *key_args)
        start: int | None = None
        if q.page > 1:
            start = await start_still_true(r, pages, key_args, page_key, version, out.remember)
            if start is None:
                if not may_scan:
                    return None  # finding the start scans earlier pages: not on the loop
                start = await r.value(sql.start, (*where, (q.page - 1) * q.size))
                if start is None:
                    if q.with_total:
                        out.total = int(await r.value(sql.count, where))
                    return out
        if start is None:
            rows = await r.rows(_limited(sql.page, q.size + 1), where)
        else:
            rows = await r.rows(_limited(sql.page_from, q.size + 1), (*where, start))
        return await _finish(r, out, rows, version)

    async def _finish(
        r: Reads, out: PageRead, rows: Sequence[Sequence[Any]], version: int
    ) -> PageRead:
        if rows:
            out.remember.append((page_key, version, rows[0][0]))
        if len(rows) > q.size:
            out.remember.append(((*q.cache_key, q.page + 1), version, rows[q.size][0]))
        out.rows = list(map(_DATA, rows))
        if q.with_total:
            out.total = int(await r.value(sql.count, where))
        return out

    async def on_loop(r: Reads) -> PageRead | None:
        return await read(r, may_scan=False)

    async def anywhere(r: Reads) -> PageRead | None:
        return await read(r, may_scan=True)

    # A count reads every matching index entry: never on the loop.
    done = None if q.with_total else await driver.read(on_loop, short=True)
    if done is None:
        done = await driver.read(anywhere, short=False)
    assert done is not None
    learn(pages, done.remember)
    return done


def learn(pages: PageCache, learned: list[Remember]) -> None:
    for key, version, first_id in learned:
        pages.remember(key, version, first_id)
