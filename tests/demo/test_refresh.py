"""Production to integration: a copy of production replaces integration in one transaction,
integration-only records disappear, credentials keep working; and the schedule that repeats it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from demo_kit import ANCHOR, MANIFEST, tenant_rows

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.demo import schedule, seed_tenant
from localtitan.snapshots.refresh import RefreshError, refresh_integration
from localtitan.store.tenant_data import count_records, read_seed_settings


def _live(rows: list[tuple]) -> list[tuple]:
    """Rows that are not deleted, keyed and compared without environment specifics."""
    return [r for r in rows if not r[5]]


async def test_refresh_copies_production_and_removes_integration_only_records(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    db = app.runtime.db
    creds = await make_creds(app.runtime)  # an integration connection
    tenant = creds.tenant_id
    await seed_tenant(
        db, MANIFEST, environment="production", tenant_id=tenant, customers=8, seed=3, anchor=ANCHOR
    )
    await seed_tenant(
        db,
        MANIFEST,
        environment="integration",
        tenant_id=tenant,
        customers=12,
        seed=4,
        anchor=ANCHOR,
    )
    h = await creds.headers(client)
    before = await client.get(creds.api("/crm/v2/tenant/{tenant}/export/customers"), headers=h)
    token = before.json()["continueFrom"]
    prod = await tenant_rows(db, "production", tenant)
    old = {(r[0], r[1]) for r in await tenant_rows(db, "integration", tenant)}
    only_integration = sorted(old - {(r[0], r[1]) for r in prod})
    assert only_integration

    result = await refresh_integration(db, tenant_id=tenant)

    assert result.copied == len(prod) and result.removed == len(only_integration)
    now = await tenant_rows(db, "integration", tenant)
    assert _live(now) == _live(prod)
    gone = [r for r in now if r[5]]
    assert {(r[0], r[1]) for r in gone} == set(only_integration)
    # Through the API (with the integration credentials, which still work).
    customers = await client.get(
        creds.api("/crm/v2/tenant/{tenant}/customers?pageSize=100"), headers=h
    )
    assert customers.status_code == 200
    assert len(customers.json()["data"]) == 8
    _, rid = next(k for k in only_integration if k[0] == "crm:customers")
    missing = await client.get(creds.api(f"/crm/v2/tenant/{{tenant}}/customers/{rid}"), headers=h)
    assert missing.status_code == 404
    # An export client that had read integration sees the copies and the removals as changes.
    after = await client.get(
        creds.api(f"/crm/v2/tenant/{{tenant}}/export/customers?from={token}"), headers=h
    )
    changed = after.json()["data"]
    assert {c["id"] for c in changed if c["active"]} == {
        r[1] for r in prod if r[0] == "crm:customers"
    }
    assert {c["id"] for c in changed if not c["active"]} >= {
        i for k, i in only_integration if k == "crm:customers"
    }
    async with db.read() as conn:
        seed = await read_seed_settings(conn, "integration", tenant)
    assert seed is not None and seed.seed == 3  # integration is now production's company
    # A second refresh changes nothing visible.
    await refresh_integration(db, tenant_id=tenant)
    assert _live(await tenant_rows(db, "integration", tenant)) == _live(prod)


async def test_refresh_needs_the_tenant_in_both_environments(app: LocalTitan) -> None:
    with pytest.raises(RefreshError, match="does not exist"):
        await refresh_integration(app.runtime.db, tenant_id=42)


async def test_a_due_schedule_runs_once(app: LocalTitan) -> None:
    db = app.runtime.db
    creds = await make_creds(app.runtime)
    tenant = creds.tenant_id
    await seed_tenant(
        db, MANIFEST, environment="production", tenant_id=tenant, customers=3, anchor=ANCHOR
    )
    past = datetime.now(UTC) - timedelta(minutes=5)
    await schedule.set_schedule(db, tenant, schedule.parse_every("24h") or 0, first_run=past)
    ran = await schedule.run_due(db)
    assert [r.tenant_id for r in ran] == [tenant]
    assert await schedule.run_due(db) == []  # claimed: the next run is a day away
    mine = [s for s in await schedule.list_schedules(db) if s.tenant_id == tenant]
    assert mine[0].last_run_on is not None and mine[0].last_error is None
    assert mine[0].next_run_on > datetime.now(UTC) + timedelta(hours=23)
    async with db.read() as conn:
        assert await count_records(conn, "integration", tenant) == await count_records(
            conn, "production", tenant
        )
    assert await schedule.clear_schedule(db, tenant)
    assert not [s for s in await schedule.list_schedules(db) if s.tenant_id == tenant]


async def test_the_scheduler_task_starts_and_stops(app: LocalTitan) -> None:
    task = schedule.start_scheduler(app.runtime.db, poll_seconds=0.01)
    await schedule.stop_scheduler(task)
    assert task.cancelled() or task.done()


def test_intervals() -> None:
    assert schedule.parse_every("24h") == 86_400
    assert schedule.parse_every("30m") == 1_800
    assert schedule.parse_every("2d") == 172_800
    assert schedule.parse_every("off") is None
    for bad in ("soon", "10s", "-1h"):
        with pytest.raises(ValueError):
            schedule.parse_every(bad)
