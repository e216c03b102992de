"""The log's bounds (age and count) and the access-log line on standard output."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from log_kit import clear, insert_rows, known_row, rows_of

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.requestlog.recorder import RequestLog
from localtitan.runtime import Runtime
from localtitan.settings import Settings

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
DAY_MS = 86_400_000


@pytest.fixture
async def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalTitan]:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(
        Runtime(replace(settings, request_log_days=3, request_log_rows=1_000_000))
    )
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


async def test_rows_older_than_the_age_bound_are_pruned(app: LocalTitan) -> None:
    now = int(time.time() * 1000)
    marker = 9_000_000_001
    await insert_rows(
        app,
        [
            known_row(app_id=marker, time_ms=now - 4 * DAY_MS, path="/old"),
            known_row(app_id=marker, time_ms=now - 2 * DAY_MS, path="/recent"),
        ],
    )
    assert await app.runtime.request_log.prune() >= 1
    assert [r["path"] for r in await rows_of(app, app_id=marker)] == ["/recent"]


async def test_the_age_bound_drops_every_older_row_whatever_order_the_rows_were_written_in(
    app: LocalTitan,
) -> None:
    # Rows do not always come in time order (several processes' batches, a clock set back):
    # every row older than the bound goes and every newer one stays.
    await clear(app)
    now = int(time.time() * 1000)
    edge = now - 3 * DAY_MS
    marker = 9_000_000_003
    order = list(range(300))
    random.Random(9).shuffle(order)

    def at(i: int) -> int:
        return edge + (i - 150) * 10_000 + (700 if i % 2 else -700)

    rows = [known_row(app_id=marker, time_ms=at(i), path=f"/{i}") for i in order]
    await insert_rows(app, rows)
    assert await app.runtime.request_log.prune() == 151
    kept = sorted(int(r["path"][1:]) for r in await rows_of(app, app_id=marker))
    assert kept == list(range(151, 300))


async def test_pruning_an_empty_log_or_one_with_nothing_old_deletes_nothing(
    app: LocalTitan,
) -> None:
    await clear(app)
    assert await app.runtime.request_log.prune() == 0
    now = int(time.time() * 1000)
    marker = 9_000_000_004
    await insert_rows(
        app, [known_row(app_id=marker, time_ms=now - i, path=f"/{i}") for i in range(5)]
    )
    assert await app.runtime.request_log.prune() == 0
    assert len(await rows_of(app, app_id=marker)) == 5


async def test_only_the_newest_rows_up_to_the_count_bound_are_kept(
    app: LocalTitan, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time() * 1000)
    marker = 9_000_000_002
    await insert_rows(app, [known_row(app_id=marker, time_ms=now, path=f"/{i}") for i in range(12)])
    monkeypatch.setattr(app.runtime.request_log, "max_rows", 5)
    await app.runtime.request_log.prune()
    assert [r["path"] for r in await rows_of(app)] == [f"/{i}" for i in range(7, 12)]


async def test_a_flush_prunes_once_a_tenth_of_the_count_bound_was_written(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(replace(settings, request_log_rows=4, access_log="off")))
    await application.startup()
    try:
        creds = await make_creds(application.runtime)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = await creds.headers(client)
            for _ in range(9):
                await client.get(creds.api(CUSTOMERS), headers=headers)
        assert await application.runtime.request_log.flush() == 10
        kept = await rows_of(application)
        assert len(kept) == 4
        assert all(r["client_id"] == creds.client_id for r in kept)
    finally:
        await application.shutdown()


async def _one_call(application: LocalTitan) -> tuple[Creds, httpx.Response]:
    creds = await make_creds(application.runtime)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = await creds.token(client)
        r = await client.get(
            creds.api(CUSTOMERS) + "?page=1", headers={"Authorization": token}
        )  # 403: no app key
    await application.runtime.request_log.flush()
    return creds, r


@pytest.mark.parametrize("fmt", ["text", "json", "off"])
async def test_one_access_log_line_per_request(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(replace(settings, access_log=fmt)))
    await application.startup()
    try:
        capsys.readouterr()
        creds, r = await _one_call(application)
        lines = capsys.readouterr().out.splitlines()
    finally:
        await application.shutdown()
    if fmt == "off":
        assert lines == []
        return
    assert len(lines) == 2
    trace = r.json()["traceId"]
    if fmt == "json":
        token_line, api_line = (json.loads(line) for line in lines)
        assert token_line["method"] == "POST" and token_line["status"] == 200
        assert api_line["status"] == 403
        assert api_line["path"] == creds.api(CUSTOMERS)
        assert api_line["query"] == "page=1"
        assert api_line["operationId"] == "Customers_GetList"
        assert api_line["tenantId"] == creds.tenant_id
        assert api_line["traceId"] == trace
        assert api_line["responseSize"] == len(r.content)
    else:
        assert f'"GET {creds.api(CUSTOMERS)}?page=1" 403 {len(r.content)}B' in lines[1]
        assert f"trace={trace}" in lines[1]
        assert '"POST /auth-integration/connect/token" 200' in lines[0]


def test_a_newline_in_a_path_cannot_forge_a_second_line() -> None:
    from localtitan.requestlog.access import access_line

    row = known_row(time_ms=0, path='/api/x\n2026 fake "GET /" 200', status=404)
    line = access_line(row, "127.0.0.1", "text")
    assert line.count("\n") == 1 and line.endswith("\n")
    assert "\\x22GET" in line
