"""Where the request log meets a request: around the token endpoints and the API in ``app.py``.

The wrapper notes the time, hands the door (or the token endpoint) a :class:`RequestFacts` to
fill in, watches the response go out (status, headers, size, and only the first
``request_log_body_bytes`` of the body), and queues one entry. It encodes and redacts nothing:
the background flusher does that.
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
    limit = request_log.body_limit
    status = 500
    response_headers: list[tuple[bytes, bytes]] = []
    kept = b""
    size = 0

    async def watch(message: dict[str, Any]) -> None:
        nonlocal status, response_headers, kept, size
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = message.get("headers") or []
        else:
            body = message.get("body", b"")
            size += len(body)
            if len(kept) < limit:
                kept = kept + body[: limit - len(kept)] if kept else body[:limit]
        await send(message)

    try:
        await serve(watch)
    finally:
        body = facts.request_body
        if body is not None and len(body) > limit:
            # Only the start is kept; the size is noted so the log can say what was cut.
            facts.request_size = len(body)
            facts.request_body = body[:limit]
        client = scope.get("client")
        request_log.add(
            (
                int(time.time() * 1000),
                (time.perf_counter() - started) * 1000.0,
                environment,
                area,
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                status,
                facts,
                scope["headers"],
                response_headers,
                kept,
                size,
                client[0] if client else "-",
            )
        )
