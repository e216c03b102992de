"""Seeding tenants in the database, on SQLite and PostgreSQL: determinism, fidelity of the
bulk writer, refusing seeded tenants, replace, reset and resuming an interrupted large seed."""

from __future__ import annotations

import pytest
from demo_kit import ANCHOR, MANIFEST, new_tenant, tenant_rows

from localtitan.app import LocalTitan
from localtitan.demo import SeedError, generate, reset_tenant, seed_tenant, sizes
from localtitan.demo import seed as seed_module
from localtitan.store.records import FIRST_ID, get_record
from localtitan.store.tenant_data import count_records, read_seed_settings

ENV = "integration"


async def test_two_tenants_seeded_alike_hold_equal_records(app: LocalTitan) -> None:
    db = app.runtime.db
    a, b = await new_tenant(db), await new_tenant(db)
    for tenant in (a, b):
        result = await seed_tenant(
            db, MANIFEST, environment=ENV, tenant_id=tenant, customers=15, seed=9, anchor=ANCHOR
        )
        assert result.records == sum(result.counts.values()) > 1000
    assert await tenant_rows(db, ENV, a) == await tenant_rows(db, ENV, b)


async def test_stored_records_are_exactly_what_was_generated(app: LocalTitan) -> None:
    """The bulk writer bypasses SQLAlchemy's parameter handling; what it stored must read back
    through the engine's own reader as the generated record."""
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=20, anchor=ANCHOR)
    made = generate(MANIFEST, customers=20, anchor=ANCHOR, first_id=FIRST_ID)
    async with db.read() as conn:
        for rec in made[::7]:
            got = await get_record(conn, ENV, tenant, rec.kind, rec.id)
            assert got is not None, (rec.kind, rec.id)
            assert (got.data, got.parent_id, got.guid, got.active) == (
                rec.data,
                rec.parent_id,
                rec.guid,
                rec.active,
            )
            assert (got.created_on, got.modified_on) == (rec.created_on, rec.modified_on)
        assert await count_records(conn, ENV, tenant) == len(made)


async def test_a_seeded_tenant_is_refused_unless_replaced(app: LocalTitan) -> None:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=10, anchor=ANCHOR)
    before = await tenant_rows(db, ENV, tenant)
    with pytest.raises(SeedError, match=r"already has .* records .* --replace"):
        await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=10)
    assert await tenant_rows(db, ENV, tenant) == before
    # Replace clears and reseeds; ids restart, so the same settings give the same records.
    await seed_tenant(
        db, MANIFEST, environment=ENV, tenant_id=tenant, customers=10, anchor=ANCHOR, replace=True
    )
    assert await tenant_rows(db, ENV, tenant) == before
    with pytest.raises(SeedError, match="does not exist"):
        await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=1, customers=10)


async def test_reset_restores_the_demo_state(app: LocalTitan) -> None:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(
        db, MANIFEST, environment=ENV, tenant_id=tenant, customers=8, seed=5, anchor=ANCHOR
    )
    before = await tenant_rows(db, ENV, tenant)
    from sqlalchemy import delete

    from localtitan.store.tables import records

    async with db.begin() as conn:
        await conn.execute(
            delete(records).where(records.c.tenant_id == tenant, records.c.kind == "jpm:jobs")
        )
    assert await tenant_rows(db, ENV, tenant) != before
    result = await reset_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant)
    assert result.seed == 5
    assert await tenant_rows(db, ENV, tenant) == before
    with pytest.raises(SeedError, match="no demo seed settings"):
        await reset_tenant(db, MANIFEST, environment="production", tenant_id=tenant)


async def test_an_interrupted_large_seed_resumes(
    app: LocalTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeds beyond the one-transaction limit commit chunk by chunk and resume after a failure;
    the result equals an uninterrupted seed."""
    monkeypatch.setattr(sizes, "CHUNK_CUSTOMERS", 6)
    monkeypatch.setattr(seed_module, "SINGLE_TRANSACTION_LIMIT", 0)
    monkeypatch.setattr(seed_module, "_CHUNKS_PER_COMMIT", 1)
    db = app.runtime.db
    whole, broken = await new_tenant(db), await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=whole, customers=18, anchor=ANCHOR)

    class Stop(Exception):
        pass

    def fail_on_second_chunk(p: seed_module.SeedProgress) -> None:
        if p.customers_done >= 12:
            raise Stop

    with pytest.raises(Stop):
        await seed_tenant(
            db,
            MANIFEST,
            environment=ENV,
            tenant_id=broken,
            customers=18,
            anchor=ANCHOR,
            progress=fail_on_second_chunk,
        )
    async with db.read() as conn:
        state = await read_seed_settings(conn, ENV, broken)
    assert state is not None and (state.status, state.chunks_done) == ("running", 1)
    with pytest.raises(SeedError, match=r"partial demo seed .*\(1 of 3 chunks"):
        await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=broken, customers=18, seed=2)
    result = await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=broken, customers=18)
    assert result.resumed
    assert await tenant_rows(db, ENV, broken) == await tenant_rows(db, ENV, whole)
    async with db.read() as conn:
        state = await read_seed_settings(conn, ENV, broken)
    assert state is not None and state.status == "complete"


async def test_a_failed_seed_leaves_the_tenant_as_it_was(app: LocalTitan) -> None:
    db = app.runtime.db
    tenant = await new_tenant(db)

    def boom(p: seed_module.SeedProgress) -> None:
        if p.customers_done:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await seed_tenant(
            db, MANIFEST, environment=ENV, tenant_id=tenant, customers=10, progress=boom
        )
    async with db.read() as conn:
        assert await count_records(conn, ENV, tenant) == 0
        assert await read_seed_settings(conn, ENV, tenant) is None


async def test_worker_processes_generate_the_same_company(
    app: LocalTitan, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks generated in worker processes equal chunks generated here (and equal what
    ``generate`` makes in memory): each chunk depends only on its index."""
    if backend != "sqlite":
        pytest.skip("process start-up is the same on both backends; once is enough")
    monkeypatch.setattr(sizes, "CHUNK_CUSTOMERS", 4)
    db = app.runtime.db
    here, there = await new_tenant(db), await new_tenant(db)
    for tenant, workers in ((here, 0), (there, 2)):
        await seed_tenant(
            db,
            MANIFEST,
            environment=ENV,
            tenant_id=tenant,
            customers=16,
            anchor=ANCHOR,
            workers=workers,
        )
    rows = await tenant_rows(db, ENV, here)
    assert rows == await tenant_rows(db, ENV, there)
    made = generate(MANIFEST, customers=16, anchor=ANCHOR)
    assert sorted((r.kind, r.id) for r in made) == [(r[0], r[1]) for r in rows]
