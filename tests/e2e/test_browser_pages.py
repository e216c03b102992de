"""Every docs and FAQ page in a real browser, and screenshots of the main pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from localtitan.portal.docs import all_pages

from .conftest import Watched, screenshot

MAIN_PAGES = {
    "home": "/",
    "docs-welcome": "/docs/welcome",
    "docs-first-api-call": "/docs/get-going-first-api-call",
    "docs-export-apis": "/docs/transactional-and-export-apis",
    "docs-module-crm": "/docs/api-resources-crm",
    "faqs-environments": "/docs/faqs-environments",
    "search-customers": "/search?q=customers",
}


def test_every_docs_page_renders_with_its_sidebar(page: Watched) -> None:
    for doc in all_pages():
        response = page.goto(doc.href)
        assert response.status == 200, doc.href
        p = page.page
        assert p.locator("main h1").inner_text() == doc.title, doc.href
        current = p.locator(".sidebar a[aria-current=page]")
        assert current.count() == 1, doc.href
        assert current.inner_text() == doc.title
        assert p.locator(".sidebar a").count() >= (7 if doc.is_faq else 40), doc.href
        # Samples turned into tabs: one visible language per sample.
        for group in p.locator(".samples").all():
            assert group.locator(".sample:visible").count() == 1, doc.href
    assert page.foreign() == []


def test_module_page_lists_operations_linking_into_the_reference(page: Watched) -> None:
    page.goto("/docs/api-resources-crm")
    link = page.page.get_by_role("link", name="Customers_GetList", exact=True)
    assert link.get_attribute("href") == "/apis/crm#operation/Customers_GetList"
    row = link.locator("xpath=ancestor::tr").inner_text()
    assert "tn.crm.customers:r" in row
    assert "/crm/v2/tenant/{tenant}/customers" in row
    assert "Yes" in row


def test_sample_tabs_switch_and_remember_the_language(page: Watched) -> None:
    page.goto("/docs/get-going-first-api-call")
    p = page.page
    first = p.locator(".samples").first
    first.get_by_role("tab", name="Python (httpx)").click()
    assert first.locator(".sample:visible").get_attribute("data-lang") == "python"
    page.goto("/docs/oauth20")
    assert (
        p.locator(".samples").first.locator(".sample:visible").get_attribute("data-lang")
        == "python"
    )


def test_copy_button_copies_the_code(context: Any, page: Watched) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/")
    p = page.page
    button = p.locator(".samples .sample:visible .copy").first
    button.click()
    # The label changes once the clipboard write has resolved, which may take a moment.
    expect(button).to_have_text("Copied", timeout=5000)
    copied = p.evaluate("navigator.clipboard.readText()")
    assert "connect/token" in copied and "ST_APP_KEY" in copied


def test_no_request_leaves_127_0_0_1(page: Watched) -> None:
    for path in (*MAIN_PAGES.values(), "/docs/no-such-page"):
        page.goto(path)
        page.page.wait_for_load_state("networkidle")
    assert len(page.requests) > 3 * len(MAIN_PAGES)  # pages, styles, scripts, icons
    assert page.foreign() == []


@pytest.mark.parametrize("name", sorted(MAIN_PAGES))
def test_screenshots_of_the_main_pages(page: Watched, name: str) -> None:
    response = page.goto(MAIN_PAGES[name])
    assert response.status == 200
    path = screenshot(page, name)
    assert path.stat().st_size > 10_000
