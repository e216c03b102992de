"""Guessing secrets slows the guesser, per (client id, address) and per address, and never
locks the owner out: a client id is not secret, so anyone could otherwise lock it."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from conftest import Creds, make_creds
from localtitan import limits
from localtitan.app import LocalTitan
from localtitan.auth.client_address import client_address
from localtitan.runtime import Runtime
from localtitan.settings import Settings

GUESSER = ("203.0.113.5", 40000)
OWNER = ("198.51.100.7", 50000)
WRONG = "cs1." + "0" * 50


class Clock:
    """Stands in for ``time`` inside ``localtitan.limits``: delays pass without sleeping."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=c.time))
    return c


def _from(app: LocalTitan, address: tuple[str, int]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _form(creds: Creds, secret: str | None = None) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret if secret is None else secret,
    }


def _throttled(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    body = r.json()
    assert set(body) == {"error", "error_description"}
    match = re.fullmatch(r".*Try again in (\d+) seconds\.", body["error_description"])
    assert match, body
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["retry-after"] == match.group(1)
    return int(match.group(1))


async def test_hundred_wrong_secrets_slow_the_guesser_and_never_the_owner(
    app: LocalTitan, creds: Creds, clock: Clock
) -> None:
    async with _from(app, GUESSER) as guesser, _from(app, OWNER) as owner:
        waits: list[int] = []
        for attempt in range(100):
            r = await guesser.post(creds.token_url, data=_form(creds, WRONG))
            if attempt < 10:
                assert r.status_code == 400, (attempt, r.text)
                assert r.json()["error"] == "invalid_client"
                continue
            # Each further failure doubles the delay, up to five minutes: slow, not a wall.
            waits.append(_throttled(r))
            clock.now += waits[-1]
        assert waits == [min(300, 2**n) for n in range(90)]
        clock.now -= 300  # back to the moment of the 100th guess

        # The owner, elsewhere, gets a token at once.
        r = await owner.post(creds.token_url, data=_form(creds))
        assert r.status_code == 200, r.text

        # The guesser is refused without its secret being checked, so the delay is no oracle;
        # a refused attempt does not lengthen it.
        assert _throttled(await guesser.post(creds.token_url, data=_form(creds))) == 300
        clock.now += 100
        assert _throttled(await guesser.post(creds.token_url, data=_form(creds, WRONG))) == 200
        # When the delay is served, the right secret works from there too.
        clock.now += 200
        r = await guesser.post(creds.token_url, data=_form(creds))
        assert r.status_code == 200, r.text


async def test_failures_before_this_fix_locked_the_owner_out(
    app: LocalTitan, creds: Creds, clock: Clock
) -> None:
    """The eleventh failure in a minute used to refuse even the right secret, from anywhere."""
    async with _from(app, GUESSER) as guesser, _from(app, OWNER) as owner:
        for _ in range(11):
            await guesser.post(creds.token_url, data=_form(creds, WRONG))
        for _ in range(3):
            r = await owner.post(creds.token_url, data=_form(creds))
            assert r.status_code == 200, r.text


async def test_one_address_guessing_many_clients_is_slowed_for_all(
    app: LocalTitan, clock: Clock
) -> None:
    targets = [await make_creds(app.runtime) for _ in range(4)]
    async with _from(app, GUESSER) as guesser, _from(app, OWNER) as owner:
        # 30 failures spread over four clients (under ten each) are free...
        for i in range(30):
            r = await guesser.post(targets[i % 4].token_url, data=_form(targets[i % 4], WRONG))
            assert r.status_code == 400, (i, r.text)
        # ...the 31st costs a delay for the address, whichever client it names next.
        _throttled(await guesser.post(targets[0].token_url, data=_form(targets[0], WRONG)))
        _throttled(await guesser.post(targets[3].token_url, data=_form(targets[3])))
        r = await owner.post(targets[3].token_url, data=_form(targets[3]))
        assert r.status_code == 200, r.text


async def test_success_forgives_the_address_its_failures_on_that_client(
    app: LocalTitan, creds: Creds, clock: Clock
) -> None:
    async with _from(app, GUESSER) as c:
        for _ in range(2):
            for _ in range(9):
                r = await c.post(creds.token_url, data=_form(creds, WRONG))
                assert r.status_code == 400, r.text
            r = await c.post(creds.token_url, data=_form(creds))
            assert r.status_code == 200, r.text


async def test_quiet_quarter_hour_forgets_failures(
    app: LocalTitan, creds: Creds, clock: Clock
) -> None:
    async with _from(app, GUESSER) as c:
        for _ in range(10):
            assert (await c.post(creds.token_url, data=_form(creds, WRONG))).status_code == 400
        clock.now += 901
        for _ in range(10):
            assert (await c.post(creds.token_url, data=_form(creds, WRONG))).status_code == 400
        _throttled(await c.post(creds.token_url, data=_form(creds, WRONG)))


async def test_basic_auth_failures_count_too(app: LocalTitan, creds: Creds, clock: Clock) -> None:
    auth = httpx.BasicAuth(creds.client_id, WRONG)
    async with _from(app, GUESSER) as c:
        for _ in range(10):
            r = await c.post(creds.token_url, data={"grant_type": "client_credentials"}, auth=auth)
            assert r.status_code == 401
        r = await c.post(creds.token_url, data={"grant_type": "client_credentials"}, auth=auth)
        assert _throttled(r) == 1


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    app: LocalTitan, creds: Creds, clock: Clock
) -> None:
    # A guesser cannot escape its delay by claiming other addresses.
    async with _from(app, GUESSER) as c:
        for i in range(11):
            await c.post(
                creds.token_url,
                data=_form(creds, WRONG),
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
            )
        r = await c.post(
            creds.token_url, data=_form(creds), headers={"X-Forwarded-For": "192.0.2.200"}
        )
        _throttled(r)


@pytest.fixture
async def behind_proxy(settings: Settings) -> AsyncIterator[LocalTitan]:
    trusted = dataclasses.replace(settings, trusted_proxies=("203.0.113.0/24",))
    application = LocalTitan(Runtime(trusted))
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    behind_proxy: LocalTitan, clock: Clock
) -> None:
    creds = await make_creds(behind_proxy.runtime)
    async with _from(behind_proxy, GUESSER) as proxy:
        for _ in range(11):
            await proxy.post(
                creds.token_url, data=_form(creds, WRONG), headers={"X-Forwarded-For": "192.0.2.9"}
            )
        r = await proxy.post(
            creds.token_url, data=_form(creds), headers={"X-Forwarded-For": "192.0.2.9"}
        )
        _throttled(r)
        # Another client of the same proxy is someone else.
        r = await proxy.post(
            creds.token_url, data=_form(creds), headers={"X-Forwarded-For": "192.0.2.10"}
        )
        assert r.status_code == 200, r.text


def test_client_address_reads_the_peer_and_groups_ipv6_by_64() -> None:
    assert client_address({"client": ("192.0.2.1", 5)}) == "192.0.2.1"
    assert client_address({"client": ("2001:db8:1:2:3:4:5:6", 5)}) == "2001:db8:1:2::/64"
    assert client_address({"client": ("2001:db8:1:2:ffff::1", 5)}) == "2001:db8:1:2::/64"
    assert client_address({"client": ("::ffff:192.0.2.1", 5)}) == "192.0.2.1"
    assert client_address({"client": None}) == "unknown"
    assert client_address({}) == "unknown"
