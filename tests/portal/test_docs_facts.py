"""What the docs state matches what the server does (numbers taken from the code)."""

from __future__ import annotations

import re
from html import unescape

import httpx

from localtitan import settings as settings_module
from localtitan.auth.token_endpoint import ADDRESS_FAILURES, CLIENT_FAILURES
from localtitan.auth.tokens import TOKEN_LIFETIME
from localtitan.engine.generic import DEFAULT_PAGE_SIZE, EXPORT_PAGE_SIZE, MAX_PAGE_SIZE
from localtitan.portal.docs import page


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _text(slug: str) -> str:
    found = page(slug)
    assert found is not None, slug
    return found.rendered.text


def test_token_facts() -> None:
    for slug in ("overview", "get-going-first-api-call", "oauth20"):
        assert f"{TOKEN_LIFETIME} seconds" in _text(slug), slug
    oauth = _text("oauth20")
    assert "client_credentials" in oauth
    assert re.search(r"Refresh token\s+none", oauth)
    first = _text("get-going-first-api-call")
    assert "application/x-www-form-urlencoded" in first
    assert "grant_type=client_credentials" in first
    assert "Authorization" in first and "ST-App-Key" in first


def test_what_a_call_needs_and_going_live() -> None:
    overview = _text("overview")
    for words in ("client id and client secret", "app key", "tenant id"):
        assert words in overview.lower(), words
    assert "same key works in both environments" in overview
    live = _text("get-going-going-live")
    assert "three steps" in live
    live_page = page("get-going-going-live")
    assert live_page is not None
    assert live_page.rendered.html.count("<li><strong>") == 3
    assert "same app key" in live.lower()
    assert "production client id and secret" in live.lower()
    assert "production URLs" in live


def test_limits_and_paging_numbers() -> None:
    limits = _text("limits-and-paging")
    assert f"{settings_module.DEFAULT_RATE_LIMIT} a second" in limits
    report_limit = getattr(settings_module, "DEFAULT_REPORT_LIMIT", 5)
    assert f"{report_limit} runs of the same report a minute" in limits
    assert f"{CLIENT_FAILURES.free} free per client id and address" in limits
    assert f"({ADDRESS_FAILURES.free} per address)" in limits
    assert f"up to {CLIENT_FAILURES.cap // 60} minutes" in limits
    assert re.search(rf"pageSize\s+{DEFAULT_PAGE_SIZE}\s+1 to {MAX_PAGE_SIZE}\b", limits)
    assert "includeTotal" in limits
    faq = _text("faqs-apis-app-keys-client-keys")
    assert f"{settings_module.DEFAULT_RATE_LIMIT} calls a second" in faq
    assert f"{report_limit} runs of the same report" in faq


def test_export_facts() -> None:
    export = _text("transactional-and-export-apis")
    for word in ("/export/", "from", "includeRecentChanges", "hasMore", "continueFrom"):
        assert word in export, word
    assert f"up to {EXPORT_PAGE_SIZE} records per call" in export


def test_tenant_chores_are_documented() -> None:
    chores = _text("localtitan-tenants")
    for command in (
        "localtitan seed",
        "localtitan tenant reset",
        "localtitan tenant export",
        "localtitan tenant import",
        "localtitan tenant refresh-integration",
    ):
        assert command in chores, command


async def test_pages_show_this_servers_urls(client: httpx.AsyncClient) -> None:
    r = await client.get("/docs/get-going-environments")
    text = text_of(r.text)
    assert "http://testserver/auth-integration/connect/token" in text
    assert "http://testserver/api-integration" in text
    assert "http://testserver/auth/connect/token" in text
    r = await client.get("/docs/get-going-going-live")
    assert "http://testserver/api/crm/v2/tenant/" in text_of(r.text)
