"""The ceiling: the least an ASGI app can do to serve the real server's customers page and get.

A bare ASGI app (no framework) that does the work the request needs and nothing else: reads
``Authorization`` and ``ST-App-Key`` in one pass over the headers, checks the token in a
verified-token cache (filled once at start, keyed like the server's by the token's last 64
characters, the whole token compared on a hit, expiry and environment checked), compares the
app key, checks the tenant in the path and the operation's scope, runs the server's own
statement (imported from the store, so both do the same database work) with the standard
library's ``sqlite3`` on the event loop's thread or on asyncpg connections it keeps, and joins
the stored JSON into the envelope. uvicorn runs it with the baseline's settings
(:mod:`bench.baseline`), so ``ceiling / bare`` is what the database work and the checks cost,
and ``localtitan / ceiling`` what the server spends beyond them. A benchmark checks that the
ceiling's response equals the server's (status, headers, body) before measuring it.

Only the two requests of ``list_page`` and ``get_by_id`` are served: page 1 of
``/crm/v2/tenant/{t}/customers`` without a total, and ``/crm/v2/tenant/{t}/customers/{id}``.

Run by the benchmarks as ``python -m bench.ceiling --port P --config FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import sqlite3
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jwt

from bench._database_cpu import DatabaseCpu
from bench._harness import (
    Comparison,
    Config,
    LocalTitan,
    Server,
    Workload,
    free_port,
)
from localtitan.auth.tokens import _same_token_bytes  # the server's own check, as bytes
from localtitan.store.list_pages import _limited, _statements
from localtitan.store.record_reads import _BY_ID

__all__ = ["CeilingSettings", "ceiling_server", "compare_with_ceiling", "main"]

_KIND = "crm:customers"
_COLLECTION = "/crm/v2/tenant/"
_TAIL = 64  # the server's verified-token key: the token's last characters
# As many as the server's pool may open (store/drivers.py, _POOL_SIZE): with fewer, the
# ceiling's PostgreSQL reads wait for a connection where the server's do not.
_PG_CONNECTIONS = 8
_JSON_HEADERS = [(b"content-type", b"application/json")]
_FIRST_PAGE = _statements(False, False).first_page
_FIRST_JOINED = _statements(False, False).first_joined
_HEAD = b'{"hasMore":%s,"page":1,"pageSize":%d,"totalCount":null,"data":['


@dataclass(frozen=True)
class CeilingSettings:
    """What the ceiling needs to know; written to a file the ceiling's process reads."""

    token: str
    app_key: str
    environment: str  # "integration"
    prefix: str  # "/api-integration"
    list_scope: str
    get_scope: str
    sqlite_path: str | None = None
    postgres_dsn: str | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))

    @classmethod
    def load(cls, path: Path) -> CeilingSettings:
        return cls(**json.loads(path.read_text()))


class _Token:
    __slots__ = ("environment", "expires_at", "raw", "scopes", "tenant")

    def __init__(self, raw: str) -> None:
        # The server verified it (it issued it); the cache holds what verifying it gave.
        claims = jwt.decode(raw, options={"verify_signature": False})
        self.raw = raw.encode()
        self.tenant = str(claims["tenant"])
        self.scopes = frozenset(claims["scope"])
        self.expires_at = float(claims["exp"])
        self.environment = str(claims["environment"])


class _SqliteDb:
    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(
            f"file:{path}?mode=rw", uri=True, isolation_level=None, check_same_thread=False
        )
        self._conn.text_factory = bytes
        self._conn.execute("PRAGMA query_only=1")

    async def rows(self, sql: Any, args: Sequence[Any]) -> list[Any]:
        return self._conn.execute(sql.qmark, args).fetchall()

    async def close(self) -> None:
        self._conn.close()


class _PostgresDb:
    """A few asyncpg connections, text as bytes like the server's pool, one statement each."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._free: list[Any] = []
        self._all: list[Any] = []
        self._waiting: deque[asyncio.Future[Any]] = deque()

    async def open(self) -> None:
        import asyncpg

        for _ in range(_PG_CONNECTIONS):
            conn = await asyncpg.connect(self._dsn, statement_cache_size=512)
            await conn.set_type_codec(
                "text", schema="pg_catalog", encoder=str.encode, decoder=bytes, format="binary"
            )
            self._all.append(conn)
        self._free = list(self._all)

    async def rows(self, sql: Any, args: Sequence[Any]) -> list[Any]:
        if self._free:
            conn = self._free.pop()
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            conn = await waiter
        try:
            return list(await conn.fetch(sql.numbered, *args))
        finally:
            while self._waiting:
                waiter = self._waiting.popleft()
                if not waiter.done():
                    waiter.set_result(conn)
                    break
            else:
                self._free.append(conn)

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()


class CeilingApp:
    """The ASGI app; see the module's docstring."""

    def __init__(self, settings: CeilingSettings) -> None:
        self.s = settings
        self._api = settings.prefix + _COLLECTION
        token = _Token(settings.token)
        self._tokens = {token.raw[-_TAIL:]: token}
        self._app_key = settings.app_key.encode()
        self._db: Any = None
        self._joined = bool(settings.sqlite_path)

    async def _start(self) -> None:
        if self.s.sqlite_path:
            self._db = _SqliteDb(self.s.sqlite_path)
        else:
            assert self.s.postgres_dsn
            self._db = _PostgresDb(self.s.postgres_dsn)
            await self._db.open()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self._db.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, body = await self._answer(scope)
        headers = [*_JSON_HEADERS, (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: dict[str, Any]) -> tuple[int, bytes]:
        authorization = app_key = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                authorization = value
            elif key == b"st-app-key":
                app_key = value
        if not authorization:
            return 401, b'{"status":401}'
        # As the server's door: the token found and compared as the header's bytes.
        raw = authorization.strip()
        if raw[:7].lower() == b"bearer ":
            raw = raw[7:].strip()
        token = self._tokens.get(raw[-_TAIL:])
        if token is None or not _same_token_bytes(token.raw, raw):
            return 401, b'{"status":401}'
        if token.environment != self.s.environment or token.expires_at < time.time():
            return 401, b'{"status":401}'
        if app_key is None or not hmac.compare_digest(app_key, self._app_key):
            return 403, b'{"status":403}'
        path: str = scope["path"]
        if scope["method"] != "GET" or not path.startswith(self._api):
            return 404, b'{"status":404}'
        parts = path[len(self._api) :].split("/")
        if parts[0] != token.tenant:
            return 403, b'{"status":403}'
        tenant = int(parts[0])
        if len(parts) == 2 and parts[1] == "customers":
            if self.s.list_scope not in token.scopes:
                return 403, b'{"status":403}'
            return await self._page(tenant, scope.get("query_string", b""))
        if len(parts) == 3 and parts[1] == "customers" and parts[2].isdigit():
            if self.s.get_scope not in token.scopes:
                return 403, b'{"status":403}'
            return await self._get(tenant, int(parts[2]))
        return 404, b'{"status":404}'

    async def _page(self, tenant: int, query_string: bytes) -> tuple[int, bytes]:
        query = dict(parse_qsl(query_string.decode("latin-1")))
        size = int(query.get("pageSize", 50))
        if query.get("page", "1") != "1" or not 1 <= size <= 5000 or "includeTotal" in query:
            return 400, b'{"status":400}'
        env = self.s.environment
        where = (env, tenant, _KIND, False)
        if self._joined:
            # The server's SQLite statement: the page joined in one row (store/list_pages.py).
            found = await self._db.rows(_FIRST_JOINED, (env, tenant, _KIND, *where, size + 1))
            _, count, _, last_length, data = found[0]
            head = _HEAD % (b"true" if count > size else b"false", size)
            page = data or b""
            if count > size:
                page = memoryview(data)[: len(data) - last_length - 1]
            return 200, b"".join((head, page, b"]}"))
        # The server's PostgreSQL statement: the limit written in its text (a reusable plan).
        rows = await self._db.rows(_limited(_FIRST_PAGE, size + 1), (env, tenant, _KIND, *where))
        head = _HEAD % (b"true" if len(rows) > size else b"false", size)
        items = [row[1] for row in rows[:size]]
        if not items:
            return 200, head + b"]}"
        # The page's bytes copied once, as the server's envelope does (engine/generic.py).
        return 200, b",".join([head + items[0], *items[1:-1], items[-1] + b"]}"])

    async def _get(self, tenant: int, record_id: int) -> tuple[int, bytes]:
        env = self.s.environment
        rows = await self._db.rows(_BY_ID, (env, tenant, _KIND, False, record_id))
        if not rows:
            return 404, b'{"status":404}'
        return 200, bytes(rows[0][2])


# ---------------------------------------------------------------- for the benchmarks


def _scopes() -> tuple[str, str]:
    """The scopes the server asks for the list and the get (from its manifest)."""
    from localtitan.spec import load_manifest, router_for

    router = router_for(load_manifest())
    found = [
        router.match("GET", p) for p in (f"{_COLLECTION}1/customers", f"{_COLLECTION}1/customers/2")
    ]
    assert found[0] is not None and found[1] is not None
    return found[0].operation.scope, found[1].operation.scope


@contextlib.asynccontextmanager
async def ceiling_server(
    cfg: Config,
    lt: LocalTitan,
    token: str,
    workdir: Path,
    *,
    sqlite_path: Path | None = None,
    postgres_dsn: str | None = None,
) -> AsyncIterator[Server]:
    """The ceiling app on the database the server ``lt`` reads (its SQLite file, or the
    PostgreSQL database as an asyncpg DSN)."""
    list_scope, get_scope = _scopes()
    base = lt.path_of(lt.env()["apiBaseUrl"])
    settings = CeilingSettings(
        token=token,
        app_key=lt.app_key,
        environment="integration",
        prefix=base,
        list_scope=list_scope,
        get_scope=get_scope,
        sqlite_path=str(sqlite_path) if sqlite_path else None,
        postgres_dsn=postgres_dsn,
    )
    if (sqlite_path is None) == (postgres_dsn is None):
        raise ValueError("the ceiling reads SQLite or PostgreSQL: give exactly one")
    port = free_port()
    config = workdir / f"ceiling-{port}.json"
    settings.save(config)
    argv = [sys.executable, "-m", "bench.ceiling", "--port", str(port), "--config", str(config)]
    server = Server("ceiling", argv, port=port, log_path=workdir / f"ceiling-{port}.log", cfg=cfg)
    if postgres_dsn:
        server.database = DatabaseCpu.for_url(postgres_dsn)
    async with server:
        yield server


def postgres_dsn_of(database_url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as an asyncpg DSN."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def compare_with_ceiling(
    label: str,
    subject: Workload,
    ceiling: Workload,
    baseline: Workload,
    cfg: Config,
    *,
    target: str = "report",
) -> tuple[Comparison, Comparison, Comparison]:
    """(subject vs baseline, ceiling vs baseline, subject vs ceiling), from one run: each round
    measures the baseline, the ceiling and the subject in turn, so all three ratios divide
    medians of the same rounds."""
    if cfg.warmup > 0:
        for w in (baseline, ceiling, subject):
            await w.measure(cfg.warmup)
    ours = Comparison(label, [], [], target)
    top = Comparison(f"{label} (ceiling)", [], [], "report")
    for _ in range(cfg.rounds):
        ours.baseline.append(await baseline.measure(cfg.duration))
        top.subject.append(await ceiling.measure(cfg.duration))
        ours.subject.append(await subject.measure(cfg.duration))
    top.baseline = ours.baseline
    gap = Comparison(f"{label} (localtitan vs ceiling)", ours.subject, top.subject, "report")
    return ours, top, gap


def ceiling_notes(
    name: str,
    ours: Comparison,
    top: Comparison,
    same_payload: bool,
    *,
    ceiling_work: str = "the statement, token and app-key checks, envelope",
    own_work: str = "door, handler, layers",
) -> list[str]:
    """Where the time goes, in server CPU per request (user + kernel): the bare app's, the
    ceiling's (what any server of this response pays: the statement, the token and app-key
    checks, the envelope) and what localtitan spends beyond the ceiling (its door, handler and
    layers)."""
    sides = (
        ("bare ASGI", ours, "baseline"),
        ("ceiling", top, "subject"),
        ("localtitan", ours, "subject"),
    )
    cpu = [c.cpu_per_request_us(side) for _, c, side in sides]
    kernel = [c.cpu_per_request_us(side, "server_sys_cpu") for _, c, side in sides]
    notes = [f"ceiling's response identical to the server's: {same_payload}"]
    if None in cpu:
        return notes
    shown = []
    for (label, _, _), total, sys_part in zip(sides, cpu, kernel, strict=True):
        assert total is not None
        split = (
            "" if sys_part is None else f" ({total - sys_part:,.0f} user + {sys_part:,.0f} kernel)"
        )
        shown.append(f"{label} {total:,.0f} µs{split}")
    bare, least, real = (v or 0.0 for v in cpu)
    notes.append(
        "server CPU per request: "
        + ", ".join(shown)
        + f"; the ceiling's +{least - bare:,.0f} µs over bare is the work any server of this "
        f"response does ({ceiling_work}), localtitan's "
        f"+{real - least:,.0f} µs over the ceiling is its own ({own_work}): "
        f"{(real - least) / real:.0%} of its CPU per request"
    )
    return notes


def serve_from_config(
    prog: str, description: str | None, make_app: Callable[[Path], Any], argv: list[str] | None
) -> None:
    """A ceiling's process: ``--port`` and ``--config`` (the file its settings' ``save``
    wrote), the app ``make_app(config)`` returns, served under the baseline's options."""
    import uvicorn

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", type=Path, required=True, help="the settings' save wrote")
    args = parser.parse_args(argv)
    app = make_app(args.config)
    # The same options as the baseline (bench/baseline.py) and ``localtitan serve``.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")


def main(argv: list[str] | None = None) -> None:
    serve_from_config(
        "python -m bench.ceiling",
        __doc__,
        lambda config: CeilingApp(CeilingSettings.load(config)),
        argv,
    )


if __name__ == "__main__":
    main()
