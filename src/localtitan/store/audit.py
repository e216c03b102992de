"""The statements of the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from localtitan.store.database import Connection
from localtitan.store.tables import audit_log

__all__ = ["audit_rows", "insert_entry"]


async def insert_entry(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    address: str | None,
    action: str,
    tenant_id: int | None,
    app_id: int | None,
    detail: str,
) -> None:
    await conn.execute(
        audit_log.insert().values(
            at=at,
            actor=actor,
            address=address,
            action=action,
            tenant_id=tenant_id,
            app_id=app_id,
            detail=detail,
        )
    )


async def audit_rows(
    conn: Connection,
    *,
    tenant_ids: Sequence[int] | None,
    app_ids: Sequence[int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; with ``tenant_ids``/``app_ids``, only entries about any of those."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    scope = []
    if tenant_ids is not None:
        scope.append(audit_log.c.tenant_id.in_(list(tenant_ids)))
    if app_ids is not None:
        scope.append(audit_log.c.app_id.in_(list(app_ids)))
    if scope:
        query = query.where(or_(*scope))
    return [dict(r) for r in (await conn.execute(query)).mappings()]
