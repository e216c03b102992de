"""A client id's active secrets with its connection and app, and an app's scope set, read on
the drivers (:mod:`localtitan.store.drivers`) for the token endpoint: indexed lookups of a few
rows, so on SQLite they run on the event loop's thread rather than through a worker-thread hop
per call."""

from __future__ import annotations

from typing import Any, NamedTuple

from localtitan.store.drivers import DriverReads, Reads, Sql

__all__ = ["ClientSecretRow", "client_secret_rows", "scope_set_text"]

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
    async def read(r: Reads) -> list[ClientSecretRow]:
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
            for row in await r.rows(_ROWS, (client_id, True))
        ]

    return await driver.read(read, short=True)


async def scope_set_text(driver: DriverReads, app_id: int, version: int) -> str | None:
    """The stored JSON list of one scope version of an app, or None when there is none."""

    async def read(r: Reads) -> Any:
        return await r.value(_SCOPES, (app_id, version))

    raw = await driver.read(read, short=True)
    return None if raw is None else _text(raw)
