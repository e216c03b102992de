"""The flusher's short cuts keep exactly what the general redaction keeps, and a successful
response keeps less of its body than an error (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from log_kit import rows_of

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.requestlog.recorder import RequestLog
from localtitan.requestlog.redaction import redact_headers, redact_text
from localtitan.requestlog.rows import body_text, headers_json
from localtitan.runtime import Runtime
from localtitan.settings import Settings

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"

_BODIES = [
    b'{"data":[{"id":1,"name":"Bench Customer","notes":"nothing to see"}]}',
    b'{"user":"ada","PassWord":"hunter2"}',
    b'{"note":"cs1.' + b"a" * 50 + b'"}',
    b'{"jwt":"eyJhbGciOi.eyJzdWIi.sig"}',
    b'{"\xc5\xbfecret":"x1"}',  # "ſecret": re folds it to "secret"
    b"grant_type=client_credentials&client_secret=abc",
    b'{"mfaTOKEN":"t","token_type":"Bearer"}',
    b"plain text with a NUL \x00 inside",
    b"\xff\xfe not text at all",
]


def _general(raw: bytes, limit: int) -> str | None:
    """What the log kept before the short cuts: decode, redact, cut."""
    cut = raw[:limit]
    try:
        text = cut.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return redact_text(text)[:limit].replace("\x00", "\\u0000")


@pytest.mark.parametrize("raw", _BODIES)
@pytest.mark.parametrize("limit", [2048, 12])
def test_a_body_is_kept_as_the_general_redaction_keeps_it(raw: bytes, limit: int) -> None:
    kept = body_text(raw, len(raw), limit, [(b"content-type", b"application/octet-stream")])
    expected = _general(raw, limit)
    if expected is None:
        assert kept is not None and "not shown" in kept
    else:
        assert kept == expected


@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_any_body_is_kept_as_the_general_redaction_keeps_it(raw: bytes) -> None:
    expected = _general(raw, 256)
    kept = body_text(raw, len(raw), 256, None)
    if expected is not None and raw:
        assert kept == expected


def test_remembered_headers_give_what_redaction_gives() -> None:
    headers = [
        (b"host", b"127.0.0.1:8080"),
        (b"authorization", b"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
        (b"st-app-key", b"ak1.abcdefghijklmnopqrstuvwxyz"),
        (b"cookie", b"session=abc"),
        (b"x-note", b"my password=hunter2"),
    ]
    expected = msgspec.json.encode(redact_headers(headers)).decode()
    for _ in range(3):  # the first time builds what later times look up
        assert headers_json(headers) == expected
    # Another token with the same scheme is redacted the same, not mistaken for the first.
    other = [(b"authorization", b"Bearer eyJzecond.eyJvdGhlcg.c2ln"), (b"x-note", b"hi")]
    assert headers_json(other) == msgspec.json.encode(redact_headers(other)).decode()


@pytest.fixture
async def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalTitan]:
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(
        Runtime(replace(settings, request_log_body_bytes=400, request_log_success_body_bytes=40))
    )
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


async def test_a_successful_response_keeps_less_of_its_body_than_an_error(
    app: LocalTitan,
) -> None:
    creds = await make_creds(app.runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = await creds.headers(client)
        address = {"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"}
        body = {
            "name": "x" * 200,
            "type": "Residential",
            "address": {**address, "country": "USA"},
            "locations": [{"name": "Home", "address": {**address, "country": "USA"}}],
        }
        ok = await client.post(creds.api(CUSTOMERS), headers=headers, json=body)
        bad = await client.post(
            creds.api(CUSTOMERS),
            headers={**headers, "content-type": "application/json"},
            content=b"{not json",
        )
    assert ok.status_code == 200, ok.text
    assert bad.status_code == 400
    await app.runtime.request_log.flush()
    rows = await rows_of(app, client_id=creds.client_id, area="api")
    assert [r["status"] for r in rows] == [200, 400]
    created, refused = rows
    assert created["response_body"] == ok.text[:40]
    assert created["response_size"] == len(ok.content) > 40
    assert len(created["request_body"]) > 200  # request bodies keep the larger size
    assert refused["response_body"] == bad.text[:400] and len(bad.text) > 40


def test_the_success_body_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALTITAN_REQUEST_LOG_SUCCESS_BODY_BYTES", "0")
    assert Settings.from_env().request_log_success_body_bytes == 0
    assert Settings().request_log_success_body_bytes == 256
    monkeypatch.setenv("LOCALTITAN_REQUEST_LOG_SUCCESS_BODY_BYTES", "-1")
    with pytest.raises(ValueError, match="successful response"):
        Settings.from_env()
