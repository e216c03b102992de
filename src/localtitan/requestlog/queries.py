"""Reading the request log back: filtered lists (newest first, or after an id for ``tail``)
and one request in full. Every read names the app or the tenant it is for; callers check that
the person asking may see that app or tenant before they call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.tables import request_log

__all__ = [
    "LogEntry",
    "LogFilter",
    "get_entry",
    "last_id",
    "list_entries",
    "parse_since",
    "parse_status",
]

_STATUS = re.compile(r"^([1-5])(?:xx|XX)$|^([1-5][0-9][0-9])$")
_SINCE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_PAGE = 500


def parse_status(text: str) -> tuple[int, int]:
    """``4xx`` -> (400, 500); ``429`` -> (429, 430). ValueError for anything else."""
    match = _STATUS.match(text.strip())
    if match is None:
        raise ValueError(
            f"Cannot read {text!r} as a status: use a class like 4xx or a code like 429."
        )
    if match.group(1):
        low = int(match.group(1)) * 100
        return low, low + 100
    code = int(match.group(2))
    return code, code + 1


def parse_since(text: str, now_ms: int) -> int:
    """``15m``, ``2h``, ``7d`` ago as Unix milliseconds. ValueError for anything else."""
    match = _SINCE.match(text.strip().lower())
    if match is None:
        raise ValueError(f"Cannot read {text!r} as a time span: use forms like 30s, 15m, 2h or 7d.")
    return now_ms - int(match.group(1)) * _UNITS[match.group(2)] * 1000


@dataclass(frozen=True)
class LogFilter:
    app_id: int | None = None
    tenant_id: int | None = None
    environment: str | None = None
    status: tuple[int, int] | None = None
    method: str | None = None
    operation_id: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    after_id: int | None = None
    before_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class LogEntry:
    id: int
    time_ms: int
    environment: str
    area: str
    tenant_id: int | None
    app_id: int | None
    client_id: str | None
    method: str
    path: str
    operation_id: str | None
    query: str | None
    status: int
    latency_ms: float
    trace_id: str | None
    request_size: int
    response_size: int
    request_headers: list[list[str]] | None = None
    request_body: str | None = None
    response_headers: list[list[str]] | None = None
    response_body: str | None = None

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "timeMs": self.time_ms,
            "environment": self.environment,
            "area": self.area,
            "tenantId": self.tenant_id,
            "appId": self.app_id,
            "clientId": self.client_id,
            "method": self.method,
            "path": self.path,
            "operationId": self.operation_id,
            "query": self.query,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "traceId": self.trace_id,
            "requestSize": self.request_size,
            "responseSize": self.response_size,
        }
        if self.request_headers is not None:
            doc |= {
                "requestHeaders": self.request_headers,
                "requestBody": self.request_body,
                "responseHeaders": self.response_headers,
                "responseBody": self.response_body,
            }
        return doc


_SUMMARY = [
    request_log.c.id,
    request_log.c.time_ms,
    request_log.c.environment,
    request_log.c.area,
    request_log.c.tenant_id,
    request_log.c.app_id,
    request_log.c.client_id,
    request_log.c.method,
    request_log.c.path,
    request_log.c.operation_id,
    request_log.c.query,
    request_log.c.status,
    request_log.c.latency_ms,
    request_log.c.trace_id,
    request_log.c.request_size,
    request_log.c.response_size,
]
_DETAIL = [
    request_log.c.request_headers,
    request_log.c.request_body,
    request_log.c.response_headers,
    request_log.c.response_body,
]


def _entry(row: Any, detail: bool) -> LogEntry:
    values = dict(row._mapping)
    if detail:
        values["request_headers"] = msgspec.json.decode(values["request_headers"] or "[]")
        values["response_headers"] = msgspec.json.decode(values["response_headers"] or "[]")
    values["latency_ms"] = float(values["latency_ms"])
    return LogEntry(**values)


def _filtered(query: Select[Any], f: LogFilter) -> Select[Any]:
    c = request_log.c
    if f.app_id is not None:
        query = query.where(c.app_id == f.app_id)
    if f.tenant_id is not None:
        query = query.where(c.tenant_id == f.tenant_id)
    if f.environment is not None:
        query = query.where(c.environment == f.environment)
    if f.status is not None:
        query = query.where(c.status >= f.status[0], c.status < f.status[1])
    if f.method:
        query = query.where(c.method == f.method.upper())
    if f.operation_id:
        query = query.where(c.operation_id == f.operation_id)
    if f.since_ms is not None:
        query = query.where(c.time_ms >= f.since_ms)
    if f.until_ms is not None:
        query = query.where(c.time_ms < f.until_ms)
    if f.after_id is not None:
        query = query.where(c.id > f.after_id)
    if f.before_id is not None:
        query = query.where(c.id < f.before_id)
    return query


async def list_entries(conn: AsyncConnection, f: LogFilter) -> list[LogEntry]:
    """Newest first; with ``after_id``, oldest first (what ``tail`` prints next)."""
    order = request_log.c.id.asc() if f.after_id is not None else request_log.c.id.desc()
    query = _filtered(select(*_SUMMARY), f).order_by(order).limit(max(1, min(f.limit, MAX_PAGE)))
    return [_entry(row, False) for row in await conn.execute(query)]


async def last_id(conn: AsyncConnection) -> int:
    found = (
        await conn.execute(select(request_log.c.id).order_by(request_log.c.id.desc()).limit(1))
    ).scalar_one_or_none()
    return int(found or 0)


async def get_entry(
    conn: AsyncConnection,
    entry_id: int,
    *,
    app_id: int | None = None,
    tenant_id: int | None = None,
    environment: str | None = None,
) -> LogEntry | None:
    """One request in full, or None when it is not that app's (or that tenant's)."""
    if app_id is None and tenant_id is None:
        raise ValueError("A request is read for an app or for a tenant, never for anyone.")
    f = LogFilter(app_id=app_id, tenant_id=tenant_id, environment=environment)
    query = _filtered(select(*_SUMMARY, *_DETAIL), f).where(request_log.c.id == entry_id)
    row = (await conn.execute(query)).first()
    return _entry(row, True) if row is not None else None
