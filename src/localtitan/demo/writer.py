"""Bulk writing of generated records: batches of a few thousand rows, row versions and ids
taken from the tenant's counter in bulk.

Ids are chosen by the generator (it needs them to link records before any is written), so
the writer moves the counter past them with one :func:`allocate` per chunk and checks the
counter agreed; row versions are allocated per batch.

Rows go to the database through the driver rather than SQLAlchemy's per-row parameter
processing, which cost as much as SQLite's own insert work: ``executemany`` of positional
tuples on SQLite, ``COPY`` on PostgreSQL. The rows are exactly what
:func:`localtitan.store.records.put_records` writes (same columns, same promoted values,
same text for timestamps); the tests read seeded records back through ``get_record`` and
compare them with what was generated. :meth:`BulkWriter.prepare` does the CPU work (JSON
encoding) and may run in a worker thread while the previous chunk is inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.records import Stored, allocate, encode, promoted_values
from localtitan.store.tables import records

__all__ = [
    "BATCH_ROWS",
    "BulkWriter",
    "IdMismatchError",
    "Prepared",
    "prepare_rows",
    "sqlite_time",
]

BATCH_ROWS = 4_000

_COLUMNS = (
    "environment",
    "tenant_id",
    "kind",
    "id",
    "parent_id",
    "guid",
    "active",
    "deleted",
    "created_on",
    "modified_on",
    "row_version",
    "customer_id",
    "location_id",
    "job_id",
    "number",
    "name",
    "status",
    "data",
)
# SQLAlchemy's storage format for DateTime on SQLite (naive UTC wall time).
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"

# A row without environment, tenant and row version, which are added at write time.
_Row = tuple[Any, ...]


class IdMismatchError(RuntimeError):
    """The tenant's id counter moved while the seed held it; the generated ids are unsafe."""


@dataclass
class Prepared:
    """Rows ready to insert, and how many records of each kind they hold."""

    rows: list[_Row]
    kinds: dict[str, int]


def sqlite_time(value: datetime) -> str:
    """``value`` in SQLAlchemy's SQLite text; the generator's UTC times skip ``astimezone``
    and ``strftime``, a fifth of the time spent preparing rows."""
    if value.tzinfo is UTC:
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value.astimezone(UTC).strftime(_SQLITE_TIME)


def _status(rec: Stored) -> str | None:
    if rec.status is not None:
        return rec.status
    raw = rec.data.get("status", rec.data.get("jobStatus"))
    return str(raw)[:100] if isinstance(raw, str) else None


def prepare_rows(items: Sequence[Stored], *, sqlite: bool) -> Prepared:
    """Encode records into rows; pure CPU work, safe to run in another thread or process."""
    now = datetime.now(UTC)
    rows: list[_Row] = []
    kinds: dict[str, int] = {}
    for rec in items:
        kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
        created = rec.created_on or now
        modified = rec.modified_on or now
        promoted = promoted_values(rec.data)
        rows.append(
            (
                rec.kind,
                rec.id,
                rec.parent_id,
                rec.guid,
                rec.active,
                rec.deleted,
                sqlite_time(created) if sqlite else created,
                sqlite_time(modified) if sqlite else modified,
                promoted["customer_id"],
                promoted["location_id"],
                promoted["job_id"],
                promoted["number"],
                promoted["name"],
                _status(rec),
                encode(rec.data).decode(),
            )
        )
    return Prepared(rows, kinds)


def _newest(rows: Sequence[_Row]) -> datetime | None:
    """The latest modified time of rows in :func:`prepare_rows`' layout (datetimes, or
    SQLite's text, which sorts as its time does)."""
    if not rows:
        return None
    newest: datetime | str = max(r[7] for r in rows)
    if isinstance(newest, str):
        return datetime.fromisoformat(newest).replace(tzinfo=UTC)
    return newest if newest.tzinfo else newest.replace(tzinfo=UTC)


class BulkWriter:
    """Writes records for one tenant and environment inside the caller's transaction."""

    def __init__(
        self,
        conn: AsyncConnection,
        environment: str,
        tenant_id: int,
        *,
        batch_rows: int = BATCH_ROWS,
        fast: bool = True,
    ) -> None:
        self.conn = conn
        self.environment = environment
        self.tenant_id = tenant_id
        self.batch_rows = batch_rows
        self.dialect = conn.dialect.name
        self.fast = fast and self.dialect in ("sqlite", "postgresql")
        self.written = 0

    # ------------------------------------------------------------ counter

    async def next_id(self) -> int:
        """The counter's next id; also takes the counter's lock for this transaction."""
        alloc = await allocate(self.conn, self.environment, self.tenant_id, ids=0, versions=0)
        return alloc.first_id

    async def claim_ids(self, first: int, count: int) -> None:
        """Move the counter past ids ``first .. first + count - 1`` the generator used."""
        if count <= 0:
            return
        alloc = await allocate(self.conn, self.environment, self.tenant_id, ids=count, versions=0)
        if alloc.first_id != first:
            raise IdMismatchError(
                f"expected the next id to be {first}, the counter gave {alloc.first_id}"
            )

    # ------------------------------------------------------------ rows

    def prepare(self, items: Sequence[Stored]) -> Prepared:
        return prepare_rows(items, sqlite=self.dialect == "sqlite")

    async def write(self, items: Sequence[Stored]) -> None:
        await self.write_prepared(self.prepare(items))

    async def write_prepared(self, prepared: Prepared) -> None:
        await self.write_rows(prepared.rows)

    async def write_rows(self, rows: Sequence[_Row]) -> None:
        """Insert rows in :meth:`prepare`'s layout, with new row versions."""
        for start in range(0, len(rows), self.batch_rows):
            batch = rows[start : start + self.batch_rows]
            # The records keep the times of the history they describe; the tenant's write
            # clock moves past the newest, so no later write is stamped before them.
            alloc = await allocate(
                self.conn,
                self.environment,
                self.tenant_id,
                ids=0,
                versions=len(batch),
                at_least=_newest(batch),
            )
            env, tenant, version = self.environment, self.tenant_id, alloc.first_version
            full = [(env, tenant, *r[:8], version + n, *r[8:]) for n, r in enumerate(batch)]
            await self._insert(full)
            self.written += len(batch)

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        if not self.fast:
            await self.conn.execute(
                insert(records), [dict(zip(_COLUMNS, r, strict=True)) for r in rows]
            )
            return
        raw = await self.conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if self.dialect == "postgresql":
            await driver.copy_records_to_table("records", records=rows, columns=list(_COLUMNS))
        else:
            marks = ",".join("?" * len(_COLUMNS))
            sql = f"INSERT INTO records ({','.join(_COLUMNS)}) VALUES ({marks})"  # noqa: S608
            await driver.executemany(sql, rows)
