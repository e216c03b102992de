"""Records whose API id is a GUID (contacts, journal entries, schedulers), found by it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from localtitan.handling import Tx
from localtitan.store.records import Stored, key_filter
from localtitan.store.tables import records

__all__ = ["find_by_guid"]


async def find_by_guid(tx: Tx, kind: str, ident: Any) -> Stored | None:
    """The live record of ``kind`` whose GUID is ``ident`` (any case), in the call's tenant."""
    row = (
        await tx.conn.execute(
            select(records.c.id).where(
                key_filter(tx.env, tx.tenant, kind),
                records.c.guid == str(ident).strip().lower(),
                records.c.deleted.is_(False),
            )
        )
    ).first()
    return await tx.find(kind, row.id) if row is not None else None
