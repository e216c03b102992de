"""Filtered pages: a time range reads the same records, page after page, whether it is narrow
(read from its own index) or wide (ids walked in order)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from engine_kit import connect, insert
from sqlalchemy import text

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store import filtered_pages

JOBS = "jpm.Jobs_GetList"
START = datetime(2025, 1, 1, tzinfo=UTC)


def _stamp(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("narrow_below", [1000, 3])
async def test_a_time_range_pages_through_its_records_in_id_order(
    client: httpx.AsyncClient,
    creds: Creds,
    app: LocalTitan,
    monkeypatch: pytest.MonkeyPatch,
    narrow_below: int,
) -> None:
    # 1000: every range here is narrow; 3: every range of 3 or more records is wide.
    monkeypatch.setattr(filtered_pages, "_NARROW", narrow_below)
    api = await connect(client, creds)
    # Modified times run against id order: the newest records have the lowest ids.
    times = [START + timedelta(days=30 - i) for i in range(30)]
    made = await insert(
        app, creds, "jpm:jobs", [{"summary": f"job {i}"} for i in range(30)], times=times
    )
    ids = [r["id"] for r in made]
    since = START + timedelta(days=21)  # the first ten records
    wanted = [i for i, t in zip(ids, times, strict=True) if t >= since]
    assert len(wanted) == 10
    pages = []
    for page in (1, 2, 3, 1, 2, 3):  # again: the page cache's starts give the same pages
        body = await api.ok(
            JOBS, params={"modifiedOnOrAfter": _stamp(since), "pageSize": 4, "page": page}
        )
        pages.append(([r["id"] for r in body["data"]], body["hasMore"]))
    assert pages[:3] == [(wanted[:4], True), (wanted[4:8], True), (wanted[8:], False)]
    assert pages[3:] == pages[:3]
    body = await api.ok(
        JOBS,
        params={
            "modifiedOnOrAfter": _stamp(since),
            "modifiedBefore": _stamp(since + timedelta(days=2)),
            "includeTotal": "true",
        },
    )
    assert [r["id"] for r in body["data"]] == wanted[-2:]
    assert body["totalCount"] == 2
    # A range after every record matches none.
    later = await api.ok(JOBS, params={"modifiedOnOrAfter": _stamp(START + timedelta(days=99))})
    assert later["data"] == []


@pytest.mark.parametrize("narrow_below", [1000, 3])
async def test_a_filtered_page_far_past_the_end_is_empty(
    client: httpx.AsyncClient,
    creds: Creds,
    app: LocalTitan,
    monkeypatch: pytest.MonkeyPatch,
    narrow_below: int,
) -> None:
    # Its offset (page x size) is past what a 32-bit number holds: PostgreSQL took it for one.
    monkeypatch.setattr(filtered_pages, "_NARROW", narrow_below)
    api = await connect(client, creds)
    await insert(app, creds, "jpm:jobs", [{"summary": f"job {i}"} for i in range(5)])
    params = {"modifiedOnOrAfter": "2000-01-01T00:00:00Z", "page": 81_321_971, "pageSize": 50}
    body = await api.ok(JOBS, params=params)
    assert (body["data"], body["hasMore"]) == ([], False)


async def test_a_range_is_counted_again_only_when_writes_could_have_widened_it(
    client: httpx.AsyncClient,
    creds: Creds,
    app: LocalTitan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Under 5 records a range is narrow. The count (the probe, a statement of its own, on
    # PostgreSQL a round trip) is kept while the records written since cannot have made it 5.
    monkeypatch.setattr(filtered_pages, "_NARROW", 5)
    monkeypatch.setattr(filtered_pages, "_probed", type(filtered_pages._probed)())
    probes = 0
    real_prepared = filtered_pages.prepared

    def prepared(key: object, dialect: object, build: object) -> object:
        found = real_prepared(key, dialect, build)  # type: ignore[arg-type]
        if isinstance(key, tuple) and key and key[0] == "probe":
            nonlocal probes
            probes += 1
        return found

    monkeypatch.setattr(filtered_pages, "prepared", prepared)
    api = await connect(client, creds)
    since = START + timedelta(days=1)
    made: list[int] = []

    async def add(n: int) -> None:
        rows = await insert(
            app, creds, "jpm:jobs", [{"summary": "in range"}] * n, times=[since] * n
        )
        made.extend(r["id"] for r in rows)

    async def listed() -> list[int]:
        body = await api.ok(JOBS, params={"modifiedOnOrAfter": _stamp(since)})
        return [r["id"] for r in body["data"]]

    await insert(app, creds, "jpm:jobs", [{"summary": "before"}], times=[START])
    await add(3)
    seen = []
    for writes in (0, 0, 1, 0, 1, 0):
        await add(writes)
        before = probes
        assert await listed() == made
        seen.append(probes - before)
    # Counted (3), kept (3), kept (3 + 1 written = 4), kept, then 4 + 1 = 5 may be wide: the
    # page after that counts again.
    assert seen == [1, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("narrow_below", [1000, 3])
async def test_the_same_filter_at_another_page_size_gets_that_many_records(
    client: httpx.AsyncClient,
    creds: Creds,
    app: LocalTitan,
    monkeypatch: pytest.MonkeyPatch,
    narrow_below: int,
) -> None:
    # The page's limit is written into its statement, one statement per page size: a size
    # asked for after another must not read the other's number of records.
    monkeypatch.setattr(filtered_pages, "_NARROW", narrow_below)
    api = await connect(client, creds)
    times = [START + timedelta(days=i) for i in range(12)]
    made = await insert(app, creds, "jpm:jobs", [{"summary": "j"}] * 12, times=times)
    ids = [r["id"] for r in made]
    since = {"modifiedOnOrAfter": _stamp(START + timedelta(days=2))}
    got = []
    for size, page in ((3, 1), (5, 1), (3, 2), (5, 2), (20, 1)):
        body = await api.ok(JOBS, params={**since, "pageSize": size, "page": page})
        got.append(([r["id"] for r in body["data"]], body["hasMore"]))
    wanted = ids[2:]
    assert got == [
        (wanted[:3], True),
        (wanted[:5], True),
        (wanted[3:6], True),
        (wanted[5:10], False),
        (wanted, False),
    ]
    # Sorted pages too (the sorted statement has a limit of its own).
    body = await api.ok(JOBS, params={**since, "pageSize": 4, "sort": "-modifiedOn"})
    assert [r["id"] for r in body["data"]] == wanted[::-1][:4]
    body = await api.ok(JOBS, params={**since, "pageSize": 6, "sort": "-modifiedOn"})
    assert [r["id"] for r in body["data"]] == wanted[::-1][:6]


async def test_a_narrow_first_page_keeps_its_ids_only_while_the_collection_is_unchanged(
    client: httpx.AsyncClient,
    creds: Creds,
    app: LocalTitan,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PostgreSQL remembers a narrow range's first page's ids and the version they were read
    # at; a write (a new version) or a record deleted outright reads the page afresh.
    monkeypatch.setattr(filtered_pages, "_picked", type(filtered_pages._picked)())
    known = 0
    real_prepared = filtered_pages.prepared

    def prepared(key: object, dialect: object, build: object) -> object:
        found = real_prepared(key, dialect, build)  # type: ignore[arg-type]
        if isinstance(key, tuple) and key and key[0] == "known":
            nonlocal known
            known += 1
        return found

    monkeypatch.setattr(filtered_pages, "prepared", prepared)
    api = await connect(client, creds)
    since = START + timedelta(days=1)
    await insert(app, creds, "jpm:jobs", [{"summary": "before"}], times=[START])
    made = [r["id"] for r in await insert(app, creds, "jpm:jobs", [{}] * 6, times=[since] * 6)]

    async def listed() -> tuple[list[int], bool]:
        params = {"modifiedOnOrAfter": _stamp(since), "pageSize": 3}
        body = await api.ok(JOBS, params=params)
        return [r["id"] for r in body["data"]], body["hasMore"]

    remembered = backend == "postgres"
    assert await listed() == (made[:3], True)
    assert await listed() == (made[:3], True)
    assert known == (1 if remembered else 0)
    async with app.runtime.db.begin() as conn:  # outright, as a tenant's data is removed
        await conn.execute(text("DELETE FROM records WHERE id = :id"), {"id": made[1]})
    assert await listed() == ([made[0], made[2], made[3]], True)
    assert known == (2 if remembered else 0)
    assert await listed() == ([made[0], made[2], made[3]], True)
    assert known == (3 if remembered else 0)
    # A write that changes a page record: its version is new, the page is read again.
    await api.ok("jpm.Jobs_Update", json={"summary": "changed"}, id=made[0])
    body = await api.ok(JOBS, params={"modifiedOnOrAfter": _stamp(since), "pageSize": 3})
    assert [r["id"] for r in body["data"]] == [made[0], made[2], made[3]]
    assert body["data"][0]["summary"] == "changed"
    assert known == (4 if remembered else 0)  # looked up, found stale, read afresh
