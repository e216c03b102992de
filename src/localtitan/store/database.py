"""The async engine, with SQLite tuned for one writer and many readers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from localtitan.private_files import private_sqlite
from localtitan.store.drivers import DriverReads, driver_reads
from localtitan.store.sessions import Session, Sessions, driver_sessions

__all__ = ["SQLITE_PAGE_SIZE", "Connection", "Database", "Session", "open_database"]

# The name modules above the store give a connection they pass along, so that none of them
# imports SQLAlchemy (tests/test_store_owns_sql.py).
Connection = AsyncConnection

SQLITE_PAGE_SIZE = 16_384
# A bulk load of at least 1/this of the records SQLite's statistics describe analyzes again.
_REANALYZE_FRACTION = 10


class Database:
    """One engine per process; ``begin()`` is one transaction."""

    def __init__(self, engine: AsyncEngine, reads: DriverReads, sessions: Sessions) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # The hot path's reads, on the driver itself (store/drivers.py).
        self.reads = reads
        # The units of work's transactions, on the driver too (store/sessions.py).
        self.sessions = sessions
        # The event loop and its lock that orders this process's SQLite writers (begin()).
        self._turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        # On SQLite a writing transaction takes the write lock up front: a deferred one that
        # later writes can fail with "database is locked" instead of waiting its turn.
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        if not self.is_sqlite:
            async with self._writer.begin() as conn:
                yield conn
            return
        # One writer at a time per process: SQLite lets one transaction write anyway, and a
        # second connection asking for the lock meanwhile sleeps in SQLite's busy handler (in
        # steps of up to 100 ms) rather than queueing. Writers of other processes still meet
        # that busy handling.
        async with self._write_turn(), self._writer.begin() as conn:
            yield conn

    def writing(
        self, key: tuple[str, int] | None = None
    ) -> contextlib.AbstractAsyncContextManager[Session]:
        """A write transaction on the driver (store/sessions.py). On SQLite it waits for the
        same write turn as :meth:`begin`, so the process still has one writer at a time; on
        PostgreSQL a unit of the tenant ``key`` names (environment, tenant id) commits with
        the tenant's units queued behind it (store/pg_units.py). The sessions' own context
        manager, not one wrapped around it: every write request enters it."""
        return self.sessions.unit(self._turn_lock(), None if self.is_sqlite else key)

    @asynccontextmanager
    async def writing_alone(self) -> AsyncIterator[Session]:
        """A write transaction of its own on the driver, in the process's write turn: the
        units' open group commits first, and nothing else shares this one's commit. For a
        writer whose failure must never touch the API's writes and that need not wait for a
        group to fill (the request log's chunks): cheaper than a unit, which waits for its
        group's commit and, writing before its end, opens a savepoint."""
        async with self._write_turn(), self.sessions.write() as session:
            yield session

    def reading(self) -> contextlib.AbstractAsyncContextManager[Session]:
        """A read transaction on the driver: one snapshot, and no write lock or turn."""
        return self.sessions.read()

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """The process's write turn for a writer that is not a unit (SQLAlchemy's
        transactions, the request log's pruning): the units' open transaction commits first,
        as its write lock would otherwise keep this writer waiting."""
        async with self._turn_lock():
            self.sessions.settle()
            yield

    def _turn_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._turn is None or self._turn[0] is not loop:
            self._turn = (loop, asyncio.Lock())
        return self._turn[1]

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def refresh_statistics(self, *, added: int = 0) -> None:
        """Give the query planner statistics: on start, and after a bulk load of ``added``
        records.

        SQLite keeps none until ANALYZE runs, and without them it reads every job to find one
        customer's (it prefers the index that gives id order). A sampled ANALYZE is no cure:
        it guesses a thousand rows per customer. A full one reads every index (about 1.4 s per
        million records: 90 s beside a million-customer tenant), so it runs only when there
        are no statistics yet, or when the load added at least a tenth of the records the
        statistics describe; a small tenant seeded beside a big one changes nothing the
        planner needs. Otherwise ``PRAGMA optimize`` refreshes what has drifted.
        PostgreSQL's ANALYZE samples a fixed number of rows, so any load refreshes it.
        ANALYZE writes: on SQLite it takes the write lock up front (as ``begin()`` does), or a
        concurrent writer (the request log's flusher) makes it fail with "database is locked".
        """
        async with self._writer.connect() as conn:
            if self.is_sqlite:
                described = await _sqlite_described_records(conn)
                if described is None or added * _REANALYZE_FRACTION >= max(described, 1):
                    await conn.exec_driver_sql("PRAGMA analysis_limit=0")
                    await conn.exec_driver_sql("ANALYZE")
                else:
                    await conn.exec_driver_sql("PRAGMA optimize")
            elif added:
                await conn.exec_driver_sql("ANALYZE records")
            await conn.commit()

    async def close(self) -> None:
        await self.reads.close()
        await self.sessions.close()
        await self.engine.dispose()


async def _sqlite_described_records(conn: AsyncConnection) -> int | None:
    """How many records SQLite's statistics were gathered over; None when it has none."""
    have = (
        await conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
    ).scalar_one()
    if not have:
        return None
    # The first number of an index's stat is the rows it held; ix_records_list holds every one.
    stat = (
        await conn.exec_driver_sql(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'records' AND idx = 'ix_records_list'"
        )
    ).scalar_one_or_none()
    if stat is None:
        return 0
    head = str(stat).split(" ", 1)[0]
    return int(head) if head.isdigit() else 0


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event, not the driver, open transactions (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # Records are JSON of about a kilobyte; 16 KiB pages waste less of each page than the
    # default 4 KiB (a large tenant's file is about a tenth smaller). It only takes effect
    # on a new, empty database, so it must come before WAL mode is set.
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def open_database(url: str, *, pool_size: int = 10) -> Database:
    """Create the engine; for SQLite, create the file (0600) and a missing folder (0700)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite(Path(parsed.database))
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = pool_size
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return Database(engine, driver_reads(url, engine), driver_sessions(url, engine))
