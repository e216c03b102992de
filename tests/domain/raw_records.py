"""Records written to the store exactly as given, for kinds that no read operation declares
(so the engine kit's ``insert``, which shapes records to those declarations, would empty them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store.records import Stored, allocate, format_time, put_records

__all__ = ["insert_raw"]


async def insert_raw(
    app: LocalTitan,
    creds: Creds,
    kind: str,
    items: list[dict[str, Any]],
    *,
    parent_id: int | None = None,
) -> list[dict[str, Any]]:
    env = creds.environment.value
    now = datetime.now(UTC)
    stored: list[Stored] = []
    async with app.runtime.db.begin() as conn:
        alloc = await allocate(conn, env, creds.tenant_id, ids=len(items), versions=len(items))
        for offset, data in enumerate(items):
            rid = alloc.first_id + offset
            full = {"active": True, "createdOn": format_time(now), **data, "id": rid}
            stored.append(
                Stored(
                    kind,
                    rid,
                    full,
                    parent_id=parent_id,
                    active=bool(full["active"]),
                    created_on=now,
                    modified_on=now,
                )
            )
        await put_records(conn, env, creds.tenant_id, stored, first_version=alloc.first_version)
    return [s.data for s in stored]
