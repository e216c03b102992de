"""The tenant's counter row (``record_counters``) on a unit's write session: ids, row versions
and the write time, allocated once per transaction.

A write unit takes the counter first (:func:`take`): the UPDATE locks the row until commit
(PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already holds the database's write lock) and hands
out the transaction's time, after the last one handed out (docs/decisions/0002). While the
lock is held no other writer can move the counter, so the unit gives out ids and row versions
from memory and writes the counter back once, before it commits (:func:`settle`): the row
versions still become visible in commit order, which the export feed relies on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from localtitan.store.drivers import Sql
from localtitan.store.records import FIRST_ID, from_micros
from localtitan.store.sessions import Session

__all__ = ["Counter", "settle", "take"]

# SQLite: read under the write lock BEGIN IMMEDIATE took; the unit's time is written back
# with its ids (_SETTLE_SQLITE), so a unit writes nothing until it ends (store/sessions.py's
# group commit needs no savepoint for it).
_TAKE_SQLITE = Sql.of(
    "SELECT next_id, row_version, clock_us FROM record_counters"
    " WHERE environment = ? AND tenant_id = ?"
)
# Evaluated by the UPDATE once it holds the row (again after waiting for it).
_TAKE_PG = Sql.of(
    "UPDATE record_counters SET clock_us = greatest("
    "floor(extract(epoch from clock_timestamp()) * 1000000)::bigint, clock_us + 1)"
    " WHERE environment = ? AND tenant_id = ? RETURNING next_id, row_version, clock_us"
)
_START_SQLITE = Sql.of(
    "INSERT OR IGNORE INTO record_counters (environment, tenant_id, next_id, row_version,"
    " clock_us) VALUES (?, ?, ?, 0, 0)"
)
_START_PG = Sql.of(
    "INSERT INTO record_counters (environment, tenant_id, next_id, row_version, clock_us)"
    " VALUES (?, ?, ?, 0, 0) ON CONFLICT DO NOTHING"
)
_SETTLE = Sql.of(
    "UPDATE record_counters SET next_id = ?, row_version = ?"
    " WHERE environment = ? AND tenant_id = ?"
)
_SETTLE_SQLITE = Sql.of(
    "UPDATE record_counters SET next_id = ?, row_version = ?, clock_us = max(clock_us, ?)"
    " WHERE environment = ? AND tenant_id = ?"
)


@dataclass
class Counter:
    """What a write unit holds of its tenant's counter: the next free id and the last row
    version handed out, as they will be written back; and the unit's write time."""

    env: str
    tenant_id: int
    next_id: int
    row_version: int
    stamp: datetime
    _taken: tuple[int, int] = (0, 0)
    # SQLite: the unit's time, in the counter's microseconds, still to be written back.
    clock_us: int | None = None

    def ids(self, count: int) -> int:
        """Reserve ``count`` ids; the first of them."""
        first = self.next_id
        self.next_id += count
        return first

    def version(self) -> int:
        self.row_version += 1
        return self.row_version

    def settled(self) -> None:
        """The counter was written back as it is now (by the statement that inserted the
        unit's records)."""
        self._taken = (self.next_id, self.row_version)

    @property
    def moved(self) -> bool:
        return (self.next_id, self.row_version) != self._taken


async def take(session: Session, env: str, tenant_id: int) -> Counter:
    """Lock the tenant's counter for this transaction and take its write time."""
    pg = session.dialect == "postgresql"
    if not pg:
        # SQLite's group commit: an earlier unit of the group wrote the counter back last
        # (settle), and the row holds what it wrote once that runs, before the commit.
        written = getattr(session, "written_last", None)
        held = None if written is None else written((env, tenant_id))
        if held is not None:
            return _sqlite_counter(env, tenant_id, held[0], held[1], held[2])
    sql = _TAKE_PG if pg else _TAKE_SQLITE
    rows = await session.rows(sql, (env, tenant_id))
    if not rows:
        await session.execute(_START_PG if pg else _START_SQLITE, (env, tenant_id, FIRST_ID))
        rows = await session.rows(sql, (env, tenant_id))
    next_id, version, clock = (int(v) for v in rows[0])
    if pg:
        return Counter(env, tenant_id, next_id, version, from_micros(clock), (next_id, version))
    return _sqlite_counter(env, tenant_id, next_id, version, clock)


def _sqlite_counter(env: str, tenant_id: int, next_id: int, version: int, clock: int) -> Counter:
    # SQLite's write lock is already held (BEGIN IMMEDIATE): the clock is read under it.
    # time_ns: the clock datetime.now reads, in microseconds without a datetime in between.
    clock = max(time.time_ns() // 1000, clock + 1)
    return Counter(
        env, tenant_id, next_id, version, from_micros(clock), (next_id, version), clock_us=clock
    )


async def settle(session: Session, counter: Counter) -> None:
    """Write back what the unit handed out (and on SQLite its time), before it commits."""
    if counter.clock_us is not None:
        args = (
            counter.next_id,
            counter.row_version,
            counter.clock_us,
            counter.env,
            counter.tenant_id,
        )
        write_last = getattr(session, "write_last", None)
        if write_last is not None:
            # A unit in SQLite's group commit: the group writes the counter once, as its last
            # unit left it, just before it commits; the next unit takes it from there.
            write_last((counter.env, counter.tenant_id), _SETTLE_SQLITE, args)
        else:
            await session.execute(_SETTLE_SQLITE, args)
        counter.clock_us = None
        counter.settled()
    elif counter.moved:
        await session.execute(
            _SETTLE, (counter.next_id, counter.row_version, counter.env, counter.tenant_id)
        )
        counter.settled()
