"""The hot path's reads on the drivers (store/drivers.py, list_pages.py, record_reads.py): the
same rows SQLAlchemy would give, a statement compiled once per shape, every write committed
before a read visible to it, and no writing through them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store import drivers
from localtitan.store.drivers import Reads, compiled
from localtitan.store.tables import records

ADDRESS = {"street": "1 Main", "city": "Fresno", "state": "CA", "zip": "93650", "country": "USA"}


async def _customers(client: httpx.AsyncClient, creds: Creds, count: int) -> list[int]:
    token = await creds.token(client)
    headers = {"Authorization": token, "ST-App-Key": creds.app_key}
    ids = []
    for i in range(count):
        r = await client.post(
            creds.api("/crm/v2/tenant/{tenant}/customers"),
            json={
                "name": f"Reader {i}",
                "type": "Residential",
                "address": ADDRESS,
                "locations": [{"name": "Home", "address": ADDRESS}],
            },
            headers=headers,
        )
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    return ids


async def test_compiled_statements_bind_each_calls_values(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    """Two calls of one shape (an id list of another length, another date) share one compiled
    statement and each gets its own rows, as SQLAlchemy's own execution gives them."""
    ids = await _customers(client, creds, 4)
    db = app.runtime.db

    def stmt(wanted: list[int], since: datetime) -> Any:
        return (
            select(records.c.id)
            .where(
                records.c.tenant_id == creds.tenant_id,
                records.c.kind == "crm:customers",
                records.c.id.in_(wanted),
                records.c.modified_on >= since,
            )
            .order_by(records.c.id)
        )

    before = len(drivers._compiled)
    old = datetime(2000, 1, 1, tzinfo=UTC)
    for wanted, since in ((ids[:2], old), (ids[1:], old), (ids, datetime(2999, 1, 1, tzinfo=UTC))):
        text, args = compiled(stmt(wanted, since), db.engine.dialect)

        async def read(r: Reads, text: str = text, args: list[Any] = args) -> list[int]:
            return [int(row[0]) for row in await r.rows(text, args)]

        got = await db.reads.read(read, short=False)
        async with db.read() as conn:
            expected = list((await conn.execute(stmt(wanted, since))).scalars())
        assert got == expected
    assert got == []  # nothing modified after 2999
    assert len(drivers._compiled) == before + 1


async def test_reads_see_every_write_committed_before_them(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    """The driver's own connection (kept open by the process) sees each commit at once: a page
    and a get after a create, an update and a delete."""
    token = await creds.token(client)
    headers = {"Authorization": token, "ST-App-Key": creds.app_key}
    base = creds.api("/crm/v2/tenant/{tenant}/customers")
    (first,) = await _customers(client, creds, 1)
    assert (await client.get(f"{base}/{first}", headers=headers)).json()["name"] == "Reader 0"
    for step in range(3):
        r = await client.patch(f"{base}/{first}", json={"name": f"Renamed {step}"}, headers=headers)
        assert r.status_code == 200, r.text
        got = await client.get(f"{base}/{first}", headers=headers)
        assert got.json()["name"] == f"Renamed {step}"
        page = (await client.get(base, headers=headers)).json()
        assert [c["name"] for c in page["data"]] == [f"Renamed {step}"]
    added = await _customers(client, creds, 2)
    page = (await client.get(f"{base}?pageSize=2&page=2", headers=headers)).json()
    assert [c["id"] for c in page["data"]] == added[1:]


async def test_driver_reads_cannot_write(app: LocalTitan, backend: str) -> None:
    async def write(r: Reads) -> Any:
        return await r.rows("DELETE FROM records", [])

    with pytest.raises(Exception, match=r"(?i)read.only|readonly"):
        await app.runtime.db.reads.read(write, short=backend == "sqlite")
