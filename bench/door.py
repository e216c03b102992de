"""The door: an authenticated ``GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50``
(a 50-record page) against the bare ASGI app replaying the same response bytes.

The token is fetched once; each request carries ``Authorization`` and ``ST-App-Key``, so this
measures the door (route, token check, app key, tenant, scope, validation) plus the list
handler and its query. localtitan runs with ``--rate-limit 0``; 50 customers are created
first so the page is full.

It runs two localtitan servers: one with the request log and the access log off
(``--no-request-log --quiet``) and one as ``serve`` starts by default (every request queued
for the request-log table and one access-log line printed, here into the server's log file).
Three comparisons: each against the bare ASGI app, and logging on against logging off, whose
req/s ratio must stay at 0.9 or above (issue 9: logging costs at most 10%).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    BenchResult,
    Captured,
    Config,
    HttpLoad,
    HttpRequest,
    LocalTitan,
    baseline_server,
    capture,
    compare,
    fetch_token,
    localtitan_server,
)

NAME = "door"
TITLE = "GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50 (authenticated)"

CUSTOMERS = 50
_ADDRESS = {
    "street": "1 Main St",
    "city": "Austin",
    "state": "TX",
    "zip": "78701",
    "country": "USA",
}


async def create_customers(lt: LocalTitan, headers: dict[str, str], count: int) -> None:
    """``count`` residential customers with one location each, through the public API."""
    url = f"{lt.env()['apiBaseUrl']}/crm/v2/tenant/{lt.tenant_id}/customers"
    async with httpx.AsyncClient(timeout=30.0, headers=headers) as client:
        for i in range(count):
            body = {
                "name": f"Bench Customer {i + 1:03d}",
                "type": "Residential",
                "address": _ADDRESS,
                "locations": [{"name": "Home", "address": _ADDRESS}],
            }
            r = await client.post(url, json=body)
            if r.status_code != 200:
                raise RuntimeError(f"creating customer {i + 1} failed: {r.status_code} {r.text}")


LOG_OFF = ("--no-request-log", "--quiet")


async def _prepared(lt: LocalTitan) -> tuple[HttpRequest, Captured]:
    token = await fetch_token(lt)
    auth = {"Authorization": token, "ST-App-Key": lt.app_key}
    await create_customers(lt, auth, CUSTOMERS)
    base_path = lt.path_of(lt.env()["apiBaseUrl"])
    request = HttpRequest(
        "GET",
        f"{base_path}/crm/v2/tenant/{lt.tenant_id}/customers?pageSize={CUSTOMERS}",
        tuple(auth.items()),
    )
    real = await capture(lt.server, request)
    if real.status != 200:
        raise RuntimeError(f"list answered {real.status}: {real.body[:300]!r}")
    records = len(json.loads(real.body)["data"])
    if records != CUSTOMERS:
        raise RuntimeError(f"expected a page of {CUSTOMERS} customers, got {records}")
    return request, real


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-door-") as tmp:
        workdir = Path(tmp)
        async with (
            localtitan_server(cfg, workdir, extra_args=LOG_OFF, name="localtitan-log-off") as off,
            localtitan_server(cfg, workdir, name="localtitan-log-on") as on,
        ):
            request, real = await _prepared(off)
            request_on, _ = await _prepared(on)
            label = f"GET {request.target.replace(str(off.tenant_id), '{t}')}"
            async with baseline_server(cfg, real, workdir) as base:
                replay = await capture(base, request)
                bare = HttpLoad("bare ASGI", base, request, cfg)
                log_off = HttpLoad("localtitan (log off)", off.server, request, cfg)
                log_on = HttpLoad("localtitan (log on)", on.server, request_on, cfg)
                comparisons = [
                    await compare(f"{label}, log off", log_off, bare, cfg),
                    await compare(f"{label}, log on", log_on, bare, cfg),
                    await compare("log on / log off", log_on, log_off, cfg, target=">= 0.9"),
                ]
        # After the servers stopped: shutdown flushes the last access-log lines.
        logged_lines = _count_lines(workdir / "localtitan-log-on.log", request_on.target)
    cost = comparisons[2].ratio("rps")
    # CPU time per request counts the flusher too and holds up better than req/s when other
    # work shares the machine: the server's share of a CPU over its requests per second.
    per_request = {
        side: _cpu_ms_per_request(comparisons[2], side) for side in ("subject", "baseline")
    }
    on_ms, off_ms = per_request["subject"], per_request["baseline"]
    cpu_cost = on_ms / off_ms if on_ms and off_ms else None
    return BenchResult(
        NAME,
        TITLE,
        comparisons,
        notes=[
            f"page of {CUSTOMERS} customers, {len(real.body):,} bytes; identical status, "
            f"headers and body from the baseline: {real.same_payload(replay)}",
            f"request log on / off, req/s: {'-' if cost is None else f'{cost:.3f}'} "
            "(target 0.9 or above); the log-on server printed "
            f"{logged_lines:,} access-log lines for the measured path",
            "server CPU per request: log on "
            + ("-" if on_ms is None else f"{on_ms:.3f} ms")
            + ", log off "
            + ("-" if off_ms is None else f"{off_ms:.3f} ms")
            + (f", on / off {cpu_cost:.3f} (at most 1.11 for a 10% cost)" if cpu_cost else ""),
        ],
        facts={
            "records": CUSTOMERS,
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "request_bytes": len(request.encode("127.0.0.1:65535")),
            "log_on_over_off_rps": cost,
            "log_on_access_lines": logged_lines,
            "log_on_cpu_ms_per_request": on_ms,
            "log_off_cpu_ms_per_request": off_ms,
            "log_on_over_off_cpu_per_request": cpu_cost,
        },
    )


def _cpu_ms_per_request(comparison: Any, side: str) -> float | None:
    cpu, rps = comparison.median(side, "server_cpu"), comparison.median(side, "rps")
    if not cpu or not rps:
        return None
    return float(cpu) / float(rps) * 1000.0


def _count_lines(path: Path, target: str) -> int:
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            return sum(1 for line in lines if target in line)
    except OSError:
        return 0
