"""The audit log: who changed what, when, and from which address.

Every change to apps, scopes, connections, secrets, users and refreshes is written here in the
same transaction as the change itself, so the log and the data cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localtitan.store import Connection
from localtitan.store import audit as audit_store

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
    conn: Connection,
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
    await audit_store.insert_entry(
        conn,
        at=datetime.now(UTC),
        actor=actor.label[:254],
        address=(actor.address or None) and actor.address[:64],
        action=action[:60],
        tenant_id=tenant_id,
        app_id=app_id,
        detail=text,
    )


async def list_entries(
    conn: Connection,
    *,
    tenant_ids: list[int] | None = None,
    app_ids: list[int] | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Newest first; with ``tenant_ids``/``app_ids``, only entries about those."""
    rows = await audit_store.audit_rows(
        conn, tenant_ids=tenant_ids, app_ids=app_ids, limit=max(1, min(limit, 1000))
    )
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
