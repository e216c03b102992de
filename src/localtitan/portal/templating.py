"""The portal's Jinja2 environment and the context every page shares (chrome, base URLs).

Templates live in ``localtitan/portal/templates`` (package data); every page extends
``base.html``. ``render`` is the one way a portal endpoint answers HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from localtitan.platform.environments import ENVIRONMENTS, Environment, api_prefix, auth_prefix

__all__ = [
    "FOOTER",
    "LOGIN",
    "NAV",
    "EnvironmentUrls",
    "NavLink",
    "environment",
    "render",
    "server_urls",
]


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str
    # Paths starting with one of these mark the link as the current section.
    sections: tuple[str, ...]


# ServiceTitan's top navigation, in its order. "Request Access" and "Login to My Apps" are
# the accounts pages (issue 9); "API Reference" and "Release Notes" are portal.reference and
# portal.releases.
NAV: tuple[NavLink, ...] = (
    NavLink("Home", "/", ("/",)),
    NavLink("Docs", "/docs/welcome", ("/docs/",)),
    NavLink("API Reference", "/apis", ("/apis",)),
    NavLink("FAQs", "/docs/faqs-environments", ("/docs/faqs-",)),
    NavLink("Release Notes", "/release-notes", ("/release-notes",)),
    NavLink("Request Access", "/request-access", ("/request-access",)),
)
LOGIN = NavLink("Login to My Apps", "/signin", ("/signin", "/my-apps", "/tenant/"))
# localtitan's own links, in the footer of every page.
FOOTER: tuple[NavLink, ...] = (
    NavLink("Project", "/docs/about", ()),
    NavLink("Licence", "/docs/licence", ()),
    NavLink("API terms of this deployment", "/docs/api-terms", ()),
    NavLink("Status", "/healthz", ()),
)


@dataclass(frozen=True, slots=True)
class EnvironmentUrls:
    environment: Environment
    label: str
    token_url: str
    api_base: str


def server_urls(request: Request) -> tuple[EnvironmentUrls, ...]:
    """This server's token URL and API base per environment, as the browser reaches it.

    ``--public-url`` wins (a proxy in front); otherwise the scheme and host of the request.
    """
    public = request.app.state.runtime.settings.public_url
    base = (public or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")
    return tuple(
        EnvironmentUrls(
            env,
            env.value.capitalize(),
            f"{base}{auth_prefix(env)}/connect/token",
            f"{base}{api_prefix(env)}",
        )
        for env in ENVIRONMENTS
    )


def _current(link: NavLink, path: str) -> bool:
    if link.href == "/":
        return path == "/"
    if link.label == "Docs" and path.startswith("/docs/faqs-"):
        return False
    return any(path == s.rstrip("/") or path.startswith(s) for s in link.sections)


environment = jinja2.Environment(
    loader=jinja2.PackageLoader("localtitan.portal", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(nav=NAV, login=LOGIN, footer=FOOTER, current=_current)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the shared chrome context; every portal page goes through here."""
    page: dict[str, Any] = {
        "request": request,
        "path": request.url.path,
        "environments": server_urls(request),
        "query": request.query_params.get("q", "")[:200] if request.url.path == "/search" else "",
        "title": "",
        # Set by the session middleware when someone is signed in, so every page shows it.
        "account": getattr(request.state, "account", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    page.update(context or {})
    body = environment.get_template(template).render(page)
    return HTMLResponse(body, status_code=status_code, headers=headers)
