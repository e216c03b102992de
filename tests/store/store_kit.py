"""What the store tests share: writing into a database still at an older revision."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.records import FIRST_ID

__all__ = ["OldAllocation", "old_allocate"]


class OldAllocation:
    def __init__(self, first_id: int, first_version: int) -> None:
        self.first_id = first_id
        self.first_version = first_version


async def old_allocate(
    conn: AsyncConnection, env: str, tenant_id: int, *, ids: int, versions: int
) -> OldAllocation:
    """``allocate`` as it was before the counter had a clock (revisions up to 0006): the
    counter row of a new tenant, with ``ids`` ids and ``versions`` row versions taken."""
    await conn.execute(
        text(
            "INSERT INTO record_counters (environment, tenant_id, next_id, row_version) "
            "VALUES (:env, :tenant, :next, :version)"
        ),
        {"env": env, "tenant": tenant_id, "next": FIRST_ID + ids, "version": versions},
    )
    return OldAllocation(FIRST_ID, 1)
