"""The big tenant the issue-3 benchmarks read: 100,000 customers, 200,000 locations and
500,000 jobs in the integration environment of the quickstart tenant (``--quick``: 10x fewer).

The records are generated here (a fixed seed, so every run has the same data), shaped with
:func:`localtitan.handling.shaping.fill_record` as the server stores them, and inserted in
batches of 5,000 with :func:`localtitan.store.records.allocate` and
:func:`~localtitan.store.records.put_records`, before any server starts: the same rows and row
versions the API would write, without the API's cost per record.

Jobs are spread at random over customers (about 5 each) and each names one of its customer's
two locations; ``modifiedOn`` is spread uniformly over the year before 2026-01-01 and has
nothing to do with the id order, so a date filter picks rows from the whole id range. One
business unit, job type and campaign exist for the jobs (and the API's writers) to reference.

SQLite: the loaded data dir (database, ``server.key``, ``quickstart.json``) is kept under
``bench/results/dataset-<version>-<scale>/`` and copied for every benchmark, so only the first
run loads. PostgreSQL: one template database ``localtitan_bench_<random>_tpl`` is loaded per
``python -m bench`` run (from the SQLite cache when there is one, which skips the shaping),
vacuumed and analysed as autovacuum would leave it, and each benchmark gets a copy
(``CREATE DATABASE ... TEMPLATE``); all of them are dropped when the run ends.

``python -m bench.dataset [--quick] [--database-url URL]`` loads (or finds) the dataset and
prints what it holds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from bench._harness import (
    HOST,
    RESULTS_DIR,
    Config,
    LocalTitan,
    Server,
    free_port,
    register_cleanup,
)

__all__ = [
    "DATASET_VERSION",
    "FULL",
    "QUICK",
    "DatasetInfo",
    "Running",
    "Scale",
    "dataset_server",
    "prepare",
    "scale_for",
]

# Change this whenever the generated data or its loading changes: it names the SQLite cache.
DATASET_VERSION = "3.1"
BATCH = 5_000
ENVIRONMENT = "integration"
SEED = 20260101
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
KINDS = ("crm:customers", "crm:locations", "jpm:jobs")
REFERENCE_KINDS = ("settings:business-units", "jpm:job-types", "marketing:campaigns")
LOCATIONS_PER_CUSTOMER = 2
JOBS_PER_CUSTOMER = 5
_DB_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Scale:
    name: str
    customers: int

    @property
    def locations(self) -> int:
        return self.customers * LOCATIONS_PER_CUSTOMER

    @property
    def jobs(self) -> int:
        return self.customers * JOBS_PER_CUSTOMER

    @property
    def total(self) -> int:
        return len(REFERENCE_KINDS) + self.customers + self.locations + self.jobs


FULL = Scale("full", 100_000)
QUICK = Scale("quick", 10_000)


def scale_for(cfg: Config) -> Scale:
    return QUICK if cfg.quick else FULL


@dataclass
class DatasetInfo:
    """What a benchmark needs to know about the loaded tenant (``dataset.json``)."""

    version: str
    scale: str
    tenant_id: int
    environment: str
    counts: dict[str, int]
    business_unit_id: int
    job_type_id: int
    campaign_id: int
    first_customer_id: int
    first_location_id: int
    first_job_id: int
    last_id: int
    # A customer with the median number of jobs, and that number.
    filter_customer_id: int
    filter_customer_jobs: int
    # ``modifiedOnOrAfter`` that matches about 1% of jobs, and exactly how many.
    modified_1pct: str
    modified_1pct_jobs: int
    get_job_id: int
    load_seconds: float
    source: str  # "generated" or "sqlite cache"
    database_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    def customer_location(self, index: int) -> tuple[int, int]:
        """(customerId, locationId) of the ``index``-th customer and its first location."""
        i = index % self.counts["crm:customers"]
        return self.first_customer_id + i, self.first_location_id + LOCATIONS_PER_CUSTOMER * i

    @classmethod
    def load(cls, path: Path) -> DatasetInfo:
        return cls(**json.loads(path.read_text()))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


# ---------------------------------------------------------------- generating records

_FIRST = ("Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jamal")
_LAST = ("Nguyen", "Smith", "Garcia", "Okafor", "Kim", "Novak", "Patel", "Rossi", "Berg", "Diaz")
_CITIES = (
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Phoenix", "AZ", "850"),
    ("Tampa", "FL", "336"),
    ("Columbus", "OH", "432"),
    ("Raleigh", "NC", "276"),
)
_STREETS = ("Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Park Blvd", "Lake Rd")
_STATUSES = (
    ("Completed", 60),
    ("Scheduled", 15),
    ("Canceled", 10),
    ("Dispatched", 5),
    ("InProgress", 5),
    ("Hold", 5),
)
_SUMMARIES = (
    "No cooling upstairs",
    "Annual furnace tune-up",
    "Water heater leaking",
    "Thermostat replacement",
    "Duct cleaning",
    "Noisy outdoor unit",
)


@dataclass(frozen=True)
class _Plan:
    """Where each kind's ids start: allocation is sequential, so ids are known up front."""

    scale: Scale
    reference_id: int  # business unit; job type and campaign follow
    customer_id: int
    location_id: int
    job_id: int

    @classmethod
    def starting_at(cls, first_id: int, scale: Scale) -> _Plan:
        customer = first_id + len(REFERENCE_KINDS)
        location = customer + scale.customers
        job = location + scale.locations
        return cls(scale, first_id, customer, location, job)


@dataclass(frozen=True)
class _Batch:
    plan: _Plan
    kind: str
    start: int  # index of the first record of this kind in the batch
    count: int


def _time(value: datetime) -> str:
    from localtitan.store.records import format_time

    return format_time(value)


def _address(rng: random.Random) -> dict[str, Any]:
    city, state, zip3 = rng.choice(_CITIES)
    return {
        "street": f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}",
        "unit": None,
        "city": city,
        "state": state,
        "zip": f"{zip3}{rng.randint(0, 99):02d}",
        "country": "USA",
        "latitude": round(rng.uniform(25, 45), 6),
        "longitude": round(rng.uniform(-120, -75), 6),
    }


def _customer(rng: random.Random, plan: _Plan, i: int) -> tuple[dict[str, Any], datetime, datetime]:
    created = ANCHOR - 3 * YEAR + timedelta(seconds=rng.randrange(int(2 * YEAR.total_seconds())))
    modified = created + timedelta(seconds=rng.randrange(int((ANCHOR - created).total_seconds())))
    commercial = rng.random() < 0.15
    name = (
        f"{rng.choice(_LAST)} {rng.choice(('Dental', 'Bakery', 'Storage', 'Offices'))} #{i}"
        if commercial
        else f"{rng.choice(_FIRST)} {rng.choice(_LAST)} #{i}"
    )
    data = {
        "id": plan.customer_id + i,
        "name": name,
        "type": "Commercial" if commercial else "Residential",
        "active": True,
        "address": _address(rng),
        "balance": round(rng.uniform(0, 400), 2) if rng.random() < 0.2 else 0,
        "doNotMail": False,
        "doNotService": False,
        "createdOn": _time(created),
        "modifiedOn": _time(modified),
        "createdById": 1,
        "modifiedById": 1,
    }
    return data, created, modified


def _location(rng: random.Random, plan: _Plan, i: int) -> tuple[dict[str, Any], datetime, datetime]:
    customer = i // LOCATIONS_PER_CUSTOMER
    created = ANCHOR - 2 * YEAR + timedelta(seconds=rng.randrange(int(YEAR.total_seconds())))
    modified = created + timedelta(seconds=rng.randrange(int((ANCHOR - created).total_seconds())))
    data = {
        "id": plan.location_id + i,
        "customerId": plan.customer_id + customer,
        "name": "Home" if i % LOCATIONS_PER_CUSTOMER == 0 else "Rental",
        "active": True,
        "address": _address(rng),
        "createdOn": _time(created),
        "modifiedOn": _time(modified),
        "createdById": 1,
    }
    return data, created, modified


def _job(rng: random.Random, plan: _Plan, i: int) -> tuple[dict[str, Any], datetime, datetime]:
    customer = rng.randrange(plan.scale.customers)
    location = customer * LOCATIONS_PER_CUSTOMER + rng.randrange(LOCATIONS_PER_CUSTOMER)
    modified = ANCHOR - YEAR + timedelta(microseconds=rng.randrange(int(YEAR / timedelta(0, 0, 1))))
    created = modified - timedelta(seconds=rng.randrange(30 * 86400))
    status = rng.choices([s for s, _ in _STATUSES], [w for _, w in _STATUSES])[0]
    job_id = plan.job_id + i
    data = {
        "id": job_id,
        "jobNumber": str(job_id),
        "customerId": plan.customer_id + customer,
        "locationId": plan.location_id + location,
        "jobStatus": status,
        "completedOn": _time(modified) if status == "Completed" else None,
        "businessUnitId": plan.reference_id,
        "jobTypeId": plan.reference_id + 1,
        "campaignId": plan.reference_id + 2,
        "priority": rng.choice(("Low", "Normal", "Normal", "High", "Urgent")),
        "summary": rng.choice(_SUMMARIES),
        "appointmentCount": 1,
        "total": round(rng.uniform(80, 4000), 2),
        "noCharge": False,
        "notificationsEnabled": True,
        "active": True,
        "createdOn": _time(created),
        "modifiedOn": _time(modified),
        "createdById": 1,
    }
    return data, created, modified


_MAKERS = {"crm:customers": _customer, "crm:locations": _location, "jpm:jobs": _job}


def _references(plan: _Plan) -> list[tuple[dict[str, Any], datetime, datetime]]:
    when = ANCHOR - 3 * YEAR
    stamp = _time(when)
    common = {"active": True, "createdOn": stamp, "modifiedOn": stamp}
    return [
        (
            {
                **common,
                "id": plan.reference_id,
                "name": "HVAC - Service",
                "officialName": "Bench Heating & Air, HVAC Service",
                "trade": "HVAC",
                "division": "Residential",
            },
            when,
            when,
        ),
        (
            {
                **common,
                "id": plan.reference_id + 1,
                "name": "Service Call",
                "businessUnitIds": [plan.reference_id],
                "duration": 3600,
                "priority": "Normal",
            },
            when,
            when,
        ),
        (
            {**common, "id": plan.reference_id + 2, "name": "Google Ads", "category": None},
            when,
            when,
        ),
    ]


_catalog_cache: list[Any] = []


def _catalog() -> Any:
    if not _catalog_cache:
        from localtitan.handling.catalog import catalog_for
        from localtitan.spec import load_manifest

        _catalog_cache.append(catalog_for(load_manifest()))
    return _catalog_cache[0]


def _make_batch(batch: _Batch) -> list[Any]:
    """The batch's records, shaped as the server stores them (runs in a worker process)."""
    from localtitan.handling.shaping import fill_record
    from localtitan.store.records import Stored

    catalog = _catalog()
    if batch.kind == "references":
        made = list(zip(REFERENCE_KINDS, _references(batch.plan), strict=True))
    else:
        rng = random.Random(f"{SEED}:{batch.kind}:{batch.start}")
        maker = _MAKERS[batch.kind]
        made = [
            (batch.kind, maker(rng, batch.plan, i))
            for i in range(batch.start, batch.start + batch.count)
        ]
    out = []
    for kind, (data, created, modified) in made:
        shaped = fill_record(catalog.manifest, catalog.collections[kind], data)
        out.append(Stored(kind, data["id"], shaped, created_on=created, modified_on=modified))
    return out


def _batches(plan: _Plan) -> Iterator[_Batch]:
    yield _Batch(plan, "references", 0, len(REFERENCE_KINDS))
    for kind, total in (
        ("crm:customers", plan.scale.customers),
        ("crm:locations", plan.scale.locations),
        ("jpm:jobs", plan.scale.jobs),
    ):
        for start in range(0, total, BATCH):
            yield _Batch(plan, kind, start, min(BATCH, total - start))


# ---------------------------------------------------------------- loading


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=not sys.stderr.isatty(),
    )


class _Stats:
    """What the loader learns from the jobs as they go by."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.jobs_per_customer: Counter[int] = Counter()
        self.job_modified: list[datetime] = []
        self.first_id: int | None = None

    def add(self, items: Sequence[Any]) -> None:
        if self.first_id is None and items:
            self.first_id = items[0].id
        for rec in items:
            self.counts[rec.kind] += 1
            if rec.kind == "jpm:jobs":
                self.jobs_per_customer[rec.data["customerId"]] += 1
                self.job_modified.append(rec.modified_on)


async def _insert(db: Any, tenant_id: int, items: Sequence[Any]) -> None:
    from localtitan.store.records import allocate, put_records

    async with db.begin() as conn:
        alloc = await allocate(conn, ENVIRONMENT, tenant_id, ids=len(items), versions=len(items))
        ids = [rec.id for rec in items]
        if ids != list(range(alloc.first_id, alloc.first_id + len(items))):
            raise RuntimeError(
                f"the tenant's id counter gave {alloc.first_id}, the batch starts at {ids[0]}: "
                "the dataset's tenant must be empty and have no other writer"
            )
        await put_records(conn, ENVIRONMENT, tenant_id, items, first_version=alloc.first_version)


async def _first_id(db: Any, tenant_id: int) -> int:
    from localtitan.store.records import allocate

    async with db.begin() as conn:
        return (await allocate(conn, ENVIRONMENT, tenant_id, ids=0, versions=0)).first_id


async def _load_generated(
    db: Any, tenant_id: int, scale: Scale, stats: _Stats, progress: Progress
) -> None:
    plan = _Plan.starting_at(await _first_id(db, tenant_id), scale)
    task = progress.add_task("generate + insert", total=scale.total, rate="")
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    # Shaping costs about as much as inserting: a second process shapes the next batches
    # while this one inserts (the machine has 2 CPUs). Two batches ahead at most.
    with ProcessPoolExecutor(max_workers=1) as pool:
        pending: list[asyncio.Future[list[Any]]] = []
        batches = _batches(plan)
        for b in batches:
            pending.append(loop.run_in_executor(pool, _make_batch, b))
            if len(pending) < 3:
                continue
            await _insert_one(db, tenant_id, await pending.pop(0), stats, progress, task, started)
        for fut in pending:
            await _insert_one(db, tenant_id, await fut, stats, progress, task, started)


async def _insert_one(
    db: Any,
    tenant_id: int,
    items: list[Any],
    stats: _Stats,
    progress: Progress,
    task: Any,
    started: float,
) -> None:
    await _insert(db, tenant_id, items)
    stats.add(items)
    done = sum(stats.counts.values())
    rate = done / max(time.monotonic() - started, 1e-9)
    progress.update(task, completed=done, rate=f"{rate:,.0f} rec/s")


def _cached_rows(path: Path) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of (kind, id, created_on, modified_on, data) from a cached SQLite dataset."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cur = conn.execute(
            "SELECT kind, id, created_on, modified_on, data FROM records "
            "WHERE environment = ? ORDER BY tenant_id, row_version",
            (ENVIRONMENT,),
        )
        while rows := cur.fetchmany(BATCH):
            yield rows
    finally:
        conn.close()


def _sqlite_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _load_from_cache(
    db: Any, tenant_id: int, scale: Scale, cache_db: Path, stats: _Stats, progress: Progress
) -> None:
    from localtitan.store.records import Stored, decode

    task = progress.add_task("copy from cache", total=scale.total, rate="")
    started = time.monotonic()
    for rows in _cached_rows(cache_db):
        items = [
            Stored(kind, rid, decode(data), created_on=_sqlite_time(c), modified_on=_sqlite_time(m))
            for kind, rid, c, m, data in rows
        ]
        await _insert_one(db, tenant_id, items, stats, progress, task, started)


def _write_key(data_dir: Path, server_key_hex: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "server.key"
    key_file.write_text(server_key_hex)
    key_file.chmod(0o600)


def _replace_dir(work: Path, folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    work.rename(folder)


async def _create_schema(data_dir: Path, database_url: str, server_key_hex: str) -> tuple[Any, int]:
    """Migrate, make signing keys and the quickstart bundle; returns (database, tenant id)."""
    from localtitan.auth.keys import KeyRing
    from localtitan.platform.quickstart import create_quickstart
    from localtitan.platform.server_key import ServerKey
    from localtitan.spec import load_manifest
    from localtitan.store import migrate, open_database

    _write_key(data_dir, server_key_hex)
    server_key = ServerKey(bytes.fromhex(server_key_hex))
    db = open_database(database_url)
    await migrate(db)
    await KeyRing(db, server_key).ensure()
    async with db.begin() as conn:
        data = await create_quickstart(
            conn, server_key, data_dir, f"http://{HOST}:8080", load_manifest().scopes
        )
    return db, int(data["tenantId"])


async def _load(
    data_dir: Path, database_url: str, scale: Scale, server_key_hex: str, cache_db: Path | None
) -> DatasetInfo:
    started = time.monotonic()
    db, tenant_id = await _create_schema(data_dir, database_url, server_key_hex)
    stats = _Stats()
    try:
        with _progress() as progress:
            if cache_db is not None:
                await _load_from_cache(db, tenant_id, scale, cache_db, stats, progress)
            else:
                await _load_generated(db, tenant_id, scale, stats, progress)
        if db.is_sqlite:
            async with db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await db.close()
    expected = {"crm:customers": scale.customers, "crm:locations": scale.locations}
    expected["jpm:jobs"] = scale.jobs
    for kind, n in expected.items():
        if stats.counts[kind] != n:
            raise RuntimeError(f"loaded {stats.counts[kind]} {kind}, expected {n}")
    return _info(scale, tenant_id, stats, time.monotonic() - started, cache_db is not None)


def _info(scale: Scale, tenant_id: int, stats: _Stats, seconds: float, cached: bool) -> DatasetInfo:
    assert stats.first_id is not None
    plan = _Plan.starting_at(stats.first_id, scale)
    per_customer = sorted(stats.jobs_per_customer.items(), key=lambda kv: (kv[1], kv[0]))
    median_jobs = per_customer[len(per_customer) // 2][1]
    # The customer in the middle of the id range among those with the median number of jobs.
    with_median = [c for c, n in per_customer if n == median_jobs]
    modified = sorted(stats.job_modified)
    cut = modified[len(modified) - max(1, len(modified) // 100)]
    cut = cut.replace(minute=0, second=0, microsecond=0)
    matched = sum(1 for m in modified if m >= cut)
    return DatasetInfo(
        version=DATASET_VERSION,
        scale=scale.name,
        tenant_id=tenant_id,
        environment=ENVIRONMENT,
        counts=dict(stats.counts),
        business_unit_id=plan.reference_id,
        job_type_id=plan.reference_id + 1,
        campaign_id=plan.reference_id + 2,
        first_customer_id=plan.customer_id,
        first_location_id=plan.location_id,
        first_job_id=plan.job_id,
        last_id=plan.job_id + scale.jobs - 1,
        filter_customer_id=with_median[len(with_median) // 2],
        filter_customer_jobs=median_jobs,
        modified_1pct=_time(cut),
        modified_1pct_jobs=matched,
        get_job_id=plan.job_id + scale.jobs // 2,
        load_seconds=round(seconds, 1),
        source="sqlite cache" if cached else "generated",
    )


# ---------------------------------------------------------------- SQLite cache


def cache_dir(scale: Scale) -> Path:
    return RESULTS_DIR / f"dataset-{DATASET_VERSION}-{scale.name}"


async def _sqlite_cache(scale: Scale) -> Path:
    """The cached SQLite data dir for ``scale``, loading it first if there is none."""
    folder = cache_dir(scale)
    if (folder / "dataset.json").exists():
        return folder
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=RESULTS_DIR))
    try:
        data_dir = work / "localtitan-data"
        url = f"sqlite+aiosqlite:///{(data_dir / 'localtitan.db').resolve()}"
        print(f"bench: loading the {scale.name} dataset into {_shown(folder)} (once) ...")
        info = await _load(data_dir, url, scale, secrets.token_hex(32), None)
        info.database_bytes = (data_dir / "localtitan.db").stat().st_size
        info.save(work / "dataset.json")
        _replace_dir(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    print(
        f"bench: dataset loaded in {info.load_seconds:.0f} s, "
        f"{(info.database_bytes or 0) / 1e6:,.0f} MB"
    )
    return folder


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- PostgreSQL template


@dataclass
class _PgTemplate:
    admin_dsn: str  # asyncpg DSN of the maintenance database
    server_url: str  # SQLAlchemy URL without the database name
    name: str
    data_dir: Path
    info: DatasetInfo
    copies: int = 0


_templates: dict[tuple[str, str], _PgTemplate] = {}


def _pg_urls(database_url: str) -> tuple[str, str]:
    """(asyncpg DSN of the ``postgres`` database, SQLAlchemy URL prefix ending in ``/``)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"bench: --database-url must be PostgreSQL, not {url.drivername}")
    admin = url.set(drivername="postgresql", database="postgres")
    server = url.set(drivername="postgresql+asyncpg", database="")
    return (
        admin.render_as_string(hide_password=False),
        server.render_as_string(hide_password=False).rstrip("/") + "/",
    )


async def _admin(admin_dsn: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=30)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _checked(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"unsafe database name {name!r}")
    return name


async def _drop_database(admin_dsn: str, name: str) -> None:
    await _admin(admin_dsn, f"DROP DATABASE IF EXISTS {_checked(name)} WITH (FORCE)")


async def _pg_template(cfg: Config, scale: Scale) -> _PgTemplate:
    assert cfg.database_url
    key = (cfg.database_url, scale.name)
    found = _templates.get(key)
    if found is not None:
        return found
    admin_dsn, server_url = _pg_urls(cfg.database_url)
    name = f"localtitan_bench_{secrets.token_hex(4)}_tpl"
    workdir = Path(tempfile.mkdtemp(prefix="bench-pg-dataset-"))
    await _admin(admin_dsn, f"CREATE DATABASE {_checked(name)}")

    async def drop() -> None:
        await _drop_database(admin_dsn, name)
        shutil.rmtree(workdir, ignore_errors=True)

    register_cleanup(drop)
    cached = cache_dir(scale) / "localtitan-data" / "localtitan.db"
    source = cached if cached.exists() else None
    print(
        f"bench: loading the {scale.name} dataset into PostgreSQL database {name} "
        f"({'from the SQLite cache' if source else 'generating it'}) ..."
    )
    key_hex = cfg.server_key or secrets.token_hex(32)
    info = await _load(workdir / "localtitan-data", server_url + name, scale, key_hex, source)
    started = time.monotonic()
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("+asyncpg", "") + name, timeout=30)
    try:
        # What autovacuum does to a table this size soon after the load: statistics for the
        # planner and a visibility map, without which no index-only scan stays index-only.
        await conn.execute("VACUUM (ANALYZE) records")
        info.database_bytes = int(
            await conn.fetchval("SELECT pg_database_size(current_database())")
        )
    finally:
        await conn.close()
    info.notes.append(f"VACUUM (ANALYZE) records after loading: {time.monotonic() - started:.0f} s")
    print(f"bench: PostgreSQL dataset loaded in {info.load_seconds:.0f} s")
    template = _PgTemplate(admin_dsn, server_url, name, workdir / "localtitan-data", info)
    _templates[key] = template
    return template


# ---------------------------------------------------------------- a server on the dataset


@dataclass
class Prepared:
    """A data dir (and database) holding the dataset, ready for one server."""

    data_dir: Path
    database_url: str | None
    info: DatasetInfo


async def prepare(cfg: Config, workdir: Path) -> tuple[Prepared, Callable[[], Awaitable[None]]]:
    """A private copy of the dataset for one benchmark, and the coroutine that removes it."""
    scale = scale_for(cfg)
    data_dir = workdir / "localtitan-data"
    if not cfg.database_url:
        folder = await _sqlite_cache(scale)
        info = DatasetInfo.load(folder / "dataset.json")
        data_dir.mkdir(parents=True)
        for name in ("server.key", "quickstart.json", "localtitan.db"):
            shutil.copyfile(folder / "localtitan-data" / name, data_dir / name)
        (data_dir / "server.key").chmod(0o600)

        async def nothing() -> None:
            return None

        return Prepared(data_dir, None, info), nothing
    tpl = await _pg_template(cfg, scale)
    tpl.copies += 1
    name = _checked(f"{tpl.name[: -len('_tpl')]}_{tpl.copies}")
    await _admin(tpl.admin_dsn, f"CREATE DATABASE {name} TEMPLATE {tpl.name} STRATEGY FILE_COPY")
    shutil.copytree(tpl.data_dir, data_dir)

    async def drop() -> None:
        await _drop_database(tpl.admin_dsn, name)

    return Prepared(data_dir, tpl.server_url + name, tpl.info), drop


@dataclass
class Running:
    """A server on a private copy of the dataset."""

    lt: LocalTitan
    info: DatasetInfo
    database_url: str | None  # None: SQLite at ``sqlite_path``

    @property
    def sqlite_path(self) -> Path:
        return self.lt.data_dir / "localtitan.db"

    @property
    def postgres_dsn(self) -> str | None:
        """The copy's database as an asyncpg DSN (None on SQLite)."""
        if self.database_url is None:
            return None
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextlib.asynccontextmanager
async def dataset_server(
    cfg: Config, workdir: Path, *, extra_args: Sequence[str] = ()
) -> AsyncIterator[Running]:
    """``localtitan serve --rate-limit 0`` on a private copy of the dataset (``extra_args``
    are more ``serve`` flags, such as ``--no-request-log --quiet``).

    The server key comes from the copied data dir (no ``LOCALTITAN_SERVER_KEY``): it is the key
    the dataset's signing keys were encrypted with.
    """
    from localtitan.platform.quickstart import read_quickstart, with_base_url

    prepared, remove = await prepare(cfg, workdir)
    try:
        port = free_port()
        argv = [
            sys.executable,
            "-c",
            "from localtitan.cli import main; main()",
            "serve",
            "--data-dir",
            str(prepared.data_dir),
            "--host",
            HOST,
            "--port",
            str(port),
            "--rate-limit",
            "0",
            *extra_args,
        ]
        if prepared.database_url:
            argv += ["--database-url", prepared.database_url]
        server = Server(
            "localtitan",
            argv,
            port=port,
            log_path=workdir / "localtitan.log",
            cfg=cfg,
            ready_path="/healthz",
        )
        async with server:
            data = read_quickstart(prepared.data_dir)
            assert data is not None
            quickstart = with_base_url(data, server.base_url)
            lt = LocalTitan(server, quickstart, prepared.data_dir)
            yield Running(lt, prepared.info, prepared.database_url)
    finally:
        await remove()


# ---------------------------------------------------------------- command line


async def _main(cfg: Config) -> None:
    from bench._harness import run_cleanups

    try:
        with tempfile.TemporaryDirectory(prefix="bench-dataset-") as tmp:
            prepared, remove = await prepare(cfg, Path(tmp))
            await remove()
        print(json.dumps(asdict(prepared.info), indent=2))
    finally:
        await run_cleanups()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dataset", description=__doc__)
    p.add_argument("--quick", action="store_true", help="the 10x smaller dataset")
    p.add_argument("--database-url", help="load into a throwaway PostgreSQL database instead")
    args = p.parse_args(argv)
    cfg = Config(quick=args.quick, database_url=args.database_url)
    if args.database_url:
        cfg = Config(
            quick=args.quick,
            database_url=args.database_url,
            server_key=os.environ.get("LOCALTITAN_SERVER_KEY") or secrets.token_hex(32),
        )
    asyncio.run(_main(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
