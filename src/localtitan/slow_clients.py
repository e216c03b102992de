"""Cutting off clients that send slowly: a deadline for headers and one for the body.

uvicorn bounds only the idle time between requests (``timeout_keep_alive``): a connection that
sends its headers or its body a byte at a time stays open for ever, and a few hundred of them
hold every slot. Headers get ``header_timeout`` seconds from the connection's first byte (or
from its opening) in ``HeaderTimeoutProtocol``; the body gets ``body_timeout`` seconds from the
moment its headers were complete in ``TimedBody``, after which the request is answered 408 and
the connection closed; a connection answered before its body was read is closed too. The cap
on open connections per worker is uvicorn's ``limit_concurrency`` (beyond it, 503).
"""

from __future__ import annotations

import asyncio
import os
import types
from collections.abc import Generator
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from localtitan.errors import ApiError

__all__ = ["BodyTimeout", "HeaderTimeoutProtocol", "TimedBody"]

HEADER_TIMEOUT_ENV = "LOCALTITAN_HEADER_TIMEOUT"
# A timer this late (seconds) means the worker's loop was stalled, not that the client was slow.
_STALL = 0.5


class BodyTimeout(ApiError):
    """The body did not arrive in time; the door answers it like any other ApiError."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            f"The request body did not arrive within {seconds:g} seconds.",
            headers={"Connection": "close"},
        )


class TimedBody:
    """Wraps an ASGI ``receive``: body messages must all arrive before the deadline.

    Once the body is complete, ``receive`` is passed through untouched: a streaming response
    waits on it for the client's disconnect for as long as it streams.
    """

    __slots__ = ("_deadline", "_done", "_receive", "_seconds")

    def __init__(self, receive: Any, seconds: float) -> None:
        self._receive = receive
        self._seconds = seconds
        self._deadline = asyncio.get_running_loop().time() + seconds
        self._done = False

    async def __call__(self) -> Any:
        if self._done:
            return await self._receive()
        waiting = self._receive()
        if type(waiting) is types.CoroutineType:
            # A body that came with its headers (most do) is there at the coroutine's first
            # step: it is taken without a timer, which costs more than the rest of this.
            try:
                pending = waiting.send(None)
            except StopIteration as ready:
                message = ready.value
            else:
                message = await self._within(_resume(waiting, pending))
        else:
            message = await self._within(waiting)
        if message["type"] != "http.request" or not message.get("more_body", False):
            self._done = True
        return message

    async def _within(self, waiting: Any) -> Any:
        try:
            async with asyncio.timeout_at(self._deadline):
                return await waiting
        except TimeoutError:
            self._done = True
            raise BodyTimeout(self._seconds) from None


@types.coroutine
def _resume(coro: Any, pending: Any) -> Generator[Any, Any, Any]:
    """The rest of ``coro``, whose first step (taken already) yielded ``pending``: what it
    yields goes to the task, what the task sends or throws (a timeout's cancellation) to it."""
    while True:
        try:
            sent = yield pending
        except BaseException as exc:
            try:
                pending = coro.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                pending = coro.send(sent)
            except StopIteration as done:
                return done.value


def _header_timeout() -> float:
    raw = os.environ.get(HEADER_TIMEOUT_ENV, "").strip()
    try:
        return float(raw) if raw else 10.0
    except ValueError:
        return 10.0


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose headers do not arrive in time.

    The timer starts when the connection opens and again at each request's first byte, and
    stops when the headers are complete. serve passes the setting through the environment,
    as it does every setting its workers read.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_seconds = _header_timeout()
        # At most one timer per connection, left running across requests: each request only
        # moves the deadline (None: no headers awaited). A timer made and cancelled per
        # request was a libuv timer handle allocated, started and closed on every request
        # of a keep-alive connection.
        self._header_timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._header_due: float | None = None

    def _arm(self, seconds: float | None = None) -> None:
        wait = self._header_seconds if seconds is None else seconds
        due = self._header_due = self.loop.time() + wait
        if self._header_timer is not None:
            if self._timer_at <= due:
                return  # it fires first and looks at the deadline then
            self._header_timer.cancel()
        self._schedule(due)

    def _schedule(self, at: float) -> None:
        self._timer_at = at
        self._header_timer = self.loop.call_at(at, self._headers_late)

    def _disarm(self) -> None:
        self._header_due = None

    def _headers_late(self) -> None:
        self._header_timer = None
        due = self._header_due
        if due is None:
            return  # the headers arrived; the next request's first byte sets a deadline
        now = self.loop.time()
        if now < due:
            self._schedule(due)  # set by a later request than the one this timer was for
            return
        if now - due > _STALL:
            # The worker was too busy to run this timer on time, so it may not have read
            # what the client sent meanwhile either (uvloop runs timers before reading): the
            # delay is the server's, not the client's. Look again after the reading.
            self._arm(_STALL)
            return
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        # Answered before its body was read (a 401, say): nobody will read the rest, and a
        # client trickling it in would otherwise hold the connection for ever.
        # With pipelined requests queued, the request answered was an earlier, complete one.
        cycle = self.cycle
        if (
            not self.pipeline
            and cycle is not None
            and cycle.response_complete
            and cycle.more_body
            and not self.transport.is_closing()
        ):
            self.transport.close()
        super().on_response_complete()
