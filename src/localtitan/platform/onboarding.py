"""Request Access end to end, for the portal and the command line alike: record the request,
approve or decline it, mail the requester, seed the new tenant's demo company, audit it all.

Mails go out through ``localtitan.platform.mail.send`` after the change has committed (it has
its own transaction, and an SMTP server's answer must not hold a database lock). A mail that
cannot be delivered is logged; the change it reports stands.
"""

from __future__ import annotations

import logging

from localtitan.platform import access, audit, mail
from localtitan.platform.server_key import ServerKey
from localtitan.platform.users import User, reset_token
from localtitan.spec import Manifest
from localtitan.store import Connection, Database

__all__ = ["approve", "decline", "deliver", "password_link", "submit"]

log = logging.getLogger("localtitan.accounts")


def password_link(server_key: ServerKey, base_url: str, user: User) -> str:
    return f"{base_url}/reset-password?token={reset_token(server_key, user)}"


async def deliver(db: Database, smtp_url: str | None, message: mail.Mail) -> bool:
    """Send one account mail; False (and a log line naming the recipient, not the body, which
    may hold a password link) when the mail server refused it."""
    try:
        await mail.send(db, smtp_url, message)
    except (mail.MailError, ValueError) as exc:
        log.warning("Could not send %s mail to %s: %s", message.kind, message.to, exc)
        return False
    return True


async def submit(
    conn: Connection,
    form: access.RequestForm,
    known_modules: frozenset[str],
    actor: audit.Actor,
) -> tuple[access.AccessRequest, mail.Mail]:
    """Record a request; the caller delivers the returned receipt after committing."""
    request, receipt = await access.submit_request(conn, form, known_modules, address=actor.address)
    await audit.record(
        conn, actor, "access.requested", reference=request.reference, email=request.email
    )
    return request, receipt


async def approve(
    db: Database,
    manifest: Manifest,
    server_key: ServerKey,
    request_id: int,
    *,
    actor: audit.Actor,
    base_url: str,
    seed: bool,
    smtp_url: str | None,
) -> access.Approval:
    """Approve in one transaction, mail the requester, then seed the demo company."""
    async with db.begin() as conn:
        approval, message = await access.approve_request(
            conn,
            request_id,
            by=actor.label,
            signin_url=f"{base_url}/signin",
            password_link=lambda user: password_link(server_key, base_url, user),
        )
        await audit.record(
            conn,
            actor,
            "access.approved",
            tenant_id=approval.tenant_id,
            reference=approval.request.reference,
            email=approval.request.email,
            userId=approval.user_id,
        )
    await deliver(db, smtp_url, message)
    if seed:
        from localtitan.demo import seed_quickstart

        await seed_quickstart(db, manifest, approval.tenant_id)
    return approval


async def decline(
    conn: Connection, request_id: int, *, actor: audit.Actor, reason: str = ""
) -> tuple[access.AccessRequest, mail.Mail]:
    """Decline; the caller delivers the returned mail after committing."""
    request, message = await access.decline_request(conn, request_id, by=actor.label, reason=reason)
    await audit.record(
        conn, actor, "access.declined", reference=request.reference, email=request.email
    )
    return request, message
