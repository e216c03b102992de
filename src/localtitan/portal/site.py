"""The portal's Starlette application: route table, static files, errors, security headers."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localtitan.errors import error_body
from localtitan.portal.templating import render

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders", "create_portal", "error_page"]

# Scripts, styles, fonts and images only from this server; no inline script, no framing.
# A page that needs more (an OpenAPI viewer) sets its own Content-Security-Policy header,
# which this middleware then leaves alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """Adds the portal's security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_MESSAGES = {
    404: ("Page not found", "There is no page at this address."),
    405: ("Method not allowed", "This page cannot be used that way."),
}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """An error in the portal's layout for a browser, ServiceTitan's error shape for a client."""
    title, default = _MESSAGES.get(status, ("Something went wrong", "This request failed."))
    if _wants_json(request):
        return Response(
            error_body(status, f"{title}: the developer portal has nothing here."),
            status_code=status,
            media_type="application/json",
        )
    return render(
        request,
        "error.html",
        {"title": title, "status": status, "message": detail or default},
        status_code=status,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.detail not in (None, "Not Found", "Method Not Allowed") else None
    return error_page(request, exc.status_code, detail)


def create_portal(runtime: Any) -> Starlette:
    """The portal app for one process; endpoints reach the runtime as ``request.app.state``."""
    from localtitan.portal.routes import routes
    from localtitan.portal.session import SignedInHeader

    app = Starlette(routes=list(routes), exception_handlers={HTTPException: _http_error})
    app.state.runtime = runtime
    app.add_middleware(SignedInHeader)
    app.add_middleware(SecurityHeaders)
    return app
