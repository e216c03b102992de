"""The API Reference in a real browser: Scalar and Swagger UI render from this server's files,
and the try-it (client credentials, app key, GET customers) answers 200 with demo data."""

from __future__ import annotations

from typing import Any

from .conftest import SCREENSHOTS, Watched, screenshot
from .live_server import LiveServer

CUSTOMERS_ANCHOR = "#operation/Customers_GetList"


def test_api_list_links_every_api(page: Watched) -> None:
    page.goto("/apis")
    links = page.page.locator("table.apis tbody tr td:first-child a")
    assert links.count() == 24
    screenshot(page, "apis")
    page.page.get_by_role("link", name="CRM", exact=True).click()
    page.page.wait_for_selector("text=Client ID")
    assert page.page.url.endswith("/apis/crm")


def _authorize(page: Any, server: LiveServer) -> None:
    creds = server.quickstart["environments"]["integration"]
    page.wait_for_selector("text=Client ID")
    # Scalar's client id field is an editable div; the secret and app key are inputs.
    page.locator('[data-placeholder="12345"]').first.click()
    page.keyboard.type(creds["clientId"])
    page.locator('input[placeholder="XYZ123"]').first.fill(creds["clientSecret"])
    with page.expect_response(lambda r: r.url.endswith("/connect/token")) as token:
        page.get_by_role("button", name="Authorize").first.click()
    assert token.value.status == 200, token.value.text()
    # Once the token is in, Scalar shows it in an input like the app key's: wait for both, the
    # app key's is the last.
    secrets = page.locator('input[placeholder^="QUxM"]')
    page.wait_for_function(
        "() => document.querySelectorAll('input[placeholder^=\"QUxM\"]').length >= 2"
    )
    secrets.last.fill(server.quickstart["appKey"])


def test_scalar_try_it_lists_demo_customers(page: Watched, live_server: LiveServer) -> None:
    p = page.page
    # A portal link to an operation lands on it in Scalar.
    page.goto("/apis/crm" + CUSTOMERS_ANCHOR)
    p.get_by_role("heading", name="List customers", exact=True).wait_for()
    assert "#tag/customers/GET/crm/v2/tenant/{tenant}/customers" in p.url
    assert p.locator("text=tn.crm.customers:r").count() >= 1
    SCREENSHOTS.mkdir(exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "api-reference-crm.png"))  # the viewport: a long page
    _authorize(p, live_server)
    token_call = next(r for r in page.requests if r.endswith("/auth-integration/connect/token"))
    assert token_call.startswith(live_server.origin)
    p.locator("button:visible", has_text="Test Request").first.click()
    dialog = p.get_by_role("dialog")
    dialog.wait_for()
    cells = dialog.locator('[contenteditable="true"]')
    names = [cells.nth(i).inner_text().strip() for i in range(cells.count())]
    cells.nth(names.index("tenant") + 1).click()
    p.keyboard.type(str(live_server.quickstart["tenantId"]))
    tenant = live_server.quickstart["tenantId"]
    wanted = f"/api-integration/crm/v2/tenant/{tenant}/customers"
    with p.expect_response(lambda r: wanted in r.url) as answer:
        dialog.locator("button", has_text="Send").first.click()
    response = answer.value
    assert response.status == 200, response.text()
    sent = response.request.headers
    assert sent["authorization"].startswith("Bearer ey")
    assert sent["st-app-key"] == live_server.quickstart["appKey"]
    body = response.json()
    assert body["page"] == 1 and len(body["data"]) > 0 and body["data"][0]["name"]
    dialog.get_by_text("200 OK").wait_for()
    SCREENSHOTS.mkdir(exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "api-reference-try-it.png"))


def test_swagger_ui_renders_and_authorizes(page: Watched, live_server: LiveServer) -> None:
    p = page.page
    page.goto("/apis/crm/swagger")
    p.locator(".swagger-ui .opblock").first.wait_for()
    assert p.locator("text=Customers_GetList").count() >= 1
    p.get_by_role("button", name="Authorize").first.click()
    creds = live_server.quickstart["environments"]["integration"]
    modal = p.locator(".modal-ux")
    modal.wait_for()
    form = modal.locator(".auth-container").first
    form.locator("input#client_id_clientCredentials").fill(creds["clientId"])
    form.locator("input#client_secret_clientCredentials").fill(creds["clientSecret"])
    with p.expect_response(lambda r: r.url.endswith("/auth-integration/connect/token")) as token:
        form.locator("button.modal-btn.authorize").click()
    assert token.value.status == 200
    # The viewport only: Swagger UI's page with every operation is very long.
    SCREENSHOTS.mkdir(exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "api-reference-swagger.png"))
