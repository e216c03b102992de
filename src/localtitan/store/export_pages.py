"""Export feed pages read on the drivers (:mod:`localtitan.store.drivers`).

A page is the collection's records changed after a row version, in row-version order (the
``ix_records_version`` index), optionally only those modified on or after a date and of one
``active`` choice. Its statement is written here once per shape and run with bound
parameters; the records' JSON comes back as stored (bytes on SQLite, text on PostgreSQL) and
goes into the response without a decode.

A page that finds records ends at its last; one that finds none ends at the collection's
newest row version, since every version up to it has been looked at (row versions commit in
order, see :mod:`localtitan.store.records`). That version is read BEFORE a second look at the
page: read after an empty page (outside one snapshot, as a PostgreSQL read without a
transaction is), it could include a commit the page did not see. So the usual page is one
statement, and a caught-up feed three short ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localtitan.store.drivers import DriverReads, Reads, Sql

__all__ = ["ExportPage", "export_page", "joined"]

_KEY = "environment = ? AND tenant_id = ? AND kind = ?"
_NEWEST = Sql.of(
    "SELECT max(row_version) FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
)
_shapes: dict[tuple[bool, bool], Sql] = {}


def _statement(since: bool, active: bool) -> Sql:
    found = _shapes.get((since, active))
    if found is None:
        where = _KEY + " AND row_version > ?"
        if since:
            where += " AND modified_on >= ?"
        if active:
            where += " AND active = ?"
        # Joined from the constant fragments above only; every value is a bound parameter.
        found = _shapes[(since, active)] = Sql.of(
            " ".join(
                (
                    "SELECT row_version, data FROM records WHERE",
                    where,
                    "ORDER BY row_version LIMIT ?",
                )
            )
        )
    return found


@dataclass(frozen=True)
class ExportPage:
    """One page of a feed: the records' stored JSON, whether more follow, and the row version
    the next page starts after."""

    rows: list[Any]
    has_more: bool
    last: int


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
    sql = _statement(since is not None, active is not None)
    sqlite = driver.dialect == "sqlite"
    key = (env, tenant_id, kind)
    args: list[Any] = [*key, after]
    if since is not None:
        args.append(_sqlite_time(since) if sqlite else since)
    if active is not None:
        args.append(active)
    args.append(size + 1)

    async def read(r: Reads) -> tuple[Sequence[Sequence[Any]], int]:
        rows = await r.rows(sql, args)
        if rows:
            return rows, 0
        newest = int(await r.value(_NEWEST, key) or 0)
        return await r.rows(sql, args), newest

    # Without a date or an ``active`` choice the page is a range of the row-version index, at
    # most size + 1 entries: short enough for the event loop's thread on SQLite. A date or an
    # ``active`` choice may skip any number of records before the first that matches: one
    # worker-thread hop. PostgreSQL needs no transaction (the order of the statements above
    # is what keeps a caught-up feed exact), so it takes none: two round trips fewer.
    rows, newest = await driver.read(read, short=(since is None and active is None) or not sqlite)
    if not rows:
        return ExportPage([], False, max(after, newest))
    has_more = len(rows) > size
    if has_more:
        rows = rows[:size]
    return ExportPage([row[1] for row in rows], has_more, int(rows[-1][0]))


def joined(rows: Sequence[Any]) -> bytes:
    """Stored JSON texts joined with commas, as bytes (one encode for text from PostgreSQL)."""
    if rows and type(rows[0]) is str:
        return ",".join(rows).encode()
    return b",".join(rows)
