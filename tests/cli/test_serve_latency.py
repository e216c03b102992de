"""``serve --latency``: responses delayed as ServiceTitan's are, without blocking the loop."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from conftest import Creds, make_creds
from localtitan import cli, latency
from localtitan.app import LocalTitan
from localtitan.latency import REALISTIC_MS, Latency, kind_of
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.spec import load_manifest

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """serve exports its settings into os.environ for its workers: undo that afterwards."""
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, list[Any]]:
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    result = CliRunner().invoke(
        cli.app, ["serve", "--data-dir", str(tmp_path / "data"), "--no-demo", *args]
    )
    return result, calls


@pytest.mark.parametrize("value", ["fast", "-5", "1.5", "999999"])
def test_invalid_latency_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_environ: None, value: str
) -> None:
    result, calls = _serve(tmp_path, monkeypatch, "--latency", value)
    assert result.exit_code == 1, result.output
    text = " ".join(result.stderr.split())
    assert "latency must be none, realistic or a number of milliseconds" in text, text
    assert calls == []  # no server started


def test_invalid_latency_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_environ: None
) -> None:
    monkeypatch.setenv("LOCALTITAN_LATENCY", "slow")
    result, calls = _serve(tmp_path, monkeypatch)
    assert result.exit_code == 1 and "'slow'" in " ".join(result.stderr.split())
    assert calls == []


def test_latency_reaches_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_environ: None
) -> None:
    result, calls = _serve(tmp_path, monkeypatch, "--latency", "Realistic")
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(calls) == 1
    assert os.environ["LOCALTITAN_LATENCY"] == "realistic"
    assert Settings.from_env().latency == "realistic"


def test_kinds_and_realistic_figures() -> None:
    ops = {op.operation_id: op for op in load_manifest().operations}
    assert kind_of(ops["ReportCategoryReports_GetData"]) == "report"
    assert kind_of(ops["Customers_GetList"]) == "list"
    assert kind_of(ops["Customers_Get"]) == "get"
    assert kind_of(ops["Customers_Create"]) == "write"
    assert kind_of(ops["Export_Invoices"]) == "export"
    # The jitter is small and seeded: two servers draw the same delays in the same order.
    first, second = Latency.from_setting("realistic"), Latency.from_setting("realistic")
    for kind, ms in REALISTIC_MS.items():
        for _ in range(20):
            delay = first.seconds(kind)
            assert delay == second.seconds(kind)
            assert ms * 0.8 / 1000 <= delay <= ms * 1.2 / 1000
    assert Latency.from_setting("0").active is False
    assert Latency.from_setting("250").seconds("list") == 0.25


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every delay the latency module asks for, still really slept."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def recording(delay: float) -> None:
        asked.append(delay)
        await real_sleep(delay)

    monkeypatch.setattr(latency, "_sleep", recording)
    return asked


async def _app(settings: Settings, value: str) -> LocalTitan:
    application = LocalTitan(Runtime(dataclasses.replace(settings, latency=value)))
    await application.startup()
    return application


@pytest.fixture
async def delayed(settings: Settings) -> AsyncIterator[tuple[LocalTitan, httpx.AsyncClient]]:
    application = await _app(settings, "150")
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield application, c
    finally:
        await application.shutdown()


async def test_fixed_latency_delays_token_and_api_calls(
    delayed: tuple[LocalTitan, httpx.AsyncClient], sleeps: list[float]
) -> None:
    application, client = delayed
    creds: Creds = await make_creds(application.runtime)
    started = time.perf_counter()
    headers = await creds.headers(client)
    assert sleeps == [0.15]  # the token
    r = await client.get(creds.api(CUSTOMERS), headers=headers)
    assert r.status_code == 200, r.text
    assert sleeps == [0.15, 0.15]
    assert time.perf_counter() - started >= 0.3
    # Calls the gateway refuses before any handler runs are not delayed.
    refused = await client.get(creds.api(CUSTOMERS), headers={"ST-App-Key": creds.app_key})
    assert refused.status_code == 401 and len(sleeps) == 2


async def test_fixed_latency_does_not_block_other_requests(
    delayed: tuple[LocalTitan, httpx.AsyncClient], sleeps: list[float]
) -> None:
    application, client = delayed
    creds = await make_creds(application.runtime)
    headers = await creds.headers(client)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(client.get(creds.api(CUSTOMERS), headers=headers) for _ in range(5))
    )
    assert all(r.status_code == 200 for r in results)
    # Five delays of 150 ms overlap: the sleeps run side by side on one event loop.
    assert time.perf_counter() - started < 0.6
    assert sleeps.count(0.15) == 6


async def test_no_latency_sleeps_nothing(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan, sleeps: list[float]
) -> None:
    assert app.runtime.latency.active is False
    headers = await creds.headers(client)
    r = await client.get(creds.api(CUSTOMERS), headers=headers)
    assert r.status_code == 200
    assert sleeps == []


async def test_a_sequential_client_is_paced_below_the_limit(settings: Settings) -> None:
    """The problem --latency solves: a loop of calls, one at a time, against a limit of 4 a
    second. Without latency the loop outruns the limit; with 300 ms a call it never meets it.
    The limit counts fixed one-second windows, so a fast loop that straddles a window's edge can
    spend two windows' allowance (8): ten calls exceed it whichever way the windows fall."""
    outcomes: dict[str, list[int]] = {}
    for value, calls in (("none", 10), ("300", 6)):
        limited = dataclasses.replace(settings, rate_limit=4, latency=value)
        application = LocalTitan(Runtime(limited))
        await application.startup()
        try:
            creds = await make_creds(application.runtime)
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                headers = await creds.headers(client)
                outcomes[value] = [
                    (await client.get(creds.api(CUSTOMERS), headers=headers)).status_code
                    for _ in range(calls)
                ]
        finally:
            await application.shutdown()
    assert 429 in outcomes["none"]
    assert outcomes["300"] == [200] * 6
