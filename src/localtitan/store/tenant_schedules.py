"""The ``tenant_schedules`` table: what the server repeats per tenant (see
:mod:`localtitan.demo.schedule`). A due schedule is claimed with one conditional UPDATE that
moves its next run forward, so among many workers exactly one runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from localtitan.store.database import Connection
from localtitan.store.tables import tenant_schedules

__all__ = [
    "ScheduleRow",
    "claim_schedule",
    "delete_schedule",
    "put_schedule",
    "record_schedule_run",
    "schedule_rows",
]

# (tenant id, action, every seconds, next run, last run, last error), times aware (UTC).
ScheduleRow = tuple[int, str, int, datetime, datetime | None, str | None]

_t = tenant_schedules.c


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def put_schedule(
    conn: Connection, tenant_id: int, action: str, every_seconds: int, next_run: datetime
) -> None:
    """Create the tenant's schedule for ``action``, or change its interval and next run."""
    where = (_t.tenant_id == tenant_id, _t.action == action)
    done = await conn.execute(
        update(tenant_schedules)
        .where(*where)
        .values(every_seconds=every_seconds, next_run_on=next_run)
    )
    if not done.rowcount:
        await conn.execute(
            insert(tenant_schedules).values(
                tenant_id=tenant_id,
                action=action,
                every_seconds=every_seconds,
                next_run_on=next_run,
            )
        )


async def delete_schedule(conn: Connection, tenant_id: int, action: str) -> bool:
    done = await conn.execute(
        delete(tenant_schedules).where(_t.tenant_id == tenant_id, _t.action == action)
    )
    return bool(done.rowcount)


async def schedule_rows(conn: Connection) -> list[ScheduleRow]:
    """Every schedule, by tenant."""
    rows: Any = (await conn.execute(select(tenant_schedules).order_by(_t.tenant_id))).all()
    out: list[ScheduleRow] = []
    for row in rows:
        next_run = _aware(row.next_run_on)
        assert next_run is not None
        out.append(
            (
                int(row.tenant_id),
                str(row.action),
                int(row.every_seconds),
                next_run,
                _aware(row.last_run_on),
                row.last_error,
            )
        )
    return out


async def claim_schedule(
    conn: Connection, tenant_id: int, action: str, due: datetime, next_run: datetime
) -> bool:
    """Move the schedule's next run from ``due`` to ``next_run`` if it is still ``due``; True
    if this call moved it (so this process runs it)."""
    done = await conn.execute(
        update(tenant_schedules)
        .where(_t.tenant_id == tenant_id, _t.action == action, _t.next_run_on == due)
        .values(next_run_on=next_run)
    )
    return bool(done.rowcount)


async def record_schedule_run(
    conn: Connection, tenant_id: int, action: str, when: datetime, error: str | None
) -> None:
    await conn.execute(
        update(tenant_schedules)
        .where(_t.tenant_id == tenant_id, _t.action == action)
        .values(last_run_on=when, last_error=error)
    )
