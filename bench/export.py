"""``export``: a full export of the dataset's 500,000 jobs through the API, against reading the
same rows straight from the database.

* subject: ``GET /api-integration/jpm/v2/tenant/{t}/export/jobs``, then ``from=continueFrom``
  until ``hasMore`` is false (1,000 records a page), one connection, each page decoded once
  with msgspec as a client would (so each record is decoded once);
* baseline: ``SELECT data FROM records WHERE environment=? AND tenant_id=? AND kind='jpm:jobs'
  ORDER BY row_version`` run by the benchmark process itself (sqlite3, or asyncpg with a
  cursor), each row decoded once with msgspec.

Both sides decode every record exactly once, with the same decoder and the cyclic GC paused
while they decode (see ``bench/_workloads.py``: a page decoded at once otherwise pays CPython's
collector 2-2.5x the decode itself): the difference is the API (the HTTP request, the server's
page and its 850 KB on the socket) against the driver handing rows to the process. The notes
print each side's CPU per 1,000 records, the client's and the server's, so the output shows
which of them a walk waits for.

Targets (issue 10): records/s ratio >= 0.8; the server's peak RSS growth during a walk
< 100 MB (VmHWM after the walk minus VmRSS before it, the peak reset through
``/proc/<pid>/clear_refs`` first). ``rps`` in the table counts records, p50/p99 are per export
page.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from bench._harness import (
    BenchResult,
    Comparison,
    Config,
    HttpLoad,
    HttpRequest,
    baseline_server,
    capture,
    compare,
    fetch_token,
)
from bench._workloads import ExportWalk, RawSelect, api_target, auth_headers
from bench.dataset import ENVIRONMENT, dataset_server

NAME = "export"
TITLE = "full export of 500,000 jobs through export/jobs against a raw SELECT + decode"
TARGET = ">= 0.8 records/s ratio"
RATIO_TARGET = 0.8
RSS_TARGET_MB = 100.0
PAGE = 1000


async def run(cfg: Config) -> BenchResult:
    # A measured phase is one full walk; ``duration`` only caps it. The warm-up is a partial
    # walk of ``cfg.warmup`` seconds per side.
    walk_cfg = replace(cfg, duration=120.0 if cfg.quick else 600.0)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        async with dataset_server(cfg, Path(tmp)) as ds:
            lt, info = ds.lt, ds.info
            token = await fetch_token(lt)
            expect = info.counts["jpm:jobs"]
            walk = ExportWalk(
                "export/jobs walk",
                lt,
                auth_headers(lt, token),
                api_target(lt, "jpm/v2/tenant/{t}/export/jobs"),
                cfg,
                expect=expect,
                max_pages=expect // PAGE + 10,
            )
            raw = RawSelect(
                "raw SELECT + msgspec",
                sqlite_path=None if ds.database_url else ds.sqlite_path,
                pg_dsn=ds.postgres_dsn,
                environment=ENVIRONMENT,
                tenant_id=lt.tenant_id,
                kind="jpm:jobs",
                expect=expect,
            )
            comparison = await compare(
                "export/jobs records/s vs raw SELECT records/s", walk, raw, walk_cfg, target=TARGET
            )
            # Where a page's time goes: the feed's second page, again and again on one
            # connection, against the bare ASGI app sending the same bytes.
            status, body = await walk.conn.request("GET", walk.target)
            await walk.conn.close()
            if status != 200:
                raise RuntimeError(f"export answered {status}: {body[:300]!r}")
            page_req = HttpRequest(
                "GET", f"{walk.target}?from={_token(body)}", auth_headers(lt, token)
            )
            real = await capture(lt.server, page_req)
            one = replace(cfg, concurrency=1)
            async with baseline_server(cfg, real, Path(tmp)) as base:
                page_cmp = await compare(
                    "one export page (1,000 jobs) vs bare ASGI sending the same bytes",
                    HttpLoad("export page", lt.server, page_req, one),
                    HttpLoad("bare ASGI", base, page_req, one),
                    one,
                    target="report",
                )
    measured = walk.walks[1:] if cfg.warmup > 0 else walk.walks
    growth = [w.peak_growth_mb for w in walk.walks if w.peak_growth_mb is not None]
    # From the server's RSS before its first export request (the warm-up walk) to the highest
    # peak of any walk: what exporting cost the process in all, not only the last walk.
    hwms = [w.hwm_after_kb for w in walk.walks if w.hwm_after_kb is not None]
    first = walk.walks[0].rss_before_kb if walk.walks else None
    peak = (max(hwms) - first) / 1024 if hwms and first is not None else None
    ratio = comparison.ratio("rps")
    complete = all(w.complete and w.records == expect for w in measured)
    rss_met = peak is not None and peak < RSS_TARGET_MB
    return BenchResult(
        NAME,
        TITLE,
        [comparison, page_cmp],
        notes=[
            f"dataset {info.scale}: {expect:,} jobs, {PAGE:,} a page; every measured walk "
            f"complete with all records: {complete}; req/s in the table counts records; both "
            "sides decode each record once with msgspec, the GC paused. The baseline is this "
            "process's own work, so a driver-CPU warning above does not apply to it",
            _where_time_goes(comparison),
            f"records/s ratio {ratio:.3f} (target {TARGET}: "
            f"{'met' if ratio is not None and ratio >= RATIO_TARGET else 'MISSED'})"
            if ratio is not None
            else "records/s ratio: -",
            f"server peak RSS growth: {_mb(peak)} from before the first export request to the "
            f"highest VmHWM (target < {RSS_TARGET_MB:.0f} MB: {'met' if rss_met else 'MISSED'}); "
            "per walk, warm-up first (VmHWM after - VmRSS before): "
            + ", ".join(_mb(g) for g in growth)
            + f"; RSS {_mb(first / 1024 if first else None)} before the first walk; peak reset "
            f"before each walk: {all(w.peak_reset for w in walk.walks)}",
        ],
        facts={
            "dataset": info.scale,
            "records": expect,
            "target": TARGET,
            "records_per_s_ratio": ratio,
            "ratio_met": ratio is not None and ratio >= RATIO_TARGET,
            "peak_rss_growth_mb": peak,
            "rss_target_mb": RSS_TARGET_MB,
            "rss_met": rss_met,
            "walks": [asdict(w) for w in walk.walks],
            "complete": complete,
        },
        failed_checks=[] if complete else ["an export walk did not return every job"],
    )


def _per_thousand(cpu: float | None, rps: float | None) -> float | None:
    """CPU milliseconds per 1,000 records from a CPU share (of one CPU) and records/s."""
    return cpu / rps * 1e6 if cpu is not None and rps else None


def _where_time_goes(c: Comparison) -> str:
    """Each side's CPU per 1,000 records: a walk takes at least the larger of the client's and
    the server's (the server reads the next page while the client decodes this one)."""
    rps_s, rps_b = c.median("subject", "rps"), c.median("baseline", "rps")
    client = _per_thousand(c.median("subject", "client_cpu"), rps_s)
    server = _per_thousand(c.median("subject", "server_cpu"), rps_s)
    base = _per_thousand(c.median("baseline", "client_cpu"), rps_b)
    wall_s = 1e6 / rps_s if rps_s else None
    wall_b = 1e6 / rps_b if rps_b else None
    # A walk's wall time is at least its client's CPU, so the raw SELECT's wall time over that
    # CPU is the most any server could reach with this client on this machine.
    bound = (
        f"; the walk's client alone bounds the ratio at {wall_b / client:.3f}, whatever the "
        "server does"
        if wall_b and client
        else ""
    )
    return (
        f"CPU per 1,000 records: walk client {_ms(client)} (HTTP and decoding the page), "
        f"server {_ms(server)} (serving the page; the database's own processes not counted), "
        f"wall {_ms(wall_s)}; raw SELECT {_ms(base)} in this process (statement and decode), "
        f"wall {_ms(wall_b)}{bound}"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} MB"


def _token(body: bytes) -> str:
    import json

    return str(json.loads(body)["continueFrom"])
