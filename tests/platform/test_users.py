"""Portal users: Argon2 hashes, sign-in checks that say nothing of which emails exist, roles,
password-reset tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from localtitan.app import LocalTitan
from localtitan.platform import users
from localtitan.platform.users import Role, UserError
from localtitan.store.tables import users as users_table


async def test_password_is_stored_only_as_an_argon2_hash(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        made = await users.create_user(
            conn, email="Dev@Example.COM", name="Dev", password="correct horse battery"
        )
        stored = (
            await conn.execute(
                select(users_table.c.password_hash).where(users_table.c.id == made.id)
            )
        ).scalar_one()
    assert made.email == "dev@example.com"
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored


async def test_check_password(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        await users.create_user(conn, email="a@example.com", name="A", password="s3cret-enough")
        assert await users.check_password(conn, "A@example.com", "s3cret-enough") is not None
        assert await users.check_password(conn, "a@example.com", "wrong-password") is None
        assert await users.check_password(conn, "nobody@example.com", "s3cret-enough") is None
        assert await users.check_password(conn, "not an email", "x") is None


async def test_rules_for_new_users(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        with pytest.raises(UserError, match="at least 10"):
            await users.create_user(conn, email="b@example.com", name="B", password="short")
        with pytest.raises(UserError, match="valid email"):
            await users.create_user(conn, email="nope", name="B", password="long enough pw")
        await users.create_user(conn, email="b@example.com", name="B", password="long enough pw")
        with pytest.raises(UserError, match="already a user"):
            await users.create_user(conn, email="B@example.com", name="B", password="long pw 123")


async def test_roles_per_tenant_and_environment(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        u = await users.create_user(conn, email="c@example.com", name="C", password="long enough")
        await users.grant_role(conn, u.id, Role.DEVELOPER, tenant_id=5, environment="integration")
        await users.grant_role(conn, u.id, Role.DEVELOPER, tenant_id=5, environment="integration")
        await users.grant_role(conn, u.id, Role.TENANT_ADMIN, tenant_id=7)
        await users.grant_role(conn, u.id, Role.OPERATOR)
        with pytest.raises(UserError, match="for a tenant"):
            await users.grant_role(conn, u.id, Role.DEVELOPER)
        grants = await users.grants_of(conn, u.id)
        assert {(g.role, g.tenant_id, g.environment) for g in grants} == {
            (Role.DEVELOPER, 5, "integration"),
            (Role.TENANT_ADMIN, 7, "*"),
            (Role.OPERATOR, 0, "*"),
        }
        assert await users.revoke_role(conn, u.id, Role.TENANT_ADMIN, tenant_id=7) == 1
        assert len(await users.grants_of(conn, u.id)) == 2


async def test_reset_token_dies_when_the_password_changes(app: LocalTitan) -> None:
    key = app.runtime.server_key
    async with app.runtime.db.begin() as conn:
        u = await users.create_user(
            conn, email="d@example.com", name="D", password="first password"
        )
        token = users.reset_token(key, u)
        found = await users.user_for_reset_token(conn, key, token)
        assert found is not None and found.id == u.id
        assert await users.user_for_reset_token(conn, key, token + "x") is None
        assert await users.user_for_reset_token(conn, key, token, max_age=-1) is None
        await users.set_password(conn, u.id, "second password")
        assert await users.user_for_reset_token(conn, key, token) is None
        assert await users.check_password(conn, "d@example.com", "second password") is not None
