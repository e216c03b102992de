"""Rate limits: per app, tenant and environment, per second; shared by the workers of a server
through a file in the data dir, or through Redis."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from conftest import Creds, make_creds
from localtitan import limits
from localtitan.app import LocalTitan
from localtitan.limits import FileLimiter, MemoryLimiter, Penalty, RedisLimiter, open_limiter
from localtitan.platform.credentials import connect_app
from localtitan.platform.environments import Environment
from localtitan.settings import Settings

REDIS_URL = os.environ.get("LOCALTITAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
TITLE = re.compile(r"Rate limit is exceeded\. Try again in (\d+) seconds\.")


class Clock:
    """Replaces ``time`` inside ``localtitan.limits`` so windows never straddle a boundary."""

    def __init__(self) -> None:
        self.now = int(time.time()) + 0.25

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=c.time))
    return c


async def _started(settings: Settings) -> LocalTitan:
    from localtitan.runtime import Runtime

    application = LocalTitan(Runtime(settings))
    await application.startup()
    return application


def _client(application: LocalTitan) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[LocalTitan]:
    application = await _started(dataclasses.replace(settings, rate_limit=3))
    try:
        yield application
    finally:
        await application.shutdown()


def _assert_throttled(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    body = r.json()
    assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
    assert body["status"] == 429
    match = TITLE.fullmatch(body["title"])
    assert match, body["title"]
    retry_after = r.headers["retry-after"]
    assert retry_after.isdigit()
    assert int(retry_after) == int(match.group(1)) >= 1
    return int(retry_after)


# ---------------------------------------------------------------- through the door


async def test_fourth_call_in_a_second_is_429(limited: LocalTitan, clock: Clock) -> None:
    async with _client(limited) as client:
        creds = await make_creds(limited.runtime)
        headers = await creds.headers(client)
        for _ in range(3):
            r = await client.get(creds.api(CUSTOMERS), headers=headers)
            assert r.status_code == 200, r.text
        r = await client.get(creds.api(CUSTOMERS), headers=headers)
        assert _assert_throttled(r) == 1
        # Still refused within the same second, whatever the operation.
        r = await client.post(creds.api(CUSTOMERS), headers=headers, json={})
        _assert_throttled(r)
        # The next second brings a new budget.
        clock.now += 1
        r = await client.get(creds.api(CUSTOMERS), headers=headers)
        assert r.status_code == 200, r.text


async def test_each_app_tenant_and_environment_has_its_own_budget(
    limited: LocalTitan, clock: Clock
) -> None:
    runtime = limited.runtime
    async with _client(limited) as client:
        creds = await make_creds(runtime)
        other = await make_creds(runtime)
        same_app_prod = await _connect(limited, creds, Environment.PRODUCTION)
        headers = await creds.headers(client)
        for _ in range(3):
            assert (await client.get(creds.api(CUSTOMERS), headers=headers)).status_code == 200
        _assert_throttled(await client.get(creds.api(CUSTOMERS), headers=headers))

        # Another app on another tenant is not affected.
        other_headers = await other.headers(client)
        for _ in range(3):
            r = await client.get(other.api(CUSTOMERS), headers=other_headers)
            assert r.status_code == 200, r.text
        # Nor is the same app and tenant in the other environment.
        prod_headers = await same_app_prod.headers(client)
        r = await client.get(same_app_prod.api(CUSTOMERS), headers=prod_headers)
        assert r.status_code == 200, r.text


async def _connect(application: LocalTitan, creds: Creds, env: Environment) -> Creds:
    runtime = application.runtime
    async with runtime.db.begin() as conn:
        connection, issued = await connect_app(
            conn,
            runtime.server_key,
            app_id=creds.app_id,
            tenant_id=creds.tenant_id,
            environment=env,
        )
    return Creds(
        creds.tenant_id, creds.app_id, creds.app_key, connection.client_id, issued.secret, env
    )


async def test_refused_requests_do_not_spend_the_budget(limited: LocalTitan, clock: Clock) -> None:
    async with _client(limited) as client:
        creds = await make_creds(limited.runtime)
        headers = await creds.headers(client)
        for _ in range(5):
            r = await client.get(creds.api(CUSTOMERS), headers={"ST-App-Key": creds.app_key})
            assert r.status_code == 401
            r = await client.get(creds.api(CUSTOMERS), headers={"Authorization": "x"})
            assert r.status_code == 401
        for _ in range(3):
            assert (await client.get(creds.api(CUSTOMERS), headers=headers)).status_code == 200


async def test_rate_limit_zero_turns_limits_off(app: LocalTitan, clock: Clock) -> None:
    assert app.runtime.settings.rate_limit == 0
    async with _client(app) as client:
        creds = await make_creds(app.runtime)
        headers = await creds.headers(client)
        for _ in range(25):
            r = await client.get(creds.api(CUSTOMERS), headers=headers)
            assert r.status_code == 200, r.text


def test_negative_rate_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Settings(rate_limit=-1).validate()


# ---------------------------------------------------------------- MemoryLimiter


async def test_memory_limiter_counts_per_key_and_window(clock: Clock) -> None:
    limiter = MemoryLimiter()
    assert [await limiter.hit("a", 2, 1) for _ in range(2)] == [None, None]
    assert await limiter.hit("a", 2, 1) == 1
    assert await limiter.hit("b", 2, 1) is None
    # The same key with another window length is a separate budget.
    assert await limiter.hit("a", 2, 60) is None
    clock.now += 1
    assert await limiter.hit("a", 2, 1) is None
    await limiter.close()


async def test_memory_limiter_wait_is_the_rest_of_the_window(clock: Clock) -> None:
    limiter = MemoryLimiter()
    clock.now = 600.0 + 10.2  # 10.2 s into a one-minute window
    for _ in range(3):
        assert await limiter.hit("k", 3, 60) is None
    assert await limiter.hit("k", 3, 60) == 50  # ceil(49.8)
    clock.now = 600.0 + 59.9
    assert await limiter.hit("k", 3, 60) == 1  # never less than a second


async def test_memory_limiter_exceeded_does_not_count(clock: Clock) -> None:
    limiter = MemoryLimiter()
    for _ in range(5):
        assert await limiter.exceeded("k", 2, 60) is None
    await limiter.hit("k", 2, 60)
    assert await limiter.exceeded("k", 2, 60) is None
    await limiter.hit("k", 2, 60)
    wait = await limiter.exceeded("k", 2, 60)
    assert isinstance(wait, int) and 1 <= wait <= 60
    clock.now += 60
    assert await limiter.exceeded("k", 2, 60) is None


async def test_a_full_table_reuses_finished_windows_then_evicts_the_oldest(
    clock: Clock,
) -> None:
    limiter = MemoryLimiter(slots=64)
    for i in range(200):
        await limiter.hit(f"key{i}", 5, 1)
    # Every key still counts from its own hits; nothing is refused that should not be.
    for _ in range(4):
        assert await limiter.hit("key199", 5, 1) is None
    assert await limiter.hit("key199", 5, 1) == 1
    clock.now += 2
    for _ in range(5):
        assert await limiter.hit("fresh", 5, 1) is None
    assert await limiter.hit("fresh", 5, 1) == 1


async def test_penalties_double_after_the_free_failures(clock: Clock) -> None:
    limiter = MemoryLimiter()
    rule = Penalty(free=2, base=1, cap=8, forget=60)
    assert [await limiter.penalize("k", rule) for _ in range(7)] == [None, None, 1, 2, 4, 8, 8]
    assert await limiter.penalty("k") == 8
    clock.now += 5
    assert await limiter.penalty("k") == 3
    clock.now += 3
    assert await limiter.penalty("k") is None
    assert await limiter.penalty("other") is None
    await limiter.forgive("k")
    assert await limiter.penalize("k", rule) is None
    # Quiet for the forget period: the count starts again.
    await limiter.penalize("k", rule)
    clock.now += 61
    assert await limiter.penalize("k", rule) is None


async def test_penalties_looks_at_several_keys_at_once(clock: Clock) -> None:
    limiter = MemoryLimiter()
    rule = Penalty(free=1, base=1, cap=8, forget=60)
    await limiter.penalize("free", rule)
    for _ in range(3):
        await limiter.penalize("held", rule)
    # Serving 2 s, failures on record but no delay yet, never failed.
    assert await limiter.penalties(["held", "free", "never"]) == [2, 0, None]
    assert await limiter.penalties(["held"]) == [await limiter.penalty("held")]
    clock.now += 3
    assert await limiter.penalties(["held", "free"]) == [0, 0]
    await limiter.forgive("held")
    clock.now += 61  # "free" is forgotten: penalize would count it from one again
    assert await limiter.penalties(["held", "free"]) == [None, None]


def test_open_limiter_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_limiter(None, tmp_path / "limits.bin"), FileLimiter)
    assert isinstance(open_limiter("", tmp_path / "limits.bin"), FileLimiter)
    assert isinstance(open_limiter(None), MemoryLimiter)
    assert isinstance(open_limiter(REDIS_URL, tmp_path / "limits.bin"), RedisLimiter)


# ---------------------------------------------------------------- FileLimiter


async def test_file_limiters_on_one_file_share_counts_and_penalties(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "data" / "limits.bin"
    first, second = FileLimiter(path), FileLimiter(path)
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert await first.hit("k", 2, 1) is None
        assert await second.hit("k", 2, 1) is None
        assert await first.hit("k", 2, 1) == 1
        assert await second.exceeded("k", 2, 1) == 1
        rule = Penalty(free=1)
        assert await first.penalize("p", rule) is None
        assert await second.penalize("p", rule) == 1
        assert await first.penalty("p") == 1
    finally:
        await first.close()
        await second.close()
    # A restart keeps the counts (the file is the state), a third opener sees them.
    third = FileLimiter(path)
    try:
        assert await third.hit("k", 2, 1) == 1
    finally:
        await third.close()


_HAMMER = """
import asyncio, sys, time
from pathlib import Path
from localtitan.limits import FileLimiter

async def main() -> None:
    limiter = FileLimiter(Path(sys.argv[1]))
    start = float(sys.argv[2])
    while time.time() < start:
        await asyncio.sleep(0.001)
    allowed = 0
    for _ in range(100):
        if await limiter.hit("shared", 60, 3600) is None:
            allowed += 1
    print(allowed)

asyncio.run(main())
"""


def test_processes_hitting_one_file_at_once_get_exactly_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "limits.bin"
    start = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _HAMMER, str(path), start], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    allowed = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(allowed) == 60, allowed


# ---------------------------------------------------------------- Redis


def _redis_problem() -> str | None:
    import asyncio

    import redis.asyncio as redis

    async def probe() -> None:
        r = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        try:
            await r.ping()
        finally:
            await r.aclose()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    problem = _redis_problem()
    if problem is not None:
        message = f"Redis at {REDIS_URL} is unreachable ({problem})"
        if IN_CI:
            pytest.fail(message + "; CI must run the Redis tests.")
        pytest.skip(message + "; Redis tests skipped.")
    return REDIS_URL


@pytest.fixture
async def redis_limiter(redis_url: str) -> AsyncIterator[RedisLimiter]:
    limiter = RedisLimiter(redis_url)
    try:
        yield limiter
    finally:
        await limiter.close()


async def test_redis_limiter_counts_per_key(redis_limiter: RedisLimiter, clock: Clock) -> None:
    key = f"test:{uuid.uuid4().hex}"
    assert [await redis_limiter.hit(key, 2, 1) for _ in range(2)] == [None, None]
    assert await redis_limiter.hit(key, 2, 1) == 1
    assert await redis_limiter.hit(key + ":other", 2, 1) is None
    clock.now += 1
    assert await redis_limiter.hit(key, 2, 1) is None


async def test_redis_limiter_exceeded_does_not_count(
    redis_limiter: RedisLimiter, clock: Clock
) -> None:
    key = f"test:{uuid.uuid4().hex}"
    for _ in range(3):
        assert await redis_limiter.exceeded(key, 2, 60) is None
    await redis_limiter.hit(key, 2, 60)
    await redis_limiter.hit(key, 2, 60)
    wait = await redis_limiter.exceeded(key, 2, 60)
    assert isinstance(wait, int) and 1 <= wait <= 60


async def test_redis_counters_expire(redis_url: str, clock: Clock) -> None:
    import redis.asyncio as redis

    limiter = RedisLimiter(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    await limiter.hit(key, 5, 60)
    await limiter.close()
    r = redis.Redis.from_url(redis_url)
    try:
        names = [n async for n in r.scan_iter(match=f"localtitan:rl:{key}:*")]
        assert len(names) == 1
        ttl = await r.ttl(names[0])
        assert 0 < ttl <= 61
    finally:
        await r.aclose()


async def test_two_workers_share_one_budget_through_redis(
    settings: Settings, redis_url: str, clock: Clock
) -> None:
    shared = dataclasses.replace(settings, rate_limit=3, redis_url=redis_url)
    first = await _started(shared)
    second = await _started(shared)
    try:
        assert isinstance(first.runtime.limiter, RedisLimiter)
        creds = await make_creds(first.runtime)
        async with _client(first) as c1, _client(second) as c2:
            headers = await creds.headers(c1)
            url = creds.api(CUSTOMERS)
            assert (await c1.get(url, headers=headers)).status_code == 200
            assert (await c2.get(url, headers=headers)).status_code == 200
            assert (await c1.get(url, headers=headers)).status_code == 200
            _assert_throttled(await c2.get(url, headers=headers))
            _assert_throttled(await c1.get(url, headers=headers))
            clock.now += 1
            assert (await c2.get(url, headers=headers)).status_code == 200
    finally:
        await first.shutdown()
        await second.shutdown()


async def test_without_redis_workers_share_one_budget_through_the_data_dir(
    settings: Settings, clock: Clock
) -> None:
    """Two workers of one server (same data dir) used to have 3 requests a second each."""
    own = dataclasses.replace(settings, rate_limit=3)
    first = await _started(own)
    second = await _started(own)
    try:
        assert isinstance(first.runtime.limiter, FileLimiter)
        creds = await make_creds(first.runtime)
        async with _client(first) as c1, _client(second) as c2:
            headers = await creds.headers(c1)
            url = creds.api(CUSTOMERS)
            assert (await c1.get(url, headers=headers)).status_code == 200
            assert (await c2.get(url, headers=headers)).status_code == 200
            assert (await c1.get(url, headers=headers)).status_code == 200
            _assert_throttled(await c2.get(url, headers=headers))
            _assert_throttled(await c1.get(url, headers=headers))
    finally:
        await first.shutdown()
        await second.shutdown()


async def test_redis_penalties(redis_limiter: RedisLimiter, clock: Clock) -> None:
    key = f"test:{uuid.uuid4().hex}"
    rule = Penalty(free=1, base=1, cap=4, forget=60)
    assert [await redis_limiter.penalize(key, rule) for _ in range(5)] == [None, 1, 2, 4, 4]
    assert await redis_limiter.penalty(key) == 4
    clock.now += 4
    assert await redis_limiter.penalty(key) is None
    await redis_limiter.forgive(key)
    assert await redis_limiter.penalize(key, rule) is None


async def test_redis_penalties_of_several_keys(redis_limiter: RedisLimiter, clock: Clock) -> None:
    held, free, never = (f"test:{uuid.uuid4().hex}" for _ in range(3))
    rule = Penalty(free=1, base=1, cap=4, forget=60)
    await redis_limiter.penalize(free, rule)
    for _ in range(3):
        await redis_limiter.penalize(held, rule)
    assert await redis_limiter.penalties([held, free, never]) == [2, 0, None]
    clock.now += 3
    assert await redis_limiter.penalties([held]) == [0]
    await redis_limiter.forgive(held)
    assert await redis_limiter.penalties([held, free]) == [None, 0]
