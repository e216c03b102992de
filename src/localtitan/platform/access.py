"""Request Access: a developer without a ServiceTitan instance asks for an integration
environment; an operator (or the server, with auto-approve) approves or declines.

Approval creates an integration-only tenant, a user for the requester who is its developer and
tenant admin, and the mail that tells them. Mails are returned, not sent: the caller hands them
to ``localtitan.platform.mail.send`` once the transaction has committed.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from localtitan.platform.environments import Environment
from localtitan.platform.mail import Mail
from localtitan.platform.tenants import create_tenant
from localtitan.platform.users import (
    Role,
    User,
    UserError,
    create_user,
    find_user,
    grant_role,
)
from localtitan.store import Connection
from localtitan.store import access_requests as request_store

__all__ = [
    "KINDS",
    "AccessError",
    "AccessRequest",
    "Approval",
    "RequestForm",
    "approve_request",
    "check_request",
    "decline_request",
    "find_request",
    "get_request",
    "list_requests",
    "submit_request",
]

# "I am a": the value stored, and what the form shows.
KINDS = {
    "developer": "Third-party developer",
    "customer": "ServiceTitan customer",
    "partner": "Partner",
}
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")
MAX_TEXT = 4_000
MAX_MODULES = 40


class AccessError(ValueError):
    """An access request that cannot be carried out; ``fields`` maps form fields to errors."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


@dataclass(frozen=True)
class RequestForm:
    name: str
    email: str
    company: str
    website: str
    kind: str
    integration: str
    modules: tuple[str, ...]
    accepted_terms: bool


@dataclass(frozen=True)
class AccessRequest:
    id: int
    reference: str
    name: str
    email: str
    company: str
    website: str
    kind: str
    integration: str
    modules: tuple[str, ...]
    status: str
    created_on: datetime
    decided_on: datetime | None
    decided_by: str | None
    tenant_id: int | None
    user_id: int | None


@dataclass(frozen=True)
class Approval:
    request: AccessRequest
    tenant_id: int
    user_id: int
    # The requester's own account existed already (their password is unchanged).
    existing_user: bool


def check_request(form: RequestForm, known_modules: frozenset[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = "Name is empty"
    elif len(form.name.strip()) > 120:
        errors["name"] = "Name is more than 120 chars"
    email = form.email.strip()
    if not email:
        errors["email"] = "Work email is empty"
    elif len(email) > 254 or not _EMAIL.match(email):
        errors["email"] = "Work email is not valid"
    if not form.company.strip():
        errors["company"] = "Company is empty"
    elif len(form.company.strip()) > 120:
        errors["company"] = "Company is more than 120 chars"
    site = form.website.strip()
    if len(site) > 250:
        errors["website"] = "Website is more than 250 chars"
    elif site and not re.match(r"^https?://[^\s/]+\.[^\s]+$", site):
        errors["website"] = "Website is not a valid http(s) address"
    if form.kind not in KINDS:
        errors["kind"] = "Choose what you are"
    if not form.integration.strip():
        errors["integration"] = "Tell us what you intend to build"
    elif len(form.integration) > MAX_TEXT:
        errors["integration"] = f"Integration is more than {MAX_TEXT} chars"
    if len(form.modules) > MAX_MODULES or not set(form.modules) <= known_modules:
        errors["modules"] = "Choose modules from the list"
    if not form.accepted_terms:
        errors["terms"] = "Accept the API terms to continue"
    return errors


def _reference() -> str:
    return "LTA-" + "".join(secrets.choice("0123456789") for _ in range(8))


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _request(row: object) -> AccessRequest:
    r = dict(row)  # type: ignore[call-overload]
    created = _aware(r["created_on"])
    assert created is not None
    return AccessRequest(
        int(r["id"]),
        r["reference"],
        r["name"],
        r["email"],
        r["company"],
        r["website"],
        r["kind"],
        r["integration"],
        tuple(json.loads(r["modules"])),
        r["status"],
        created,
        _aware(r["decided_on"]),
        r["decided_by"],
        r["tenant_id"],
        r["user_id"],
    )


async def submit_request(
    conn: Connection,
    form: RequestForm,
    known_modules: frozenset[str],
    *,
    address: str | None = None,
) -> tuple[AccessRequest, Mail]:
    errors = check_request(form, known_modules)
    if errors:
        raise AccessError("; ".join(errors.values()) + ".", errors)
    now = datetime.now(UTC)
    reference = _reference()
    request_id = await request_store.insert_request(
        conn,
        {
            "reference": reference,
            "name": form.name.strip(),
            "email": form.email.strip().lower(),
            "company": form.company.strip(),
            "website": form.website.strip(),
            "kind": form.kind,
            "integration": form.integration.strip(),
            "modules": json.dumps(sorted(set(form.modules))),
            "status": PENDING,
            "address": address,
            "created_on": now,
        },
    )
    found = await get_request(conn, request_id)
    assert found is not None
    mail = Mail(
        to=found.email,
        kind="accounts.access-received",
        subject=f"We received your access request {reference}",
        text=f"Hello {found.name},\n\nYour request for an integration environment for "
        f"{found.company} has the reference {reference}. We will write again when it has "
        "been reviewed.\n",
    )
    return found, mail


async def get_request(conn: Connection, request_id: int) -> AccessRequest | None:
    row = await request_store.request_row(conn, request_id)
    return _request(row) if row else None


async def find_request(conn: Connection, id_or_reference: str) -> AccessRequest | None:
    text = id_or_reference.strip().upper()
    if text.isdigit():
        return await get_request(conn, int(text))
    row = await request_store.request_row_by_reference(conn, text)
    return _request(row) if row else None


async def list_requests(conn: Connection, *, status: str | None = None) -> list[AccessRequest]:
    return [_request(r) for r in await request_store.request_rows(conn, status=status, limit=500)]


async def _pending(conn: Connection, request_id: int) -> AccessRequest:
    found = await get_request(conn, request_id)
    if found is None:
        raise AccessError(f"There is no access request {request_id}.")
    if found.status != PENDING:
        raise AccessError(f"Access request {found.reference} was already {found.status}.")
    return found


async def approve_request(
    conn: Connection,
    request_id: int,
    *,
    by: str,
    signin_url: str,
    password_link: Callable[[User], str],
) -> tuple[Approval, Mail]:
    """Approve: an integration tenant, the requester's account (developer and tenant admin of
    it) unless they already have one, and the mail with the details. A new account gets a
    random password nobody knows and, in the mail, ``password_link(user)`` to choose one.

    The caller seeds the tenant's demo company after this transaction commits."""
    found = await _pending(conn, request_id)
    tenant = await create_tenant(
        conn, name=found.company[:200], environments=(Environment.INTEGRATION,)
    )
    user = await find_user(conn, found.email)
    existing = user is not None
    if user is None:
        try:
            user = await create_user(
                conn, email=found.email, name=found.name, password=secrets.token_urlsafe(32)
            )
        except UserError as exc:
            raise AccessError(str(exc)) from exc
    for role in (Role.DEVELOPER, Role.TENANT_ADMIN):
        await grant_role(
            conn, user.id, role, tenant_id=tenant.id, environment=Environment.INTEGRATION
        )
    now = datetime.now(UTC)
    await request_store.update_request(
        conn,
        request_id,
        {
            "status": APPROVED,
            "decided_on": now,
            "decided_by": by,
            "tenant_id": tenant.id,
            "user_id": user.id,
        },
    )
    done = await get_request(conn, request_id)
    assert done is not None
    how = (
        "Sign in with the password you already have."
        if existing
        else f"Choose your password here (the link works for a day): {password_link(user)}"
    )
    mail = Mail(
        to=found.email,
        kind="accounts.access-approved",
        subject=f"Your integration environment is ready ({found.reference})",
        text=f"Hello {found.name},\n\nYour access request {found.reference} was approved.\n\n"
        f"Integration tenant id: {tenant.id}\n"
        f"Portal sign-in: {signin_url}\n"
        f"Email: {found.email}\n{how}\n",
    )
    return Approval(done, tenant.id, user.id, existing), mail


async def decline_request(
    conn: Connection, request_id: int, *, by: str, reason: str = ""
) -> tuple[AccessRequest, Mail]:
    found = await _pending(conn, request_id)
    await request_store.update_request(
        conn, request_id, {"status": DECLINED, "decided_on": datetime.now(UTC), "decided_by": by}
    )
    done = await get_request(conn, request_id)
    assert done is not None
    why = f"\nReason: {reason.strip()[:1000]}\n" if reason.strip() else ""
    mail = Mail(
        to=found.email,
        kind="accounts.access-declined",
        subject=f"Your access request {found.reference}",
        text=f"Hello {found.name},\n\nYour access request {found.reference} was declined.{why}",
    )
    return done, mail
