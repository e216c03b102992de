"""``post_customer``: an authenticated ``POST /api-integration/crm/v2/tenant/{t}/customers``
creating a residential customer with one location, against the bare ASGI app replaying the
response of one such create.

Every measured request creates a customer and its location (the body is the same each time,
as a client importing duplicates would send). The request log and access log are off
(``--no-request-log --quiet``), so this measures the door, validation, the reference checks
and the write transaction.
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
    compare,
    fetch_token,
    localtitan_server,
)
from bench._workloads import api_target, auth_headers
from bench.door import _ADDRESS, LOG_OFF

NAME = "post_customer"
TITLE = "POST /api-integration/crm/v2/tenant/{t}/customers (one location, authenticated)"
TARGET = ">= 0.15 req/s ratio on SQLite, >= 0.1 on PostgreSQL (issue 10)"

BODY = json.dumps(
    {
        "name": "Bench Customer",
        "type": "Residential",
        "address": _ADDRESS,
        "locations": [{"name": "Home", "address": _ADDRESS}],
    }
).encode()


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-post-customer-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir, extra_args=LOG_OFF) as lt:
            token = await fetch_token(lt)
            headers = (*auth_headers(lt, token), ("content-type", "application/json"))
            request = HttpRequest(
                "POST", api_target(lt, "crm/v2/tenant/{t}/customers"), headers, BODY
            )
            real = await capture(lt.server, request)
            if real.status != 200 or not isinstance(json.loads(real.body).get("id"), int):
                raise RuntimeError(f"create answered {real.status}: {real.body[:300]!r}")
            async with baseline_server(cfg, real, workdir) as base:
                replay = await capture(base, request)
                comparison = await compare(
                    f"POST {request.target.replace(str(lt.tenant_id), '{t}')}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                    target=TARGET,
                )
    return BenchResult(
        NAME,
        TITLE,
        [comparison],
        notes=[
            f"request {len(BODY):,} bytes, response {len(real.body):,} bytes; identical "
            f"status, headers and body from the baseline: {real.same_payload(replay)}",
        ],
        facts={
            "request_bytes": len(BODY),
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "target": TARGET,
        },
    )
