"""The statements of developer apps: the app row, its scope versions and the tenants it is
visible to (with the developer's note for each)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from localtitan.store.database import Connection
from localtitan.store.new_rows import insert_row
from localtitan.store.tables import app_scope_sets, app_tenants, apps

__all__ = [
    "app_ids",
    "app_row",
    "insert_app",
    "insert_scope_set",
    "insert_tenant_notes",
    "is_visible",
    "latest_scope_version",
    "live_app_scope_version",
    "mark_app_deleted",
    "replace_tenant_notes",
    "scope_set_rows",
    "scope_set_text",
    "set_app_scope_version",
    "show_to_tenants",
    "tenant_notes",
    "update_app",
    "visible_tenant_ids",
]


async def insert_app(conn: Connection, values: Mapping[str, Any]) -> int:
    """A new app row from its column values; returns its id."""
    return await insert_row(conn, apps, values)


async def update_app(conn: Connection, app_id: int, values: Mapping[str, Any]) -> None:
    await conn.execute(apps.update().where(apps.c.id == app_id).values(**values))


async def mark_app_deleted(conn: Connection, app_id: int, now: datetime) -> bool:
    """Deactivate an app that is not deleted yet; False when there is no such app."""
    done = await conn.execute(
        apps.update()
        .where(apps.c.id == app_id, apps.c.deleted_on.is_(None))
        .values(active=False, deleted_on=now)
    )
    return bool(done.rowcount)


async def app_row(conn: Connection, app_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(apps).where(apps.c.id == app_id))).mappings().first()
    return dict(row) if row is not None else None


async def live_app_scope_version(conn: Connection, app_id: int) -> int | None:
    """The scope version of an app that is not deleted, or None."""
    row = (
        await conn.execute(
            select(apps.c.scope_version).where(apps.c.id == app_id, apps.c.deleted_on.is_(None))
        )
    ).first()
    return None if row is None else int(row[0])


async def app_ids(
    conn: Connection,
    *,
    owner_tenant_ids: Iterable[int] | None,
    visible_to: int | None,
    include_deleted: bool,
) -> list[int]:
    """App ids in order; narrowed to some owners' apps, or to apps visible to one tenant."""
    query = select(apps.c.id).order_by(apps.c.id)
    if owner_tenant_ids is not None:
        query = query.where(apps.c.owner_tenant_id.in_(list(owner_tenant_ids)))
    if visible_to is not None:
        query = query.join(app_tenants, app_tenants.c.app_id == apps.c.id).where(
            app_tenants.c.tenant_id == visible_to
        )
    if not include_deleted:
        query = query.where(apps.c.deleted_on.is_(None))
    return [int(i) for i in (await conn.execute(query)).scalars().all()]


# ---------------------------------------------------------------- scope versions


async def insert_scope_set(
    conn: Connection,
    app_id: int,
    version: int,
    scopes_json: str,
    *,
    created_on: datetime,
    created_by: str | None,
) -> None:
    await conn.execute(
        app_scope_sets.insert().values(
            app_id=app_id,
            version=version,
            scopes=scopes_json,
            created_on=created_on,
            created_by=created_by,
        )
    )


async def scope_set_text(conn: Connection, app_id: int, version: int) -> str:
    """The stored JSON list of one scope version (it must exist)."""
    raw = (
        await conn.execute(
            select(app_scope_sets.c.scopes).where(
                app_scope_sets.c.app_id == app_id, app_scope_sets.c.version == version
            )
        )
    ).scalar_one()
    return str(raw)


async def scope_set_rows(conn: Connection, app_id: int) -> list[dict[str, Any]]:
    """Every scope version of an app, oldest first."""
    rows = (
        await conn.execute(
            select(app_scope_sets)
            .where(app_scope_sets.c.app_id == app_id)
            .order_by(app_scope_sets.c.version)
        )
    ).mappings()
    return [dict(r) for r in rows]


async def latest_scope_version(conn: Connection, app_id: int) -> int | None:
    """The newest scope version of an app; None when the app has none (there is no app)."""
    current = (
        await conn.execute(
            select(func.max(app_scope_sets.c.version)).where(app_scope_sets.c.app_id == app_id)
        )
    ).scalar_one_or_none()
    return None if current is None else int(current)


async def set_app_scope_version(conn: Connection, app_id: int, version: int) -> None:
    await conn.execute(apps.update().where(apps.c.id == app_id).values(scope_version=version))


# ---------------------------------------------------------------- visible tenants


async def tenant_notes(conn: Connection, app_id: int) -> dict[int, str]:
    """The tenants an app is visible to, each with the developer's note."""
    rows = await conn.execute(
        select(app_tenants.c.tenant_id, app_tenants.c.note).where(app_tenants.c.app_id == app_id)
    )
    return {int(r.tenant_id): r.note for r in rows}


async def visible_tenant_ids(conn: Connection, app_id: int) -> set[int]:
    rows = await conn.execute(select(app_tenants.c.tenant_id).where(app_tenants.c.app_id == app_id))
    return {int(t) for t in rows.scalars()}


async def is_visible(conn: Connection, app_id: int, tenant_id: int) -> bool:
    found = await conn.execute(
        select(app_tenants.c.tenant_id).where(
            app_tenants.c.app_id == app_id, app_tenants.c.tenant_id == tenant_id
        )
    )
    return found.first() is not None


async def show_to_tenants(conn: Connection, app_id: int, tenant_ids: Iterable[int]) -> None:
    """Make an app visible to more tenants, with no note (none of them may see it yet)."""
    await conn.execute(
        app_tenants.insert(), [{"app_id": app_id, "tenant_id": t} for t in tenant_ids]
    )


async def insert_tenant_notes(conn: Connection, app_id: int, notes: Mapping[int, str]) -> None:
    await conn.execute(
        app_tenants.insert(),
        [{"app_id": app_id, "tenant_id": t, "note": n} for t, n in notes.items()],
    )


async def replace_tenant_notes(conn: Connection, app_id: int, notes: Mapping[int, str]) -> None:
    """The app is visible to exactly these tenants now (``notes`` is never empty)."""
    await conn.execute(delete(app_tenants).where(app_tenants.c.app_id == app_id))
    await insert_tenant_notes(conn, app_id, notes)
