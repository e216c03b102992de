"""``get_by_id``: an authenticated ``GET /api-integration/crm/v2/tenant/{t}/customers/{id}``
(one customer with its address) against the bare ASGI app replaying the same response bytes.

Like the door benchmark, 50 customers are created through the API first and the token is
fetched once; the request log and access log are off (``--no-request-log --quiet``), so this
measures the door plus the get handler and its one read.

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
    localtitan_server,
)
from bench._workloads import api_target, auth_headers
from bench.ceiling import ceiling_notes, ceiling_server, compare_with_ceiling, postgres_dsn_of
from bench.door import LOG_OFF, create_customers

NAME = "get_by_id"
TITLE = "GET /api-integration/crm/v2/tenant/{t}/customers/{id} (authenticated)"
TARGET = ">= 0.5 req/s ratio on SQLite, >= 0.25 on PostgreSQL (issue 10)"
CUSTOMERS = 50


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-get-by-id-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir, extra_args=LOG_OFF) as lt:
            token = await fetch_token(lt)
            headers = auth_headers(lt, token)
            await create_customers(lt, dict(headers), CUSTOMERS)
            listing = await capture(
                lt.server,
                HttpRequest(
                    "GET", api_target(lt, "crm/v2/tenant/{t}/customers?pageSize=50"), headers
                ),
            )
            if listing.status != 200:
                raise RuntimeError(f"list answered {listing.status}: {listing.body[:300]!r}")
            # A record from the middle of the tenant's customers, not the first or last.
            wanted = json.loads(listing.body)["data"][CUSTOMERS // 2]["id"]
            request = HttpRequest(
                "GET", api_target(lt, f"crm/v2/tenant/{{t}}/customers/{wanted}"), headers
            )
            real = await capture(lt.server, request)
            if real.status != 200 or json.loads(real.body).get("id") != wanted:
                raise RuntimeError(f"get answered {real.status}: {real.body[:300]!r}")
            db = (
                {"postgres_dsn": postgres_dsn_of(cfg.database_url)}
                if cfg.database_url
                else {"sqlite_path": lt.data_dir / "localtitan.db"}
            )
            async with (
                baseline_server(cfg, real, workdir) as base,
                ceiling_server(cfg, lt, token, workdir, **db) as top,
            ):
                replay = await capture(base, request)
                least = await capture(top, request)
                if not real.same_payload(least):
                    raise RuntimeError(f"the ceiling answered otherwise: {least.body[:300]!r}")
                label = request.target.replace(str(lt.tenant_id), "{t}").replace(
                    f"/{wanted}", "/{id}"
                )
                comparison, ceiling, gap = await compare_with_ceiling(
                    f"GET {label}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("ceiling", top, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                    target=TARGET,
                )
    return BenchResult(
        NAME,
        TITLE,
        [comparison, ceiling, gap],
        notes=[
            f"one customer of {CUSTOMERS}, {len(real.body):,} bytes; identical status, headers "
            f"and body from the baseline: {real.same_payload(replay)}",
            *ceiling_notes(NAME, comparison, ceiling, real.same_payload(least)),
        ],
        facts={
            "records": CUSTOMERS,
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "target": TARGET,
            "ceiling_vs_bare": ceiling.ratio("rps"),
            "localtitan_vs_ceiling": gap.ratio("rps"),
        },
    )
