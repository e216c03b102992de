"""The statements of tenants: one row per tenant and environment it is in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from localtitan.store.database import Connection
from localtitan.store.tables import tenants

__all__ = [
    "insert_tenant",
    "taken_environments",
    "tenant_exists",
    "tenant_rows",
    "tenants_in_order",
]


async def taken_environments(
    conn: Connection, tenant_id: int, environments: Sequence[str]
) -> list[str]:
    """Which of ``environments`` already hold a tenant with this id."""
    rows = await conn.execute(
        select(tenants.c.environment).where(
            tenants.c.id == tenant_id, tenants.c.environment.in_(list(environments))
        )
    )
    return [row[0] for row in rows]


async def insert_tenant(
    conn: Connection, tenant_id: int, name: str, environments: Sequence[str], now: datetime
) -> None:
    await conn.execute(
        tenants.insert(),
        [
            {"environment": e, "id": tenant_id, "name": name, "active": True, "created_on": now}
            for e in environments
        ],
    )


async def tenant_rows(conn: Connection, tenant_id: int) -> list[tuple[str, str]]:
    """(environment, name) of each environment the tenant is in."""
    rows = await conn.execute(
        select(tenants.c.environment, tenants.c.name).where(tenants.c.id == tenant_id)
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def tenant_exists(conn: Connection, tenant_id: int, environment: str) -> bool:
    found = await conn.execute(
        select(tenants.c.id).where(tenants.c.id == tenant_id, tenants.c.environment == environment)
    )
    return found.first() is not None


async def tenants_in_order(conn: Connection) -> list[tuple[int, str, str]]:
    """(id, environment, name) of every tenant row, in id order."""
    rows = await conn.execute(
        select(tenants.c.id, tenants.c.environment, tenants.c.name).order_by(tenants.c.id)
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
