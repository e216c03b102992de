"""API Application Access: Connect New App, Allow/Decline, secrets once, upgrade, disable and
enable, the import from production, the audit log."""

from __future__ import annotations

import re

import httpx
from accounts_kit import csrf, new_tenant, new_user, sign_in

from localtitan.app import LocalTitan
from localtitan.platform import apps
from localtitan.platform.environments import Environment, api_prefix, auth_prefix
from localtitan.platform.users import Role

ENV = Environment.INTEGRATION
SECRET = re.compile(r"cs[12]\.[a-z0-9]{50}")


async def _app_for(app: LocalTitan, tenant: int, scopes: set[str], **kw: object) -> apps.App:
    async with app.runtime.db.begin() as conn:
        return await apps.save_new_app(
            conn,
            apps.AppDraft(
                name=str(kw.get("name", "Partner Sync")),
                organization="Partner",
                homepage_url="https://partner.example",
                scopes=frozenset(scopes),
                tenants=((str(tenant), ""),),
                credentials_mode=str(kw.get("mode", apps.BY_TENANT)),
            ),
            app.runtime.manifest.scopes,
            owner_tenant_id=999,
            by="partner@partner.example",
        )


async def _admin(app: LocalTitan, client: httpx.AsyncClient) -> int:
    tenant = await new_tenant(app, "Customer Co")
    user = await new_user(app, roles=((Role.TENANT_ADMIN, tenant),))
    r = await sign_in(client, user.email)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/tenant/{tenant}/")
    return tenant


async def _call(client: httpx.AsyncClient, cid: str, secret: str, key: str, path: str) -> int:
    tok = await client.post(
        f"{auth_prefix(ENV)}/connect/token",
        data={"grant_type": "client_credentials", "client_id": cid, "client_secret": secret},
    )
    if tok.status_code != 200:
        return tok.status_code
    headers = {"Authorization": tok.json()["access_token"], "ST-App-Key": key}
    return (await client.get(api_prefix(ENV) + path, headers=headers)).status_code


async def test_connect_allow_upgrade_disable_enable(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    tenant = await _admin(app, client)
    made = await _app_for(app, tenant, {"tn.crm.customers:r"})
    base = f"/tenant/{tenant}/api-application-access"
    listing = await client.get(f"{base}/connect")
    assert "Partner Sync" in listing.text
    choose = await client.get(f"{base}/connect/{made.id}")
    assert "tn.crm.customers:r" in choose.text and "Allow" in choose.text
    token = await csrf(client, base)
    allowed = await client.post(
        f"{base}/connect/{made.id}", data={"csrf_token": token, "decision": "allow"}
    )
    assert allowed.status_code == 200
    secret = SECRET.search(allowed.text)
    cid = re.search(r"cid\.[a-z0-9]{25}", allowed.text)
    assert secret and cid
    later = await client.get(base)
    assert secret.group(0) not in later.text and "Allowed" in later.text
    customers = f"/crm/v2/tenant/{tenant}/customers"
    jobs = f"/jpm/v2/tenant/{tenant}/jobs"
    assert await _call(client, cid.group(0), secret.group(0), made.app_key, customers) == 200

    async with app.runtime.db.begin() as conn:
        await apps.set_scopes(conn, made.id, frozenset({"tn.crm.customers:r", "tn.jpm.jobs:r"}))
    page = await client.get(base)
    assert "New Version Available" in page.text and "Upgrade to New Version" in page.text
    diff = await client.get(f"{base}/apps/{made.id}/upgrade")
    assert '<code class="added">+ tn.jpm.jobs:r</code>' in diff.text
    assert await _call(client, cid.group(0), secret.group(0), made.app_key, jobs) == 403
    up = await client.post(
        f"{base}/apps/{made.id}/upgrade", data={"csrf_token": token, "decision": "allow"}
    )
    assert up.status_code == 200 and "no new secret is needed" in up.text
    assert await _call(client, cid.group(0), secret.group(0), made.app_key, jobs) == 200

    confirm = await client.get(f"{base}/apps/{made.id}/disable")
    assert "Confirm and Continue" in confirm.text
    off = await client.post(f"{base}/apps/{made.id}/disable", data={"csrf_token": token})
    assert off.status_code == 303
    assert await _call(client, cid.group(0), secret.group(0), made.app_key, jobs) in (400, 401)
    assert "Disabled" in (await client.get(base)).text
    on = await client.post(f"{base}/apps/{made.id}/enable", data={"csrf_token": token})
    assert on.status_code == 303
    assert await _call(client, cid.group(0), secret.group(0), made.app_key, jobs) == 200

    log = (await client.get(base)).text
    for action in ("connection.allowed", "connection.upgraded", "connection.disabled"):
        assert action in log


async def test_two_active_secrets_at_most(app: LocalTitan, client: httpx.AsyncClient) -> None:
    tenant = await _admin(app, client)
    made = await _app_for(app, tenant, {"tn.crm.customers:r"})
    base = f"/tenant/{tenant}/api-application-access"
    token = await csrf(client, base)
    await client.post(f"{base}/connect/{made.id}", data={"csrf_token": token, "decision": "allow"})
    second = await client.post(f"{base}/apps/{made.id}/generate", data={"csrf_token": token})
    assert SECRET.search(second.text)
    third = await client.post(f"{base}/apps/{made.id}/generate", data={"csrf_token": token})
    assert third.status_code == 400 and "already has 2 active secrets" in third.text


async def test_developer_managed_app_gets_no_secret_from_the_admin(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    tenant = await _admin(app, client)
    made = await _app_for(app, tenant, {"tn.crm.customers:r"}, mode=apps.BY_DEVELOPER)
    base = f"/tenant/{tenant}/api-application-access"
    token = await csrf(client, base)
    r = await client.post(
        f"{base}/connect/{made.id}", data={"csrf_token": token, "decision": "allow"}
    )
    assert r.status_code == 200 and not SECRET.search(r.text)
    assert "generates its client secret in My Apps" in r.text


async def test_decline_connects_nothing(app: LocalTitan, client: httpx.AsyncClient) -> None:
    tenant = await _admin(app, client)
    made = await _app_for(app, tenant, {"tn.crm.customers:r"})
    base = f"/tenant/{tenant}/api-application-access"
    token = await csrf(client, base)
    r = await client.post(
        f"{base}/connect/{made.id}", data={"csrf_token": token, "decision": "decline"}
    )
    assert r.status_code == 303
    assert "No app is connected" in (await client.get(base)).text


async def test_import_production_into_integration_and_schedule(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    tenant = await _admin(app, client)
    base = f"/tenant/{tenant}/api-application-access"
    token = await csrf(client, base)
    r = await client.post(f"{base}/refresh/now", data={"csrf_token": token})
    assert r.status_code == 200 and "Integration now holds a copy of production" in r.text
    r = await client.post(f"{base}/refresh/schedule", data={"csrf_token": token, "every": "24h"})
    assert r.status_code == 303
    page = await client.get(base)
    assert "Next import" in page.text and 'value="24h"' in page.text
    bad = await client.post(f"{base}/refresh/schedule", data={"csrf_token": token, "every": "x"})
    assert bad.status_code == 400 and "Cannot read" in bad.text
    assert "refresh.run" in page.text and "refresh.scheduled" in page.text
