"""``deep_page``: page 1,000 of ``GET /api-integration/crm/v2/tenant/{t}/customers?pageSize=50``
(customers 49,951 to 50,000 of 100,000) against page 1 of the same list, on one server.
Target (issue 10): page 1,000 at most 1.5x the latency of page 1, both cold and warm.

* **warm**: page 1,000 requested again and again (the page-start cache in
  ``engine/page_cache.py`` knows where it starts), against page 1 likewise;
* **cold**: each timed request comes right after a write (one customer created through the
  API, which moves the tenant's row version and so invalidates every cached page start), so
  the server must find where page 1,000 starts; page 1 is timed the same way.

Both use one connection, so the latencies are the server's time per request, not queueing.
With ``--quick`` (10,000 customers) the deep page is page 100, as deep relative to the list.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from bench._harness import BenchResult, Config, HttpLoad, HttpRequest, compare, fetch_token
from bench._workloads import ColdPage, api_target, auth_headers
from bench.dataset import FULL, dataset_server, scale_for

NAME = "deep_page"
TITLE = "customers?pageSize=50: page 1,000 against page 1, cold (after a write) and warm"
_LIMIT = 1.5
TARGET = f"<= {_LIMIT}x p50 latency"
PAGE_SIZE = 50
DEEP_PAGE_FULL = 1000

_CUSTOMER = {
    "name": "Deep Page Writer",
    "type": "Residential",
    "address": {
        "street": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "zip": "78701",
        "country": "USA",
    },
    "locations": [
        {
            "name": "Home",
            "address": {
                "street": "1 Main St",
                "city": "Austin",
                "state": "TX",
                "zip": "78701",
                "country": "USA",
            },
        }
    ],
}


def _met(ratio: float | None) -> bool:
    return ratio is not None and ratio <= _LIMIT


async def run(cfg: Config) -> BenchResult:
    scale = scale_for(cfg)
    deep = DEEP_PAGE_FULL * scale.customers // FULL.customers
    latency_cfg = replace(cfg, concurrency=1)
    with tempfile.TemporaryDirectory(prefix="bench-deep-page-") as tmp:
        async with dataset_server(cfg, Path(tmp)) as ds:
            lt, info = ds.lt, ds.info
            token = await fetch_token(lt)
            headers = auth_headers(lt, token)
            list_target = api_target(lt, f"crm/v2/tenant/{{t}}/customers?pageSize={PAGE_SIZE}")
            first = HttpRequest("GET", f"{list_target}&page=1", headers)
            deep_req = HttpRequest("GET", f"{list_target}&page={deep}", headers)
            # Check the deep page is the one expected before timing it.
            probe = ColdPage("probe", lt, headers, deep_req.target, "", b"", cfg)
            status, body = await probe.conn.request("GET", deep_req.target)
            await probe.conn.close()
            if status != 200:
                raise RuntimeError(f"page {deep} answered {status}: {body[:300]!r}")
            ids = [r["id"] for r in json.loads(body)["data"]]
            want = info.first_customer_id + (deep - 1) * PAGE_SIZE
            if ids != list(range(want, want + PAGE_SIZE)):
                raise RuntimeError(f"page {deep} holds ids {ids[:3]}..., expected {want}...")
            warm = await compare(
                f"warm: page {deep} vs page 1",
                HttpLoad(f"page {deep}", lt.server, deep_req, latency_cfg),
                HttpLoad("page 1", lt.server, first, latency_cfg),
                latency_cfg,
                target=TARGET,
            )
            write_target = api_target(lt, "crm/v2/tenant/{t}/customers")
            write_body = json.dumps(_CUSTOMER).encode()
            cold_deep = ColdPage(
                f"page {deep} after a write",
                lt,
                headers,
                deep_req.target,
                write_target,
                write_body,
                cfg,
            )
            cold_first = ColdPage(
                "page 1 after a write", lt, headers, first.target, write_target, write_body, cfg
            )
            cold = await compare(
                f"cold: page {deep} vs page 1, each right after a write",
                cold_deep,
                cold_first,
                latency_cfg,
                target=TARGET,
            )
            await cold_deep.conn.close()
            await cold_first.conn.close()
    warm_ratio, cold_ratio = warm.ratio("p50_ms"), cold.ratio("p50_ms")
    return BenchResult(
        NAME,
        TITLE,
        [warm, cold],
        notes=[
            f"dataset {info.scale}: {info.counts['crm:customers']:,} customers; deep page "
            f"{deep} (ids {want:,} to {want + PAGE_SIZE - 1:,}); one connection",
            f"warm p50 ratio {_fmt(warm_ratio)}, cold p50 ratio {_fmt(cold_ratio)} "
            f"(target {TARGET}: warm {'met' if _met(warm_ratio) else 'MISSED'}, "
            f"cold {'met' if _met(cold_ratio) else 'MISSED'}); read the p50 rows of the table",
            f"{cold_deep.writes + cold_first.writes} customers created for the cold rounds",
        ],
        facts={
            "dataset": info.scale,
            "deep_page": deep,
            "target": TARGET,
            "warm_p50_ratio": warm_ratio,
            "cold_p50_ratio": cold_ratio,
            "warm_met": _met(warm_ratio),
            "cold_met": _met(cold_ratio),
            "writes": cold_deep.writes + cold_first.writes,
        },
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
