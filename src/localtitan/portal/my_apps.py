"""My Apps (``/my-apps``): a developer's apps, the New/Edit editor, the app key, scope versions,
View Connections and, for developer-managed credentials, client secrets.

Every rule lives in ``localtitan.platform``; this module only reads forms, checks who may see
what (another organization's app answers 404), and renders.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.platform import apps, audit, credentials
from localtitan.platform.tenants import get_tenant
from localtitan.portal import session
from localtitan.portal.forms import read_form, see_other, text
from localtitan.portal.scope_table import scope_groups, scope_summary
from localtitan.portal.signin import require_account
from localtitan.portal.site import error_page

__all__ = ["connection_rows", "routes"]

_BLANK_TENANT_ROWS = 3


async def _developer(request: Request) -> session.Account | Response:
    found = await require_account(request)
    if isinstance(found, Response):
        return found
    if not found.developer_tenants:
        return error_page(
            request,
            403,
            "My Apps needs the Generate API Application Key permission in this environment.",
        )
    if found.user.terms_accepted_on is None:
        return see_other(f"/terms?next={request.url.path}")
    return found


async def _own_app(request: Request, account: session.Account) -> apps.App | Response:
    """The app, if it belongs to the account's organization; otherwise the 404 page."""
    raw = request.path_params.get("app_id")
    runtime = request.app.state.runtime
    found = None
    if isinstance(raw, int) and 0 < raw < 2**63:
        async with runtime.db.read() as conn:
            found = await apps.get_app(conn, raw)
    if found is None or found.deleted or found.owner_tenant_id not in account.developer_tenants:
        return error_page(request, 404, "There is no such app among yours.")
    return found


def _draft(form: FormData) -> apps.AppDraft:
    ids = [v if isinstance(v, str) else "" for v in form.getlist("tenant_id")][:400]
    notes = [v if isinstance(v, str) else "" for v in form.getlist("tenant_note")][:400]
    notes += [""] * (len(ids) - len(notes))
    scopes = frozenset(v for v in form.getlist("scope") if isinstance(v, str) and len(v) < 100)
    return apps.AppDraft(
        name=text(form, "name", 1000),
        organization=text(form, "organization", 1000),
        homepage_url=text(form, "homepage_url", 2000),
        notification_email=text(form, "notification_email", 1000),
        description=text(form, "description", 10_000),
        public=text(form, "visibility", 10) == "public",
        credentials_mode=text(form, "credentials_mode", 20) or apps.BY_TENANT,
        tenants=tuple((i[:200], n[: apps.MAX_NOTE + 1]) for i, n in zip(ids, notes, strict=True)),
        scopes=scopes,
    )


def _draft_of(app: apps.App) -> apps.AppDraft:
    return apps.AppDraft(
        name=app.name,
        organization=app.organization,
        homepage_url=app.homepage_url,
        notification_email=app.notification_email,
        description=app.description,
        public=app.public,
        credentials_mode=app.credentials_mode,
        tenants=tuple((str(t), n) for t, n in sorted(app.tenant_notes.items())),
        scopes=app.scopes,
    )


async def _editor(
    request: Request,
    account: session.Account,
    draft: apps.AppDraft,
    *,
    app: apps.App | None,
    errors: dict[str, str] | None = None,
    banner: str = "",
    status: int = 200,
) -> Response:
    history: list[apps.ScopeVersion] = []
    if app is not None:
        async with request.app.state.runtime.db.read() as conn:
            history = await apps.scope_history(conn, app.id)
    rows = list(draft.tenants) + [("", "")] * _BLANK_TENANT_ROWS
    ctx: dict[str, Any] = {
        "title": app.name if app else "New App",
        "app": app,
        "draft": draft,
        "tenant_rows": rows,
        "groups": scope_groups(request.app.state.runtime.manifest),
        "errors": errors or {},
        "banner": banner,
        "history": history,
        "created": request.query_params.get("created") == "1",
        "summary": scope_summary(app.scopes) if app else "",
        "limits": {
            "name": apps.MAX_NAME,
            "url": apps.MAX_URL,
            "note": apps.MAX_NOTE,
            "tenants": apps.MAX_TENANTS,
        },
    }
    return session.page(
        request, "accounts/app_editor.html", ctx, account=account, status_code=status
    )


async def list_apps(request: Request) -> Response:
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    async with request.app.state.runtime.db.read() as conn:
        mine = await apps.list_apps(
            conn, owner_tenant_ids=found.developer_tenants, include_deleted=False
        )
    summaries = {a.id: scope_summary(a.scopes) for a in mine}
    return session.page(
        request,
        "accounts/my_apps.html",
        {"title": "My Apps", "apps": mine, "summaries": summaries},
        account=found,
    )


async def _submitted(
    request: Request, account: session.Account, app: apps.App | None, button: str
) -> apps.AppDraft | Response:
    """The app form as posted, or the form again (403) when its CSRF token is missing or
    wrong, keeping what was typed."""
    form = await read_form(request)
    draft = _draft(form)
    if not session.check_csrf(request, form):
        return await _editor(
            request,
            account,
            draft,
            app=app,
            status=403,
            banner=f"This form had expired: nothing was saved. Check it and press {button} again.",
        )
    return draft


async def new_app(request: Request) -> Response:
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    account = found
    if request.method == "GET":
        start = apps.AppDraft(
            name="", organization="", tenants=((str(account.developer_tenants[0]), ""),)
        )
        return await _editor(request, account, start, app=None)
    draft = await _submitted(request, account, None, "Create App")
    if isinstance(draft, Response):
        return draft
    runtime = request.app.state.runtime
    try:
        async with runtime.db.begin() as conn:
            made = await apps.save_new_app(
                conn,
                draft,
                runtime.manifest.scopes,
                owner_tenant_id=account.developer_tenants[0],
                by=account.user.email,
            )
            await audit.record(
                conn,
                session.actor(request, account),
                "app.created",
                tenant_id=account.developer_tenants[0],
                app_id=made.id,
                name=made.name,
                scopes=sorted(made.scopes),
                tenants=sorted(made.tenant_ids),
            )
    except apps.AppError as exc:
        return await _editor(request, account, draft, app=None, errors=exc.fields, status=400)
    return see_other(f"/my-apps/{made.id}?created=1")


async def edit_app(request: Request) -> Response:
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    account = found
    app = await _own_app(request, account)
    if isinstance(app, Response):
        return app
    if request.method == "GET":
        return await _editor(request, account, _draft_of(app), app=app)
    draft = await _submitted(request, account, app, "Save")
    if isinstance(draft, Response):
        return draft
    runtime = request.app.state.runtime
    try:
        async with runtime.db.begin() as conn:
            saved, version = await apps.update_app(
                conn, app.id, draft, runtime.manifest.scopes, by=account.user.email
            )
            await audit.record(
                conn,
                session.actor(request, account),
                "app.scopes-changed" if version else "app.updated",
                tenant_id=app.owner_tenant_id,
                app_id=app.id,
                version=version,
                added=sorted(saved.scopes - app.scopes),
                removed=sorted(app.scopes - saved.scopes),
                tenants=sorted(saved.tenant_ids),
            )
    except apps.AppError as exc:
        return await _editor(request, account, draft, app=app, errors=exc.fields, status=400)
    message = (
        f"Saved. The scopes are now version {version}: each tenant admin must upgrade before "
        "the new scopes take effect."
        if version
        else "Saved."
    )
    return await _editor(request, account, _draft_of(saved), app=saved, banner=message)


async def delete_app(request: Request) -> Response:
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    account = found
    app = await _own_app(request, account)
    if isinstance(app, Response):
        return app
    ctx: dict[str, Any] = {"title": f"Delete {app.name}", "app": app, "error": ""}
    if request.method == "GET":
        return session.page(request, "accounts/app_delete.html", ctx, account=account)
    form = await read_form(request)
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired: the app was not deleted."
        return session.page(
            request, "accounts/app_delete.html", ctx, account=account, status_code=403
        )
    if text(form, "confirm_name", 200).strip() != app.name:
        ctx["error"] = "Type the application's name exactly to delete it."
        return session.page(
            request, "accounts/app_delete.html", ctx, account=account, status_code=400
        )
    runtime = request.app.state.runtime
    async with runtime.db.begin() as conn:
        await apps.delete_app(conn, app.id)
        await audit.record(
            conn,
            session.actor(request, account),
            "app.deleted",
            tenant_id=app.owner_tenant_id,
            app_id=app.id,
            name=app.name,
        )
    runtime.forget_clients()
    return see_other("/my-apps")


async def connection_rows(conn: Any, app: apps.App) -> list[dict[str, Any]]:
    """One row per tenant the app is visible to and environment that tenant has."""
    existing = {
        (c.tenant_id, c.environment.value): c
        for c in await credentials.connections_of(conn, app_id=app.id)
    }
    rows = []
    for tenant_id in sorted(app.tenant_ids | {t for t, _ in existing}):
        tenant = await get_tenant(conn, tenant_id)
        envs = [e.value for e in tenant.environments] if tenant else ["integration"]
        for env in envs:
            c = existing.get((tenant_id, env))
            if c is None:
                status, css = "Not connected yet", "none"
            elif not c.active:
                status, css = "Disabled", "disabled"
            elif c.scope_version < app.scope_version:
                status, css = "New version pending", "pending"
            else:
                status, css = "Allowed", "allowed"
            secrets = await credentials.list_secrets(conn, c.client_id) if c else []
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "tenant_name": tenant.name if tenant else "(not on this server)",
                    "note": app.tenant_notes.get(tenant_id, ""),
                    "environment": env,
                    "connection": c,
                    "status": status,
                    "css": css,
                    "secrets": secrets,
                    "active_secrets": sum(1 for s in secrets if s["active"]),
                }
            )
    return rows


async def view_connections(request: Request, *, issued: Any = None, error: str = "") -> Response:
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    account = found
    app = await _own_app(request, account)
    if isinstance(app, Response):
        return app
    async with request.app.state.runtime.db.read() as conn:
        rows = await connection_rows(conn, app)
    return session.page(
        request,
        "accounts/app_connections.html",
        {
            "title": f"{app.name}: connections",
            "app": app,
            "rows": rows,
            "issued": issued,
            "error": error,
            "developer_managed": app.credentials_mode == apps.BY_DEVELOPER,
            "max_secrets": credentials.MAX_ACTIVE_SECRETS,
        },
        account=account,
        status_code=400 if error else 200,
    )


async def connection_secret(request: Request) -> Response:
    """Generate, deactivate or restore a secret of one of the app's connections (developer-
    managed credentials only)."""
    found = await _developer(request)
    if isinstance(found, Response):
        return found
    account = found
    app = await _own_app(request, account)
    if isinstance(app, Response):
        return app
    action = request.path_params["action"]
    if action not in ("generate", "deactivate", "restore"):
        return error_page(request, 404)
    form = await read_form(request)
    if not session.check_csrf(request, form):
        return error_page(request, 403, "This form had expired: go back and try again.")
    runtime = request.app.state.runtime
    async with runtime.db.read() as conn:
        connection = await credentials.get_connection(conn, request.path_params["connection_id"])
    if connection is None or connection.app_id != app.id:
        return error_page(request, 404, "There is no such connection of this app.")
    if app.credentials_mode != apps.BY_DEVELOPER:
        return error_page(
            request, 403, "The tenant admin makes this app's client secrets, not its developer."
        )
    if not connection.active:
        return await view_connections(request, error="This connection is disabled by its tenant.")
    where = {"tenant_id": connection.tenant_id, "app_id": app.id}
    try:
        async with runtime.db.begin() as conn:
            if action == "generate":
                issued = await credentials.create_secret(
                    conn, runtime.server_key, connection.client_id
                )
                await audit.record(
                    conn,
                    session.actor(request, account),
                    "secret.created",
                    secretId=issued.id,
                    environment=connection.environment.value,
                    **where,
                )
                return await view_connections(
                    request, issued={"connection": connection, "secret": issued}
                )
            secret_id = int(text(form, "secret_id", 20) or 0)
            change = (
                credentials.restore_secret if action == "restore" else credentials.deactivate_secret
            )
            await change(conn, connection.client_id, secret_id)
            await audit.record(
                conn,
                session.actor(request, account),
                f"secret.{action}d",
                secretId=secret_id,
                environment=connection.environment.value,
                **where,
            )
    except (credentials.CredentialError, ValueError) as exc:
        return await view_connections(request, error=str(exc))
    return see_other(f"/my-apps/{app.id}/connections")


routes: list[BaseRoute] = [
    Route("/my-apps", list_apps, methods=["GET"]),
    Route("/custom/my-apps", lambda r: see_other("/my-apps"), methods=["GET"]),
    Route("/my-apps/new", new_app, methods=["GET", "POST"]),
    Route("/my-apps/{app_id:int}", edit_app, methods=["GET", "POST"]),
    Route("/my-apps/{app_id:int}/delete", delete_app, methods=["GET", "POST"]),
    Route("/my-apps/{app_id:int}/connections", view_connections, methods=["GET"]),
    Route(
        "/my-apps/{app_id:int}/connections/{connection_id:int}/secrets/{action:str}",
        connection_secret,
        methods=["POST"],
    ),
]
