"""Copying a tenant's production records (and stored files) over its integration ones, in
the caller's transaction: the statements behind :mod:`localtitan.snapshots.refresh`.

Ids are kept. Records that exist only in integration are not erased but marked deleted (as the
API's DELETE does), so an export client following integration learns they are gone; every
copied record gets a new row version above anything integration had, so the same client sees
the copies as changes and never skips one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from localtitan.store.database import Connection
from localtitan.store.records import allocate, format_time
from localtitan.store.tables import blobs, record_counters, records

__all__ = ["Copied", "copy_production_to_integration"]

_PROD = "production"
_INT = "integration"


@dataclass(frozen=True)
class Copied:
    """What a copy did: records copied and integration records marked deleted, and how many
    rows each environment held before."""

    copied: int
    removed: int
    production_rows: int
    integration_rows: int


async def _versions(conn: Connection, env: str, tenant_id: int) -> tuple[int, int, int]:
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


async def copy_production_to_integration(conn: Connection, tenant_id: int) -> Copied:
    """Make the tenant's integration records a copy of its production records."""
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
                data=_tombstone_data(conn.dialect.name, format_time(now)),
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
                select(*columns).where(prod.c.environment == _PROD, prod.c.tenant_id == tenant_id),
            )
        )
    await _copy_blobs(conn, tenant_id)
    await _align_counter(conn, tenant_id)
    return Copied(p_rows, removed, p_rows, i_rows)


async def _copy_blobs(conn: Connection, tenant_id: int) -> None:
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


async def _align_counter(conn: Connection, tenant_id: int) -> None:
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
