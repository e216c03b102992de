"""The statements of portal users (with their Argon2id password hashes) and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from localtitan.store.database import Connection
from localtitan.store.new_rows import insert_row
from localtitan.store.tables import user_roles, users

__all__ = [
    "delete_roles",
    "has_role",
    "insert_role",
    "insert_user",
    "role_rows",
    "set_password_hash",
    "set_terms_accepted",
    "user_id_of_email",
    "user_row",
    "user_row_by_email",
    "user_rows",
]

# What a user row shows; the password hash only where a password is checked.
_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.active,
    users.c.created_on,
    users.c.password_changed_on,
    users.c.terms_accepted_on,
)


async def user_id_of_email(conn: Connection, email: str) -> int | None:
    row = (await conn.execute(select(users.c.id).where(users.c.email == email))).first()
    return None if row is None else int(row[0])


async def insert_user(
    conn: Connection, *, email: str, name: str, password_hash: str, now: datetime
) -> int:
    return await insert_row(
        conn,
        users,
        {
            "email": email,
            "name": name,
            "password_hash": password_hash,
            "active": True,
            "created_on": now,
            "password_changed_on": now,
        },
    )


async def user_row(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(*_COLUMNS).where(users.c.id == user_id))).mappings().first()
    return dict(row) if row is not None else None


async def user_row_by_email(
    conn: Connection, email: str, *, with_password_hash: bool = False
) -> dict[str, Any] | None:
    columns = (*_COLUMNS, users.c.password_hash) if with_password_hash else _COLUMNS
    row = (await conn.execute(select(*columns).where(users.c.email == email))).mappings().first()
    return dict(row) if row is not None else None


async def user_rows(conn: Connection) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(*_COLUMNS).order_by(users.c.id))).mappings()
    return [dict(r) for r in rows]


async def set_password_hash(
    conn: Connection, user_id: int, password_hash: str, *, changed_on: datetime | None
) -> bool:
    """Store a new hash; ``changed_on`` marks a new password (None: the same one rehashed).
    False when there is no such user."""
    values: dict[str, Any] = {"password_hash": password_hash}
    if changed_on is not None:
        values["password_changed_on"] = changed_on
    done = await conn.execute(users.update().where(users.c.id == user_id).values(**values))
    return bool(done.rowcount)


async def set_terms_accepted(conn: Connection, user_id: int, now: datetime) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(terms_accepted_on=now))


# ---------------------------------------------------------------- roles


async def has_role(
    conn: Connection, user_id: int, role: str, tenant_id: int, environment: str
) -> bool:
    found = await conn.execute(
        select(user_roles.c.user_id).where(
            user_roles.c.user_id == user_id,
            user_roles.c.role == role,
            user_roles.c.tenant_id == tenant_id,
            user_roles.c.environment == environment,
        )
    )
    return found.first() is not None


async def insert_role(
    conn: Connection, user_id: int, role: str, tenant_id: int, environment: str
) -> None:
    await conn.execute(
        user_roles.insert().values(
            user_id=user_id, role=role, tenant_id=tenant_id, environment=environment
        )
    )


async def delete_roles(conn: Connection, user_id: int, role: str, *, tenant_id: int | None) -> int:
    """Take a role away (for one tenant, or all); returns how many grants went."""
    where = [user_roles.c.user_id == user_id, user_roles.c.role == role]
    if tenant_id is not None:
        where.append(user_roles.c.tenant_id == tenant_id)
    done = await conn.execute(delete(user_roles).where(*where))
    return int(done.rowcount or 0)


async def role_rows(conn: Connection, user_id: int) -> list[tuple[str, int, str]]:
    """(role, tenant id, environment) of each grant, by role and tenant."""
    rows = await conn.execute(
        select(user_roles.c.role, user_roles.c.tenant_id, user_roles.c.environment)
        .where(user_roles.c.user_id == user_id)
        .order_by(user_roles.c.role, user_roles.c.tenant_id)
    )
    return [(str(r.role), int(r.tenant_id), str(r.environment)) for r in rows]
