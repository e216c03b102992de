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

from localtitan.demo import sizes
from localtitan.demo.producer import ChunkRows, CompanyGenerator, chunk_rows, default_workers
from localtitan.demo.sizes import SINGLE_TRANSACTION_LIMIT, Plan, customers_for, plan_for
from localtitan.spec import Manifest
from localtitan.store import Connection, Database
from localtitan.store.bulk_writer import BulkWriter
from localtitan.store.records import FIRST_ID, Stored
from localtitan.store.tenant_data import (
    SeedSettings,
    clear_tenant,
    count_records,
    read_seed_settings,
    tenant_exists,
    write_seed_settings,
)

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
GENERATOR_VERSION = 2
# Chunks per transaction for seeds that commit as they go (20,000 customers).
_CHUNKS_PER_COMMIT = 40


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


def generate(
    manifest: Manifest,
    *,
    customers: int,
    seed: int = DEFAULT_SEED,
    anchor: datetime | date | str | None = None,
    first_id: int = FIRST_ID,
) -> list[Stored]:
    """All records of a company in memory, with the ids a seed of a fresh tenant gives them
    (for tests and small tools)."""
    gen = CompanyGenerator(manifest, seed, normalize_anchor(anchor), plan_for(customers))
    items = gen.company_records(first_id)
    for index in range(gen.plan.chunks):
        items.extend(gen.chunk(index)[0])
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


async def _write_company(writer: BulkWriter, gen: CompanyGenerator, run: _Run) -> int:
    """Write the company's records and reserve every id the seed may use; returns the first."""
    base = await writer.next_id()
    items = gen.company_records(base)
    await writer.write(items)
    await writer.claim_ids(base, gen.ids_needed)
    run.add(dict(Counter(item.kind for item in items)))
    run.company_records = run.records
    run.report()
    return base


async def _write_chunks(
    db: Database,
    conn: Connection | None,
    gen: CompanyGenerator,
    settings: SeedSettings,
    run: _Run,
    workers: int,
) -> None:
    """Write the chunks from ``settings.chunks_done`` on. With ``conn``, all in that
    transaction; without, a transaction per :data:`_CHUNKS_PER_COMMIT` chunks, each also
    recording the progress in ``tenant_seeds``."""
    plan = gen.plan
    sqlite = db.is_sqlite
    chunks = chunk_rows(gen, settings.chunks_done, plan.chunks, sqlite=sqlite, workers=workers)
    try:
        if conn is not None:
            writer = BulkWriter(conn, settings.environment, settings.tenant_id)
            async for chunk in chunks:
                await _write_chunk(writer, chunk, run)
            settings.chunks_done = plan.chunks
            return
        while settings.chunks_done < plan.chunks:
            stop = min(plan.chunks, settings.chunks_done + _CHUNKS_PER_COMMIT)
            async with db.begin() as step:
                writer = BulkWriter(step, settings.environment, settings.tenant_id)
                await writer.tune()
                for _ in range(settings.chunks_done, stop):
                    await _write_chunk(writer, await anext(chunks), run)
                settings.chunks_done = stop
                settings.records = run.records
                if stop == plan.chunks:
                    settings.status = "complete"
                    settings.finished_on = datetime.now(UTC)
                await write_seed_settings(step, settings)
    finally:
        await chunks.aclose()  # stops the worker processes, whatever happened


async def _write_chunk(writer: BulkWriter, chunk: ChunkRows, run: _Run) -> None:
    await writer.write_rows(chunk.prepared.rows)
    run.add(chunk.prepared.kinds)
    run.customers_done += chunk.customers
    run.report()


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
    workers: int | None = None,
) -> SeedResult:
    """Fill a tenant's ``environment`` with a demo company.

    Refuses a tenant that already has records unless ``replace`` (which clears the tenant in
    that environment first, in the same transaction). ``seed`` and ``anchor`` default to 1 and
    today at 00:00 UTC; the same seed, anchor and size always give the same records and ids.
    ``workers`` is the number of generator processes (default: by size and CPUs; 0 = none).
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
        result = await _resume(db, manifest, state, progress, workers)
        await db.refresh_statistics(added=result.records)
        return result
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
    chosen = default_workers(plan.chunks) if workers is None else workers
    if count <= SINGLE_TRANSACTION_LIMIT:
        result = await _seed_at_once(db, manifest, settings, plan, replace, progress, chosen)
    else:
        result = await _seed_in_steps(db, manifest, settings, plan, replace, progress, chosen)
    # The planner needs statistics for the new volume of records (see refresh_statistics).
    await db.refresh_statistics(added=result.records)
    return result


async def _prepare(conn: Connection, settings: SeedSettings, replace: bool) -> BulkWriter:
    """Lock the tenant's counter, re-check it is empty (or clear it), and return a writer."""
    writer = BulkWriter(conn, settings.environment, settings.tenant_id)
    await writer.next_id()  # takes the counter's lock until commit
    await writer.tune()
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
    workers: int,
) -> SeedResult:
    run = _Run(time.monotonic(), plan, progress)
    gen = CompanyGenerator(manifest, settings.seed, settings.anchor, plan)
    async with db.begin() as conn:
        writer = await _prepare(conn, settings, replace)
        settings.first_id = await _write_company(writer, gen, run)
        await _write_chunks(db, conn, gen, settings, run, workers)
        settings.status = "complete"
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
    workers: int,
) -> SeedResult:
    run = _Run(time.monotonic(), plan, progress)
    gen = CompanyGenerator(manifest, settings.seed, settings.anchor, plan)
    async with db.begin() as conn:
        writer = await _prepare(conn, settings, replace)
        settings.first_id = await _write_company(writer, gen, run)
        settings.records = run.records
        await write_seed_settings(conn, settings)
    await _write_chunks(db, None, gen, settings, run, workers)
    return _result(settings, run, resumed=False)


async def _resume(
    db: Database,
    manifest: Manifest,
    settings: SeedSettings,
    progress: Progress | None,
    workers: int | None,
) -> SeedResult:
    plan = plan_for(settings.customers)
    run = _Run(time.monotonic(), plan, progress)
    gen = CompanyGenerator(manifest, settings.seed, settings.anchor, plan)
    # The company's records (and every id) are committed; only its facts are needed again.
    gen.company_records(settings.first_id)
    run.records = settings.records
    run.customers_done = min(plan.customers, settings.chunks_done * sizes.CHUNK_CUSTOMERS)
    run.report()
    chosen = default_workers(plan.chunks - settings.chunks_done) if workers is None else workers
    await _write_chunks(db, None, gen, settings, run, chosen)
    return _result(settings, run, resumed=True)


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
