"""ServiceTitan's error body: ``{type, title, status, traceId, errors, data}`` (RFC 7807 style)."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec

__all__ = ["ApiError", "error_body", "new_trace_id"]

_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    413: "https://tools.ietf.org/html/rfc7231#section-6.5.11",
    415: "https://tools.ietf.org/html/rfc7231#section-6.5.13",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    501: "https://tools.ietf.org/html/rfc7231#section-6.6.2",
}

_encoder = msgspec.json.Encoder()


def new_trace_id() -> str:
    return secrets.token_hex(16)


class ApiError(Exception):
    """An error a client sees in ServiceTitan's shape; raised anywhere below the door."""

    def __init__(
        self,
        status: int,
        title: str,
        errors: dict[str, list[str]] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = errors or {}
        self.data = data or {}
        self.headers = headers or {}

    def body(self, trace_id: str | None = None) -> bytes:
        return error_body(self.status, self.title, self.errors, self.data, trace_id)


def error_body(
    status: int,
    title: str,
    errors: dict[str, list[str]] | None = None,
    data: dict[str, Any] | None = None,
    trace_id: str | None = None,
) -> bytes:
    return _encoder.encode(
        {
            "type": _TYPES.get(status, "about:blank"),
            "title": title,
            "status": status,
            "traceId": trace_id or new_trace_id(),
            "errors": errors or {},
            "data": data or {},
        }
    )
