"""``writers``: 4 clients creating jobs through the API while a fifth follows the jobs export
feed; when the writers stop the follower catches up, and every job created must be in what it
read. A benchmark and a check: ``python -m bench`` exits non-zero if a record is missed.

* writers: ``POST /api-integration/jpm/v2/tenant/{t}/jobs`` (customer and location from the
  dataset, its business unit, job type and campaign, one appointment), one connection each,
  one request in flight each; a job is *created* when the POST answered 200 with its id;
* follower: ``GET .../export/jobs?from=<token>`` in a loop, polling every 50 ms once it is
  at the end. It starts from a marker job created first (``from=<its modifiedOn>``, so it
  does not read the 500,000 loaded jobs) and only runs during the "+ exporter" phases; it
  keeps its token in between, as a real integration would;
* phases alternate ``4 writers`` (baseline) and ``4 writers + exporter`` (subject), so the
  ratio shows what following the feed costs the writers.

After the last phase: the follower reads until ``hasMore`` is false, then a fresh walk from
the marker reads the whole feed again. **lost** = jobs created but not in the fresh walk;
**skipped** = jobs in the fresh walk the follower never saw (it went past them: the failure
ordered row versions exist to prevent); both must be 0, and so must failed writes.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec

from bench._harness import BenchResult, Config, LocalTitan, Sample, compare, fetch_token
from bench._workloads import Connection, api_target, auth_headers, latency_sample
from bench.dataset import DatasetInfo, dataset_server

NAME = "writers"
TITLE = "4 writers POST jobs while an exporter follows export/jobs: nothing skipped or lost"
TARGET = "0 skipped, 0 lost (writes/s ratio: report)"
WRITERS = 4
POLL = 0.05
MAX_WRITES_PER_PHASE = 50_000


class _Made(msgspec.Struct):
    id: int
    modifiedOn: str = ""


class _Page(msgspec.Struct):
    hasMore: bool
    continueFrom: str
    data: list[_Made]


_made = msgspec.json.Decoder(_Made)
_page = msgspec.json.Decoder(_Page)


@dataclass
class _Feed:
    """The follower: where it is in the feed and what it has seen (id -> time, phase)."""

    conn: Connection
    target: str
    token: str | None = None
    seen: dict[int, tuple[float, int]] = field(default_factory=dict)
    times_seen: Counter[int] = field(default_factory=Counter)
    pages: int = 0
    errors: list[str] = field(default_factory=list)

    async def step(self, phase: int) -> bool:
        """Read one page; True when the feed has more right now."""
        target = f"{self.target}?from={quote(self.token, safe='')}" if self.token else self.target
        status, body = await self.conn.request("GET", target)
        if status != 200:
            self.errors.append(f"export: status {status} {body[:200]!r}")
            return False
        page = _page.decode(body)
        now = time.perf_counter()
        self.pages += 1
        for item in page.data:
            self.times_seen[item.id] += 1
            self.seen.setdefault(item.id, (now, phase))
        self.token = page.continueFrom
        return page.hasMore

    async def follow(self, deadline: float, phase: int) -> None:
        while time.perf_counter() < deadline and len(self.errors) < 10:
            if not await self.step(phase):
                await asyncio.sleep(POLL)


@dataclass
class _Shared:
    info: DatasetInfo
    jobs_target: str
    created: dict[int, tuple[float, int]] = field(default_factory=dict)  # id -> (time, phase)
    failed: list[str] = field(default_factory=list)
    phase: int = 0
    next_customer: int = 0

    def body(self) -> bytes:
        # Customers from the middle of the dataset, a different one for every job.
        index = self.info.counts["crm:customers"] // 2 + self.next_customer
        self.next_customer += 1
        customer, location = self.info.customer_location(index)
        return msgspec.json.encode(
            {
                "customerId": customer,
                "locationId": location,
                "businessUnitId": self.info.business_unit_id,
                "jobTypeId": self.info.job_type_id,
                "campaignId": self.info.campaign_id,
                "priority": "Normal",
                "summary": "Created by the writers benchmark",
                "appointments": [{"start": "2026-12-01T15:00:00Z", "end": "2026-12-01T17:00:00Z"}],
            }
        )


class _Phase:
    """A workload: ``WRITERS`` writers for ``duration`` seconds, with or without the follower."""

    def __init__(
        self, name: str, shared: _Shared, writers: list[Connection], feed: _Feed | None, lt: Any
    ) -> None:
        self.name = name
        self.shared = shared
        self.writers = writers
        self.feed = feed
        self.server = lt.server

    async def _write(self, conn: Connection, deadline: float, out: list[float]) -> None:
        shared = self.shared
        while time.perf_counter() < deadline and len(out) < MAX_WRITES_PER_PHASE:
            t0 = time.perf_counter()
            status, body = await conn.request(
                "POST", shared.jobs_target, shared.body(), "application/json"
            )
            now = time.perf_counter()
            if status != 200:
                shared.failed.append(f"status {status} {body[:200]!r}")
                if len(shared.failed) >= 20:
                    return
                continue
            out.append(now - t0)
            shared.created[_made.decode(body).id] = (now, shared.phase)

    async def measure(self, duration: float) -> Sample:
        self.shared.phase += 1
        phase = self.shared.phase
        latencies: list[float] = []
        failed0 = len(self.shared.failed)
        cpu0 = self.server.cpu_seconds()
        client0 = time.process_time()
        start = time.perf_counter()
        deadline = start + duration
        tasks = [self._write(c, deadline, latencies) for c in self.writers]
        if self.feed is not None:
            tasks.append(self.feed.follow(deadline, phase))
        await asyncio.gather(*tasks)
        return latency_sample(
            self.name,
            latencies,
            self.shared.failed[failed0:],
            time.perf_counter() - start,
            server=self.server,
            cpu0=cpu0,
            client0=client0,
        )


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _marker(lt: LocalTitan, conn: Connection, shared: _Shared) -> str:
    """Create one job; the follower starts from its modifiedOn. Returns that time."""
    status, body = await conn.request("POST", shared.jobs_target, shared.body(), "application/json")
    if status != 200:
        raise RuntimeError(f"creating the marker job failed: {status} {body[:300]!r}")
    made = _made.decode(body)
    shared.created[made.id] = (time.perf_counter(), 0)
    return made.modifiedOn


async def run(cfg: Config) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="bench-writers-") as tmp:
        async with dataset_server(cfg, Path(tmp)) as ds:
            lt, info = ds.lt, ds.info
            token = await fetch_token(lt)
            headers = auth_headers(lt, token)
            shared = _Shared(info, api_target(lt, "jpm/v2/tenant/{t}/jobs"))
            writers = [Connection(lt.server, headers, cfg.grace) for _ in range(WRITERS)]
            export_target = api_target(lt, "jpm/v2/tenant/{t}/export/jobs")
            since = await _marker(lt, writers[0], shared)
            feed = _Feed(Connection(lt.server, headers, cfg.grace), export_target)
            feed.token = None
            first = f"{export_target}?from={quote(since, safe='')}"
            status, body = await feed.conn.request("GET", first)
            if status != 200:
                raise RuntimeError(f"export from {since} answered {status}: {body[:300]!r}")
            page = _page.decode(body)
            for item in page.data:
                feed.times_seen[item.id] += 1
                feed.seen.setdefault(item.id, (time.perf_counter(), 0))
            feed.token = page.continueFrom
            comparison = await compare(
                f"{WRITERS} writers POST jobs: with the exporter vs without",
                _Phase(f"{WRITERS} writers + exporter", shared, writers, feed, lt),
                _Phase(f"{WRITERS} writers", shared, writers, None, lt),
                cfg,
                target=TARGET,
            )
            # Catch up: read until the feed says there is nothing more (all writes answered).
            catch_start = time.perf_counter()
            pages0 = feed.pages
            deadline = catch_start + 300
            while time.perf_counter() < deadline and not feed.errors:
                if not await feed.step(shared.phase + 1):
                    break
            catch_up_s = time.perf_counter() - catch_start
            catch_up_pages = feed.pages - pages0
            # A fresh walk of the feed from the marker, for what the follower should have seen.
            fresh = _Feed(Connection(lt.server, headers, cfg.grace), export_target)
            status, body = await fresh.conn.request("GET", first)
            everything: set[int] = set()
            if status == 200:
                page = _page.decode(body)
                everything.update(i.id for i in page.data)
                fresh.token = page.continueFrom
                more = page.hasMore
                while more and time.perf_counter() < deadline + 300 and not fresh.errors:
                    more = await fresh.step(0)
                everything.update(fresh.seen)
            else:
                fresh.errors.append(f"export: status {status} {body[:200]!r}")
            for conn in [*writers, feed.conn, fresh.conn]:
                await conn.close()
    created = set(shared.created)
    seen = set(feed.seen)
    lost = sorted(created - everything)
    skipped = sorted(everything - seen)
    foreign = sorted(seen - created)
    duplicates = sum(n - 1 for n in feed.times_seen.values() if n > 1)
    lags = [
        feed.seen[i][0] - t
        for i, (t, phase) in shared.created.items()
        if i in feed.seen and feed.seen[i][1] == phase and phase > 0
    ]
    problems = []
    if lost:
        problems.append(f"{len(lost)} jobs created but not in the export feed, e.g. {lost[:5]}")
    if skipped:
        problems.append(f"the follower skipped {len(skipped)} jobs, e.g. {skipped[:5]}")
    if shared.failed:
        problems.append(f"{len(shared.failed)} writes failed, e.g. {shared.failed[:2]}")
    if feed.errors or fresh.errors:
        problems.append(f"export errors: {(feed.errors + fresh.errors)[:2]}")
    p50, p99 = _percentile(lags, 0.5), _percentile(lags, 0.99)
    lag_text = (
        f"{p50 * 1000:.0f} ms p50, {p99 * 1000:.0f} ms p99 over {len(lags):,} jobs"
        if p50 is not None and p99 is not None
        else "-"
    )
    return BenchResult(
        NAME,
        TITLE,
        [comparison],
        notes=[
            f"created {len(created):,} jobs ({len(shared.failed)} failed writes); the follower "
            f"saw {len(seen):,}, the fresh walk {len(everything):,}; lost {len(lost)}, skipped "
            f"{len(skipped)}, not ours {len(foreign)}, seen twice {duplicates}",
            f"catch-up after the writers stopped: {catch_up_s:.2f} s, {catch_up_pages} pages; "
            f"feed lag (POST answered -> follower saw it, same phase): {lag_text}",
            "check: " + ("PASSED" if not problems else "FAILED: " + "; ".join(problems)),
        ],
        facts={
            "dataset": info.scale,
            "writers": WRITERS,
            "created": len(created),
            "failed_writes": len(shared.failed),
            "follower_seen": len(seen),
            "fresh_walk": len(everything),
            "lost": len(lost),
            "skipped": len(skipped),
            "not_ours": len(foreign),
            "seen_twice": duplicates,
            "catch_up_s": catch_up_s,
            "catch_up_pages": catch_up_pages,
            "follower_pages": feed.pages,
            "lag_p50_ms": None if p50 is None else p50 * 1000,
            "lag_p99_ms": None if p99 is None else p99 * 1000,
            "target": TARGET,
        },
        failed_checks=problems,
    )
