"""The records table's storage: sparse indexes hold only records with a value, and still
answer the filters clients send; new SQLite databases use 16 KiB pages."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from store_kit import old_allocate

from conftest import PG_ADMIN_URL, PG_HOST, Creds
from localtitan.app import LocalTitan
from localtitan.store.database import SQLITE_PAGE_SIZE, Database, open_database
from localtitan.store.migrate import migrate
from localtitan.store.records import Stored, put_records

SPARSE = {
    "ix_records_parent": "parent_id",
    "ix_records_customer": "customer_id",
    "ix_records_location": "location_id",
    "ix_records_job": "job_id",
    "ix_records_guid": "guid",
}


async def _index_entries(app: LocalTitan, index: str) -> int:
    """How many entries a SQLite index holds, counted from its pages."""
    async with app.runtime.db.read() as conn:
        sql = text("SELECT sum(ncell) FROM dbstat WHERE name = :name")
        return int((await conn.execute(sql, {"name": index})).scalar_one())


async def _plan(app: LocalTitan, sql: str, params: dict[str, object]) -> str:
    async with app.runtime.db.read() as conn:
        if app.runtime.db.is_sqlite:
            rows = await conn.execute(text("EXPLAIN QUERY PLAN " + sql), params)
            return " ".join(str(r[-1]) for r in rows)
        # A tiny test table is cheapest to read whole; ask for the plan an index gives.
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        rows = await conn.execute(text("EXPLAIN " + sql), params)
        return " ".join(str(r[0]) for r in rows)


async def test_sparse_indexes_skip_records_without_a_value(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await creds.headers(client)
    address = {"street": "1 Main St", "city": "Fresno", "state": "CA", "zip": "93650"}
    address["country"] = "USA"
    made = await client.post(
        creds.api("/crm/v2/tenant/{tenant}/customers"),
        json={
            "name": "Sparse Co",
            "address": address,
            "locations": [{"name": "Home", "address": address}],
        },
        headers=headers,
    )
    assert made.status_code == 200, made.text
    customer_id = made.json()["id"]
    # The customer record itself names no customer: it must not be in the customer index.
    async with app.runtime.db.read() as conn:
        total = int((await conn.exec_driver_sql("SELECT count(*) FROM records")).scalar_one())
        with_customer = int(
            (
                await conn.exec_driver_sql(
                    "SELECT count(*) FROM records WHERE customer_id IS NOT NULL"
                )
            ).scalar_one()
        )
    assert with_customer < total
    if app.runtime.db.is_sqlite:
        assert await _index_entries(app, "ix_records_customer") == with_customer

    # The customer's locations are still found by customerId, through the sparse index.
    listed = await client.get(
        creds.api("/crm/v2/tenant/{tenant}/locations"),
        params={"customerId": customer_id},
        headers=headers,
    )
    assert listed.status_code == 200, listed.text
    assert [loc["customerId"] for loc in listed.json()["data"]] == [customer_id]
    plan = await _plan(
        app,
        "SELECT id FROM records WHERE environment = :env AND tenant_id = :t AND kind = :k "
        "AND customer_id = :c",
        {"env": "integration", "t": creds.tenant_id, "k": "crm:locations", "c": customer_id},
    )
    assert "ix_records_customer" in plan, plan
    plan = await _plan(
        app,
        "SELECT id FROM records WHERE environment = :env AND tenant_id = :t AND kind = :k "
        "AND job_id IN (1, 2, 3)",
        {"env": "integration", "t": creds.tenant_id, "k": "jpm:appointments"},
    )
    assert "ix_records_job" in plan, plan


async def test_every_sparse_index_is_partial(app: LocalTitan) -> None:
    async with app.runtime.db.read() as conn:
        if app.runtime.db.is_sqlite:
            rows = await conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
            )
        else:
            rows = await conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'records'"
            )
        found = {name: sql or "" for name, sql in rows}
    for index, column in SPARSE.items():
        assert f"{column} IS NOT NULL" in found[index], found[index]
    assert "IS NOT NULL" not in found["ix_records_number"]  # sorting by number walks it


async def test_upgrade_to_sparse_indexes_keeps_records(tmp_path: Path) -> None:
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await migrate(db, "0004")
        async with db.begin() as conn:
            alloc = await old_allocate(conn, "integration", 42, ids=2, versions=2)
            first = alloc.first_id
            await put_records(
                conn,
                "integration",
                42,
                [
                    Stored("crm:customers", first, {"id": first, "name": "Old Co"}),
                    Stored(
                        "crm:locations",
                        first + 1,
                        {"id": first + 1, "customerId": first, "name": "Old Home"},
                    ),
                ],
                first_version=alloc.first_version,
            )
        await migrate(db)
        async with db.read() as conn:
            found = await conn.execute(
                text(
                    "SELECT id FROM records INDEXED BY ix_records_customer "
                    "WHERE kind = 'crm:locations' AND customer_id = :c"
                ),
                {"c": first},
            )
            assert [r[0] for r in found] == [first + 1]
            page_size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
        assert page_size == SQLITE_PAGE_SIZE
    finally:
        await db.close()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_new_sqlite_database_uses_large_pages(app: LocalTitan) -> None:
    async with app.runtime.db.read() as conn:
        size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
    assert size == SQLITE_PAGE_SIZE


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def test_upgrade_promotes_nested_references(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Records stored before migration 0006 (an invoice naming its customer and job only as
    objects) get their promoted ids, so ``customerId=`` and ``jobId=`` find them."""
    name = f"localtitan_test_upgrade_{secrets.token_hex(4)}"
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    invoice = {
        "id": 0,
        "customer": {"id": 11, "name": "Old Co"},
        "location": {"id": 12, "name": "Home"},
        "job": {"id": 13, "number": "13"},
    }
    try:
        await migrate(db, "0005")
        async with db.begin() as conn:
            alloc = await old_allocate(conn, "integration", 42, ids=2, versions=2)
            first = alloc.first_id
            # Written as 0005 wrote them: nothing promoted from the nested objects.
            await conn.execute(
                text(
                    "INSERT INTO records (environment, tenant_id, kind, id, active, deleted, "
                    "created_on, modified_on, row_version, data) VALUES ('integration', 42, "
                    "'accounting:invoices', :id, true, false, :now, :now, :v, :data)"
                ),
                [
                    {
                        "id": first + n,
                        "now": datetime.now(UTC),
                        "v": alloc.first_version + n,
                        "data": json.dumps(
                            {**invoice, "id": first + n}
                            if n == 0
                            else {"id": first + n, "job": None}
                        ),
                    }
                    for n in range(2)
                ],
            )
        await migrate(db)
        async with db.read() as conn:
            rows = await conn.execute(
                text(
                    "SELECT id, customer_id, location_id, job_id FROM records "
                    "WHERE kind = 'accounting:invoices' ORDER BY id"
                )
            )
            assert [tuple(r) for r in rows] == [
                (first, 11, 12, 13),
                (first + 1, None, None, None),
            ]
    finally:
        await db.close()
        if backend == "postgres":
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _key_columns(db: Database) -> list[str]:
    """The records table's primary key columns, in its index's order."""
    async with db.read() as conn:
        if db.is_sqlite:
            rows = await conn.exec_driver_sql("SELECT name, pk FROM pragma_table_info('records')")
            return [name for name, pk in sorted(rows, key=lambda r: r[1]) if pk]
        rows = await conn.exec_driver_sql(
            "SELECT a.attname FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(num, pos), "
            "pg_attribute a WHERE i.indrelid = 'records'::regclass AND i.indisprimary "
            "AND a.attrelid = i.indrelid AND a.attnum = k.num ORDER BY k.pos"
        )
        return [r[0] for r in rows]


async def test_postgres_key_leads_with_integers_and_downgrades(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Migration 0012: on PostgreSQL the key is (tenant_id, id, environment, kind), records
    stay found by it both ways; SQLite keeps its key."""
    from alembic import command

    from localtitan.store.migrate import _config

    name = f"localtitan_test_key_{secrets.token_hex(4)}"
    if backend == "postgres":
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
        await _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'key.db'}"
    db = open_database(url)
    old = ["environment", "tenant_id", "kind", "id"]
    try:
        await migrate(db, "0011")
        assert await _key_columns(db) == old
        async with db.begin() as conn:
            alloc = await old_allocate(conn, "integration", 42, ids=1, versions=1)
            first = alloc.first_id
            await put_records(
                conn,
                "integration",
                42,
                [Stored("crm:customers", first, {"id": first, "name": "Key Co"})],
                first_version=alloc.first_version,
            )
        await migrate(db)
        new = ["tenant_id", "id", "environment", "kind"] if backend == "postgres" else old
        assert await _key_columns(db) == new
        async with db.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(_config(sync), "0011"))
        assert await _key_columns(db) == old
        await migrate(db)
        assert await _key_columns(db) == new
        async with db.read() as conn:
            found = await conn.execute(
                text(
                    "SELECT data FROM records WHERE environment = 'integration' "
                    "AND tenant_id = 42 AND kind = 'crm:customers' AND id = :id"
                ),
                {"id": first},
            )
            assert json.loads(found.scalar_one())["name"] == "Key Co"
    finally:
        await db.close()
        if backend == "postgres":
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
