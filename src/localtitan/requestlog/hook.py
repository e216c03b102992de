"""Where the request log meets a request: around the token endpoints and the API in ``app.py``.

The wrapper notes the time, hands the door (or the token endpoint) a :class:`RequestFacts` to
fill in, watches the response go out (status, headers, size, and only the start of the body
the log keeps), and queues one entry of references. It copies, decodes, encodes and redacts
nothing: the background flusher does all of that.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from localtitan.requestlog.facts import FACTS_KEY, RequestFacts
from localtitan.requestlog.recorder import RequestLog

__all__ = ["logged"]

Serve = Callable[[Any], Awaitable[None]]


async def logged(
    request_log: RequestLog,
    scope: dict[str, Any],
    send: Any,
    environment: str,
    area: str,
    serve: Serve,
) -> None:
    """Run ``serve(send)`` and queue what happened; an exception still queues a 500."""
    facts = RequestFacts()
    scope[FACTS_KEY] = facts
    started = time.perf_counter()
    status = 500
    response_headers: list[tuple[bytes, bytes]] | None = None
    kept = b""
    size = 0
    limit = 0

    async def watch(message: dict[str, Any]) -> None:
        nonlocal status, response_headers, kept, size, limit
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = message.get("headers")
            # A successful response keeps less of its body than an error (decision 0190).
            limit = request_log.success_body_limit if status < 400 else request_log.body_limit
        else:
            body = message.get("body", b"")
            if body:
                size += len(body)
                if len(kept) < limit:
                    # Usually the one and only chunk: a slice of it, or itself when it fits.
                    kept = kept + body[: limit - len(kept)] if kept else body[:limit]
        await send(message)

    try:
        await serve(watch)
    finally:
        body = facts.request_body
        if body is not None and len(body) > request_log.body_limit:
            # Only the start waits in the queue; the size is noted so the log can say what was
            # cut.
            facts.request_size = len(body)
            facts.request_body = body[: request_log.body_limit]
        request_log.add(
            (
                time.time(),
                time.perf_counter() - started,
                environment,
                area,
                scope,
                status,
                facts,
                response_headers,
                kept,
                size,
            )
        )
