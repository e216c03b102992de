"""One record by id (or by guid, for collections whose ids are GUIDs), read on the drivers.

An index lookup by primary key (or the guid), so it runs on the event loop's thread on
SQLite (see :mod:`localtitan.store.drivers`). The record's JSON comes back as stored, so a
response that serves it unchanged needs no decode.
"""

from __future__ import annotations

from dataclasses import dataclass

from localtitan.store.drivers import DriverReads, Sql

__all__ = ["Found", "find_record"]

_BY_ID = Sql.of(
    "SELECT id, parent_id, data FROM records"
    " WHERE environment = ? AND tenant_id = ? AND kind = ? AND deleted = ? AND id = ?"
)
_BY_GUID = Sql.of(
    "SELECT id, parent_id, data FROM records"
    " WHERE environment = ? AND tenant_id = ? AND kind = ? AND deleted = ? AND guid = ? LIMIT 1"
)


@dataclass(slots=True)  # not frozen: made on every get, and frozen inits cost more
class Found:
    id: int
    parent_id: int | None
    # The stored JSON as its UTF-8 bytes (both drivers return text as bytes).
    data: bytes | str


async def find_record(
    driver: DriverReads, env: str, tenant_id: int, kind: str, *, id: int | None, guid: str | None
) -> Found | None:
    """The live (not deleted) record with this id, or this guid when ``guid`` is given."""
    args: tuple[object, ...]
    if guid is not None:
        sql, args = _BY_GUID, (env, tenant_id, kind, False, guid)
    elif id is not None:
        sql, args = _BY_ID, (env, tenant_id, kind, False, id)
    else:
        return None
    # One statement: its own transaction (store/drivers.py), on the loop's thread on SQLite.
    rows = await driver.one(sql, args)
    if not rows:
        return None
    row = rows[0]
    return Found(int(row[0]), None if row[1] is None else int(row[1]), row[2])
