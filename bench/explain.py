"""What the database does for each dataset-benchmark request: the statements one request runs,
the time each took as the application saw it (thread hop included on SQLite), and each
statement's query plan.

    python -m bench.explain [--quick] [--database-url URL] [--repeat 20] [--only NAME] [--profile]

The application runs in this process (``httpx.ASGITransport``, no uvicorn) on a private copy of
the dataset (``bench/dataset.py``); SQLAlchemy's cursor events record every statement. Each
request is sent ``--repeat`` times after one unrecorded warm-up and the medians are printed,
then the plan of each distinct statement: ``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL. This is evidence for the performance notes, not
a benchmark: in-process times leave out HTTP and uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench._harness import Config, run_cleanups
from bench.dataset import FULL, Prepared, prepare, scale_for


@dataclass
class _Statement:
    sql: str
    params: Any
    seconds: float


@dataclass
class _Recorder:
    running: dict[int, float] = field(default_factory=dict)
    statements: list[_Statement] = field(default_factory=list)
    on: bool = False

    def before(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: Any
    ) -> None:
        if self.on:
            self.running[id(cursor)] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: Any) -> None:
        started = self.running.pop(id(cursor), None)
        if self.on and started is not None:
            self.statements.append(_Statement(sql, params, time.perf_counter() - started))


@contextmanager
def _no_server_key_env() -> Iterator[None]:
    """The copied data dir's server.key must decide, as it does for the benchmark servers."""
    saved = os.environ.pop("LOCALTITAN_SERVER_KEY", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["LOCALTITAN_SERVER_KEY"] = saved


def _requests(prepared: Prepared, cfg: Config) -> list[tuple[str, str, str, bytes | None]]:
    info = prepared.info
    deep = 1000 * scale_for(cfg).customers // FULL.customers
    t = info.tenant_id
    customers = f"/api-integration/crm/v2/tenant/{t}/customers"
    jobs = f"/api-integration/jpm/v2/tenant/{t}/jobs"
    address = {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"}
    address["country"] = "USA"
    new_customer = json.dumps(
        {
            "name": "Explain",
            "type": "Residential",
            "address": address,
            "locations": [{"name": "Home", "address": address}],
        }
    ).encode()
    return [
        ("list_page", "GET", f"{customers}?pageSize=50", None),
        ("deep_page warm", "GET", f"{customers}?pageSize=50&page={deep}", None),
        ("write (cold pages)", "POST", customers, new_customer),
        ("deep_page cold", "GET", f"{customers}?pageSize=50&page={deep}", None),
        ("get job", "GET", f"{jobs}/{info.get_job_id}", None),
        ("filter customerId", "GET", f"{jobs}?customerId={info.filter_customer_id}", None),
        (
            "filter modifiedOnOrAfter",
            "GET",
            f"{jobs}?modifiedOnOrAfter={quote(info.modified_1pct)}",
            None,
        ),
        ("export page", "GET", f"/api-integration/jpm/v2/tenant/{t}/export/jobs", None),
        ("create job (writers)", "POST", jobs, _job_body(info)),
    ]


def _job_body(info: Any) -> bytes:
    customer, location = info.customer_location(info.counts["crm:customers"] // 3)
    return json.dumps(
        {
            "customerId": customer,
            "locationId": location,
            "businessUnitId": info.business_unit_id,
            "jobTypeId": info.job_type_id,
            "campaignId": info.campaign_id,
            "priority": "Normal",
            "appointments": [{"start": "2026-12-01T15:00:00Z", "end": "2026-12-01T17:00:00Z"}],
        }
    ).encode()


async def _plan(engine: Any, sql: str, params: Any) -> list[str]:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        if engine.dialect.name == "sqlite":
            cur = await driver.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [str(r[3]) for r in await cur.fetchall()]
        rows = await driver.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *(params or ()))
        return [str(r[0]) for r in rows]


async def _run(cfg: Config, repeat: int, only: str | None, profile: bool) -> None:
    import httpx
    from sqlalchemy import event

    from localtitan.app import create_app
    from localtitan.settings import Settings

    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        prepared, remove = await prepare(cfg, Path(tmp))
        try:
            settings = Settings(
                data_dir=prepared.data_dir, database_url=prepared.database_url, rate_limit=0
            )
            with _no_server_key_env():
                app = create_app(settings)
                await app.startup()
            engine = app.runtime.db.engine
            rec = _Recorder()
            event.listen(engine.sync_engine, "before_cursor_execute", rec.before)
            event.listen(engine.sync_engine, "after_cursor_execute", rec.after)
            qs = json.loads((prepared.data_dir / "quickstart.json").read_text())
            creds = qs["environments"]["integration"]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1", timeout=120
            ) as client:
                r = await client.post(
                    "/auth-integration/connect/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": creds["clientId"],
                        "client_secret": creds["clientSecret"],
                    },
                )
                r.raise_for_status()
                headers = {"Authorization": r.json()["access_token"], "ST-App-Key": qs["appKey"]}
                for name, method, target, body in _requests(prepared, cfg):
                    if only and only not in name:
                        continue
                    await _one(
                        client, rec, engine, name, method, target, body, headers, repeat, profile
                    )
            await app.shutdown()
        finally:
            await remove()


async def _one(
    client: Any,
    rec: _Recorder,
    engine: Any,
    name: str,
    method: str,
    target: str,
    body: bytes | None,
    headers: dict[str, str],
    repeat: int,
    profile: bool,
) -> None:
    cold = name.endswith("cold")
    if cold:
        repeat = 1  # the write before it made it cold; a repeat would be warm
    else:
        await client.request(method, target, content=body, headers=headers)
    totals: list[float] = []
    runs: list[list[_Statement]] = []
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    for _ in range(repeat):
        rec.statements.clear()
        rec.on = True
        started = time.perf_counter()
        r = await client.request(
            method,
            target,
            content=body,
            headers={**headers, "content-type": "application/json"} if body else headers,
        )
        totals.append(time.perf_counter() - started)
        rec.on = False
        if r.status_code != 200:
            print(f"{name}: {r.status_code} {r.text[:200]}")
            return
        runs.append(list(rec.statements))
    if profiler is not None:
        profiler.disable()
    # Runs that made the usual statements (an occasional extra one, such as the client lookup
    # whose cache expires every 5 s, would misalign the per-statement medians).
    usual = Counter(tuple(st.sql for st in run) for run in runs).most_common(1)[0][0]
    same = [run for run in runs if tuple(st.sql for st in run) == usual]
    kept = same[-1]
    per_statement = {i: [run[i].seconds for run in same] for i in range(len(kept))}
    db = sum(statistics.median(v) for v in per_statement.values())
    total = statistics.median(totals)
    print(
        f"\n== {name}: {method} {target.split('/tenant/')[1]} ({len(r.content):,} bytes)\n"
        f"   in-process {total * 1000:.2f} ms median of {repeat}; {len(kept)} statements "
        f"({len(same)} of {len(runs)} runs), "
        f"{db * 1000:.2f} ms in them ({db / total:.0%}), {(total - db) * 1000:.2f} ms in Python"
    )
    seen: set[str] = set()
    for i, s in enumerate(kept):
        sql = " ".join(s.sql.split())
        print(f"   [{i + 1}] {statistics.median(per_statement[i]) * 1000:7.2f} ms  {sql[:150]}")
        if sql.startswith("SELECT") and sql not in seen:
            seen.add(sql)
            for line in await _plan(engine, s.sql, s.params):
                print(f"          plan: {line}")
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(r"localtitan/|aiosqlite/core|msgspec", 25)
        print(
            f"   cProfile of the {repeat} requests (client side included): top 15 by own time, "
            "then localtitan, aiosqlite and msgspec functions by cumulative time"
        )
        lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
        print(
            "\n".join("     " + line[:160] for line in lines if not line.startswith("   Ordered"))
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__)
    p.add_argument("--quick", action="store_true", help="the 10x smaller dataset")
    p.add_argument("--database-url", help="PostgreSQL server to load a throwaway copy into")
    p.add_argument("--repeat", type=int, default=20, help="times each request is timed (1..500)")
    p.add_argument("--only", help="only the requests whose name contains this")
    p.add_argument("--profile", action="store_true", help="cProfile each step, top 25 by own time")
    args = p.parse_args(argv)
    if not 1 <= args.repeat <= 500:
        raise SystemExit("explain: --repeat must be 1..500")
    cfg = Config(quick=args.quick, database_url=args.database_url)
    if args.database_url:
        cfg = replace(cfg, server_key=secrets.token_hex(32))

    async def go() -> None:
        try:
            await _run(cfg, args.repeat, args.only, args.profile)
        finally:
            await run_cleanups()

    asyncio.run(go())
    return 0


if __name__ == "__main__":
    sys.exit(main())
