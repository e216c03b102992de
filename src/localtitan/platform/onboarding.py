"""Request Access end to end, for the portal and the command line alike: record the request,
approve or decline it, mail the requester, seed the new tenant's demo company, audit it all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.platform import access, audit
from localtitan.platform.mailbox import send_mail
from localtitan.platform.server_key import ServerKey
from localtitan.platform.users import User, reset_token
from localtitan.spec import Manifest
from localtitan.store.database import Database

__all__ = ["approve", "decline", "password_link", "submit"]


def password_link(server_key: ServerKey, base_url: str, user: User) -> str:
    return f"{base_url}/reset-password?token={reset_token(server_key, user)}"


async def submit(
    conn: AsyncConnection,
    form: access.RequestForm,
    known_modules: frozenset[str],
    actor: audit.Actor,
) -> access.AccessRequest:
    request, mail = await access.submit_request(conn, form, known_modules, address=actor.address)
    await send_mail(conn, mail)
    await audit.record(
        conn, actor, "access.requested", reference=request.reference, email=request.email
    )
    return request


async def approve(
    db: Database,
    manifest: Manifest,
    server_key: ServerKey,
    request_id: int,
    *,
    actor: audit.Actor,
    base_url: str,
    seed: bool,
) -> access.Approval:
    """Approve in one transaction, then (after it commits) seed the demo company."""
    async with db.begin() as conn:
        approval, mail = await access.approve_request(
            conn,
            request_id,
            by=actor.label,
            signin_url=f"{base_url}/signin",
            password_link=lambda user: password_link(server_key, base_url, user),
        )
        await send_mail(conn, mail)
        await audit.record(
            conn,
            actor,
            "access.approved",
            tenant_id=approval.tenant_id,
            reference=approval.request.reference,
            email=approval.request.email,
            userId=approval.user_id,
        )
    if seed:
        from localtitan.demo import seed_quickstart

        await seed_quickstart(db, manifest, approval.tenant_id)
    return approval


async def decline(
    conn: AsyncConnection, request_id: int, *, actor: audit.Actor, reason: str = ""
) -> access.AccessRequest:
    request, mail = await access.decline_request(conn, request_id, by=actor.label, reason=reason)
    await send_mail(conn, mail)
    await audit.record(
        conn, actor, "access.declined", reference=request.reference, email=request.email
    )
    return request
