"""PostgreSQL's write sessions, with group commit of a tenant's write units (decision 0320).

A write unit takes its tenant's counter row first (store/counters.py), and that row's lock is
held until the unit commits, so one tenant's units run one after another anyway: each paid a
BEGIN, a COMMIT (a WAL flush) and a connection's acquire and release of its own while the next
one waited for the lock. Here a tenant's units in this process share one transaction on one
connection, as SQLite's share one (store/sessions.py ``_Sqlite.unit``): a unit leaves the
transaction open for the tenant's units that reach it in the event loop's next turns, and the
group commits once a loop turn passes with none joining (or at the :data:`_GROUP_MOST`-th
unit). A create is then its counter statement and its insert; the group's one commit serves
them all. Each unit answers only once the COMMIT that holds its writes has returned, and a
COMMIT that PostgreSQL turned into a rollback fails every unit of its group: nothing is
acknowledged that is not committed.

Groups are per tenant and environment, so a transaction holds one counter's lock: two
processes' groups never wait for each other's counters (no deadlock), and tenants do not wait
for each other. Units run one after another in their group and write only at their end (a
write before that opens a savepoint), so one that fails rolls back alone. PostgreSQL aborts a
transaction at any failed statement: a unit whose statement failed with no savepoint to return
to ends its group, whose other units answer with the error (none of them was acknowledged).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from localtitan.store.drivers import LazyPool, Sql
from localtitan.store.sessions import Session, Sessions, _PgSession

__all__ = ["PgSessions"]

_POOL_SIZE = 8
# As SQLite's group commit (store/sessions.py): the most units a commit holds, and the loop
# turns with none joining after which a group commits.
_GROUP_MOST = 16
_IDLE_TURNS = 2


async def _rollback_open(conn: Any) -> None:
    """What a write connection needs before its next unit. Units set no session state (no
    SET, LISTEN, advisory locks or cursors), so asyncpg's default reset, one more round trip
    per unit, has nothing to undo; only a transaction left open is rolled back."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class _UnitSession(_PgSession):
    """A write unit's statements in its group's transaction; notes whether one failed (which
    aborts the transaction on PostgreSQL) and opens a savepoint before a write that is not
    among the unit's last."""

    __slots__ = ("failed", "final", "saved", "wrote")

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self.failed = self.final = self.saved = self.wrote = False

    async def _writing(self) -> None:
        if not self.saved and not self.final:
            await self._run(self._conn.execute("SAVEPOINT unit"))
            self.saved = True
        self.wrote = True

    async def _run(self, work: Any) -> Any:
        try:
            return await work
        except BaseException:
            self.failed = True
            raise

    async def rows(self, sql: Sql, args: Sequence[Any]) -> list[Sequence[Any]]:
        return list(await self._run(self._conn.fetch(sql.numbered, *args)))

    async def value(self, sql: Sql, args: Sequence[Any]) -> Any:
        return await self._run(self._conn.fetchval(sql.numbered, *args))

    async def execute(self, sql: Sql, args: Sequence[Any]) -> None:
        await self._writing()
        await self._run(self._conn.execute(sql.numbered, *args))

    async def executemany(self, sql: Sql, rows: Sequence[Sequence[Any]]) -> None:
        await self._writing()
        await self._run(self._conn.executemany(sql.numbered, rows))

    def finishing(self) -> None:
        self.final = True


class _Group:
    """A tenant's write units that share one transaction and wait for its commit."""

    __slots__ = ("conn", "done", "key", "tick", "turn", "units")

    def __init__(self, key: tuple[str, int], conn: Any, turn: asyncio.Lock) -> None:
        self.key = key
        self.conn = conn
        self.turn = turn
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.units = 0
        self.tick: asyncio.Handle | None = None


class PgSessions(Sessions):
    dialect = "postgresql"

    def __init__(self, dsn: str) -> None:
        # Its own pool, not the hot reads' (store/drivers.py): a unit holds its connection
        # while its handler runs, and a read it makes meanwhile must not wait for a
        # connection a unit holds.
        self._pools = LazyPool(
            dsn,
            min_size=1,
            max_size=_POOL_SIZE,
            statement_cache_size=512,
            reset=_rollback_open,
        )
        self._get_pool = self._pools.get
        # Each tenant's (environment, id) write turn and open group.
        self._turns: dict[tuple[str, int], asyncio.Lock] = {}
        self._groups: dict[tuple[str, int], _Group] = {}
        self._ending: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        pool = await self._get_pool()
        async with (
            pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield _PgSession(conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        pool = await self._get_pool()
        async with pool.acquire() as conn, conn.transaction():
            yield _PgSession(conn)

    @asynccontextmanager
    async def unit(
        self, turn: asyncio.Lock, key: tuple[str, int] | None = None
    ) -> AsyncIterator[Session]:
        """A write unit of the tenant ``key`` names, in the group of its tenant's units
        (module docstring); without a key, a transaction of its own."""
        if key is None:
            async with self.write() as session:
                yield session
            return
        tenant_turn = self._turns.get(key)
        if tenant_turn is None:
            tenant_turn = self._turns[key] = asyncio.Lock()
        joined: _Group | None = None
        async with tenant_turn:
            group = self._groups.get(key)
            try:
                if group is None:
                    group = await self._open(key, tenant_turn)
                session = _UnitSession(group.conn)
                try:
                    yield session
                    if session.saved:
                        await session._run(group.conn.execute("RELEASE SAVEPOINT unit"))
                except BaseException:
                    await self._undo_unit(group, session)
                    raise
                group.units += 1
                joined = group
            finally:
                if group is not None:
                    self._after_unit(group)
        if joined is not None:
            # Shielded: the future is the group's, and a waiter cancelled would cancel it.
            await asyncio.shield(joined.done)

    async def _open(self, key: tuple[str, int], turn: asyncio.Lock) -> _Group:
        pool = await self._get_pool()
        conn = await pool.acquire()
        try:
            await conn.execute("BEGIN")
        except BaseException:
            await pool.release(conn)
            raise
        group = self._groups[key] = _Group(key, conn, turn)
        return group

    async def _undo_unit(self, group: _Group, session: _UnitSession) -> None:
        if not session.wrote and not session.failed:
            return  # nothing of its own in the transaction (its counter's clock may move on)
        if session.saved:
            try:
                await group.conn.execute("ROLLBACK TO SAVEPOINT unit")
                await group.conn.execute("RELEASE SAVEPOINT unit")
                return
            except Exception as exc:
                failure: BaseException = exc
        else:
            failure = RuntimeError("a write unit's statement failed with no savepoint")
        # The transaction is aborted, or holds writes of this unit it cannot undo: it goes
        # (its other units answer with the error; none of them was acknowledged).
        self._end(group, failure)

    def _after_unit(self, group: _Group) -> None:
        if self._groups.get(group.key) is not group:
            return
        if group.units >= _GROUP_MOST:
            self._end(group, None)
        elif group.tick is None:
            group.tick = asyncio.get_running_loop().call_soon(self._tick, group, group.units, 0)

    def _tick(self, group: _Group, units: int, idle: int) -> None:
        """One loop turn after a unit left: commit when no unit joined for long enough."""
        group.tick = None
        if self._groups.get(group.key) is not group:
            return
        if group.turn.locked():
            return  # a unit holds the tenant's turn: it ticks again as it leaves
        idle = 0 if group.units != units else idle + 1
        if idle >= _IDLE_TURNS:
            self._end(group, None)
            return
        group.tick = asyncio.get_running_loop().call_soon(self._tick, group, group.units, idle)

    def _end(self, group: _Group, failure: BaseException | None) -> None:
        """Detach the group (the tenant's next unit opens another) and commit or roll it
        back in a task of its own."""
        if self._groups.get(group.key) is group:
            del self._groups[group.key]
        if group.tick is not None:
            group.tick.cancel()
            group.tick = None
        task = asyncio.get_running_loop().create_task(self._finish(group, failure))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    async def _finish(self, group: _Group, failure: BaseException | None) -> None:
        conn = group.conn
        try:
            if failure is None and group.units:
                status = await conn.execute("COMMIT")
                if status != "COMMIT":
                    # PostgreSQL answers COMMIT of an aborted transaction with a rollback.
                    failure = RuntimeError(f"the group's transaction did not commit: {status}")
            else:
                await conn.execute("ROLLBACK")
        except BaseException as exc:
            failure = exc
        finally:
            pool = await self._get_pool()
            try:
                await pool.release(conn)
            except Exception:
                conn.terminate()
        if failure is None:
            group.done.set_result(None)
        elif group.units:
            group.done.set_exception(failure)
            group.done.exception()  # retrieved: a unit that stopped waiting leaves no warning
        else:
            group.done.cancel()

    def settle(self) -> None:
        for group in list(self._groups.values()):
            self._end(group, None)

    async def close(self) -> None:
        self.settle()
        while self._ending:
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self._ending)
        await self._pools.close()
