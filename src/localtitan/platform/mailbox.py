"""Where account mails go (access-request receipts, approvals, password-reset links).

This is the one door: ``send_mail`` in the caller's transaction. Until the portal's mail
outbox (stored mails, SMTP when configured) is merged, mails are kept in this process's memory
(``sent_mails``, newest last, bounded) and their subject and recipient are logged; the body is
not, as it can hold a password link.
"""

from __future__ import annotations

import logging
from collections import deque

from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.platform.access import Mail

__all__ = ["send_mail", "sent_mails"]

log = logging.getLogger("localtitan.mail")
_KEPT = 200
_sent: deque[Mail] = deque(maxlen=_KEPT)


async def send_mail(conn: AsyncConnection, mail: Mail) -> None:
    del conn  # the outbox will store the mail in this transaction
    _sent.append(mail)
    log.info("Mail to %s: %s", mail.to, mail.subject)


def sent_mails(to: str | None = None) -> list[Mail]:
    return [m for m in _sent if to is None or m.to == to.lower()]
