"""Reading and writing API records: one row per record, its JSON as the API returns it.

Every write takes the tenant's counter row first (``record_counters``), allocating ids and a
row version under a lock held until commit; row versions therefore commit in order, which is
what lets the export feed promise that no change is ever skipped. The same lock hands out the
write's time (``Allocation.stamp``, its createdOn/modifiedOn): taken once the lock is held and
always after the previous writer's, so modifiedOn follows commit order too and a client polling
``modifiedOnOrAfter`` misses nothing (docs/decisions/0002-modified-on-commit-order.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    cast,
    extract,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.rows import (
    NESTED_REFERENCES,
    PROMOTED,
    promoted_values,
    record_row,
    row_mapping,
    utc_second,
)
from localtitan.store.tables import record_counters, records

__all__ = [
    "FIRST_ID",
    "NESTED_REFERENCES",
    "PROMOTED",
    "Allocation",
    "Stored",
    "allocate",
    "collection_version",
    "decode",
    "encode",
    "format_time",
    "from_micros",
    "get_record",
    "key_filter",
    "micros",
    "parse_time",
    "promoted_values",
    "put_record",
    "put_records",
]

# Ids start high enough to look like real ServiceTitan ids.
FIRST_ID = 10_000_001

_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


def encode(data: Any) -> bytes:
    return _encoder.encode(data)


def decode(raw: str | bytes) -> Any:
    return _decoder.decode(raw)


def format_time(value: datetime) -> str:
    """ISO-8601 UTC with seven fractional digits and a ``Z``, as ServiceTitan writes
    timestamps (.NET ticks are 100 ns: ``2021-06-02T17:28:35.6735947Z``).

    Our clock has microseconds, so the seventh digit is always 0; the width is fixed so that
    stored texts still compare in time order as strings (filters on JSON fields do).
    """
    if value.tzinfo is UTC:
        head, fraction = utc_second(value)
        return f"{head}.{fraction:06d}0Z"
    value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    # isoformat pads the year to four digits; strftime("%Y") does not on glibc (year 58).
    return value.isoformat(timespec="microseconds") + "0Z"


def parse_time(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # .NET writes 7 fractional digits; Python reads at most 6. Stored times have whole
    # microseconds, so rounding a finer bound up keeps both ``>=`` and ``<`` comparisons exact.
    finer = False
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        rest = ""
        for i, ch in enumerate(tail):
            if not ch.isdigit():
                rest = tail[i:]
                break
            digits += ch
        finer = digits[6:].strip("0") != ""
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    parsed = datetime.fromisoformat(text)
    if finer:
        parsed += timedelta(microseconds=1)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(value: datetime) -> int:
    """Microseconds since 1970 (UTC), exactly: the counter's clock."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta = aware - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class Allocation:
    first_id: int
    first_version: int
    # This write's time (createdOn/modifiedOn): after every time handed out before it.
    stamp: datetime


@dataclass
class Stored:
    kind: str
    id: int
    data: dict[str, Any]
    parent_id: int | None = None
    guid: str | None = None
    active: bool = True
    deleted: bool = False
    created_on: datetime | None = None
    modified_on: datetime | None = None
    status: str | None = None


def key_filter(env: str, tenant_id: int, kind: str) -> ColumnElement[bool]:
    return and_(
        records.c.environment == env, records.c.tenant_id == tenant_id, records.c.kind == kind
    )


async def allocate(
    conn: AsyncConnection,
    env: str,
    tenant_id: int,
    *,
    ids: int = 0,
    versions: int = 1,
    at_least: datetime | None = None,
) -> Allocation:
    """Reserve ``ids`` record ids and ``versions`` row versions for this transaction, and
    take its write time.

    The time is the clock once the counter's lock is held, or one microsecond after the last
    time handed out if that is later (a clock that steps back, or another worker's clock a
    little ahead): so a later commit never carries an earlier time. ``at_least`` moves the
    clock past times a bulk load writes itself.
    """
    where = and_(record_counters.c.environment == env, record_counters.c.tenant_id == tenant_id)
    clock = record_counters.c.clock_us
    if conn.dialect.name == "postgresql":
        # Evaluated by the UPDATE once it holds the row (re-evaluated after waiting for it).
        now: Any = cast(
            func.floor(extract("epoch", func.clock_timestamp()) * 1_000_000), BigInteger
        )
        latest: Any = func.greatest
    else:
        # SQLite's write lock is taken by BEGIN IMMEDIATE, before this statement runs.
        now = literal(micros(datetime.now(UTC)), BigInteger)
        latest = func.max
    parts = [now, clock + 1]
    if at_least is not None:
        parts.append(literal(micros(at_least), BigInteger))
    stmt = (
        update(record_counters)
        .where(where)
        .values(
            next_id=record_counters.c.next_id + ids,
            row_version=record_counters.c.row_version + versions,
            clock_us=latest(*parts),
        )
        .returning(record_counters.c.next_id, record_counters.c.row_version, clock)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        start = {"environment": env, "tenant_id": tenant_id, "next_id": FIRST_ID, "row_version": 0}
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            await conn.execute(
                pg_insert(record_counters).values(**start, clock_us=0).on_conflict_do_nothing()
            )
        else:
            await conn.execute(
                insert(record_counters).prefix_with("OR IGNORE").values(**start, clock_us=0)
            )
        row = (await conn.execute(stmt)).first()
        assert row is not None
    next_id, version = int(row[0]), int(row[1])
    return Allocation(next_id - ids, version - versions + 1, from_micros(int(row[2])))


async def collection_version(conn: AsyncConnection, env: str, tenant_id: int, kind: str) -> int:
    """The newest row version of one collection of a tenant (0 when it is empty): it moves on
    every write to that collection."""
    value = (
        await conn.execute(
            select(func.max(records.c.row_version)).where(key_filter(env, tenant_id, kind))
        )
    ).scalar_one_or_none()
    return int(value or 0)


def _row(env: str, tenant_id: int, rec: Stored, version: int, now: datetime) -> dict[str, Any]:
    return row_mapping(
        env, tenant_id, version, record_row(rec, encode(rec.data).decode(), now, sqlite=False)
    )


async def put_records(
    conn: AsyncConnection,
    env: str,
    tenant_id: int,
    items: Sequence[Stored],
    *,
    first_version: int,
    existing: Iterable[tuple[str, int]] = (),
) -> None:
    """Insert new records, or replace the ones named in ``existing`` (kind, id)."""
    now = datetime.now(UTC)
    replace = set(existing)
    new_rows = []
    for offset, rec in enumerate(items):
        row = _row(env, tenant_id, rec, first_version + offset, now)
        if (rec.kind, rec.id) in replace:
            values = {
                k: v for k, v in row.items() if k not in ("environment", "tenant_id", "kind", "id")
            }
            await conn.execute(
                update(records)
                .where(key_filter(env, tenant_id, rec.kind), records.c.id == rec.id)
                .values(**values)
            )
        else:
            new_rows.append(row)
    if new_rows:
        await conn.execute(insert(records), new_rows)


async def put_record(
    conn: AsyncConnection, env: str, tenant_id: int, rec: Stored, *, version: int, new: bool
) -> None:
    await put_records(
        conn,
        env,
        tenant_id,
        [rec],
        first_version=version,
        existing=() if new else [(rec.kind, rec.id)],
    )


async def get_record(
    conn: AsyncConnection,
    env: str,
    tenant_id: int,
    kind: str,
    record_id: int,
    *,
    include_deleted: bool = False,
) -> Stored | None:
    stmt = select(
        records.c.id,
        records.c.parent_id,
        records.c.guid,
        records.c.active,
        records.c.deleted,
        records.c.created_on,
        records.c.modified_on,
        records.c.status,
        records.c.data,
    ).where(key_filter(env, tenant_id, kind), records.c.id == record_id)
    if not include_deleted:
        stmt = stmt.where(records.c.deleted.is_(False))
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return Stored(
        kind,
        row.id,
        decode(row.data),
        row.parent_id,
        row.guid,
        row.active,
        row.deleted,
        _aware(row.created_on),
        _aware(row.modified_on),
        row.status,
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
