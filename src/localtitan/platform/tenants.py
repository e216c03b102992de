"""Tenants: a company using ServiceTitan, with an int64 id, in one or both environments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from localtitan.platform.environments import ENVIRONMENTS, Environment
from localtitan.store import Connection
from localtitan.store import tenants as tenant_store

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
    conn: Connection,
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
    taken = await tenant_store.taken_environments(conn, tenant_id, [e.value for e in environments])
    if taken:
        raise TenantError(f"Tenant {tenant_id} already exists in {', '.join(sorted(taken))}.")
    await tenant_store.insert_tenant(
        conn, tenant_id, name, [e.value for e in environments], datetime.now(UTC)
    )
    return Tenant(tenant_id, name, tuple(environments))


async def get_tenant(conn: Connection, tenant_id: int) -> Tenant | None:
    found = await tenant_store.tenant_rows(conn, tenant_id)
    if not found:
        return None
    envs = tuple(e for e in ENVIRONMENTS if e.value in {r[0] for r in found})
    return Tenant(tenant_id, found[0][1], envs)


async def list_tenants(conn: Connection) -> list[Tenant]:
    found: dict[int, tuple[str, set[str]]] = {}
    for tid, env, name in await tenant_store.tenants_in_order(conn):
        found.setdefault(tid, (name, set()))[1].add(env)
    return [
        Tenant(tid, name, tuple(e for e in ENVIRONMENTS if e.value in envs))
        for tid, (name, envs) in found.items()
    ]
