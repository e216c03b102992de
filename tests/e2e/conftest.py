"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Playwright's own browser download cannot work here, so ``playwright install`` is never used:
the tests launch ``/usr/bin/chromium`` (``scripts/setup dev`` installs it when missing, as
root). Without it the browser tests skip with a message, except in CI (CI=true), where that
is a failure. Every request a page makes must stay on 127.0.0.1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .live_server import LiveServer, serve

CHROMIUM = Path(os.environ.get("LOCALTITAN_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).parent / "screenshots"

# Chromium's own background traffic (updates, sync, safe browsing, field trials) off, so the
# only requests are the pages' own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-pings",
]

_MISSING = "Failed to load resource: the server responded with a status of 404"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("e2e-data")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (scripts/setup dev installs it as root with apt-get)"
        if IN_CI:
            pytest.fail(message + "; CI must run the browser tests.")
        pytest.skip(message + "; browser tests skipped.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    return parts.hostname in _LOCAL_HOSTS


class Watched:
    """A browser page whose every request is recorded; non-local ones fail the test."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.broken: list[str] = []  # scripts, styles, images, fetches that failed
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "response",
            lambda r: (
                self.broken.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type != "document"
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.origin + path)
        assert response is not None, path
        return response

    def foreign(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, live_server: LiveServer) -> Iterator[Watched]:
    watched = Watched(context.new_page(), live_server.origin)
    yield watched
    assert watched.foreign() == [], "requests left 127.0.0.1"
    # A CSP violation or a script error shows in the console: none is expected. (A page the
    # test expects to answer 404 logs that it did; the status is checked by the test.)
    errors = [e for e in watched.console_errors if not e.startswith(_MISSING)]
    assert errors == []
    assert watched.broken == []


def screenshot(watched: Watched, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    watched.page.screenshot(path=str(path), full_page=True)
    return path
