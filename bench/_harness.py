"""Shared pieces of the benchmarks: servers, load, comparisons, reporting.

House rules, which this module enforces so a benchmark cannot forget them:

* A benchmark reports RATIOS against a baseline measured in the same run, with the same
  client and concurrency; bare times are printed only next to the baseline they divide by.
* Only 127.0.0.1 is a target. Servers are real uvicorn subprocesses on free loopback ports.
* Every loop is bounded in time *and* count and stops by itself; every wait has a deadline.
* Benchmarks are never unit tests: they run through ``python -m bench`` (``scripts/bench``).

The API, in the order a benchmark uses it::

    cfg: Config                                   # durations, rounds, concurrency, client...
    async with localtitan_server(cfg, tmp) as lt: # `localtitan serve --rate-limit 0` + creds
        token = await fetch_token(lt)             # integration token from quickstart.json
        req = HttpRequest("GET", "/path?x=1", (("Authorization", token),))
        real = await capture(lt.server, req)      # the real response, once (status, headers, body)
        async with baseline_server(cfg, real, tmp) as base:   # bare ASGI app replaying `real`
            cmp = await compare("GET /path", HttpLoad("localtitan", lt.server, req, cfg),
                                HttpLoad("bare ASGI", base, req, cfg), cfg)
    return BenchResult(NAME, TITLE, [cmp], notes=[...], facts={...})

``compare`` warms both sides up, then alternates baseline/subject ``cfg.rounds`` times, each
for ``cfg.duration`` seconds, and keeps the medians; ``Comparison`` turns them into ratios
(subject / baseline) for req/s, p50 and p99. Anything with ``name`` and
``async measure(duration) -> Sample`` is a ``Workload``, so a later benchmark can compare two
requests on one server (page 1,000 vs page 1), or an HTTP export against a raw SELECT, with
the same ``compare``. ``print_table`` and ``write_json`` do the reporting for ``__main__``.

To add a benchmark: a module in ``bench/`` with ``NAME``, ``TITLE`` and
``async def run(cfg: Config) -> BenchResult``, listed in ``BENCHMARKS`` in ``bench/__main__.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import httpx

from bench._database_cpu import DatabaseCpu
from bench.baseline import Captured

__all__ = [
    "HOST",
    "RESULTS_DIR",
    "BenchResult",
    "Captured",
    "Comparison",
    "Config",
    "HttpLoad",
    "HttpRequest",
    "LocalTitan",
    "Sample",
    "Server",
    "Workload",
    "baseline_server",
    "capture",
    "compare",
    "fetch_token",
    "free_port",
    "localtitan_server",
    "machine",
    "pin_client",
    "print_table",
    "register_cleanup",
    "run_cleanups",
    "write_json",
]

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    """How long and how hard to measure; shared by every benchmark of one run."""

    duration: float = 5.0  # seconds per measured phase
    warmup: float = 1.0  # seconds per side before the first phase, discarded
    rounds: int = 2  # baseline/subject alternations; the median of each side is kept
    concurrency: int = 16  # keep-alive connections, one request in flight on each
    max_requests: int = 1_000_000  # hard cap per phase, whatever the duration
    client: str = "raw"  # "raw" (asyncio streams) or "httpx"
    pin: bool = True  # client on CPU 0, servers on the other CPUs (Linux, 2+ CPUs)
    database_url: str | None = None  # localtitan's database; SQLite in a temp dir if None
    # Hex server key for localtitan (see __main__): with a shared database, every server of a
    # run must use the key the database's signing keys were encrypted with.
    server_key: str | None = field(default=None, repr=False)
    quick: bool = False
    startup_timeout: float = 60.0  # seconds for a server to answer its first request
    grace: float = 30.0  # seconds a phase may overrun its duration before it is cut off

    @classmethod
    def quick_run(cls, **overrides: Any) -> Config:
        return replace(cls(duration=1.5, warmup=0.5, quick=True), **overrides)


# The CPUs this process may use, read once before pin_client() narrows them to the client's:
# read after, they are the client's alone, and every server would be left on the client's CPU
# (which is what happened from 2026-11-28 to 2026-12-02: every "pinned" run shared one CPU).
_CPUS: tuple[int, ...] = (
    tuple(sorted(os.sched_getaffinity(0))) if hasattr(os, "sched_getaffinity") else ()
)


def _cpu_split() -> tuple[set[int], set[int]] | None:
    """(client CPUs, server CPUs) when pinning is possible, else None."""
    cpus = _CPUS
    if len(cpus) < 2:
        return None
    return {cpus[0]}, set(cpus[1:])


def pin_client(cfg: Config) -> str:
    """Pin this process (the load driver) to one CPU; returns a description for the report."""
    split = _cpu_split() if cfg.pin else None
    if split is None:
        return "not pinned"
    os.sched_setaffinity(0, split[0])
    return f"client on CPU {sorted(split[0])}, servers on CPU {sorted(split[1])}"


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- end-of-run clean-up

_cleanups: list[Callable[[], Awaitable[None]]] = []


def register_cleanup(action: Callable[[], Awaitable[None]]) -> None:
    """Run ``action`` once when the run ends (``__main__`` calls :func:`run_cleanups`), for
    what outlives one benchmark, such as a database several benchmarks copy."""
    _cleanups.append(action)


async def run_cleanups() -> None:
    """Run the registered clean-ups, newest first; a failing one is reported, not raised."""
    while _cleanups:
        action = _cleanups.pop()
        try:
            await asyncio.wait_for(action(), 120)
        except Exception as exc:
            print(f"bench: clean-up failed: {type(exc).__name__}: {exc}", file=sys.stderr)


# ---------------------------------------------------------------- server processes


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without LOCALTITAN_* settings (flags decide), bench importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


class Server:
    """One server subprocess listening on ``127.0.0.1:port``; output goes to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        log_path: Path,
        cfg: Config,
        ready_path: str = "/",
        env: dict[str, str] | None = None,
        hint: str = "",
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.log_path = log_path
        self.cfg = cfg
        self.ready_path = ready_path
        self.env = dict(env or {})
        self.hint = hint
        self._proc: asyncio.subprocess.Process | None = None
        # PostgreSQL: its backends' CPU, reported beside the server's (bench/_database_cpu.py).
        self.database = DatabaseCpu.for_argv(self.argv)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self) -> None:
        log = _open_log(self.log_path)
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_child_env(self.env),
                cwd=REPO,
            )
        finally:
            log.close()
        split = _cpu_split() if self.cfg.pin else None
        if split is not None:
            # Threads the server starts later (aiosqlite's, for one) inherit this.
            with contextlib.suppress(OSError):
                os.sched_setaffinity(self._proc.pid, split[1])
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.cfg.startup_timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc.returncode is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self._proc.returncode} before it was ready:\n"
                        + _log_tail(self.log_path)
                        + (f"\n{self.hint}" if self.hint else "")
                    )
                try:
                    await client.get(self.base_url + self.ready_path)
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise RuntimeError(
            f"{self.name} did not answer within {self.cfg.startup_timeout:.0f} s:\n"
            + _log_tail(self.log_path)
        )

    async def stop(self) -> None:
        if self.database is not None:
            await self.database.close()
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await asyncio.wait_for(proc.wait(), 15)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server has used so far (Linux only): its process and
        the live processes it started (``--workers N``: the supervisor and every worker)."""
        times = self.cpu_times()
        return None if times is None else times[0] + times[1]

    def cpu_times(self) -> tuple[float, float] | None:
        """(user, system) CPU seconds, as :meth:`cpu_seconds` counts them."""
        if self._proc is None:
            return None
        found = False
        user = system = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in _process_tree(self._proc.pid):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            user += int(fields[11]) / tick
            system += int(fields[12]) / tick
            found = True
        return (user, system) if found else None

    def peak_rss_mb(self) -> float | None:
        """The highest peak resident set (VmHWM) of one serving process, in MB: the process
        itself, or with workers (child processes) the largest worker's (Linux only)."""
        if self._proc is None:
            return None
        peaks = [p for p in (_vm_hwm_kb(pid) for pid in self._serving()) if p is not None]
        return max(peaks) / 1024 if peaks else None

    def processes(self) -> int:
        """How many processes serve: 1, or the number of workers."""
        return len(self._serving()) if self._proc is not None else 0

    def _serving(self) -> list[int]:
        """The worker processes (multiprocessing's spawned children), or the server itself."""
        if self._proc is None:
            return []
        workers = [pid for pid in _process_tree(self._proc.pid)[1:] if _is_worker(pid)]
        return workers or [self._proc.pid]

    async def __aenter__(self) -> Server:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants, parents first (Linux ``/proc``; else just ``pid``)."""
    out = [pid]
    i = 0
    while i < len(out) and len(out) < 256:
        try:
            children = Path(f"/proc/{out[i]}/task/{out[i]}/children").read_text().split()
        except OSError:
            children = []
        out.extend(int(c) for c in children)
        i += 1
    return out


def _is_worker(pid: int) -> bool:
    """A uvicorn worker is started by multiprocessing's spawn (not its resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass
class LocalTitan:
    """A running ``localtitan serve`` and the quickstart bundle it wrote on first start."""

    server: Server
    quickstart: dict[str, Any]
    data_dir: Path

    def env(self, environment: str = "integration") -> dict[str, str]:
        """clientId, clientSecret, tokenUrl, apiBaseUrl of one environment."""
        return dict(self.quickstart["environments"][environment])

    @property
    def tenant_id(self) -> int:
        return int(self.quickstart["tenantId"])

    @property
    def app_key(self) -> str:
        return str(self.quickstart["appKey"])

    def path_of(self, url: str) -> str:
        """The path of one of the quickstart URLs, for an :class:`HttpRequest` target."""
        return urlsplit(url).path


@contextlib.asynccontextmanager
async def localtitan_server(
    cfg: Config, workdir: Path, *, extra_args: Sequence[str] = (), name: str = "localtitan"
) -> AsyncIterator[LocalTitan]:
    """``localtitan serve --rate-limit 0`` on a fresh data dir under ``workdir``."""
    data_dir = workdir / f"{name}-data"
    port = free_port()
    argv = [
        sys.executable,
        "-c",
        "from localtitan.cli import main; main()",
        "serve",
        "--data-dir",
        str(data_dir),
        "--host",
        HOST,
        "--port",
        str(port),
        "--rate-limit",
        "0",
        *extra_args,
    ]
    env: dict[str, str] = {}
    hint = ""
    if cfg.database_url:
        argv += ["--database-url", cfg.database_url]
        hint = (
            "With --database-url, use a fresh database per run: its signing keys are encrypted "
            "with the server key that first used it (or set LOCALTITAN_SERVER_KEY to that key)."
        )
    if cfg.server_key:
        env["LOCALTITAN_SERVER_KEY"] = cfg.server_key
    server = Server(
        name,
        argv,
        port=port,
        log_path=workdir / f"{name}.log",
        cfg=cfg,
        ready_path="/healthz",
        env=env,
        hint=hint,
    )
    async with server:
        quickstart = json.loads((data_dir / "quickstart.json").read_text())
        yield LocalTitan(server, quickstart, data_dir)


@contextlib.asynccontextmanager
async def baseline_server(cfg: Config, response: Captured, workdir: Path) -> AsyncIterator[Server]:
    """The bare ASGI app of :mod:`bench.baseline`, replaying ``response`` for every request."""
    port = free_port()
    response_file = workdir / f"baseline-{port}.json"
    response.save(response_file)
    argv = [sys.executable, "-m", "bench.baseline", "--port", str(port)]
    argv += ["--response", str(response_file)]
    async with Server(
        "bare ASGI", argv, port=port, log_path=workdir / f"baseline-{port}.log", cfg=cfg
    ) as server:
        yield server


async def fetch_token(lt: LocalTitan, environment: str = "integration") -> str:
    """One access token by the client-credentials form post, as a client would get it."""
    e = lt.env(environment)
    async with httpx.AsyncClient(timeout=30.0) as client:
        r = await client.post(
            e["tokenUrl"],
            data={
                "grant_type": "client_credentials",
                "client_id": e["clientId"],
                "client_secret": e["clientSecret"],
            },
        )
    if r.status_code != 200:
        raise RuntimeError(f"token request failed: {r.status_code} {r.text[:300]}")
    return str(r.json()["access_token"])


# ---------------------------------------------------------------- requests and load


@dataclass(frozen=True)
class HttpRequest:
    """One request, sent as-is many times: ``target`` is the path with its query string."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1", f"host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"content-length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


async def capture(server: Server, request: HttpRequest) -> Captured:
    """The response ``server`` gives ``request``, through httpx (an independent HTTP client)."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
        r = await client.request(
            request.method, request.target, headers=list(request.headers), content=request.body
        )
    return Captured(r.status_code, tuple(r.headers.multi_items()), r.content)


@dataclass
class Sample:
    """What one measured phase of one workload did."""

    name: str
    requests: int  # completed with the expected status
    errors: int
    elapsed_s: float
    rps: float  # requests / elapsed_s
    p50_ms: float | None
    p99_ms: float | None
    mean_response_bytes: float | None
    server_cpu: float | None  # share of one CPU the server used during the phase
    client_cpu: float  # share of one CPU this (driver) process used during the phase
    error_examples: list[str] = field(default_factory=list)
    # Peak resident set of one serving process (the largest worker's) at the phase's end, MB.
    server_peak_rss_mb: float | None = None
    server_processes: int | None = None
    # Share of one CPU the server's PostgreSQL backends used during the phase (None: SQLite).
    database_cpu: float | None = None
    # The kernel's part of server_cpu (system time: sockets, mostly).
    server_sys_cpu: float | None = None


class Workload(Protocol):
    name: str

    async def measure(self, duration: float) -> Sample: ...


class _Tally:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.ok = 0
        self.errors = 0
        self.body_bytes = 0
        self.latencies: list[float] = []
        self.examples: list[str] = []

    def take(self) -> bool:
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    def fail(self, why: str) -> None:
        self.errors += 1
        if len(self.examples) < 3:
            self.examples.append(why)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Read one HTTP/1.1 response: (status, body bytes, server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length: int | None = None
    chunked = close = False
    for line in head[:-4].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    size = 0
    if chunked:
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if chunk == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            size += len(await reader.readexactly(chunk + 2)) - 2
    elif length is not None:
        if length:
            await reader.readexactly(length)
        size = length
    else:
        size = len(await reader.read())
        close = True
    return status, size, close


_NET_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


async def _raw_worker(
    port: int, payload: bytes, deadline: float, tally: _Tally, expect: int
) -> None:
    writer: asyncio.StreamWriter | None = None
    reader: asyncio.StreamReader | None = None
    failures_in_a_row = 0
    try:
        while time.perf_counter() < deadline and tally.take():
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                t0 = time.perf_counter()
                writer.write(payload)
                status, size, close = await _read_response(reader)
                elapsed = time.perf_counter() - t0
            except _NET_ERRORS as exc:
                tally.fail(f"{type(exc).__name__}: {exc}")
                if writer is not None:
                    writer.close()
                writer = reader = None
                failures_in_a_row += 1
                if failures_in_a_row >= 10:
                    return
                continue
            failures_in_a_row = 0
            if status == expect:
                tally.ok += 1
                tally.latencies.append(elapsed)
                tally.body_bytes += size
            else:
                tally.fail(f"status {status}")
            if close:
                writer.close()
                writer = reader = None
    finally:
        if writer is not None:
            writer.close()


async def _httpx_worker(
    client: httpx.AsyncClient, request: HttpRequest, deadline: float, tally: _Tally, expect: int
) -> None:
    failures_in_a_row = 0
    headers = list(request.headers)
    while time.perf_counter() < deadline and tally.take():
        t0 = time.perf_counter()
        try:
            r = await client.request(
                request.method, request.target, headers=headers, content=request.body or None
            )
        except httpx.TransportError as exc:
            tally.fail(f"{type(exc).__name__}: {exc}")
            failures_in_a_row += 1
            if failures_in_a_row >= 10:
                return
            continue
        elapsed = time.perf_counter() - t0
        failures_in_a_row = 0
        if r.status_code == expect:
            tally.ok += 1
            tally.latencies.append(elapsed)
            tally.body_bytes += len(r.content)
        else:
            tally.fail(f"status {r.status_code}")


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]


class HttpLoad:
    """A workload: ``cfg.concurrency`` keep-alive connections sending ``request`` to a server.

    Each connection has one request in flight (a closed loop); a phase stops at its duration
    or after ``cfg.max_requests`` requests, whichever comes first. Only responses with status
    ``expect`` count as done; the others are errors, reported with the sample.
    """

    def __init__(
        self, name: str, server: Server, request: HttpRequest, cfg: Config, expect: int = 200
    ) -> None:
        self.name = name
        self.server = server
        self.request = request
        self.cfg = cfg
        self.expect = expect
        self._payload = request.encode(f"{HOST}:{server.port}")

    async def measure(self, duration: float) -> Sample:
        tally = _Tally(self.cfg.max_requests)
        database = self.server.database
        db0 = await database.snapshot() if database is not None else None
        cpu0 = self.server.cpu_times()
        client0 = time.process_time()
        start = time.perf_counter()
        deadline = start + duration
        try:
            async with asyncio.timeout(duration + self.cfg.grace):
                if self.cfg.client == "httpx":
                    await self._run_httpx(deadline, tally)
                else:
                    workers = [
                        _raw_worker(self.server.port, self._payload, deadline, tally, self.expect)
                        for _ in range(self.cfg.concurrency)
                    ]
                    await asyncio.gather(*workers)
        except TimeoutError:
            tally.fail(f"phase overran its duration by more than {self.cfg.grace:.0f} s")
        elapsed = time.perf_counter() - start
        cpu1 = self.server.cpu_times()
        client_cpu = (time.process_time() - client0) / elapsed
        db1 = await database.snapshot() if database is not None else None
        db_seconds = DatabaseCpu.spent(db0, db1)
        latencies = sorted(tally.latencies)
        p50 = _percentile(latencies, 0.50)
        p99 = _percentile(latencies, 0.99)
        return Sample(
            name=self.name,
            requests=tally.ok,
            errors=tally.errors,
            elapsed_s=elapsed,
            rps=tally.ok / elapsed,
            p50_ms=None if p50 is None else p50 * 1000,
            p99_ms=None if p99 is None else p99 * 1000,
            mean_response_bytes=tally.body_bytes / tally.ok if tally.ok else None,
            server_cpu=None if cpu0 is None or cpu1 is None else (sum(cpu1) - sum(cpu0)) / elapsed,
            server_sys_cpu=None if cpu0 is None or cpu1 is None else (cpu1[1] - cpu0[1]) / elapsed,
            client_cpu=client_cpu,
            error_examples=tally.examples,
            server_peak_rss_mb=self.server.peak_rss_mb(),
            server_processes=self.server.processes(),
            database_cpu=None if db_seconds is None else db_seconds / elapsed,
        )

    async def _run_httpx(self, deadline: float, tally: _Tally) -> None:
        n = self.cfg.concurrency
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(
            base_url=self.server.base_url, limits=limits, timeout=self.cfg.grace
        ) as client:
            await asyncio.gather(
                *(
                    _httpx_worker(client, self.request, deadline, tally, self.expect)
                    for _ in range(n)
                )
            )


# ---------------------------------------------------------------- comparing


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@dataclass
class Comparison:
    """Samples of a subject and its baseline from one run, and the ratios of their medians.

    Every ratio is subject / baseline: below 1 for req/s means the subject serves fewer
    requests per second; above 1 for a latency means the subject answers more slowly.
    """

    label: str
    subject: list[Sample]
    baseline: list[Sample]
    target: str = "report"

    def median(self, side: str, metric: str) -> float | None:
        samples = self.subject if side == "subject" else self.baseline
        return _median([getattr(s, metric) for s in samples])

    def ratio(self, metric: str) -> float | None:
        return _ratio(self.median("subject", metric), self.median("baseline", metric))

    def peak_rss_mb(self, side: str) -> float | None:
        """The highest peak resident set of one serving process over the side's rounds."""
        samples = self.subject if side == "subject" else self.baseline
        peaks = [s.server_peak_rss_mb for s in samples if s.server_peak_rss_mb is not None]
        return max(peaks) if peaks else None

    def cpu_per_request_us(self, side: str, metric: str = "server_cpu") -> float | None:
        """Server CPU time per request (µs), the median over the rounds: on a busy machine a
        steadier measure than req/s, which also counts the time the server waited for a CPU.
        ``metric="server_sys_cpu"``: the kernel's part of it."""
        samples = self.subject if side == "subject" else self.baseline
        per_request = []
        for s in samples:
            value = getattr(s, metric)
            per_request.append(value / s.rps * 1e6 if value is not None and s.rps else None)
        return _median(per_request)

    def database_cpu_per_request_us(self, side: str) -> float | None:
        """The PostgreSQL backends' CPU time per request (µs), median over the rounds."""
        samples = self.subject if side == "subject" else self.baseline
        return _median(
            [
                s.database_cpu / s.rps * 1e6 if s.database_cpu is not None and s.rps else None
                for s in samples
            ]
        )

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.subject + self.baseline)

    def to_json(self) -> dict[str, Any]:
        metrics = (
            "rps",
            "p50_ms",
            "p99_ms",
            "server_cpu",
            "client_cpu",
            "mean_response_bytes",
            "server_peak_rss_mb",
            "database_cpu",
        )
        return {
            "label": self.label,
            "target": self.target,
            "subject_name": self.subject[0].name if self.subject else None,
            "baseline_name": self.baseline[0].name if self.baseline else None,
            "median": {
                m: {
                    "subject": self.median("subject", m),
                    "baseline": self.median("baseline", m),
                    "ratio": self.ratio(m),
                }
                for m in metrics
            },
            "peak_rss_mb": {
                "subject": self.peak_rss_mb("subject"),
                "baseline": self.peak_rss_mb("baseline"),
            },
            "cpu_per_request_us": {
                "subject": self.cpu_per_request_us("subject"),
                "baseline": self.cpu_per_request_us("baseline"),
                "ratio": _ratio(
                    self.cpu_per_request_us("baseline"), self.cpu_per_request_us("subject")
                ),
            },
            "database_cpu_per_request_us": {
                "subject": self.database_cpu_per_request_us("subject"),
                "baseline": self.database_cpu_per_request_us("baseline"),
            },
            "errors": self.errors,
            "rounds": {
                "subject": [asdict(s) for s in self.subject],
                "baseline": [asdict(s) for s in self.baseline],
            },
        }


async def compare(
    label: str,
    subject: Workload,
    baseline: Workload,
    cfg: Config,
    *,
    target: str = "report",
) -> Comparison:
    """Warm both up, then alternate baseline, subject ``cfg.rounds`` times (same client)."""
    if cfg.warmup > 0:
        await baseline.measure(cfg.warmup)
        await subject.measure(cfg.warmup)
    result = Comparison(label, [], [], target)
    for _ in range(cfg.rounds):
        result.baseline.append(await baseline.measure(cfg.duration))
        result.subject.append(await subject.measure(cfg.duration))
    return result


@dataclass
class BenchResult:
    """What one benchmark found: its comparisons, plus notes and facts for the reader."""

    name: str
    title: str
    comparisons: list[Comparison]
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    # A benchmark that is also a check (``writers``) lists what went wrong here; any entry
    # makes ``python -m bench`` exit non-zero after the results are written.
    failed_checks: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reporting


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _rss(c: Comparison) -> str:
    subject, baseline = c.peak_rss_mb("subject"), c.peak_rss_mb("baseline")
    if subject is None and baseline is None:
        return "-"
    return f"{_fmt(subject)} / {_fmt(baseline)}"


def print_table(results: Sequence[BenchResult], out: IO[str] | None = None) -> None:
    """One row per benchmark and metric: subject, baseline, ratio (subject / baseline)."""
    out = out or sys.stdout
    header = ("benchmark", "metric", "subject", "baseline", "ratio", "peak RSS MB", "target")
    rows: list[tuple[str, ...]] = []
    details: list[str] = []
    for res in results:
        for c in res.comparisons:
            name = res.name if len(res.comparisons) == 1 else f"{res.name}: {c.label}"
            for metric, title, digits in (
                ("rps", "req/s", 0),
                ("p50_ms", "p50 ms", 2),
                ("p99_ms", "p99 ms", 2),
            ):
                rows.append(
                    (
                        name if metric == "rps" else "",
                        title,
                        _fmt(c.median("subject", metric), digits),
                        _fmt(c.median("baseline", metric), digits),
                        _fmt(c.ratio(metric), 3),
                        _rss(c) if metric == "rps" else "",
                        c.target if metric == "rps" else "",
                    )
                )
            details.append(
                f"{name}: {c.label}; subject={c.subject[0].name if c.subject else '-'}, "
                f"baseline={c.baseline[0].name if c.baseline else '-'}; "
                f"server CPU {_pct(c.median('subject', 'server_cpu'))} vs "
                f"{_pct(c.median('baseline', 'server_cpu'))}, client CPU "
                f"{_pct(c.median('subject', 'client_cpu'))} vs "
                f"{_pct(c.median('baseline', 'client_cpu'))}; "
                f"response {_fmt(c.median('subject', 'mean_response_bytes'))} vs "
                f"{_fmt(c.median('baseline', 'mean_response_bytes'))} bytes; "
                f"errors {c.errors}"
            )
            cpu_s, cpu_b = c.cpu_per_request_us("subject"), c.cpu_per_request_us("baseline")
            if cpu_s is not None and cpu_b is not None:
                workers = max((s.server_processes or 1 for s in c.subject), default=1)
                details.append(
                    f"  server CPU per request {cpu_s:,.0f} µs vs {cpu_b:,.0f} µs "
                    f"(baseline / subject {_fmt(_ratio(cpu_b, cpu_s), 3)})"
                    + (f"; subject served by {workers} processes" if workers > 1 else "")
                )
            db_s = c.database_cpu_per_request_us("subject")
            db_b = c.database_cpu_per_request_us("baseline")
            if db_s is not None or db_b is not None:
                details.append(
                    "  PostgreSQL backends' CPU per request (beside the server's, on the same "
                    f"machine's CPUs): {_fmt(db_s)} µs vs "
                    + ("no database" if db_b is None else f"{db_b:,.0f} µs")
                )
            driver = c.median("baseline", "client_cpu")
            if driver is not None and driver >= 0.7:
                details.append(
                    f"  warning: the load driver used {driver * 100:.0f}% of a CPU against the "
                    "baseline; it may be the limit, so the req/s ratio is overstated"
                )
            for s in c.subject + c.baseline:
                if s.errors:
                    details.append(f"  {s.name}: {s.errors} errors, e.g. {s.error_examples}")
        details.extend(f"{res.name}: {note}" for note in res.notes)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out.write(line(header) + "\n")
    out.write(line(["-" * w for w in widths]) + "\n")
    for r in rows:
        out.write(line(r) + "\n")
    out.write(
        "\nratio = subject / baseline, medians of the rounds, same client and run; peak RSS = "
        "the highest VmHWM of one serving process (the largest worker's), subject / baseline.\n"
    )
    for d in details:
        out.write(d + "\n")


def write_json(
    result: BenchResult, cfg: Config, context: dict[str, Any], folder: Path = RESULTS_DIR
) -> Path:
    """Write ``<folder>/<name>.json``: settings, machine, every round and the ratios."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.name}.json"
    data = {
        "name": result.name,
        "title": result.title,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **context,
        "machine": machine(),
        "config": asdict(cfg)
        | {"database_url": "set" if cfg.database_url else None, "server_key": None},
        "comparisons": [c.to_json() for c in result.comparisons],
        "notes": result.notes,
        "facts": result.facts,
        "failed_checks": result.failed_checks,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
