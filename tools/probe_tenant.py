"""Time the calls a developer makes first against a big seeded tenant, on a running server.

Usage (after ``localtitan app create`` and ``localtitan app connect`` for the tenant)::

    .venv/bin/python tools/probe_tenant.py --base-url http://127.0.0.1:8080 \\
        --tenant 1000000 --app-key ak1.... --client-id cid.... --client-secret cs1....

Prints the median of ``--repeat`` requests for each call: page 1 and a deep page of jobs, a
deep page of customers, jobs of one customer, one job with its customer and location, the
first page of the jobs export feed, and jobs modified in the last week. Integration
environment paths; one client, one request at a time. The figures in docs/performance.md
for the million-customer tenant came from this script.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


async def _probe(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=args.base_url, timeout=120) as client:
        token = await client.post(
            "/auth-integration/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": args.client_id,
                "client_secret": args.client_secret,
            },
        )
        token.raise_for_status()
        headers = {"Authorization": token.json()["access_token"], "ST-App-Key": args.app_key}
        api = f"/api-integration/{{module}}/v2/tenant/{args.tenant}"

        async def timed(label: str, path: str, params: dict[str, Any] | None = None) -> Any:
            spent: list[float] = []
            body: Any = None
            for _ in range(args.repeat):
                started = time.perf_counter()
                r = await client.get(path, params=params, headers=headers)
                spent.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    raise SystemExit(f"{label}: HTTP {r.status_code}: {r.text[:300]}")
                body = r.json()
            print(f"{label:48} {statistics.median(spent):8.1f} ms")
            return body

        jpm, crm = api.format(module="jpm"), api.format(module="crm")
        first = await timed("jobs, page 1 of 50", f"{jpm}/jobs", {"pageSize": 50})
        total = await timed(
            "jobs, total count", f"{jpm}/jobs", {"pageSize": 1, "includeTotal": "true"}
        )
        last_page = max(1, int(total.get("totalCount") or 50) // 50)
        deep = max(1, last_page - last_page // 50)
        await timed(f"jobs, page {deep:,} of {last_page:,}", f"{jpm}/jobs", {"page": deep})
        customers = await timed(
            "customers, a deep page", f"{crm}/customers", {"page": deep // 2 or 1}
        )
        customer = customers["data"][0]["id"]
        await timed("jobs of one customer", f"{jpm}/jobs", {"customerId": customer})
        job = first["data"][0]
        await timed("one job", f"{jpm}/jobs/{job['id']}")
        await timed("its customer", f"{crm}/customers/{job['customerId']}")
        await timed("its location", f"{crm}/locations/{job['locationId']}")
        await timed("jobs export feed, first page", f"{jpm}/export/jobs")
        week_ago = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT00:00:00Z")
        await timed(
            "jobs modified in the last week, page 1",
            f"{jpm}/jobs",
            {"modifiedOnOrAfter": week_ago, "pageSize": 50},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--tenant", type=int, required=True)
    parser.add_argument("--app-key", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--repeat", type=int, default=5, help="requests per call (median)")
    asyncio.run(_probe(parser.parse_args()))


if __name__ == "__main__":
    main()
