"""The usage report: calls, failures, rate limits and latency over a time range, by operation
and by tenant, summed by SQL over the request log on SQLite and PostgreSQL alike.

A call is *successful* below status 400, *rate-limited* at 429, and *failed* at any other
4xx or 5xx (so the three add up to the total). The 95th percentile is the nearest-rank one: the
latency of the call at rank ceil(0.95 n) when a group's n calls are sorted by latency. It is
computed with window functions (``row_number`` and ``count`` over each group), which both
backends have, so one query gives the same answer on both.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.tables import request_log

__all__ = ["RANGES", "Figures", "UsageRange", "UsageReport", "usage_csv", "usage_report"]

_HOUR = 3_600_000
_DAY = 24 * _HOUR
NO_OPERATION = "(token requests)"


@dataclass(frozen=True)
class UsageRange:
    key: str
    label: str
    bucket_ms: int

    def start(self, now_ms: int) -> int:
        if self.key == "today":
            return now_ms - now_ms % _DAY  # midnight UTC
        return (
            now_ms - {"hour": _HOUR, "7d": 7 * _DAY, "30d": 30 * _DAY, "90d": 90 * _DAY}[self.key]
        )


RANGES: dict[str, UsageRange] = {
    r.key: r
    for r in (
        UsageRange("hour", "Last hour", 5 * 60_000),
        UsageRange("today", "Today (UTC)", _HOUR),
        UsageRange("7d", "Last 7 days", 6 * _HOUR),
        UsageRange("30d", "Last 30 days", _DAY),
        UsageRange("90d", "Last 90 days", _DAY),
    )
}


@dataclass
class Figures:
    total: int = 0
    successful: int = 0
    failed: int = 0
    rate_limited: int = 0
    average_ms: float | None = None
    p95_ms: float | None = None
    response_bytes: int = 0


@dataclass
class Bucket:
    start_ms: int
    successful: int = 0
    failed: int = 0
    rate_limited: int = 0

    @property
    def total(self) -> int:
        return self.successful + self.failed + self.rate_limited


@dataclass
class UsageReport:
    range: UsageRange
    start_ms: int
    end_ms: int
    totals: Figures
    by_operation: list[tuple[str, Figures]] = field(default_factory=list)
    by_tenant: list[tuple[int | None, str, Figures]] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)


def _ok() -> ColumnElement[Any]:
    return case((request_log.c.status < 400, 1), else_=0)


def _limited() -> ColumnElement[Any]:
    return case((request_log.c.status == 429, 1), else_=0)


def _failed() -> ColumnElement[Any]:
    return case((and_(request_log.c.status >= 400, request_log.c.status != 429), 1), else_=0)


async def _groups(
    conn: AsyncConnection, where: ColumnElement[bool], keys: list[ColumnElement[Any]]
) -> dict[tuple[Any, ...], Figures]:
    c = request_log.c
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
    found: dict[tuple[Any, ...], Figures] = {}
    for row in await conn.execute(sums):
        key = tuple(row[: len(keys)])
        if not row.total:
            continue
        found[key] = Figures(
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


async def usage_report(
    conn: AsyncConnection,
    range_key: str,
    now_ms: int,
    *,
    app_id: int | None = None,
    tenant_id: int | None = None,
    environment: str | None = None,
) -> UsageReport:
    """The report of one app (or one tenant) over one of :data:`RANGES`."""
    if app_id is None and tenant_id is None:
        raise ValueError("A usage report is for an app or for a tenant.")
    chosen = RANGES[range_key]
    start = chosen.start(now_ms)
    c = request_log.c
    conditions = [c.time_ms >= start, c.time_ms <= now_ms]
    if app_id is not None:
        conditions.append(c.app_id == app_id)
    if tenant_id is not None:
        conditions.append(c.tenant_id == tenant_id)
    if environment is not None:
        conditions.append(c.environment == environment)
    where = and_(*conditions)
    totals = (await _groups(conn, where, [])).get((), Figures())
    operation = func.coalesce(c.operation_id, NO_OPERATION)
    by_operation = sorted(
        ((str(k[0]), f) for k, f in (await _groups(conn, where, [operation])).items()),
        key=lambda item: (-item[1].total, item[0]),
    )
    by_tenant = sorted(
        (
            (k[0], str(k[1]), f)
            for k, f in (await _groups(conn, where, [c.tenant_id, c.environment])).items()
        ),
        key=lambda item: (-item[2].total, item[0] or 0, item[1]),
    )
    slot = ((c.time_ms - start) // chosen.bucket_ms).label("slot")
    counted = (
        select(
            slot,
            func.sum(_ok()).label("ok"),
            func.sum(_failed()).label("failed"),
            func.sum(_limited()).label("limited"),
        )
        .where(where)
        .group_by(slot)
    )
    slots = max(1, -(-(now_ms - start) // chosen.bucket_ms))
    buckets = [Bucket(start + i * chosen.bucket_ms) for i in range(slots)]
    for row in await conn.execute(counted):
        index = min(int(row.slot), slots - 1)  # a call at the very end goes in the last bar
        if index >= 0:
            buckets[index].successful += int(row.ok or 0)
            buckets[index].failed += int(row.failed or 0)
            buckets[index].rate_limited += int(row.limited or 0)
    return UsageReport(chosen, start, now_ms, totals, by_operation, by_tenant, buckets)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def usage_csv(report: UsageReport) -> str:
    """One row for the total, then one per operation and one per tenant."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    start = datetime.fromtimestamp(report.start_ms / 1000, UTC).isoformat()
    end = datetime.fromtimestamp(report.end_ms / 1000, UTC).isoformat()
    writer.writerow(
        [
            "group",
            "name",
            "environment",
            "successful",
            "failed",
            "rateLimited",
            "total",
            "averageLatencyMs",
            "p95LatencyMs",
            "responseBytes",
            "from",
            "to",
        ]
    )

    def row(group: str, name: str, environment: str, f: Figures) -> None:
        writer.writerow(
            [
                group,
                _csv_text(name),
                environment,
                f.successful,
                f.failed,
                f.rate_limited,
                f.total,
                _ms(f.average_ms),
                _ms(f.p95_ms),
                f.response_bytes,
                start,
                end,
            ]
        )

    row("total", "all", "", report.totals)
    for name, f in report.by_operation:
        row("operation", name, "", f)
    for tenant, environment, f in report.by_tenant:
        row("tenant", "" if tenant is None else str(tenant), environment, f)
    return out.getvalue()


def _csv_text(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: make it plain text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
