"""Developer apps: an app key for both environments, a versioned scope set, visible tenants."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.store.tables import app_scope_sets, app_tenants, apps

__all__ = [
    "App",
    "AppError",
    "create_app",
    "get_app",
    "list_apps",
    "make_visible",
    "new_app_key",
    "parse_scopes",
    "scopes_of",
    "set_scopes",
]

_ALNUM = string.ascii_lowercase + string.digits


class AppError(ValueError):
    """An app request that cannot be carried out, worded for the person who made it."""


@dataclass(frozen=True)
class App:
    id: int
    name: str
    organization: str
    app_key: str
    scope_version: int
    scopes: frozenset[str]
    tenant_ids: frozenset[int]


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


async def create_app(
    conn: AsyncConnection,
    *,
    name: str,
    organization: str,
    scopes: frozenset[str],
    tenant_ids: Iterable[int] = (),
) -> App:
    name = name.strip()
    if not name or len(name) > 200:
        raise AppError("An app needs a name of 1 to 200 characters.")
    organization = organization.strip() or name
    if len(organization) > 200:
        raise AppError("An organization name can be at most 200 characters.")
    if not scopes:
        raise AppError("An app needs at least one scope.")
    now = datetime.now(UTC)
    key = new_app_key()
    result = await conn.execute(
        apps.insert().values(
            name=name,
            organization=organization,
            app_key=key,
            scope_version=1,
            active=True,
            created_on=now,
        )
    )
    app_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    await conn.execute(
        app_scope_sets.insert().values(
            app_id=app_id, version=1, scopes=json.dumps(sorted(scopes)), created_on=now
        )
    )
    tids = frozenset(tenant_ids)
    if tids:
        await conn.execute(app_tenants.insert(), [{"app_id": app_id, "tenant_id": t} for t in tids])
    return App(app_id, name, organization, key, 1, frozenset(scopes), tids)


async def get_app(conn: AsyncConnection, app_id: int) -> App | None:
    row = (await conn.execute(select(apps).where(apps.c.id == app_id))).mappings().first()
    if row is None:
        return None
    scopes = await scopes_of(conn, app_id, row["scope_version"])
    tids = (
        await conn.execute(select(app_tenants.c.tenant_id).where(app_tenants.c.app_id == app_id))
    ).scalars()
    return App(
        row["id"],
        row["name"],
        row["organization"],
        row["app_key"],
        row["scope_version"],
        scopes,
        frozenset(tids),
    )


async def list_apps(conn: AsyncConnection) -> list[App]:
    ids = (await conn.execute(select(apps.c.id).order_by(apps.c.id))).scalars().all()
    found = [await get_app(conn, i) for i in ids]
    return [a for a in found if a is not None]


async def scopes_of(conn: AsyncConnection, app_id: int, version: int) -> frozenset[str]:
    raw = (
        await conn.execute(
            select(app_scope_sets.c.scopes).where(
                app_scope_sets.c.app_id == app_id, app_scope_sets.c.version == version
            )
        )
    ).scalar_one()
    return frozenset(json.loads(raw))


async def set_scopes(conn: AsyncConnection, app_id: int, scopes: frozenset[str]) -> int:
    """Record a new scope version; existing connections keep theirs until reconnected."""
    current = (
        await conn.execute(
            select(func.max(app_scope_sets.c.version)).where(app_scope_sets.c.app_id == app_id)
        )
    ).scalar_one_or_none()
    if current is None:
        raise AppError(f"There is no app {app_id}.")
    version = int(current) + 1
    await conn.execute(
        app_scope_sets.insert().values(
            app_id=app_id,
            version=version,
            scopes=json.dumps(sorted(scopes)),
            created_on=datetime.now(UTC),
        )
    )
    await conn.execute(apps.update().where(apps.c.id == app_id).values(scope_version=version))
    return version


async def make_visible(conn: AsyncConnection, app_id: int, tenant_ids: Iterable[int]) -> None:
    have = set(
        (
            await conn.execute(
                select(app_tenants.c.tenant_id).where(app_tenants.c.app_id == app_id)
            )
        ).scalars()
    )
    new = [t for t in set(tenant_ids) if t not in have]
    if new:
        await conn.execute(app_tenants.insert(), [{"app_id": app_id, "tenant_id": t} for t in new])
