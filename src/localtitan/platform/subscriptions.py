"""Release-notes subscriptions: double opt-in, signed expiring links, each release mailed once.

A subscriber is ``pending`` until they follow the confirmation link mailed to them, then
``confirmed``; the unsubscribe link in every mail makes them ``unsubscribed``. Links are signed
with a key derived from the server key (itsdangerous) and expire. ``publish`` mails a release
to the confirmed subscribers that have not had it: the ``release_deliveries`` key (release,
subscriber) is written before the mail goes, so no subscriber ever gets a release twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from localtitan.limits import Limiter
from localtitan.platform import mail
from localtitan.platform.server_key import ServerKey
from localtitan.spec.history import Release
from localtitan.store import Database
from localtitan.store import subscriptions as subscription_store
from localtitan.store.subscriptions import DuplicateRow

__all__ = [
    "ADDRESS_LIMIT_PER_HOUR",
    "CLIENT_LIMIT_PER_HOUR",
    "CONFIRM_MAX_AGE",
    "UNSUBSCRIBE_MAX_AGE",
    "PublishResult",
    "confirm",
    "normalize_email",
    "publish",
    "publish_new",
    "subscribe",
    "unsubscribe",
]

CONFIRM_MAX_AGE = 2 * 24 * 3600
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600
ADDRESS_LIMIT_PER_HOUR = 3
CLIENT_LIMIT_PER_HOUR = 10
_MAX_ITEMS_IN_MAIL = 40
# Deliberately plain: one @, no spaces or control characters, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def normalize_email(raw: str) -> str | None:
    """The address as stored (domain lower-cased), or None when it is not an address."""
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _signer(key: ServerKey, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key.derive("release-notes-links"), salt=purpose)


def _token(key: ServerKey, purpose: str, subscriber_id: int, email: str) -> str:
    return str(_signer(key, purpose).dumps([subscriber_id, email]))


def _read(key: ServerKey, purpose: str, token: str, max_age: int) -> tuple[int, str] | None:
    if len(token) > 500:
        return None
    try:
        value = _signer(key, purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    sid, email = value
    if not isinstance(sid, int) or not isinstance(email, str):
        return None
    return sid, email


def _unsubscribe_url(key: ServerKey, base_url: str, subscriber_id: int, email: str) -> str:
    token = _token(key, "unsubscribe", subscriber_id, email)
    return f"{base_url}/release-notes/unsubscribe?token={token}"


def _footer(unsubscribe_url: str) -> str:
    return (
        "\n\n--\nYou get this mail because this address subscribed to the release notes of "
        f"a localtitan developer portal.\nUnsubscribe: {unsubscribe_url}\n"
    )


async def _pending(db: Database, email: str, module: str | None) -> int | None:
    """The subscriber id, now pending; None when the address is already confirmed."""
    async with db.begin() as conn:
        row = await subscription_store.subscriber_by_email(conn, email)
        if row is None:
            return await subscription_store.insert_subscriber(
                conn, email=email, module=module, created_on=datetime.now(UTC)
            )
        if row.status == "confirmed":
            return None
        await subscription_store.set_pending(conn, row.id, module)
        return row.id


async def subscribe(
    db: Database,
    limiter: Limiter,
    key: ServerKey,
    smtp_url: str | None,
    base_url: str,
    *,
    email: str,
    module: str | None,
    client: str,
) -> int | None:
    """Start a subscription; the caller always answers the same, whatever the address.

    Returns None when handled (a confirmation mailed, or nothing done because the address is
    already confirmed or was asked for too often), or the seconds to wait when this client
    has asked too often. ``email`` must come from ``normalize_email``.
    """
    wait = await limiter.hit(f"subscribe-client:{client}", CLIENT_LIMIT_PER_HOUR, 3600)
    if wait is not None:
        return wait
    if await limiter.hit(f"subscribe-address:{email}", ADDRESS_LIMIT_PER_HOUR, 3600) is not None:
        return None
    try:
        subscriber_id = await _pending(db, email, module)
    except DuplicateRow:
        return None  # the same address, subscribing at the same moment
    if subscriber_id is None:
        # Already confirmed: nothing to do, and saying so would tell who is subscribed.
        return None
    link = f"{base_url}/release-notes/confirm?token={_token(key, 'confirm', subscriber_id, email)}"
    text = (
        "Someone, hopefully you, asked to receive the release notes of the localtitan developer "
        f"portal at {base_url}/release-notes"
        + (f" for the {module} API" if module else "")
        + f".\n\nConfirm the subscription (the link works for 48 hours):\n{link}\n\n"
        "If you did not ask for this, ignore this mail: nothing will be sent to you."
        + _footer(_unsubscribe_url(key, base_url, subscriber_id, email))
    )
    await mail.send(
        db,
        smtp_url,
        mail.Mail(
            to=email,
            subject="Confirm your subscription to the localtitan release notes",
            text=text,
            kind="release-notes.confirm",
        ),
    )
    return None


async def confirm(db: Database, key: ServerKey, token: str) -> bool:
    """Confirm the subscription a confirmation link names; False if the link is not valid."""
    found = _read(key, "confirm", token, CONFIRM_MAX_AGE)
    if found is None:
        return False
    async with db.begin() as conn:
        return await subscription_store.confirm_subscriber(
            conn, found[0], found[1], datetime.now(UTC)
        )


async def unsubscribe(db: Database, key: ServerKey, token: str) -> bool:
    """End the subscription an unsubscribe link names; False if the link is not valid."""
    found = _read(key, "unsubscribe", token, UNSUBSCRIBE_MAX_AGE)
    if found is None:
        return False
    async with db.begin() as conn:
        await subscription_store.unsubscribe_subscriber(conn, found[0], found[1])
    return True


def _release_text(release: Release, module: str | None, base_url: str) -> str:
    items = release.for_module(module)
    lines = [release.label, release.date, ""]
    if release.summary:
        lines += [release.summary, ""]
    for item in items[:_MAX_ITEMS_IN_MAIL]:
        if item.operation_id:
            scope = f" (scope {item.scope})" if item.scope else ""
            lines.append(f"- {item.change}: {item.method} {item.path} {item.operation_id}{scope}")
        else:
            where = f" ({item.module})" if item.module else ""
            lines.append(f"- {item.change}{where}: {item.text}")
    if len(items) > _MAX_ITEMS_IN_MAIL:
        lines.append(f"... and {len(items) - _MAX_ITEMS_IN_MAIL} more.")
    lines += ["", f"Read it all: {base_url}/release-notes/{release.id}"]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PublishResult:
    release_id: str
    sent: int
    failed: int


async def publish(
    db: Database, key: ServerKey, smtp_url: str | None, base_url: str, release: Release
) -> PublishResult:
    """Mail ``release`` to each confirmed subscriber that has not had it (and whose module, if
    they chose one, it touches)."""
    async with db.read() as conn:
        rows = await subscription_store.undelivered_subscribers(conn, release.id)
    sent = failed = 0
    for row in rows:
        if row.module and not release.for_module(row.module):
            continue
        try:
            async with db.begin() as conn:
                await subscription_store.insert_delivery(
                    conn, release.id, row.id, datetime.now(UTC)
                )
        except DuplicateRow:
            continue  # another publisher took this one
        unsubscribe_url = _unsubscribe_url(key, base_url, row.id, row.email)
        message = mail.Mail(
            to=row.email,
            subject=f"localtitan release notes: {release.label}",
            text=_release_text(release, row.module, base_url) + _footer(unsubscribe_url),
            kind="release-notes.release",
            headers=(("List-Unsubscribe", f"<{unsubscribe_url}>"),),
        )
        try:
            await mail.send(db, smtp_url, message)
        except mail.MailError:
            # Not sent: forget the delivery so the next publish tries again.
            async with db.begin() as conn:
                await subscription_store.forget_delivery(conn, release.id, row.id)
            failed += 1
            continue
        sent += 1
    try:
        async with db.begin() as conn:
            if not await subscription_store.is_published(conn, release.id):
                await subscription_store.mark_published(conn, release.id, datetime.now(UTC))
    except DuplicateRow:
        pass  # another process marked it at the same moment
    return PublishResult(release.id, sent, failed)


async def publish_new(
    db: Database,
    key: ServerKey,
    smtp_url: str | None,
    base_url: str,
    releases: tuple[Release, ...],
) -> list[PublishResult]:
    """Publish the releases never published on this database (the server does it on start)."""
    async with db.read() as conn:
        done = await subscription_store.published_release_ids(conn)
    return [
        await publish(db, key, smtp_url, base_url, release)
        for release in reversed(releases)
        if release.id not in done
    ]
