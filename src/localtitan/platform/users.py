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

from localtitan.platform.environments import Environment
from localtitan.platform.server_key import ServerKey
from localtitan.store import Connection
from localtitan.store import sessions as session_store
from localtitan.store import users as user_store

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


async def create_user(conn: Connection, *, email: str, name: str, password: str) -> User:
    address = normalize_email(email)
    name = name.strip()
    if not name or len(name) > 120:
        raise UserError("A user needs a name of 1 to 120 characters.")
    _check_new_password(password)
    if await user_store.user_id_of_email(conn, address) is not None:
        raise UserError(f"There is already a user with the email {address}.")
    now = datetime.now(UTC)
    user_id = await user_store.insert_user(
        conn, email=address, name=name, password_hash=_hasher.hash(password), now=now
    )
    return User(user_id, address, name, True, now, now, None)


async def get_user(conn: Connection, user_id: int) -> User | None:
    row = await user_store.user_row(conn, user_id)
    return _user(row) if row else None


async def find_user(conn: Connection, email: str) -> User | None:
    try:
        address = normalize_email(email)
    except UserError:
        return None
    row = await user_store.user_row_by_email(conn, address)
    return _user(row) if row else None


async def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in await user_store.user_rows(conn)]


async def check_password(conn: Connection, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (the same work either way)."""
    try:
        address = normalize_email(email)
    except UserError:
        address = ""
    row = (
        await user_store.user_row_by_email(conn, address, with_password_hash=True)
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
        await user_store.set_password_hash(conn, row["id"], _hasher.hash(password), changed_on=None)
    return _user(row)


async def set_password(conn: Connection, user_id: int, password: str) -> None:
    """Change a password; reset links and sessions made before now stop working."""
    _check_new_password(password)
    changed = await user_store.set_password_hash(
        conn, user_id, _hasher.hash(password), changed_on=datetime.now(UTC)
    )
    if not changed:
        raise UserError(f"There is no user {user_id}.")
    await session_store.delete_user_sessions(conn, user_id)


async def accept_terms(conn: Connection, user_id: int) -> None:
    await user_store.set_terms_accepted(conn, user_id, datetime.now(UTC))


def _env_value(environment: Environment | str | None) -> str:
    if environment is None or environment == ALL_ENVIRONMENTS:
        return ALL_ENVIRONMENTS
    return Environment(environment).value


async def grant_role(
    conn: Connection,
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
    if not await user_store.has_role(conn, user_id, role.value, tenant, env):
        await user_store.insert_role(conn, user_id, role.value, tenant, env)
    return Grant(role, tenant, env)


async def revoke_role(
    conn: Connection, user_id: int, role: Role, *, tenant_id: int | None = None
) -> int:
    return await user_store.delete_roles(conn, user_id, role.value, tenant_id=tenant_id)


async def grants_of(conn: Connection, user_id: int) -> list[Grant]:
    rows = await user_store.role_rows(conn, user_id)
    return [Grant(Role(role), tenant_id, env) for role, tenant_id, env in rows]


def _reset_signer(server_key: ServerKey) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server_key.derive("password-reset").hex(), salt="reset")


def reset_token(server_key: ServerKey, user: User) -> str:
    """A signed link token for setting a new password; it dies after a day, or as soon as the
    password changes (it names the moment of the last change)."""
    return _reset_signer(server_key).dumps(
        [user.id, int(user.password_changed_on.timestamp() * 1000)]
    )


async def user_for_reset_token(
    conn: Connection,
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
