"""The issue's "Bad input and security" lines for the accounts pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from accounts_kit import PASSWORD, app_form, csrf, developer, new_tenant, new_user, sign_in
from sqlalchemy import select, text

from localtitan.app import LocalTitan
from localtitan.platform import apps, credentials
from localtitan.platform.environments import Environment
from localtitan.platform.users import Role
from localtitan.store.tables import apps as app_table
from localtitan.store.tables import audit_log, client_secrets

SECRET = re.compile(r"cs[12]\.[a-z0-9]{50}")


async def _someone_elses_app(app: LocalTitan, tenant_visible: int) -> apps.App:
    owner = await new_tenant(app, "Other Org")
    async with app.runtime.db.begin() as conn:
        return await apps.save_new_app(
            conn,
            apps.AppDraft(
                name="Not Yours",
                organization="Other Org",
                homepage_url="https://other.example",
                scopes=frozenset({"tn.crm.customers:r"}),
                tenants=((str(tenant_visible), ""),),
                credentials_mode=apps.BY_DEVELOPER,
            ),
            app.runtime.manifest.scopes,
            owner_tenant_id=owner,
            by=None,
        )


async def test_another_developers_app_and_connection_answer_404(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, tenant = await developer(app, client)
    theirs = await _someone_elses_app(app, tenant)
    async with app.runtime.db.begin() as conn:
        their_conn = await credentials.allow_app(
            conn, app_id=theirs.id, tenant_id=tenant, environment=Environment.INTEGRATION
        )
    token = await csrf(client, "/my-apps")
    for path in (
        f"/my-apps/{theirs.id}",
        f"/my-apps/{theirs.id}/connections",
        f"/my-apps/{theirs.id}/delete",
    ):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert "Not Yours" not in r.text
    for path, data in (
        (f"/my-apps/{theirs.id}", app_form(token, [tenant], name="Hijacked")),
        (f"/my-apps/{theirs.id}/delete", {"csrf_token": token, "confirm_name": "Not Yours"}),
        (
            f"/my-apps/{theirs.id}/connections/{their_conn.id}/secrets/generate",
            {"csrf_token": token},
        ),
    ):
        assert (await client.post(path, data=data)).status_code == 404, path
    # Their connection through my own app's path is 404 too.
    mine = await client.post("/my-apps/new", data=app_form(token, [tenant]))
    my_id = int(mine.headers["location"].split("/")[2].split("?")[0])
    r = await client.post(
        f"/my-apps/{my_id}/connections/{their_conn.id}/secrets/generate", data={"csrf_token": token}
    )
    assert r.status_code == 404 and not SECRET.search(r.text)
    async with app.runtime.db.begin() as conn:
        still = await apps.get_app(conn, theirs.id)
    assert still is not None and still.name == "Not Yours" and not still.deleted


async def test_a_tenant_admin_cannot_touch_another_tenant(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    mine = await new_tenant(app, "Mine")
    other = await new_tenant(app, "Other")
    admin = await new_user(app, roles=((Role.TENANT_ADMIN, mine),))
    await sign_in(client, admin.email)
    shared = await _someone_elses_app(app, other)
    async with app.runtime.db.begin() as conn:
        await credentials.allow_app(
            conn, app_id=shared.id, tenant_id=other, environment=Environment.INTEGRATION
        )
    token = await csrf(client, f"/tenant/{mine}/api-application-access")
    base = f"/tenant/{other}/api-application-access"
    for path in (
        base,
        f"{base}/connect",
        f"{base}/connect/{shared.id}",
        f"{base}/apps/{shared.id}/upgrade",
        f"{base}/apps/{shared.id}/disable",
    ):
        assert (await client.get(path)).status_code == 404, path
    for path in (
        f"{base}/connect/{shared.id}",
        f"{base}/apps/{shared.id}/disable",
        f"{base}/apps/{shared.id}/generate",
        f"{base}/refresh/now",
    ):
        r = await client.post(path, data={"csrf_token": token, "decision": "allow"})
        assert r.status_code == 404, path
    # An app not visible to my tenant cannot be connected to it either.
    r = await client.post(
        f"/tenant/{mine}/api-application-access/connect/{shared.id}",
        data={"csrf_token": token, "decision": "allow"},
    )
    assert r.status_code == 404
    async with app.runtime.db.begin() as conn:
        found = await credentials.find_connection(conn, Environment.INTEGRATION, other, shared.id)
    assert found is not None and found.active


@pytest.mark.parametrize("token", ["", "forged-token-value"])
async def test_every_form_refuses_a_bad_csrf_token_and_keeps_the_input(
    app: LocalTitan, client: httpx.AsyncClient, token: str
) -> None:
    user, tenant = await developer(app, client)
    typed = app_form(token, [tenant], name="Typed Name Kept")
    r = await client.post("/my-apps/new", data=typed)
    assert r.status_code == 403 and 'value="Typed Name Kept"' in r.text
    r = await client.post(
        "/request-access",
        data={"csrf_token": token, "name": "Kept Requester", "email": "k@example.com"},
    )
    assert r.status_code == 403 and 'value="Kept Requester"' in r.text
    r = await client.post(
        "/signin",
        data={
            "csrf_token": token,
            "email": "kept@example.com",
            "password": "x",
            "environment": "integration",
        },
    )
    assert r.status_code == 403 and 'value="kept@example.com"' in r.text
    for path in ("/signout", "/forgot-password", "/terms"):
        assert (await client.post(path, data={"csrf_token": token})).status_code == 403, path
    admin = await new_user(app, roles=((Role.TENANT_ADMIN, tenant),))
    await sign_in(client, admin.email)
    assert (
        await client.post(
            f"/tenant/{tenant}/api-application-access/refresh/schedule",
            data={"csrf_token": token, "every": "24h"},
        )
    ).status_code == 403
    async with app.runtime.db.read() as conn:
        assert await apps.list_apps(conn, owner_tenant_ids=[tenant]) == []
    assert user


async def test_an_app_named_script_shows_as_text(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, tenant = await developer(app, client)
    token = await csrf(client, "/my-apps/new")
    evil = "<script>alert(1)</script>"
    r = await client.post(
        "/my-apps/new",
        data=app_form(token, [tenant], name=evil, organization=evil, description=evil),
    )
    assert r.status_code == 303
    app_id = r.headers["location"].split("/")[2].split("?")[0]
    admin = await new_user(app, roles=((Role.TENANT_ADMIN, tenant),))
    pages = [await client.get("/my-apps"), await client.get(f"/my-apps/{app_id}")]
    await sign_in(client, admin.email)
    base = f"/tenant/{tenant}/api-application-access"
    pages += [await client.get(f"{base}/connect"), await client.get(f"{base}/connect/{app_id}")]
    for page in pages:
        assert page.status_code == 200
        assert evil not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_passwords_are_never_stored_or_logged(
    app: LocalTitan, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    await sign_in(client, user.email, "a wrong password here")
    await sign_in(client, user.email, PASSWORD)
    async with app.runtime.db.read() as conn:
        dump = []
        for table in ("users", "audit_log", "portal_sessions"):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            dump.append(repr(rows))
    everything = "\n".join(dump) + caplog.text
    assert PASSWORD not in everything and "a wrong password here" not in everything
    assert client.cookies.get("lt_session", "") not in everything


async def test_secrets_are_shown_once_and_kept_only_as_a_hash(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app, "Once Co")
    admin = await new_user(app, roles=((Role.TENANT_ADMIN, tenant),))
    await sign_in(client, admin.email)
    shared = await _someone_elses_app(app, tenant)
    async with app.runtime.db.begin() as conn:
        await conn.execute(
            app_table.update().where(app_table.c.id == shared.id).values(credentials_mode="tenant")
        )
    base = f"/tenant/{tenant}/api-application-access"
    token = await csrf(client, base)
    r = await client.post(
        f"{base}/connect/{shared.id}", data={"csrf_token": token, "decision": "allow"}
    )
    secret = SECRET.search(r.text)
    assert secret is not None and r.headers["cache-control"] == "no-store"
    for path in (base, f"{base}/connect"):
        assert secret.group(0) not in (await client.get(path)).text
    async with app.runtime.db.read() as conn:
        stored = (
            await conn.execute(select(client_secrets.c.secret_hash, client_secrets.c.hint))
        ).all()
        audit_rows = (await conn.execute(select(audit_log.c.detail))).all()
    assert all(secret.group(0) not in repr(row) for row in stored + audit_rows)
    assert any(row.hint.startswith(secret.group(0)[:4]) for row in stored)
