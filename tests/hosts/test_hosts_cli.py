"""``serve --https-port/--proxy-port/--proxy-host`` and ``run``: flags, defaults and errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import free_port
from localtitan import cli
from localtitan.hosts.run import PRELOAD, child_environment
from localtitan.hosts.servers import HostsServer


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[HostsServer]:
    """``HostsServer.run`` records the server instead of serving."""
    servers: list[HostsServer] = []

    def record(self: HostsServer, sockets: Any = None) -> None:
        servers.append(self)
        for sock in (*(sockets or []), self.https_sock, self.proxy_sock):
            if sock is not None:
                sock.close()

    monkeypatch.setattr(HostsServer, "run", record)
    return servers


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def _words(text: str) -> str:
    return " ".join(text.split())


def _serve(data_dir: Path, *flags: str) -> Result:
    return _invoke(
        "serve", "--no-demo", "--data-dir", str(data_dir), "--port", str(free_port()), *flags
    )


def test_the_proxy_binds_loopback_by_default_and_warns_loudly_elsewhere(
    tmp_path: Path, started: list[HostsServer]
) -> None:
    result = _serve(tmp_path, "--proxy-port", str(free_port()))
    assert result.exit_code == 0, result.output
    (server,) = started
    assert server.proxy_sock is not None
    assert server.https_sock is None
    assert "WARNING" not in result.output
    assert (tmp_path / "ca" / "ca.pem").exists()

    result = _serve(tmp_path, "--proxy-port", str(free_port()), "--proxy-host", "0.0.0.0")  # noqa: S104 - the point
    assert result.exit_code == 0, result.output
    message = _words(result.stderr)
    assert "WARNING: the proxy listens on 0.0.0.0" in message
    assert "Other machines" in message


def test_https_and_proxy_are_off_by_default(
    tmp_path: Path, started: list[HostsServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(k))
    result = _serve(tmp_path)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert started == []
    assert not (tmp_path / "ca").exists()


def test_the_https_port_and_proxy_need_one_worker(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--workers", "2", "--https-port", str(free_port()))
    assert result.exit_code == 1
    assert "use --workers 1" in _words(result.stderr)


def test_a_port_in_use_is_reported_before_anything_starts(
    tmp_path: Path, started: list[HostsServer]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(tmp_path, "--https-port", str(port))
    assert result.exit_code == 1
    assert f"Cannot listen on 127.0.0.1:{port} for the HTTPS port" in _words(result.stderr)
    assert started == []


def test_ports_out_of_range_are_refused(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--proxy-port", "70000")
    assert result.exit_code == 1
    assert "--proxy-port must be between 1 and 65535" in _words(result.stderr)


def test_run_explains_what_it_needs(tmp_path: Path) -> None:
    result = _invoke("run", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Name a program to run" in _words(result.stderr)
    result = _invoke("run", "--data-dir", str(tmp_path), "--print-env", "--", "node", "x.js")
    assert result.exit_code == 1
    assert "drop the command" in _words(result.stderr)


def test_print_env_without_a_running_proxy_names_the_command_that_starts_one(
    tmp_path: Path,
) -> None:
    result = _invoke("run", "--data-dir", str(tmp_path), "--print-env", "--proxy-port", "8450")
    assert result.exit_code == 0, result.output
    assert "export HTTPS_PROXY=http://127.0.0.1:8450\n" in result.stdout
    assert "localtitan serve --proxy-port 8450" in result.stderr
    assert "PRIVATE KEY" not in result.output


def test_node_options_keep_what_was_there_and_gain_the_preload_once() -> None:
    bundle = Path("/b.pem")
    env = child_environment(
        "http://127.0.0.1:1", bundle, {"NODE_OPTIONS": "--max-old-space-size=64"}
    )
    assert env["NODE_OPTIONS"] == f'--max-old-space-size=64 --require "{PRELOAD}"'
    again = child_environment("http://127.0.0.1:1", bundle, {"NODE_OPTIONS": env["NODE_OPTIONS"]})
    assert again["NODE_OPTIONS"] == env["NODE_OPTIONS"]
    assert PRELOAD.is_file()


# ---------------------------------------------------------------- run on PostgreSQL


@pytest.fixture
def own_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of this test's own: the data dir's server key encrypts what is in it."""
    import asyncio
    import secrets

    import asyncpg

    from conftest import PG_ADMIN_URL, PG_HOST

    request.getfixturevalue("postgres_url")  # skips, or fails in CI, as conftest says
    name = f"localtitan_run_{os.getpid()}_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@{PG_HOST}:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


CLIENT = """
import json, os, pathlib, httpx
q = json.loads(pathlib.Path(os.environ["QUICKSTART"]).read_text())
e = q["environments"]["integration"]
token = httpx.post("https://auth-integration.servicetitan.io/connect/token", data={
    "grant_type": "client_credentials", "client_id": e["clientId"],
    "client_secret": e["clientSecret"]}).raise_for_status().json()["access_token"]
page = httpx.get(
    f"https://api-integration.servicetitan.io/crm/v2/tenant/{q['tenantId']}/customers",
    params={"pageSize": 3}, headers={"Authorization": token, "ST-App-Key": q["appKey"]})
print(len(page.raise_for_status().json()["data"]))
"""


def test_run_serves_a_postgresql_database_given_by_database_url(
    tmp_path: Path, own_postgres_url: str
) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
    env["QUICKSTART"] = str(data_dir / "quickstart.json")
    command = [
        str(Path(sys.executable).parent / "localtitan"),
        "run",
        "--data-dir",
        str(data_dir),
        "--database-url",
        own_postgres_url,
        "--",
        sys.executable,
        "-c",
        CLIENT,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"  # the demo tenant's customers, from PostgreSQL
    assert not (data_dir / "localtitan.db").exists()
