"""SQLite's WAL checkpoints: written back into the database file as writes go on, about every
1,000 frames however many units a commit holds."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

from localtitan.store import open_database
from localtitan.store.drivers import Sql
from localtitan.store.sessions import _CHECKPOINT_FRAMES, _next_interval

INSERT = Sql.of("INSERT INTO notes (body) VALUES (?)")


async def test_writes_reach_the_database_file_itself_not_only_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    db = open_database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        for n in range(600):
            async with db.writing_alone() as session:
                await session.executemany(INSERT, [(f"note {n} " + "x" * 2000,)])
        thread = db.sessions._checkpointing  # type: ignore[attr-defined]
        assert thread is not None, "600 commits and no checkpoint"
        await asyncio.to_thread(thread.join)
        # The database file alone, without its WAL: what a checkpoint copied into it.
        alone = tmp_path / "alone.sqlite"
        shutil.copyfile(path, alone)
        copied = sqlite3.connect(alone).execute("SELECT count(*) FROM notes").fetchone()[0]
        assert copied >= 200
    finally:
        await db.close()


def test_the_next_interval_aims_at_a_thousand_frames() -> None:
    # Group commits: 400 units wrote 800 new frames, so 500 units make about 1,000.
    assert _next_interval(400, 1800, 1000, 200) == 400 * _CHECKPOINT_FRAMES // 800
    # SQLite started the WAL again (fewer frames than last time): all of them are new.
    assert _next_interval(100, 250, 5000, 200) == 400
    # Big single commits: never fewer than 20 units, and never more than 1,000.
    assert _next_interval(20, 40_000, 0, 200) == 20
    assert _next_interval(1000, 10, 0, 200) == 1000
    # Nothing learnt (no units, or no new frames): the interval stays.
    assert _next_interval(0, 100, 0, 321) == 321
    assert _next_interval(50, 700, 700, 321) == 321


async def test_a_steady_stream_of_writes_keeps_the_wal_bounded(tmp_path: Path) -> None:
    """Writes with no pause between them never let SQLite start the WAL again on its own;
    the checkpointer truncates it instead (it grew to 220 MB here before)."""
    path = tmp_path / "db.sqlite"
    db = open_database(f"sqlite+aiosqlite:///{path}")
    wal = Path(f"{path}-wal")
    largest = 0
    try:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")

        async def writer(n: int) -> None:
            for _ in range(n):
                async with db.writing() as session:
                    session.finishing()
                    await session.executemany(INSERT, [("x" * 500,)])

        for _ in range(6):
            await asyncio.gather(*(writer(1500) for _ in range(8)))
            largest = max(largest, await asyncio.to_thread(os.path.getsize, wal))
        async with db.reading() as session:
            assert await session.value(Sql.of("SELECT count(*) FROM notes"), ()) == 72_000
    finally:
        await db.close()
    # 72,000 rows of 500 bytes: 36 MB of table; the WAL stays near the truncation point
    # (4,000 frames of 16 KiB) rather than growing with every write.
    assert largest < 120_000_000, f"the WAL reached {largest / 1e6:.0f} MB"
