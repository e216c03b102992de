"""What the door and the token endpoint learn about a request, for its request-log row.

The app puts a :class:`RequestFacts` in the ASGI scope under :data:`FACTS_KEY` when the request
log or the access log is on; the door and the token endpoint fill in what they find out
(operation, tenant, app, client, trace id, request body) as they go, so an early failure still
records whatever was known by then. Filling it in is a few attribute stores: nothing here
copies or encodes a body.

The same object is what the log queues: the hook adds the request's and the response's
references (method, path, headers, status, the start of the body) and the timing to it, so a
queued request holds one small object and the lists uvicorn and the door made anyway, not the
ASGI scope (fewer objects kept alive means fewer and shorter garbage collections while a batch
waits).

The door, which sends every API response in one piece, tells the facts about it itself
(:meth:`RequestFacts.responded`); other responses (the token endpoint's) are watched on their
way out (:meth:`RequestFacts.watching`). A wrapper around ``send`` for every API call cost two
more coroutine calls and a closure per request, a tenth of what the log cost in all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = ["FACTS_KEY", "RequestFacts", "facts_of"]

FACTS_KEY = "localtitan.request_facts"


class RequestFacts:
    __slots__ = (
        "app_id",
        "area",
        "body_limit",
        "client",
        "client_id",
        "environment",
        "kept",
        "latency",
        "method",
        "operation_id",
        "path",
        "query",
        "request_body",
        "request_headers",
        "request_size",
        "response_headers",
        "response_size",
        "status",
        "success_limit",
        "tenant_id",
        "trace_id",
        "wall",
    )

    def __init__(self, success_limit: int = 0, body_limit: int = 0) -> None:
        # How much of a response body is kept: less of a success's than an error's (0190).
        self.success_limit = success_limit
        self.body_limit = body_limit
        # What the door and the token endpoint fill in.
        self.operation_id: str | None = None
        self.tenant_id: int | None = None
        self.app_id: int | None = None
        self.client_id: str | None = None
        self.trace_id: str | None = None
        self.request_body: bytes | None = None
        # Set when the body was cut to the log's limit: the size it had.
        self.request_size: int | None = None
        # What responded() or watching() fills in; an exception before the response started
        # leaves the 500 the log records.
        self.status = 500
        self.response_headers: list[tuple[bytes, bytes]] | None = None
        self.kept = b""
        self.response_size = 0
        # The hook sets the rest when the request is done, before it is queued.
        self.wall: float
        self.latency: float
        self.environment: str
        self.area: str
        self.method: str
        self.path: str
        self.query: bytes
        self.request_headers: list[tuple[bytes, bytes]]
        self.client: tuple[str, int] | None

    def responded(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """A whole response, about to be sent: its status, headers, size, the kept start."""
        self.status = status
        self.response_headers = headers
        size = self.response_size = len(body)
        limit = self.success_limit if status < 400 else self.body_limit
        # A slice copies: a body that fits is kept as it is (it is not changed after this).
        self.kept = body if size <= limit else body[:limit]

    def watching(
        self, send: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> Callable[[dict[str, Any]], Awaitable[None]]:
        """``send``, noting the response that goes through it, in as many pieces as it has."""
        limit = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal limit
            if message["type"] == "http.response.start":
                status = self.status = message["status"]
                self.response_headers = message.get("headers")
                limit = self.success_limit if status < 400 else self.body_limit
            else:
                body = message.get("body")
                if body:
                    self.response_size += len(body)
                    kept = self.kept
                    if len(kept) < limit:
                        self.kept = kept + body[: limit - len(kept)] if kept else body[:limit]
            await send(message)

        return watch


def facts_of(scope: Mapping[str, Any]) -> RequestFacts | None:
    found = scope.get(FACTS_KEY)
    return found if isinstance(found, RequestFacts) else None
