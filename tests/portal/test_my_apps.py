"""My Apps: list and empty state, the editor's field errors, app key, versions, connections,
developer-managed secrets, deletion."""

from __future__ import annotations

import re

import httpx
from accounts_kit import app_form, csrf, developer, new_tenant

from localtitan.app import LocalTitan
from localtitan.platform import apps, credentials
from localtitan.platform.environments import Environment, api_prefix, auth_prefix

APP_KEY = re.compile(r"ak1\.[a-z0-9]{42}")


async def _create(client: httpx.AsyncClient, tenants: list[int], **changes: object) -> int:
    token = await csrf(client, "/my-apps/new")
    r = await client.post("/my-apps/new", data=app_form(token, tenants, **changes))
    assert r.status_code == 303, r.text[:2000]
    return int(r.headers["location"].split("/")[2].split("?")[0])


async def test_empty_state_then_a_created_app(app: LocalTitan, client: httpx.AsyncClient) -> None:
    _, tenant = await developer(app, client)
    empty = await client.get("/my-apps")
    assert "haven’t created any apps yet" in empty.text and "(0)" in empty.text
    app_id = await _create(client, [tenant])
    page = await client.get(f"/my-apps/{app_id}?created=1")
    assert "Your app is created" in page.text
    key = APP_KEY.search(page.text)
    assert key is not None
    assert "data-copy" in page.text
    listed = await client.get("/my-apps")
    assert "(1)" in listed.text and "Dispatch Board" in listed.text and "+ New App" in listed.text


async def test_field_errors_next_to_their_fields_keep_what_was_typed(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    await developer(app, client)
    token = await csrf(client, "/my-apps/new")
    r = await client.post(
        "/my-apps/new",
        data=app_form(
            token,
            [],
            name="",
            organization="Kept Org",
            homepage_url="not a url",
            scope=[],
            tenant_id=[],
        ),
    )
    assert r.status_code == 400
    for message in (
        "Application name is empty",
        "Url is not valid",
        "API Scopes are not selected",
        "Tenant list is empty",
    ):
        assert message in r.text
    assert 'value="Kept Org"' in r.text and 'value="not a url"' in r.text
    many = [str(1000 + i) for i in range(201)]
    r = await client.post(
        "/my-apps/new", data=app_form(token, [], tenant_id=many, tenant_note=[""] * 201)
    )
    assert r.status_code == 400 and "Tenant list is more than 200 items" in r.text
    r = await client.post("/my-apps/new", data=app_form(token, [5], name="x" * 121))
    assert "Application name is more than 120 chars" in r.text


async def test_scope_change_makes_a_version_shown_in_history(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    user, tenant = await developer(app, client)
    app_id = await _create(client, [tenant])
    token = await csrf(client, f"/my-apps/{app_id}")
    r = await client.post(
        f"/my-apps/{app_id}",
        data=app_form(token, [tenant], scope=["tn.crm.customers:r", "tn.jpm.jobs:r"]),
    )
    assert r.status_code == 200 and "version 2" in r.text
    assert '<code class="added">tn.jpm.jobs:r</code>' in r.text
    assert user.email in r.text


async def test_connections_and_developer_managed_secrets(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, own_tenant = await developer(app, client)
    customer = await new_tenant(app, "Customer Co")
    app_id = await _create(client, [customer], credentials_mode="developer")
    page = await client.get(f"/my-apps/{app_id}/connections")
    assert page.text.count("Not connected yet") >= 2
    # The tenant admin allows it (through the same service the admin page uses).
    async with app.runtime.db.begin() as conn:
        connection = await credentials.allow_app(
            conn, app_id=app_id, tenant_id=customer, environment=Environment.INTEGRATION
        )
    page = await client.get(f"/my-apps/{app_id}/connections")
    assert "Allowed" in page.text and connection.client_id in page.text
    token = await csrf(client, f"/my-apps/{app_id}/connections")
    url = f"/my-apps/{app_id}/connections/{connection.id}/secrets"
    first = await client.post(f"{url}/generate", data={"csrf_token": token})
    secret = re.search(r"cs1\.[a-z0-9]{50}", first.text)
    assert first.status_code == 200 and secret is not None
    # Shown once: the connections page afterwards has only the hint.
    again = await client.get(f"/my-apps/{app_id}/connections")
    assert secret.group(0) not in again.text and secret.group(0)[:4] in again.text
    second = await client.post(f"{url}/generate", data={"csrf_token": token})
    assert re.search(r"cs2\.[a-z0-9]{50}", second.text)
    third = await client.post(f"{url}/generate", data={"csrf_token": token})
    assert third.status_code == 400 and "already has 2 active secrets" in third.text
    # The developer-made secret works at the token endpoint.
    tok = await client.post(
        f"{auth_prefix(Environment.INTEGRATION)}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": connection.client_id,
            "client_secret": secret.group(0),
        },
    )
    assert tok.status_code == 200
    assert own_tenant


async def test_delete_needs_two_confirmations_and_revokes_the_key(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    _, tenant = await developer(app, client)
    app_id = await _create(client, [tenant])
    async with app.runtime.db.begin() as conn:
        made = await apps.get_app(conn, app_id)
        connection, issued = await credentials.connect_app(
            conn,
            app.runtime.server_key,
            app_id=app_id,
            tenant_id=tenant,
            environment=Environment.INTEGRATION,
        )
    assert made is not None
    tok = await client.post(
        f"{auth_prefix(Environment.INTEGRATION)}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": connection.client_id,
            "client_secret": issued.secret,
        },
    )
    headers = {"Authorization": tok.json()["access_token"], "ST-App-Key": made.app_key}
    path = f"{api_prefix(Environment.INTEGRATION)}/crm/v2/tenant/{tenant}/customers"
    assert (await client.get(path, headers=headers)).status_code == 200

    confirm = await client.get(f"/my-apps/{app_id}/delete")
    assert "Confirm Delete" in confirm.text and "Delete permanently" in confirm.text
    token = await csrf(client, f"/my-apps/{app_id}/delete")
    wrong = await client.post(
        f"/my-apps/{app_id}/delete", data={"csrf_token": token, "confirm_name": "nope"}
    )
    assert wrong.status_code == 400
    done = await client.post(
        f"/my-apps/{app_id}/delete", data={"csrf_token": token, "confirm_name": "Dispatch Board"}
    )
    assert done.status_code == 303
    assert (await client.get(f"/my-apps/{app_id}")).status_code == 404
    r = await client.get(path, headers=headers)
    assert r.status_code == 403 and "revoked" in r.json()["title"]
