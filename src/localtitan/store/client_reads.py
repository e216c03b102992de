"""A client id's active secrets with its connection and app, and an app's scope set, read on
the drivers (:mod:`localtitan.store.drivers`) for the token endpoint: indexed lookups of a few
rows, so on SQLite they run on the event loop's thread rather than through a worker-thread hop
per call."""

from __future__ import annotations

from typing import Any, NamedTuple

from localtitan.store.drivers import DriverReads, Reads, Sql

__all__ = ["ClientRow", "ClientSecretRow", "client_row", "client_secret_rows", "scope_set_text"]

_ROWS = Sql.of(
    "SELECT connections.id, connections.environment, connections.tenant_id,"
    " connections.app_id, connections.scope_version, connections.active, apps.app_key,"
    " apps.active, client_secrets.secret_hash"
    " FROM connections JOIN apps ON apps.id = connections.app_id"
    " JOIN client_secrets ON client_secrets.connection_id = connections.id"
    " WHERE connections.client_id = ? AND client_secrets.active = ?"
)
_SCOPES = Sql.of("SELECT scopes FROM app_scope_sets WHERE app_id = ? AND version = ?")


class ClientSecretRow(NamedTuple):
    """The fields of ``credentials.authenticate_client``'s query, by the same names."""

    id: int
    environment: str
    tenant_id: int
    app_id: int
    scope_version: int
    active: bool
    app_key: str
    app_active: bool
    secret_hash: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def client_secret_rows(driver: DriverReads, client_id: str) -> list[ClientSecretRow]:
    # One statement, so its own snapshot: no BEGIN and COMMIT around it (two calls on
    # SQLite), and on PostgreSQL one of the connections one() holds instead of the pool's
    # acquire and release.
    return [
        ClientSecretRow(
            int(row[0]),
            _text(row[1]),
            int(row[2]),
            int(row[3]),
            int(row[4]),
            bool(row[5]),
            _text(row[6]),
            bool(row[7]),
            _text(row[8]),
        )
        for row in await driver.one(_ROWS, (client_id, True))
    ]


async def scope_set_text(driver: DriverReads, app_id: int, version: int) -> str | None:
    """The stored JSON list of one scope version of an app, or None when there is none."""

    async def read(r: Reads) -> Any:
        return await r.value(_SCOPES, (app_id, version))

    raw = await driver.read(read, short=True)
    return None if raw is None else _text(raw)


_CLIENT = Sql.of(
    "SELECT connections.app_id, connections.tenant_id, connections.environment,"
    " connections.active, apps.app_key, apps.active, apps.deleted_on"
    " FROM connections JOIN apps ON apps.id = connections.app_id"
    " WHERE connections.client_id = ?"
)


class ClientRow(NamedTuple):
    """A client id's connection and app, for the API door's cache of clients."""

    app_id: int
    tenant_id: int
    environment: str
    active: bool
    app_key: str
    app_active: bool
    app_deleted: bool


async def client_row(driver: DriverReads, client_id: str) -> ClientRow | None:
    async def read(r: Reads) -> ClientRow | None:
        rows = await r.rows(_CLIENT, (client_id,))
        if not rows:
            return None
        row = rows[0]
        return ClientRow(
            int(row[0]),
            int(row[1]),
            _text(row[2]),
            bool(row[3]),
            _text(row[4]),
            bool(row[5]),
            row[6] is not None,
        )

    return await driver.read(read, short=True)
