"""Request Access (``/request-access``) and the operator's page of access requests."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.platform import access, audit, onboarding
from localtitan.portal import session
from localtitan.portal.forms import read_form, see_other, text
from localtitan.portal.signin import require_account
from localtitan.portal.site import error_page

__all__ = ["routes"]

# Requests accepted per client address per hour.
_PER_ADDRESS = 10


def _modules(request: Request) -> list[tuple[str, str]]:
    manifest = request.app.state.runtime.manifest
    return sorted(((k, m.name) for k, m in manifest.modules.items()), key=lambda km: km[1])


def _form_page(
    request: Request,
    form: access.RequestForm,
    *,
    errors: dict[str, str] | None = None,
    banner: str = "",
    status: int = 200,
) -> Response:
    ctx: dict[str, Any] = {
        "title": "Request Access",
        "form": form,
        "errors": errors or {},
        "banner": banner,
        "kinds": access.KINDS,
        "modules": _modules(request),
    }
    return session.page(
        request, "accounts/request_access.html", ctx, account=None, status_code=status
    )


async def request_access(request: Request) -> Response:
    empty = access.RequestForm("", "", "", "", "developer", "", (), False)
    if request.method == "GET":
        return _form_page(request, empty)
    raw = await read_form(request)
    form = access.RequestForm(
        name=text(raw, "name", 500),
        email=text(raw, "email", 500),
        company=text(raw, "company", 500),
        website=text(raw, "website", 1000),
        kind=text(raw, "kind", 20),
        integration=text(raw, "integration", access.MAX_TEXT + 1),
        modules=tuple(v for v in raw.getlist("modules") if isinstance(v, str))[:100],
        accepted_terms=text(raw, "terms", 10) == "yes",
    )
    if not session.check_csrf(request, raw):
        return _form_page(
            request,
            form,
            status=403,
            banner="This form had expired: nothing was sent. Check it and press Submit again.",
        )
    runtime = request.app.state.runtime
    wait = await runtime.limiter.hit(
        f"access:{session.client_address(request)}", _PER_ADDRESS, 3600
    )
    if wait is not None:
        return _form_page(
            request,
            form,
            status=429,
            banner="Too many requests from your address. Try again in an hour.",
        )
    known = frozenset(runtime.manifest.modules)
    try:
        async with runtime.db.begin() as conn:
            made, receipt = await onboarding.submit(conn, form, known, session.actor(request, None))
    except access.AccessError as exc:
        return _form_page(request, form, errors=exc.fields, status=400)
    await onboarding.deliver(runtime.db, runtime.settings.smtp_url, receipt)
    approved = False
    if runtime.settings.approves_access_at_once:
        await onboarding.approve(
            runtime.db,
            runtime.manifest,
            runtime.server_key,
            made.id,
            actor=audit.Actor("auto-approve", session.client_address(request)),
            base_url=str(request.base_url).rstrip("/"),
            seed=runtime.settings.seed_demo,
            smtp_url=runtime.settings.smtp_url,
        )
        approved = True
    return session.page(
        request,
        "accounts/request_sent.html",
        {"title": "Request received", "request": made, "approved": approved},
        account=None,
    )


async def _operator(request: Request) -> session.Account | Response:
    found = await require_account(request)
    if isinstance(found, Response):
        return found
    if not found.is_operator:
        return error_page(request, 404)
    return found


async def operator_list(
    request: Request, *, error: str = "", status: int | None = None
) -> Response:
    found = await _operator(request)
    if isinstance(found, Response):
        return found
    async with request.app.state.runtime.db.read() as conn:
        requests = await access.list_requests(conn)
    return session.page(
        request,
        "accounts/operator_requests.html",
        {"title": "Access requests", "requests": requests, "kinds": access.KINDS, "error": error},
        account=found,
        status_code=status or (400 if error else 200),
    )


async def operator_decide(request: Request) -> Response:
    found = await _operator(request)
    if isinstance(found, Response):
        return found
    form = await read_form(request)
    if not session.check_csrf(request, form):
        return await operator_list(
            request, error="This form had expired: nothing was changed.", status=403
        )
    runtime = request.app.state.runtime
    request_id = request.path_params["request_id"]
    who = session.actor(request, found)
    try:
        if request.path_params["action"] == "approve":
            await onboarding.approve(
                runtime.db,
                runtime.manifest,
                runtime.server_key,
                request_id,
                actor=who,
                base_url=str(request.base_url).rstrip("/"),
                seed=runtime.settings.seed_demo,
                smtp_url=runtime.settings.smtp_url,
            )
        elif request.path_params["action"] == "decline":
            async with runtime.db.begin() as conn:
                _, message = await onboarding.decline(
                    conn, request_id, actor=who, reason=text(form, "reason", 1000)
                )
            await onboarding.deliver(runtime.db, runtime.settings.smtp_url, message)
        else:
            return error_page(request, 404)
    except access.AccessError as exc:
        return await operator_list(request, error=str(exc))
    return see_other("/operator/access-requests")


routes: list[BaseRoute] = [
    Route("/request-access", request_access, methods=["GET", "POST"]),
    Route("/operator/access-requests", operator_list, methods=["GET"]),
    Route(
        "/operator/access-requests/{request_id:int}/{action:str}",
        operator_decide,
        methods=["POST"],
    ),
]
