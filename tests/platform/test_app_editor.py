"""The app rules the My Apps editor relies on: ServiceTitan's field limits and messages, scope
versions with history, tenant notes, deletion revoking the app key."""

from __future__ import annotations

import httpx

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.platform import apps
from localtitan.platform.apps import AppDraft, AppError

KNOWN = frozenset({"tn.crm.customers:r", "tn.crm.customers:w", "tn.jpm.jobs:r"})


def _draft(**changes: object) -> AppDraft:
    base: dict[str, object] = {
        "name": "Dispatch Board",
        "organization": "Acme Software",
        "homepage_url": "https://acme.example/board",
        "notification_email": "api@acme.example",
        "scopes": frozenset({"tn.crm.customers:r"}),
        "tenants": (("1234567", "our test tenant"),),
    }
    base.update(changes)
    return AppDraft(**base)  # type: ignore[arg-type]


def test_the_editor_messages() -> None:
    def errors(**changes: object) -> dict[str, str]:
        return apps.check_draft(_draft(**changes), KNOWN)[0]

    assert errors() == {}
    assert errors(name=" ")["name"] == "Application name is empty"
    assert errors(name="x" * 121)["name"] == "Application name is more than 120 chars"
    assert errors(organization="")["organization"] == "Organization name is empty"
    assert errors(homepage_url="")["homepage_url"] == "Url is empty"
    assert errors(homepage_url="ftp://x.example")["homepage_url"] == "Url is not valid"
    assert errors(homepage_url="https://" + "a" * 250)["homepage_url"] == (
        "Url is more than 250 chars"
    )
    assert errors(scopes=frozenset())["scopes"] == "API Scopes are not selected"
    assert errors(tenants=())["tenants"] == "Tenant list is empty"
    many = tuple((str(1000 + i), "") for i in range(201))
    assert errors(tenants=many)["tenants"] == "Tenant list is more than 200 items"
    assert errors(tenants=(("12x", ""),))["tenants.0"] == "Tenant ID is not a number"
    assert errors(tenants=(("5", "n" * 4001),))["tenants.0"] == "Note is more than 4000 chars"
    assert errors(tenants=(("5", ""), ("5", "")))["tenants.1"] == "Tenant ID is listed twice"
    assert errors(notification_email="nope")["notification_email"] == "Email is not valid"
    assert errors(credentials_mode="other")["credentials_mode"]


async def test_scope_change_makes_a_version_with_history(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        made = await apps.save_new_app(conn, _draft(), KNOWN, owner_tenant_id=1, by="a@x.example")
        assert made.scope_version == 1
        assert made.tenant_notes == {1234567: "our test tenant"}
        same, version = await apps.update_app(
            conn, made.id, _draft(description="now with text"), KNOWN, by="b@x.example"
        )
        assert version is None and same.description == "now with text"
        changed, version = await apps.update_app(
            conn,
            made.id,
            _draft(scopes=frozenset({"tn.jpm.jobs:r", "tn.crm.customers:w"})),
            KNOWN,
            by="b@x.example",
        )
        assert version == 2 and changed.app_key == made.app_key
        history = await apps.scope_history(conn, made.id)
    assert [h.version for h in history] == [2, 1]
    assert history[0].added == {"tn.jpm.jobs:r", "tn.crm.customers:w"}
    assert history[0].removed == {"tn.crm.customers:r"}
    assert history[0].created_by == "b@x.example"
    assert history[1].created_by == "a@x.example"


async def test_an_invalid_save_changes_nothing(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        made = await apps.save_new_app(conn, _draft(), KNOWN, owner_tenant_id=1, by=None)
        try:
            await apps.update_app(conn, made.id, _draft(name="", tenants=()), KNOWN, by=None)
        except AppError as exc:
            assert exc.fields == {
                "name": "Application name is empty",
                "tenants": "Tenant list is empty",
            }
        else:
            raise AssertionError("expected an AppError")
        again = await apps.get_app(conn, made.id)
    assert again is not None and again.name == "Dispatch Board"


async def test_owned_and_visible_lists(app: LocalTitan) -> None:
    async with app.runtime.db.begin() as conn:
        mine = await apps.save_new_app(conn, _draft(), KNOWN, owner_tenant_id=11, by=None)
        theirs = await apps.save_new_app(
            conn, _draft(tenants=(("99", ""),)), KNOWN, owner_tenant_id=12, by=None
        )
        owned = await apps.list_apps(conn, owner_tenant_ids=[11])
        visible = await apps.list_apps(conn, visible_to=99)
    assert [a.id for a in owned] == [mine.id]
    assert theirs.id in [a.id for a in visible] and mine.id not in [a.id for a in visible]


async def test_deleting_an_app_revokes_its_key(app: LocalTitan, client: httpx.AsyncClient) -> None:
    creds = await make_creds(app.runtime)
    headers = await creds.headers(client)
    path = creds.api("/crm/v2/tenant/{tenant}/customers")
    assert (await client.get(path, headers=headers)).status_code == 200
    async with app.runtime.db.begin() as conn:
        await apps.delete_app(conn, creds.app_id)
        gone = await apps.get_app(conn, creds.app_id)
    assert gone is not None and gone.deleted
    app.runtime.forget_clients()
    r = await client.get(path, headers=headers)
    assert r.status_code == 403
    assert "revoked" in r.json()["title"]
    token = await client.post(
        creds.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_client"
