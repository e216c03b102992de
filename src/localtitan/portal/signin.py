"""Sign in (ServiceTitan's two paths), sign out, forgotten passwords, and the API terms."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.platform import audit, onboarding, users
from localtitan.platform.environments import Environment
from localtitan.platform.mail import Mail
from localtitan.portal import session
from localtitan.portal.forms import read_form, safe_next, see_other, text

__all__ = ["require_account", "routes"]

# One message for a wrong password and for an unknown email: it must not tell which.
BAD_SIGNIN = "The email or password is not right."


def _environment(value: str | None) -> Environment:
    return Environment.PRODUCTION if value == "production" else Environment.INTEGRATION


async def require_account(request: Request) -> session.Account | Response:
    """The signed-in account, or a redirect to sign in that comes back here."""
    account = await session.current_account(request)
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return see_other(f"/signin?next={quote(target, safe='')}")
    return account


def _home_of(account: session.Account) -> str:
    if account.developer_tenants:
        return "/my-apps"
    if account.admin_tenants:
        return f"/tenant/{account.admin_tenants[0]}/api-application-access"
    if account.is_operator:
        return "/operator/access-requests"
    return "/"


def _signin_page(
    request: Request,
    *,
    status: int = 200,
    error: str = "",
    email: str = "",
    environment: str | None = None,
    who: str | None = None,
) -> Response:
    ctx: dict[str, Any] = {
        "title": "Sign in",
        "error": error,
        "email": email,
        "environment": environment or request.query_params.get("environment", ""),
        "who": who or request.query_params.get("as", ""),
        "next": safe_next(request.query_params.get("next"), ""),
    }
    return session.page(request, "accounts/signin.html", ctx, account=None, status_code=status)


async def signin(request: Request) -> Response:
    if request.method == "GET":
        account = await session.current_account(request)
        if account is not None and not request.query_params.get("environment"):
            return see_other(_home_of(account))
        return _signin_page(request)
    form = await read_form(request)
    email = text(form, "email", 254)
    password = text(form, "password", 200)
    env_text = text(form, "environment", 20)
    who = text(form, "as", 20)
    if not session.check_csrf(request, form):
        return _signin_page(
            request,
            status=403,
            error="This form had expired. Sign in again.",
            email=email,
            environment=env_text,
            who=who,
        )
    wait = await session.signin_throttled(request, email)
    if wait is not None:
        minutes = max(1, (wait + 59) // 60)
        return _signin_page(
            request,
            status=429,
            error=f"Too many sign-in attempts. Try again in {minutes} minute(s).",
            email=email,
            environment=env_text,
            who=who,
        )
    runtime = request.app.state.runtime
    async with runtime.db.begin() as conn:
        user = await users.check_password(conn, email, password)
    if user is None:
        await session.signin_failed(request, email)
        return _signin_page(
            request, status=400, error=BAD_SIGNIN, email=email, environment=env_text, who=who
        )
    environment = _environment(env_text)
    async with runtime.db.read() as conn:
        grants = await users.grants_of(conn, user.id)
    account = session.Account(user, grants, environment)
    if not (account.developer_tenants or account.admin_tenants or account.is_operator):
        return _signin_page(
            request,
            status=403,
            error=f"This account has no access to the {environment.value} environment. Ask "
            "your tenant's admin for the Generate API Application Key or Manage API "
            "Application Access permission.",
            email=email,
            environment=env_text,
            who=who,
        )
    target = safe_next(text(form, "next", 500), _home_of(account))
    response = see_other(target)
    await session.start_session(request, response, user, environment)
    return response


async def signout(request: Request) -> Response:
    form = await read_form(request)
    account = await session.current_account(request)
    if not session.check_csrf(request, form):
        return session.page(
            request,
            "accounts/message.html",
            {"title": "Sign out", "message": "This form had expired: press Sign out again."},
            account=account,
            status_code=403,
        )
    response = see_other("/")
    await session.end_session(request, response)
    return response


async def forgot_password(request: Request) -> Response:
    ctx: dict[str, Any] = {"title": "Reset your password", "error": "", "sent": False, "email": ""}
    if request.method == "GET":
        return session.page(request, "accounts/forgot.html", ctx, account=None)
    form = await read_form(request)
    email = text(form, "email", 254)
    ctx["email"] = email
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired. Send it again."
        return session.page(request, "accounts/forgot.html", ctx, account=None, status_code=403)
    if await session.signin_throttled(request, email) is None:
        await session.signin_failed(request, email)
        runtime = request.app.state.runtime
        message = None
        async with runtime.db.begin() as conn:
            user = await users.find_user(conn, email)
            if user is not None and user.active:
                base = str(request.base_url).rstrip("/")
                link = onboarding.password_link(runtime.server_key, base, user)
                message = Mail(
                    to=user.email,
                    kind="accounts.password-reset",
                    subject="Reset your localtitan portal password",
                    text=f"Hello {user.name},\n\nChoose a new password here (the link works "
                    f"for a day, once): {link}\n\nIf you did not ask for this, ignore "
                    "this mail.\n",
                )
                await audit.record(
                    conn, session.actor(request, None), "user.reset-requested", userId=user.id
                )
        if message is not None:
            await onboarding.deliver(runtime.db, runtime.settings.smtp_url, message)
    # The same answer whether or not the email has an account.
    ctx["sent"] = True
    return session.page(request, "accounts/forgot.html", ctx, account=None)


async def reset_password(request: Request) -> Response:
    runtime = request.app.state.runtime
    if request.method == "GET":
        token = request.query_params.get("token", "")[:500]
    else:
        form = await read_form(request)
        token = text(form, "token", 500)
    async with runtime.db.read() as conn:
        user = await users.user_for_reset_token(conn, runtime.server_key, token)
    ctx: dict[str, Any] = {"title": "Choose a new password", "token": token, "error": ""}
    if user is None:
        ctx["invalid"] = True
        return session.page(request, "accounts/reset.html", ctx, account=None, status_code=400)
    ctx["invalid"] = False
    ctx["email"] = user.email
    if request.method == "GET":
        return session.page(request, "accounts/reset.html", ctx, account=None)
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired. Enter the new password again."
        return session.page(request, "accounts/reset.html", ctx, account=None, status_code=403)
    password = text(form, "password", 300)
    if password != text(form, "confirm", 300):
        ctx["error"] = "The two passwords are not the same."
        return session.page(request, "accounts/reset.html", ctx, account=None, status_code=400)
    try:
        async with runtime.db.begin() as conn:
            await users.set_password(conn, user.id, password)
            await audit.record(
                conn,
                audit.Actor(user.email, session.client_address(request)),
                "user.password-reset",
                userId=user.id,
            )
    except users.UserError as exc:
        ctx["error"] = str(exc)
        return session.page(request, "accounts/reset.html", ctx, account=None, status_code=400)
    return session.page(
        request,
        "accounts/message.html",
        {
            "title": "Password changed",
            "message": "Your new password is set. Sign in with it.",
            "link": ("/signin", "Sign in"),
        },
        account=None,
    )


async def terms(request: Request) -> Response:
    found = await require_account(request)
    if isinstance(found, Response):
        return found
    account = found
    target = safe_next(request.query_params.get("next"), "/my-apps")
    ctx = {"title": "API terms of use", "next": target, "error": ""}
    if request.method == "GET":
        return session.page(request, "accounts/terms.html", ctx, account=account)
    form = await read_form(request)
    if not session.check_csrf(request, form):
        ctx["error"] = "This form had expired. Press Accept again."
        return session.page(request, "accounts/terms.html", ctx, account=account, status_code=403)
    if text(form, "accept", 10) != "yes":
        ctx["error"] = "Tick the box to accept the API terms."
        return session.page(request, "accounts/terms.html", ctx, account=account, status_code=400)
    async with request.app.state.runtime.db.begin() as conn:
        await users.accept_terms(conn, account.user.id)
        await audit.record(
            conn, session.actor(request, account), "user.terms-accepted", userId=account.user.id
        )
    return see_other(safe_next(text(form, "next", 500), "/my-apps"))


routes: list[BaseRoute] = [
    Route("/signin", signin, methods=["GET", "POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/forgot-password", forgot_password, methods=["GET", "POST"]),
    Route("/reset-password", reset_password, methods=["GET", "POST"]),
    Route("/terms", terms, methods=["GET", "POST"]),
]
