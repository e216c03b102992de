"""Per-tenant schedules the server repeats, such as refreshing integration from production.

A schedule is a row of ``tenant_schedules`` (tenant, action, every, next run). Every server
process may run :func:`scheduler_loop`; a due schedule is claimed with one conditional UPDATE
that moves its next run forward, so among many workers exactly one runs it.

Hooking it into the server (``LocalTitan.startup`` / ``shutdown`` in ``app.py``)::

    from localtitan.demo import schedule
    self._scheduler = schedule.start_scheduler(self.runtime.db)   # after runtime.start()
    await schedule.stop_scheduler(self._scheduler)                # before runtime.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localtitan.snapshots.refresh import RefreshError, RefreshResult, refresh_integration
from localtitan.store.database import Database
from localtitan.store.tenant_schedules import (
    claim_schedule,
    delete_schedule,
    put_schedule,
    record_schedule_run,
    schedule_rows,
)

__all__ = [
    "REFRESH_INTEGRATION",
    "Schedule",
    "clear_schedule",
    "list_schedules",
    "parse_every",
    "run_due",
    "scheduler_loop",
    "set_schedule",
    "start_scheduler",
    "stop_scheduler",
]

REFRESH_INTEGRATION = "refresh-integration"
_POLL_SECONDS = 60.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MIN_EVERY = 60

log = logging.getLogger("localtitan.schedule")


@dataclass(frozen=True)
class Schedule:
    tenant_id: int
    action: str
    every_seconds: int
    next_run_on: datetime
    last_run_on: datetime | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "action": self.action,
            "everySeconds": self.every_seconds,
            "nextRunOn": self.next_run_on.isoformat(),
            "lastRunOn": self.last_run_on.isoformat() if self.last_run_on else None,
            "lastError": self.last_error,
        }


def parse_every(text: str) -> int | None:
    """``24h``, ``90m``, ``1d``, ``3600s`` -> seconds; ``off`` -> None."""
    value = text.strip().lower()
    if value in ("off", "never", "none", "0"):
        return None
    match = re.fullmatch(r"(\d+)\s*([smhd]?)", value)
    if match is None:
        raise ValueError(f"Cannot read {text!r} as an interval: use forms like 24h, 30m or 1d.")
    seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < _MIN_EVERY:
        raise ValueError("A schedule must repeat at most once a minute.")
    return seconds


async def set_schedule(
    db: Database,
    tenant_id: int,
    every_seconds: int,
    *,
    action: str = REFRESH_INTEGRATION,
    first_run: datetime | None = None,
) -> Schedule:
    """Create or change a tenant's schedule; the first run is one interval from now."""
    next_run = first_run or datetime.now(UTC) + timedelta(seconds=every_seconds)
    async with db.begin() as conn:
        await put_schedule(conn, tenant_id, action, every_seconds, next_run)
    return Schedule(tenant_id, action, every_seconds, next_run, None, None)


async def clear_schedule(
    db: Database, tenant_id: int, *, action: str = REFRESH_INTEGRATION
) -> bool:
    async with db.begin() as conn:
        return await delete_schedule(conn, tenant_id, action)


async def list_schedules(db: Database) -> list[Schedule]:
    async with db.read() as conn:
        rows = await schedule_rows(conn)
    return [Schedule(*row) for row in rows]


async def _claim(db: Database, item: Schedule, now: datetime) -> bool:
    """Move the schedule's next run forward if it is still due; True if this process won."""
    next_run = now + timedelta(seconds=item.every_seconds)
    async with db.begin() as conn:
        return await claim_schedule(conn, item.tenant_id, item.action, item.next_run_on, next_run)


async def _record(db: Database, item: Schedule, when: datetime, error: str | None) -> None:
    async with db.begin() as conn:
        await record_schedule_run(conn, item.tenant_id, item.action, when, error)


async def run_due(db: Database, now: datetime | None = None) -> list[RefreshResult]:
    """Run every schedule that is due (and that this process claims)."""
    now = now or datetime.now(UTC)
    done: list[RefreshResult] = []
    for item in await list_schedules(db):
        if item.next_run_on > now or not await _claim(db, item, now):
            continue
        if item.action != REFRESH_INTEGRATION:
            await _record(db, item, now, f"unknown action {item.action!r}")
            continue
        try:
            done.append(await refresh_integration(db, tenant_id=item.tenant_id))
            await _record(db, item, now, None)
        except RefreshError as exc:
            await _record(db, item, now, str(exc))
        except Exception as exc:  # keep the loop alive; the error is kept on the schedule
            log.exception("scheduled refresh of tenant %s failed", item.tenant_id)
            await _record(db, item, now, f"{type(exc).__name__}: {exc}")
    return done


async def scheduler_loop(db: Database, *, poll_seconds: float = _POLL_SECONDS) -> None:
    """Run due schedules every ``poll_seconds`` until cancelled."""
    while True:
        try:
            await run_due(db)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the schedule runner failed; retrying at the next poll")
        await asyncio.sleep(poll_seconds)


def start_scheduler(db: Database, *, poll_seconds: float = _POLL_SECONDS) -> asyncio.Task[None]:
    """Start :func:`scheduler_loop` on the running event loop."""
    return asyncio.get_running_loop().create_task(
        scheduler_loop(db, poll_seconds=poll_seconds), name="localtitan-schedules"
    )


async def stop_scheduler(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
