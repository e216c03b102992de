"""Nothing acknowledged is lost when the whole server is killed (kill -9 of its process group)
in the middle of concurrent writes: after a restart on the same data dir and database, every
id the server answered 200 for is there, and the export feed reports it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from durability_kit import LiveServer, customer_body, live_database

from conftest import BACKENDS
from localtitan.store.records import parse_time

WRITERS = 6
ACKED_BEFORE_KILL = 120
LOAD_SECONDS = 20


@pytest.fixture(params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    for url in live_database(request, str(request.param)):
        server = LiveServer(tmp_path / "data", url, workers=2)
        server.start()
        try:
            yield server
        finally:
            server.stop()


async def _export(live: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    url = live.url("/crm/v2/tenant/{tenant}/export/customers")
    token: str | None = None
    ids: list[int] = []
    for _ in range(1000):
        r = await http.get(url, params={"from": token} if token else None, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [int(item["id"]) for item in body["data"]]
        token = body["continueFrom"]
        if not body["hasMore"]:
            return ids
    raise AssertionError("the export feed never ended")


async def test_every_acknowledged_write_survives_a_kill_of_the_server(live: LiveServer) -> None:
    await live.connect()
    customers = live.url("/crm/v2/tenant/{tenant}/customers")
    acked: dict[int, str] = {}  # id -> modifiedOn the server answered with
    stop = asyncio.Event()

    async with httpx.AsyncClient(timeout=30) as http:
        headers = await live.headers(http)

        async def writer(n: int) -> None:
            i = 0
            while not stop.is_set():
                try:
                    r = await http.post(
                        customers, json=customer_body(f"Kill {n}-{i}"), headers=headers
                    )
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                acked[int(body["id"])] = str(body["modifiedOn"])
                i += 1

        async def killer() -> None:
            deadline = time.monotonic() + LOAD_SECONDS
            while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            assert len(acked) >= ACKED_BEFORE_KILL, "the writers were too slow to load the server"
            # Mid-load: every writer has a request in flight.
            await asyncio.to_thread(live.kill)
            stop.set()

        await asyncio.gather(killer(), *(writer(n) for n in range(WRITERS)))

    live.start()
    customers = live.url("/crm/v2/tenant/{tenant}/customers")  # on the new port
    async with httpx.AsyncClient(timeout=30) as http:
        headers = await live.headers(http)
        missing = []
        for record_id in acked:
            r = await http.get(f"{customers}/{record_id}", headers=headers)
            if r.status_code != 200:
                missing.append(record_id)
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged customers are gone"
        exported = await _export(live, http, headers)
        assert len(exported) == len(set(exported)), "the export feed reported a record twice"
        unreported = sorted(set(acked) - set(exported))
        assert not unreported, f"the export feed lacks {len(unreported)} acknowledged customers"
        # The write clock survived too: a write after the restart is stamped after all of them.
        r = await http.post(customers, json=customer_body("After"), headers=headers)
        assert r.status_code == 200, r.text
        newest = max(parse_time(v) for v in acked.values())
        assert parse_time(r.json()["modifiedOn"]) > newest
