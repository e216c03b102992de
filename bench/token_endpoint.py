"""Token endpoint throughput: ``POST /auth-integration/connect/token`` with a client-credentials
form, against the bare ASGI app replaying the same response bytes.

Every call is a successful one (the endpoint throttles failed attempts only), so this measures
what a good client costs: form parsing, the client lookup and secret check, the scopes read and
an RS256 signature per token. localtitan runs with ``--rate-limit 0``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from bench._harness import (
    BenchResult,
    Config,
    HttpLoad,
    HttpRequest,
    baseline_server,
    capture,
    compare,
    localtitan_server,
)

NAME = "token_endpoint"
TITLE = "POST /auth-integration/connect/token (form client credentials)"


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-token-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir) as lt:
            creds = lt.env("integration")
            form = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": creds["clientId"],
                    "client_secret": creds["clientSecret"],
                }
            ).encode()
            request = HttpRequest(
                "POST",
                lt.path_of(creds["tokenUrl"]),
                (("content-type", "application/x-www-form-urlencoded"),),
                form,
            )
            real = await capture(lt.server, request)
            if real.status != 200:
                raise RuntimeError(f"token endpoint answered {real.status}: {real.body[:300]!r}")
            async with baseline_server(cfg, real, workdir) as base:
                replay = await capture(base, request)
                comparison = await compare(
                    f"POST {request.target}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                )
    return BenchResult(
        NAME,
        TITLE,
        [comparison],
        notes=[
            f"response {len(real.body):,} bytes; the baseline replays one captured token; "
            f"identical status, headers and body: {real.same_payload(replay)}",
        ],
        facts={
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "request_bytes": len(form),
        },
    )
