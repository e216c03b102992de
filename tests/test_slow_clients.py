"""The body deadline around ``receive``: a body must arrive in time, and once it has, waiting
on ``receive`` (a streaming response listening for the client to go away) is never cut."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from localtitan.slow_clients import BodyTimeout, TimedBody


def _trickle(messages: list[dict[str, Any]], gap: float) -> Any:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(gap)
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return receive


async def test_a_body_still_arriving_at_the_deadline_is_refused_with_408() -> None:
    chunks = [{"type": "http.request", "body": b"x", "more_body": True}] * 100
    receive = TimedBody(_trickle(chunks, 0.02), seconds=0.1)
    got = 0
    with pytest.raises(BodyTimeout) as caught:
        while True:
            await receive()
            got += 1
    assert 2 <= got < 10
    assert caught.value.status == 408
    assert caught.value.headers == {"Connection": "close"}
    assert caught.value.title == "The request body did not arrive within 0.1 seconds."


async def test_after_the_body_receive_waits_as_long_as_it_takes() -> None:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"{}", "more_body": False}
        await asyncio.sleep(0.2)  # the client goes away long after the deadline
        return {"type": "http.disconnect"}

    timed = TimedBody(receive, seconds=0.05)
    assert (await timed())["body"] == b"{}"
    assert (await timed())["type"] == "http.disconnect"
