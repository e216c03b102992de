"""Inserting one row of a platform table (apps, users, connections, secrets, access requests,
subscribers) and getting back the id the database gave it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table

from localtitan.store.database import Connection

__all__ = ["insert_row"]


async def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> int:
    """Insert ``values`` into ``table``; the new row's integer primary key."""
    result = await conn.execute(table.insert().values(**values))
    inserted = result.inserted_primary_key
    assert inserted is not None
    return int(inserted[0])
