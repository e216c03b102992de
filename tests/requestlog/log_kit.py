"""Helpers shared by the request-log tests: read rows back, and insert known rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from localtitan.app import LocalTitan
from localtitan.store.tables import request_log


async def rows_of(app: LocalTitan, **where: Any) -> list[dict[str, Any]]:
    query = select(request_log).order_by(request_log.c.id)
    for name, value in where.items():
        query = query.where(request_log.c[name] == value)
    async with app.runtime.db.read() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


def known_row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "time_ms": 0,
        "environment": "integration",
        "area": "api",
        "tenant_id": None,
        "app_id": None,
        "client_id": None,
        "method": "GET",
        "path": "/api-integration/crm/v2/tenant/1/customers",
        "operation_id": None,
        "query": None,
        "status": 200,
        "latency_ms": 1.0,
        "trace_id": None,
        "request_size": 0,
        "response_size": 0,
        "request_headers": "[]",
        "request_body": None,
        "response_headers": "[]",
        "response_body": None,
    }
    row.update(values)
    return row


async def insert_rows(app: LocalTitan, rows: list[dict[str, Any]]) -> None:
    async with app.runtime.db.begin() as conn:
        await conn.execute(insert(request_log), rows)


async def clear(app: LocalTitan) -> None:
    """Empty the table: the tests of one module share a database."""
    async with app.runtime.db.begin() as conn:
        await conn.execute(delete(request_log))
