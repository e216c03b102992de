"""Helpers for the accounts pages: users with roles, signing in, CSRF tokens from forms."""

from __future__ import annotations

import html
import re
import secrets

import httpx

from localtitan.app import LocalTitan
from localtitan.platform import mail, users
from localtitan.platform.environments import Environment
from localtitan.platform.tenants import create_tenant

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "portal-test-password"


async def last_mail(app: LocalTitan, to: str) -> str:
    """The body of the newest outbox mail to ``to``."""
    found = await mail.outbox(app.runtime.db, to=to, limit=1)
    assert found, f"no mail to {to}"
    return found[0].body


def link_in(body: str, marker: str = "/reset-password?token=") -> str:
    """The path of the first link in a mail that contains ``marker``."""
    url = next(w for w in body.split() if marker in w)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no CSRF token"
    return html.unescape(found.group(1))


async def csrf(client: httpx.AsyncClient, path: str) -> str:
    r = await client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return csrf_of(r.text)


async def new_tenant(app: LocalTitan, name: str = "Portal Co") -> int:
    async with app.runtime.db.begin() as conn:
        return (await create_tenant(conn, name=name)).id


async def new_user(
    app: LocalTitan,
    *,
    roles: tuple[tuple[users.Role, int | None], ...] = (),
    terms: bool = True,
    email: str | None = None,
) -> users.User:
    address = email or f"u{secrets.token_hex(4)}@portal.example"
    async with app.runtime.db.begin() as conn:
        user = await users.create_user(conn, email=address, name="Portal User", password=PASSWORD)
        for role, tenant in roles:
            await users.grant_role(conn, user.id, role, tenant_id=tenant)
        if terms:
            await users.accept_terms(conn, user.id)
    return user


async def sign_in(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    environment: Environment = Environment.INTEGRATION,
) -> httpx.Response:
    token = await csrf(client, f"/signin?environment={environment.value}")
    return await client.post(
        "/signin",
        data={
            "email": email,
            "password": password,
            "environment": environment.value,
            "csrf_token": token,
        },
    )


async def developer(app: LocalTitan, client: httpx.AsyncClient) -> tuple[users.User, int]:
    tenant = await new_tenant(app, "Dev Org")
    user = await new_user(app, roles=((users.Role.DEVELOPER, tenant),))
    r = await sign_in(client, user.email)
    assert r.status_code == 303, r.text[:500]
    return user, tenant


def app_form(token: str, tenant_ids: list[int], **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": token,
        "name": "Dispatch Board",
        "organization": "Dev Org",
        "homepage_url": "https://dev.example",
        "notification_email": "dev@dev.example",
        "description": "",
        "visibility": "private",
        "credentials_mode": "tenant",
        "tenant_id": [str(t) for t in tenant_ids],
        "tenant_note": ["" for _ in tenant_ids],
        "scope": ["tn.crm.customers:r"],
    }
    data.update(changes)
    return data
