"""CPU per request inside the app, without HTTP: ``python -m bench.in_process [--database-url URL]
[--hop] [--profile CASE] [--request-log] [--only CASE] [--requests N]``.

Calls the ASGI app directly (no socket, no uvicorn, request log off) for four requests: a
50-customer list page, one customer by id, a client-credentials token and a customer create
with one location, and prints the process CPU time per request (``time.process_time``, so
other work on a busy machine inflates it less than wall time). ``--hop`` runs the SQLite
reads that would run on the event loop's thread in a worker thread instead (one hop per
request), to compare the two. ``--profile CASE`` prints cProfile's top functions for one case.
Not one of the ratio benchmarks of ``python -m bench``: a developer's tool for where the time
goes.

``--request-log`` turns the request log and a text access log (into ``/dev/null``) on, as
``serve`` does by default: the event loop turns between requests so the flusher runs when a
batch is full, and each case's time includes its last flush, so the figure against a run
without the flag is what logging costs. Each case also prints the garbage collector's time
and its collections by generation; the app freezes its startup objects as a served process
does (``--no-freeze`` not). ``--only CASE`` and ``--requests N`` narrow a run, for instance
under callgrind, whose instruction counts do not move with the machine's load; ``--together K``
sends K requests at once (a server's connections: POSTs then share SQLite's group commits).
``--ceiling`` serves ``list`` and ``get`` from the ceiling (:mod:`bench.ceiling`: the least an
app can do for the same response) on the same database and token instead, checking
its response equals the server's, and ``token`` from the token ceiling
(:mod:`bench.token_ceiling`), checking its answer has the server's status, headers and JSON
beside the token: the two runs' difference is what localtitan's own layers cost, without the
HTTP server's share that both pay.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

_TESTS = Path(__file__).resolve().parent.parent / "tests"
ADDRESS = {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "USA"}
BODY = {
    "name": "C",
    "type": "Residential",
    "address": ADDRESS,
    "locations": [{"name": "Home", "address": ADDRESS}],
}


class _Collector:
    """Wall time in Python's garbage collector (it runs on the one thread, so CPU time too),
    and how many collections of each generation: a full one walks every object."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = [0, 0, 0]
        self._began = 0.0
        gc.callbacks.append(self._note)

    def reset(self) -> None:
        self.seconds, self.runs = 0.0, [0, 0, 0]

    def _note(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began
            self.runs[info["generation"]] += 1


collector = _Collector()


async def _main(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(_TESTS))
    from conftest import make_creds  # the tests' tenant-and-app helper
    from localtitan.app import LocalTitan
    from localtitan.runtime import Runtime
    from localtitan.settings import Settings
    from localtitan.store import drivers

    if args.hop:
        on_loop = drivers._Sqlite.read

        async def hop(self: Any, work: Any, *, short: bool) -> Any:
            return await on_loop(self, work, short=False)

        drivers._Sqlite.read = hop  # type: ignore[method-assign]
    tmp = Path(tempfile.mkdtemp(prefix="bench-in-process-"))
    settings = Settings(
        data_dir=tmp,
        database_url=args.database_url,
        rate_limit=0,
        seed_demo=False,
        limits_file=tmp / "limits.bin",
        request_log=args.request_log,
        access_log="text" if args.request_log else "off",
    )
    app = LocalTitan(Runtime(settings))
    app.freeze_at_startup = not args.no_freeze  # as a served process does (asgi.py)
    await app.startup()
    request_log = app.runtime.request_log
    if args.request_log:
        # The access lines go nowhere: what is measured is building them, not a terminal.
        request_log._out = open(os.devnull, "w")  # noqa: ASYNC230, SIM115 - once, before timing
    creds = await make_creds(app.runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await creds.token(client)
        headers = {"Authorization": token, "ST-App-Key": creds.app_key}
        url = creds.api("/crm/v2/tenant/{tenant}/customers")
        for _ in range(50):
            r = await client.post(url, json=BODY, headers=headers)
            assert r.status_code == 200, r.text
        r = await client.get(url + "?pageSize=50", headers=headers)
        wanted = r.json()["data"][25]["id"]
    target: Any = app
    ceiling: Any = None
    token_ceiling: Any = None
    if args.ceiling:
        ceiling = target = await _ceiling(app, creds, token)
        token_ceiling = await _token_ceiling(app, creds)
    auth = [(b"authorization", token.encode()), (b"st-app-key", creds.app_key.encode())]
    json_type = [(b"content-type", b"application/json")]
    form_type = [(b"content-type", b"application/x-www-form-urlencoded")]
    form = (
        f"grant_type=client_credentials&client_id={creds.client_id}"
        f"&client_secret={creds.client_secret}"
    ).encode()
    cases: dict[str, tuple[str, bytes, str, bytes, list[tuple[bytes, bytes]], int]] = {
        "list": (url, b"pageSize=50", "GET", b"", auth, 3000),
        "get": (f"{url}/{wanted}", b"", "GET", b"", auth, 3000),
        "token": (creds.token_url, b"", "POST", form, form_type, 500),
        "post": (url, b"", "POST", json.dumps(BODY).encode(), auth + json_type, 500),
    }

    sent: list[dict[str, Any]] = []

    async def one(path: str, qs: bytes, method: str, body: bytes, extra: Any) -> int:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": qs,
            "headers": [(b"host", b"testserver"), *extra],
            "scheme": "http",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 5000),
            "http_version": "1.1",
            "asgi": {"version": "3.0"},
            "root_path": "",
        }
        status = 0
        sent.clear()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            status = message.get("status", status)
            sent.append(message)

        await target(scope, receive, send)
        return status

    async def timed(
        name: str, path: str, qs: bytes, method: str, body: bytes, extra: Any, n: int
    ) -> float:
        await request_log.flush()
        collector.reset()
        started = time.process_time()
        together = args.together
        if together > 1:
            # In flight at once, as a server's connections send them: write units share
            # SQLite's commits (store/sessions.py) as they do under the benchmark's load.
            for first in range(0, n, together):
                batch = min(together, n - first)
                await asyncio.gather(*(one(path, qs, method, body, extra) for _ in range(batch)))
                await asyncio.sleep(0)
        for _ in range(n if together <= 1 else 0):
            await one(path, qs, method, body, extra)
            # A server's loop turns between requests: the log's flusher runs when a batch is
            # full, as it would there, and the queue never holds more than a batch or so.
            await asyncio.sleep(0)
        served = time.process_time()
        # The flusher's work for these requests (rows, access lines, the batched writes) is
        # part of what logging costs, so it is timed with them.
        await request_log.flush()
        done = time.process_time()
        each = (done - started) / n * 1e6
        flush = (done - served) / n * 1e6
        print(
            f"{name:6} {each:8.1f} µs CPU per request"
            + (f" (of which the last flush {flush:.1f} µs)" if args.request_log else "")
            + f"; garbage collector {collector.seconds / n * 1e6:.1f} µs a request"
            f" (collections by generation {collector.runs})"
        )
        return each

    for name, (path, qs, method, body, extra, n) in cases.items():
        if args.only and name != args.only:
            continue
        if args.ceiling:
            if name not in ("list", "get", "token"):
                continue
            target = app
            assert await one(path, qs, method, body, extra) == 200, name
            ours = list(sent)
            target = token_ceiling if name == "token" else ceiling
            assert await one(path, qs, method, body, extra) == 200, name
            same = _same_token_answer if name == "token" else _same_response
            assert same(ours, sent), f"the ceiling's {name} differs from the server's"
        assert await one(path, qs, method, body, extra) == 200, name
        await timed(name, path, qs, method, body, extra, args.requests or n * args.repeat)
    if args.profile:
        path, qs, method, body, extra, n = cases[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        if args.together > 1:
            for first in range(0, n, args.together):
                batch = min(args.together, n - first)
                await asyncio.gather(*(one(path, qs, method, body, extra) for _ in range(batch)))
                await asyncio.sleep(0)
        for _ in range(n if args.together <= 1 else 0):
            await one(path, qs, method, body, extra)
        profile.disable()
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    if args.ceiling:
        await ceiling._db.close()
        assert token_ceiling._driver is not None
        await token_ceiling._driver.close()
    await app.shutdown()


async def _ceiling(app: Any, creds: Any, token: str) -> Any:
    """bench/ceiling.py's app on the server's own SQLite file, token and app key."""
    from bench.ceiling import CeilingApp, CeilingSettings, _scopes, postgres_dsn_of
    from localtitan.platform.environments import api_prefix

    url = app.runtime.settings.resolved_database_url
    sqlite = url.split("///", 1)[1] if url.startswith("sqlite") else None
    list_scope, get_scope = _scopes()
    ceiling = CeilingApp(
        CeilingSettings(
            token=token,
            app_key=creds.app_key,
            environment=creds.environment.value,
            prefix=api_prefix(creds.environment),
            list_scope=list_scope,
            get_scope=get_scope,
            sqlite_path=sqlite,
            postgres_dsn=None if sqlite else postgres_dsn_of(url),
        )
    )
    await ceiling._start()
    return ceiling


async def _token_ceiling(app: Any, creds: Any) -> Any:
    """bench/token_ceiling.py's app on the server's own database and server key."""
    from bench.ceiling import postgres_dsn_of
    from bench.token_ceiling import TokenCeiling, TokenCeilingSettings
    from localtitan.platform.environments import auth_prefix

    settings = app.runtime.settings
    url = settings.resolved_database_url
    sqlite = url.split("///", 1)[1] if url.startswith("sqlite") else None
    ceiling = TokenCeiling(
        TokenCeilingSettings(
            data_dir=str(settings.data_dir),
            database_url=url,
            environment=creds.environment.value,
            prefix=auth_prefix(creds.environment),
            sqlite_path=sqlite,
            postgres_dsn=None if sqlite else postgres_dsn_of(url),
        )
    )
    await ceiling._start()
    return ceiling


def _same_token_answer(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> bool:
    """The same status, headers and JSON but for the token (its bytes differ per request)."""

    def key(sent: list[dict[str, Any]]) -> tuple[Any, ...]:
        start, body = sent
        answer = json.loads(body["body"])
        answer.pop("access_token")
        return start["status"], start["headers"], answer

    return key(ours) == key(theirs)


def _same_response(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> bool:
    def key(sent: list[dict[str, Any]]) -> tuple[Any, ...]:
        start, body = sent
        return start["status"], sorted(start["headers"]), body["body"]

    return key(ours) == key(theirs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.in_process", description=__doc__)
    p.add_argument("--database-url", help="an empty database (SQLite in a temp dir by default)")
    p.add_argument("--hop", action="store_true", help="SQLite reads in a worker thread")
    p.add_argument("--profile", choices=("list", "get", "token", "post"))
    p.add_argument("--only", choices=("list", "get", "token", "post"), help="one case")
    p.add_argument("--repeat", type=int, default=1, help="run each case this many times longer")
    p.add_argument(
        "--requests",
        type=int,
        default=0,
        help="requests per case (under callgrind: two runs' difference is the cost of the extra)",
    )
    p.add_argument(
        "--together",
        type=int,
        default=1,
        help="requests in flight at once (SQLite's write units then share commits)",
    )
    p.add_argument(
        "--no-freeze", action="store_true", help="leave startup's objects to the collector"
    )
    p.add_argument(
        "--request-log",
        action="store_true",
        help="the request log and a text access log on (each case then includes its flush)",
    )
    p.add_argument(
        "--ceiling",
        action="store_true",
        help="list, get and token served by bench/ceiling.py's and bench/token_ceiling.py's apps",
    )
    p.add_argument("--sort", default="tottime", help="cProfile order: tottime or cumulative")
    p.add_argument("--top", type=int, default=25, help="functions to print")
    p.add_argument("--profile-out", help="also write the profile's stats to this file")
    asyncio.run(_main(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
