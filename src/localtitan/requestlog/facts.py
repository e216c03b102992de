"""What the door and the token endpoint learn about a request, for its request-log row.

The app puts a :class:`RequestFacts` in the ASGI scope under :data:`FACTS_KEY` when the request
log or the access log is on; the door and the token endpoint fill in what they find out
(operation, tenant, app, client, trace id, request body) as they go, so an early failure still
records whatever was known by then. Filling it in is a few attribute stores: nothing here
copies or encodes a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["FACTS_KEY", "RequestFacts", "facts_of"]

FACTS_KEY = "localtitan.request_facts"


class RequestFacts:
    __slots__ = (
        "app_id",
        "client_id",
        "operation_id",
        "request_body",
        "request_size",
        "tenant_id",
        "trace_id",
    )

    def __init__(self) -> None:
        self.operation_id: str | None = None
        self.tenant_id: int | None = None
        self.app_id: int | None = None
        self.client_id: str | None = None
        self.trace_id: str | None = None
        self.request_body: bytes | None = None
        # Set when the body was cut to the log's limit: the size it had.
        self.request_size: int | None = None


def facts_of(scope: Mapping[str, Any]) -> RequestFacts | None:
    found = scope.get(FACTS_KEY)
    return found if isinstance(found, RequestFacts) else None
