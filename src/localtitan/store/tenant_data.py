"""Whole-tenant operations on the records and stored files: count, clear, and the seed
settings row.

These act on one tenant in one environment; callers run them inside their own transaction so
a clear and what replaces it become visible together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from localtitan.store.database import Connection
from localtitan.store.records import FIRST_ID
from localtitan.store.tables import blobs, record_counters, records, tenant_seeds, tenants

__all__ = [
    "SeedSettings",
    "clear_tenant",
    "count_files",
    "count_records",
    "counts_by_kind",
    "delete_seed_settings",
    "read_seed_settings",
    "tenant_exists",
    "tenant_name",
    "write_seed_settings",
]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def tenant_exists(conn: Connection, environment: str, tenant_id: int) -> bool:
    row = (
        await conn.execute(
            select(tenants.c.id).where(
                tenants.c.environment == environment, tenants.c.id == tenant_id
            )
        )
    ).first()
    return row is not None


async def tenant_name(conn: Connection, tenant_id: int) -> str | None:
    row = (
        await conn.execute(select(tenants.c.name).where(tenants.c.id == tenant_id).limit(1))
    ).first()
    return None if row is None else str(row[0])


async def count_records(conn: Connection, environment: str, tenant_id: int) -> int:
    """Every row the tenant has in the environment, deleted ones included."""
    return int(
        (
            await conn.execute(
                select(func.count())
                .select_from(records)
                .where(records.c.environment == environment, records.c.tenant_id == tenant_id)
            )
        ).scalar_one()
    )


async def count_files(conn: Connection, environment: str, tenant_id: int) -> int:
    """The tenant's stored files (attachment bytes, images) in the environment."""
    return int(
        (
            await conn.execute(
                select(func.count())
                .select_from(blobs)
                .where(blobs.c.environment == environment, blobs.c.tenant_id == tenant_id)
            )
        ).scalar_one()
    )


async def counts_by_kind(conn: Connection, environment: str, tenant_id: int) -> dict[str, int]:
    rows = (
        await conn.execute(
            select(records.c.kind, func.count())
            .where(records.c.environment == environment, records.c.tenant_id == tenant_id)
            .group_by(records.c.kind)
            .order_by(records.c.kind)
        )
    ).all()
    return {str(kind): int(n) for kind, n in rows}


async def clear_tenant(
    conn: Connection, environment: str, tenant_id: int, *, next_id: int | None = FIRST_ID
) -> int:
    """Delete every record and stored file of the tenant in ``environment``.

    Row versions keep counting up (an export client's continuation token stays valid and
    never skips what comes next); record ids restart at ``next_id`` since nothing is left
    that could collide, so a reseed reproduces the same ids. ``None`` keeps the id counter.
    """
    key = and_(records.c.environment == environment, records.c.tenant_id == tenant_id)
    removed = (await conn.execute(delete(records).where(key))).rowcount or 0
    await conn.execute(
        delete(blobs).where(blobs.c.environment == environment, blobs.c.tenant_id == tenant_id)
    )
    await delete_seed_settings(conn, environment, tenant_id)
    if next_id is not None:
        await conn.execute(
            update(record_counters)
            .where(
                record_counters.c.environment == environment,
                record_counters.c.tenant_id == tenant_id,
            )
            .values(next_id=next_id)
        )
    return int(removed)


@dataclass
class SeedSettings:
    """How a tenant's demo data was made, and how far a long seed got."""

    environment: str
    tenant_id: int
    seed: int
    anchor: datetime
    customers: int
    size: str | None
    generator: int
    status: str  # "running" while a committed-as-it-goes seed is under way, then "complete"
    first_id: int
    chunks_done: int
    chunks_total: int
    records: int
    started_on: datetime
    finished_on: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "anchor": self.anchor.isoformat().replace("+00:00", "Z"),
            "customers": self.customers,
            "size": self.size,
            "generator": self.generator,
            "status": self.status,
            "records": self.records,
        }


async def read_seed_settings(
    conn: Connection, environment: str, tenant_id: int
) -> SeedSettings | None:
    row = (
        await conn.execute(
            select(tenant_seeds).where(
                tenant_seeds.c.environment == environment, tenant_seeds.c.tenant_id == tenant_id
            )
        )
    ).first()
    if row is None:
        return None
    m = row._mapping
    anchor = _aware(m["anchor"])
    started = _aware(m["started_on"])
    assert anchor is not None and started is not None
    return SeedSettings(
        environment=m["environment"],
        tenant_id=int(m["tenant_id"]),
        seed=int(m["seed"]),
        anchor=anchor,
        customers=int(m["customers"]),
        size=m["size"],
        generator=int(m["generator"]),
        status=str(m["status"]),
        first_id=int(m["first_id"]),
        chunks_done=int(m["chunks_done"]),
        chunks_total=int(m["chunks_total"]),
        records=int(m["records"]),
        started_on=started,
        finished_on=_aware(m["finished_on"]),
    )


async def write_seed_settings(conn: Connection, settings: SeedSettings) -> None:
    values = {
        "seed": settings.seed,
        "anchor": settings.anchor,
        "customers": settings.customers,
        "size": settings.size,
        "generator": settings.generator,
        "status": settings.status,
        "first_id": settings.first_id,
        "chunks_done": settings.chunks_done,
        "chunks_total": settings.chunks_total,
        "records": settings.records,
        "started_on": settings.started_on,
        "finished_on": settings.finished_on,
    }
    where = and_(
        tenant_seeds.c.environment == settings.environment,
        tenant_seeds.c.tenant_id == settings.tenant_id,
    )
    done = await conn.execute(update(tenant_seeds).where(where).values(**values))
    if not done.rowcount:
        await conn.execute(
            insert(tenant_seeds).values(
                environment=settings.environment, tenant_id=settings.tenant_id, **values
            )
        )


async def delete_seed_settings(conn: Connection, environment: str, tenant_id: int) -> None:
    await conn.execute(
        delete(tenant_seeds).where(
            tenant_seeds.c.environment == environment, tenant_seeds.c.tenant_id == tenant_id
        )
    )
