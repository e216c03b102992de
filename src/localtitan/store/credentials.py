"""The statements of connections (an app allowed in a tenant's environment, with its client id)
and the hashed client secrets they carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from localtitan.store.database import Connection
from localtitan.store.new_rows import insert_row
from localtitan.store.tables import apps, client_secrets, connections

__all__ = [
    "active_secret_count",
    "active_secret_hints",
    "client_secret_rows",
    "connection_row",
    "connection_row_by_client_id",
    "connection_row_for",
    "connection_rows",
    "insert_connection",
    "insert_secret",
    "scope_versions_of_connection",
    "secret_is_active",
    "secret_rows",
    "set_connection_active",
    "set_connection_scope_version",
    "set_secret_active",
]


async def insert_connection(
    conn: Connection,
    *,
    environment: str,
    tenant_id: int,
    app_id: int,
    client_id: str,
    scope_version: int,
    created_on: datetime,
) -> int:
    return await insert_row(
        conn,
        connections,
        {
            "environment": environment,
            "tenant_id": tenant_id,
            "app_id": app_id,
            "client_id": client_id,
            "scope_version": scope_version,
            "active": True,
            "created_on": created_on,
        },
    )


async def _one(conn: Connection, *where: Any) -> dict[str, Any] | None:
    row = (await conn.execute(select(connections).where(*where))).mappings().first()
    return dict(row) if row is not None else None


async def connection_row(conn: Connection, connection_id: int) -> dict[str, Any] | None:
    return await _one(conn, connections.c.id == connection_id)


async def connection_row_by_client_id(conn: Connection, client_id: str) -> dict[str, Any] | None:
    return await _one(conn, connections.c.client_id == client_id)


async def connection_row_for(
    conn: Connection, environment: str, tenant_id: int, app_id: int
) -> dict[str, Any] | None:
    """The connection of one app in one tenant's environment (there is at most one)."""
    return await _one(
        conn,
        connections.c.environment == environment,
        connections.c.tenant_id == tenant_id,
        connections.c.app_id == app_id,
    )


async def connection_rows(
    conn: Connection, *, app_id: int | None, tenant_id: int | None
) -> list[dict[str, Any]]:
    """Connections in id order, of one app and/or one tenant when given."""
    query = select(connections).order_by(connections.c.id)
    if app_id is not None:
        query = query.where(connections.c.app_id == app_id)
    if tenant_id is not None:
        query = query.where(connections.c.tenant_id == tenant_id)
    return [dict(r) for r in (await conn.execute(query)).mappings()]


async def set_connection_active(conn: Connection, connection_id: int, active: bool) -> bool:
    """False when there is no such connection."""
    done = await conn.execute(
        connections.update().where(connections.c.id == connection_id).values(active=active)
    )
    return bool(done.rowcount)


async def scope_versions_of_connection(
    conn: Connection, connection_id: int
) -> tuple[int, int] | None:
    """(the connection's scope version, its app's newest), or None when the connection or its
    app is gone."""
    row = (
        await conn.execute(
            select(connections.c.scope_version, apps.c.scope_version.label("latest"))
            .join(apps, apps.c.id == connections.c.app_id)
            .where(connections.c.id == connection_id, apps.c.deleted_on.is_(None))
        )
    ).first()
    return None if row is None else (int(row.scope_version), int(row.latest))


async def set_connection_scope_version(conn: Connection, connection_id: int, version: int) -> None:
    await conn.execute(
        connections.update().where(connections.c.id == connection_id).values(scope_version=version)
    )


# ---------------------------------------------------------------- secrets


async def active_secret_hints(conn: Connection, connection_id: int) -> list[str]:
    rows = await conn.execute(
        select(client_secrets.c.hint).where(
            client_secrets.c.connection_id == connection_id, client_secrets.c.active.is_(True)
        )
    )
    return [str(h) for h in rows.scalars().all()]


async def active_secret_count(conn: Connection, connection_id: int) -> int:
    count = await conn.execute(
        select(func.count()).where(
            client_secrets.c.connection_id == connection_id, client_secrets.c.active.is_(True)
        )
    )
    return int(count.scalar_one())


async def insert_secret(
    conn: Connection, connection_id: int, *, secret_hash: str, hint: str, created_on: datetime
) -> int:
    """A new active secret, stored as its keyed hash only; returns its id."""
    return await insert_row(
        conn,
        client_secrets,
        {
            "connection_id": connection_id,
            "secret_hash": secret_hash,
            "hint": hint,
            "active": True,
            "created_on": created_on,
        },
    )


async def secret_rows(conn: Connection, connection_id: int) -> list[dict[str, Any]]:
    """What may be shown of a connection's secrets (never the hash), in id order."""
    rows = (
        await conn.execute(
            select(
                client_secrets.c.id,
                client_secrets.c.hint,
                client_secrets.c.active,
                client_secrets.c.created_on,
                client_secrets.c.deactivated_on,
            )
            .where(client_secrets.c.connection_id == connection_id)
            .order_by(client_secrets.c.id)
        )
    ).mappings()
    return [dict(r) for r in rows]


async def secret_is_active(conn: Connection, connection_id: int, secret_id: int) -> bool | None:
    """Whether this connection's secret is active; None when the connection has no such one."""
    row = (
        await conn.execute(
            select(client_secrets.c.active).where(
                client_secrets.c.id == secret_id, client_secrets.c.connection_id == connection_id
            )
        )
    ).first()
    return None if row is None else bool(row.active)


async def set_secret_active(
    conn: Connection, secret_id: int, active: bool, *, deactivated_on: datetime | None
) -> None:
    await conn.execute(
        client_secrets.update()
        .where(client_secrets.c.id == secret_id)
        .values(active=active, deactivated_on=deactivated_on)
    )


async def client_secret_rows(conn: Connection, client_id: str) -> list[Any]:
    """A client id's active secrets with its connection and app (the fields of
    :class:`localtitan.store.client_reads.ClientSecretRow`, by the same names)."""
    rows = await conn.execute(
        select(
            connections.c.id,
            connections.c.environment,
            connections.c.tenant_id,
            connections.c.app_id,
            connections.c.scope_version,
            connections.c.active,
            apps.c.app_key,
            apps.c.active.label("app_active"),
            client_secrets.c.secret_hash,
        )
        .join(apps, apps.c.id == connections.c.app_id)
        .join(client_secrets, client_secrets.c.connection_id == connections.c.id)
        .where(connections.c.client_id == client_id, client_secrets.c.active.is_(True))
    )
    return list(rows.all())
