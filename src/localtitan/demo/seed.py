"""Seeding a tenant with a demo company, atomically.

Up to :data:`SINGLE_TRANSACTION_LIMIT` customers the whole seed is one transaction: a failed
or interrupted seed leaves the tenant exactly as it was, and readers see the company appear
all at once. Bigger seeds commit every few chunks and keep their progress in
``tenant_seeds`` (status ``running``); a rerun with the same settings resumes at the next
chunk (generation is deterministic per chunk), and any other seed of that tenant is refused
with a message naming ``--replace``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.demo.company import build_company
from localtitan.demo.context import Ids, Out
from localtitan.demo.customers import build_chunk
from localtitan.demo.model import Company
from localtitan.demo.shaper import Filler
from localtitan.demo.sizes import (
    CHUNK_CUSTOMERS,
    SINGLE_TRANSACTION_LIMIT,
    Plan,
    customers_for,
    plan_for,
)
from localtitan.demo.writer import BulkWriter
from localtitan.engine.catalog import catalog_for
from localtitan.snapshots.tenantdata import (
    SeedSettings,
    clear_tenant,
    count_records,
    read_seed_settings,
    tenant_exists,
    write_seed_settings,
)
from localtitan.spec import Manifest
from localtitan.store.database import Database

__all__ = [
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "SeedError",
    "SeedProgress",
    "SeedResult",
    "default_anchor",
    "generate",
    "normalize_anchor",
    "reset_tenant",
    "seed_tenant",
]

DEFAULT_SEED = 1
# Bumped whenever the generator's output changes, so a resume never mixes two versions.
GENERATOR_VERSION = 1
# Chunks per transaction for seeds that commit as they go (20,000 customers).
_CHUNKS_PER_COMMIT = 40
_SQLITE_CACHE_KIB = 512 * 1024


class SeedError(Exception):
    """A seed that cannot run, worded for the person who asked for it."""


@dataclass(frozen=True)
class SeedProgress:
    records: int
    estimated_records: int
    customers_done: int
    customers: int
    elapsed: float


@dataclass
class SeedResult:
    tenant_id: int
    environment: str
    customers: int
    seed: int
    anchor: datetime
    records: int
    seconds: float
    resumed: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "environment": self.environment,
            "customers": self.customers,
            "seed": self.seed,
            "anchor": self.anchor.isoformat().replace("+00:00", "Z"),
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "recordsPerSecond": round(self.records / self.seconds) if self.seconds else None,
            "resumed": self.resumed,
            "counts": self.counts,
        }


def default_anchor(now: datetime | None = None) -> datetime:
    """Today at 00:00 UTC: the demo's "now", so a day's seeds agree."""
    now = now or datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def normalize_anchor(value: datetime | date | str | None) -> datetime:
    if value is None:
        return default_anchor()
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "today":
            return default_anchor()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise SeedError(f"The anchor {value!r} is not a date such as 2025-06-01.") from None
        value = parsed
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class _Generator:
    """Deterministic generation of one company, chunk by chunk."""

    def __init__(self, manifest: Manifest, seed: int, anchor: datetime, plan: Plan) -> None:
        self.catalog = catalog_for(manifest)
        self.filler = Filler(manifest)
        self.seed = seed
        self.anchor = anchor
        self.plan = plan
        self.company: Company | None = None

    def company_records(self, first_id: int) -> tuple[Out, int]:
        ids = Ids(first_id)
        out = Out(self.catalog, self.filler)
        self.company = build_company(self.seed, self.anchor, self.plan, ids, out)
        return out, ids.used

    def chunk_records(self, index: int, first_id: int) -> tuple[Out, int, int]:
        assert self.company is not None
        ids = Ids(first_id)
        out = Out(self.catalog, self.filler)
        customers = build_chunk(self.company, index, ids, out)
        return out, ids.used, customers


def generate(
    manifest: Manifest,
    *,
    customers: int,
    seed: int = DEFAULT_SEED,
    anchor: datetime | date | str | None = None,
    first_id: int = 10_000_001,
) -> list[Any]:
    """All records of a company in memory (for tests and small tools)."""
    gen = _Generator(manifest, seed, normalize_anchor(anchor), plan_for(customers))
    out, used = gen.company_records(first_id)
    items = list(out.items)
    next_id = first_id + used
    for index in range(gen.plan.chunks):
        chunk, used, _ = gen.chunk_records(index, next_id)
        items.extend(chunk.items)
        next_id += used
    return items


Progress = Callable[[SeedProgress], None]


@dataclass
class _Run:
    """Bookkeeping of one seed while it writes."""

    started: float
    plan: Plan
    progress: Progress | None
    counts: Counter[str] = field(default_factory=Counter)
    records: int = 0
    company_records: int = 0
    customers_done: int = 0

    def add(self, kinds: dict[str, int]) -> None:
        self.counts.update(kinds)
        self.records += sum(kinds.values())

    def report(self) -> None:
        if self.progress is None:
            return
        if self.customers_done:
            per = (self.records - self.company_records) / self.customers_done
            estimate = self.company_records + round(per * self.plan.customers)
        else:
            estimate = self.plan.estimated_records
        self.progress(
            SeedProgress(
                records=self.records,
                estimated_records=max(estimate, self.records),
                customers_done=self.customers_done,
                customers=self.plan.customers,
                elapsed=time.monotonic() - self.started,
            )
        )


async def _write_chunks(
    writer: BulkWriter, gen: _Generator, run: _Run, first: int, stop: int
) -> None:
    """Generate and write chunks ``first .. stop - 1``, one at a time.

    Generation stays on this thread on purpose: in a worker thread it competes for the GIL
    with the SQLite driver thread, which needs the GIL between rows, and both slow down.
    """
    for index in range(first, stop):
        next_id = await writer.next_id()
        out, used, customers = gen.chunk_records(index, next_id)
        prepared = writer.prepare(out.items)
        await writer.claim_ids(next_id, used)
        await writer.write_prepared(prepared)
        run.add(prepared.kinds)
        run.customers_done += customers
        run.report()


async def _write_company(writer: BulkWriter, gen: _Generator, run: _Run) -> int:
    first = await writer.next_id()
    out, used = gen.company_records(first)
    await writer.write(out.items)
    await writer.claim_ids(first, used)
    run.add(dict(Counter(item.kind for item in out.items)))
    run.company_records = run.records
    run.report()
    return first


async def seed_tenant(
    db: Database,
    manifest: Manifest,
    *,
    environment: str,
    tenant_id: int,
    size: str | None = None,
    customers: int | None = None,
    seed: int | None = None,
    anchor: datetime | date | str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> SeedResult:
    """Fill a tenant's ``environment`` with a demo company.

    Refuses a tenant that already has records unless ``replace`` (which clears the tenant in
    that environment first, in the same transaction). ``seed`` and ``anchor`` default to 1 and
    today at 00:00 UTC; the same seed, anchor and size always give the same records and ids.
    """
    try:
        count = customers_for(size, customers)
    except ValueError as exc:
        raise SeedError(str(exc)) from None
    async with db.read() as conn:
        if not await tenant_exists(conn, environment, tenant_id):
            raise SeedError(f"Tenant {tenant_id} does not exist in {environment}.")
        state = await read_seed_settings(conn, environment, tenant_id)
        existing = await count_records(conn, environment, tenant_id)
    partial = state is not None and state.status == "running"
    if partial and not replace:
        assert state is not None
        same = (
            state.customers == count
            and (seed is None or seed == state.seed)
            and (anchor is None or normalize_anchor(anchor) == state.anchor)
            and state.generator == GENERATOR_VERSION
        )
        if not same:
            raise SeedError(
                f"Tenant {tenant_id} holds a partial demo seed in {environment} "
                f"({state.chunks_done} of {state.chunks_total} chunks: {state.customers} "
                f"customers, seed {state.seed}, anchor {state.anchor.date()}). Rerun that seed "
                "to resume it, or add --replace to clear the tenant and start again."
            )
        return await _resume(db, manifest, state, progress)
    if existing and not replace:
        raise SeedError(
            f"Tenant {tenant_id} already has {existing} records in {environment}. "
            "Add --replace to delete them and seed again."
        )
    when = normalize_anchor(anchor)
    chosen_seed = DEFAULT_SEED if seed is None else seed
    plan = plan_for(count)
    settings = SeedSettings(
        environment=environment,
        tenant_id=tenant_id,
        seed=chosen_seed,
        anchor=when,
        customers=count,
        size=size.strip().lower() if size else None,
        generator=GENERATOR_VERSION,
        status="running",
        first_id=0,
        chunks_done=0,
        chunks_total=plan.chunks,
        records=0,
        started_on=datetime.now(UTC),
        finished_on=None,
    )
    if count <= SINGLE_TRANSACTION_LIMIT:
        return await _seed_at_once(db, manifest, settings, plan, replace, progress)
    return await _seed_in_steps(db, manifest, settings, plan, replace, progress)


async def _tune(conn: AsyncConnection) -> None:
    """A bigger page cache for the seed's connection: a large transaction otherwise spills
    dirty pages to the WAL over and over."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")


async def _prepare(conn: AsyncConnection, settings: SeedSettings, replace: bool) -> BulkWriter:
    """Lock the tenant's counter, re-check it is empty (or clear it), and return a writer."""
    writer = BulkWriter(conn, settings.environment, settings.tenant_id)
    await writer.next_id()  # takes the counter's lock until commit
    await _tune(conn)
    if replace:
        await clear_tenant(conn, settings.environment, settings.tenant_id)
    elif await count_records(conn, settings.environment, settings.tenant_id):
        raise SeedError(
            f"Tenant {settings.tenant_id} received records while the seed started; "
            "add --replace to clear them."
        )
    return writer


async def _seed_at_once(
    db: Database,
    manifest: Manifest,
    settings: SeedSettings,
    plan: Plan,
    replace: bool,
    progress: Progress | None,
) -> SeedResult:
    run = _Run(time.monotonic(), plan, progress)
    gen = _Generator(manifest, settings.seed, settings.anchor, plan)
    async with db.begin() as conn:
        writer = await _prepare(conn, settings, replace)
        first = await _write_company(writer, gen, run)
        await _write_chunks(writer, gen, run, 0, plan.chunks)
        settings.first_id = first
        settings.status = "complete"
        settings.chunks_done = plan.chunks
        settings.records = run.records
        settings.finished_on = datetime.now(UTC)
        await write_seed_settings(conn, settings)
    return _result(settings, run, resumed=False)


async def _seed_in_steps(
    db: Database,
    manifest: Manifest,
    settings: SeedSettings,
    plan: Plan,
    replace: bool,
    progress: Progress | None,
) -> SeedResult:
    run = _Run(time.monotonic(), plan, progress)
    gen = _Generator(manifest, settings.seed, settings.anchor, plan)
    async with db.begin() as conn:
        writer = await _prepare(conn, settings, replace)
        first = await _write_company(writer, gen, run)
        settings.first_id = first
        settings.records = run.records
        await write_seed_settings(conn, settings)
    await _continue(db, gen, settings, run)
    return _result(settings, run, resumed=False)


async def _resume(
    db: Database, manifest: Manifest, settings: SeedSettings, progress: Progress | None
) -> SeedResult:
    plan = plan_for(settings.customers)
    run = _Run(time.monotonic(), plan, progress)
    gen = _Generator(manifest, settings.seed, settings.anchor, plan)
    # The company's records are committed; only its in-memory facts are needed again.
    gen.company_records(settings.first_id)
    run.records = settings.records
    run.customers_done = min(plan.customers, settings.chunks_done * CHUNK_CUSTOMERS)
    run.report()
    await _continue(db, gen, settings, run)
    return _result(settings, run, resumed=True)


async def _continue(db: Database, gen: _Generator, settings: SeedSettings, run: _Run) -> None:
    plan = gen.plan
    while settings.chunks_done < plan.chunks:
        stop = min(plan.chunks, settings.chunks_done + _CHUNKS_PER_COMMIT)
        async with db.begin() as conn:
            writer = BulkWriter(conn, settings.environment, settings.tenant_id)
            await _write_chunks(writer, gen, run, settings.chunks_done, stop)
            settings.chunks_done = stop
            settings.records = run.records
            if stop == plan.chunks:
                settings.status = "complete"
                settings.finished_on = datetime.now(UTC)
            await write_seed_settings(conn, settings)


def _result(settings: SeedSettings, run: _Run, *, resumed: bool) -> SeedResult:
    return SeedResult(
        tenant_id=settings.tenant_id,
        environment=settings.environment,
        customers=settings.customers,
        seed=settings.seed,
        anchor=settings.anchor,
        records=run.records,
        seconds=time.monotonic() - run.started,
        resumed=resumed,
        counts=dict(sorted(run.counts.items())),
    )


async def reset_tenant(
    db: Database,
    manifest: Manifest,
    *,
    environment: str,
    tenant_id: int,
    anchor: datetime | date | str | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Clear the tenant and seed it again with its stored seed settings (same seed, same
    anchor unless one is given), which restores the demo state exactly."""
    async with db.read() as conn:
        state = await read_seed_settings(conn, environment, tenant_id)
    if state is None:
        raise SeedError(
            f"Tenant {tenant_id} has no demo seed settings in {environment}; "
            "seed it first with 'localtitan seed'."
        )
    return await seed_tenant(
        db,
        manifest,
        environment=environment,
        tenant_id=tenant_id,
        size=state.size,
        customers=None if state.size else state.customers,
        seed=state.seed,
        anchor=anchor if anchor is not None else state.anchor,
        replace=True,
        progress=progress,
    )
