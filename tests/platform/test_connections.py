"""What the tenant admin does to a connection: allow (visible apps only), upgrade to a new
scope version, disable and enable."""

from __future__ import annotations

import httpx
import pytest

from localtitan.app import LocalTitan
from localtitan.platform import apps, credentials
from localtitan.platform.credentials import CredentialError
from localtitan.platform.environments import Environment, api_prefix, auth_prefix
from localtitan.platform.tenants import create_tenant

ENV = Environment.INTEGRATION


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        f"{auth_prefix(ENV)}/connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


async def test_allow_upgrade_disable_enable(app: LocalTitan, client: httpx.AsyncClient) -> None:
    rt = app.runtime
    async with rt.db.begin() as conn:
        tenant = await create_tenant(conn, name="Allow Co")
        other = await create_tenant(conn, name="Not Listed Co")
        made = await apps.save_new_app(
            conn,
            apps.AppDraft(
                name="Reader",
                organization="Dev Org",
                homepage_url="https://dev.example",
                scopes=frozenset({"tn.crm.customers:r"}),
                tenants=((str(tenant.id), ""),),
            ),
            rt.manifest.scopes,
            owner_tenant_id=None,
            by=None,
        )
        with pytest.raises(CredentialError, match="not visible"):
            await credentials.allow_app(conn, app_id=made.id, tenant_id=other.id, environment=ENV)
        connection = await credentials.allow_app(
            conn, app_id=made.id, tenant_id=tenant.id, environment=ENV
        )
        assert connection.scope_version == 1
        assert await credentials.list_secrets(conn, connection.client_id) == []
        issued = await credentials.create_secret(conn, rt.server_key, connection.client_id)
    token = (await _token(client, connection.client_id, issued.secret)).json()["access_token"]
    headers = {"Authorization": token, "ST-App-Key": made.app_key}
    jobs = f"{api_prefix(ENV)}/jpm/v2/tenant/{tenant.id}/jobs"
    customers = f"{api_prefix(ENV)}/crm/v2/tenant/{tenant.id}/customers"
    assert (await client.get(customers, headers=headers)).status_code == 200
    assert (await client.get(jobs, headers=headers)).status_code == 403

    async with rt.db.begin() as conn:
        await apps.set_scopes(conn, made.id, frozenset({"tn.crm.customers:r", "tn.jpm.jobs:r"}))
    # A new version changes nothing until the tenant admin upgrades.
    token = (await _token(client, connection.client_id, issued.secret)).json()["access_token"]
    headers["Authorization"] = token
    assert (await client.get(jobs, headers=headers)).status_code == 403
    async with rt.db.begin() as conn:
        assert await credentials.upgrade_connection(conn, connection.id) == 2
        with pytest.raises(CredentialError, match="already uses"):
            await credentials.upgrade_connection(conn, connection.id)
    token = (await _token(client, connection.client_id, issued.secret)).json()["access_token"]
    headers["Authorization"] = token
    assert (await client.get(jobs, headers=headers)).status_code == 200

    async with rt.db.begin() as conn:
        await credentials.set_connection_active(conn, connection.id, False)
    rt.forget_clients()
    assert (await client.get(jobs, headers=headers)).status_code == 401
    refused = await _token(client, connection.client_id, issued.secret)
    assert refused.json()["error"] == "invalid_client"
    async with rt.db.begin() as conn:
        await credentials.set_connection_active(conn, connection.id, True)
    rt.forget_clients()
    assert (await client.get(jobs, headers=headers)).status_code == 200
