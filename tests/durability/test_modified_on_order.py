"""A client polling ``modifiedOnOrAfter=<newest modifiedOn it has seen>`` (what most
ServiceTitan integrations do) misses nothing while several writers create and patch records at
once through a server with two worker processes.

This only holds if ``modifiedOn`` follows commit order: a write that commits after the poller
read a record stamped ``t`` must carry a ``modifiedOn`` of at least ``t``
(docs/decisions/0002-modified-on-commit-order.md). The poller pages the way such a client
must while writes go on, by moving its lower bound (sorted by ``modifiedOn``, always page 1),
since page numbers shift under concurrent changes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from durability_kit import LiveServer, customer_body, live_database

from conftest import BACKENDS
from localtitan.store.records import parse_time

WRITERS = 6
CREATES_PER_WRITER = 40
PAGE_SIZE = 100
DEADLINE_SECONDS = 60  # a cap for a busy machine, not the expected time


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    for url in live_database(request, str(request.param)):
        server = LiveServer(tmp_path / "data", url, workers=2)
        server.start()
        try:
            yield server
        finally:
            server.stop()


async def test_a_modified_on_poller_sees_every_create_and_the_last_patch(
    live: LiveServer,
) -> None:
    await live.connect()
    customers = live.url("/crm/v2/tenant/{tenant}/customers")
    created: set[int] = set()
    final: dict[int, str] = {}  # id -> the name of its last acknowledged write
    patched: set[int] = set()
    seen: dict[int, str] = {}  # id -> the name the poller last read
    writers_done = asyncio.Event()
    started = time.monotonic()
    limits = httpx.Limits(max_connections=WRITERS + 2)

    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        headers = await live.headers(http)

        async def writer(n: int) -> None:
            rng = random.Random(n)
            mine: list[int] = []
            for i in range(CREATES_PER_WRITER):
                name = f"Writer {n} customer {i}"
                r = await http.post(customers, json=customer_body(name), headers=headers)
                assert r.status_code == 200, r.text
                made = int(r.json()["id"])
                created.add(made)
                final[made] = name
                mine.append(made)
                # Patch one of this writer's customers (so writes to one record stay in
                # order): the poller must end up with the last name each was given.
                target = rng.choice(mine)
                new_name = f"Writer {n} customer {mine.index(target)} patch {i}"
                r = await http.patch(
                    f"{customers}/{target}", json={"name": new_name}, headers=headers
                )
                assert r.status_code == 200, r.text
                final[target] = new_name
                patched.add(target)

        async def poller() -> None:
            since: str | None = None
            while time.monotonic() - started < DEADLINE_SECONDS:
                finished = writers_done.is_set()
                params: dict[str, str | int] = {
                    "sort": "+modifiedOn",
                    "pageSize": PAGE_SIZE,
                    "page": 1,
                }
                if since is not None:
                    params["modifiedOnOrAfter"] = since
                r = await http.get(customers, params=params, headers=headers)
                assert r.status_code == 200, r.text
                items = r.json()["data"]
                for item in items:
                    seen[int(item["id"])] = str(item["name"])
                    stamp = str(item["modifiedOn"])
                    if since is None or parse_time(stamp) > parse_time(since):
                        since = stamp
                if len(items) >= PAGE_SIZE:
                    continue  # more waiting at or after the new bound
                if finished:
                    return
                await asyncio.sleep(0.01)
            pytest.fail(f"the poller did not catch up within {DEADLINE_SECONDS}s")

        async def write_all() -> None:
            try:
                await asyncio.gather(*(writer(n) for n in range(WRITERS)))
            finally:
                writers_done.set()

        await asyncio.gather(write_all(), poller())

    missed = sorted(created - seen.keys())
    stale = sorted(i for i in patched if seen.get(i) != final[i])
    assert len(created) == WRITERS * CREATES_PER_WRITER
    assert (len(missed), len(stale)) == (0, 0), (
        f"the poller missed {len(missed)} of {len(created)} creates and the last patch of "
        f"{len(stale)} of {len(patched)} patched customers (missed {missed[:10]}, "
        f"stale {stale[:10]})"
    )
