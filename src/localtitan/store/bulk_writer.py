"""Bulk writing of records (a demo seed, a snapshot import): batches of a few thousand rows,
row versions and ids taken from the tenant's counter in bulk.

Ids are chosen by the caller (a generator needs them to link records before any is written,
a snapshot keeps its own), so the writer moves the counter past them with one
:func:`~localtitan.store.records.allocate` per chunk and checks the counter agreed; row
versions are allocated per batch.

Rows go to the database through the driver rather than SQLAlchemy's per-row parameter
processing, which cost as much as SQLite's own insert work: ``executemany`` of positional
tuples on SQLite, ``COPY`` on PostgreSQL. They are built by :mod:`localtitan.store.rows`,
as the API's writes are; the tests read seeded records back through ``get_record`` and
compare them with what was generated. :func:`prepare_rows` does the CPU work (JSON encoding)
and may run in a worker thread or process while the previous chunk is inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from localtitan.store.database import Connection
from localtitan.store.records import Stored, allocate, encode
from localtitan.store.rows import COLUMNS, Row, full_row, record_row, row_mapping, sqlite_time
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
_SQLITE_CACHE_KIB = 256 * 1024
_INSERT = "INSERT INTO records ({}) VALUES ({})".format(  # noqa: S608 - constant names only
    ",".join(COLUMNS), ",".join("?" * len(COLUMNS))
)


class IdMismatchError(RuntimeError):
    """The tenant's id counter moved while the writer held it; the chosen ids are unsafe."""


@dataclass
class Prepared:
    """Rows ready to insert, and how many records of each kind they hold."""

    rows: list[Row]
    kinds: dict[str, int]


def prepare_rows(items: Sequence[Stored], *, sqlite: bool) -> Prepared:
    """Encode records into rows; pure CPU work, safe to run in another thread or process."""
    now = datetime.now(UTC)
    rows: list[Row] = []
    kinds: dict[str, int] = {}
    for rec in items:
        kinds[rec.kind] = kinds.get(rec.kind, 0) + 1
        rows.append(record_row(rec, encode(rec.data).decode(), now, sqlite=sqlite))
    return Prepared(rows, kinds)


def _newest(rows: Sequence[Row]) -> datetime | None:
    """The latest modified time of rows (datetimes, or SQLite's text, which sorts as its time
    does)."""
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
        conn: Connection,
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

    async def tune(self) -> None:
        """A bigger page cache for this connection on SQLite: a large transaction otherwise
        spills dirty pages to the WAL over and over."""
        if self.dialect == "sqlite":
            await self.conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")

    # ------------------------------------------------------------ counter

    async def next_id(self) -> int:
        """The counter's next id; also takes the counter's lock for this transaction."""
        alloc = await allocate(self.conn, self.environment, self.tenant_id, ids=0, versions=0)
        return alloc.first_id

    async def claim_ids(self, first: int, count: int) -> None:
        """Move the counter past ids ``first .. first + count - 1`` the caller used."""
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

    async def write_rows(self, rows: Sequence[Row]) -> None:
        """Insert rows built by :func:`~localtitan.store.rows.record_row` (with SQLite's text
        for times on SQLite), with new row versions."""
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
            if not self.fast:
                await self.conn.execute(
                    insert(records),
                    [row_mapping(env, tenant, version + n, r) for n, r in enumerate(batch)],
                )
            else:
                await self._insert(
                    [full_row(env, tenant, version + n, r) for n, r in enumerate(batch)]
                )
            self.written += len(batch)

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        raw = await self.conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if self.dialect == "postgresql":
            await driver.copy_records_to_table("records", records=rows, columns=list(COLUMNS))
        else:
            await driver.executemany(_INSERT, rows)
