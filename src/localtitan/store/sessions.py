"""The statements of portal sign-in sessions, each kept as the SHA-256 of its id."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select

from localtitan.store.database import Connection
from localtitan.store.tables import portal_sessions

__all__ = [
    "SessionRow",
    "delete_expired_sessions",
    "delete_session",
    "delete_user_sessions",
    "insert_session",
    "session_row",
]


class SessionRow(NamedTuple):
    user_id: int
    environment: str
    expires_on: datetime


async def session_row(conn: Connection, id_hash: str) -> SessionRow | None:
    row = (
        await conn.execute(
            select(
                portal_sessions.c.user_id,
                portal_sessions.c.environment,
                portal_sessions.c.expires_on,
            ).where(portal_sessions.c.id_hash == id_hash)
        )
    ).first()
    return None if row is None else SessionRow(int(row[0]), str(row[1]), row[2])


async def insert_session(
    conn: Connection,
    *,
    id_hash: str,
    user_id: int,
    environment: str,
    created_on: datetime,
    expires_on: datetime,
    address: str | None,
) -> None:
    await conn.execute(
        portal_sessions.insert().values(
            id_hash=id_hash,
            user_id=user_id,
            environment=environment,
            created_on=created_on,
            expires_on=expires_on,
            address=address,
        )
    )


async def delete_session(conn: Connection, id_hash: str) -> None:
    await conn.execute(delete(portal_sessions).where(portal_sessions.c.id_hash == id_hash))


async def delete_expired_sessions(conn: Connection, user_id: int, now: datetime) -> None:
    await conn.execute(
        delete(portal_sessions).where(
            portal_sessions.c.user_id == user_id, portal_sessions.c.expires_on < now
        )
    )


async def delete_user_sessions(conn: Connection, user_id: int) -> None:
    await conn.execute(delete(portal_sessions).where(portal_sessions.c.user_id == user_id))
