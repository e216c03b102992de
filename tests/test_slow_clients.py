"""The deadlines for slow clients: a body must arrive in time, and once it has, waiting on
``receive`` (a streaming response listening for the client to go away) is never cut; headers
must arrive in time on every request of a connection."""

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


async def _serve_with_header_timeout(
    seconds: float, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, asyncio.Task[None], int]:
    import socket

    import uvicorn

    monkeypatch.setenv("LOCALTITAN_HEADER_TIMEOUT", str(seconds))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        http="localtitan.slow_clients:HeaderTimeoutProtocol",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    return server, task, sock.getsockname()[1]


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    return True


async def test_headers_that_do_not_arrive_in_time_close_the_connection_on_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline runs from each request's first byte: a keep-alive connection that served
    quick requests is still cut off when a later request's headers trickle in too slowly."""
    server, task, port = await _serve_with_header_timeout(0.4, monkeypatch)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(3):  # served in time, one after another on one connection
            writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert head.startswith(b"HTTP/1.1 200")
            assert await asyncio.wait_for(reader.readexactly(2), 5) == b"ok"
            await asyncio.sleep(0.25)  # idle between requests is keep-alive's, not this timer's
        writer.write(b"GET / HTTP/1.1\r\nhost: x\r\n")  # the headers never end
        assert not await _closed_within(reader, 0.2)  # not before the deadline
        assert await _closed_within(reader, 2.0)
        writer.close()
        await writer.wait_closed()
    finally:
        server.should_exit = True
        await task
