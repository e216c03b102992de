"""Usage figures summed by SQL over known rows: counts, average and p95, by operation and by
tenant, the chart and the CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import math
import re
import secrets
import xml.etree.ElementTree as ET

import pytest
from log_kit import insert_rows, known_row

from localtitan.app import LocalTitan
from localtitan.requestlog.chart import usage_svg
from localtitan.requestlog.usage import NO_OPERATION, usage_csv, usage_report

HOUR = 3_600_000
DAY = 24 * HOUR
# 10:30 UTC on some day: "today" started 10.5 hours before.
NOW = 20_000 * DAY + 10 * HOUR + 30 * 60_000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


@pytest.fixture
async def app_id(app: LocalTitan) -> int:
    """An app id of its own, with known calls in the log."""
    me = 8_000_000_000 + secrets.randbelow(10**9)
    at = NOW - 60_000
    rows = [
        known_row(app_id=me, tenant_id=1, operation_id="A", time_ms=at, latency_ms=float(i))
        for i in range(1, 21)
    ]
    rows += [
        known_row(app_id=me, tenant_id=2, operation_id="B", time_ms=at, latency_ms=100.0 + i)
        for i in range(6)
    ]
    rows += [
        known_row(
            app_id=me, tenant_id=2, operation_id="B", time_ms=at, status=500, latency_ms=200.0
        )
        for _ in range(3)
    ]
    rows.append(
        known_row(app_id=me, tenant_id=2, operation_id="B", time_ms=at, status=429, latency_ms=1.0)
    )
    rows.append(
        known_row(
            app_id=me,
            tenant_id=1,
            area="auth",
            method="POST",
            time_ms=at,
            latency_ms=5.0,
            response_size=1000,
        )
    )
    # Two days ago: in the 7-day report only. Another app's call: in none of these.
    rows.append(known_row(app_id=me, tenant_id=1, operation_id="A", time_ms=NOW - 2 * DAY))
    rows.append(known_row(app_id=me + 1, tenant_id=1, operation_id="A", time_ms=at))
    await insert_rows(app, rows)
    return me


async def test_figures_by_operation_and_by_tenant(app: LocalTitan, app_id: int) -> None:
    async with app.runtime.db.read() as conn:
        report = await usage_report(conn, "hour", NOW, app_id=app_id)
    ops = dict(report.by_operation)
    a, b, token = ops["A"], ops["B"], ops[NO_OPERATION]
    assert (a.total, a.successful, a.failed, a.rate_limited) == (20, 20, 0, 0)
    assert a.average_ms == pytest.approx(10.5)
    assert a.p95_ms == 19.0
    assert (b.total, b.successful, b.failed, b.rate_limited) == (10, 6, 3, 1)
    assert b.average_ms == pytest.approx(121.6)
    assert b.p95_ms == 200.0
    assert (token.total, token.p95_ms, token.response_bytes) == (1, 5.0, 1000)
    assert [name for name, _ in report.by_operation] == ["A", "B", NO_OPERATION]
    latencies = [float(i) for i in range(1, 21)] + [100.0 + i for i in range(6)]
    latencies += [200.0] * 3 + [1.0, 5.0]
    t = report.totals
    assert (t.total, t.successful, t.failed, t.rate_limited) == (31, 27, 3, 1)
    assert t.average_ms == pytest.approx(sum(latencies) / len(latencies))
    assert t.p95_ms == _p95(latencies)
    tenants = {(tenant, env): f for tenant, env, f in report.by_tenant}
    assert set(tenants) == {(1, "integration"), (2, "integration")}
    assert tenants[(1, "integration")].total == 21
    assert tenants[(2, "integration")].failed == 3


async def test_ranges_cover_their_own_time(app: LocalTitan, app_id: int) -> None:
    async with app.runtime.db.read() as conn:
        today = await usage_report(conn, "today", NOW, app_id=app_id)
        week = await usage_report(conn, "7d", NOW, app_id=app_id)
        other = await usage_report(conn, "90d", NOW, app_id=app_id + 2)
    assert today.totals.total == 31
    assert today.start_ms == NOW - 10 * HOUR - 30 * 60_000
    assert week.totals.total == 32
    assert other.totals.total == 0 and other.by_operation == []


async def test_the_chart_draws_each_bucket(app: LocalTitan, app_id: int) -> None:
    async with app.runtime.db.read() as conn:
        report = await usage_report(conn, "hour", NOW, app_id=app_id)
    assert len(report.buckets) == 12
    assert [b.total for b in report.buckets].count(31) == 1
    svg = ET.fromstring(usage_svg(report))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    titles = [
        (rect.get("class"), rect.find(f"{ns}title").text)  # type: ignore[union-attr]
        for rect in svg.iter(f"{ns}rect")
        if rect.get("class")
    ]
    assert sorted(titles) == [
        ("failed", "Failed: 3"),
        ("rate_limited", "Rate-limited (429): 1"),
        ("successful", "Successful: 27"),
    ]


async def test_the_chart_of_a_week_labels_its_days(app: LocalTitan, app_id: int) -> None:
    async with app.runtime.db.read() as conn:
        report = await usage_report(conn, "7d", NOW, app_id=app_id)
    svg = ET.fromstring(usage_svg(report))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    ticks = [t.text for t in svg.iter(f"{ns}text") if t.get("text-anchor") == "middle"]
    # One label a day, each a different date (not seven times the same time of day).
    assert len(ticks) == 7 and len(set(ticks)) == 7
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{2}", t or "") for t in ticks)


async def test_the_csv_has_the_total_each_operation_and_each_tenant(
    app: LocalTitan, app_id: int
) -> None:
    async with app.runtime.db.read() as conn:
        report = await usage_report(conn, "hour", NOW, app_id=app_id)
    rows = list(csv.DictReader(io.StringIO(usage_csv(report))))
    assert [(r["group"], r["name"], r["environment"]) for r in rows] == [
        ("total", "all", ""),
        ("operation", "A", ""),
        ("operation", "B", ""),
        ("operation", NO_OPERATION, ""),
        ("tenant", "1", "integration"),
        ("tenant", "2", "integration"),
    ]
    b = rows[2]
    assert (b["successful"], b["failed"], b["rateLimited"], b["total"]) == ("6", "3", "1", "10")
    assert (b["averageLatencyMs"], b["p95LatencyMs"]) == ("121.600", "200.000")
