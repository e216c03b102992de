"""What the request log records for token and API calls, and how it writes (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import msgspec
import pytest
from log_kit import rows_of
from sqlalchemy import func, select

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.requestlog.recorder import RequestLog
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.store import open_database
from localtitan.store import request_log as store_request_log
from localtitan.store.drivers import Sql
from localtitan.store.tables import request_log

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
ADDRESS = {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "USA"}


@pytest.fixture
async def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalTitan]:
    """The app with a flusher that never wakes on its own: tests decide when to flush."""
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(settings))
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


async def _list_customers(
    client: httpx.AsyncClient, creds: Creds, query: str = ""
) -> httpx.Response:
    headers = await creds.headers(client)
    return await client.get(creds.api(CUSTOMERS) + query, headers=headers)


async def test_an_api_call_is_recorded_with_every_field(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await _list_customers(client, creds, "?pageSize=5&page=1")
    assert r.status_code == 200
    await app.runtime.request_log.flush()
    rows = await rows_of(app, app_id=creds.app_id, area="api")
    assert len(rows) == 1
    row = rows[0]
    assert row["environment"] == "integration"
    assert row["tenant_id"] == creds.tenant_id
    assert row["client_id"] == creds.client_id
    assert row["method"] == "GET"
    assert row["path"] == creds.api(CUSTOMERS)
    assert row["operation_id"] == "Customers_GetList"
    assert row["query"] == "pageSize=5&page=1"
    assert row["status"] == 200
    assert row["latency_ms"] > 0
    assert row["response_size"] == len(r.content)
    assert row["trace_id"]
    assert row["response_body"] == r.text


async def test_a_token_call_is_recorded_with_its_app_and_tenant(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    await creds.token(client)
    await app.runtime.request_log.flush()
    rows = await rows_of(app, client_id=creds.client_id, area="auth")
    assert [(r["method"], r["status"], r["app_id"], r["tenant_id"]) for r in rows] == [
        ("POST", 200, creds.app_id, creds.tenant_id)
    ]
    assert rows[0]["path"] == creds.token_url


async def test_the_trace_id_of_an_error_body_is_the_logged_one(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    token = await creds.token(client)
    # No app key: 403 after the token is known, so tenant and app are recorded too.
    r = await client.get(creds.api(CUSTOMERS), headers={"Authorization": token})
    assert r.status_code == 403
    await app.runtime.request_log.flush()
    rows = await rows_of(app, trace_id=r.json()["traceId"])
    assert len(rows) == 1
    assert rows[0]["status"] == 403
    assert rows[0]["app_id"] == creds.app_id
    assert rows[0]["response_body"] == r.text


async def test_nothing_is_written_on_the_request_path_and_a_flush_writes_everything(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await creds.headers(client)
    for _ in range(30):
        assert (await client.get(creds.api(CUSTOMERS), headers=headers)).status_code == 200
    assert await rows_of(app, client_id=creds.client_id) == []
    assert app.runtime.request_log.queued >= 31
    written = await app.runtime.request_log.flush()
    assert written >= 31
    assert len(await rows_of(app, client_id=creds.client_id)) == 31
    assert app.runtime.request_log.queued == 0


async def test_shutdown_flushes_what_is_queued(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(settings))
    await application.startup()
    creds = await make_creds(application.runtime)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = await creds.headers(client)
        await client.get(creds.api(CUSTOMERS), headers=headers)
    assert application.runtime.request_log.queued == 2
    await application.shutdown()
    db = open_database(settings.resolved_database_url)
    try:
        async with db.read() as conn:
            count = (
                await conn.execute(
                    select(func.count()).where(request_log.c.client_id == creds.client_id)
                )
            ).scalar_one()
    finally:
        await db.close()
    assert count == 2


async def test_a_full_queue_drops_and_counts_and_says_so(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(replace(settings, request_log_queue=3)))
    await application.startup()
    try:
        creds = await make_creds(application.runtime)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = await creds.headers(client)
            for _ in range(5):
                r = await client.get(creds.api(CUSTOMERS), headers=headers)
                assert r.status_code == 200  # the request never waits for the log
        log = application.runtime.request_log
        assert (log.queued, log.dropped) == (3, 3)
        with caplog.at_level(logging.WARNING, logger="localtitan.requestlog"):
            assert await log.flush() == 3
        assert "3 requests were not logged" in caplog.text
    finally:
        await application.shutdown()


async def test_with_the_request_log_off_nothing_is_kept(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    application = LocalTitan(Runtime(replace(settings, request_log=False, access_log="off")))
    await application.startup()
    try:
        assert not application.runtime.request_log.active
        creds = await make_creds(application.runtime)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await creds.token(client)
        assert application.runtime.request_log.queued == 0
        assert await rows_of(application, client_id=creds.client_id) == []
    finally:
        await application.shutdown()
    assert capsys.readouterr().out == ""


async def test_long_bodies_are_cut_to_the_configured_size(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(Runtime(replace(settings, request_log_body_bytes=64)))
    await application.startup()
    try:
        creds = await make_creds(application.runtime)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = await creds.headers(client)
            body = {"name": "x" * 500, "address": {}, "locations": []}
            r = await client.post(creds.api(CUSTOMERS), headers=headers, json=body)
        await application.runtime.request_log.flush()
        row = (await rows_of(application, client_id=creds.client_id, area="api"))[0]
        assert row["request_size"] == len(msgspec.json.encode(body)) or row["request_size"] > 500
        assert len(row["request_body"]) <= 64
        assert row["request_body"].startswith('{"name":"xxx')
        assert row["response_size"] == len(r.content)
        assert len(row["response_body"]) <= 64
    finally:
        await application.shutdown()


async def test_each_worker_writes_its_own_batches_to_the_shared_database(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    workers = [LocalTitan(Runtime(settings)), LocalTitan(Runtime(settings))]
    for worker in workers:
        await worker.startup()
    try:
        creds = await make_creds(workers[0].runtime)
        for n, worker in enumerate(workers):
            transport = httpx.ASGITransport(app=worker)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                headers = await creds.headers(client)
                for _ in range(n + 2):
                    await client.get(creds.api(CUSTOMERS), headers=headers)
        assert [w.runtime.request_log.queued for w in workers] == [3, 4]
        # Both flush at once, as two processes would.
        written = await asyncio.gather(*(w.runtime.request_log.flush() for w in workers))
        assert written == [3, 4]
        assert len(await rows_of(workers[1], client_id=creds.client_id)) == 7
    finally:
        for worker in workers:
            await worker.shutdown()


async def test_a_wrong_secret_for_a_real_client_is_in_that_apps_log(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    r = await client.post(
        creds.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": "not-the-secret",
        },
    )
    assert r.status_code == 400
    await app.runtime.request_log.flush()
    rows = await rows_of(app, app_id=creds.app_id)
    assert [(x["status"], x["tenant_id"], x["area"]) for x in rows] == [
        (400, creds.tenant_id, "auth")
    ]


async def test_a_nul_anywhere_in_a_request_does_not_lose_the_batch(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds
) -> None:
    headers = await creds.headers(client)
    await client.get(creds.api(CUSTOMERS) + "%00x", headers=headers)
    await client.get(creds.api(CUSTOMERS) + "?name=a%00b", headers=headers)
    await client.post(
        creds.api(CUSTOMERS),
        headers={**headers, "content-type": "application/json"},
        content=b'{"name": "a\\u0000b", "raw": "\x00"}',
    )
    await client.get(creds.api(CUSTOMERS), headers=headers)
    assert await app.runtime.request_log.flush() == 5
    assert app.runtime.request_log.lost == 0
    rows = await rows_of(app, client_id=creds.client_id, area="api")
    assert [r["status"] for r in rows] == [400, 400, 200]
    assert rows[0]["query"] == "name=a%00b" and "\x00" not in rows[1]["request_body"]
    cut = await rows_of(app, path=creds.api(CUSTOMERS) + "\\u0000x")
    assert [r["status"] for r in cut] == [404]


async def test_a_log_chunk_the_database_refuses_loses_only_itself_never_an_api_write(
    app: LocalTitan,
    client: httpx.AsyncClient,
    creds: Creds,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = await creds.headers(client)
    for _ in range(3):
        assert (await _list_customers(client, creds)).status_code == 200
    # Every write of the log now fails, as a full disk or a broken table would make it.
    monkeypatch.setattr(
        store_request_log, "_INSERT_SQL", Sql.of("INSERT INTO no_such_table VALUES (?)")
    )
    monkeypatch.setattr(store_request_log, "COLUMNS", ("no_such_column",))
    created, written = await asyncio.gather(
        client.post(
            creds.api(CUSTOMERS),
            headers=headers,
            json={
                "name": "Kept despite the log",
                "type": "Residential",
                "address": ADDRESS,
                "locations": [{"name": "Home", "address": ADDRESS}],
            },
        ),
        app.runtime.request_log.flush(),
    )
    assert created.status_code == 200, created.text
    assert written == 0
    assert app.runtime.request_log.lost >= 3
    assert "the database refused them" in caplog.text
    got = await client.get(creds.api(CUSTOMERS) + f"/{created.json()['id']}", headers=headers)
    assert got.status_code == 200 and got.json()["name"] == "Kept despite the log"
    # Once the database takes writes again, the log goes on.
    monkeypatch.undo()
    assert (await _list_customers(client, creds)).status_code == 200
    assert await app.runtime.request_log.flush() >= 1
