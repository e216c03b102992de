"""``localtitan serve`` prints one access-log line per request (text or JSON), none with
``--quiet``, and uvicorn's own access log does not print a second one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port


def _serve(data_dir: Path, *flags: str) -> list[str]:
    """Start the server, make two requests, stop it; the lines it printed on stdout."""
    port = free_port()
    argv = [sys.executable, "-c", "from localtitan.cli import main; main()", "serve"]
    argv += ["--no-demo", "--data-dir", str(data_dir), "--port", str(port), *flags]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the server did not start") from None
                time.sleep(0.2)
        httpx.get(base + "/api-integration/crm/v2/tenant/7/customers?page=2", timeout=10)
        httpx.post(
            base + "/auth-integration/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "cid.x",
                "client_secret": "s3cr3t-v4lue",
            },
            timeout=10,
        )
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    return out.splitlines()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_serve_prints_one_line_per_request(tmp_path: Path, fmt: str) -> None:
    lines = _serve(tmp_path, "--log-format", fmt)
    api = [line for line in lines if "/crm/v2/tenant/7/customers" in line]
    token = [line for line in lines if "/connect/token" in line and "POST" in line]
    assert len(api) == 1, lines  # one line, not a second from uvicorn
    assert len(token) == 1, lines
    assert not any("s3cr3t-v4lue" in line for line in lines)
    assert not any("/healthz" in line for line in lines)  # only token and API calls
    if fmt == "json":
        doc = json.loads(api[0])
        assert (doc["method"], doc["status"], doc["query"]) == ("GET", 401, "page=2")
    else:
        assert '"GET /api-integration/crm/v2/tenant/7/customers?page=2" 401' in api[0]


def test_serve_quiet_prints_no_access_lines(tmp_path: Path) -> None:
    lines = _serve(tmp_path, "--quiet")
    assert not any("/crm/v2/tenant/7/customers" in line for line in lines), lines
    assert not any("connect/token" in line and "POST" in line for line in lines)
