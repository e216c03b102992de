"""``post_customer``: an authenticated ``POST /api-integration/crm/v2/tenant/{t}/customers``
creating a residential customer with one location, against the bare ASGI app replaying the
response of one such create, and against the **write ceiling** (:mod:`bench.write_ceiling`):
a bare app that also does the create's durable database work on the driver (the counter, the
two rows as the server stores them, the commit) and nothing else.

Three comparisons, in the same run: localtitan against the bare app (the target), the write
ceiling against the bare app (what the database work alone costs: the best localtitan could
do), and localtitan against the write ceiling (what localtitan adds around the write). Each
prints its server CPU per request, so the output shows where the time goes: bare HTTP, the
durable write, or localtitan's Python.

Every measured request creates a customer and its location (the body is the same each time,
as a client importing duplicates would send). The request log and access log are off
(``--no-request-log --quiet``), so this measures the door, validation, the reference checks
and the write transaction.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from bench._harness import (
    BenchResult,
    Captured,
    Config,
    HttpLoad,
    HttpRequest,
    LocalTitan,
    Server,
    baseline_server,
    capture,
    compare,
    fetch_token,
    free_port,
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


@contextlib.asynccontextmanager
async def ceiling_server(
    cfg: Config, response: Captured, workdir: Path, lt: LocalTitan, customer_id: int
) -> AsyncIterator[Server]:
    """The write ceiling on ``lt``'s database, answering ``response``."""
    port = free_port()
    response_file = workdir / f"ceiling-{port}.json"
    response.save(response_file)
    database = cfg.database_url or f"sqlite:///{(lt.data_dir / 'localtitan.db').resolve()}"
    argv = [sys.executable, "-m", "bench.write_ceiling", "--port", str(port)]
    argv += ["--response", str(response_file), "--database", database]
    argv += ["--tenant", str(lt.tenant_id), "--customer-id", str(customer_id)]
    async with Server(
        "write ceiling", argv, port=port, log_path=workdir / f"ceiling-{port}.log", cfg=cfg
    ) as server:
        yield server


async def create_request(lt: LocalTitan) -> HttpRequest:
    """The benchmark's create (a customer with one location), with a token of its own."""
    token = await fetch_token(lt)
    headers = (*auth_headers(lt, token), ("content-type", "application/json"))
    return HttpRequest("POST", api_target(lt, "crm/v2/tenant/{t}/customers"), headers, BODY)


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-post-customer-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir, extra_args=LOG_OFF) as lt:
            request = await create_request(lt)
            real = await capture(lt.server, request)
            created = json.loads(real.body).get("id") if real.status == 200 else None
            if not isinstance(created, int):
                raise RuntimeError(f"create answered {real.status}: {real.body[:300]!r}")
            label = f"POST {request.target.replace(str(lt.tenant_id), '{t}')}"
            async with (
                baseline_server(cfg, real, workdir) as base,
                ceiling_server(cfg, real, workdir, lt, created) as ceiling,
            ):
                replay = await capture(base, request)
                ceiling_replay = await capture(ceiling, request)
                ours = HttpLoad("localtitan", lt.server, request, cfg)
                bare = HttpLoad("bare ASGI", base, request, cfg)
                write = HttpLoad("write ceiling", ceiling, request, cfg)
                comparisons = [
                    await compare(label, ours, bare, cfg, target=TARGET),
                    await compare("write ceiling vs bare ASGI", write, bare, cfg),
                    await compare("localtitan vs write ceiling", ours, write, cfg),
                ]
    cpu = {
        side: comparisons[i].cpu_per_request_us(which)
        for side, i, which in (("localtitan", 0, "subject"), ("bare", 0, "baseline"))
    } | {"ceiling": comparisons[1].cpu_per_request_us("subject")}
    notes = [
        f"request {len(BODY):,} bytes, response {len(real.body):,} bytes; identical "
        f"status, headers and body from the baseline: {real.same_payload(replay)}, from "
        f"the write ceiling: {real.same_payload(ceiling_replay)}",
    ]
    if all(v is not None for v in cpu.values()):
        ours_us, bare_us, ceiling_us = cpu["localtitan"], cpu["bare"], cpu["ceiling"]
        assert ours_us is not None and bare_us is not None and ceiling_us is not None
        notes.append(
            f"server CPU per request: bare HTTP {bare_us:,.0f} µs, the durable write "
            f"{ceiling_us - bare_us:,.0f} µs more (write ceiling {ceiling_us:,.0f} µs), "
            f"localtitan's own work {ours_us - ceiling_us:,.0f} µs more (localtitan "
            f"{ours_us:,.0f} µs); with no Python of its own localtitan would reach "
            f"{bare_us / ceiling_us:.3f} of the bare app by CPU"
        )
    return BenchResult(
        NAME,
        TITLE,
        comparisons,
        notes=notes,
        facts={
            "request_bytes": len(BODY),
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "ceiling_same_payload": real.same_payload(ceiling_replay),
            "cpu_per_request_us": cpu,
            "target": TARGET,
        },
    )
