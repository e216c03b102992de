"""``localtitan logs tail`` follows the request log: a test runs it and sees new requests
appear (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import httpx
import pytest

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.settings import Settings

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


async def _line(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    raw = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert raw, "logs tail ended without printing"
    return dict(json.loads(raw))


async def test_tail_prints_the_latest_then_follows_new_requests(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds, settings: Settings
) -> None:
    token = await creds.token(client)
    without_key = {"Authorization": token}  # 403: no app key
    with_key = {"Authorization": token, "ST-App-Key": creds.app_key}
    await client.get(creds.api(CUSTOMERS) + "?mark=before", headers=without_key)
    await app.runtime.request_log.flush()

    argv = [sys.executable, "-c", "from localtitan.cli import main; main()", "logs", "tail"]
    argv += ["--app", str(creds.app_id), "--status", "4xx", "-n", "1", "--json"]
    argv += ["--interval", "0.1", "--data-dir", str(settings.data_dir)]
    if settings.database_url:
        argv += ["--database-url", settings.database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALTITAN_")}
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    try:
        first = await _line(proc)
        assert first["query"] == "mark=before" and first["status"] == 403
        # A success (filtered out by --status 4xx), then a new failure: only that one shows.
        assert (await client.get(creds.api(CUSTOMERS), headers=with_key)).status_code == 200
        await client.get(creds.api(CUSTOMERS) + "?mark=after", headers=without_key)
        await app.runtime.request_log.flush()
        second = await _line(proc)
        assert second["query"] == "mark=after"
        assert second["status"] == 403
        assert second["operationId"] == "Customers_GetList"
        assert second["appId"] == creds.app_id
        assert second["id"] > first["id"]
    finally:
        proc.terminate()
        await proc.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--status", "4x"], "4xx"), (["--since", "yesterday"], "15m")],
)
def test_tail_explains_bad_filters(tmp_path: Any, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from localtitan.cli import app as cli

    result = CliRunner().invoke(cli, ["logs", "tail", "--data-dir", str(tmp_path), *args])
    assert result.exit_code == 1
    assert message in result.output


def test_the_terminal_line_reads_at_a_glance() -> None:
    from rich.console import Console

    from localtitan.cli.logs import _line
    from localtitan.requestlog.queries import LogEntry

    entry = LogEntry(
        id=1,
        time_ms=0,
        environment="integration",
        area="api",
        tenant_id=5,
        app_id=2,
        client_id="cid.x",
        method="GET",
        path="/api/x/[bold]",
        operation_id="Jobs_Get",
        query="page=2",
        status=404,
        latency_ms=3.25,
        trace_id="abc",
        request_size=0,
        response_size=1234,
    )
    console = Console(record=True, width=200)
    console.print(_line(entry))
    text = console.export_text()
    assert "00:00:00.000 404 GET" in text
    assert "/api/x/[bold]?page=2" in text  # markup in a path is shown, not applied
    assert "3.2 ms 1,234 B integration op=Jobs_Get tenant=5 app=2 trace=abc" in text
