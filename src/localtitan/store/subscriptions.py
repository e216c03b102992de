"""The statements of release-notes subscriptions: subscribers, which release each was mailed
(written before the mail goes), and which releases were published on this database.

An insert that meets a row another process wrote at the same moment raises
:class:`DuplicateRow`, so the callers above the store can tell that case from a failure without
knowing the driver's exceptions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from localtitan.store.database import Connection
from localtitan.store.new_rows import insert_row
from localtitan.store.tables import published_releases, release_deliveries, release_subscribers

__all__ = [
    "DuplicateRow",
    "Subscriber",
    "confirm_subscriber",
    "forget_delivery",
    "insert_delivery",
    "insert_subscriber",
    "is_published",
    "mark_published",
    "published_release_ids",
    "set_pending",
    "subscriber_by_email",
    "undelivered_subscribers",
    "unsubscribe_subscriber",
]


class DuplicateRow(Exception):
    """The row is there already: another request wrote it first."""


class Subscriber(NamedTuple):
    id: int
    email: str
    module: str | None
    status: str


@asynccontextmanager
async def _unique() -> AsyncIterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise DuplicateRow(str(exc.orig)) from exc


async def subscriber_by_email(conn: Connection, email: str) -> Subscriber | None:
    row = (
        await conn.execute(
            select(
                release_subscribers.c.id,
                release_subscribers.c.email,
                release_subscribers.c.module,
                release_subscribers.c.status,
            ).where(release_subscribers.c.email == email)
        )
    ).first()
    return None if row is None else Subscriber(int(row[0]), row[1], row[2], row[3])


async def insert_subscriber(
    conn: Connection, *, email: str, module: str | None, created_on: datetime
) -> int:
    """A new pending subscriber; :class:`DuplicateRow` when the address subscribed meanwhile."""
    async with _unique():
        return await insert_row(
            conn,
            release_subscribers,
            {"email": email, "module": module, "status": "pending", "created_on": created_on},
        )


async def set_pending(conn: Connection, subscriber_id: int, module: str | None) -> None:
    await conn.execute(
        update(release_subscribers)
        .where(release_subscribers.c.id == subscriber_id)
        .values(status="pending", module=module)
    )


async def confirm_subscriber(
    conn: Connection, subscriber_id: int, email: str, now: datetime
) -> bool:
    """Confirm a pending (or already confirmed) subscriber; False when there is none."""
    result = await conn.execute(
        update(release_subscribers)
        .where(
            release_subscribers.c.id == subscriber_id,
            release_subscribers.c.email == email,
            release_subscribers.c.status.in_(("pending", "confirmed")),
        )
        .values(status="confirmed", confirmed_on=now)
    )
    return bool(result.rowcount)


async def unsubscribe_subscriber(conn: Connection, subscriber_id: int, email: str) -> None:
    await conn.execute(
        update(release_subscribers)
        .where(release_subscribers.c.id == subscriber_id, release_subscribers.c.email == email)
        .values(status="unsubscribed")
    )


async def undelivered_subscribers(conn: Connection, release_id: str) -> list[Subscriber]:
    """Confirmed subscribers that have not had this release, in id order."""
    rows = await conn.execute(
        select(
            release_subscribers.c.id,
            release_subscribers.c.email,
            release_subscribers.c.module,
            release_subscribers.c.status,
        )
        .where(release_subscribers.c.status == "confirmed")
        .where(
            ~release_subscribers.c.id.in_(
                select(release_deliveries.c.subscriber_id).where(
                    release_deliveries.c.release_id == release_id
                )
            )
        )
        .order_by(release_subscribers.c.id)
    )
    return [Subscriber(int(r[0]), r[1], r[2], r[3]) for r in rows]


async def insert_delivery(
    conn: Connection, release_id: str, subscriber_id: int, sent_on: datetime
) -> None:
    """Claim one mail of a release; :class:`DuplicateRow` when another publisher has."""
    async with _unique():
        await conn.execute(
            insert(release_deliveries).values(
                release_id=release_id, subscriber_id=subscriber_id, sent_on=sent_on
            )
        )


async def forget_delivery(conn: Connection, release_id: str, subscriber_id: int) -> None:
    await conn.execute(
        delete(release_deliveries).where(
            release_deliveries.c.release_id == release_id,
            release_deliveries.c.subscriber_id == subscriber_id,
        )
    )


async def is_published(conn: Connection, release_id: str) -> bool:
    found = await conn.execute(
        select(published_releases.c.release_id).where(published_releases.c.release_id == release_id)
    )
    return found.first() is not None


async def mark_published(conn: Connection, release_id: str, now: datetime) -> None:
    """:class:`DuplicateRow` when another process marked it at the same moment."""
    async with _unique():
        await conn.execute(
            insert(published_releases).values(release_id=release_id, published_on=now)
        )


async def published_release_ids(conn: Connection) -> set[str]:
    return {str(r) for r in (await conn.execute(select(published_releases.c.release_id))).scalars()}
