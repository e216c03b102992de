"""The usage report: calls, failures, rate limits and latency over a time range, by operation
and by tenant, summed by SQL over the request log on SQLite and PostgreSQL alike (the sums
and what counts as a success or a failure: ``store.request_usage``), with its CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from localtitan.store.database import Connection
from localtitan.store.request_usage import (
    NO_OPERATION,
    GroupSums,
    UsageScope,
    group_sums,
    slot_counts,
)

__all__ = [
    "NO_OPERATION",
    "RANGES",
    "Figures",
    "UsageRange",
    "UsageReport",
    "usage_csv",
    "usage_report",
]

_HOUR = 3_600_000
_DAY = 24 * _HOUR


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


def _figures(sums: GroupSums) -> Figures:
    return Figures(
        total=sums.total,
        successful=sums.successful,
        failed=sums.failed,
        rate_limited=sums.rate_limited,
        average_ms=sums.average_ms,
        p95_ms=sums.p95_ms,
        response_bytes=sums.response_bytes,
    )


async def usage_report(
    conn: Connection,
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
    scope = UsageScope(start, now_ms, app_id=app_id, tenant_id=tenant_id, environment=environment)
    total = (await group_sums(conn, scope, "total")).get(())
    totals = _figures(total) if total is not None else Figures()
    by_operation = sorted(
        ((str(k[0]), _figures(f)) for k, f in (await group_sums(conn, scope, "operation")).items()),
        key=lambda item: (-item[1].total, item[0]),
    )
    by_tenant = sorted(
        (
            (k[0], str(k[1]), _figures(f))
            for k, f in (await group_sums(conn, scope, "tenant")).items()
        ),
        key=lambda item: (-item[2].total, item[0] or 0, item[1]),
    )
    slots = max(1, -(-(now_ms - start) // chosen.bucket_ms))
    buckets = [Bucket(start + i * chosen.bucket_ms) for i in range(slots)]
    for counts in await slot_counts(conn, scope, chosen.bucket_ms):
        index = min(counts.slot, slots - 1)  # a call at the very end goes in the last bar
        if index >= 0:
            buckets[index].successful += counts.successful
            buckets[index].failed += counts.failed
            buckets[index].rate_limited += counts.rate_limited
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
