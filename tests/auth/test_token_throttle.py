"""Guessing secrets is throttled: 10 failed attempts per client id per minute, then 429."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import httpx
import pytest

from conftest import Creds, make_creds
from localtitan import limits
from localtitan.app import LocalTitan


class Clock:
    """Stands in for ``time`` inside ``localtitan.limits``: a minute passes in no time."""

    def __init__(self) -> None:
        # Five seconds into a fixed one-minute window, so the window ends 55 s from "now".
        self.now = (int(time.time()) // 60) * 60 + 5.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=c.time))
    return c


def _form(creds: Creds, secret: str | None = None) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret if secret is None else secret,
    }


WRONG = "cs1." + "0" * 50


async def test_eleventh_failure_is_throttled_then_even_the_right_secret(
    client: httpx.AsyncClient, creds: Creds, clock: Clock
) -> None:
    for attempt in range(10):
        r = await client.post(creds.token_url, data=_form(creds, WRONG))
        assert r.status_code == 400, (attempt, r.text)
        assert r.json()["error"] == "invalid_client"

    r = await client.post(creds.token_url, data=_form(creds, WRONG))
    assert r.status_code == 429, r.text
    retry_after = r.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) == 55
    body = r.json()
    assert set(body) == {"error", "error_description"}
    assert re.fullmatch(r".*Try again in (\d+) seconds\.", body["error_description"])
    assert r.headers["cache-control"] == "no-store"

    # The right secret is refused too while the window lasts.
    clock.now += 30
    r = await client.post(creds.token_url, data=_form(creds))
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) == 25

    # Once the window has passed, the right secret works again.
    clock.now += 30
    r = await client.post(creds.token_url, data=_form(creds))
    assert r.status_code == 200, r.text


async def test_throttling_one_client_leaves_others_alone(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan, clock: Clock
) -> None:
    other = await make_creds(app.runtime)
    for _ in range(11):
        await client.post(creds.token_url, data=_form(creds, WRONG))
    r = await client.post(creds.token_url, data=_form(creds))
    assert r.status_code == 429
    r = await client.post(other.token_url, data=_form(other))
    assert r.status_code == 200, r.text


async def test_basic_auth_failures_count_too(
    client: httpx.AsyncClient, creds: Creds, clock: Clock
) -> None:
    auth = httpx.BasicAuth(creds.client_id, WRONG)
    for _ in range(10):
        r = await client.post(creds.token_url, data={"grant_type": "client_credentials"}, auth=auth)
        assert r.status_code == 401
    r = await client.post(creds.token_url, data={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 429
    assert r.headers["retry-after"].isdigit()


async def test_successes_and_few_failures_are_not_throttled(
    client: httpx.AsyncClient, creds: Creds, clock: Clock
) -> None:
    for _ in range(9):
        r = await client.post(creds.token_url, data=_form(creds, WRONG))
        assert r.status_code == 400
    for _ in range(15):
        r = await client.post(creds.token_url, data=_form(creds))
        assert r.status_code == 200, r.text
    # Failures from the previous minute are forgotten.
    clock.now += 60
    for _ in range(10):
        r = await client.post(creds.token_url, data=_form(creds, WRONG))
        assert r.status_code == 400
    r = await client.post(creds.token_url, data=_form(creds))
    assert r.status_code == 429
