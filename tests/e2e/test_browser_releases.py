"""Release notes in a real browser: filter, subscribe, confirm from the outbox, publish once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from .conftest import Watched, screenshot
from .live_server import LiveServer

# The installed command, as a person runs it.
CLI = [str(Path(sys.executable).parent / "localtitan")]


def _publish(server: LiveServer) -> str:
    port = str(urlsplit(server.origin).port)
    done = subprocess.run(
        [*CLI, "release-notes", "publish", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LOCALTITAN_PORT": port, "LOCALTITAN_SMTP_URL": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_release_notes_filter_by_module(page: Watched) -> None:
    page.goto("/release-notes")
    p = page.page
    assert p.locator("section.release").count() == 3
    screenshot(page, "release-notes")
    p.select_option("#module-filter", "timesheets")
    p.get_by_role("button", name="Filter").click()
    p.wait_for_url("**/release-notes?module=timesheets")
    assert p.locator("section.release").count() == 1
    assert p.locator("text=ActivitiesControllers_GetList").count() >= 1
    assert p.locator("text=Customers_GetList").count() == 0


def test_subscribe_confirm_publish_sends_one_mail(page: Watched, live_server: LiveServer) -> None:
    p = page.page
    address = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/release-notes")
    p.fill("#subscribe-email", address)
    p.get_by_role("button", name="Subscribe").click()
    p.get_by_role("heading", name="Check your inbox").wait_for()

    page.goto("/outbox")
    confirmation = p.locator("article.mail", has_text=address)
    assert confirmation.count() == 1
    assert "Confirm your subscription" in confirmation.inner_text()
    confirmation.locator("a[href*='/release-notes/confirm?token=']").click()
    p.get_by_role("button", name="Confirm my subscription").click()
    p.get_by_text("Your subscription is confirmed").wait_for()

    first = _publish(live_server)
    assert "1 mail(s) sent into the outbox" in first
    again = _publish(live_server)
    assert "0 mail(s) sent" in again  # never twice

    page.goto("/outbox")
    mails = p.locator("article.mail", has_text=address)
    assert mails.count() == 2  # the confirmation and one release
    release = mails.first.inner_text()
    assert "localtitan release notes:" in release and "Unsubscribe:" in release
    screenshot(page, "outbox")
