"""A real ``localtitan serve`` for tests that need separate server processes: several
workers writing at once, or a kill -9 of the whole server in the middle of a load.

The server runs in its own process group (so one ``killpg`` takes the supervisor and every
worker), on a free 127.0.0.1 port, with its own data dir and, on PostgreSQL, its own
database. It starts without the quickstart demo (seeding would cost seconds); the tenant and
app are made through the same data dir and database, as an operator's tooling would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import PG_ADMIN_URL, PG_HOST, Creds, free_port, make_creds
from localtitan.runtime import Runtime
from localtitan.settings import Settings

__all__ = [
    "LiveServer",
    "customer_body",
    "live_database",
]

STARTUP_SECONDS = 60
ADDRESS = {
    "street": "1 Order Way",
    "city": "Fresno",
    "state": "CA",
    "zip": "93650",
    "country": "USA",
}


def customer_body(name: str) -> dict[str, Any]:
    return {"name": name, "address": ADDRESS, "locations": [{"name": name, "address": ADDRESS}]}


def _running_in_group(pgid: int) -> bool:
    """Whether any process of the group is alive and not a zombie (read from /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def live_database(request: pytest.FixtureRequest, backend: str) -> Iterator[str | None]:
    """None for SQLite (the file in the data dir); on PostgreSQL a database of this test's own,
    dropped after it (the server keeps its own server key, so it cannot share the session's)."""
    if backend == "sqlite":
        yield None
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, as conftest says
    name = f"localtitan_live_{os.getpid()}_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{PG_HOST}:5432/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveServer:
    """``localtitan serve --workers N`` on a data dir (and database) that outlive restarts."""

    data_dir: Path
    database_url: str | None
    workers: int = 2
    process: subprocess.Popen[bytes] | None = None
    origin: str = ""
    creds: Creds | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> None:
        port = free_port()
        command = [
            sys.executable,
            "-c",
            "from localtitan.cli import main; main()",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(port),
            "--workers",
            str(self.workers),
            "--rate-limit",
            "0",
            "--no-demo",
        ]
        if self.database_url:
            command += ["--database-url", self.database_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
        self.origin = f"http://127.0.0.1:{port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"localtitan serve exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.origin}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"localtitan serve did not answer:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the server's whole process group: supervisor and workers at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        # The workers are not this process's children; wait until none of them runs (a
        # killed one may linger as a zombie until something reaps it, which is harmless).
        deadline = time.monotonic() + 15
        while _running_in_group(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill()

    async def connect(self) -> Creds:
        """A fresh tenant and an app connected to it, made beside the running server."""
        settings = Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            rate_limit=0,
            seed_demo=False,
        )
        runtime = Runtime(settings)
        try:
            await runtime.start()
            self.creds = await make_creds(runtime)
        finally:
            await runtime.close()
        return self.creds

    async def headers(self, http: httpx.AsyncClient) -> dict[str, str]:
        assert self.creds is not None
        r = await http.post(
            self.origin + self.creds.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.creds.client_id,
                "client_secret": self.creds.client_secret,
            },
        )
        assert r.status_code == 200, r.text
        return {"Authorization": r.json()["access_token"], "ST-App-Key": self.creds.app_key}

    def url(self, path: str) -> str:
        """``/crm/v2/tenant/{tenant}/customers`` style path -> full URL of this server."""
        assert self.creds is not None
        return self.origin + self.creds.api(path)
