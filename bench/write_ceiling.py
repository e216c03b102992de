"""The write ceiling: a minimal ASGI app that does the durable work of one customer create and
nothing else, so ``post_customer`` can say how far localtitan is from what the database
itself allows.

For every request it reads the JSON body and decodes it, then, in one transaction on the
database driver itself (``sqlite3`` on the loop's thread as the server's writer does, or an
asyncpg pool): takes the tenant's counter row (``UPDATE ... RETURNING``, allocating the two
ids and row versions and the write time in one statement), inserts the customer's and its
location's rows as the server stores them (every column of ``records``, the stored JSON built
from the body over the server's own stored record and encoded), and commits. It answers with
the bytes the server answered (as the bare app does), so the only difference from the bare app
is the durable write and from localtitan everything localtitan does around it.

It commits in groups as the server does (a transaction stays open while creates keep
arriving, at most 16 a commit; on PostgreSQL one group per tenant, on one connection).
It writes to the server's own database (same file or PostgreSQL database, same indexes and
size), under its own tenant id, so the server's data is untouched; on SQLite with the
server's settings (WAL, ``synchronous=NORMAL``: a commit survives ``kill -9``), on PostgreSQL
as the server commits (``synchronous_commit`` as configured). The templates are the rows the
server wrote for the captured create (``--customer-id``), read at start.

Run by ``post_customer`` as ``python -m bench.write_ceiling --port P --response FILE
--database URL --tenant T --customer-id ID``.
"""

# Statements are built from the constant column list below, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from bench.baseline import Captured
from localtitan.store.rows import COLUMNS

__all__ = ["WriteCeiling", "main"]

# The server's group commit (store/sessions.py): at most this many creates per commit, which
# happens once this many loop turns pass with none joining.
GROUP_MOST = 16
IDLE_TURNS = 2
# The ceiling's rows go under the server's tenant id plus this: a tenant no request names.
TENANT_OFFSET = 1_000_000_000
_FIRST_ID = 10_000_001
_COLUMNS = COLUMNS  # the server's own records columns (store/rows.py)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM records WHERE environment = ? AND tenant_id = ?"
_CUSTOMER = _SELECT + " AND kind = 'crm:customers' AND id = ?"
_LOCATIONS = _SELECT + " AND kind = 'crm:locations' AND customer_id = ? ORDER BY id LIMIT 1"
_START = (
    "INSERT INTO record_counters (environment, tenant_id, next_id, row_version, clock_us)"
    " VALUES (?, ?, ?, 0, 0) ON CONFLICT DO NOTHING"
)
# Two ids and two row versions at once: a create knows what it makes before it starts.
_TAKE_SQLITE = (
    "UPDATE record_counters SET next_id = next_id + 2, row_version = row_version + 2,"
    " clock_us = max(?, clock_us + 1) WHERE environment = ? AND tenant_id = ?"
    " RETURNING next_id, row_version, clock_us"
)
_TAKE_PG = (
    "UPDATE record_counters SET next_id = next_id + 2, row_version = row_version + 2,"
    " clock_us = greatest(floor(extract(epoch from clock_timestamp()) * 1000000)::bigint,"
    " clock_us + 1) WHERE environment = $1 AND tenant_id = $2"
    " RETURNING next_id, row_version, clock_us"
)
_INSERT = f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_INSERT_PG_TWO = f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES " + ", ".join(
    "(" + ", ".join(f"${i + row * len(_COLUMNS) + 1}" for i in range(len(_COLUMNS))) + ")"
    for row in range(2)
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_encoder = msgspec.json.Encoder(decimal_format="number")


async def _rollback_open(conn: Any) -> None:
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], 1))


def _stamp(clock_us: int) -> tuple[datetime, str]:
    when = _EPOCH + timedelta(microseconds=clock_us)
    return when, when.replace(tzinfo=None).isoformat(timespec="microseconds") + "0Z"


class WriteCeiling:
    """ASGI app: read and decode the body, write a customer and its location durably, answer
    the captured bytes."""

    def __init__(self, response: Captured, database: str, tenant_id: int, customer_id: int) -> None:
        self.status = response.status
        self.headers = response.replayable_headers()
        self.body = response.body
        self.database = database
        self.env = "integration"
        self.source_tenant = tenant_id
        self.tenant = tenant_id + TENANT_OFFSET
        self.customer_id = customer_id
        self.pg = database.startswith("postgresql")
        self._conn: sqlite3.Connection | None = None
        self._pool: Any = None
        self._lock = asyncio.Lock()
        # SQLite's group commit: the open group's future, its units and its idle check.
        self._done: asyncio.Future[None] | None = None
        self._units = 0
        self._tick: asyncio.Handle | None = None
        # PostgreSQL's group commit: the open group's connection and the commits under way.
        self._conn_pg: Any = None
        self._committing: set[asyncio.Task[None]] = set()
        # The server's stored customer and location: column values and decoded JSON.
        self._customer: dict[str, Any] = {}
        self._location: dict[str, Any] = {}

    # ------------------------------------------------------------ start

    async def startup(self) -> None:
        if self.pg:
            import asyncpg

            dsn = self.database.replace("postgresql+asyncpg://", "postgresql://")
            # As the server's write pool: no reset round trip on release (store/pg_units.py).
            self._pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=8, reset=_rollback_open
            )
            async with self._pool.acquire() as conn:
                rows = await self._templates_pg(conn)
                await conn.execute(_numbered(_START), self.env, self.tenant, _FIRST_ID)
        else:
            path = self.database.split(":///", 1)[1]
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
            # The server's writer connection's settings (store/sessions.py).
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._conn = conn
            customer = conn.execute(_CUSTOMER, (self.env, self.source_tenant, self.customer_id))
            location = conn.execute(_LOCATIONS, (self.env, self.source_tenant, self.customer_id))
            rows = [customer.fetchone(), location.fetchone()]
            conn.execute(_START, (self.env, self.tenant, _FIRST_ID))
        if rows[0] is None or rows[1] is None:
            raise RuntimeError(f"customer {self.customer_id} or its location is not stored")
        self._customer, self._location = (self._template(r) for r in rows)

    async def _templates_pg(self, conn: Any) -> list[Any]:
        args = (self.env, self.source_tenant, self.customer_id)
        return [
            await conn.fetchrow(_numbered(_CUSTOMER), *args),
            await conn.fetchrow(_numbered(_LOCATIONS), *args),
        ]

    @staticmethod
    def _template(row: Sequence[Any]) -> dict[str, Any]:
        out = dict(zip(_COLUMNS, row, strict=True))
        out["data"] = msgspec.json.decode(out["data"])
        return out

    # ------------------------------------------------------------ one create

    def _rows(self, body: Any, next_id: int, version: int, clock_us: int) -> list[list[Any]]:
        """The customer's and location's rows, after the counter moved by two."""
        customer_id, location_id = next_id - 2, next_id - 1
        when, text = _stamp(clock_us)
        created: Any = when if self.pg else when.replace(tzinfo=None).isoformat(" ", "microseconds")
        fields = body if isinstance(body, dict) else {}
        locations = fields.get("locations") or [{}]
        times = {"createdOn": text, "modifiedOn": text}
        customer_data = {
            **self._customer["data"],
            **{k: v for k, v in fields.items() if k not in ("locations", "contacts")},
            **times,
            "id": customer_id,
        }
        location_data = {
            **self._location["data"],
            **{k: v for k, v in locations[0].items() if k != "contacts"},
            **times,
            "id": location_id,
            "customerId": customer_id,
        }
        out = []
        for template, rid, data, rv in (
            (self._customer, customer_id, customer_data, version - 1),
            (self._location, location_id, location_data, version),
        ):
            row = dict(template)
            row.update(
                tenant_id=self.tenant,
                id=rid,
                created_on=created,
                modified_on=created,
                row_version=rv,
                data=_encoder.encode(data).decode(),
            )
            if row["customer_id"] is not None:
                row["customer_id"] = customer_id
            out.append([row[c] for c in _COLUMNS])
        return out

    async def _write(self, body: Any) -> None:
        if self.pg:
            # The tenant's creates share a transaction on one connection, committed as the
            # server commits a tenant's groups (store/pg_units.py).
            async with self._lock:
                if self._done is None:
                    self._conn_pg = await self._pool.acquire()
                    await self._conn_pg.execute("BEGIN")
                    self._done = asyncio.get_running_loop().create_future()
                    self._units = 0
                done = self._done
                conn = self._conn_pg
                next_id, version, clock = await conn.fetchrow(_TAKE_PG, self.env, self.tenant)
                rows = self._rows(body, next_id, version, clock)
                await conn.execute(_INSERT_PG_TWO, *rows[0], *rows[1])
                self._units += 1
                if self._units >= GROUP_MOST:
                    self._commit()
                elif self._tick is None:
                    self._tick = asyncio.get_running_loop().call_soon(self._idle, self._units, 0)
            await asyncio.shield(done)
            return
        conn = self._conn
        assert conn is not None
        # One writer at a time, as the server's write turn; statements on the loop's thread;
        # commits grouped as the server groups them (store/sessions.py): the transaction
        # stays open while creates keep arriving, up to GROUP_MOST, and each answers after
        # the commit that holds it.
        async with self._lock:
            if self._done is None:
                conn.execute("BEGIN IMMEDIATE")
                self._done = asyncio.get_running_loop().create_future()
                self._units = 0
            done = self._done
            now_us = time.time_ns() // 1000
            cur = conn.execute(_TAKE_SQLITE, (now_us, self.env, self.tenant))
            next_id, version, clock = cur.fetchone()
            conn.executemany(_INSERT, self._rows(body, next_id, version, clock))
            self._units += 1
            if self._units >= GROUP_MOST:
                self._commit()
            elif self._tick is None:
                self._tick = asyncio.get_running_loop().call_soon(self._idle, self._units, 0)
        await done

    def _idle(self, units: int, idle: int) -> None:
        self._tick = None
        if self._done is None:
            return
        if self._lock.locked():
            return  # a create holds the turn: it ticks again as it leaves
        idle = 0 if self._units != units else idle + 1
        if idle >= IDLE_TURNS:
            self._commit()
        else:
            self._tick = asyncio.get_running_loop().call_soon(self._idle, self._units, idle)

    def _commit(self) -> None:
        done, self._done = self._done, None
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        assert done is not None
        if self.pg:
            conn, self._conn_pg = self._conn_pg, None
            task = asyncio.get_running_loop().create_task(self._commit_pg(conn, done))
            self._committing.add(task)
            task.add_done_callback(self._committing.discard)
            return
        assert self._conn is not None
        self._conn.execute("COMMIT")
        done.set_result(None)

    async def _commit_pg(self, conn: Any, done: asyncio.Future[None]) -> None:
        try:
            await conn.execute("COMMIT")
        finally:
            await self._pool.release(conn)
        done.set_result(None)

    # ------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind != "http":
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            await self._write(msgspec.json.decode(b"".join(chunks)))
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.write_ceiling", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True, help="A file Captured.save wrote.")
    parser.add_argument("--database", required=True, help="The server's database URL.")
    parser.add_argument("--tenant", type=int, required=True, help="The server's tenant id.")
    parser.add_argument("--customer-id", type=int, required=True, help="A customer it created.")
    args = parser.parse_args(argv)
    app = WriteCeiling(Captured.load(args.response), args.database, args.tenant, args.customer_id)
    # The same options as ``localtitan serve`` and the bare app: only the application differs.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
