"""Whether ids name live records: the referential check of a create or update's body."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from localtitan.store.database import Connection
from localtitan.store.records import key_filter
from localtitan.store.tables import records

__all__ = ["missing_records"]


async def missing_records(
    conn: Connection, env: str, tenant_id: int, wanted: Mapping[str, tuple[str, int]]
) -> list[str]:
    """The keys of ``wanted`` (each a kind and an id) that name no live record of this
    tenant and environment."""
    missing = []
    for name, (kind, value) in wanted.items():
        row = (
            await conn.execute(
                select(records.c.id).where(
                    key_filter(env, tenant_id, kind),
                    records.c.id == value,
                    records.c.deleted.is_(False),
                )
            )
        ).first()
        if row is None:
            missing.append(name)
    return missing
