"""Portal users and their roles per tenant and environment.

A password is kept only as an Argon2id hash. Checking a password does the same work whether
the email exists or not, so neither the answer nor its timing tells which emails have accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.platform.environments import Environment
from localtitan.platform.server_key import ServerKey
from localtitan.store.tables import portal_sessions, user_roles, users

__all__ = [
    "ALL_ENVIRONMENTS",
    "MIN_PASSWORD",
    "Grant",
    "Role",
    "User",
    "UserError",
    "accept_terms",
    "check_password",
    "create_user",
    "find_user",
    "get_user",
    "grant_role",
    "grants_of",
    "list_users",
    "normalize_email",
    "reset_token",
    "revoke_role",
    "set_password",
    "user_for_reset_token",
]

RESET_LINK_SECONDS = 24 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 200
ALL_ENVIRONMENTS = "*"
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")
_hasher = PasswordHasher()
# Verified against when the email is unknown, so an unknown email costs a full Argon2 check too.
_DUMMY_HASH = _hasher.hash("localtitan-no-such-user")


class UserError(ValueError):
    """An account request that cannot be carried out, worded for the person who made it."""


class Role(StrEnum):
    # ServiceTitan's "Generate API Application Key": may sign in to My Apps.
    DEVELOPER = "developer"
    # "Manage API Application Access": connects apps to the tenant and makes client secrets.
    TENANT_ADMIN = "tenant-admin"
    # Approves access requests; not bound to a tenant.
    OPERATOR = "operator"


@dataclass(frozen=True)
class Grant:
    role: Role
    tenant_id: int
    environment: str  # "integration", "production", or "*" for both


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    active: bool
    created_on: datetime
    password_changed_on: datetime
    terms_accepted_on: datetime | None


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise UserError("Enter a valid email address, such as dev@example.com.")
    return value


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"A password can be at most {MAX_PASSWORD} characters.")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(row: object) -> User:
    r = dict(row)  # type: ignore[call-overload]
    changed = _aware(r["password_changed_on"])
    created = _aware(r["created_on"])
    assert changed is not None and created is not None
    return User(
        int(r["id"]),
        r["email"],
        r["name"],
        bool(r["active"]),
        created,
        changed,
        _aware(r["terms_accepted_on"]),
    )


_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.active,
    users.c.created_on,
    users.c.password_changed_on,
    users.c.terms_accepted_on,
)


async def create_user(conn: AsyncConnection, *, email: str, name: str, password: str) -> User:
    address = normalize_email(email)
    name = name.strip()
    if not name or len(name) > 120:
        raise UserError("A user needs a name of 1 to 120 characters.")
    _check_new_password(password)
    taken = (await conn.execute(select(users.c.id).where(users.c.email == address))).first()
    if taken is not None:
        raise UserError(f"There is already a user with the email {address}.")
    now = datetime.now(UTC)
    result = await conn.execute(
        users.insert().values(
            email=address,
            name=name,
            password_hash=_hasher.hash(password),
            active=True,
            created_on=now,
            password_changed_on=now,
        )
    )
    user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return User(user_id, address, name, True, now, now, None)


async def get_user(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(*_COLUMNS).where(users.c.id == user_id))).mappings().first()
    return _user(row) if row else None


async def find_user(conn: AsyncConnection, email: str) -> User | None:
    try:
        address = normalize_email(email)
    except UserError:
        return None
    row = (await conn.execute(select(*_COLUMNS).where(users.c.email == address))).mappings().first()
    return _user(row) if row else None


async def list_users(conn: AsyncConnection) -> list[User]:
    rows = (await conn.execute(select(*_COLUMNS).order_by(users.c.id))).mappings()
    return [_user(r) for r in rows]


async def check_password(conn: AsyncConnection, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (the same work either way)."""
    try:
        address = normalize_email(email)
    except UserError:
        address = ""
    row = (
        (
            await conn.execute(
                select(*_COLUMNS, users.c.password_hash).where(users.c.email == address)
            )
        )
        .mappings()
        .first()
        if address
        else None
    )
    stored = row["password_hash"] if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD])
        good = row is not None
    except (VerificationError, InvalidHashError):
        good = False
    if not good or row is None or not row["active"]:
        return None
    if _hasher.check_needs_rehash(stored):
        await conn.execute(
            users.update()
            .where(users.c.id == row["id"])
            .values(password_hash=_hasher.hash(password))
        )
    return _user(row)


async def set_password(conn: AsyncConnection, user_id: int, password: str) -> None:
    """Change a password; reset links and sessions made before now stop working."""
    _check_new_password(password)
    done = await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(password_hash=_hasher.hash(password), password_changed_on=datetime.now(UTC))
    )
    if not done.rowcount:
        raise UserError(f"There is no user {user_id}.")
    await conn.execute(delete(portal_sessions).where(portal_sessions.c.user_id == user_id))


async def accept_terms(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(
        users.update().where(users.c.id == user_id).values(terms_accepted_on=datetime.now(UTC))
    )


def _env_value(environment: Environment | str | None) -> str:
    if environment is None or environment == ALL_ENVIRONMENTS:
        return ALL_ENVIRONMENTS
    return Environment(environment).value


async def grant_role(
    conn: AsyncConnection,
    user_id: int,
    role: Role,
    *,
    tenant_id: int | None = None,
    environment: Environment | str | None = None,
) -> Grant:
    """Give a role; developer and tenant admin need a tenant, the operator role takes none."""
    if role is Role.OPERATOR:
        tenant, env = 0, ALL_ENVIRONMENTS
    else:
        if tenant_id is None:
            raise UserError(f"The {role.value} role is given for a tenant: name one.")
        tenant, env = tenant_id, _env_value(environment)
    if await get_user(conn, user_id) is None:
        raise UserError(f"There is no user {user_id}.")
    have = (
        await conn.execute(
            select(user_roles.c.user_id).where(
                user_roles.c.user_id == user_id,
                user_roles.c.role == role.value,
                user_roles.c.tenant_id == tenant,
                user_roles.c.environment == env,
            )
        )
    ).first()
    if have is None:
        await conn.execute(
            user_roles.insert().values(
                user_id=user_id, role=role.value, tenant_id=tenant, environment=env
            )
        )
    return Grant(role, tenant, env)


async def revoke_role(
    conn: AsyncConnection, user_id: int, role: Role, *, tenant_id: int | None = None
) -> int:
    where = [user_roles.c.user_id == user_id, user_roles.c.role == role.value]
    if tenant_id is not None:
        where.append(user_roles.c.tenant_id == tenant_id)
    done = await conn.execute(delete(user_roles).where(*where))
    return int(done.rowcount or 0)


async def grants_of(conn: AsyncConnection, user_id: int) -> list[Grant]:
    rows = (
        await conn.execute(
            select(user_roles.c.role, user_roles.c.tenant_id, user_roles.c.environment)
            .where(user_roles.c.user_id == user_id)
            .order_by(user_roles.c.role, user_roles.c.tenant_id)
        )
    ).all()
    return [Grant(Role(r.role), int(r.tenant_id), r.environment) for r in rows]


def _reset_signer(server_key: ServerKey) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server_key.derive("password-reset").hex(), salt="reset")


def reset_token(server_key: ServerKey, user: User) -> str:
    """A signed link token for setting a new password; it dies after a day, or as soon as the
    password changes (it names the moment of the last change)."""
    return _reset_signer(server_key).dumps(
        [user.id, int(user.password_changed_on.timestamp() * 1000)]
    )


async def user_for_reset_token(
    conn: AsyncConnection,
    server_key: ServerKey,
    token: str,
    *,
    max_age: int = RESET_LINK_SECONDS,
) -> User | None:
    if len(token) > 500:
        return None
    try:
        user_id, stamp = _reset_signer(server_key).loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(stamp, int):
        return None
    user = await get_user(conn, user_id)
    if user is None or not user.active:
        return None
    if int(user.password_changed_on.timestamp() * 1000) != stamp:
        return None
    return user
