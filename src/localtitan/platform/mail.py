"""The portal's mail: through SMTP when an SMTP URL is configured, else into the outbox.

``send`` is the one way any part of localtitan sends a mail (release notes, and the accounts
pages' password resets and access requests). Without ``--smtp-url`` / ``LOCALTITAN_SMTP_URL``
every mail is stored in the ``mail_outbox`` table and shown at ``/outbox`` to a browser on the
server's own machine, so the whole flow works offline.

SMTP URLs: ``smtp://[user:password@]host[:port][?from=address&starttls=1]`` or
``smtps://...`` (TLS from the start, port 465 by default).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlparse

from localtitan.store import Database
from localtitan.store import outbox as outbox_store

__all__ = [
    "DEFAULT_SENDER",
    "Mail",
    "MailError",
    "OutboxMail",
    "outbox",
    "outbox_count",
    "send",
]

DEFAULT_SENDER = "localtitan <no-reply@localtitan.invalid>"
MAX_SUBJECT = 300
MAX_BODY = 100_000
_SMTP_TIMEOUT = 20


class MailError(Exception):
    """The SMTP server refused or could not be reached; the message says which."""


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    # What the mail is for ("release-notes.confirm", "accounts.password-reset"...): shown in
    # the outbox and kept with it.
    kind: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class OutboxMail:
    id: int
    created_on: datetime
    kind: str
    to: str
    subject: str
    body: str


def _message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="localtitan.invalid")
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.text)
    return message


def _deliver(url: str, message: EmailMessage) -> None:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    secure = parts.scheme == "smtps"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (465 if secure else 25)
    try:
        client: smtplib.SMTP
        if secure:
            client = smtplib.SMTP_SSL(
                host, port, timeout=_SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=_SMTP_TIMEOUT)
        with client:
            if not secure and query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # The URL may carry a password: name only the host.
        raise MailError(f"The SMTP server at {host}:{port} did not take the mail: {exc}") from exc


def _sender(url: str | None) -> str:
    if url:
        found = parse_qs(urlparse(url).query).get("from")
        if found and found[0].strip():
            return found[0].strip()
    return DEFAULT_SENDER


async def send(db: Database, smtp_url: str | None, mail: Mail) -> str:
    """Send ``mail``; returns ``"smtp"`` or ``"outbox"`` (where it went).

    Raises ``ValueError`` for a mail that is not one (empty address, a header injection) and
    ``MailError`` when the SMTP server does not take it.
    """
    if not mail.to or any(c in mail.to for c in "\r\n") or "@" not in mail.to:
        raise ValueError("A mail needs one recipient address.")
    if any(c in mail.subject for c in "\r\n") or len(mail.subject) > MAX_SUBJECT:
        raise ValueError("A mail subject is one line of at most 300 characters.")
    if len(mail.text) > MAX_BODY:
        raise ValueError("A mail body is at most 100,000 characters.")
    if smtp_url:
        await asyncio.to_thread(_deliver, smtp_url, _message(mail, _sender(smtp_url)))
        return "smtp"
    async with db.begin() as conn:
        await outbox_store.insert_mail(
            conn,
            created_on=datetime.now(UTC),
            kind=mail.kind,
            to_address=mail.to,
            subject=mail.subject,
            body=mail.text,
        )
    return "outbox"


async def outbox(db: Database, *, to: str | None = None, limit: int = 50) -> list[OutboxMail]:
    """The newest mails of the outbox (to one address when ``to`` is given)."""
    async with db.read() as conn:
        rows = await outbox_store.outbox_rows(conn, to=to, limit=max(1, min(limit, 500)))
    return [OutboxMail(r.id, r.created_on, r.kind, r.to_address, r.subject, r.body) for r in rows]


async def outbox_count(db: Database) -> int:
    async with db.read() as conn:
        return await outbox_store.outbox_count(conn)
