"""Connections (app x tenant x environment) and the client id and secrets they carry.

A secret is shown once, when it is made; only its keyed hash is stored. A connection holds at
most two active secrets, so a client can rotate without downtime.
"""

from __future__ import annotations

import hmac
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.platform.environments import Environment
from localtitan.platform.server_key import ServerKey
from localtitan.store.client_reads import client_secret_rows
from localtitan.store.drivers import DriverReads
from localtitan.store.tables import app_tenants, apps, client_secrets, connections, tenants

__all__ = [
    "MAX_ACTIVE_SECRETS",
    "ClientIdentity",
    "Connection",
    "CredentialError",
    "IssuedSecret",
    "allow_app",
    "authenticate_client",
    "authenticate_client_fast",
    "connect_app",
    "connections_of",
    "create_secret",
    "deactivate_secret",
    "find_connection",
    "get_connection",
    "list_secrets",
    "restore_secret",
    "set_connection_active",
    "upgrade_connection",
]

MAX_ACTIVE_SECRETS = 2
_ALNUM = string.ascii_lowercase + string.digits


class CredentialError(ValueError):
    """A credentials request that cannot be carried out, worded for the person who made it."""


@dataclass(frozen=True)
class Connection:
    id: int
    environment: Environment
    tenant_id: int
    app_id: int
    client_id: str
    scope_version: int
    active: bool


@dataclass(frozen=True)
class IssuedSecret:
    id: int
    client_id: str
    secret: str


@dataclass(frozen=True)
class ClientIdentity:
    """What the token endpoint learns from a good client id and secret."""

    connection_id: int
    client_id: str
    environment: Environment
    tenant_id: int
    app_id: int
    app_key: str
    scope_version: int


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def new_client_id() -> str:
    return "cid." + _random(25)


def new_client_secret(slot: int) -> str:
    # 50 characters of 36 symbols: about 258 bits.
    return f"cs{slot}." + _random(50)


async def connect_app(
    conn: AsyncConnection,
    server_key: ServerKey,
    *,
    app_id: int,
    tenant_id: int,
    environment: Environment,
) -> tuple[Connection, IssuedSecret]:
    """The command line's connect: makes the app visible to the tenant if it was not, allows
    it, and issues its first secret."""
    await _open_connection(
        conn, app_id=app_id, tenant_id=tenant_id, environment=environment, require_visible=False
    )
    connection = await find_connection(conn, environment, tenant_id, app_id)
    assert connection is not None
    issued = await create_secret(conn, server_key, connection.client_id)
    return connection, issued


async def allow_app(
    conn: AsyncConnection, *, app_id: int, tenant_id: int, environment: Environment
) -> Connection:
    """A tenant admin allows an app visible to the tenant: a connection with a client id at
    the app's current scope version, and no secret yet."""
    return await _open_connection(
        conn, app_id=app_id, tenant_id=tenant_id, environment=environment, require_visible=True
    )


async def _open_connection(
    conn: AsyncConnection,
    *,
    app_id: int,
    tenant_id: int,
    environment: Environment,
    require_visible: bool,
) -> Connection:
    app = (
        await conn.execute(
            select(apps.c.id, apps.c.scope_version).where(
                apps.c.id == app_id, apps.c.deleted_on.is_(None)
            )
        )
    ).first()
    if app is None:
        raise CredentialError(f"There is no app {app_id}.")
    tenant = (
        await conn.execute(
            select(tenants.c.id).where(
                tenants.c.id == tenant_id, tenants.c.environment == environment.value
            )
        )
    ).first()
    if tenant is None:
        raise CredentialError(f"There is no tenant {tenant_id} in the {environment} environment.")
    visible = (
        await conn.execute(
            select(app_tenants.c.tenant_id).where(
                app_tenants.c.app_id == app_id, app_tenants.c.tenant_id == tenant_id
            )
        )
    ).first()
    if visible is None:
        if require_visible:
            raise CredentialError(
                f"App {app_id} is not visible to tenant {tenant_id}: its developer must add "
                "the tenant id to the app first."
            )
        await conn.execute(app_tenants.insert().values(app_id=app_id, tenant_id=tenant_id))
    existing = await find_connection(conn, environment, tenant_id, app_id)
    if existing is not None:
        raise CredentialError(
            f"App {app_id} is already connected to tenant {tenant_id} in {environment}; "
            f"its client id is {existing.client_id}. Make a new secret for it instead."
        )
    client_id = new_client_id()
    result = await conn.execute(
        connections.insert().values(
            environment=environment.value,
            tenant_id=tenant_id,
            app_id=app_id,
            client_id=client_id,
            scope_version=app.scope_version,
            active=True,
            created_on=datetime.now(UTC),
        )
    )
    conn_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return Connection(conn_id, environment, tenant_id, app_id, client_id, app.scope_version, True)


async def get_connection(conn: AsyncConnection, connection_id: int) -> Connection | None:
    row = (
        (await conn.execute(select(connections).where(connections.c.id == connection_id)))
        .mappings()
        .first()
    )
    return _connection(row) if row else None


async def connections_of(
    conn: AsyncConnection, *, app_id: int | None = None, tenant_id: int | None = None
) -> list[Connection]:
    query = select(connections).order_by(connections.c.id)
    if app_id is not None:
        query = query.where(connections.c.app_id == app_id)
    if tenant_id is not None:
        query = query.where(connections.c.tenant_id == tenant_id)
    return [_connection(r) for r in (await conn.execute(query)).mappings()]


async def set_connection_active(conn: AsyncConnection, connection_id: int, active: bool) -> None:
    """Disable (pause) or enable a connection; its tokens stop or start working at once."""
    done = await conn.execute(
        connections.update().where(connections.c.id == connection_id).values(active=active)
    )
    if not done.rowcount:
        raise CredentialError(f"There is no connection {connection_id}.")


async def upgrade_connection(conn: AsyncConnection, connection_id: int) -> int:
    """Move a connection to its app's newest scope version (tokens issued after this carry the
    new scopes; client id and secrets stay). Returns the version now in force."""
    row = (
        await conn.execute(
            select(connections.c.scope_version, apps.c.scope_version.label("latest"))
            .join(apps, apps.c.id == connections.c.app_id)
            .where(connections.c.id == connection_id, apps.c.deleted_on.is_(None))
        )
    ).first()
    if row is None:
        raise CredentialError(f"There is no connection {connection_id}.")
    if row.scope_version >= row.latest:
        raise CredentialError("This connection already uses the app's newest scope version.")
    await conn.execute(
        connections.update()
        .where(connections.c.id == connection_id)
        .values(scope_version=row.latest)
    )
    return int(row.latest)


async def find_connection(
    conn: AsyncConnection, environment: Environment, tenant_id: int, app_id: int
) -> Connection | None:
    row = (
        (
            await conn.execute(
                select(connections).where(
                    connections.c.environment == environment.value,
                    connections.c.tenant_id == tenant_id,
                    connections.c.app_id == app_id,
                )
            )
        )
        .mappings()
        .first()
    )
    return _connection(row) if row else None


def _connection(row: object) -> Connection:
    r = dict(row)  # type: ignore[call-overload]
    return Connection(
        r["id"],
        Environment(r["environment"]),
        r["tenant_id"],
        r["app_id"],
        r["client_id"],
        r["scope_version"],
        r["active"],
    )


async def _connection_by_client_id(conn: AsyncConnection, client_id: str) -> Connection:
    row = (
        (await conn.execute(select(connections).where(connections.c.client_id == client_id)))
        .mappings()
        .first()
    )
    if row is None:
        raise CredentialError(f"There is no connection with client id {client_id}.")
    return _connection(row)


async def create_secret(
    conn: AsyncConnection, server_key: ServerKey, client_id: str
) -> IssuedSecret:
    connection = await _connection_by_client_id(conn, client_id)
    # The hint keeps a secret's first four characters, "cs1." or "cs2.": its slot.
    active_hints = (
        (
            await conn.execute(
                select(client_secrets.c.hint).where(
                    client_secrets.c.connection_id == connection.id,
                    client_secrets.c.active.is_(True),
                )
            )
        )
        .scalars()
        .all()
    )
    if len(active_hints) >= MAX_ACTIVE_SECRETS:
        raise CredentialError(
            f"Client {client_id} already has {MAX_ACTIVE_SECRETS} active secrets; deactivate "
            "one first."
        )
    slot = 2 if any(h.startswith("cs1.") for h in active_hints) else 1
    secret = new_client_secret(slot)
    result = await conn.execute(
        client_secrets.insert().values(
            connection_id=connection.id,
            secret_hash=server_key.hash_secret(secret),
            hint=secret[:4] + "…" + secret[-4:],
            active=True,
            created_on=datetime.now(UTC),
        )
    )
    return IssuedSecret(int(result.inserted_primary_key[0]), client_id, secret)  # type: ignore[index]


async def list_secrets(conn: AsyncConnection, client_id: str) -> list[dict[str, object]]:
    connection = await _connection_by_client_id(conn, client_id)
    rows = (
        await conn.execute(
            select(
                client_secrets.c.id,
                client_secrets.c.hint,
                client_secrets.c.active,
                client_secrets.c.created_on,
                client_secrets.c.deactivated_on,
            )
            .where(client_secrets.c.connection_id == connection.id)
            .order_by(client_secrets.c.id)
        )
    ).mappings()
    return [dict(r) for r in rows]


async def _set_secret_active(
    conn: AsyncConnection, client_id: str, secret_id: int, active: bool
) -> None:
    connection = await _connection_by_client_id(conn, client_id)
    row = (
        await conn.execute(
            select(client_secrets.c.active).where(
                client_secrets.c.id == secret_id, client_secrets.c.connection_id == connection.id
            )
        )
    ).first()
    if row is None:
        raise CredentialError(f"Client {client_id} has no secret {secret_id}.")
    if active and not row.active:
        count = (
            await conn.execute(
                select(func.count()).where(
                    client_secrets.c.connection_id == connection.id,
                    client_secrets.c.active.is_(True),
                )
            )
        ).scalar_one()
        if count >= MAX_ACTIVE_SECRETS:
            raise CredentialError(
                f"Client {client_id} already has {MAX_ACTIVE_SECRETS} active secrets; deactivate "
                "one before restoring another."
            )
    await conn.execute(
        client_secrets.update()
        .where(client_secrets.c.id == secret_id)
        .values(active=active, deactivated_on=None if active else datetime.now(UTC))
    )


async def deactivate_secret(conn: AsyncConnection, client_id: str, secret_id: int) -> None:
    await _set_secret_active(conn, client_id, secret_id, False)


async def restore_secret(conn: AsyncConnection, client_id: str, secret_id: int) -> None:
    await _set_secret_active(conn, client_id, secret_id, True)


async def authenticate_client(
    conn: AsyncConnection,
    server_key: ServerKey,
    environment: Environment,
    client_id: str,
    client_secret: str,
) -> ClientIdentity | None:
    """The identity behind a client id and secret, or None; the same work either way."""
    rows = (
        await conn.execute(
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
    ).all()
    return _identity(rows, server_key, environment, client_id, client_secret)


async def authenticate_client_fast(
    reads: DriverReads,
    server_key: ServerKey,
    environment: Environment,
    client_id: str,
    client_secret: str,
) -> ClientIdentity | None:
    """:func:`authenticate_client` with its query run on the driver (the token endpoint's)."""
    rows = await client_secret_rows(reads, client_id)
    return _identity(rows, server_key, environment, client_id, client_secret)


def _identity(
    rows: Sequence[Any],
    server_key: ServerKey,
    environment: Environment,
    client_id: str,
    client_secret: str,
) -> ClientIdentity | None:
    presented = server_key.hash_secret(client_secret)
    match = None
    # Compare against every active secret (and a dummy when none), so timing says nothing.
    candidates: list[Any] = list(rows) or [None]
    for row in candidates:
        expected = row.secret_hash if row is not None else "0" * 64
        if hmac.compare_digest(expected, presented) and row is not None:
            match = row
    if match is None or not match.active or not match.app_active:
        return None
    # A client id belongs to one environment: the other one refuses it.
    if match.environment != environment.value:
        return None
    return ClientIdentity(
        match.id,
        client_id,
        environment,
        match.tenant_id,
        match.app_id,
        match.app_key,
        match.scope_version,
    )
