"""A unit of work's connection on the database drivers, below SQLAlchemy: a read session or a
write session, each one transaction.

- A **read session** takes no write lock. SQLite: one of the process's ``sqlite3`` connections
  (``query_only``, WAL), its snapshot taken by the first statement; PostgreSQL: a pooled asyncpg
  connection in a read-only REPEATABLE READ transaction, so every statement sees one snapshot.
- A **write session** is the process's one writer on SQLite: the caller holds the process's
  write turn (:meth:`localtitan.store.Database.writing`), and SQLite's write lock is taken up
  front (``BEGIN IMMEDIATE``), so a transaction that reads before it writes cannot fail with
  "database is locked" halfway. On PostgreSQL it is a pooled connection in a READ COMMITTED
  transaction, ordered among writers by the tenant's counter row (store/counters.py).

On SQLite every statement runs on the event loop's thread: a unit's statements are index
lookups and inserts of a few rows, each a few microseconds, where a hop to a worker thread
costs tens. What could wait is kept off the loop: another process's write lock is waited for
by retrying with ``asyncio.sleep`` (not in SQLite's busy handler, which would stop the loop),
and the WAL is checkpointed by a worker thread (the loop's writer never checkpoints). Commits
use ``synchronous=NORMAL``: in WAL mode a commit is in the operating system's hands when it
returns, so it survives the process being killed (``kill -9``); only the machine losing power
can lose the last commits.

Statements are :class:`~localtitan.store.drivers.Sql` (both placeholder styles), built once by
the store modules that run them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from localtitan.store.drivers import Sql

__all__ = ["Session", "Sessions", "WriteLockTimeout", "driver_sessions"]

# How long a writer waits for another process's SQLite write lock, as SQLAlchemy's connections
# do (busy_timeout=30000), before giving up.
WRITE_LOCK_WAIT = 30.0
# The WAL is checkpointed by a worker thread about every this many pages (frames) written,
# SQLite's own autocheckpoint default. What a commit writes varies (a group commit of 16
# units shares its hot pages: the counter, the indexes' last leaves), so the writer counts
# units and each checkpoint tells it how many frames that many units wrote; the next
# interval is set from that. Counting 200 units a checkpoint, as this did, checkpointed every
# 250 pages or so under concurrent creates, and the checkpoints cost 3% of a create's CPU.
_CHECKPOINT_FRAMES = 1000
# Units between checkpoints: the first interval, and the bounds of the ones set later.
_CHECKPOINT_FIRST = 200
_CHECKPOINT_FEWEST = 20
_CHECKPOINT_MOST = 1000
# A checkpoint in another thread copies the WAL into the database, but SQLite starts the WAL
# again only when a write transaction begins with all of it copied, which never happens while
# the writer commits without a pause: under a steady stream of writes the WAL grew without
# bound (220 MB for 36 MB of rows). Past this many frames (64 MiB of 16 KiB pages) the
# checkpointer also truncates it: it holds the write lock for the frames written since its
# last copy and until readers move on (at most _TRUNCATE_WAIT_MS); the loop's writers wait
# meanwhile without blocking the loop (_begin_immediate), and one that cannot get it in
# time leaves truncating to the next checkpoint.
_TRUNCATE_FRAMES = 4 * _CHECKPOINT_FRAMES
_TRUNCATE_WAIT_MS = 200
# The most write units one SQLite transaction (one commit) holds: bounds how long the first
# of them waits for its answer and how long another process waits for the write lock.
_GROUP_MOST = 16
# Loop turns with no unit joining after which a group commits: a request already under way
# takes a turn or two (reading its body, its checks) to reach the write turn.
_IDLE_TURNS = 2


class WriteLockTimeout(sqlite3.OperationalError):
    """Another process held SQLite's write lock for longer than :data:`WRITE_LOCK_WAIT`."""


class Session(Protocol):
    """One transaction's statements on the driver."""

    dialect: str

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]: ...

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any: ...

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None: ...

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None: ...

    def finishing(self) -> None:
        """What follows are the unit's last writes (its batched rows, the counter), just
        before it commits."""


class _SqliteSession:
    __slots__ = ("_conn",)
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return self._conn.execute(sql.qmark, args).fetchall()

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any:
        row = self._conn.execute(sql.qmark, args).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None:
        self._conn.execute(sql.qmark, args)

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql.qmark, rows)

    def finishing(self) -> None:
        return None


class _UnitSession(_SqliteSession):
    """A write unit's statements in a transaction other units may share (group commit).

    A write before the unit's last ones opens a savepoint, so that the unit can fail alone
    after it. Its last writes (:meth:`finishing`) need none: nothing in the unit can fail
    after them but those statements themselves. A savepoint costs a copy of every page the
    unit changes (a 16 KiB page each), about what a commit of its own would, so most units,
    which only write at the end, run without one."""

    __slots__ = ("final", "group_last", "last", "saved", "wrote")

    def __init__(
        self, conn: sqlite3.Connection, group_last: dict[Any, tuple[Sql, Sequence[Any]]]
    ) -> None:
        super().__init__(conn)
        self.final = self.saved = self.wrote = False
        # The group's write-backs (write_last), and the ones this unit adds once it succeeds.
        self.group_last = group_last
        self.last: dict[Any, tuple[Sql, Sequence[Any]]] = {}

    def _writing(self) -> None:
        if not self.saved and not self.final:
            self._conn.execute("SAVEPOINT unit")
            self.saved = True
        self.wrote = True

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None:
        self._writing()
        self._conn.execute(sql.qmark, args)

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        self._writing()
        self._conn.executemany(sql.qmark, rows)

    def finishing(self) -> None:
        self.final = True

    def write_last(self, key: Any, sql: Sql, args: Sequence[Any]) -> None:
        """Run ``sql`` just before the group commits, in place of an earlier unit's statement
        of the same ``key``: for a row each unit writes whole and only the last write counts
        (the tenant's counter, store/counters.py). Kept only if this unit succeeds."""
        self.last[key] = (sql, args)

    def written_last(self, key: Any) -> Sequence[Any] | None:
        """The arguments of the latest :meth:`write_last` of ``key`` in the group (this
        unit's own first): what the row holds once they run."""
        found = self.last.get(key) or self.group_last.get(key)
        return None if found is None else found[1]


class _PgSession:
    __slots__ = ("_conn",)
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await self._conn.fetch(sql.numbered, *args))

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any:
        return await self._conn.fetchval(sql.numbered, *args)

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None:
        await self._conn.execute(sql.numbered, *args)

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(sql.numbered, rows)

    def finishing(self) -> None:
        return None


class _EngineSession:
    """The same statements through SQLAlchemy's connection, for a database no other connection
    can see (in-memory SQLite): correct, not fast."""

    __slots__ = ("_conn", "dialect")

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.dialect = conn.dialect.name

    def _text(self, sql: Sql) -> str:
        return sql.numbered if self.dialect == "postgresql" else sql.qmark

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return list((await self._conn.exec_driver_sql(self._text(sql), tuple(args))).all())

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any:
        rows = await self.rows(sql, args)
        return rows[0][0] if rows else None

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None:
        await self._conn.exec_driver_sql(self._text(sql), tuple(args))

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self._conn.exec_driver_sql(self._text(sql), [tuple(r) for r in rows])

    def finishing(self) -> None:
        return None


class Sessions:
    """Read and write sessions on one database; one per :class:`~localtitan.store.Database`,
    which holds the write turn around :meth:`write`."""

    dialect: str

    def read(self) -> contextlib.AbstractAsyncContextManager[Session]:
        raise NotImplementedError

    def write(self) -> contextlib.AbstractAsyncContextManager[Session]:
        raise NotImplementedError

    def unit(
        self, turn: asyncio.Lock, key: tuple[str, int] | None = None
    ) -> contextlib.AbstractAsyncContextManager[Session]:
        """A write unit's session, in the process's write ``turn`` (SQLite): its own
        transaction here; on SQLite's own file one shared with the units queued behind it, on
        PostgreSQL with the units of its tenant (``key``: environment and tenant id) queued
        behind it (store/pg_units.py)."""
        return self._own_unit(turn)

    @asynccontextmanager
    async def _own_unit(self, turn: asyncio.Lock) -> AsyncIterator[Session]:
        if self.dialect != "sqlite":
            async with self.write() as session:
                yield session
            return
        async with turn, self.write() as session:
            yield session

    def settle(self) -> None:
        """Commit the write units' shared transaction, if one is open (SQLite), before
        another writer of this process takes the write turn."""

    async def close(self) -> None:
        raise NotImplementedError


class _Group:
    """Write units that share one SQLite transaction and wait for its commit."""

    __slots__ = ("last", "loop", "tick", "turn", "units", "waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop, turn: asyncio.Lock) -> None:
        self.loop = loop
        self.turn = turn
        self.units = 0
        # One future per unit that ran, answered by the commit. Each its own, not one shared
        # and shielded: a unit cancelled while it waits cancels only its future, and
        # asyncio.shield's outer future and callbacks cost more than the rest of the wait.
        self.waiting: list[asyncio.Future[None]] = []
        self.tick: asyncio.Handle | None = None
        # Statements run before the commit, by key (_UnitSession.write_last).
        self.last: dict[Any, tuple[Sql, Sequence[Any]]] = {}


class _Sqlite(Sessions):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._readers: list[sqlite3.Connection] = []
        self._writer: sqlite3.Connection | None = None
        self._opened: list[sqlite3.Connection] = []
        # Units committed since the last checkpoint, and how many of them start the next.
        self._commits = 0
        self._checkpoint_every = _CHECKPOINT_FIRST
        # The WAL's frames at the last checkpoint.
        self._wal_frames = 0
        self._checkpointing: threading.Thread | None = None
        # The write units' open transaction (group commit, unit()).
        self._group: _Group | None = None

    def _open(self, *, query_only: bool) -> sqlite3.Connection:
        # uri=True with mode=rw: never create a database that is not there.
        conn = sqlite3.connect(
            f"file:{self._path}?mode=rw",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
        if query_only:
            conn.execute("PRAGMA query_only=1")
            conn.execute("PRAGMA busy_timeout=30000")
        else:
            # The lock is waited for by write(), never by SQLite's busy handler on the loop.
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # The worker thread of _checkpoint() does it instead, off the loop.
            conn.execute("PRAGMA wal_autocheckpoint=0")
        self._opened.append(conn)
        return conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        conn = self._readers.pop() if self._readers else self._open(query_only=True)
        try:
            conn.execute("BEGIN")
            try:
                yield _SqliteSession(conn)
            finally:
                conn.execute("COMMIT")
        finally:
            self._readers.append(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        conn = self._writer
        if conn is None:
            conn = self._writer = self._open(query_only=False)
        await _begin_immediate(conn)
        try:
            yield _SqliteSession(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._committed(1)

    def unit(
        self, turn: asyncio.Lock, key: tuple[str, int] | None = None
    ) -> contextlib.AbstractAsyncContextManager[Session]:
        """Group commit: a unit leaves its transaction open for the units that reach the
        write turn in the event loop's next turns (other requests, already under way), and
        the group commits once a loop turn passes with none joining (or at the
        :data:`_GROUP_MOST`-th unit). Units run one after another, each writing only at its
        end (or in a savepoint, see :class:`_UnitSession`), so one that fails rolls back
        alone; each answers only once the commit that holds its writes has returned
        (``synchronous=NORMAL``: in the operating system's hands, so a ``kill -9`` loses
        nothing acknowledged). One commit's WAL pages then serve the whole group."""
        return _Unit(self, turn)

    def _after_unit(self) -> None:
        group = self._group
        if group is None:
            return
        if group.units >= _GROUP_MOST:
            self.settle()
        elif group.tick is None:
            group.tick = asyncio.get_running_loop().call_soon(self._tick, group, group.units, 0)

    def _tick(self, group: _Group, units: int, idle: int) -> None:
        """One loop turn after a unit left: commit when no unit joined for long enough."""
        group.tick = None
        if self._group is not group:
            return
        if group.turn.locked():
            return  # a writer holds the turn: a unit ticks again as it leaves, others settle
        idle = 0 if group.units != units else idle + 1
        if idle >= _IDLE_TURNS:
            self.settle()
            return
        group.tick = asyncio.get_running_loop().call_soon(self._tick, group, group.units, idle)

    def _undo_unit(self, conn: sqlite3.Connection, session: _UnitSession) -> None:
        if not session.wrote:
            return
        if session.saved:
            try:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                return
            except sqlite3.Error as exc:
                failure: BaseException = exc  # SQLite rolled the transaction back itself
        else:
            failure = RuntimeError("a write unit's last statements failed")
        # Its last writes failed halfway, with no savepoint: the group's transaction goes
        # (its other units answer with the error; none of them was acknowledged).
        self._end_group(failure)

    def settle(self) -> None:
        if self._group is not None:
            self._end_group(None)

    def _end_group(self, failure: BaseException | None) -> None:
        group, self._group = self._group, None
        if group is None:
            return
        if group.tick is not None:
            group.tick.cancel()
        conn = self._writer
        assert conn is not None
        try:
            if failure is None and group.units:
                for sql, args in group.last.values():
                    conn.execute(sql.qmark, args)
                conn.execute("COMMIT")
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            failure = exc
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        if failure is not None:
            for done in group.waiting:
                if not done.done():  # not cancelled while it waited
                    done.set_exception(failure)
            return
        for done in group.waiting:
            if not done.done():
                done.set_result(None)
        self._committed(group.units)

    def _committed(self, units: int) -> None:
        """``units`` more units are in the WAL: checkpoint once the interval is reached."""
        self._commits += units
        if self._commits >= self._checkpoint_every:
            self._checkpoint()

    def _checkpoint(self) -> None:
        if self._checkpointing is not None and self._checkpointing.is_alive():
            return
        units, self._commits = self._commits, 0
        # PASSIVE: copies what no reader still needs, never waits for readers or writers.
        thread = threading.Thread(target=self._checkpoint_now, args=(units,), daemon=True)
        self._checkpointing = thread
        thread.start()

    def _checkpoint_now(self, units: int) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            found = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if found is None or found[1] < 0:
                return
            self._checkpoint_every = _next_interval(
                units, found[1], self._wal_frames, self._checkpoint_every
            )
            self._wal_frames = found[1]
            if found[1] >= _TRUNCATE_FRAMES:
                conn.execute(f"PRAGMA busy_timeout={_TRUNCATE_WAIT_MS}")
                truncated = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if truncated is not None and truncated[0] == 0:
                    self._wal_frames = 0
        except sqlite3.Error:
            return  # a checkpoint that cannot run now runs at the next one
        finally:
            conn.close()

    async def close(self) -> None:
        self.settle()
        thread = self._checkpointing
        if thread is not None:
            await asyncio.to_thread(thread.join)
        for conn in self._opened:
            conn.close()
        self._opened, self._readers, self._writer = [], [], None


def _next_interval(units: int, frames: int, frames_before: int, now: int) -> int:
    """Units until the next checkpoint, so that about :data:`_CHECKPOINT_FRAMES` frames are
    written in between: ``units`` wrote the WAL's frames past ``frames_before`` (its count at
    the last checkpoint), or all its ``frames`` if SQLite started the WAL again meanwhile
    (which it does only when no reader still reads in it)."""
    written = frames if frames < frames_before else frames - frames_before
    if units <= 0 or written <= 0:
        return now
    wanted = units * _CHECKPOINT_FRAMES // written
    return max(_CHECKPOINT_FEWEST, min(_CHECKPOINT_MOST, wanted))


class _Unit:
    """:meth:`_Sqlite.unit` written out as a context manager class: every create entered it,
    and an async generator's context manager (its object, the generator, the loop's weak set
    of async generators and its hooks) cost more than the unit's own work around it. Holds
    the write turn from entering to leaving; a unit that succeeded then waits for its group's
    commit, one that failed is undone and its error goes on."""

    __slots__ = ("_conn", "_done", "_session", "_sessions", "_turn")

    def __init__(self, sessions: _Sqlite, turn: asyncio.Lock) -> None:
        self._sessions = sessions
        self._turn = turn

    async def __aenter__(self) -> Session:
        sessions, turn = self._sessions, self._turn
        await turn.acquire()
        try:
            conn = sessions._writer
            if conn is None:
                conn = sessions._writer = sessions._open(query_only=False)
            if sessions._group is None:
                await _begin_immediate(conn)
                sessions._group = _Group(asyncio.get_running_loop(), turn)
            group = sessions._group
            # Answered by whichever end the group meets, even while the unit runs.
            self._done = done = group.loop.create_future()
            group.waiting.append(done)
            self._conn = conn
            self._session = session = _UnitSession(conn, group.last)
        except BaseException:
            try:
                sessions._after_unit()
            finally:
                turn.release()
            raise
        return session

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        sessions = self._sessions
        try:
            try:
                if kind is not None:
                    self._done.cancel()  # nothing to wait for: the group's end passes it by
                    sessions._undo_unit(self._conn, self._session)
                    return  # the error goes on
                session = self._session
                if session.saved:
                    self._conn.execute("RELEASE unit")
                group = sessions._group
                assert group is not None
                if session.last:
                    group.last.update(session.last)
                group.units += 1
            finally:
                sessions._after_unit()
        finally:
            self._turn.release()
        await self._done


async def _begin_immediate(conn: sqlite3.Connection) -> None:
    """Take SQLite's write lock, waiting (without blocking the loop) while another process
    holds it: this process's writers already queue on its write turn."""
    deadline = time.monotonic() + WRITE_LOCK_WAIT
    pause = 0.001
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if conn.in_transaction or ("locked" not in str(exc) and "busy" not in str(exc)):
                raise
            if time.monotonic() >= deadline:
                raise WriteLockTimeout("database is locked") from exc
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.05)


class _ThroughEngine(Sessions):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        async with self._engine.connect() as conn:
            yield _EngineSession(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        async with self._writer.begin() as conn:
            yield _EngineSession(conn)

    async def close(self) -> None:
        return None


def driver_sessions(url: str, engine: AsyncEngine) -> Sessions:
    """The unit sessions for a SQLAlchemy URL and its engine."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        return _Sqlite(parsed.database)
    if backend == "postgresql" and parsed.get_driver_name() == "asyncpg":
        from localtitan.store.pg_units import PgSessions  # it builds on this module

        return PgSessions(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    return _ThroughEngine(engine)
