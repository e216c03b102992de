"""The statements of the mail outbox: the mails kept when no SMTP server is configured."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from localtitan.store.database import Connection
from localtitan.store.tables import mail_outbox

__all__ = ["insert_mail", "outbox_count", "outbox_rows"]


async def insert_mail(
    conn: Connection, *, created_on: datetime, kind: str, to_address: str, subject: str, body: str
) -> None:
    await conn.execute(
        insert(mail_outbox).values(
            created_on=created_on, kind=kind, to_address=to_address, subject=subject, body=body
        )
    )


async def outbox_rows(conn: Connection, *, to: str | None, limit: int) -> list[Any]:
    """The newest mails first (to one address when ``to`` is given); rows with the table's
    column names as attributes."""
    query = select(mail_outbox).order_by(mail_outbox.c.id.desc()).limit(limit)
    if to is not None:
        query = query.where(mail_outbox.c.to_address == to)
    return list((await conn.execute(query)).all())


async def outbox_count(conn: Connection) -> int:
    return int((await conn.execute(select(func.count()).select_from(mail_outbox))).scalar_one())
