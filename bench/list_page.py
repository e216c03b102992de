"""``list_page``: an authenticated ``GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50``
on the dataset tenant (100,000 customers; see ``bench/dataset.py``), against the bare ASGI app
replaying the same response bytes. Target (issue 10): req/s ratio >= 0.5 on SQLite, >= 0.25 on
PostgreSQL.

The server runs with the request log and access log off (``--no-request-log --quiet``), like
``get_by_id``: this measures the door, the list handler and the page's read; the door benchmark
shows what the log adds. The door benchmark makes the same request on a tenant of 50
customers; this one shows whether a big table changes it (and the peak RSS column whether a
big tenant grows the server).

The same run measures the ceiling (``bench/ceiling.py``: a bare ASGI app doing only the
checks, the server's own statement and the envelope, with a response identical to the
server's) beside both, and prints ours vs bare, ceiling vs bare and ours vs ceiling, with the
server CPU per request of each.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bench._harness import (
    BenchResult,
    Config,
    HttpLoad,
    HttpRequest,
    baseline_server,
    capture,
    fetch_token,
)
from bench._workloads import api_target, auth_headers
from bench.ceiling import ceiling_notes, ceiling_server, compare_with_ceiling, postgres_dsn_of
from bench.dataset import dataset_server
from bench.door import LOG_OFF

NAME = "list_page"
TITLE = "GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50 on 100,000 customers"
TARGET = ">= 0.5 req/s ratio on SQLite, >= 0.25 on PostgreSQL (issue 10)"
PAGE_SIZE = 50


def target_ratio(cfg: Config) -> float:
    return 0.25 if cfg.database_url else 0.5


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-list-page-") as tmp:
        workdir = Path(tmp)
        async with dataset_server(cfg, workdir, extra_args=LOG_OFF) as ds:
            lt, info = ds.lt, ds.info
            token = await fetch_token(lt)
            request = HttpRequest(
                "GET",
                api_target(lt, f"crm/v2/tenant/{{t}}/customers?pageSize={PAGE_SIZE}"),
                auth_headers(lt, token),
            )
            real = await capture(lt.server, request)
            if real.status != 200:
                raise RuntimeError(f"list answered {real.status}: {real.body[:300]!r}")
            page = json.loads(real.body)
            if len(page["data"]) != PAGE_SIZE or not page["hasMore"]:
                raise RuntimeError(
                    f"expected a full page with more to come, got {real.body[:300]!r}"
                )
            db = (
                {"postgres_dsn": postgres_dsn_of(ds.database_url)}
                if ds.database_url
                else {"sqlite_path": ds.sqlite_path}
            )
            async with (
                baseline_server(cfg, real, workdir) as base,
                ceiling_server(cfg, lt, token, workdir, **db) as top,
            ):
                replay = await capture(base, request)
                least = await capture(top, request)
                if not real.same_payload(least):
                    raise RuntimeError(f"the ceiling answered otherwise: {least.body[:300]!r}")
                comparison, ceiling, gap = await compare_with_ceiling(
                    f"GET {request.target.replace(str(lt.tenant_id), '{t}')}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("ceiling", top, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                    target=TARGET,
                )
    ratio = comparison.ratio("rps")
    met = ratio is not None and ratio >= target_ratio(cfg)
    return BenchResult(
        NAME,
        TITLE,
        [comparison, ceiling, gap],
        notes=[
            f"dataset {info.scale}: {info.counts['crm:customers']:,} customers; page of "
            f"{PAGE_SIZE}, {len(real.body):,} bytes; identical status, headers and body from "
            f"the baseline: {real.same_payload(replay)}",
            f"target {TARGET}: {'met' if met else 'MISSED'}; request log off",
            *ceiling_notes(NAME, comparison, ceiling, real.same_payload(least)),
        ],
        facts={
            "dataset": info.scale,
            "customers": info.counts["crm:customers"],
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "target": TARGET,
            "met": met,
            "request_log": False,
            "ceiling_vs_bare": ceiling.ratio("rps"),
            "localtitan_vs_ceiling": gap.ratio("rps"),
        },
    )
