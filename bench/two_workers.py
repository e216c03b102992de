"""``two_workers``: the list_page request against ``serve --workers 2`` and ``--workers 1``, on
two copies of the same dataset, one after the other with the same load driver (issue 10).

The ratio is the throughput of two workers over one. The load driver stays pinned to the first
CPU; the servers are not pinned here, so the two workers may use both CPUs, which they share
with the driver (and, on PostgreSQL, with the database's own processes): on a two-CPU machine
the ratio shows what a second worker buys when one CPU is busy driving the load, not the
scaling of a server with CPUs to spare. The peak RSS column is one worker's (the largest).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench._harness import (
    BenchResult,
    Config,
    HttpLoad,
    HttpRequest,
    capture,
    compare,
    fetch_token,
)
from bench._workloads import api_target, auth_headers
from bench.dataset import Running, dataset_server
from bench.door import LOG_OFF

NAME = "two_workers"
TITLE = "list_page with serve --workers 2 against --workers 1 (same dataset and request)"
TARGET = "report (issue 10: two workers against one on PostgreSQL)"
PAGE_SIZE = 50
_WORKERS_UP = 60.0  # seconds for the second worker to start


async def _request(ds: Running) -> HttpRequest:
    token = await fetch_token(ds.lt)
    request = HttpRequest(
        "GET",
        api_target(ds.lt, f"crm/v2/tenant/{{t}}/customers?pageSize={PAGE_SIZE}"),
        auth_headers(ds.lt, token),
    )
    real = await capture(ds.lt.server, request)
    if real.status != 200:
        raise RuntimeError(f"list answered {real.status}: {real.body[:300]!r}")
    return request


async def _all_workers(ds: Running, workers: int) -> None:
    deadline = time.monotonic() + _WORKERS_UP
    while ds.lt.server.processes() < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} workers did not start within {_WORKERS_UP:.0f} s")
        await asyncio.sleep(0.2)


async def run(cfg: Config) -> BenchResult:
    servers = replace(cfg, pin=False)
    with tempfile.TemporaryDirectory(prefix="bench-two-workers-") as tmp:
        workdir = Path(tmp)
        one_dir, two_dir = workdir / "one", workdir / "two"
        one_dir.mkdir()
        two_dir.mkdir()
        async with (
            dataset_server(servers, one_dir, extra_args=LOG_OFF) as one,
            dataset_server(servers, two_dir, extra_args=(*LOG_OFF, "--workers", "2")) as two,
        ):
            await _all_workers(two, 2)
            one_request, two_request = await _request(one), await _request(two)
            two_load = HttpLoad("2 workers", two.lt.server, two_request, cfg)
            # A worker that started last has cold caches: give both a few seconds first.
            await two_load.measure(3.0)
            comparison = await compare(
                f"GET {one_request.target.replace(str(one.lt.tenant_id), '{t}')}",
                two_load,
                HttpLoad("1 worker", one.lt.server, one_request, cfg),
                cfg,
                target=TARGET,
            )
            info = one.info
    ratio = comparison.ratio("rps")
    return BenchResult(
        NAME,
        TITLE,
        [comparison],
        notes=[
            f"dataset {info.scale}: {info.counts['crm:customers']:,} customers; page of "
            f"{PAGE_SIZE}; request log off; servers not pinned (the driver is); "
            f"two workers / one worker, req/s: {ratio:.3f}"
            if ratio
            else "no ratio",
        ],
        facts={
            "dataset": info.scale,
            "customers": info.counts["crm:customers"],
            "workers": [2, 1],
            "servers_pinned": False,
            "ratio_two_over_one": ratio,
        },
    )
