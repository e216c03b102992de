"""The audit log: who changed what, when, and from which address.

Every change to apps, scopes, connections, secrets, users and refreshes is written here in the
same transaction as the change itself, so the log and the data cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.tables import audit_log

__all__ = ["CLI", "SYSTEM", "Actor", "AuditEntry", "list_entries", "record"]

# Details are for people; a runaway value must not bloat the table.
_MAX_DETAIL = 4_000


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user's email, or "cli" / "system"; and from which address."""

    label: str
    address: str | None = None


CLI = Actor("cli")
SYSTEM = Actor("system")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    address: str | None
    action: str
    tenant_id: int | None
    app_id: int | None
    detail: dict[str, Any]


async def record(
    conn: AsyncConnection,
    actor: Actor,
    action: str,
    *,
    tenant_id: int | None = None,
    app_id: int | None = None,
    **detail: Any,
) -> None:
    text = json.dumps(detail, default=str, sort_keys=True)
    if len(text) > _MAX_DETAIL:
        text = json.dumps({"truncated": text[: _MAX_DETAIL - 40]})
    await conn.execute(
        audit_log.insert().values(
            at=datetime.now(UTC),
            actor=actor.label[:254],
            address=(actor.address or None) and actor.address[:64],
            action=action[:60],
            tenant_id=tenant_id,
            app_id=app_id,
            detail=text,
        )
    )


async def list_entries(
    conn: AsyncConnection,
    *,
    tenant_ids: list[int] | None = None,
    app_ids: list[int] | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Newest first; with ``tenant_ids``/``app_ids``, only entries about those."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(max(1, min(limit, 1000)))
    scope = []
    if tenant_ids is not None:
        scope.append(audit_log.c.tenant_id.in_(tenant_ids))
    if app_ids is not None:
        scope.append(audit_log.c.app_id.in_(app_ids))
    if scope:
        query = query.where(or_(*scope))
    rows = (await conn.execute(query)).mappings()
    out = []
    for r in rows:
        at = r["at"] if r["at"].tzinfo else r["at"].replace(tzinfo=UTC)
        out.append(
            AuditEntry(
                int(r["id"]),
                at,
                r["actor"],
                r["address"],
                r["action"],
                r["tenant_id"],
                r["app_id"],
                json.loads(r["detail"]),
            )
        )
    return out
