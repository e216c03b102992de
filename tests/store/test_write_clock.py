"""Each tenant's counter row carries a write clock: every write, whichever path it takes, is
stamped after the last time handed out, so ``modifiedOn`` follows commit order
(docs/decisions/0002-modified-on-commit-order.md).

The tests move a tenant's clock an hour ahead of the wall clock and check that a write of each
kind is stamped after it: a path that took its time from the wall clock (or before it held the
counter) would be stamped an hour early, as it was before the clock existed.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update
from store_kit import old_allocate

from conftest import PG_ADMIN_URL, PG_HOST, Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.platform.environments import Environment
from localtitan.snapshots.refresh import refresh_integration
from localtitan.store.bulk_writer import BulkWriter, sqlite_time
from localtitan.store.database import open_database
from localtitan.store.migrate import migrate
from localtitan.store.records import Stored, allocate, micros, parse_time
from localtitan.store.tables import record_counters, records

CUSTOMER = {
    "name": "Clock Co",
    "address": {
        "street": "1 Main",
        "city": "Fresno",
        "state": "CA",
        "zip": "93650",
        "country": "USA",
    },
    "locations": [
        {
            "name": "Home",
            "address": {
                "street": "1 Main",
                "city": "Fresno",
                "state": "CA",
                "zip": "93650",
                "country": "USA",
            },
        }
    ],
}


async def _set_clock(app: LocalTitan, creds: Creds, when: datetime, env: str | None = None) -> None:
    async with app.runtime.db.begin() as conn:
        await allocate(conn, env or creds.environment.value, creds.tenant_id, versions=0)
        await conn.execute(
            update(record_counters)
            .where(
                record_counters.c.environment == (env or creds.environment.value),
                record_counters.c.tenant_id == creds.tenant_id,
            )
            .values(clock_us=micros(when))
        )


async def _stored_times(app: LocalTitan, creds: Creds, kind: str) -> list[datetime]:
    async with app.runtime.db.read() as conn:
        rows = await conn.execute(
            select(records.c.modified_on).where(
                records.c.environment == creds.environment.value,
                records.c.tenant_id == creds.tenant_id,
                records.c.kind == kind,
            )
        )
        return [v if v.tzinfo else v.replace(tzinfo=UTC) for (v,) in rows]


async def _ok(r: httpx.Response) -> Any:
    assert r.status_code in (200, 201, 204), r.text
    return r.json() if r.content else None


async def test_every_api_write_is_stamped_after_the_clock(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    headers = await creds.headers(client)
    ahead = datetime.now(UTC) + timedelta(hours=1)
    await _set_clock(app, creds, ahead)
    stamps: list[datetime] = []

    customer = await _ok(
        await client.post(
            creds.api("/crm/v2/tenant/{tenant}/customers"), json=CUSTOMER, headers=headers
        )
    )
    assert customer["createdOn"] == customer["modifiedOn"]
    stamps.append(parse_time(customer["modifiedOn"]))
    patched = await _ok(
        await client.patch(
            creds.api(f"/crm/v2/tenant/{{tenant}}/customers/{customer['id']}"),
            json={"name": "Clock Co 2"},
            headers=headers,
        )
    )
    assert patched["createdOn"] == customer["createdOn"]
    stamps.append(parse_time(patched["modifiedOn"]))

    contacts = creds.api("/crm/v2/tenant/{tenant}/contacts")
    contact = await _ok(await client.post(contacts, json={"name": "Pat"}, headers=headers))
    stamps.append(parse_time(contact["modifiedOn"]))
    replaced = await _ok(
        await client.put(
            f"{contacts}/{contact['id']}",
            json={"name": "Pat B", "isArchived": False},
            headers=headers,
        )
    )
    stamps.append(parse_time(replaced["modifiedOn"]))
    await _ok(await client.delete(f"{contacts}/{contact['id']}", headers=headers))
    [deleted] = await _stored_times(app, creds, "crm:contacts")
    stamps.append(deleted)

    # A behaviour module's write (handling/unit.py's transaction).
    await _ok(
        await client.post(
            creds.api("/dispatch/v2/tenant/{tenant}/arrival-windows/configuration"),
            json={"configuration": "StartTimeOfArrivalWindow"},
            headers=headers,
        )
    )
    [behaviour] = await _stored_times(app, creds, "dispatch:arrival-windows/configuration")
    stamps.append(behaviour)

    assert stamps[0] > ahead, "a create was stamped before the counter's clock"
    for earlier, later in itertools.pairwise(stamps):
        assert later > earlier, f"a later write was stamped {later}, before {earlier}"


async def test_stamps_are_strictly_increasing_even_within_one_microsecond(app: LocalTitan) -> None:
    creds = await make_creds(app.runtime)
    stamps = []
    for _ in range(50):
        async with app.runtime.db.begin() as conn:
            alloc = await allocate(conn, creds.environment.value, creds.tenant_id, versions=1)
            stamps.append(alloc.stamp)
    assert all(b > a for a, b in itertools.pairwise(stamps))


async def test_a_bulk_load_moves_the_clock_past_the_times_it_writes(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """Seeds and snapshot imports keep the times their records describe; a write after one is
    stamped after the newest of them."""
    future = datetime.now(UTC) + timedelta(days=2)
    env = creds.environment.value
    async with app.runtime.db.begin() as conn:
        writer = BulkWriter(conn, env, creds.tenant_id)
        first = await writer.next_id()
        await writer.claim_ids(first, 1)
        rec = Stored("crm:tag-types", first, {"id": first, "name": "Later"})
        rec.created_on = rec.modified_on = future
        await writer.write([rec])
    headers = await creds.headers(client)
    made = await _ok(
        await client.post(
            creds.api("/crm/v2/tenant/{tenant}/customers"), json=CUSTOMER, headers=headers
        )
    )
    assert parse_time(made["modifiedOn"]) > future


async def test_after_a_refresh_integration_writes_follow_production_times(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    """Integration's copies keep production's times: integration's clock moves past
    production's, and the records a refresh marks deleted are stamped with it."""
    prod = await make_creds(app.runtime, environment=Environment.PRODUCTION)
    ahead = datetime.now(UTC) + timedelta(hours=3)
    await _set_clock(app, prod, ahead)
    # The same tenant and app, connected to integration too.
    async with app.runtime.db.begin() as conn:
        from localtitan.platform.credentials import connect_app

        connection, issued = await connect_app(
            conn,
            app.runtime.server_key,
            app_id=prod.app_id,
            tenant_id=prod.tenant_id,
            environment=Environment.INTEGRATION,
        )
    integration = Creds(
        prod.tenant_id,
        prod.app_id,
        prod.app_key,
        connection.client_id,
        issued.secret,
        Environment.INTEGRATION,
    )
    headers = await integration.headers(client)
    old = await _ok(
        await client.post(
            integration.api("/crm/v2/tenant/{tenant}/customers"), json=CUSTOMER, headers=headers
        )
    )
    assert parse_time(old["modifiedOn"]) < ahead
    await refresh_integration(app.runtime.db, tenant_id=prod.tenant_id)
    removed = await _stored_times(app, integration, "crm:customers")
    assert removed and all(t > ahead for t in removed)
    made = await _ok(
        await client.post(
            integration.api("/crm/v2/tenant/{tenant}/customers"), json=CUSTOMER, headers=headers
        )
    )
    assert parse_time(made["modifiedOn"]) > max(removed)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_upgrade_starts_the_clock_at_the_newest_stored_time(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    name = f"localtitan_test_clock_{secrets.token_hex(4)}"
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    future = datetime.now(UTC).replace(microsecond=123456) + timedelta(days=1)

    def when(value: datetime) -> Any:
        # As SQLAlchemy stores times on SQLite; the driver's own text would carry an offset.
        return sqlite_time(value) if backend == "sqlite" else value

    try:
        await migrate(db, "0006")
        async with db.begin() as conn:
            alloc = await old_allocate(conn, "integration", 42, ids=2, versions=2)
            await conn.execute(
                text(
                    "INSERT INTO records (environment, tenant_id, kind, id, active, deleted, "
                    "created_on, modified_on, row_version, data) VALUES ('integration', 42, "
                    "'crm:customers', :id, true, false, :when, :when, :v, '{}')"
                ),
                [
                    {"id": alloc.first_id, "when": when(datetime.now(UTC)), "v": 1},
                    {"id": alloc.first_id + 1, "when": when(future), "v": 2},
                ],
            )
        await migrate(db)
        async with db.begin() as conn:
            clock = (await conn.execute(select(record_counters.c.clock_us))).scalar_one()
            assert clock == micros(future)
            stamp = (await allocate(conn, "integration", 42, versions=1)).stamp
        assert stamp == future + timedelta(microseconds=1)
    finally:
        await db.close()
        if backend == "postgres":
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
