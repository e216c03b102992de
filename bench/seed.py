"""Seeding throughput: ``seed_tenant`` (generation with Faker, shaping and bulk writing) in
records per second, against a raw bulk insert of the very same rows into the same schema.

Runs in-process on SQLite (no server): each round seeds a fresh tenant in a fresh data dir,
reads the rows it wrote back, then times ``executemany`` of those rows, in batches of 4,000
and one transaction, into a fresh database with the same table and indexes and the same
pragmas (page size included). The ratio is seed records/s over raw records/s (target at least 0.5).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._harness import BenchResult, Comparison, Config, Sample

NAME = "seed"
TITLE = "localtitan seed (generate + write) vs a raw bulk insert of the same rows (SQLite)"
TENANT = 5_000_001
_BATCH = 4_000


def _sample(name: str, records: int, seconds: float, cpu: float) -> Sample:
    return Sample(
        name=name,
        requests=records,
        errors=0,
        elapsed_s=seconds,
        rps=records / seconds if seconds else 0.0,
        p50_ms=None,
        p99_ms=None,
        mean_response_bytes=None,
        # No load driver here: the measured work runs in this process (a seed's generator
        # processes are not counted), so its CPU share is reported as the server's.
        server_cpu=cpu / seconds if seconds else None,
        client_cpu=0.0,
    )


async def _seed(workdir: Path, customers: int) -> tuple[Sample, Path]:
    from localtitan.demo.seed import seed_tenant
    from localtitan.platform.tenants import create_tenant
    from localtitan.runtime import Runtime
    from localtitan.settings import Settings

    runtime = Runtime(Settings(data_dir=workdir, rate_limit=0, seed_demo=False))
    await runtime.start()
    try:
        async with runtime.db.begin() as conn:
            await create_tenant(conn, name="Bench Seed Co", tenant_id=TENANT)
        wall, cpu = time.perf_counter(), time.process_time()
        result = await seed_tenant(
            runtime.db,
            runtime.manifest,
            environment="integration",
            tenant_id=TENANT,
            customers=customers,
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await runtime.close()
    return _sample("seed", result.records, wall, cpu), workdir / "localtitan.db"


def _raw_insert(source: Path, target: Path) -> Sample:
    src = sqlite3.connect(source)
    schema = [
        sql
        for (sql,) in src.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND sql IS NOT NULL "
            "ORDER BY type DESC"
        )
    ]
    columns = [row[1] for row in src.execute("PRAGMA table_info(records)")]
    # Column names come from the table's own definition, not from input.
    select_rows = f"SELECT {', '.join(columns)} FROM records WHERE tenant_id = ?"  # noqa: S608
    rows: list[tuple[Any, ...]] = src.execute(select_rows, (TENANT,)).fetchall()
    (page_size,) = src.execute("PRAGMA page_size").fetchone()
    src.close()
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute(f"PRAGMA page_size={int(page_size)}")  # before WAL, as localtitan does
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        dst.execute(sql)
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    insert = f"INSERT INTO records ({names}) VALUES ({marks})"  # noqa: S608
    wall, cpu = time.perf_counter(), time.process_time()
    dst.execute("BEGIN IMMEDIATE")
    for start in range(0, len(rows), _BATCH):
        dst.executemany(insert, rows[start : start + _BATCH])
    dst.execute("COMMIT")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dst.close()
    return _sample("raw insert", len(rows), wall, cpu)


def _file_bytes(db_file: Path) -> int:
    """The database's size with its write-ahead log, as the seed left them."""
    return sum(p.stat().st_size for p in db_file.parent.glob(db_file.name + "*"))


async def run(cfg: Config) -> BenchResult:
    if cfg.database_url:
        raise SystemExit("The seed benchmark runs on SQLite only (in-process).")
    customers = 300 if cfg.quick else 3_000
    # The harness pins this process to one CPU for the HTTP load driver; a seed, like
    # `localtitan seed`, spreads generation over worker processes, which inherit the pin.
    # Both sides get every CPU (the raw insert is one thread and uses one).
    with _all_cpus() as cpus:
        result = await _measure(cfg, customers)
    result.notes.append(f"both sides ran on CPUs {cpus} (not pinned)")
    return result


@contextlib.contextmanager
def _all_cpus() -> Iterator[list[int]]:
    if not hasattr(os, "sched_setaffinity"):
        yield []
        return
    before = os.sched_getaffinity(0)
    every = set(range(os.cpu_count() or 1))
    os.sched_setaffinity(0, every)
    try:
        yield sorted(every)
    finally:
        os.sched_setaffinity(0, before)


async def _measure(cfg: Config, customers: int) -> BenchResult:
    seeds: list[Sample] = []
    raws: list[Sample] = []
    db_bytes = 0
    for round_no in range(cfg.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
            work = Path(tmp)
            seeded, db_file = await _seed(work / "data", customers)
            db_bytes = _file_bytes(db_file)
            raws.append(_raw_insert(db_file, work / f"raw-{round_no}.db"))
            seeds.append(seeded)
    comparison = Comparison(
        "seed: records/s vs raw executemany of the same rows", seeds, raws, target=">= 0.5"
    )
    result = BenchResult(NAME, TITLE, [comparison])
    result.facts.update(
        {
            "customers": customers,
            "records": seeds[-1].requests,
            "rounds": cfg.rounds,
            "database_bytes": db_bytes,
            "bytes_per_record": round(db_bytes / max(seeds[-1].requests, 1)),
        }
    )
    result.notes.append(
        f"{customers:,} customers, {seeds[-1].requests:,} records a round, "
        f"{db_bytes / 1e6:,.0f} MB on disk ({db_bytes / max(seeds[-1].requests, 1):,.0f} bytes "
        "a record); the ratio includes "
        "generating the records with Faker (in worker processes, as `localtitan seed` does)"
    )
    return result
