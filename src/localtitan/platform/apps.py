"""Developer apps: an app key for both environments, a versioned scope set, visible tenants."""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from localtitan.store import Connection
from localtitan.store import apps as app_store

__all__ = [
    "BY_DEVELOPER",
    "BY_TENANT",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_TENANTS",
    "MAX_URL",
    "App",
    "AppDraft",
    "AppError",
    "ScopeVersion",
    "check_draft",
    "create_app",
    "delete_app",
    "get_app",
    "list_apps",
    "make_visible",
    "new_app_key",
    "parse_scopes",
    "save_new_app",
    "scope_history",
    "scopes_of",
    "set_scopes",
    "update_app",
]

# ServiceTitan's My Apps editor limits.
MAX_NAME = 120
MAX_URL = 250
MAX_TENANTS = 200
MAX_NOTE = 4_000
MAX_TENANT_TEXT = 120
MAX_DESCRIPTION = 4_000
MAX_EMAIL = 254
# Who makes a connection's client secrets: the tenant admin (ServiceTitan's default), or the
# app's developer ("I, the app developer, will configure the credentials ...").
BY_TENANT = "tenant"
BY_DEVELOPER = "developer"
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")

_ALNUM = string.ascii_lowercase + string.digits


class AppError(ValueError):
    """An app request that cannot be carried out, worded for the person who made it.

    ``fields`` maps a form field to what is wrong with it, for editors that show each error
    next to its field."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


@dataclass(frozen=True)
class App:
    id: int
    name: str
    organization: str
    app_key: str
    scope_version: int
    scopes: frozenset[str]
    tenant_ids: frozenset[int]
    homepage_url: str = ""
    notification_email: str = ""
    description: str = ""
    public: bool = False
    credentials_mode: str = BY_TENANT
    owner_tenant_id: int | None = None
    deleted: bool = False
    created_on: datetime | None = None
    tenant_notes: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AppDraft:
    """What a person typed into the app editor, before it is checked."""

    name: str
    organization: str
    homepage_url: str = ""
    notification_email: str = ""
    description: str = ""
    public: bool = False
    credentials_mode: str = BY_TENANT
    # (tenant id as typed, note), in the order shown.
    tenants: tuple[tuple[str, str], ...] = ()
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScopeVersion:
    version: int
    scopes: frozenset[str]
    added: frozenset[str]
    removed: frozenset[str]
    created_on: datetime
    created_by: str | None


def new_app_key() -> str:
    return "ak1." + "".join(secrets.choice(_ALNUM) for _ in range(42))


def parse_scopes(spec: str | Iterable[str], known: frozenset[str]) -> frozenset[str]:
    """Turn ``all`` or a comma list into a scope set; every name must be a real scope."""
    if isinstance(spec, str):
        if spec.strip().lower() == "all":
            return known
        names = [s.strip() for s in spec.split(",") if s.strip()]
    else:
        names = [s.strip() for s in spec]
    if not names:
        raise AppError("Choose at least one scope, or 'all'.")
    unknown = sorted(set(names) - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise AppError(
            f"Unknown scope(s): {shown}. Scope names look like tn.crm.customers:r; "
            "'localtitan app scopes' lists them all."
        )
    return frozenset(names)


def _valid_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def check_draft(
    draft: AppDraft, known_scopes: frozenset[str], *, complete: bool = True
) -> tuple[dict[str, str], dict[int, str]]:
    """Field errors (ServiceTitan's wording where it has one) and the tenant ids with notes.

    ``complete`` is the portal's rule (home page and 1 to 200 tenants required); the command
    line may leave those out."""
    errors: dict[str, str] = {}
    name = draft.name.strip()
    if not name:
        errors["name"] = "Application name is empty"
    elif len(name) > MAX_NAME:
        errors["name"] = f"Application name is more than {MAX_NAME} chars"
    org = draft.organization.strip()
    if not org and complete:
        errors["organization"] = "Organization name is empty"
    elif len(org) > MAX_NAME:
        errors["organization"] = f"Organization name is more than {MAX_NAME} chars"
    url = draft.homepage_url.strip()
    if not url:
        if complete:
            errors["homepage_url"] = "Url is empty"
    elif len(url) > MAX_URL:
        errors["homepage_url"] = f"Url is more than {MAX_URL} chars"
    elif not _valid_url(url):
        errors["homepage_url"] = "Url is not valid"
    email = draft.notification_email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        errors["notification_email"] = "Email is not valid"
    if len(draft.description) > MAX_DESCRIPTION:
        errors["description"] = f"Description is more than {MAX_DESCRIPTION} chars"
    if draft.credentials_mode not in (BY_TENANT, BY_DEVELOPER):
        errors["credentials_mode"] = "Choose who configures the client credentials"
    if not draft.scopes:
        errors["scopes"] = "API Scopes are not selected"
    elif not draft.scopes <= known_scopes:
        unknown = sorted(draft.scopes - known_scopes)[:3]
        errors["scopes"] = "Unknown API scopes: " + ", ".join(unknown)
    tenants: dict[int, str] = {}
    rows = [(t.strip(), n) for t, n in draft.tenants if t.strip() or n.strip()]
    if not rows and complete:
        errors["tenants"] = "Tenant list is empty"
    elif len(rows) > MAX_TENANTS:
        errors["tenants"] = f"Tenant list is more than {MAX_TENANTS} items"
    else:
        for i, (text, note) in enumerate(rows):
            if not text:
                errors[f"tenants.{i}"] = "Tenant ID is empty"
            elif len(text) > MAX_TENANT_TEXT or not text.isdigit() or not 0 < int(text) < 2**63:
                errors[f"tenants.{i}"] = "Tenant ID is not a number"
            elif int(text) in tenants:
                errors[f"tenants.{i}"] = "Tenant ID is listed twice"
            elif len(note) > MAX_NOTE:
                errors[f"tenants.{i}"] = f"Note is more than {MAX_NOTE} chars"
            else:
                tenants[int(text)] = note.strip()
    return errors, tenants


def _raise_for(errors: dict[str, str]) -> None:
    if errors:
        raise AppError("; ".join(errors.values()) + ".", errors)


async def create_app(
    conn: Connection,
    *,
    name: str,
    organization: str,
    scopes: frozenset[str],
    tenant_ids: Iterable[int] = (),
    owner_tenant_id: int | None = None,
) -> App:
    """The command line's way in: only a name and scopes are required."""
    draft = AppDraft(
        name=name,
        organization=organization.strip() or name.strip(),
        scopes=scopes,
        tenants=tuple((str(t), "") for t in tenant_ids),
    )
    # Scope names were checked by parse_scopes; only the form rules are checked here.
    errors, tenants = check_draft(draft, frozenset(scopes), complete=False)
    _raise_for(errors)
    return await _insert(conn, draft, tenants, owner_tenant_id=owner_tenant_id, by=None)


async def save_new_app(
    conn: Connection,
    draft: AppDraft,
    known_scopes: frozenset[str],
    *,
    owner_tenant_id: int | None,
    by: str | None,
) -> App:
    """The portal's way in: every field of the editor, checked by its rules."""
    errors, tenants = check_draft(draft, known_scopes)
    _raise_for(errors)
    return await _insert(conn, draft, tenants, owner_tenant_id=owner_tenant_id, by=by)


async def _insert(
    conn: Connection,
    draft: AppDraft,
    tenants: dict[int, str],
    *,
    owner_tenant_id: int | None,
    by: str | None,
) -> App:
    now = datetime.now(UTC)
    app_id = await app_store.insert_app(
        conn,
        {
            **_edited(draft),
            "app_key": new_app_key(),
            "scope_version": 1,
            "active": True,
            "created_on": now,
            "owner_tenant_id": owner_tenant_id,
        },
    )
    await app_store.insert_scope_set(
        conn, app_id, 1, json.dumps(sorted(draft.scopes)), created_on=now, created_by=by
    )
    if tenants:
        await app_store.insert_tenant_notes(conn, app_id, tenants)
    found = await get_app(conn, app_id)
    assert found is not None
    return found


def _edited(draft: AppDraft) -> dict[str, object]:
    """The app's columns the editor sets, from a checked draft."""
    return {
        "name": draft.name.strip(),
        "organization": draft.organization.strip(),
        "homepage_url": draft.homepage_url.strip(),
        "notification_email": draft.notification_email.strip(),
        "description": draft.description.strip(),
        "public": draft.public,
        "credentials_mode": draft.credentials_mode,
    }


async def update_app(
    conn: Connection,
    app_id: int,
    draft: AppDraft,
    known_scopes: frozenset[str],
    *,
    by: str | None,
) -> tuple[App, int | None]:
    """Save an edit; a changed scope set becomes the next version (returned, else None)."""
    current = await get_app(conn, app_id)
    if current is None or current.deleted:
        raise AppError(f"There is no app {app_id}.")
    errors, tenants = check_draft(draft, known_scopes)
    _raise_for(errors)
    await app_store.update_app(conn, app_id, _edited(draft))
    await app_store.replace_tenant_notes(conn, app_id, tenants)
    version = None
    if draft.scopes != current.scopes:
        version = await set_scopes(conn, app_id, draft.scopes, by=by)
    found = await get_app(conn, app_id)
    assert found is not None
    return found, version


async def delete_app(conn: Connection, app_id: int) -> None:
    """Delete an app: its key stops working everywhere; its history is kept."""
    if not await app_store.mark_app_deleted(conn, app_id, datetime.now(UTC)):
        raise AppError(f"There is no app {app_id}.")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def get_app(conn: Connection, app_id: int) -> App | None:
    row = await app_store.app_row(conn, app_id)
    if row is None:
        return None
    scopes = await scopes_of(conn, app_id, row["scope_version"])
    notes = await app_store.tenant_notes(conn, app_id)
    return App(
        row["id"],
        row["name"],
        row["organization"],
        row["app_key"],
        row["scope_version"],
        scopes,
        frozenset(notes),
        homepage_url=row["homepage_url"],
        notification_email=row["notification_email"],
        description=row["description"],
        public=bool(row["public"]),
        credentials_mode=row["credentials_mode"],
        owner_tenant_id=row["owner_tenant_id"],
        deleted=row["deleted_on"] is not None,
        created_on=_aware(row["created_on"]),
        tenant_notes=notes,
    )


async def list_apps(
    conn: Connection,
    *,
    owner_tenant_ids: Iterable[int] | None = None,
    visible_to: int | None = None,
    include_deleted: bool = True,
) -> list[App]:
    """Apps in id order; narrowed to some owners' apps, or to apps visible to one tenant."""
    ids = await app_store.app_ids(
        conn,
        owner_tenant_ids=owner_tenant_ids,
        visible_to=visible_to,
        include_deleted=include_deleted,
    )
    found = [await get_app(conn, i) for i in ids]
    return [a for a in found if a is not None]


async def scope_history(conn: Connection, app_id: int) -> list[ScopeVersion]:
    """Every scope version, newest first, with what it added and removed and who made it."""
    out: list[ScopeVersion] = []
    before: frozenset[str] = frozenset()
    for r in await app_store.scope_set_rows(conn, app_id):
        now = frozenset(json.loads(r["scopes"]))
        out.append(
            ScopeVersion(
                int(r["version"]),
                now,
                now - before,
                before - now,
                _aware(r["created_on"]),
                r["created_by"],
            )
        )
        before = now
    return out[::-1]


async def scopes_of(conn: Connection, app_id: int, version: int) -> frozenset[str]:
    return frozenset(json.loads(await app_store.scope_set_text(conn, app_id, version)))


async def set_scopes(
    conn: Connection, app_id: int, scopes: frozenset[str], *, by: str | None = None
) -> int:
    """Record a new scope version; existing connections keep theirs until reconnected."""
    current = await app_store.latest_scope_version(conn, app_id)
    if current is None:
        raise AppError(f"There is no app {app_id}.")
    version = current + 1
    await app_store.insert_scope_set(
        conn,
        app_id,
        version,
        json.dumps(sorted(scopes)),
        created_on=datetime.now(UTC),
        created_by=by,
    )
    await app_store.set_app_scope_version(conn, app_id, version)
    return version


async def make_visible(conn: Connection, app_id: int, tenant_ids: Iterable[int]) -> None:
    have = await app_store.visible_tenant_ids(conn, app_id)
    new = [t for t in set(tenant_ids) if t not in have]
    if new:
        await app_store.show_to_tenants(conn, app_id, new)
