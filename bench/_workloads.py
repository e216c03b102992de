"""Pieces the dataset benchmarks (``list_page`` ... ``writers``) share: a keep-alive HTTP client
that returns bodies, the workloads that need one (a page read right after a write, a full
export walk, the raw SELECT it is compared with), and reading a process's memory.

Everything here follows ``bench/_harness.py``: 127.0.0.1 only, every loop bounded in time and
count, every wait under a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from bench._harness import HOST, Config, HttpRequest, LocalTitan, Sample, Server

__all__ = [
    "ColdPage",
    "Connection",
    "ExportWalk",
    "Memory",
    "RawSelect",
    "api_target",
    "auth_headers",
    "latency_sample",
    "memory_of",
    "reset_peak",
]

_NET_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


def auth_headers(lt: LocalTitan, token: str) -> tuple[tuple[str, str], ...]:
    return (("Authorization", token), ("ST-App-Key", lt.app_key))


def api_target(lt: LocalTitan, rest: str) -> str:
    """``/api-integration/<rest>`` with ``{t}`` replaced by the tenant id."""
    base = lt.path_of(lt.env()["apiBaseUrl"])
    return f"{base}/{rest.lstrip('/')}".replace("{t}", str(lt.tenant_id))


class Connection:
    """One keep-alive HTTP/1.1 connection; :meth:`request` returns (status, body)."""

    def __init__(self, server: Server, headers: Sequence[tuple[str, str]], timeout: float) -> None:
        self.server = server
        self.headers = tuple(headers)
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, body: bytes = b"", content_type: str | None = None
    ) -> tuple[int, bytes]:
        headers = self.headers + ((("content-type", content_type),) if content_type else ())
        payload = HttpRequest(method, target, headers, body).encode(f"{HOST}:{self.server.port}")
        async with asyncio.timeout(self.timeout):
            for attempt in (1, 2):
                try:
                    if self._writer is None:
                        self._reader, self._writer = await asyncio.open_connection(
                            HOST, self.server.port, limit=1 << 20
                        )
                    assert self._reader is not None
                    self._writer.write(payload)
                    status, data, close = await _read(self._reader)
                except _NET_ERRORS:
                    # A keep-alive connection the server closed: reconnect once.
                    await self.close()
                    if attempt == 2:
                        raise
                    continue
                if close:
                    await self.close()
                return status, data
        raise AssertionError("unreachable")

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(*_NET_ERRORS):
                await writer.wait_closed()


async def _read(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
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
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            parts.append((await reader.readexactly(size + 2))[:-2])
        return status, b"".join(parts), close
    if length is not None:
        return status, await reader.readexactly(length) if length else b"", close
    return status, await reader.read(), True


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def latency_sample(
    name: str,
    latencies: Sequence[float],
    errors: list[str],
    elapsed: float,
    *,
    count: int | None = None,
    server: Server | None = None,
    cpu0: float | None = None,
    client0: float = 0.0,
    response_bytes: float | None = None,
) -> Sample:
    """A :class:`Sample` from per-request latencies (seconds); ``count`` overrides the unit
    (records rather than requests) that ``rps`` counts."""
    done = len(latencies) if count is None else count
    cpu1 = server.cpu_seconds() if server is not None else None
    p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
    return Sample(
        name=name,
        requests=done,
        errors=len(errors),
        elapsed_s=elapsed,
        rps=done / elapsed if elapsed > 0 else 0.0,
        p50_ms=None if p50 is None else p50 * 1000,
        p99_ms=None if p99 is None else p99 * 1000,
        mean_response_bytes=response_bytes,
        server_cpu=None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) / elapsed,
        client_cpu=(time.process_time() - client0) / elapsed if elapsed > 0 else 0.0,
        error_examples=errors[:3],
    )


# ---------------------------------------------------------------- a page right after a write


class ColdPage:
    """Each step writes one record through the API (which moves the tenant's row version, so
    no cached page start is valid), then times one GET of ``target``; only the GET counts."""

    def __init__(
        self,
        name: str,
        lt: LocalTitan,
        headers: Sequence[tuple[str, str]],
        target: str,
        write_target: str,
        write_body: bytes,
        cfg: Config,
        max_steps: int = 500,
    ) -> None:
        self.name = name
        self.server = lt.server
        self.conn = Connection(lt.server, headers, cfg.grace)
        self.target = target
        self.write_target = write_target
        self.write_body = write_body
        self.max_steps = max_steps
        self.writes = 0

    async def measure(self, duration: float) -> Sample:
        latencies: list[float] = []
        errors: list[str] = []
        sizes: list[int] = []
        cpu0 = self.server.cpu_seconds()
        client0 = time.process_time()
        start = time.perf_counter()
        deadline = start + duration
        steps = 0
        while time.perf_counter() < deadline and steps < self.max_steps:
            steps += 1
            status, body = await self.conn.request(
                "POST", self.write_target, self.write_body, "application/json"
            )
            if status != 200:
                errors.append(f"write: status {status} {body[:200]!r}")
                continue
            self.writes += 1
            t0 = time.perf_counter()
            status, body = await self.conn.request("GET", self.target)
            elapsed = time.perf_counter() - t0
            if status == 200:
                latencies.append(elapsed)
                sizes.append(len(body))
            else:
                errors.append(f"read: status {status} {body[:200]!r}")
        return latency_sample(
            self.name,
            latencies,
            errors,
            time.perf_counter() - start,
            server=self.server,
            cpu0=cpu0,
            client0=client0,
            response_bytes=statistics.fmean(sizes) if sizes else None,
        )


# ---------------------------------------------------------------- process memory


@dataclass
class Memory:
    rss_kb: int
    hwm_kb: int


def memory_of(pid: int) -> Memory | None:
    """VmRSS and VmHWM (peak) of a process, from /proc (Linux)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    if len(values) != 2:
        return None
    return Memory(values["VmRSS"], values["VmHWM"])


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (``clear_refs`` 5; needs permission)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- export walk and raw SELECT


class _Page(msgspec.Struct):
    hasMore: bool
    continueFrom: str
    data: list[Any]


# The page is decoded once, as a client would: every record is decoded once, as the raw SELECT
# baseline decodes each of its rows once, with the same decoder. (This walk used to split the
# page into raw records and then decode each: two parses of every record.) Both sides decode
# with the cyclic GC paused: a page decoded at once is 1,000 live records, about 100,000
# containers, and the collections their allocation sets off walk them over and over, which
# made the page's decode 2-2.5x the cost of decoding its records one by one (10-14 ms against
# 4.4-5.7 ms a page, busy machine), a cost of CPython's collector, not of the feed. The
# decoded page is dropped (freed by reference counting) before the GC runs again.
_page_decoder = msgspec.json.Decoder(_Page)
_record_decoder = msgspec.json.Decoder()


def _decoded(body: bytes) -> tuple[bool, str, int]:
    """(hasMore, continueFrom, records) of an export page, every record decoded once."""
    gc.disable()
    try:
        page = _page_decoder.decode(body)
        facts = page.hasMore, page.continueFrom, len(page.data)
        del page
        return facts
    finally:
        gc.enable()


def _decode_rows(rows: Sequence[Sequence[Any]]) -> None:
    """Each row's JSON decoded once (and dropped), with the GC paused as :func:`_decoded`."""
    decode = _record_decoder.decode
    gc.disable()
    try:
        for row in rows:
            decode(row[0])
    finally:
        gc.enable()


@dataclass
class WalkFacts:
    records: int = 0
    pages: int = 0
    complete: bool = False
    rss_before_kb: int | None = None
    hwm_after_kb: int | None = None
    rss_after_kb: int | None = None
    peak_reset: bool = False

    @property
    def peak_growth_mb(self) -> float | None:
        if self.rss_before_kb is None or self.hwm_after_kb is None:
            return None
        return (self.hwm_after_kb - self.rss_before_kb) / 1024


class ExportWalk:
    """A client exporting a whole collection: ``GET export/<x>``, then ``from=continueFrom``
    until ``hasMore`` is false, decoding each page once (msgspec: each record once). ``rps`` in
    its samples counts records; p50/p99 are per page (request sent to body read). The server's
    memory is read around each walk."""

    def __init__(
        self,
        name: str,
        lt: LocalTitan,
        headers: Sequence[tuple[str, str]],
        target: str,
        cfg: Config,
        *,
        expect: int,
        max_pages: int,
    ) -> None:
        self.name = name
        self.server = lt.server
        self.conn = Connection(lt.server, headers, cfg.grace)
        self.target = target
        self.expect = expect
        self.max_pages = max_pages
        self.walks: list[WalkFacts] = []

    async def measure(self, duration: float) -> Sample:
        facts = WalkFacts()
        pid = self.server.pid
        if pid is not None:
            facts.peak_reset = reset_peak(pid)
            before = memory_of(pid)
            facts.rss_before_kb = before.rss_kb if before else None
        latencies: list[float] = []
        errors: list[str] = []
        size = 0
        cpu0 = self.server.cpu_seconds()
        client0 = time.process_time()
        start = time.perf_counter()
        deadline = start + duration
        token: str | None = None
        while time.perf_counter() < deadline and facts.pages < self.max_pages:
            sep = "&" if "?" in self.target else "?"
            target = self.target if token is None else f"{self.target}{sep}from={token}"
            t0 = time.perf_counter()
            status, body = await self.conn.request("GET", target)
            if status != 200:
                errors.append(f"status {status} {body[:200]!r}")
                break
            latencies.append(time.perf_counter() - t0)
            more, token, records = _decoded(body)
            size += len(body)
            facts.pages += 1
            facts.records += records
            if not more:
                facts.complete = True
                break
        elapsed = time.perf_counter() - start
        if pid is not None:
            after = memory_of(pid)
            if after:
                facts.hwm_after_kb, facts.rss_after_kb = after.hwm_kb, after.rss_kb
        if facts.complete and facts.records != self.expect:
            errors.append(f"exported {facts.records:,} records, expected {self.expect:,}")
        self.walks.append(facts)
        return latency_sample(
            self.name,
            latencies,
            errors,
            elapsed,
            count=facts.records,
            server=self.server,
            cpu0=cpu0,
            client0=client0,
            response_bytes=size / facts.pages if facts.pages else None,
        )


class RawSelect:
    """The export's rows read straight from the database by this process:
    ``SELECT data FROM records WHERE environment=? AND tenant_id=? AND kind=?
    ORDER BY row_version``, each row decoded with msgspec. ``rps`` counts records."""

    SQL = (
        "SELECT data FROM records WHERE environment = {p1} AND tenant_id = {p2} "
        "AND kind = {p3} ORDER BY row_version"
    )

    def __init__(
        self,
        name: str,
        *,
        sqlite_path: Path | None,
        pg_dsn: str | None,
        environment: str,
        tenant_id: int,
        kind: str,
        expect: int,
    ) -> None:
        self.name = name
        self.sqlite_path = sqlite_path
        self.pg_dsn = pg_dsn
        self.args = (environment, tenant_id, kind)
        self.expect = expect
        self.batch = 1000

    async def measure(self, duration: float) -> Sample:
        client0 = time.process_time()
        start = time.perf_counter()
        if self.pg_dsn is not None:
            records, complete = await self._postgres(start + duration)
        else:
            records, complete = await asyncio.to_thread(self._sqlite, start + duration)
        elapsed = time.perf_counter() - start
        errors = []
        if complete and records != self.expect:
            errors.append(f"read {records:,} records, expected {self.expect:,}")
        return latency_sample(self.name, [], errors, elapsed, count=records, client0=client0)

    def _sqlite(self, deadline: float) -> tuple[int, bool]:
        import sqlite3

        conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)
        try:
            cur = conn.execute(self.SQL.format(p1="?", p2="?", p3="?"), self.args)
            n = 0
            while rows := cur.fetchmany(self.batch):
                _decode_rows(rows)
                n += len(rows)
                if time.perf_counter() > deadline:
                    return n, False
            return n, True
        finally:
            conn.close()

    async def _postgres(self, deadline: float) -> tuple[int, bool]:
        import asyncpg

        conn = await asyncpg.connect(self.pg_dsn, timeout=30)
        try:
            n = 0
            async with conn.transaction():
                cur = await conn.cursor(self.SQL.format(p1="$1", p2="$2", p3="$3"), *self.args)
                while rows := await cur.fetch(self.batch):
                    _decode_rows(rows)
                    n += len(rows)
                    if time.perf_counter() > deadline:
                        return n, False
            return n, True
        finally:
            await conn.close()
