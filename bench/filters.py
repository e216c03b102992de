"""``filters``: two filtered job lists against a get by id, on one server with 500,000 jobs.

* ``GET /api-integration/jpm/v2/tenant/{t}/jobs?customerId=<id>``: a customer with the median
  number of jobs (5); the promoted ``customer_id`` column and its index;
* ``GET .../jobs?modifiedOnOrAfter=<date>``: a date that about 1% of jobs (5,000) match, first
  page of 50 in id order (``modifiedOn`` has nothing to do with id order in the dataset);
* baseline ``GET .../jobs/{id}``: one job by key.

Target: each list's median latency at most 2x the get's (p50 ratio <= 2). One connection, so
the latencies are the server's time per request rather than queueing.

Where the time goes: the table prints the server's CPU per request of both sides, and a third
comparison replays the ``modifiedOnOrAfter`` page's bytes and the get's from the bare ASGI app
(:mod:`bench.baseline`): what sending 43 KB rather than 850 bytes costs with no localtitan at
all. The notes subtract it: each request's p50 above the bare app sending the same bytes is
localtitan's own time (door, handler, statements, projection).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from bench._harness import (
    BenchResult,
    Comparison,
    Config,
    HttpLoad,
    HttpRequest,
    LocalTitan,
    baseline_server,
    capture,
    compare,
    fetch_token,
)
from bench._workloads import api_target, auth_headers
from bench.dataset import dataset_server

NAME = "filters"
TITLE = "jobs?customerId= and jobs?modifiedOnOrAfter= (1%) against jobs/{id}"
TARGET = "<= 2x p50 latency"


def _met(ratio: float | None) -> bool:
    return ratio is not None and ratio <= 2.0


async def _check(lt: LocalTitan, request: HttpRequest, what: str) -> dict:
    got = await capture(lt.server, request)
    if got.status != 200:
        raise RuntimeError(f"{what} answered {got.status}: {got.body[:300]!r}")
    return json.loads(got.body)


async def run(cfg: Config) -> BenchResult:
    latency_cfg = replace(cfg, concurrency=1)
    with tempfile.TemporaryDirectory(prefix="bench-filters-") as tmp:
        async with dataset_server(cfg, Path(tmp)) as ds:
            lt, info = ds.lt, ds.info
            token = await fetch_token(lt)
            headers = auth_headers(lt, token)
            jobs = api_target(lt, "jpm/v2/tenant/{t}/jobs")
            by_id = HttpRequest("GET", f"{jobs}/{info.get_job_id}", headers)
            by_customer = HttpRequest(
                "GET", f"{jobs}?customerId={info.filter_customer_id}", headers
            )
            since = HttpRequest(
                "GET", f"{jobs}?modifiedOnOrAfter={quote(info.modified_1pct)}", headers
            )
            job = await _check(lt, by_id, "get")
            if job.get("id") != info.get_job_id:
                raise RuntimeError(f"get returned {job.get('id')}, expected {info.get_job_id}")
            page = await _check(lt, by_customer, "customerId list")
            if len(page["data"]) != info.filter_customer_jobs:
                raise RuntimeError(
                    f"customerId list returned {len(page['data'])} jobs, "
                    f"expected {info.filter_customer_jobs}"
                )
            page = await _check(lt, since, "modifiedOnOrAfter list")
            if len(page["data"]) != 50 or not page["hasMore"]:
                raise RuntimeError("modifiedOnOrAfter list: expected a full page with more")
            if min(j["modifiedOn"] for j in page["data"]) < info.modified_1pct:
                raise RuntimeError("modifiedOnOrAfter list returned older jobs")
            customer = await compare(
                "jobs?customerId= vs jobs/{id}",
                HttpLoad("jobs?customerId=", lt.server, by_customer, latency_cfg),
                HttpLoad("jobs/{id}", lt.server, by_id, latency_cfg),
                latency_cfg,
                target=TARGET,
            )
            modified = await compare(
                "jobs?modifiedOnOrAfter= (1%) vs jobs/{id}",
                HttpLoad("jobs?modifiedOnOrAfter=", lt.server, since, latency_cfg),
                HttpLoad("jobs/{id}", lt.server, by_id, latency_cfg),
                latency_cfg,
                target=TARGET,
            )
            # The same bytes from the bare ASGI app: the floor under each request's p50.
            async with (
                baseline_server(cfg, await capture(lt.server, since), Path(tmp)) as bare_list,
                baseline_server(cfg, await capture(lt.server, by_id), Path(tmp)) as bare_get,
            ):
                bare = await compare(
                    "bare ASGI sending the modifiedOnOrAfter page's bytes vs the get's",
                    HttpLoad("bare, page bytes", bare_list, since, latency_cfg),
                    HttpLoad("bare, get bytes", bare_get, by_id, latency_cfg),
                    latency_cfg,
                    target="report",
                )
    c_ratio, m_ratio = customer.ratio("p50_ms"), modified.ratio("p50_ms")
    return BenchResult(
        NAME,
        TITLE,
        [customer, modified, bare],
        notes=[
            f"dataset {info.scale}: {info.counts['jpm:jobs']:,} jobs; customer "
            f"{info.filter_customer_id} has {info.filter_customer_jobs} jobs; "
            f"modifiedOnOrAfter={info.modified_1pct} matches {info.modified_1pct_jobs:,} jobs "
            "(first page of 50 returned); one connection",
            f"p50 ratios: customerId {_fmt(c_ratio)}, modifiedOnOrAfter {_fmt(m_ratio)} "
            f"(target {TARGET}: {'met' if _met(c_ratio) else 'MISSED'}, "
            f"{'met' if _met(m_ratio) else 'MISSED'}); read the p50 rows of the table",
            _own_time(modified, bare),
        ],
        facts={
            "dataset": info.scale,
            "target": TARGET,
            "customer_id": info.filter_customer_id,
            "customer_jobs": info.filter_customer_jobs,
            "modified_on_or_after": info.modified_1pct,
            "modified_matches": info.modified_1pct_jobs,
            "customer_p50_ratio": c_ratio,
            "modified_p50_ratio": m_ratio,
            "customer_met": _met(c_ratio),
            "modified_met": _met(m_ratio),
        },
    )


def _own_time(modified: Comparison, bare: Comparison) -> str:
    """Each request's p50 above the bare app's for the same bytes: localtitan's own time."""
    page = _minus(modified.median("subject", "p50_ms"), bare.median("subject", "p50_ms"))
    get = _minus(modified.median("baseline", "p50_ms"), bare.median("baseline", "p50_ms"))
    floor = bare.ratio("p50_ms")
    return (
        f"p50 above the bare ASGI app sending the same bytes (localtitan's own time): "
        f"modifiedOnOrAfter {_fmt(page)} ms, get {_fmt(get)} ms; the bare app alone takes "
        f"{_fmt(floor)}x as long for the page's 43 KB as for the get's bytes"
    )


def _minus(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
