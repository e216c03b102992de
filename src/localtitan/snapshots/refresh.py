"""Production to integration: make a tenant's integration records a copy of its production
records, in one transaction.

Ids are kept. Records that exist only in integration are not erased but marked deleted (as the
API's DELETE does), so an export client following integration learns they are gone; every
copied record gets a new row version above anything integration had, so the same client sees
the copies as changes and never skips one. Connections and client secrets are per
environment and are not touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.snapshots.tenantdata import (
    delete_seed_settings,
    read_seed_settings,
    tenant_exists,
    write_seed_settings,
)
from localtitan.store.database import Database
from localtitan.store.records import allocate, format_time
from localtitan.store.tables import blobs, record_counters, records

__all__ = ["RefreshError", "RefreshResult", "refresh_integration"]

_PROD = "production"
_INT = "integration"


class RefreshError(Exception):
    """A refresh that cannot run, worded for the person who asked for it."""


@dataclass
class RefreshResult:
    tenant_id: int
    copied: int
    removed: int
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "copied": self.copied,
            "removedFromIntegration": self.removed,
            "seconds": round(self.seconds, 3),
        }


async def _versions(conn: AsyncConnection, env: str, tenant_id: int) -> tuple[int, int, int]:
    """(lowest row version, highest, rows) of the tenant in ``env``."""
    row = (
        await conn.execute(
            select(
                func.min(records.c.row_version),
                func.max(records.c.row_version),
                func.count(),
            ).where(records.c.environment == env, records.c.tenant_id == tenant_id)
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def _tombstone_data(dialect: str, when: str) -> Any:
    """The stored JSON with ``active`` false and ``modifiedOn`` now, where present."""
    if dialect == "postgresql":
        doc: Any = cast(records.c.data, JSONB)
        active = cast(literal("{active}"), ARRAY(Text))
        modified = cast(literal("{modifiedOn}"), ARRAY(Text))
        doc = func.jsonb_set(doc, active, cast(literal("false"), JSONB), False)
        doc = func.jsonb_set(doc, modified, func.to_jsonb(cast(literal(when), Text)), False)
        return cast(doc, Text)
    return func.json_replace(records.c.data, "$.active", func.json("false"), "$.modifiedOn", when)


async def refresh_integration(db: Database, *, tenant_id: int) -> RefreshResult:
    """Replace the tenant's integration records with a copy of its production records."""
    started = time.monotonic()
    async with db.begin() as conn:
        for env in (_PROD, _INT):
            if not await tenant_exists(conn, env, tenant_id):
                raise RefreshError(f"Tenant {tenant_id} does not exist in {env}.")
        # Lock both counters: no API write to either environment of this tenant can land
        # half-way through, on PostgreSQL too (where each statement sees fresh data).
        # Copies keep production's times, which are all before production's clock; moving
        # integration's clock past it means no later integration write is stamped before a
        # copy. Integration's removals are stamped with its clock (docs/decisions/0002).
        prod_clock = (await allocate(conn, _PROD, tenant_id, ids=0, versions=0)).stamp
        now = (await allocate(conn, _INT, tenant_id, ids=0, versions=0, at_least=prod_clock)).stamp
        p_min, p_max, p_rows = await _versions(conn, _PROD, tenant_id)
        i_min, i_max, i_rows = await _versions(conn, _INT, tenant_id)
        prod = records.alias("prod")
        in_prod = (
            select(literal(1))
            .where(
                prod.c.environment == _PROD,
                prod.c.tenant_id == tenant_id,
                prod.c.kind == records.c.kind,
                prod.c.id == records.c.id,
            )
            .exists()
        )
        integration = and_(records.c.environment == _INT, records.c.tenant_id == tenant_id)
        removed = 0
        if i_rows:
            span = i_max - i_min + 1
            base = (await allocate(conn, _INT, tenant_id, versions=span)).first_version
            result = await conn.execute(
                update(records)
                .where(integration, records.c.deleted.is_(False), ~in_prod)
                .values(
                    deleted=True,
                    active=False,
                    modified_on=now,
                    row_version=records.c.row_version - i_min + base,
                    data=_tombstone_data(db.dialect, format_time(now)),
                )
            )
            removed = int(result.rowcount or 0)
            await conn.execute(delete(records).where(integration, in_prod))
        if p_rows:
            span = p_max - p_min + 1
            base = (await allocate(conn, _INT, tenant_id, versions=span)).first_version
            names = [c.name for c in records.c]
            columns = [
                literal(_INT).label("environment")
                if c.name == "environment"
                else (prod.c.row_version - p_min + base).label("row_version")
                if c.name == "row_version"
                else prod.c[c.name]
                for c in records.c
            ]
            await conn.execute(
                insert(records).from_select(
                    names,
                    select(*columns).where(
                        prod.c.environment == _PROD, prod.c.tenant_id == tenant_id
                    ),
                )
            )
        await _copy_blobs(conn, tenant_id)
        await _align_counter(conn, tenant_id)
        await delete_seed_settings(conn, _INT, tenant_id)
        seed = await read_seed_settings(conn, _PROD, tenant_id)
        if seed is not None:
            seed.environment = _INT
            await write_seed_settings(conn, seed)
    # Only the growth counts (see refresh_statistics): a daily refresh replaces about as many
    # records as it copies, and must not re-read every index of a big database each time.
    await db.refresh_statistics(added=max(0, p_rows - i_rows))
    return RefreshResult(tenant_id, p_rows, removed, time.monotonic() - started)


async def _copy_blobs(conn: AsyncConnection, tenant_id: int) -> None:
    src = blobs.alias("src")
    same = (
        select(literal(1))
        .where(
            src.c.environment == _PROD,
            src.c.tenant_id == tenant_id,
            src.c.id == blobs.c.id,
        )
        .exists()
    )
    await conn.execute(
        delete(blobs).where(blobs.c.environment == _INT, blobs.c.tenant_id == tenant_id, same)
    )
    names = [c.name for c in blobs.c]
    columns = [
        literal(_INT).label("environment") if c.name == "environment" else src.c[c.name]
        for c in blobs.c
    ]
    await conn.execute(
        insert(blobs).from_select(
            names,
            select(*columns).where(src.c.environment == _PROD, src.c.tenant_id == tenant_id),
        )
    )


async def _align_counter(conn: AsyncConnection, tenant_id: int) -> None:
    """Integration's next id goes past production's, so no new record reuses a copied id."""
    prod_next = (
        await conn.execute(
            select(record_counters.c.next_id).where(
                record_counters.c.environment == _PROD, record_counters.c.tenant_id == tenant_id
            )
        )
    ).scalar_one()
    await conn.execute(
        update(record_counters)
        .where(
            record_counters.c.environment == _INT,
            record_counters.c.tenant_id == tenant_id,
            record_counters.c.next_id < prod_next,
        )
        .values(next_id=prod_next)
    )
