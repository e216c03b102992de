"""The request log and usage pages: a developer's app, a tenant admin's tenant, filters, the
detail view, the chart and the CSV; another developer's or tenant's log answers 404."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import httpx
from accounts_kit import developer, new_tenant, new_user, sign_in

from localtitan.app import LocalTitan
from localtitan.platform import apps, credentials, users
from localtitan.platform.environments import Environment, api_prefix, auth_prefix

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
ENTRY = re.compile(r'href="(/(?:my-apps|tenant)/\d+/logs/(\d+))"')


@dataclass
class Called:
    app_id: int
    tenant: int
    secret: str
    entry_ids: list[int]


async def _app_with_calls(app: LocalTitan, client: httpx.AsyncClient, owner: int) -> Called:
    """An app of ``owner``'s organization connected to a new tenant, and three calls made."""
    tenant = await new_tenant(app, "Customer Co")
    async with app.runtime.db.begin() as conn:
        made = await apps.create_app(
            conn,
            name="Dispatch <b>Board</b>",
            organization="Dev Org",
            scopes=frozenset({"tn.crm.customers:r"}),
            tenant_ids=[tenant],
            owner_tenant_id=owner,
        )
        connection, issued = await credentials.connect_app(
            conn,
            app.runtime.server_key,
            app_id=made.id,
            tenant_id=tenant,
            environment=Environment.INTEGRATION,
        )
    env = Environment.INTEGRATION
    r = await client.post(
        f"{auth_prefix(env)}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": connection.client_id,
            "client_secret": issued.secret,
        },
    )
    token = r.json()["access_token"]
    url = api_prefix(env) + CUSTOMERS.replace("{tenant}", str(tenant))
    await client.get(
        url + "?pageSize=1", headers={"Authorization": token, "ST-App-Key": made.app_key}
    )
    await client.get(url + "?note=1", headers={"Authorization": token})
    await app.runtime.request_log.flush()
    return Called(made.id, tenant, issued.secret, [])


async def test_a_developer_sees_their_apps_calls_and_one_in_detail(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    page = await client.get(f"/my-apps/{called.app_id}/logs")
    assert page.status_code == 200
    assert "Customers_GetList" in page.text
    assert "pageSize=1" in page.text
    assert "/auth-integration/connect/token" in page.text
    # User text is escaped wherever it is shown.
    assert "Dispatch &lt;b&gt;Board&lt;/b&gt;" in page.text and "<b>Board" not in page.text
    typed = await client.get(f"/my-apps/{called.app_id}/logs?operation=<script>x</script>")
    assert "<script>x" not in typed.text and 'value="&lt;script&gt;x&lt;/script&gt;"' in typed.text
    links = ENTRY.findall(page.text)
    assert len(links) == 3
    for href, _ in links:
        detail = await client.get(href)
        assert detail.status_code == 200
        assert called.secret not in detail.text
    token_detail = await client.get(links[-1][0])  # oldest: the token request
    assert "client_secret=%5Bredacted%5D" in token_detail.text
    assert "access_token" in token_detail.text and "[redacted]" in token_detail.text


async def test_filters_by_status_method_operation_and_time(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    base = f"/my-apps/{called.app_id}/logs"
    failed = await client.get(base + "?status=4xx")
    assert len(ENTRY.findall(failed.text)) == 1 and "note=" in failed.text
    posts = await client.get(base + "?method=POST")
    assert len(ENTRY.findall(posts.text)) == 1 and "connect/token" in posts.text
    op = await client.get(base + "?operation=Customers_GetList&range=hour")
    assert len(ENTRY.findall(op.text)) == 2
    none = await client.get(base + "?operation=Nope_Get")
    assert ENTRY.findall(none.text) == [] and "No requests match" in none.text
    bad = await client.get(base + "?status=6xx&method=BREW")
    assert bad.status_code == 400
    assert "Choose status from the list" in bad.text and "Choose method from the list" in bad.text


async def test_usage_report_page_chart_and_csv(app: LocalTitan, client: httpx.AsyncClient) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    base = f"/my-apps/{called.app_id}/usage"
    page = await client.get(base + "?range=hour")
    assert page.status_code == 200
    assert "Customers_GetList" in page.text and "(token requests)" in page.text
    assert f'src="{base}.svg?range=hour"' in page.text
    chart = await client.get(base + ".svg?range=hour")
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.startswith("<svg") and "Successful: 2" in chart.text
    download = await client.get(base + ".csv?range=today")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = {(r["group"], r["name"]): r for r in csv.DictReader(io.StringIO(download.text))}
    total = rows[("total", "all")]
    assert (total["successful"], total["failed"], total["total"]) == ("2", "1", "3")
    assert rows[("tenant", str(called.tenant))]["total"] == "3"
    assert (await client.get(base + "?range=forever")).status_code == 400


async def test_another_developers_log_and_usage_answer_404(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    page = await client.get(f"/my-apps/{called.app_id}/logs")
    entry_id = ENTRY.findall(page.text)[0][1]
    client.cookies.clear()
    await developer(app, client)  # someone of another organization
    for path in ("logs", f"logs/{entry_id}", "usage", "usage.svg", "usage.csv"):
        r = await client.get(f"/my-apps/{called.app_id}/{path}")
        assert r.status_code == 404, path
        assert "Customers_GetList" not in r.text
    client.cookies.clear()
    signed_out = await client.get(f"/my-apps/{called.app_id}/logs")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")


async def test_a_tenant_admin_sees_their_tenant_only(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    other = await _app_with_calls(app, client, org)
    mine = await client.get(f"/my-apps/{other.app_id}/logs")
    other_entry = ENTRY.findall(mine.text)[0][1]
    client.cookies.clear()
    admin = await new_user(app, roles=((users.Role.TENANT_ADMIN, called.tenant),))
    assert (await sign_in(client, admin.email)).status_code == 303
    page = await client.get(f"/tenant/{called.tenant}/logs")
    assert page.status_code == 200
    assert len(ENTRY.findall(page.text)) == 3
    usage = await client.get(f"/tenant/{called.tenant}/usage?range=hour")
    assert usage.status_code == 200 and "Customers_GetList" in usage.text
    # Another tenant's log, and another tenant's request through this tenant's path: 404.
    assert (await client.get(f"/tenant/{other.tenant}/logs")).status_code == 404
    assert (await client.get(f"/tenant/{other.tenant}/usage.csv")).status_code == 404
    assert (await client.get(f"/tenant/{called.tenant}/logs/{other_entry}")).status_code == 404


async def test_my_apps_and_api_application_access_link_to_the_log_and_the_report(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, org = await developer(app, client)
    called = await _app_with_calls(app, client, org)
    listing = await client.get("/my-apps")
    assert f'href="/my-apps/{called.app_id}/logs"' in listing.text
    assert f'href="/my-apps/{called.app_id}/usage"' in listing.text
    client.cookies.clear()
    admin = await new_user(app, roles=((users.Role.TENANT_ADMIN, called.tenant),))
    await sign_in(client, admin.email)
    access = await client.get(f"/tenant/{called.tenant}/api-application-access")
    assert f'href="/tenant/{called.tenant}/logs"' in access.text


async def test_the_pages_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/portal/requestlog.css")
    assert r.status_code == 200 and ".request-log" in r.text
