"""The request log's rows (table ``request_log``): written in batches by the log's flusher,
pruned to its bounds, and read back for the log pages and ``localtitan logs tail``.

Writes run on the drivers, below SQLAlchemy: a batch arrives as tuples in :data:`COLUMNS`
order. On SQLite it is written by the process's one writer, the same connection and write
turn as the API's write units, on the event loop's thread, in chunks of :data:`SQLITE_CHUNK`
rows (about a millisecond and a half each, the longest the loop is held), each chunk one
``executemany`` in a transaction of its own (:meth:`Database.writing_alone`). It used to go
to a worker thread on a connection of its own: there, every row's step let go of the GIL and
took it back from the loop's thread, two threads on one CPU trading it a thousand times a
batch, which cost more than the inserts. On PostgreSQL a batch is one binary ``COPY``
(asyncpg encodes the rows in C).

Every read names the app or the tenant it is for (or, for ``tail``, filters by them when
given); callers check that the person asking may see that app or tenant before they call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Select, delete, func, select

from localtitan.store.database import Connection, Database
from localtitan.store.drivers import Sql
from localtitan.store.tables import request_log

__all__ = [
    "COLUMNS",
    "MAX_PAGE",
    "SQLITE_CHUNK",
    "LogEntry",
    "LogFilter",
    "LogRow",
    "LogWriter",
    "get_entry",
    "last_id",
    "list_entries",
    "prune",
]

# The columns a batch's tuples fill, in this order (``id`` is the database's).
COLUMNS = (
    "time_ms",
    "environment",
    "area",
    "tenant_id",
    "app_id",
    "client_id",
    "method",
    "path",
    "operation_id",
    "query",
    "status",
    "latency_ms",
    "trace_id",
    "request_size",
    "response_size",
    "request_headers",
    "request_body",
    "response_headers",
    "response_body",
)
# One row as the flusher builds it, in COLUMNS order.
LogRow = tuple[
    int,
    str,
    str,
    int | None,
    int | None,
    str | None,
    str,
    str,
    str | None,
    str | None,
    int,
    float,
    str | None,
    int,
    int,
    str,
    str | None,
    str,
    str | None,
]

_MARKS = ", ".join("?" * len(COLUMNS))
_INSERT = f"INSERT INTO request_log ({', '.join(COLUMNS)}) VALUES ({_MARKS})"  # noqa: S608 - constants
_INSERT_SQL = Sql.of(_INSERT)
MAX_PAGE = 500
# Rows per write on SQLite: each chunk holds the event loop for its inserts and commit.
SQLITE_CHUNK = 250


class LogWriter:
    """Writes one process's batches."""

    def __init__(self, db: Database) -> None:
        self.db = db
        path = db.engine.url.database if db.is_sqlite else None
        # An in-memory database is seen by SQLAlchemy's connection only.
        self._on_driver = db.is_sqlite and bool(path) and path != ":memory:"
        # What one call of append() is given at most (the recorder cuts its batches so).
        self.chunk = SQLITE_CHUNK if db.is_sqlite else 1000

    async def append(self, rows: Sequence[LogRow]) -> None:
        """Write ``rows`` in one transaction."""
        if not rows:
            return
        if self._on_driver:
            # A transaction of its own, not a unit in the API's group: a chunk that fails
            # rolls back alone, and it waits for no group's commit. As a unit (in a savepoint,
            # answered by the group's commit) the whole log cost 2-3% more of a request
            # (docs/performance.md, "Eleventh session").
            async with self.db.writing_alone() as session:
                await session.executemany(_INSERT_SQL, rows)
            return
        async with self.db.begin() as conn:
            if self.db.is_sqlite:
                await conn.exec_driver_sql(_INSERT, list(rows))
                return
            raw = await conn.get_raw_connection()
            # COPY needs no transaction of its own: one statement is all or nothing.
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                "request_log", records=rows, columns=COLUMNS
            )


async def prune(db: Database, *, before_ms: int, keep: int) -> int:
    """Delete rows older than ``before_ms`` and all but the newest ``keep``; how many went.

    The newest ``keep`` are those whose id is within ``keep`` of the highest: ids are given
    in the order rows are written and, but for a lost batch on PostgreSQL, without gaps (a gap
    keeps a few fewer). Finding that edge is one index probe, where counting ``keep`` rows
    down from the top reads every page of the table. Rows older than ``before_ms`` are found
    by the index on time, whatever order they were written in (a clock set back, rows
    imported): an edge found by id instead would assume rows come in time order.
    """
    c = request_log.c
    async with db.begin() as conn:
        gone = (await conn.execute(delete(request_log).where(c.time_ms < before_ms))).rowcount
        top = (await conn.execute(select(func.max(c.id)))).scalar_one_or_none()
        if top is not None and top - keep > 0:
            gone += (await conn.execute(delete(request_log).where(c.id <= top - keep))).rowcount
    return int(gone or 0)


# ---------------------------------------------------------------- reading it back


@dataclass(frozen=True)
class LogFilter:
    app_id: int | None = None
    tenant_id: int | None = None
    environment: str | None = None
    status: tuple[int, int] | None = None
    method: str | None = None
    operation_id: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    after_id: int | None = None
    before_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class LogEntry:
    id: int
    time_ms: int
    environment: str
    area: str
    tenant_id: int | None
    app_id: int | None
    client_id: str | None
    method: str
    path: str
    operation_id: str | None
    query: str | None
    status: int
    latency_ms: float
    trace_id: str | None
    request_size: int
    response_size: int
    request_headers: list[list[str]] | None = None
    request_body: str | None = None
    response_headers: list[list[str]] | None = None
    response_body: str | None = None

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "timeMs": self.time_ms,
            "environment": self.environment,
            "area": self.area,
            "tenantId": self.tenant_id,
            "appId": self.app_id,
            "clientId": self.client_id,
            "method": self.method,
            "path": self.path,
            "operationId": self.operation_id,
            "query": self.query,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "traceId": self.trace_id,
            "requestSize": self.request_size,
            "responseSize": self.response_size,
        }
        if self.request_headers is not None:
            doc |= {
                "requestHeaders": self.request_headers,
                "requestBody": self.request_body,
                "responseHeaders": self.response_headers,
                "responseBody": self.response_body,
            }
        return doc


_SUMMARY = [
    request_log.c.id,
    request_log.c.time_ms,
    request_log.c.environment,
    request_log.c.area,
    request_log.c.tenant_id,
    request_log.c.app_id,
    request_log.c.client_id,
    request_log.c.method,
    request_log.c.path,
    request_log.c.operation_id,
    request_log.c.query,
    request_log.c.status,
    request_log.c.latency_ms,
    request_log.c.trace_id,
    request_log.c.request_size,
    request_log.c.response_size,
]
_DETAIL = [
    request_log.c.request_headers,
    request_log.c.request_body,
    request_log.c.response_headers,
    request_log.c.response_body,
]


def _entry(row: Any, detail: bool) -> LogEntry:
    values = dict(row._mapping)
    if detail:
        values["request_headers"] = msgspec.json.decode(values["request_headers"] or "[]")
        values["response_headers"] = msgspec.json.decode(values["response_headers"] or "[]")
    values["latency_ms"] = float(values["latency_ms"])
    return LogEntry(**values)


def _filtered(query: Select[Any], f: LogFilter) -> Select[Any]:
    c = request_log.c
    if f.app_id is not None:
        query = query.where(c.app_id == f.app_id)
    if f.tenant_id is not None:
        query = query.where(c.tenant_id == f.tenant_id)
    if f.environment is not None:
        query = query.where(c.environment == f.environment)
    if f.status is not None:
        query = query.where(c.status >= f.status[0], c.status < f.status[1])
    if f.method:
        query = query.where(c.method == f.method.upper())
    if f.operation_id:
        query = query.where(c.operation_id == f.operation_id)
    if f.since_ms is not None:
        query = query.where(c.time_ms >= f.since_ms)
    if f.until_ms is not None:
        query = query.where(c.time_ms < f.until_ms)
    if f.after_id is not None:
        query = query.where(c.id > f.after_id)
    if f.before_id is not None:
        query = query.where(c.id < f.before_id)
    return query


async def list_entries(conn: Connection, f: LogFilter) -> list[LogEntry]:
    """Newest first; with ``after_id``, oldest first (what ``tail`` prints next)."""
    order = request_log.c.id.asc() if f.after_id is not None else request_log.c.id.desc()
    query = _filtered(select(*_SUMMARY), f).order_by(order).limit(max(1, min(f.limit, MAX_PAGE)))
    return [_entry(row, False) for row in await conn.execute(query)]


async def last_id(conn: Connection) -> int:
    found = (await conn.execute(select(func.max(request_log.c.id)))).scalar_one_or_none()
    return int(found or 0)


async def get_entry(
    conn: Connection,
    entry_id: int,
    *,
    app_id: int | None = None,
    tenant_id: int | None = None,
    environment: str | None = None,
) -> LogEntry | None:
    """One request in full, or None when it is not that app's (or that tenant's)."""
    if app_id is None and tenant_id is None:
        raise ValueError("A request is read for an app or for a tenant, never for anyone.")
    f = LogFilter(app_id=app_id, tenant_id=tenant_id, environment=environment)
    query = _filtered(select(*_SUMMARY, *_DETAIL), f).where(request_log.c.id == entry_id)
    row = (await conn.execute(query)).first()
    return _entry(row, True) if row is not None else None
