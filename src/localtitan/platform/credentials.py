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

from localtitan.platform.environments import Environment
from localtitan.platform.server_key import ServerKey
from localtitan.store import Connection as DbConnection
from localtitan.store import apps as app_store
from localtitan.store import credentials as credential_store
from localtitan.store import tenants as tenant_store
from localtitan.store.client_reads import client_secret_rows
from localtitan.store.drivers import DriverReads

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
    conn: DbConnection,
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
    conn: DbConnection, *, app_id: int, tenant_id: int, environment: Environment
) -> Connection:
    """A tenant admin allows an app visible to the tenant: a connection with a client id at
    the app's current scope version, and no secret yet."""
    return await _open_connection(
        conn, app_id=app_id, tenant_id=tenant_id, environment=environment, require_visible=True
    )


async def _open_connection(
    conn: DbConnection,
    *,
    app_id: int,
    tenant_id: int,
    environment: Environment,
    require_visible: bool,
) -> Connection:
    scope_version = await app_store.live_app_scope_version(conn, app_id)
    if scope_version is None:
        raise CredentialError(f"There is no app {app_id}.")
    if not await tenant_store.tenant_exists(conn, tenant_id, environment.value):
        raise CredentialError(f"There is no tenant {tenant_id} in the {environment} environment.")
    if not await app_store.is_visible(conn, app_id, tenant_id):
        if require_visible:
            raise CredentialError(
                f"App {app_id} is not visible to tenant {tenant_id}: its developer must add "
                "the tenant id to the app first."
            )
        await app_store.show_to_tenants(conn, app_id, [tenant_id])
    existing = await find_connection(conn, environment, tenant_id, app_id)
    if existing is not None:
        raise CredentialError(
            f"App {app_id} is already connected to tenant {tenant_id} in {environment}; "
            f"its client id is {existing.client_id}. Make a new secret for it instead."
        )
    client_id = new_client_id()
    conn_id = await credential_store.insert_connection(
        conn,
        environment=environment.value,
        tenant_id=tenant_id,
        app_id=app_id,
        client_id=client_id,
        scope_version=scope_version,
        created_on=datetime.now(UTC),
    )
    return Connection(conn_id, environment, tenant_id, app_id, client_id, scope_version, True)


async def get_connection(conn: DbConnection, connection_id: int) -> Connection | None:
    row = await credential_store.connection_row(conn, connection_id)
    return _connection(row) if row else None


async def connections_of(
    conn: DbConnection, *, app_id: int | None = None, tenant_id: int | None = None
) -> list[Connection]:
    rows = await credential_store.connection_rows(conn, app_id=app_id, tenant_id=tenant_id)
    return [_connection(r) for r in rows]


async def set_connection_active(conn: DbConnection, connection_id: int, active: bool) -> None:
    """Disable (pause) or enable a connection; its tokens stop or start working at once."""
    if not await credential_store.set_connection_active(conn, connection_id, active):
        raise CredentialError(f"There is no connection {connection_id}.")


async def upgrade_connection(conn: DbConnection, connection_id: int) -> int:
    """Move a connection to its app's newest scope version (tokens issued after this carry the
    new scopes; client id and secrets stay). Returns the version now in force."""
    versions = await credential_store.scope_versions_of_connection(conn, connection_id)
    if versions is None:
        raise CredentialError(f"There is no connection {connection_id}.")
    current, latest = versions
    if current >= latest:
        raise CredentialError("This connection already uses the app's newest scope version.")
    await credential_store.set_connection_scope_version(conn, connection_id, latest)
    return latest


async def find_connection(
    conn: DbConnection, environment: Environment, tenant_id: int, app_id: int
) -> Connection | None:
    row = await credential_store.connection_row_for(conn, environment.value, tenant_id, app_id)
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


async def _connection_by_client_id(conn: DbConnection, client_id: str) -> Connection:
    row = await credential_store.connection_row_by_client_id(conn, client_id)
    if row is None:
        raise CredentialError(f"There is no connection with client id {client_id}.")
    return _connection(row)


async def create_secret(conn: DbConnection, server_key: ServerKey, client_id: str) -> IssuedSecret:
    connection = await _connection_by_client_id(conn, client_id)
    # The hint keeps a secret's first four characters, "cs1." or "cs2.": its slot.
    active_hints = await credential_store.active_secret_hints(conn, connection.id)
    if len(active_hints) >= MAX_ACTIVE_SECRETS:
        raise CredentialError(
            f"Client {client_id} already has {MAX_ACTIVE_SECRETS} active secrets; deactivate "
            "one first."
        )
    slot = 2 if any(h.startswith("cs1.") for h in active_hints) else 1
    secret = new_client_secret(slot)
    secret_id = await credential_store.insert_secret(
        conn,
        connection.id,
        secret_hash=server_key.hash_secret(secret),
        hint=secret[:4] + "…" + secret[-4:],
        created_on=datetime.now(UTC),
    )
    return IssuedSecret(secret_id, client_id, secret)


async def list_secrets(conn: DbConnection, client_id: str) -> list[dict[str, object]]:
    connection = await _connection_by_client_id(conn, client_id)
    return await credential_store.secret_rows(conn, connection.id)


async def _set_secret_active(
    conn: DbConnection, client_id: str, secret_id: int, active: bool
) -> None:
    connection = await _connection_by_client_id(conn, client_id)
    is_active = await credential_store.secret_is_active(conn, connection.id, secret_id)
    if is_active is None:
        raise CredentialError(f"Client {client_id} has no secret {secret_id}.")
    if active and not is_active:
        count = await credential_store.active_secret_count(conn, connection.id)
        if count >= MAX_ACTIVE_SECRETS:
            raise CredentialError(
                f"Client {client_id} already has {MAX_ACTIVE_SECRETS} active secrets; deactivate "
                "one before restoring another."
            )
    await credential_store.set_secret_active(
        conn, secret_id, active, deactivated_on=None if active else datetime.now(UTC)
    )


async def deactivate_secret(conn: DbConnection, client_id: str, secret_id: int) -> None:
    await _set_secret_active(conn, client_id, secret_id, False)


async def restore_secret(conn: DbConnection, client_id: str, secret_id: int) -> None:
    await _set_secret_active(conn, client_id, secret_id, True)


async def authenticate_client(
    conn: DbConnection,
    server_key: ServerKey,
    environment: Environment,
    client_id: str,
    client_secret: str,
) -> ClientIdentity | None:
    """The identity behind a client id and secret, or None; the same work either way."""
    rows = await credential_store.client_secret_rows(conn, client_id)
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
