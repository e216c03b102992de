"""The door: an authenticated ``GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50``
(a 50-record page) against the bare ASGI app replaying the same response bytes.

The token is fetched once; each request carries ``Authorization`` and ``ST-App-Key``, so this
measures the door (route, token check, app key, tenant, scope, validation) plus the list
handler and its query. localtitan runs with ``--rate-limit 0``; 50 customers are created
first so the page is full.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx

from bench._harness import (
    BenchResult,
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


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-door-") as tmp:
        workdir = Path(tmp)
        async with localtitan_server(cfg, workdir) as lt:
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
            async with baseline_server(cfg, real, workdir) as base:
                replay = await capture(base, request)
                comparison = await compare(
                    f"GET {request.target.replace(str(lt.tenant_id), '{t}')}",
                    HttpLoad("localtitan", lt.server, request, cfg),
                    HttpLoad("bare ASGI", base, request, cfg),
                    cfg,
                )
    return BenchResult(
        NAME,
        TITLE,
        [comparison],
        notes=[
            f"page of {records} customers, {len(real.body):,} bytes; identical status, "
            f"headers and body from the baseline: {real.same_payload(replay)}",
        ],
        facts={
            "records": records,
            "response_bytes": len(real.body),
            "baseline_same_payload": real.same_payload(replay),
            "request_bytes": len(request.encode("127.0.0.1:65535")),
        },
    )
