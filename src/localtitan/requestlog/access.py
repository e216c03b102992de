"""One access-log line per request on the server's standard output (``--log-format``).

Built from the request-log row, so it carries the same redactions: the query string is the
redacted one, and no header or body goes into the line at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

__all__ = ["access_line"]

_json = msgspec.json.Encoder()


def _safe(text: str) -> str:
    # A path may hold a percent-decoded newline or quote: one request must stay one line.
    if text.isascii() and text.isprintable() and '"' not in text:
        return text  # the usual path, checked in C rather than character by character
    return "".join(c if " " <= c != '"' and c != "\x7f" else f"\\x{ord(c):02x}" for c in text)


def _when(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"


def access_line(row: dict[str, Any], client: str, fmt: str) -> str:
    """``fmt`` is "text" (one readable line) or "json" (one JSON object per line)."""
    target = row["path"] + ("?" + row["query"] if row["query"] else "")
    if fmt == "json":
        doc = {
            "time": _when(row["time_ms"]),
            "client": client,
            "environment": row["environment"],
            "method": row["method"],
            "path": row["path"],
            "query": row["query"],
            "status": row["status"],
            "latencyMs": row["latency_ms"],
            "responseSize": row["response_size"],
            "operationId": row["operation_id"],
            "tenantId": row["tenant_id"],
            "appId": row["app_id"],
            "clientId": row["client_id"],
            "traceId": row["trace_id"],
        }
        return _json.encode(doc).decode() + "\n"
    extra = " ".join(
        f"{name}={value}"
        for name, value in (
            ("op", row["operation_id"]),
            ("tenant", row["tenant_id"]),
            ("app", row["app_id"]),
            ("trace", row["trace_id"]),
        )
        if value is not None
    )
    return (
        f"{_when(row['time_ms'])} {client} {row['environment']} "
        f'"{_safe(row["method"])} {_safe(target)}" {row["status"]} {row["response_size"]}B '
        f"{row['latency_ms']:.1f}ms" + (f" {extra}" if extra else "") + "\n"
    )
