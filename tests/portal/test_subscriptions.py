"""Subscribe, confirm, publish once, unsubscribe; the outbox and SMTP; the limits."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

import httpx
import pytest

from conftest import free_port
from localtitan.app import LocalTitan
from localtitan.platform import mail, subscriptions
from localtitan.spec.history import Release, ReleaseItem, load_history

# The SQLite database lasts the session: every test uses addresses of its own.
ADDRESS = f"dev-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture(autouse=True)
def _own_address() -> None:
    global ADDRESS
    ADDRESS = f"dev-{uuid.uuid4().hex[:8]}@example.com"


def _link(text: str, action: str) -> str:
    found = re.search(rf"http://testserver/release-notes/{action}\?token=(\S+)", text)
    assert found, text
    return found.group(1)


async def _mails(app: LocalTitan, to: str | None = None) -> list[mail.OutboxMail]:
    return await mail.outbox(app.runtime.db, to=to or ADDRESS)


async def _subscribe(
    client: httpx.AsyncClient, email: str | None = None, **more: str
) -> httpx.Response:
    return await client.post(
        "/release-notes/subscribe", data={"email": ADDRESS if email is None else email, **more}
    )


async def _confirm(client: httpx.AsyncClient, app: LocalTitan) -> None:
    token = _link((await _mails(app))[0].body, "confirm")
    shown = await client.get("/release-notes/confirm", params={"token": token})
    assert shown.status_code == 200 and 'name="token"' in shown.text
    done = await client.post("/release-notes/confirm", data={"token": token})
    assert done.status_code == 200 and "confirmed" in done.text


async def _publish(app: LocalTitan, release: Release) -> subscriptions.PublishResult:
    rt = app.runtime
    return await subscriptions.publish(rt.db, rt.server_key, None, "http://testserver", release)


async def test_double_opt_in_then_each_release_once(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    r = await _subscribe(client)
    assert r.status_code == 200 and "confirmation link" in r.text
    [confirmation] = await _mails(app)
    assert confirmation.kind == "release-notes.confirm"
    # Pending subscribers get nothing.
    newest = load_history()[0]
    await _publish(app, newest)
    assert len(await _mails(app)) == 1
    await _confirm(client, app)
    assert (await _publish(app, newest)).sent >= 1
    assert (await _publish(app, newest)).sent == 0  # never twice
    mails = await _mails(app)
    assert len(mails) == 2
    release_mail = mails[0]
    assert release_mail.subject == f"localtitan release notes: {newest.label}"
    assert f"http://testserver/release-notes/{newest.id}" in release_mail.body
    # Unsubscribe from the link in the mail: the next release is not sent.
    token = _link(release_mail.body, "unsubscribe")
    gone = await client.post("/release-notes/unsubscribe", data={"token": token})
    assert gone.status_code == 200 and "unsubscribed" in gone.text
    await _publish(app, load_history()[1])
    assert len(await _mails(app)) == 2


async def test_the_answer_never_tells_whether_an_address_is_subscribed(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    first = await _subscribe(client)
    await _confirm(client, app)
    again = await _subscribe(client)
    fresh = await _subscribe(client, f"other-{uuid.uuid4().hex[:8]}@example.com")
    assert first.text == again.text == fresh.text
    # The confirmed address is not mailed a second confirmation.
    assert [m.kind for m in await _mails(app)] == ["release-notes.confirm"]


async def test_bad_addresses_and_links_are_refused(client: httpx.AsyncClient) -> None:
    for bad in ("", "no-at-sign", "a@b", "x" * 300 + "@example.com", "a b@example.com"):
        r = await _subscribe(client, bad)
        assert r.status_code == 400 and "not an email address" in r.text
    for action in ("confirm", "unsubscribe"):
        r = await client.post(f"/release-notes/{action}", data={"token": "forged.token.value"})
        assert r.status_code == 400 and "not valid" in r.text


async def test_links_expire(client: httpx.AsyncClient, app: LocalTitan) -> None:
    await _subscribe(client)
    token = _link((await _mails(app))[0].body, "confirm")
    key = app.runtime.server_key
    assert subscriptions._read(key, "confirm", token, subscriptions.CONFIRM_MAX_AGE) is not None
    assert subscriptions._read(key, "confirm", token, -1) is None
    # A confirmation link cannot be used to unsubscribe, nor the other way round.
    assert subscriptions._read(key, "unsubscribe", token, 10**9) is None


async def test_rate_limits_per_address_and_per_client(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    for _ in range(subscriptions.ADDRESS_LIMIT_PER_HOUR + 2):
        r = await _subscribe(client)
        assert r.status_code == 200
    # The answer stays the same; the mails stop at the limit.
    assert len(await _mails(app)) == subscriptions.ADDRESS_LIMIT_PER_HOUR
    left = subscriptions.CLIENT_LIMIT_PER_HOUR - (subscriptions.ADDRESS_LIMIT_PER_HOUR + 2)
    for n in range(left):
        assert (await _subscribe(client, f"n{n}-{ADDRESS}")).status_code == 200
    blocked = await _subscribe(client, f"late-{ADDRESS}")
    assert blocked.status_code == 429 and "Try again in" in blocked.text
    assert await _mails(app, f"late-{ADDRESS}") == []


async def test_outbox_page_is_for_this_machine_only(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    await _subscribe(client)
    page = await client.get("/outbox")
    assert page.status_code == 200
    assert "Confirm your subscription" in page.text and ADDRESS in page.text
    remote = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 4000)),
        base_url="http://testserver",
    )
    async with remote:
        hidden = await remote.get("/outbox")
    assert hidden.status_code == 404 and ADDRESS not in hidden.text


async def test_publish_on_start_mails_only_releases_new_to_the_database(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    rt = app.runtime
    history = load_history()

    async def on_start(releases: tuple[Release, ...]) -> list[subscriptions.PublishResult]:
        return await subscriptions.publish_new(
            rt.db, rt.server_key, None, "http://testserver", releases
        )

    await on_start(history)
    await _subscribe(client)
    await _confirm(client, app)
    assert await on_start(history) == []  # nothing new: nothing mailed
    assert len(await _mails(app)) == 1
    item = ReleaseItem("Added", "crm", "Things_GetList", "GET", "/crm/v2/x", "tn.crm.x:r", None, ())
    new_id = f"servicetitan-2099-{uuid.uuid4().hex[:6]}"
    newer = replace(history[0], id=new_id, label="Later", items=(item,))
    results = await on_start((newer, *history))
    assert [r.release_id for r in results] == [new_id]
    assert results[0].sent >= 1
    assert (await _mails(app))[0].subject == "localtitan release notes: Later"
    assert await on_start((newer, *history)) == []


async def test_mail_goes_through_smtp_when_configured(app: LocalTitan) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[object] = []

    class Keep(Message):
        def handle_message(self, message: object) -> None:
            received.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{port}?from=portal@example.com"
        where = await mail.send(
            app.runtime.db, url, mail.Mail(ADDRESS, "Hello", "Body text", "test")
        )
    finally:
        controller.stop()
    assert where == "smtp"
    [message] = received
    assert message["Subject"] == "Hello"  # type: ignore[index]
    assert message["From"] == "portal@example.com"  # type: ignore[index]
    assert await mail.outbox(app.runtime.db, to=ADDRESS) == []


async def test_smtp_failure_is_a_clear_error_without_the_password(app: LocalTitan) -> None:
    url = f"smtp://user:s3cret@127.0.0.1:{free_port()}"
    with pytest.raises(mail.MailError) as caught:
        await mail.send(app.runtime.db, url, mail.Mail(ADDRESS, "Hi", "Body", "test"))
    assert "127.0.0.1" in str(caught.value) and "s3cret" not in str(caught.value)


async def test_mail_refuses_header_injection(app: LocalTitan) -> None:
    with pytest.raises(ValueError, match="recipient"):
        await mail.send(app.runtime.db, None, mail.Mail("a@b.c\r\nBcc: x@y.z", "s", "t", "k"))
    with pytest.raises(ValueError, match="subject"):
        await mail.send(app.runtime.db, None, mail.Mail(ADDRESS, "s\nBcc: x@y.z", "t", "k"))
