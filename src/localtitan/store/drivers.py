"""Reads on the database drivers themselves, below SQLAlchemy, for the request hot path.

SQLAlchemy's async layer costs more than the queries it runs: on SQLite every DB-API call is a
hop to aiosqlite's worker thread, and every statement is built, cache-keyed and its rows
processed in Python. The hot reads (list pages, a record by id) run here instead:

- SQLite: the process's own ``sqlite3`` connections (WAL, ``query_only``). A read whose
  statements are all known to be short (index lookups of at most a page) runs on the event
  loop's thread; any other read runs in one worker thread, all its statements in one hop.
  Either way a read is one transaction: one snapshot for all its statements.
- PostgreSQL: an asyncpg pool (text arrives as bytes, as from SQLite); asyncpg prepares
  each statement once per connection and keeps it (its statement cache), so a statement is
  parsed and planned once, then run with bound parameters.

A read is an ``async`` function of a :class:`Reads` session; on SQLite it never suspends, so the
same function runs on the loop or, driven to completion by hand, in a worker thread.
A read of one statement (:meth:`DriverReads.one`: a record by id, a first page) needs no
``BEGIN``/``COMMIT``: one statement is its own transaction and sees one snapshot on both
databases, so it runs alone, two calls (SQLite) or round trips (PostgreSQL) fewer.
Statements are written with ``?`` placeholders (:class:`Sql` numbers them for asyncpg) or
compiled once from SQLAlchemy (:func:`compiled`). Writes stay on SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ClauseElement

__all__ = ["DriverReads", "LazyPool", "Reads", "Sql", "compiled", "driver_reads"]

T = TypeVar("T")
_POOL_SIZE = 8

# sqlite3 binds an exact int, float or str as it is, and sends anything else (None, a bool)
# through its adapters: with none registered it looks up ``__adapt__`` on its protocol class,
# which formats an AttributeError and drops it, about 17 times per customer create (a row's
# empty columns, its flags). Registered adapters for the two are found in a dict and are C
# functions that give what binding gave before: None stays None (NULL), a bool its int (1/0).
sqlite3.register_adapter(type(None), cast("Callable[[None], None]", {}.get))
sqlite3.register_adapter(bool, int)
_HELD = 4  # of the pool's connections, the most one() keeps for itself
_SQLITE_THREADS = 4
# Each read connection's page cache, KiB (SQLite's own default is 2,000: 125 pages of 16 KiB).
# A filtered page of 50 jobs scattered through a big table touches more pages than that, and
# with the default cache read its first page in 403 µs a statement, against 193 µs with 8 MiB
# (docs/performance.md, "Eleventh session"). Bounded: one loop connection and at most
# _SQLITE_THREADS more, so at most 80 MiB a process, whatever the tenant's size.
_SQLITE_CACHE_KIB = 16_384


@dataclass(frozen=True)
class Sql:
    """One statement in both placeholder styles: ``?`` (sqlite3) and ``$n`` (asyncpg)."""

    qmark: str
    numbered: str

    @classmethod
    def of(cls, text: str) -> Sql:
        parts = text.split("?")
        numbered = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], 1))
        return cls(" ".join(text.split()), " ".join(numbered.split()))


class Reads(Protocol):
    """One read transaction's statements. ``sql`` is a :class:`Sql` or driver-ready text."""

    async def rows(self, sql: Sql | str, args: Sequence[Any]) -> list[Sequence[Any]]: ...

    async def value(self, sql: Sql | str, args: Sequence[Any]) -> Any: ...


class _SqliteReads:
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def rows(self, sql: Sql | str, args: Sequence[Any]) -> list[Sequence[Any]]:
        text = sql.qmark if isinstance(sql, Sql) else sql
        return self._conn.execute(text, args).fetchall()

    async def value(self, sql: Sql | str, args: Sequence[Any]) -> Any:
        text = sql.qmark if isinstance(sql, Sql) else sql
        row = self._conn.execute(text, args).fetchone()
        return None if row is None else row[0]


class _PgReads:
    __slots__ = ("_conn",)

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def rows(self, sql: Sql | str, args: Sequence[Any]) -> list[Sequence[Any]]:
        text = sql.numbered if isinstance(sql, Sql) else sql
        return list(await self._conn.fetch(text, *args))

    async def value(self, sql: Sql | str, args: Sequence[Any]) -> Any:
        text = sql.numbered if isinstance(sql, Sql) else sql
        return await self._conn.fetchval(text, *args)


def _drive(work: Awaitable[T]) -> T:
    """Run a coroutine that never suspends (a SQLite read) to its end, on this thread."""
    coro = work.__await__()
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a SQLite read suspended; it must not await anything but its session")


class DriverReads:
    """The hot path's reads on one database; one per :class:`~localtitan.store.Database`."""

    dialect: str

    async def read(self, work: Callable[[Reads], Awaitable[T]], *, short: bool) -> T:
        raise NotImplementedError

    async def one(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        """The rows of one short statement (an index lookup of at most a page)."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _Sqlite(DriverReads):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._loop_conn: sqlite3.Connection | None = None
        self._spare: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._threads = asyncio.Semaphore(_SQLITE_THREADS)

    def _open(self) -> sqlite3.Connection:
        # uri=True with mode=rw: never create a database that is not there.
        conn = sqlite3.connect(
            f"file:{self._path}?mode=rw",
            uri=True,
            timeout=30,
            isolation_level=None,
            check_same_thread=False,
        )
        # Text arrives as bytes: stored JSON goes into a response without a decode and encode.
        conn.text_factory = bytes
        conn.execute("PRAGMA query_only=1")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
        with self._lock:
            self._opened.append(conn)
        return conn

    @staticmethod
    def _in_transaction(conn: sqlite3.Connection, work: Callable[[Reads], Awaitable[T]]) -> T:
        conn.execute("BEGIN")
        try:
            return _drive(work(_SqliteReads(conn)))
        finally:
            conn.execute("COMMIT")

    async def read(self, work: Callable[[Reads], Awaitable[T]], *, short: bool) -> T:
        if short:
            conn = self._loop_conn
            if conn is None:
                conn = self._loop_conn = self._open()
            return self._in_transaction(conn, work)
        async with self._threads:
            return await asyncio.to_thread(self._off_loop, work)

    async def one(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        conn = self._loop_conn
        if conn is None:
            conn = self._loop_conn = self._open()
        # Autocommit (isolation_level=None): the statement is its own read transaction.
        return conn.execute(sql.qmark, args).fetchall()

    def _off_loop(self, work: Callable[[Reads], Awaitable[T]]) -> T:
        try:
            conn = self._spare.get_nowait()
        except queue.Empty:
            conn = self._open()
        try:
            return self._in_transaction(conn, work)
        finally:
            self._spare.put(conn)

    async def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._loop_conn = None
        self._spare = queue.SimpleQueue()


class LazyPool:
    """An asyncpg pool made on first use, in the event loop that uses it, once however many
    callers ask together."""

    def __init__(self, dsn: str, **options: Any) -> None:
        self._dsn = dsn
        self._options = options
        self.pool: Any = None
        self._starting: asyncio.Lock | None = None

    async def get(self) -> Any:
        if self.pool is not None:
            return self.pool
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self.pool is None:
                import asyncpg

                self.pool = await asyncpg.create_pool(self._dsn, **self._options)
        return self.pool

    async def close(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()


class _Postgres(DriverReads):
    dialect = "postgresql"

    def __init__(self, dsn: str) -> None:
        self._pools = LazyPool(
            dsn,
            min_size=1,
            max_size=_POOL_SIZE,
            statement_cache_size=512,
            reset=_end_read,
            init=_text_as_bytes,
        )
        self._get_pool = self._pools.get
        # Connections one() keeps out of the pool between its statements (at most _HELD, so
        # read() always finds some): asyncpg's acquire and release (a timeout, a shielded
        # task per release) cost more than the statement's own protocol work. When all are
        # busy a caller waits for the next one handed on (first come, first served) rather
        # than taking another from the pool: at 16 requests in flight the pool's path cost
        # about 100 us of CPU a request more than the hand-on.
        self._free: list[Any] = []
        self._held = 0
        self._waiting: deque[asyncio.Future[Any]] = deque()

    async def read(self, work: Callable[[Reads], Awaitable[T]], *, short: bool) -> T:
        pool = await self._get_pool()
        async with pool.acquire() as conn:
            if short:
                # Its statements see the same data wherever it matters (see the callers);
                # BEGIN and COMMIT would be two more round trips.
                return await work(_PgReads(conn))
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                return await work(_PgReads(conn))

    async def one(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        # The usual case written out (a free connection, nobody waiting): no coroutine of
        # _take's to make and run, no calls to hand the connection on (decision 0340).
        free = self._free
        conn = free.pop() if free else None
        if conn is None or conn.is_closed():
            if conn is not None:
                await self._give_back(conn)
            conn = await self._take()
        try:
            rows: list[Sequence[Any]] = await conn.fetch(sql.numbered, *args)
        except BaseException:
            # Failed or cancelled mid-statement: the pool resets the connection or closes it.
            await self._give_back(conn)
            raise
        if self._waiting:
            self._hand_on(conn)
        else:
            self._free.append(conn)  # not ``free``: close() may have replaced the list
        return rows

    async def _take(self) -> Any:
        """One of the held connections: a free one, a new one while fewer than _HELD are
        held, else the next one handed on."""
        while True:
            while self._free:
                conn = self._free.pop()
                if not conn.is_closed():
                    return conn
                await self._give_back(conn)
            if self._held < _HELD:
                # Counted before the wait: coroutines arriving together must not all take
                # connections, or read() could find the pool empty.
                self._held += 1
                try:
                    pool = self._pools.pool or await self._get_pool()
                    return await pool.acquire()
                except BaseException:
                    self._held -= 1
                    self._wake(None)
                    raise
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                conn = await waiter
            except BaseException:
                # Cancelled after being handed a connection (or a free slot): pass it on.
                if waiter.done() and not waiter.cancelled():
                    handed = waiter.result()
                    if handed is None:
                        self._wake(None)
                    else:
                        self._hand_on(handed)
                raise
            if conn is not None:
                return conn
            # None: a held connection went back to the pool; take its slot (loop again).

    def _wake(self, conn: Any) -> bool:
        """Give ``conn`` (None: a free slot) to the first caller still waiting, if any."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def _hand_on(self, conn: Any) -> None:
        if not self._wake(conn):
            self._free.append(conn)

    async def _give_back(self, conn: Any) -> None:
        self._held -= 1
        self._wake(None)
        pool = self._pools.pool
        if pool is not None:
            with contextlib.suppress(Exception):
                await pool.release(conn)

    async def close(self) -> None:
        free, self._free = self._free, []
        for conn in free:
            await self._give_back(conn)
        await self._pools.close()


class _ThroughEngine(DriverReads):
    """The same reads through SQLAlchemy's connection, for a database no other connection can
    see (in-memory SQLite): correct, not fast."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.dialect = engine.dialect.name

    async def read(self, work: Callable[[Reads], Awaitable[T]], *, short: bool) -> T:
        async with self._engine.connect() as conn:
            return await work(_EngineReads(conn))

    async def one(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        async with self._engine.connect() as conn:
            return await _EngineReads(conn).rows(sql, args)

    async def close(self) -> None:
        return None


class _EngineReads:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def rows(self, sql: Sql | str, args: Sequence[Any]) -> list[Sequence[Any]]:
        text = sql.qmark if isinstance(sql, Sql) else sql
        return list((await self._conn.exec_driver_sql(text, tuple(args))).all())

    async def value(self, sql: Sql | str, args: Sequence[Any]) -> Any:
        rows = await self.rows(sql, args)
        return rows[0][0] if rows else None


async def _text_as_bytes(conn: Any) -> None:
    """Text columns arrive as their UTF-8 bytes, as they do from SQLite (``text_factory``):
    stored JSON goes into a response without a decode and an encode per record."""
    await conn.set_type_codec(
        "text", schema="pg_catalog", encoder=str.encode, decoder=bytes, format="binary"
    )


async def _end_read(conn: Any) -> None:
    """What a connection needs before its next read. Reads set no session state (no SET,
    LISTEN, advisory locks or open cursors), so asyncpg's default reset, one more round trip
    per read, has nothing to undo; only a transaction a cancelled read left open is rolled
    back."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def driver_reads(url: str, engine: AsyncEngine) -> DriverReads:
    """The driver reads for a SQLAlchemy URL and its engine."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        return _Sqlite(parsed.database)
    if backend == "postgresql" and parsed.get_driver_name() == "asyncpg":
        return _Postgres(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    return _ThroughEngine(engine)


# ---------------------------------------------------------------- SQLAlchemy statements

_COMPILED_MAX = 2048
_compiled: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def compiled(stmt: ClauseElement, dialect: Dialect) -> tuple[str, list[Any]]:
    """A SQLAlchemy statement as driver text and positional arguments.

    Compiled once per statement shape (SQLAlchemy's own cache key: the statement without its
    values) and dialect; each call only binds this statement's values, through the dialect's
    bind processors (SQLite's dates and booleans).
    """
    key = stmt._generate_cache_key()  # the key SQLAlchemy caches by
    if key is None:
        return _compile_now(stmt.compile(dialect=dialect), None)
    cache_key = (dialect.name, dialect.driver, key.key)
    done = _compiled.get(cache_key)
    if done is None:
        done = stmt.compile(dialect=dialect, cache_key=key)
        _compiled[cache_key] = done
        if len(_compiled) > _COMPILED_MAX:
            _compiled.popitem(last=False)
    return _compile_now(done, key.bindparams)


def _compile_now(done: Any, extracted: Any) -> tuple[str, list[Any]]:
    params = done.construct_params(extracted_parameters=extracted, escape_names=False)
    if (
        done._post_compile_expanded_state is not None
        or done.literal_execute_params
        or (done.post_compile_params)
    ):
        state = done._process_parameters_for_postcompile(params)
        text, names, params = state.statement, state.positiontup, state.parameters
        processors = {**done._bind_processors, **state.processors}
    else:
        text, names, processors = done.string, done.positiontup, done._bind_processors
    args = []
    for name in names or ():
        value = params[name]
        processor = processors.get(name)
        args.append(processor(value) if processor is not None and value is not None else value)
    return text, args
