"""Export feed pages read on the drivers (:mod:`localtitan.store.drivers`).

A page is the collection's records changed after a row version, in row-version order (the
``ix_records_version`` index), optionally only those modified on or after a date and of one
``active`` choice. Its statement is written here once per shape and run with bound
parameters; the records' JSON comes back as stored (as bytes, from either database) and
goes into the response without a decode.

A page that finds records ends at its last; one that finds none ends at the collection's
newest row version, since every version up to it has been looked at (row versions commit in
order, see :mod:`localtitan.store.records`). That version is read BEFORE a second look at the
page: read after an empty page (outside one snapshot, as a PostgreSQL read without a
transaction is), it could include a commit the page did not see. So the usual page is one
statement, and a caught-up feed three short ones.

A client walking a feed asks for the next page as soon as it has read this one, and the
next page's start is this page's last row version: so when a page is full, the next one is
read ahead while the client reads this one (docs/decisions/0240-export-read-ahead.md). A page
read earlier is still exact: every commit after its snapshot has a higher row version than
any it saw, so the page after it finds that commit. Only a full page read ahead is served
(``hasMore`` true); the page that tells a client it has caught up is always read when asked
for, so it holds every commit made before the request.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from localtitan.store.drivers import DriverReads, Reads, Sql

__all__ = ["ExportPage", "export_page", "in_envelope"]

_KEY = "environment = ? AND tenant_id = ? AND kind = ?"
_NEWEST = Sql.of(
    "SELECT max(row_version) FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
)

# A page read ahead is kept this long for its client, and at most this many at once (about
# 1 MB each at 1,000 records): memory stays flat whatever the tenant's size.
_AHEAD_SECONDS = 2.0
_DATA = itemgetter(1)  # a row's stored JSON, taken from every row in C (map)
_AHEAD_MAX = 8


# The bare feed's key and start as PostgreSQL sees them: values its planner cannot see, still
# index conditions. With them visible the custom plan for a kind (costed by the kind's own
# frequency) always looked cheaper than the generic plan (costed by the number of kinds):
# 1,055 against 1,422 here, so PostgreSQL planned every page afresh (0 generic plans of 800)
# for the same index scan. Hidden, both cost alike and the generic plan is kept: about a tenth
# less of the backend's CPU per 1,001-record page (docs/performance.md, "pgdeep"). The shapes
# with a date or an ``active`` choice keep their values visible: there the custom plan may
# pick the date's index. SQLite plans each statement as it prepares it: its text is unchanged.
_HIDDEN_KEY = (
    "environment = (SELECT CAST(? AS TEXT)) AND tenant_id = (SELECT CAST(? AS BIGINT))"
    " AND kind = (SELECT CAST(? AS TEXT)) AND row_version > (SELECT CAST(? AS BIGINT))"
)


@functools.lru_cache(maxsize=64)
def _statement(since: bool, active: bool, limit: int) -> Sql:
    """The page's statement with its limit written in (decision 0295; one text per page size,
    and clients use a few)."""
    where = _KEY + " AND row_version > ?"
    if since:
        where += " AND modified_on >= ?"
    if active:
        where += " AND active = ?"
    # Joined from the constant fragments above and an int formatted by Python; every value is
    # a bound parameter. The JSON is selected as it is stored: the pool's text codec already
    # hands it over as its UTF-8 bytes (drivers._text_as_bytes), and a convert_to() here cost
    # PostgreSQL about an eighth of its CPU per page (eighth session, helper pgpaging).
    head, tail = (
        "SELECT row_version, data FROM records WHERE",
        f"ORDER BY row_version LIMIT {limit:d}",
    )
    both = Sql.of(" ".join((head, where, tail)))
    if since or active:
        return both
    return Sql(both.qmark, Sql.of(" ".join((head, _HIDDEN_KEY, tail))).numbered)


@dataclass(frozen=True)
class ExportPage:
    """One page of a feed: the records' stored JSON, whether more follow, and the row version
    the next page starts after."""

    rows: list[Any]
    has_more: bool
    last: int


# (driver, environment, tenant, kind, after, since, active, size) -> (when, the read); the
# driver itself, not its id, so a page of a closed database never answers for a new one.
_Key = tuple[DriverReads, str, int, str, int, datetime | None, bool | None, int]
_ahead: OrderedDict[_Key, tuple[float, asyncio.Task[ExportPage]]] = OrderedDict()


def _sqlite_time(value: datetime) -> str:
    # How SQLAlchemy stores a DateTime on SQLite (naive UTC, six fractional digits); text of
    # that shape compares in time order.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def export_page(
    driver: DriverReads,
    env: str,
    tenant_id: int,
    kind: str,
    *,
    after: int,
    since: datetime | None,
    active: bool | None,
    size: int,
) -> ExportPage:
    """The records of one collection with a row version above ``after`` (and modified on or
    after ``since``, and of the ``active`` choice, when given), at most ``size`` of them."""
    key: _Key = (driver, env, tenant_id, kind, after, since, active, size)
    page = await _read_ahead(key)
    if page is None:
        page = await _read(driver, key)
    if page.has_more:
        _start_ahead(driver, (*key[:4], page.last, *key[5:]))
    return page


async def _read_ahead(key: _Key) -> ExportPage | None:
    """The page read ahead under ``key``, if it is recent, full and read without error."""
    found = _ahead.pop(key, None)
    if found is None:
        return None
    started, task = found
    if time.monotonic() - started > _AHEAD_SECONDS:
        task.cancel()
        return None
    try:
        page = await task
    except Exception:  # a failed read ahead is read again, and fails there if it must
        return None
    return page if page.has_more else None


def _start_ahead(driver: DriverReads, key: _Key) -> None:
    if key in _ahead:
        return
    task = asyncio.get_running_loop().create_task(_read(driver, key, ahead=True))
    task.add_done_callback(_retrieved)
    _ahead[key] = (time.monotonic(), task)
    while len(_ahead) > _AHEAD_MAX:
        _, (_, oldest) = _ahead.popitem(last=False)
        oldest.cancel()


def _retrieved(task: asyncio.Task[ExportPage]) -> None:
    # A read ahead nobody came for may have failed; its error is not worth a log line.
    if not task.cancelled():
        task.exception()


async def _read(driver: DriverReads, key: _Key, *, ahead: bool = False) -> ExportPage:
    _, env, tenant_id, kind, after, since, active, size = key
    sqlite = driver.dialect == "sqlite"
    sql = _statement(since is not None, active is not None, int(size) + 1)
    where = (env, tenant_id, kind)
    args: list[Any] = [*where, after]
    if since is not None:
        args.append(_sqlite_time(since) if sqlite else since)
    if active is not None:
        args.append(active)

    async def read(r: Reads) -> tuple[Sequence[Sequence[Any]], int]:
        rows = await r.rows(sql, args)
        if rows:
            return rows, 0
        newest = int(await r.value(_NEWEST, where) or 0)
        return await r.rows(sql, args), newest

    # Without a date or an ``active`` choice the page is a range of the row-version index, at
    # most size + 1 entries: short enough for the event loop's thread on SQLite. A date or an
    # ``active`` choice may skip any number of records before the first that matches: one
    # worker-thread hop; so does a read ahead, which must not hold up the response going out
    # before it. PostgreSQL needs no transaction (the order of the statements above is what
    # keeps a caught-up feed exact), so it takes none: two round trips fewer. It stays on the
    # pool, not on driver.one()'s few kept connections: a 1,001-record page holds its
    # connection for milliseconds, and gets and list pages would queue behind it.
    short = not sqlite or (since is None and active is None and not ahead)
    rows, newest = await driver.read(read, short=short)
    if not rows:
        return ExportPage([], False, max(after, newest))
    has_more = len(rows) > size
    if has_more:
        rows = rows[:size]
    return ExportPage(list(map(_DATA, rows)), has_more, int(rows[-1][0]))


def in_envelope(head: bytes, items: Sequence[bytes | str]) -> bytes:
    """``head`` (an encoded JSON object) with ``"data": [items...]`` added: the items are
    stored JSON texts, copied once into the body."""
    start = head[:-1] + b',"data":['
    if not items:
        return start + b"]}"
    if type(items[0]) is str:
        return b"".join((start, ",".join(items).encode(), b"]}"))  # type: ignore[arg-type]
    parts = list(items)
    parts[0] = start + parts[0]  # type: ignore[operator]
    parts[-1] = parts[-1] + b"]}"  # type: ignore[operator]
    return b",".join(parts)  # type: ignore[arg-type]
