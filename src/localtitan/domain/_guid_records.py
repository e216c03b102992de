"""Records whose API id is a GUID (contacts, journal entries, schedulers), found by it."""

from __future__ import annotations

from typing import Any

from localtitan.handling import Tx
from localtitan.store.records import Stored

__all__ = ["find_by_guid"]


async def find_by_guid(tx: Tx, kind: str, ident: Any) -> Stored | None:
    """The live record of ``kind`` whose GUID is ``ident`` (any case), in the call's tenant."""
    return await tx.find_by_guid(kind, ident)
