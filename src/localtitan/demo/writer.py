"""Bulk writing of generated records: a few thousand rows per INSERT, row versions and ids
taken from the tenant's counter in bulk.

Ids are chosen by the generator (it needs them to link records before they are written), so
the writer's job is to move the counter past them with one :func:`allocate` per chunk and to
check the counter agreed; row versions are allocated per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.records import Stored, allocate, put_records

__all__ = ["BATCH_ROWS", "BulkWriter", "IdMismatchError"]

BATCH_ROWS = 2_000


class IdMismatchError(RuntimeError):
    """The tenant's id counter moved while the seed held it; the generated ids are unsafe."""


class BulkWriter:
    """Writes records for one tenant and environment inside the caller's transaction."""

    def __init__(
        self,
        conn: AsyncConnection,
        environment: str,
        tenant_id: int,
        *,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.conn = conn
        self.environment = environment
        self.tenant_id = tenant_id
        self.batch_rows = batch_rows
        self.written = 0

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

    async def write(self, items: Sequence[Stored]) -> None:
        for start in range(0, len(items), self.batch_rows):
            batch = items[start : start + self.batch_rows]
            alloc = await allocate(
                self.conn, self.environment, self.tenant_id, ids=0, versions=len(batch)
            )
            await put_records(
                self.conn,
                self.environment,
                self.tenant_id,
                batch,
                first_version=alloc.first_version,
            )
            self.written += len(batch)
