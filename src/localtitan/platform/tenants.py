"""Tenants: a company using ServiceTitan, with an int64 id, in one or both environments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.platform.environments import ENVIRONMENTS, Environment
from localtitan.store.tables import tenants

__all__ = ["Tenant", "TenantError", "create_tenant", "get_tenant", "list_tenants"]

MAX_TENANT_ID = 2**63 - 1


class TenantError(ValueError):
    """A tenant request that cannot be carried out, worded for the person who made it."""


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    environments: tuple[Environment, ...]


async def create_tenant(
    conn: AsyncConnection,
    *,
    name: str,
    tenant_id: int | None = None,
    environments: tuple[Environment, ...] = ENVIRONMENTS,
) -> Tenant:
    name = name.strip()
    if not name or len(name) > 200:
        raise TenantError("A tenant needs a name of 1 to 200 characters.")
    if tenant_id is None:
        # Real tenant ids are large numbers; random ones keep test tenants from colliding.
        tenant_id = secrets.randbelow(9_000_000_000) + 1_000_000_000
    if not 0 < tenant_id <= MAX_TENANT_ID:
        raise TenantError("A tenant id must be a positive 64-bit number.")
    existing = await conn.execute(
        select(tenants.c.environment).where(
            tenants.c.id == tenant_id, tenants.c.environment.in_([e.value for e in environments])
        )
    )
    taken = [row[0] for row in existing]
    if taken:
        raise TenantError(f"Tenant {tenant_id} already exists in {', '.join(sorted(taken))}.")
    now = datetime.now(UTC)
    await conn.execute(
        tenants.insert(),
        [
            {
                "environment": e.value,
                "id": tenant_id,
                "name": name,
                "active": True,
                "created_on": now,
            }
            for e in environments
        ],
    )
    return Tenant(tenant_id, name, tuple(environments))


async def get_tenant(conn: AsyncConnection, tenant_id: int) -> Tenant | None:
    rows = (
        await conn.execute(
            select(tenants.c.environment, tenants.c.name).where(tenants.c.id == tenant_id)
        )
    ).all()
    if not rows:
        return None
    envs = tuple(e for e in ENVIRONMENTS if e.value in {r[0] for r in rows})
    return Tenant(tenant_id, rows[0][1], envs)


async def list_tenants(conn: AsyncConnection) -> list[Tenant]:
    rows = (
        await conn.execute(
            select(tenants.c.id, tenants.c.environment, tenants.c.name).order_by(tenants.c.id)
        )
    ).all()
    found: dict[int, tuple[str, set[str]]] = {}
    for tid, env, name in rows:
        found.setdefault(tid, (name, set()))[1].add(env)
    return [
        Tenant(tid, name, tuple(e for e in ENVIRONMENTS if e.value in envs))
        for tid, (name, envs) in found.items()
    ]
