"""Where the request log meets a request: around the token endpoints and the API in ``app.py``.

The wrapper notes the time, hands the door (or the token endpoint) a :class:`RequestFacts` to
fill in, watches the response go out (status, headers, size, and only the start of the body
the log keeps), and queues that same object, holding references only. It copies, decodes,
encodes and redacts nothing: the background flusher does all of that, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter, time
from typing import Any

from localtitan.platform.environments import Environment
from localtitan.requestlog.facts import FACTS_KEY, RequestFacts
from localtitan.requestlog.recorder import RequestLog

__all__ = ["logged"]

# app.LocalTitan._serve: passed with its arguments rather than wrapped in a closure, which
# would cost a function and a coroutine more per request.
Serve = Callable[[Any, Any, Any, str, Environment, str, str], Awaitable[None]]


async def logged(
    request_log: RequestLog,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    area: str,
    env: Environment,
    prefix: str,
    rest: str,
    serve: Serve,
) -> None:
    """Run ``serve(scope, receive, <watching send>, ...)`` and queue what happened; an
    exception still queues a 500."""
    facts = RequestFacts()
    scope[FACTS_KEY] = facts
    limit = 0
    started = perf_counter()

    async def watch(message: dict[str, Any]) -> None:
        nonlocal limit
        if message["type"] == "http.response.start":
            status = facts.status = message["status"]
            facts.response_headers = message.get("headers")
            # A successful response keeps less of its body than an error (decision 0190).
            limit = request_log.success_body_limit if status < 400 else request_log.body_limit
        else:
            body = message.get("body")
            if body:
                facts.response_size += len(body)
                kept = facts.kept
                if len(kept) < limit:
                    # Usually the one and only chunk: a slice of it, or itself when it fits.
                    facts.kept = kept + body[: limit - len(kept)] if kept else body[:limit]
        await send(message)

    try:
        await serve(scope, receive, watch, area, env, prefix, rest)
    finally:
        facts.latency = perf_counter() - started
        facts.wall = time()
        # The member's own attribute: ``.value`` goes through two Python-level descriptors.
        facts.environment = env._value_
        facts.area = area
        facts.method = scope["method"]
        facts.path = scope["path"]
        facts.query = scope.get("query_string", b"")
        facts.request_headers = scope["headers"]
        facts.client = scope.get("client")
        body = facts.request_body
        if body is not None and len(body) > request_log.body_limit:
            # Only the start waits in the queue; the size is noted so the log can say what was
            # cut.
            facts.request_size = len(body)
            facts.request_body = body[: request_log.body_limit]
        request_log.add(facts)
