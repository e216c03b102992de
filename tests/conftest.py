"""Shared fixtures: the app in-process against SQLite and PostgreSQL.

PostgreSQL tests use a fresh database per run on 127.0.0.1:5432 (user postgres). Where it is
unreachable they are skipped with a message, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from localtitan.app import LocalTitan
from localtitan.platform.apps import create_app
from localtitan.platform.credentials import connect_app
from localtitan.platform.environments import Environment, api_prefix, auth_prefix
from localtitan.platform.tenants import create_tenant
from localtitan.runtime import Runtime
from localtitan.settings import Settings

PG_HOST = os.environ.get("LOCALTITAN_TEST_PG_HOST", "127.0.0.1")
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

BACKENDS = ["sqlite", "postgres"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_reachable() -> str | None:
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database made for this run and dropped after it."""
    import asyncpg

    problem = _pg_reachable()
    if problem is not None:
        message = f"PostgreSQL at {PG_HOST}:5432 is unreachable ({problem})"
        if IN_CI:
            pytest.fail(message + "; CI must run the PostgreSQL tests.")
        pytest.skip(message + "; PostgreSQL tests skipped.")
    name = f"localtitan_test_{os.getpid()}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def session_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {b: tmp_path_factory.mktemp(f"data-{b}") for b in BACKENDS}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(
    backend: str, request: pytest.FixtureRequest, session_dirs: dict[str, Path], tmp_path: Path
) -> Settings:
    """Settings for one backend; the data dir (and so the server key) lasts the session.

    The limiter's table is the test's own: every test's client has the same address, and
    failed logins counted per address must not carry over from one test to the next.
    """
    url = None
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
    return Settings(
        data_dir=session_dirs[backend],
        database_url=url,
        rate_limit=0,
        seed_demo=False,
        limits_file=tmp_path / "limits.bin",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[LocalTitan]:
    application = LocalTitan(Runtime(settings))
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


@pytest.fixture
async def client(app: LocalTitan) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Creds:
    """One app connected to one fresh tenant, with the URLs of one environment."""

    tenant_id: int
    app_id: int
    app_key: str
    client_id: str
    client_secret: str
    environment: Environment

    @property
    def token_url(self) -> str:
        return f"{auth_prefix(self.environment)}/connect/token"

    def api(self, module_path: str) -> str:
        """``/crm/v2/tenant/{t}/customers`` style path under this environment's prefix."""
        return api_prefix(self.environment) + module_path.replace("{tenant}", str(self.tenant_id))

    async def token(self, client: httpx.AsyncClient) -> str:
        r = await client.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": await self.token(client), "ST-App-Key": self.app_key}


async def make_creds(
    runtime: Runtime,
    *,
    scopes: frozenset[str] | None = None,
    environment: Environment = Environment.INTEGRATION,
) -> Creds:
    async with runtime.db.begin() as conn:
        tenant = await create_tenant(conn, name="Test Co")
        made = await create_app(
            conn,
            name="test app",
            organization="tests",
            scopes=scopes if scopes is not None else runtime.manifest.scopes,
            tenant_ids=[tenant.id],
        )
        connection, issued = await connect_app(
            conn, runtime.server_key, app_id=made.id, tenant_id=tenant.id, environment=environment
        )
    return Creds(tenant.id, made.id, made.app_key, connection.client_id, issued.secret, environment)


@pytest.fixture
async def creds(app: LocalTitan) -> Creds:
    return await make_creds(app.runtime)
