"""The whole accounts journey in real Chromium: Request Access -> approval -> set a password
from the mailed link -> sign in -> API terms -> create an app with scopes and the new tenant ->
the tenant admin connects it and gets a secret -> token and API call succeed -> the call shows
in the app's request log (no secret or token in its detail) and usage report -> a scope change
makes version 2, the admin upgrades, a call needing the new scope succeeds -> disabling makes
calls fail -> deleting the app revokes its key."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import httpx

from .conftest import Watched, screenshot
from .live_server import LiveServer

PASSWORD = "journey password 1"


def _token(origin: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{origin}/auth-integration/connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=10,
    )


def _call(origin: str, token: str, app_key: str, path: str) -> httpx.Response:
    return httpx.get(
        f"{origin}/api-integration{path}",
        headers={"Authorization": token, "ST-App-Key": app_key},
        timeout=10,
    )


def _logged_row(page: Watched, logs_url: str, path: str, timeout: float = 10.0) -> Any:
    """The log row of a call to ``path``, reloading until the background flusher has written
    it (about every half second) or ``timeout`` seconds have passed."""
    p = page.page
    row = p.locator("table.request-log tr", has_text=path).first
    deadline = time.monotonic() + timeout
    while True:
        page.goto(logs_url)
        if row.count() or time.monotonic() > deadline:
            assert row.count(), f"no request to {path} in the log after {timeout} s"
            return row
        p.wait_for_timeout(250)


def _mail_to(page: Any, email: str) -> Any:
    return page.locator("article.mail", has_text=email).first


def test_request_access_to_a_revoked_key(page: Watched, live_server: LiveServer) -> None:
    origin = live_server.origin
    p = page.page
    email = f"journey-{secrets.token_hex(3)}@builder.example"

    # Request Access (this server approves at once: embedded SQLite).
    page.goto("/request-access")
    p.fill("#f-name", "Jordan Journey")
    p.fill("#f-email", email)
    p.fill("#f-company", "Journey Apps")
    p.fill("#f-website", "https://journey.example")
    p.check('input[name="kind"][value="developer"]')
    p.fill("#f-integration", "A dispatch board for HVAC companies.")
    p.check('input[name="modules"][value="crm"]')
    p.check('input[name="terms"]')
    p.click("button[type=submit]:has-text('Submit')")
    reference = p.inner_text("#reference")
    assert reference.startswith("LTA-")
    screenshot(page, "accounts-request-received")

    # The approval mail, in the outbox: tenant id and the link to choose a password.
    page.goto("/outbox")
    mail = _mail_to(p, "Integration tenant id")
    body = mail.inner_text()
    assert email in body
    tenant = int(re.search(r"Integration tenant id: (\d+)", body).group(1))  # type: ignore[union-attr]
    mail.locator("a[href*='/reset-password?token=']").first.click()
    p.fill("#f-password", PASSWORD)
    p.fill("#f-confirm", PASSWORD)
    p.click("button:has-text('Set password')")
    assert "Password changed" in p.content()

    # Sign in as a third-party developer; first use of My Apps asks for the API terms.
    page.goto("/signin")
    p.click("text=Sign in as Integration Environment User >> nth=0")
    p.fill("#f-email", email)
    p.fill("#f-password", PASSWORD)
    p.click("button:has-text('Sign in')")
    assert "/terms" in p.url
    p.check('input[name="accept"]')
    p.click("button:has-text('Accept and continue')")
    assert p.url.endswith("/my-apps")
    assert "haven’t created any apps yet" in p.content()
    screenshot(page, "accounts-my-apps-empty")

    # Create an app with one scope, visible to the new tenant.
    p.click("text=+ New App >> nth=0")
    p.fill("#f-organization", "Journey Apps")
    p.fill("#f-homepage_url", "https://journey.example")
    p.fill("#f-name", "Journey Board")
    assert p.input_value("input[name=tenant_id] >> nth=0") == str(tenant)
    p.check('input[value="tn.crm.customers:r"]')
    p.click("button:has-text('Create App')")
    app_key = p.inner_text("#app-key")
    assert re.fullmatch(r"ak1\.[a-z0-9]{42}", app_key)
    app_url = p.url.split("?")[0]
    screenshot(page, "accounts-app-created")

    # As the tenant's admin: Connect New App, Allow; the secret is shown once.
    page.goto(f"/tenant/{tenant}/api-application-access")
    p.click("text=Connect New App")
    p.click("li:has-text('Journey Board') >> text=Choose")
    assert "tn.crm.customers:r" in p.content()
    p.click("button:has-text('Allow')")
    client_id = p.inner_text("#client-id")
    secret = p.inner_text("#new-secret")
    screenshot(page, "accounts-connected")
    page.goto(f"/tenant/{tenant}/api-application-access")
    assert secret not in p.content()

    token = _token(origin, client_id, secret).json()["access_token"]
    customers = f"/crm/v2/tenant/{tenant}/customers"
    jobs = f"/jpm/v2/tenant/{tenant}/jobs"
    assert _call(origin, token, app_key, customers).status_code == 200
    assert _call(origin, token, app_key, jobs).status_code == 403

    # The developer sees the call in the app's request log, from My Apps.
    page.goto("/my-apps")
    p.click("li:has-text('Journey Board') >> text=Request Log")
    logs_url = p.url.removeprefix(origin)
    assert logs_url == app_url.removeprefix(origin) + "/logs"
    # The refused call came second: once its row is written, so is the first one's.
    _logged_row(page, logs_url, "/api-integration" + jobs)
    row = _logged_row(page, logs_url, "/api-integration" + customers)
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1:5] == ["200", "GET", "/api-integration" + customers, "Customers_GetList"]
    assert cells[5:7] == [str(tenant), "Integration"]
    denied = p.locator("table.request-log tr", has_text=jobs).first
    assert [c.strip() for c in denied.locator("td").all_inner_texts()][1:3] == ["403", "GET"]
    screenshot(page, "accounts-request-log")

    # Its detail view: what was received, with the token and the app key cut out.
    row.locator("a").first.click()
    detail = p.inner_text("main")
    assert f"GET /api-integration{customers} → 200" in detail
    assert "Customers_GetList" in detail and client_id in detail
    auth = p.locator("table.headers tr", has_text="authorization").first
    assert auth.locator("td").inner_text().strip() == "[redacted]"
    assert token not in p.content() and secret not in p.content()
    assert app_key not in p.content()
    screenshot(page, "accounts-request-detail")

    # The token request is in the log too, its client secret redacted.
    token_row = _logged_row(page, logs_url, "/connect/token")
    token_row.locator("a").first.click()
    assert "POST" in p.inner_text("h1") and "[redacted]" in p.inner_text("main")
    assert secret not in p.content() and token not in p.content()

    # The usage report counts the call as successful for its operation, with its chart.
    page.goto(logs_url)
    p.click("nav.actions >> text=API Usage Report")
    assert p.url.endswith(app_url.removeprefix(origin) + "/usage")
    by_operation = p.locator("h2:has-text('By operation') + table.usage")
    op_row = by_operation.locator("tr", has_text="Customers_GetList")
    # Operation, successful, failed, rate-limited, total.
    assert [c.strip() for c in op_row.locator("td").all_inner_texts()][:5] == [
        "Customers_GetList", "1", "0", "0", "1",
    ]  # fmt: skip
    chart = p.locator("img.usage-chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    svg = p.request.get(origin + chart.get_attribute("src"))
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text() and "Successful: 2" in svg.text()
    screenshot(page, "accounts-usage-report")

    # A scope change is version 2; the admin upgrades; a new token carries the new scope.
    p.goto(app_url)
    p.check('input[value="tn.jpm.jobs:r"]')
    p.click("button:has-text('Save')")
    assert "version 2" in p.content()
    page.goto(f"/tenant/{tenant}/api-application-access")
    assert "New Version Available" in p.content()
    p.click("text=Upgrade to New Version")
    assert "+ tn.jpm.jobs:r" in p.content()
    p.click("button:has-text('Allow')")
    token = _token(origin, client_id, secret).json()["access_token"]
    assert _call(origin, token, app_key, jobs).status_code == 200

    # Disable (Confirm and Continue): calls and new tokens fail.
    page.goto(f"/tenant/{tenant}/api-application-access")
    p.click("tr:has-text('Journey Board') >> text=Disable")
    p.click("button:has-text('Confirm and Continue')")
    assert _call(origin, token, app_key, jobs).status_code == 401
    assert _token(origin, client_id, secret).json()["error"] == "invalid_client"

    # Delete the app (two confirmations): its key is revoked, every call gets 403.
    p.goto(app_url)
    p.click("a.danger-button")
    assert "Confirm Delete" in p.content()
    p.fill("#f-confirm", "Journey Board")
    p.click("button:has-text('Delete permanently')")
    assert p.url.endswith("/my-apps")
    r = _call(origin, token, app_key, customers)
    assert r.status_code == 403 and "revoked" in r.json()["title"]
