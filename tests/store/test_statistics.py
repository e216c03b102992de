"""Planner statistics on SQLite: gathered when there are none and after a load that changes
the volume of records, not after a load too small to matter (a full ANALYZE reads every
index: minutes beside a million-customer tenant)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from localtitan.store.database import Database, open_database
from localtitan.store.migrate import migrate
from localtitan.store.records import Stored, allocate, put_records


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}")
    await migrate(database)
    try:
        yield database
    finally:
        await database.close()


async def _add(db: Database, tenant_id: int, count: int) -> None:
    async with db.begin() as conn:
        alloc = await allocate(conn, "integration", tenant_id, ids=count, versions=count)
        items = [
            Stored("crm:customers", alloc.first_id + n, {"id": alloc.first_id + n, "name": "C"})
            for n in range(count)
        ]
        await put_records(conn, "integration", tenant_id, items, first_version=alloc.first_version)


async def _described(db: Database) -> int | None:
    async with db.read() as conn:
        tables = await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        if "sqlite_stat1" not in set(tables.scalars()):
            return None
        stat = (
            await conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_records_list'"))
        ).scalar_one_or_none()
    return None if stat is None else int(str(stat).split()[0])


async def test_statistics_follow_the_volume_of_records(db: Database) -> None:
    await _add(db, 1, 2_000)
    assert await _described(db) is None
    await db.refresh_statistics()  # none yet: gathered even without a load
    assert await _described(db) == 2_000

    await _add(db, 2, 150)
    await db.refresh_statistics(added=150)  # under a tenth: the statistics still hold
    assert await _described(db) == 2_000

    await _add(db, 3, 300)
    await db.refresh_statistics(added=300)  # 2,450 records now; 300 is over a tenth of 2,000
    assert await _described(db) == 2_450


async def test_a_load_into_an_empty_database_is_analyzed(db: Database) -> None:
    await db.refresh_statistics()  # statistics of an empty table
    await _add(db, 1, 500)
    await db.refresh_statistics(added=500)
    assert await _described(db) == 500
