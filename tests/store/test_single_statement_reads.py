"""Reads of one statement (``DriverReads.one``: a record by id, a first page) run without a
transaction of their own and return text as its UTF-8 bytes on both drivers, so the stored
JSON goes into a response as it is."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store.drivers import Sql

ADDRESS = {"street": "1 Main", "city": "Fresno", "state": "CA", "zip": "93650", "country": "USA"}
_DATA = Sql.of(
    "SELECT id, data FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
    " AND deleted = ? ORDER BY id"
)


async def test_one_statement_reads_return_the_stored_json_as_bytes(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = {"Authorization": await creds.token(client), "ST-App-Key": creds.app_key}
    url = creds.api("/crm/v2/tenant/{tenant}/customers")
    r = await client.post(
        url,
        json={
            "name": "Bytes é",
            "address": ADDRESS,
            "locations": [{"name": "Home", "address": ADDRESS}],
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    made = r.json()["id"]
    rows = await app.runtime.db.reads.one(
        _DATA, ("integration", creds.tenant_id, "crm:customers", False)
    )
    assert [row[0] for row in rows] == [made]
    stored = rows[0][1]
    assert isinstance(stored, bytes)
    assert json.loads(stored)["name"] == "Bytes é"
    got = await client.get(f"{url}/{made}", headers=headers)
    assert got.status_code == 200
    assert got.json() == json.loads(stored)
    page = await client.get(f"{url}?pageSize=1", headers=headers)
    assert page.json()["data"] == [json.loads(stored)]


async def test_the_first_page_teaches_the_page_cache_where_page_two_starts(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    """Page 1 is one statement; page 2 still starts after it, also after a write in between."""
    headers = {"Authorization": await creds.token(client), "ST-App-Key": creds.app_key}
    url = creds.api("/crm/v2/tenant/{tenant}/customers")
    ids = []
    for i in range(5):
        r = await client.post(
            url,
            json={
                "name": f"P{i}",
                "address": ADDRESS,
                "locations": [{"name": "H", "address": ADDRESS}],
            },
            headers=headers,
        )
        ids.append(r.json()["id"])
    first = (await client.get(f"{url}?pageSize=2", headers=headers)).json()
    assert [c["id"] for c in first["data"]] == ids[:2] and first["hasMore"]
    r = await client.patch(f"{url}/{ids[0]}", json={"name": "Changed"}, headers=headers)
    assert r.status_code == 200
    second = (await client.get(f"{url}?pageSize=2&page=2", headers=headers)).json()
    assert [c["id"] for c in second["data"]] == ids[2:4]
    third = (await client.get(f"{url}?pageSize=2&page=3", headers=headers)).json()
    assert [c["id"] for c in third["data"]] == ids[4:] and not third["hasMore"]


async def test_many_concurrent_one_statement_reads_all_finish(app: LocalTitan) -> None:
    """More callers at once than the PostgreSQL pool has connections (some of which the driver
    keeps between statements) all get their rows, and ordinary reads still find connections."""
    reads = app.runtime.db.reads
    count = Sql.of("SELECT count(*) FROM records WHERE tenant_id = ?")

    async def caller(i: int) -> None:
        for _ in range(20):
            assert (await reads.one(count, (i,)))[0][0] == 0

    async def ordinary(r: Any) -> Any:
        return await r.value(count, (-1,))

    await asyncio.wait_for(asyncio.gather(*(caller(-i - 1) for i in range(24))), 60)
    assert await asyncio.wait_for(reads.read(ordinary, short=False), 30) == 0


async def test_callers_cancelled_while_waiting_for_a_connection_lose_none(app: LocalTitan) -> None:
    """Callers cancelled while they wait for one of the kept connections (or while their
    statement runs, as a client that hangs up does) leave every connection usable: the callers
    after them still all finish, and none waits for ever."""
    reads = app.runtime.db.reads
    count = Sql.of("SELECT count(*) FROM records WHERE tenant_id = ?")

    async def caller(i: int) -> None:
        for _ in range(10):
            assert (await reads.one(count, (i,)))[0][0] == 0

    for round in range(40):
        doomed = [asyncio.ensure_future(caller(-i - 1)) for i in range(24)]
        for _ in range(round):  # cancelled at another point of their reads each round
            await asyncio.sleep(0)
        for task in doomed[round % 2 :: 2]:
            task.cancel()
        await asyncio.wait_for(asyncio.gather(*doomed, return_exceptions=True), 60)
    await asyncio.wait_for(asyncio.gather(*(caller(-i - 1) for i in range(24))), 60)
