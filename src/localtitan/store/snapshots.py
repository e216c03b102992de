"""The statements of snapshot files (:mod:`localtitan.snapshots.files`): one tenant's
records and stored files of one environment read in one snapshot, stored files written, and
the id counter moved past imported ids. Records are written by
:class:`~localtitan.store.bulk_writer.BulkWriter`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import insert, select, update

from localtitan.store.database import Connection, Database
from localtitan.store.records import FIRST_ID
from localtitan.store.tables import blobs, record_counters, records

__all__ = ["insert_files", "raise_next_id", "snapshot_read", "stored_files", "stored_records"]

_RECORD_COLUMNS = (
    records.c.kind,
    records.c.id,
    records.c.parent_id,
    records.c.guid,
    records.c.active,
    records.c.deleted,
    records.c.created_on,
    records.c.modified_on,
    records.c.data,
)


@asynccontextmanager
async def snapshot_read(db: Database) -> AsyncIterator[Connection]:
    """A read transaction that sees one snapshot for all its statements."""
    conn = await db.engine.connect()
    try:
        if db.dialect == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn
    finally:
        await conn.close()


async def stored_records(conn: Connection, environment: str, tenant_id: int) -> AsyncIterator[Any]:
    """Every record of the tenant in ``environment``, deleted ones too, by kind and id; each
    row has ``kind, id, parent_id, guid, active, deleted, created_on, modified_on, data``.
    Streamed a few thousand at a time, so memory holds no more than that."""
    stmt = (
        select(*_RECORD_COLUMNS)
        .where(records.c.environment == environment, records.c.tenant_id == tenant_id)
        .order_by(records.c.kind, records.c.id)
        .execution_options(yield_per=2000)
    )
    async for row in await conn.stream(stmt):
        yield row


async def stored_files(conn: Connection, environment: str, tenant_id: int) -> AsyncIterator[Any]:
    """The tenant's stored files in ``environment`` by id, one row per fetch: a stored file
    may be as large as an upload may be. Each row has the ``blobs`` table's columns."""
    stmt = (
        select(blobs)
        .where(blobs.c.environment == environment, blobs.c.tenant_id == tenant_id)
        .order_by(blobs.c.id)
        .execution_options(yield_per=1)
    )
    async for row in await conn.stream(stmt):
        yield row


async def insert_files(conn: Connection, files: Sequence[Mapping[str, Any]]) -> None:
    """Store files given as rows of the ``blobs`` table (environment, tenant_id, id,
    content_type, file_name, data, created_on)."""
    if files:
        await conn.execute(insert(blobs), list(files))


async def raise_next_id(conn: Connection, env: str, tenant_id: int, at_least: int) -> None:
    """Move the tenant's next id up to ``at_least`` (never down, never below the first id)."""
    await conn.execute(
        update(record_counters)
        .where(record_counters.c.environment == env, record_counters.c.tenant_id == tenant_id)
        .where(record_counters.c.next_id < at_least)
        .values(next_id=max(at_least, FIRST_ID))
    )
