"""``python -m bench [names...] [--quick] [--database-url URL]``: run benchmarks, print ratios.

Each benchmark starts its own servers on free 127.0.0.1 ports, measures a subject against a
baseline in the same run, prints a table and writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shlex
import sys
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import (
    deep_page,
    door,
    export,
    filters,
    get_by_id,
    list_page,
    post_customer,
    seed,
    token_endpoint,
    two_workers,
    writers,
)
from bench._harness import (
    RESULTS_DIR,
    BenchResult,
    Config,
    pin_client,
    print_table,
    run_cleanups,
    write_json,
)

BenchRun = Callable[[Config], Coroutine[Any, Any, BenchResult]]

# name -> (one-line description, run); add new benchmarks here.
BENCHMARKS: dict[str, tuple[str, BenchRun]] = {
    token_endpoint.NAME: (token_endpoint.TITLE, token_endpoint.run),
    door.NAME: (door.TITLE, door.run),
    # Issue 10: one record by id, and a create with one location, each against bare ASGI.
    get_by_id.NAME: (get_by_id.TITLE, get_by_id.run),
    post_customer.NAME: (post_customer.TITLE, post_customer.run),
    # Issue 3: a tenant of 100,000 customers, 200,000 locations, 500,000 jobs (bench/dataset.py).
    list_page.NAME: (list_page.TITLE, list_page.run),
    deep_page.NAME: (deep_page.TITLE, deep_page.run),
    filters.NAME: (filters.TITLE, filters.run),
    export.NAME: (export.TITLE, export.run),
    writers.NAME: (writers.TITLE, writers.run),
    # Issue 10: the same page from two workers against one (PostgreSQL is the case asked).
    two_workers.NAME: (two_workers.TITLE, two_workers.run),
    # Issue 4: seeding a demo company, against a raw bulk insert of the same rows.
    seed.NAME: (seed.TITLE, seed.run),
}


def _resolve(names: list[str]) -> list[str]:
    """Benchmark names in the order given; a unique prefix is enough ("token")."""
    if not names or names == ["all"]:
        return list(BENCHMARKS)
    chosen: list[str] = []
    for name in names:
        hits = [n for n in BENCHMARKS if n == name] or [n for n in BENCHMARKS if n.startswith(name)]
        if len(hits) != 1:
            known = ", ".join(BENCHMARKS)
            what = "ambiguous" if hits else "unknown"
            raise SystemExit(f"bench: {what} benchmark {name!r}; choose from: {known}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def _parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {n:16} {title}" for n, (title, _) in BENCHMARKS.items())
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run localtitan's benchmarks. Each prints ratios (subject / baseline)\n"
        "measured in the same run, over real HTTP on 127.0.0.1.",
        epilog=f"benchmarks:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", help="benchmarks to run (default: all); a prefix will do")
    p.add_argument(
        "--quick", action="store_true", help="1.5 s phases and 0.5 s warm-up (default 5 s and 1 s)"
    )
    p.add_argument(
        "--database-url",
        help="localtitan's database (use a throwaway one); SQLite in a temp dir by default",
    )
    p.add_argument("--duration", type=float, help="seconds per measured phase")
    p.add_argument("--warmup", type=float, help="seconds of warm-up per side")
    p.add_argument("--rounds", type=int, help="baseline/subject alternations (default 2)")
    p.add_argument("--concurrency", type=int, help="keep-alive connections (default 16)")
    p.add_argument(
        "--client",
        choices=("raw", "httpx"),
        help="load driver: raw asyncio HTTP/1.1 (default, cheaper per request) or httpx",
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin client and servers to CPUs")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where to write <name>.json"
    )
    return p


def _config(args: argparse.Namespace) -> Config:
    cfg = Config.quick_run() if args.quick else Config()
    overrides: dict[str, Any] = {
        "duration": args.duration,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "client": args.client,
        "database_url": args.database_url,
    }
    cfg = replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    if args.no_pin:
        cfg = replace(cfg, pin=False)
    if cfg.database_url:
        # One server key for every server of the run, so they can all read the keys the first
        # one stored in the shared database; an existing database needs its own key.
        key = os.environ.get("LOCALTITAN_SERVER_KEY") or secrets.token_hex(32)
        cfg = replace(cfg, server_key=key)
    if cfg.duration <= 0 or cfg.duration > 600 or cfg.warmup < 0 or cfg.warmup > 600:
        raise SystemExit("bench: --duration must be in (0, 600] and --warmup in [0, 600]")
    if not 1 <= cfg.rounds <= 20 or not 1 <= cfg.concurrency <= 1024:
        raise SystemExit("bench: --rounds must be 1..20 and --concurrency 1..1024")
    return cfg


def _loop_factory() -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    try:
        import uvloop
    except ImportError:
        return None, "asyncio"
    return uvloop.new_event_loop, "uvloop"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for name, (title, _) in BENCHMARKS.items():
            print(f"{name:16} {title}")
        return 0
    names = _resolve(args.names)
    cfg = _config(args)
    pinning = pin_client(cfg)
    factory, loop_name = _loop_factory()
    load = _loadavg()
    context: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "bench", *(argv or sys.argv[1:])]),
        "pinning": pinning,
        "client_loop": loop_name,
        "loadavg_1m_at_start": load,
        "source": _source(),
    }
    print(
        f"bench: {', '.join(names)}; {cfg.rounds} rounds x {cfg.duration:g} s per side, "
        f"{cfg.warmup:g} s warm-up, {cfg.concurrency} connections, {cfg.client} client on "
        f"{loop_name}, {pinning}",
        flush=True,
    )
    if load is not None and load > 0.5:
        print(
            f"bench: warning: the machine is busy (1-minute load {load:.2f}); other work shares "
            "the CPUs, so expect noisier ratios",
            flush=True,
        )
    results: list[BenchResult] = []
    failed: list[str] = []
    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            for name in names:
                print(f"bench: running {name} ...", flush=True)
                try:
                    result = runner.run(BENCHMARKS[name][1](cfg))
                except Exception:
                    failed.append(name)
                    traceback.print_exc()
                    continue
                results.append(result)
                context["loadavg_1m_at_end"] = _loadavg()
                path = write_json(result, cfg, context, args.results_dir)
                print(f"bench: {name} done, wrote {_shown(path)}", flush=True)
                for problem in result.failed_checks:
                    print(f"bench: {name}: CHECK FAILED: {problem}", file=sys.stderr)
                if result.failed_checks:
                    failed.append(name)
        finally:
            # Databases shared by several benchmarks of the run (bench/dataset.py) go here.
            runner.run(run_cleanups())
    if results:
        print()
        print_table(results)
    if failed:
        print(f"\nbench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _source() -> dict[str, Any] | None:
    """The commit measured and whether src/ had uncommitted changes (read-only git calls)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "src_changed": bool(dirty.stdout.strip())}


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
