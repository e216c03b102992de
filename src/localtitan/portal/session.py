"""Portal sign-in sessions, CSRF tokens and sign-in throttling.

The session cookie holds a random id, signed (itsdangerous); the database keeps only the id's
SHA-256, so a copy of the database signs no one in, and signing out or changing a password
ends sessions at once. Cookies are HttpOnly and SameSite=Lax, and Secure when the portal is
reached over HTTPS (directly, or through a proxy named by ``--public-url https://...``).

CSRF is a signed double-submit token: a random value in its own HttpOnly cookie and, in every
form, that value signed with the server key. A forged form from another site can neither read
the cookie nor make the signature. Sign-in replaces both the session and the CSRF value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from localtitan.platform import audit
from localtitan.platform.environments import Environment
from localtitan.platform.users import ALL_ENVIRONMENTS, Grant, Role, User, get_user, grants_of
from localtitan.portal.templating import render
from localtitan.runtime import Runtime
from localtitan.store import sessions as session_store

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Account",
    "actor",
    "check_csrf",
    "current_account",
    "end_session",
    "page",
    "signin_throttled",
    "start_session",
]

SESSION_COOKIE = "lt_session"
CSRF_COOKIE = "lt_csrf"
CSRF_FIELD = "csrf_token"
SESSION_HOURS = 12
# Failed sign-ins allowed per account and per client address in a window of this many seconds.
THROTTLE_WINDOW = 900
PER_ACCOUNT = 5
PER_ADDRESS = 20


@dataclass
class Account:
    """The signed-in user, their roles, and the environment they signed in to."""

    user: User
    grants: list[Grant]
    environment: Environment

    def tenants(self, role: Role) -> list[int]:
        env = self.environment.value
        return sorted(
            {
                g.tenant_id
                for g in self.grants
                if g.role is role and g.environment in (env, ALL_ENVIRONMENTS)
            }
        )

    @property
    def developer_tenants(self) -> list[int]:
        return self.tenants(Role.DEVELOPER)

    @property
    def admin_tenants(self) -> list[int]:
        return self.tenants(Role.TENANT_ADMIN)

    @property
    def is_operator(self) -> bool:
        return any(g.role is Role.OPERATOR for g in self.grants)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _serializer(request: Request, purpose: str) -> URLSafeSerializer:
    key = _runtime(request).server_key.derive(f"portal-{purpose}").hex()
    return URLSafeSerializer(key, salt=purpose)


def _secure(request: Request) -> bool:
    public = _runtime(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def _set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor(request: Request, account: Account | None) -> audit.Actor:
    return audit.Actor(account.user.email if account else "anonymous", client_address(request))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# ---------------------------------------------------------------- CSRF


def _csrf_value(request: Request) -> str | None:
    raw = request.cookies.get(CSRF_COOKIE, "")
    return raw if 20 <= len(raw) <= 100 else None


def _csrf_token_for(request: Request, value: str) -> str:
    return str(_serializer(request, "csrf").dumps(value))


def check_csrf(request: Request, form: FormData) -> bool:
    """True when the form carries the signed twin of this browser's CSRF cookie."""
    value = _csrf_value(request)
    token = form.get(CSRF_FIELD)
    if value is None or not isinstance(token, str) or len(token) > 300:
        return False
    try:
        signed = _serializer(request, "csrf").loads(token)
    except BadSignature:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, value)


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    account: Account | None,
    status_code: int = 200,
    new_csrf: bool = False,
) -> Response:
    """Render a portal page with the account and a CSRF token for its forms (setting the CSRF
    cookie when the browser has none, or a fresh one after sign-in)."""
    value = None if new_csrf else _csrf_value(request)
    fresh = value is None
    if value is None:
        value = secrets.token_urlsafe(24)
    request.state.account = account
    response = render(
        request,
        template,
        {"account": account, "csrf_token": _csrf_token_for(request, value), **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
    if fresh:
        _set_cookie(request, response, CSRF_COOKIE, value, SESSION_HOURS * 3600)
    return response


# ---------------------------------------------------------------- sessions


class SignedInHeader:
    """Shows who is signed in on every page, not only the account pages: a GET or HEAD with a
    session cookie has its account resolved before the page renders, and the answer is then
    kept out of shared caches, since it names the user."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if SESSION_COOKIE not in request.cookies:
            await self.app(scope, receive, send)
            return
        account = await current_account(request)
        value = _csrf_value(request)
        if account is None or value is None:
            await self.app(scope, receive, send)
            return
        request.state.account = account
        request.state.csrf_token = _csrf_token_for(request, value)

        async def private(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, private)


# Where one request keeps the account its session cookie names, once looked up (by the
# middleware above, or by the first page or form asking), so a page does not query it twice.
_RESOLVED = "localtitan.portal.account"


async def current_account(request: Request) -> Account | None:
    state = request.scope.setdefault("state", {})
    if _RESOLVED not in state:
        state[_RESOLVED] = await _account_of_cookie(request)
    account: Account | None = state[_RESOLVED]
    return account


def _forget_account(request: Request) -> None:
    # The session changed within this request (sign-in, sign-out): look it up afresh.
    request.scope.get("state", {}).pop(_RESOLVED, None)


async def _account_of_cookie(request: Request) -> Account | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 300:
        return None
    try:
        session_id = _serializer(request, "session").loads(raw)
    except BadSignature:
        return None
    if not isinstance(session_id, str):
        return None
    runtime = _runtime(request)
    async with runtime.db.read() as conn:
        row = await session_store.session_row(conn, _hash(session_id))
        if row is None:
            return None
        expires = row.expires_on if row.expires_on.tzinfo else row.expires_on.replace(tzinfo=UTC)
        if expires <= datetime.now(UTC):
            return None
        user = await get_user(conn, row.user_id)
        if user is None or not user.active:
            return None
        grants = await grants_of(conn, user.id)
    return Account(user, grants, Environment(row.environment))


async def start_session(
    request: Request, response: Response, user: User, environment: Environment
) -> None:
    """A new session id and a new CSRF value: nothing from before sign-in carries over."""
    _forget_account(request)
    runtime = _runtime(request)
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    old = request.cookies.get(SESSION_COOKIE)
    async with runtime.db.begin() as conn:
        if old:
            try:
                old_id = _serializer(request, "session").loads(old)
                if isinstance(old_id, str):
                    await session_store.delete_session(conn, _hash(old_id))
            except BadSignature:
                pass
        # Expired sessions of this user are cleared as they sign in again.
        await session_store.delete_expired_sessions(conn, user.id, now)
        await session_store.insert_session(
            conn,
            id_hash=_hash(session_id),
            user_id=user.id,
            environment=environment.value,
            created_on=now,
            expires_on=now + timedelta(hours=SESSION_HOURS),
            address=client_address(request),
        )
        await audit.record(
            conn,
            audit.Actor(user.email, client_address(request)),
            "user.signed-in",
            userId=user.id,
            environment=environment.value,
        )
    signed = str(_serializer(request, "session").dumps(session_id))
    _set_cookie(request, response, SESSION_COOKIE, signed, SESSION_HOURS * 3600)
    _set_cookie(request, response, CSRF_COOKIE, secrets.token_urlsafe(24), SESSION_HOURS * 3600)


async def end_session(request: Request, response: Response) -> None:
    _forget_account(request)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            session_id = _serializer(request, "session").loads(raw)
        except BadSignature:
            session_id = None
        if isinstance(session_id, str):
            async with _runtime(request).db.begin() as conn:
                await session_store.delete_session(conn, _hash(session_id))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


# ---------------------------------------------------------------- throttling


def _keys(request: Request, email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"signin:acct:{digest}", f"signin:addr:{client_address(request) or '-'}"


async def signin_throttled(request: Request, email: str) -> int | None:
    """Seconds to wait when this account or this address failed too often, else None."""
    limiter = _runtime(request).limiter
    account_key, address_key = _keys(request, email)
    waits = [
        await limiter.exceeded(account_key, PER_ACCOUNT, THROTTLE_WINDOW),
        await limiter.exceeded(address_key, PER_ADDRESS, THROTTLE_WINDOW),
    ]
    found = [w for w in waits if w]
    return max(found) if found else None


async def signin_failed(request: Request, email: str) -> None:
    limiter = _runtime(request).limiter
    for key, limit in zip(_keys(request, email), (PER_ACCOUNT, PER_ADDRESS), strict=True):
        await limiter.hit(key, limit, THROTTLE_WINDOW)
