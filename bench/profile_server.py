"""Where a dataset benchmark's server time goes: run one of its loads against a server on the
dataset and sample the server with py-spy, then print the hottest functions.

    python -m bench.profile_server SCENARIO [--quick] [--database-url URL] [--seconds 20]

Scenarios: ``list_page``, ``deep_cold``, ``filter_customer``, ``filter_modified``, ``export``,
``writers``, ``token_endpoint``, and ``door`` (the door benchmark's 50-record page on a server of
its own, no dataset; request log on as ``serve`` starts, or off with ``--log-off``). py-spy is
not a project dependency: install it next to the project (``.venv/bin/pip install py-spy``) or
pass ``--py-spy PATH``. It attaches to the running
server (``py-spy record --pid``; root or ptrace permission needed) for ``--seconds`` while
the load runs, at 250 samples a second, all threads, idle ones left out, and writes the
collapsed stacks to ``bench/results/profile-<scenario>-<backend>.txt`` (``flamegraph.pl`` or
speedscope.app turn them into a picture). Profiling slows the server: use the benchmarks for
figures, this for where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

from bench._harness import (
    RESULTS_DIR,
    Config,
    HttpLoad,
    HttpRequest,
    fetch_token,
    localtitan_server,
    pin_client,
    run_cleanups,
)
from bench._workloads import ColdPage, Connection, ExportWalk, api_target, auth_headers
from bench.dataset import FULL, Running, dataset_server, scale_for

SCENARIOS = (
    "list_page",
    "deep_cold",
    "filter_customer",
    "filter_modified",
    "export",
    "writers",
    "token_endpoint",
    "door",
)
_WAITS = ("_connection_worker_thread (", "Runner.run (")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


async def _load(
    scenario: str, ds: Running, cfg: Config, seconds: float
) -> Callable[[], Awaitable[object]]:
    """The coroutine factory that drives ``scenario`` for ``seconds``."""
    lt, info = ds.lt, ds.info
    if scenario == "token_endpoint":
        # The benchmark's request (bench/token_endpoint.py): a good client's form.
        creds = lt.env("integration")
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": creds["clientId"],
                "client_secret": creds["clientSecret"],
            }
        ).encode()
        content = (("content-type", "application/x-www-form-urlencoded"),)
        req = HttpRequest("POST", lt.path_of(creds["tokenUrl"]), content, form)
        return lambda: HttpLoad("token", lt.server, req, cfg).measure(seconds)
    if scenario == "door":
        from bench.door import _prepared

        request, _ = await _prepared(lt)
        return lambda: HttpLoad("door", lt.server, request, cfg).measure(seconds)
    token = await fetch_token(lt)
    headers = auth_headers(lt, token)
    customers = api_target(lt, "crm/v2/tenant/{t}/customers")
    jobs = api_target(lt, "jpm/v2/tenant/{t}/jobs")
    if scenario == "list_page":
        req = HttpRequest("GET", f"{customers}?pageSize=50", headers)
        return lambda: HttpLoad("list", lt.server, req, cfg).measure(seconds)
    if scenario in ("filter_customer", "filter_modified"):
        query = (
            f"customerId={info.filter_customer_id}"
            if scenario == "filter_customer"
            else f"modifiedOnOrAfter={quote(info.modified_1pct)}"
        )
        req = HttpRequest("GET", f"{jobs}?{query}", headers)
        return lambda: HttpLoad("filter", lt.server, req, replace(cfg, concurrency=1)).measure(
            seconds
        )
    if scenario == "deep_cold":
        deep = 1000 * scale_for(cfg).customers // FULL.customers
        body = json.dumps({"name": "Profile", "type": "Residential", "address": {}}).encode()
        page = ColdPage(
            "cold", lt, headers, f"{customers}?pageSize=50&page={deep}", customers, body, cfg
        )
        return lambda: page.measure(seconds)
    if scenario == "export":
        expect = info.counts["jpm:jobs"]
        walk = ExportWalk(
            "export",
            lt,
            headers,
            api_target(lt, "jpm/v2/tenant/{t}/export/jobs"),
            cfg,
            expect=expect,
            max_pages=expect // 1000 + 10,
        )
        return lambda: walk.measure(seconds)
    if scenario == "writers":
        from bench.writers import WRITERS, _Phase, _Shared

        shared = _Shared(info, jobs)
        conns = [Connection(lt.server, headers, cfg.grace) for _ in range(WRITERS)]
        return lambda: _Phase("writers", shared, conns, None, lt).measure(seconds)
    raise SystemExit(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")


@contextlib.asynccontextmanager
async def _server(args: argparse.Namespace, cfg: Config, workdir: Path) -> AsyncIterator[Any]:
    """The dataset's server, or for ``door`` a bare one with the door's 50 customers."""
    if args.scenario != "door":
        async with dataset_server(cfg, workdir) as ds:
            yield ds
        return
    from bench.door import LOG_OFF

    extra = LOG_OFF if args.log_off else ()
    async with localtitan_server(cfg, workdir, extra_args=extra) as lt:
        yield SimpleNamespace(lt=lt, info=None)


def _summary(path: Path, top: int) -> str:
    """Threads, hottest leaf functions and hottest localtitan functions of a raw profile."""
    threads: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        names = [_short(f) for f in frames[1:]]
        # py-spy takes these for active, but they are waits: an aiosqlite worker blocked on its
        # queue, and uvloop's run loop in C (epoll, or socket I/O done in C).
        if names and names[-1].startswith(_WAITS):
            waiting[names[-1]] += count
            continue
        total += count
        threads[re.sub(r"\(\d+\)|0x[0-9a-f]+", "", frames[0]).strip()] += count
        if names:
            leaf[names[-1]] += count
        for name in set(names):
            if "localtitan/" in name or "bench/" in name:
                inclusive[name] += count
    if not total:
        return "no samples"
    out = [f"{total:,} busy samples; left out as waits: "]
    out[0] += ", ".join(f"{n:,} {w}" for w, n in waiting.most_common())
    out += ["", "by thread (busy samples):"]
    threads_by_kind: Counter[str] = Counter()
    for t, n in threads.items():
        threads_by_kind[re.sub(r"Thread-\d+", "Thread-N", t)] += n
    out += [f"  {n / total:6.1%}  {t}" for t, n in threads_by_kind.most_common(8)]
    out += ["", f"top {top} functions by own time (leaf frames):"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in leaf.most_common(top)]
    out += ["", f"top {top} localtitan functions by inclusive time:"]
    out += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(out)


def _short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{m.group('func')} ({file})"


async def _main(args: argparse.Namespace, cfg: Config) -> int:
    py_spy = args.py_spy or shutil.which("py-spy")
    if not py_spy:
        print("profile_server: py-spy not found: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    backend = "postgresql" if cfg.database_url else "sqlite"
    scenario = args.scenario + ("-log-off" if args.log_off else "")
    out = RESULTS_DIR / f"profile-{scenario}-{backend}{'-quick' if cfg.quick else ''}.txt"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            async with _server(args, cfg, Path(tmp)) as ds:
                drive = await _load(args.scenario, ds, cfg, args.seconds + 2)
                await drive()  # warm-up, not sampled
                spy = await asyncio.create_subprocess_exec(
                    py_spy,
                    "record",
                    "--pid",
                    str(ds.lt.server.pid),
                    "--duration",
                    str(int(args.seconds)),
                    "--rate",
                    "250",
                    "--threads",
                    *(["--native"] if args.native else []),
                    "--format",
                    "raw",
                    "-o",
                    str(out),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
                started = time.monotonic()
                sample = await drive()
                _, err = await asyncio.wait_for(spy.communicate(), args.seconds + 60)
                if spy.returncode != 0:
                    print(err.decode(errors="replace"), file=sys.stderr)
                    return 1
                print(
                    f"profile_server: {args.scenario} on {backend}, {cfg.concurrency} connections"
                    f" ({time.monotonic() - started:.0f} s): {sample.requests:,} done, "
                    f"{sample.rps:,.1f}/s, p50 {sample.p50_ms or 0:.1f} ms, server CPU "
                    f"{(sample.server_cpu or 0) * 100:.0f}% (profiled, so slower than the "
                    "benchmark)"
                )
    finally:
        await run_cleanups()
    print(f"profile_server: wrote {out}\n")
    print(_summary(out, args.top))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile_server", description=__doc__)
    p.add_argument("scenario", choices=SCENARIOS)
    p.add_argument("--quick", action="store_true", help="the 10x smaller dataset")
    p.add_argument("--database-url", help="PostgreSQL server to load a throwaway copy into")
    p.add_argument("--seconds", type=float, default=20.0, help="how long to sample (max 300)")
    p.add_argument("--concurrency", type=int, default=16, help="connections for list_page")
    p.add_argument("--top", type=int, default=25, help="functions to list")
    p.add_argument("--py-spy", help="path of the py-spy executable")
    p.add_argument("--native", action="store_true", help="sample C frames too (slower)")
    p.add_argument("--log-off", action="store_true", help="door: request and access log off")
    args = p.parse_args(argv)
    if not 1 <= args.seconds <= 300:
        raise SystemExit("profile_server: --seconds must be 1..300")
    cfg = Config(quick=args.quick, concurrency=args.concurrency, database_url=args.database_url)
    if args.database_url:
        cfg = replace(cfg, server_key=secrets.token_hex(32))
    pin_client(cfg)
    return asyncio.run(_main(args, cfg))


if __name__ == "__main__":
    sys.exit(main())
