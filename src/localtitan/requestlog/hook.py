"""Where the request log meets a request: around the token endpoints and the API in ``app.py``.

The wrapper notes the time, hands the door (or the token endpoint) a :class:`RequestFacts` to
fill in, has the response noted as it goes out (status, headers, size, and only the start of
the body the log keeps: the door does it itself, the token endpoint's is watched), and queues
that same object, holding references only. It copies, decodes, encodes and redacts nothing:
the background flusher does all of that, a batch at a time.
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
    """Run ``serve(scope, receive, send, ...)`` and queue what happened; an exception still
    queues a 500."""
    facts = RequestFacts(request_log.success_body_limit, request_log.body_limit)
    scope[FACTS_KEY] = facts
    started = perf_counter()
    try:
        # The door tells the facts about its response itself (api._send).
        watched = send if area == "api" else facts.watching(send)
        await serve(scope, receive, watched, area, env, prefix, rest)
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
