"""The statements of Request Access: what a developer asked for and how it was decided."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from localtitan.store.database import Connection
from localtitan.store.new_rows import insert_row
from localtitan.store.tables import access_requests

__all__ = [
    "insert_request",
    "request_row",
    "request_row_by_reference",
    "request_rows",
    "update_request",
]


async def insert_request(conn: Connection, values: Mapping[str, Any]) -> int:
    return await insert_row(conn, access_requests, values)


async def update_request(conn: Connection, request_id: int, values: Mapping[str, Any]) -> None:
    await conn.execute(
        access_requests.update().where(access_requests.c.id == request_id).values(**values)
    )


async def _one(conn: Connection, where: Any) -> dict[str, Any] | None:
    row = (await conn.execute(select(access_requests).where(where))).mappings().first()
    return dict(row) if row is not None else None


async def request_row(conn: Connection, request_id: int) -> dict[str, Any] | None:
    return await _one(conn, access_requests.c.id == request_id)


async def request_row_by_reference(conn: Connection, reference: str) -> dict[str, Any] | None:
    return await _one(conn, access_requests.c.reference == reference)


async def request_rows(conn: Connection, *, status: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` requests, newest first (of one status when given)."""
    query = select(access_requests).order_by(access_requests.c.id.desc()).limit(limit)
    if status:
        query = query.where(access_requests.c.status == status)
    return [dict(r) for r in (await conn.execute(query)).mappings()]
