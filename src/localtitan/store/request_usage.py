"""The usage report's sums over the request log: calls, failures, rate limits, latency and bytes
per group, and calls per time slot, in SQL that SQLite and PostgreSQL run alike.

A call is *successful* below status 400, *rate-limited* at 429, and *failed* at any other
4xx or 5xx (so the three add up to the total). The 95th percentile is the nearest-rank one: the
latency of the call at rank ceil(0.95 n) when a group's n calls are sorted by latency. It is
computed with window functions (``row_number`` and ``count`` over each group), which both
backends have, so one query gives the same answer on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select

from localtitan.store.database import Connection
from localtitan.store.tables import request_log

__all__ = ["NO_OPERATION", "GroupSums", "SlotCounts", "UsageScope", "group_sums", "slot_counts"]

# The operation a token call is counted under.
NO_OPERATION = "(token requests)"


@dataclass(frozen=True)
class UsageScope:
    """Whose calls, over which times (``start_ms`` to ``end_ms``, both included)."""

    start_ms: int
    end_ms: int
    app_id: int | None = None
    tenant_id: int | None = None
    environment: str | None = None


@dataclass
class GroupSums:
    total: int
    successful: int
    failed: int
    rate_limited: int
    average_ms: float | None
    response_bytes: int
    p95_ms: float | None = None


@dataclass(frozen=True)
class SlotCounts:
    slot: int
    successful: int
    failed: int
    rate_limited: int


# What a report groups by: nothing (the total), the operation, or the tenant and environment.
_KEYS: dict[str, list[ColumnElement[Any]]] = {
    "total": [],
    "operation": [func.coalesce(request_log.c.operation_id, NO_OPERATION)],
    "tenant": [request_log.c.tenant_id, request_log.c.environment],
}


def _ok() -> ColumnElement[Any]:
    return case((request_log.c.status < 400, 1), else_=0)


def _limited() -> ColumnElement[Any]:
    return case((request_log.c.status == 429, 1), else_=0)


def _failed() -> ColumnElement[Any]:
    return case((and_(request_log.c.status >= 400, request_log.c.status != 429), 1), else_=0)


def _where(scope: UsageScope) -> ColumnElement[bool]:
    if scope.app_id is None and scope.tenant_id is None:
        raise ValueError("A usage report is for an app or for a tenant.")
    c = request_log.c
    conditions = [c.time_ms >= scope.start_ms, c.time_ms <= scope.end_ms]
    if scope.app_id is not None:
        conditions.append(c.app_id == scope.app_id)
    if scope.tenant_id is not None:
        conditions.append(c.tenant_id == scope.tenant_id)
    if scope.environment is not None:
        conditions.append(c.environment == scope.environment)
    return and_(*conditions)


async def group_sums(
    conn: Connection, scope: UsageScope, by: str
) -> dict[tuple[Any, ...], GroupSums]:
    """The figures of each group (``by``: "total", "operation" or "tenant") with calls."""
    c = request_log.c
    where = _where(scope)
    keys = _KEYS[by]
    labelled = [k.label(f"k{i}") for i, k in enumerate(keys)]
    sums = select(
        *labelled,
        func.count().label("total"),
        func.sum(_ok()).label("ok"),
        func.sum(_failed()).label("failed"),
        func.sum(_limited()).label("limited"),
        func.avg(c.latency_ms).label("average"),
        func.sum(c.response_size).label("bytes"),
    ).where(where)
    if keys:
        sums = sums.group_by(*keys)
    found: dict[tuple[Any, ...], GroupSums] = {}
    for row in await conn.execute(sums):
        key = tuple(row[: len(keys)])
        if not row.total:
            continue
        found[key] = GroupSums(
            total=int(row.total),
            successful=int(row.ok or 0),
            failed=int(row.failed or 0),
            rate_limited=int(row.limited or 0),
            average_ms=float(row.average) if row.average is not None else None,
            response_bytes=int(row.bytes or 0),
        )
    partition = keys or [literal(1)]
    ranked = (
        select(
            *labelled,
            c.latency_ms.label("latency"),
            func.row_number().over(partition_by=partition, order_by=c.latency_ms).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(where)
        .subquery()
    )
    rk = [ranked.c[f"k{i}"] for i in range(len(keys))]
    p95 = select(*rk, func.min(ranked.c.latency).label("p95")).where(
        ranked.c.rn * 100 >= ranked.c.n * 95
    )
    if keys:
        p95 = p95.group_by(*rk)
    for row in await conn.execute(p95):
        key = tuple(row[: len(keys)])
        if key in found:
            found[key].p95_ms = float(row.p95)
    return found


async def slot_counts(conn: Connection, scope: UsageScope, slot_ms: int) -> Sequence[SlotCounts]:
    """Calls per slot of ``slot_ms`` from ``scope.start_ms`` (slot 0), slots with calls only."""
    c = request_log.c
    slot = ((c.time_ms - scope.start_ms) // slot_ms).label("slot")
    counted = (
        select(
            slot,
            func.sum(_ok()).label("ok"),
            func.sum(_failed()).label("failed"),
            func.sum(_limited()).label("limited"),
        )
        .where(_where(scope))
        .group_by(slot)
    )
    return [
        SlotCounts(int(row.slot), int(row.ok or 0), int(row.failed or 0), int(row.limited or 0))
        for row in await conn.execute(counted)
    ]
