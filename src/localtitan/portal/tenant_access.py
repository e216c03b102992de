"""API Application Access (``/tenant/{tenant}/api-application-access``): what a tenant's admin
sees in Settings > Integrations. Connect New App, Allow or Decline its scopes, client secrets
shown once, New Version Available / Upgrade, Disable (Confirm and Continue) and Enable, the
production-to-integration import and its schedule, and the tenant's audit log.

A tenant admin of one tenant reaches nothing of another: every path answers 404 for a tenant
the signed-in user does not administer in this environment.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.demo import schedule
from localtitan.platform import apps, audit, credentials
from localtitan.platform.tenants import get_tenant
from localtitan.portal import session
from localtitan.portal.forms import read_form, see_other, text
from localtitan.portal.signin import require_account
from localtitan.portal.site import error_page
from localtitan.snapshots.refresh import RefreshError, refresh_integration

__all__ = ["routes"]

_BASE = "/tenant/{tenant:int}/api-application-access"


async def _admin(request: Request) -> tuple[session.Account, int] | Response:
    found = await require_account(request)
    if isinstance(found, Response):
        return found
    tenant_id = request.path_params["tenant"]
    if tenant_id not in found.admin_tenants:
        return error_page(request, 404, "There is no such tenant among the ones you manage.")
    return found, tenant_id


def _url(tenant_id: int, rest: str = "") -> str:
    return f"/tenant/{tenant_id}/api-application-access{rest}"


async def _visible_app(request: Request, tenant_id: int) -> apps.App | None:
    raw = request.path_params.get("app_id")
    async with request.app.state.runtime.db.read() as conn:
        found = await apps.get_app(conn, raw) if isinstance(raw, int) and raw < 2**63 else None
    if found is None or found.deleted or tenant_id not in found.tenant_ids:
        return None
    return found


async def overview(
    request: Request, *, issued: Any = None, error: str = "", notice: str = ""
) -> Response:
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    env = account.environment
    runtime = request.app.state.runtime
    async with runtime.db.read() as conn:
        tenant = await get_tenant(conn, tenant_id)
        rows = []
        for c in await credentials.connections_of(conn, tenant_id=tenant_id):
            if c.environment is not env:
                continue
            app = await apps.get_app(conn, c.app_id)
            if app is None or app.deleted:
                continue
            rows.append(
                {
                    "app": app,
                    "connection": c,
                    "new_version": c.scope_version < app.scope_version,
                    "secrets": await credentials.list_secrets(conn, c.client_id),
                }
            )
        entries = await audit.list_entries(conn, tenant_ids=[tenant_id], limit=50)
    plans = [s for s in await schedule.list_schedules(runtime.db) if s.tenant_id == tenant_id]
    has_both = tenant is not None and len(tenant.environments) == 2
    return session.page(
        request,
        "accounts/tenant_access.html",
        {
            "title": "API Application Access",
            "tenant": tenant,
            "tenant_id": tenant_id,
            "environment": env.value,
            "rows": rows,
            "issued": issued,
            "error": error,
            "notice": notice,
            "entries": entries,
            "plan": plans[0] if plans else None,
            "can_refresh": has_both,
            "max_secrets": credentials.MAX_ACTIVE_SECRETS,
            "base": _url(tenant_id),
        },
        account=account,
        status_code=400 if error else 200,
    )


async def connect_list(request: Request) -> Response:
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    async with request.app.state.runtime.db.read() as conn:
        visible = await apps.list_apps(conn, visible_to=tenant_id, include_deleted=False)
        connected = {
            c.app_id
            for c in await credentials.connections_of(conn, tenant_id=tenant_id)
            if c.environment is account.environment
        }
    return session.page(
        request,
        "accounts/tenant_connect_list.html",
        {
            "title": "Connect New App",
            "tenant_id": tenant_id,
            "apps": [a for a in visible if a.id not in connected],
            "base": _url(tenant_id),
        },
        account=account,
    )


async def connect_app(request: Request) -> Response:
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    app = await _visible_app(request, tenant_id)
    if app is None:
        return error_page(request, 404, "No such app is visible to this tenant.")
    ctx = {
        "title": f"Connect {app.name}",
        "app": app,
        "tenant_id": tenant_id,
        "scopes": sorted(app.scopes),
        "base": _url(tenant_id),
        "error": "",
    }
    if request.method == "GET":
        return session.page(request, "accounts/tenant_connect.html", ctx, account=account)
    form = await read_form(request)
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired: nothing was changed. Choose again."
        return session.page(
            request, "accounts/tenant_connect.html", ctx, account=account, status_code=403
        )
    runtime = request.app.state.runtime
    who = session.actor(request, account)
    where = {"tenant_id": tenant_id, "app_id": app.id}
    if text(form, "decision", 10) != "allow":
        async with runtime.db.begin() as conn:
            await audit.record(conn, who, "connection.declined", **where)
        return see_other(_url(tenant_id))
    try:
        async with runtime.db.begin() as conn:
            connection = await credentials.allow_app(
                conn, app_id=app.id, tenant_id=tenant_id, environment=account.environment
            )
            issued = None
            if app.credentials_mode == apps.BY_TENANT:
                issued = await credentials.create_secret(
                    conn, runtime.server_key, connection.client_id
                )
            await audit.record(
                conn,
                who,
                "connection.allowed",
                environment=account.environment.value,
                version=connection.scope_version,
                clientId=connection.client_id,
                **where,
            )
    except credentials.CredentialError as exc:
        return await overview(request, error=str(exc))
    return await overview(
        request,
        issued={"app": app, "connection": connection, "secret": issued},
        notice=f"{app.name} is connected.",
    )


async def upgrade(request: Request) -> Response:
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    app = await _visible_app(request, tenant_id)
    runtime = request.app.state.runtime
    connection = None
    if app is not None:
        async with runtime.db.read() as conn:
            connection = await credentials.find_connection(
                conn, account.environment, tenant_id, app.id
            )
    if app is None or connection is None:
        return error_page(request, 404, "This app is not connected to this tenant.")
    async with runtime.db.read() as conn:
        current = await apps.scopes_of(conn, app.id, connection.scope_version)
    ctx = {
        "title": f"Upgrade {app.name}",
        "app": app,
        "connection": connection,
        "kept": sorted(current & app.scopes),
        "added": sorted(app.scopes - current),
        "removed": sorted(current - app.scopes),
        "base": _url(tenant_id),
        "error": "",
    }
    if request.method == "GET":
        return session.page(request, "accounts/tenant_upgrade.html", ctx, account=account)
    form = await read_form(request)
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired: nothing was changed. Choose again."
        return session.page(
            request, "accounts/tenant_upgrade.html", ctx, account=account, status_code=403
        )
    if text(form, "decision", 10) != "allow":
        return see_other(_url(tenant_id))
    try:
        async with runtime.db.begin() as conn:
            version = await credentials.upgrade_connection(conn, connection.id)
            await audit.record(
                conn,
                session.actor(request, account),
                "connection.upgraded",
                tenant_id=tenant_id,
                app_id=app.id,
                version=version,
                added=ctx["added"],
                removed=ctx["removed"],
            )
    except credentials.CredentialError as exc:
        return await overview(request, error=str(exc))
    return await overview(
        request, notice=f"{app.name} now uses scope version {version}; no new secret is needed."
    )


async def change(request: Request) -> Response:
    """Disable (after Confirm and Continue), enable, or manage a connection's secrets."""
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    action = request.path_params["action"]
    if action not in ("disable", "enable", "generate", "deactivate", "restore"):
        return error_page(request, 404)
    app = await _visible_app(request, tenant_id)
    runtime = request.app.state.runtime
    connection = None
    if app is not None:
        async with runtime.db.read() as conn:
            connection = await credentials.find_connection(
                conn, account.environment, tenant_id, app.id
            )
    if app is None or connection is None:
        return error_page(request, 404, "This app is not connected to this tenant.")
    if request.method == "GET":
        if action != "disable":
            return error_page(request, 405)
        return session.page(
            request,
            "accounts/tenant_disable.html",
            {"title": f"Disable {app.name}", "app": app, "base": _url(tenant_id)},
            account=account,
        )
    form = await read_form(request)
    if not session.check_csrf(request, form):
        return await overview(request, error="This form had expired: nothing was changed.")
    who = session.actor(request, account)
    where = {"tenant_id": tenant_id, "app_id": app.id}
    issued = None
    try:
        async with runtime.db.begin() as conn:
            if action in ("disable", "enable"):
                await credentials.set_connection_active(conn, connection.id, action == "enable")
                await audit.record(conn, who, f"connection.{action}d", **where)
            elif app.credentials_mode != apps.BY_TENANT:
                raise credentials.CredentialError(
                    "This app's developer makes its client secrets (developer-managed credentials)."
                )
            elif action == "generate":
                issued = await credentials.create_secret(
                    conn, runtime.server_key, connection.client_id
                )
                await audit.record(conn, who, "secret.created", secretId=issued.id, **where)
            else:
                secret_id = int(text(form, "secret_id", 20) or 0)
                flip = (
                    credentials.restore_secret
                    if action == "restore"
                    else credentials.deactivate_secret
                )
                await flip(conn, connection.client_id, secret_id)
                await audit.record(conn, who, f"secret.{action}d", secretId=secret_id, **where)
    except (credentials.CredentialError, ValueError) as exc:
        return await overview(request, error=str(exc))
    runtime.forget_clients()
    if issued is not None:
        return await overview(
            request, issued={"app": app, "connection": connection, "secret": issued}
        )
    return see_other(_url(tenant_id))


async def refresh(request: Request) -> Response:
    """Import production data into integration now, or set how often it repeats."""
    found = await _admin(request)
    if isinstance(found, Response):
        return found
    account, tenant_id = found
    form = await read_form(request)
    if not session.check_csrf(request, form):
        return await overview(request, error="This form had expired: nothing was changed.")
    runtime = request.app.state.runtime
    who = session.actor(request, account)
    if request.path_params["action"] == "now":
        try:
            result = await refresh_integration(runtime.db, tenant_id=tenant_id)
        except RefreshError as exc:
            return await overview(request, error=str(exc))
        async with runtime.db.begin() as conn:
            await audit.record(conn, who, "refresh.run", tenant_id=tenant_id, **result.as_json())
        return await overview(
            request,
            notice=f"Integration now holds a copy of production: {result.copied} records copied.",
        )
    every_text = text(form, "every", 20)
    try:
        seconds = schedule.parse_every(every_text)
    except ValueError as exc:
        return await overview(request, error=str(exc))
    if seconds is None:
        await schedule.clear_schedule(runtime.db, tenant_id)
    else:
        await schedule.set_schedule(runtime.db, tenant_id, seconds)
    async with runtime.db.begin() as conn:
        await audit.record(
            conn, who, "refresh.scheduled", tenant_id=tenant_id, every=every_text or "off"
        )
    return see_other(_url(tenant_id))


routes: list[BaseRoute] = [
    Route(_BASE, overview, methods=["GET"]),
    Route(_BASE + "/connect", connect_list, methods=["GET"]),
    Route(_BASE + "/connect/{app_id:int}", connect_app, methods=["GET", "POST"]),
    Route(_BASE + "/apps/{app_id:int}/upgrade", upgrade, methods=["GET", "POST"]),
    Route(_BASE + "/apps/{app_id:int}/{action:str}", change, methods=["GET", "POST"]),
    Route(_BASE + "/refresh/{action:str}", refresh, methods=["POST"]),
]
