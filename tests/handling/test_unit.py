"""The unit of work (handling/unit.py) in its two modes: a read unit takes no write lock, so a
long read and a write never wait for each other; a write unit hands out ids and row versions
from the tenant's counter in order and commits all or nothing."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.handling import Call, reading, writing
from localtitan.handling.unit import ReadOnlyUnit
from localtitan.store.sessions import WriteLockTimeout
from localtitan.store.tables import record_counters

CUSTOMERS = "crm:customers"
# Long enough that a unit which waited for the other would fail the test.
PATIENCE = 5.0


def _call(app: LocalTitan, creds: Creds, op_id: str) -> Call:
    runtime = app.runtime
    return Call(
        runtime=runtime,
        operation=runtime.manifest.by_id[op_id],
        environment=creds.environment,
        tenant_id=creds.tenant_id,
        app_id=creds.app_id,
        client_id=creds.client_id,
        path={},
        query={},
        body={},
        raw_body=b"",
        content_type=None,
        trace_id="test",
    )


def _sqlite_path(app: LocalTitan) -> str:
    url = make_url(app.runtime.settings.resolved_database_url)
    assert url.get_backend_name() == "sqlite" and url.database
    return url.database


def _writer(app: LocalTitan, creds: Creds) -> Call:
    return _call(app, creds, "crm.Customers_Create")


def _reader(app: LocalTitan, creds: Creds) -> Call:
    return _call(app, creds, "crm.Customers_Get")


async def _create(app: LocalTitan, creds: Creds, name: str) -> int:
    async with writing(_writer(app, creds)) as tx:
        rec = await tx.create(CUSTOMERS, {"name": name})
    return rec.id


async def _names(app: LocalTitan, creds: Creds) -> list[str]:
    async with reading(_reader(app, creds)) as tx:
        return [r.data["name"] for r in await tx.children(CUSTOMERS)]


async def test_a_long_read_does_not_hold_up_a_write(app: LocalTitan, creds: Creds) -> None:
    """A write commits while a read unit is open, and the read keeps the snapshot it started
    with: it neither waits for the write nor sees half of it."""
    first = await _create(app, creds, "Before")
    release = asyncio.Event()
    read_started = asyncio.Event()

    async def long_read() -> tuple[str, list[str]]:
        async with reading(_reader(app, creds)) as tx:
            found = await tx.get(CUSTOMERS, first)
            read_started.set()
            await release.wait()
            return found.data["name"], [r.data["name"] for r in await tx.children(CUSTOMERS)]

    reader = asyncio.create_task(long_read())
    await asyncio.wait_for(read_started.wait(), PATIENCE)
    await asyncio.wait_for(_create(app, creds, "During"), PATIENCE)
    assert sorted(await _names(app, creds)) == ["Before", "During"]
    release.set()
    name, seen = await asyncio.wait_for(reader, PATIENCE)
    assert (name, seen) == ("Before", ["Before"])


async def test_a_long_write_does_not_hold_up_a_read(app: LocalTitan, creds: Creds) -> None:
    """A read unit completes while a write unit is open, and sees only what was committed; the
    write's records appear once it commits."""
    await _create(app, creds, "Before")
    release = asyncio.Event()
    wrote = asyncio.Event()

    async def long_write() -> None:
        async with writing(_writer(app, creds)) as tx:
            await tx.create(CUSTOMERS, {"name": "Pending"})
            await tx.flush()  # written in the transaction, not committed
            wrote.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await asyncio.wait_for(wrote.wait(), PATIENCE)
    assert await asyncio.wait_for(_names(app, creds), PATIENCE) == ["Before"]
    release.set()
    await asyncio.wait_for(writer, PATIENCE)
    assert await _names(app, creds) == ["Before", "Pending"]


async def test_a_read_unit_refuses_to_write(app: LocalTitan, creds: Creds) -> None:
    async with reading(_reader(app, creds)) as tx:
        with pytest.raises(ReadOnlyUnit):
            await tx.create(CUSTOMERS, {"name": "Nope"})


async def test_a_write_unit_numbers_its_records_in_order_and_commits_them_together(
    app: LocalTitan, creds: Creds
) -> None:
    """Ids and row versions follow the order of the writes, the next unit carries on after
    them, and a unit that fails leaves nothing behind: not its records, not its ids."""
    async with writing(_writer(app, creds)) as tx:
        made = [await tx.create(CUSTOMERS, {"name": f"C{i}"}) for i in range(3)]
        made[0].data["name"] = "C0 renamed"
        await tx.save(made[0])
    ids = [r.id for r in made]
    assert ids == list(range(ids[0], ids[0] + 3))

    with pytest.raises(RuntimeError, match="boom"):
        async with writing(_writer(app, creds)) as tx:
            await tx.create(CUSTOMERS, {"name": "Lost"})
            await tx.flush()
            raise RuntimeError("boom")

    after = await _create(app, creds, "After")
    assert after == ids[-1] + 1
    assert await _names(app, creds) == ["C0 renamed", "C1", "C2", "After"]

    async with app.runtime.db.read() as conn:
        counter = (
            await conn.execute(
                select(record_counters.c.next_id, record_counters.c.row_version).where(
                    record_counters.c.environment == creds.environment.value,
                    record_counters.c.tenant_id == creds.tenant_id,
                )
            )
        ).one()
    assert counter.next_id == after + 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_writer_waits_for_another_process_lock_without_stopping_the_loop(
    app: LocalTitan, creds: Creds, backend: str
) -> None:
    """SQLite: while another connection (another process's, in effect) holds the write lock,
    a write unit waits for it with the event loop still serving other work, then commits."""
    path = _sqlite_path(app)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    try:
        write = asyncio.create_task(_create(app, creds, "Waited"))
        await asyncio.sleep(0.3)
        assert not write.done()
        assert ticks >= 10, "the event loop stopped while the writer waited"
        other.execute("COMMIT")
        await asyncio.wait_for(write, PATIENCE)
    finally:
        ticking.cancel()
        other.close()
    assert await _names(app, creds) == ["Waited"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_writer_gives_up_on_a_lock_held_too_long(
    app: LocalTitan, creds: Creds, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from localtitan.store import sessions

    monkeypatch.setattr(sessions, "WRITE_LOCK_WAIT", 0.2)
    other = sqlite3.connect(_sqlite_path(app), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        with pytest.raises(WriteLockTimeout):
            await _create(app, creds, "Never")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert time.monotonic() - started < PATIENCE
    assert await _names(app, creds) == []


async def test_concurrent_writes_keep_theirs_when_others_fail(
    app: LocalTitan, creds: Creds
) -> None:
    """Write units that run together (on SQLite they share a commit: decision 0260) each
    keep or lose their own writes: one that fails before writing and one that fails after
    its row was written for a read leave nothing, and every other unit's record is stored
    with its own id."""

    async def fails(name: str, *, after_a_read: bool) -> int:
        async with writing(_writer(app, creds)) as tx:
            await tx.create(CUSTOMERS, {"name": name})
            if after_a_read:
                await tx.children(CUSTOMERS)  # writes the unit's new row before reading
            raise RuntimeError(f"{name} refused")

    work = []
    for i in range(12):
        name = f"C{i:02d}"
        work.append(
            _create(app, creds, name) if i % 3 == 0 else fails(name, after_a_read=i % 3 == 2)
        )
    results = await asyncio.gather(*work, return_exceptions=True)
    ids = [r for r in results if isinstance(r, int)]
    assert sum(isinstance(r, RuntimeError) for r in results) == 8
    assert len(set(ids)) == len(ids) == 4
    assert sorted(await _names(app, creds)) == [f"C{i:02d}" for i in range(0, 12, 3)]


async def test_units_that_share_a_commit_number_their_records_one_after_another(
    app: LocalTitan, creds: Creds
) -> None:
    """Units that run together (one group, one commit) take ids one after another, as units
    committed alone do: the failed ones' ids go to the next unit, and the tenant's counter,
    once the group committed, carries on after the last id the group gave out."""

    async def fails(name: str) -> int:
        async with writing(_writer(app, creds)) as tx:
            await tx.create(CUSTOMERS, {"name": name})
            raise RuntimeError(f"{name} refused")

    work = [_create(app, creds, f"C{i:02d}") if i % 4 else fails(f"C{i:02d}") for i in range(12)]
    results = await asyncio.gather(*work, return_exceptions=True)
    ids = sorted(r for r in results if isinstance(r, int))
    assert len(ids) == 9
    assert ids == list(range(ids[0], ids[0] + 9))
    assert await _create(app, creds, "After") == ids[-1] + 1
    async with app.runtime.db.read() as conn:
        next_id = (
            await conn.execute(
                select(record_counters.c.next_id).where(
                    record_counters.c.environment == creds.environment.value,
                    record_counters.c.tenant_id == creds.tenant_id,
                )
            )
        ).scalar_one()
    assert next_id == ids[-1] + 2


async def test_each_concurrent_write_is_committed_when_it_answers(
    app: LocalTitan, creds: Creds
) -> None:
    """Write units of one tenant that run together share a commit (SQLite: decision 0260;
    PostgreSQL: 0320), and each answers only once that commit has returned: a read on
    another connection, made the moment a unit answers, already sees its record."""
    seen: dict[str, bool] = {}

    async def create_then_read(name: str) -> None:
        await _create(app, creds, name)
        seen[name] = name in await _names(app, creds)

    await asyncio.gather(*(create_then_read(f"C{i:02d}") for i in range(20)))
    assert seen == {f"C{i:02d}": True for i in range(20)}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_unit_cancelled_while_it_waits_for_its_commit_fails_no_other(
    app: LocalTitan, creds: Creds, backend: str
) -> None:
    """A request cancelled once its unit has joined a group (its client's task, a shutdown)
    stops waiting alone: the group still commits, and its other units answer."""
    first = asyncio.create_task(_create(app, creds, "Cancelled"))
    await asyncio.sleep(0)  # its unit ran (SQLite's statements do not wait) and waits now
    others = [asyncio.create_task(_create(app, creds, f"C{i}")) for i in range(3)]
    await asyncio.sleep(0)
    first.cancel()
    ids = await asyncio.gather(*others)
    assert len(set(ids)) == 3
    assert sorted(await _names(app, creds)) == ["C0", "C1", "C2", "Cancelled"]
