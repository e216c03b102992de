"""The portal app: layout on every page, security headers, errors, static files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from localtitan.app import LocalTitan
from localtitan.portal.site import CONTENT_SECURITY_POLICY, SecurityHeaders
from localtitan.portal.templating import NAV
from localtitan.runtime import Runtime
from localtitan.settings import Settings

ERROR_KEYS = {"type", "title", "status", "traceId", "errors", "data"}
REPO = Path(__file__).resolve().parents[2]


async def test_every_page_has_the_chrome_and_strict_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/docs/welcome", "/docs/faqs-support", "/search?q=jobs", "/nowhere"):
        r = await client.get(path)
        assert r.headers["content-type"].startswith("text/html"), path
        for link in NAV:
            assert f'href="{link.href}"' in r.text, (path, link.label)
        assert "Login to My Apps" in r.text
        assert 'id="site-search"' in r.text
        assert 'id="theme-toggle"' in r.text
        # The environment badge names this server's two environments.
        assert "http://testserver/api-integration" in r.text
        assert "http://testserver/auth/connect/token" in r.text
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        # Nothing that a strict CSP would block, nothing from another host.
        assert "<script>" not in r.text and "style=" not in r.text, path
        assert "https://" not in r.text.split("<body")[0], path


async def test_public_url_wins_over_the_request_host(settings: Settings) -> None:
    app = LocalTitan(Runtime(replace(settings, public_url="https://titan.example.test/")))
    await app.startup()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
            r = await c.get("/")
        assert "https://titan.example.test/auth-integration/connect/token" in r.text
        assert "http://x/" not in r.text
    finally:
        await app.shutdown()


async def test_unknown_pages_answer_404_in_the_layout(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs/no-such-slug")
    assert r.status_code == 404
    assert "Page not found" in r.text and "no-such-slug" in r.text
    assert 'class="sidebar"' not in r.text
    r = await client.get("/docs/<script>alert(1)</script>")
    assert r.status_code == 404
    assert "<script>alert(1)" not in r.text
    r = await client.get("/docs/welcome", headers={"Accept": "application/json"})
    assert r.status_code == 200  # a page is a page
    r = await client.get("/docs/nope", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert set(r.json()) == ERROR_KEYS
    r = await client.post("/docs/welcome")
    assert r.status_code == 405
    assert "Method not allowed" in r.text


async def test_health_and_files_still_answer_beside_the_portal(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/files/not-a-token")
    assert r.status_code == 404
    assert set(r.json()) == ERROR_KEYS


async def test_static_files_come_from_the_packages(client: httpx.AsyncClient) -> None:
    r = await client.get("/static/htmx/htmx.min.js")
    assert r.status_code == 200
    assert "htmx" in r.text[:2000]
    assert r.headers["x-content-type-options"] == "nosniff"
    for name in ("portal.css", "portal.js", "theme.js", "favicon.svg"):
        assert (await client.get(f"/static/portal/{name}")).status_code == 200
    assert (await client.get("/static/portal/../app.py")).status_code == 404
    # htmx is served from its installed package, never a copy in this repository.
    assert not list((REPO / "src").rglob("htmx*.js"))


async def test_docs_index_redirects_to_welcome(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs")
    assert r.status_code == 307
    assert r.headers["location"] == "/docs/welcome"


async def test_a_response_with_its_own_policy_keeps_it() -> None:
    async def viewer(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"Content-Security-Policy": "default-src 'self'"})

    async def plain(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/viewer", viewer), Route("/plain", plain)])
    transport = httpx.ASGITransport(app=SecurityHeaders(inner))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        own = await c.get("/viewer")
        default = await c.get("/plain")
    assert own.headers["content-security-policy"] == "default-src 'self'"
    assert default.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert own.headers["x-content-type-options"] == "nosniff"
