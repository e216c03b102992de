"""One access-log line per request on the server's standard output (``--log-format``).

Built from the request-log row, so it carries the same redactions: the query string is the
redacted one, and no header or body goes into the line at all.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import msgspec

from localtitan.requestlog.rows import remember
from localtitan.store.request_log import COLUMNS, LogRow

__all__ = ["access_line", "line_of"]

_json = msgspec.json.Encoder()


def _escaped(text: str) -> str:
    # A path may hold a percent-decoded newline or quote: one request must stay one line.
    if text.isascii() and text.isprintable() and '"' not in text:
        return text  # the usual path, checked in C rather than character by character
    return "".join(c if " " <= c != '"' and c != "\x7f" else f"\\x{ord(c):02x}" for c in text)


# Targets seen before and whether they needed escaping: a client calls the same few paths
# again and again, and the check above costs more than a dictionary lookup.
_targets: dict[str, str] = {}
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _safe(text: str) -> str:
    found = _targets.get(text)
    if found is None:
        found = _escaped(text)
        remember(_targets, text, found)
    return found


# The second the last line was written in, and its text: a batch's lines share a few seconds,
# and formatting a date costs more than the rest of a line.
_second: list[Any] = [None, ""]


def _when(time_ms: int) -> str:
    second, millis = divmod(time_ms, 1000)
    if _second[0] != second:
        _second[0] = second
        _second[1] = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
    return f"{_second[1]}{millis:03d}Z"


def line_of(row: LogRow, client: str, fmt: str) -> str:
    """``fmt`` is "text" (one readable line) or "json" (one JSON object per line)."""
    (
        time_ms,
        environment,
        _area,
        tenant_id,
        app_id,
        client_id,
        method,
        path,
        operation_id,
        query,
        status,
        latency_ms,
        trace_id,
        _request_size,
        response_size,
    ) = row[:15]
    if fmt == "json":
        doc = {
            "time": _when(time_ms),
            "client": client,
            "environment": environment,
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "latencyMs": latency_ms,
            "responseSize": response_size,
            "operationId": operation_id,
            "tenantId": tenant_id,
            "appId": app_id,
            "clientId": client_id,
            "traceId": trace_id,
        }
        return _json.encode(doc).decode() + "\n"
    target = _safe(path + "?" + query if query else path)
    if method not in _METHODS:
        method = _safe(method)
    if operation_id is not None and tenant_id is not None and app_id is not None:
        # An API call that got through the door: one format instead of four appends.
        extra = f" op={operation_id} tenant={tenant_id} app={app_id}"
    else:
        extra = ""
        if operation_id is not None:
            extra += f" op={operation_id}"
        if tenant_id is not None:
            extra += f" tenant={tenant_id}"
        if app_id is not None:
            extra += f" app={app_id}"
    if trace_id is not None:
        extra += f" trace={trace_id}"
    return (
        f'{_when(time_ms)} {client} {environment} "{method} {target}" '
        f"{status} {response_size}B {latency_ms:.1f}ms{extra}\n"
    )


def access_line(row: Mapping[str, Any], client: str, fmt: str) -> str:
    """The line of a row given by column name (a row read back, or a test's)."""
    return line_of(tuple(row.get(name) for name in COLUMNS), client, fmt)  # type: ignore[arg-type]
