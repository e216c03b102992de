"""No secret, token or password ever reaches the request-log table or the access-log line."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from log_kit import rows_of

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.requestlog.recorder import RequestLog
from localtitan.requestlog.redaction import redact_headers, redact_query, redact_text
from localtitan.runtime import Runtime
from localtitan.settings import Settings

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
PASSWORD = "Hunter2-Correct-Horse-Battery"
SECRET_NOTE = "my-api-secret-value-0042"
TOKENISH = "opaque-refresh-token-value-7781"


@pytest.fixture(params=[2048, 40])
async def app(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[LocalTitan]:
    """Bodies kept whole (2048) and cut short inside the secrets (40 bytes)."""
    monkeypatch.setattr(RequestLog, "flush_interval", 3600.0)
    application = LocalTitan(
        Runtime(replace(settings, request_log_body_bytes=request.param, access_log="json"))
    )
    await application.startup()
    try:
        yield application
    finally:
        await application.shutdown()


def _fragments(value: str) -> list[str]:
    # Any 8 characters in a row of a secret would give part of it away.
    return [value[i : i + 8] for i in range(0, len(value) - 7)]


async def test_no_secret_token_or_password_is_kept(
    app: LocalTitan, client: httpx.AsyncClient, creds: Creds, capsys: pytest.CaptureFixture[str]
) -> None:
    # Token by form post (client_secret in the body) and by HTTP Basic.
    token = await creds.token(client)
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    r = await client.post(
        creds.token_url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200
    basic_token = r.json()["access_token"]
    # A wrong secret is as secret as a right one.
    await client.post(
        creds.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": "cs1." + "w" * 50,
        },
    )
    headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
    # Secrets in a JSON body, in the query string and with the token sent without "Bearer".
    await client.post(
        creds.api(CUSTOMERS) + f"?password={PASSWORD}&client_secret={SECRET_NOTE}",
        headers=headers,
        json={
            "password": PASSWORD,
            "nested": {"apiSecret": SECRET_NOTE, "refreshToken": TOKENISH},
            "name": "Ada",
        },
    )
    await client.get(
        creds.api(CUSTOMERS), headers={"Authorization": token, "ST-App-Key": creds.app_key}
    )
    await app.runtime.request_log.flush()
    rows = await rows_of(app, client_id=creds.client_id)
    assert len(rows) == 5
    stored = "\n".join(str(v) for row in rows for v in row.values())
    printed = capsys.readouterr().out
    assert printed.count("\n") >= 5
    for text in (stored, printed):
        for secret in (creds.client_secret, "cs1." + "w" * 50, token, basic_token, basic):
            for piece in _fragments(secret):
                assert piece not in text, f"part of a secret was kept: {piece}"
        for secret in (PASSWORD, SECRET_NOTE, TOKENISH):
            for piece in _fragments(secret):
                assert piece not in text, f"part of a secret was kept: {piece}"
    assert "[redacted]" in stored
    # Only a prefix of the app key is kept.
    assert creds.app_key not in stored and creds.app_key not in printed


def test_a_secret_cut_short_by_the_size_limit_is_still_redacted() -> None:
    assert redact_text('{"password": "hunter2hun') == '{"password": "[redacted]"'
    assert redact_text('{"name":"a","client_secret":"cs1.abc') == (
        '{"name":"a","client_secret":"[redacted]"'
    )
    assert redact_text("grant_type=client_credentials&client_secret=cs1.abcdef") == (
        "grant_type=client_credentials&client_secret=%5Bredacted%5D"
    )
    assert redact_text('{"access_token":"eyJhbGciOi.eyJzdWIi.sig","token_type":"Bearer"}') == (
        '{"access_token":"[redacted]","token_type":"Bearer"}'
    )


def test_secret_names_in_any_case_and_deep_in_a_long_body_are_redacted() -> None:
    # Most bodies are skipped by a cheap test for secret-looking names: it must not miss any.
    filler = '{"id":1,"name":"Bench Customer","notes":"nothing to see"},' * 40
    body = '{"data":[' + filler + '{"PassWord":"hunter2","Client_SECRET":"x1","mfaTOKEN":"t"}]}'
    kept = redact_text(body)
    assert "hunter2" not in kept and '"x1"' not in kept and '"t"' not in kept
    assert kept.count("[redacted]") == 3
    assert kept.startswith('{"data":[' + filler)
    plain = '{"data":[' + filler + "]}"
    assert redact_text(plain) == plain


def test_headers_keep_their_names_but_not_their_secrets() -> None:
    kept = redact_headers(
        [
            (b"authorization", b"Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
            (b"st-app-key", b"ak1.abcdefghijklmnopqrstuvwxyz"),
            (b"cookie", b"session=abc"),
            (b"accept", b"application/json"),
        ]
    )
    assert kept == [
        ["authorization", "Bearer [redacted]"],
        ["st-app-key", "ak1.abcd…"],
        ["cookie", "[redacted]"],
        ["accept", "application/json"],
    ]
    assert redact_query("page=2&ServiceTitanApplicationKey=ak1.secretsecret") == (
        "page=2&ServiceTitanApplicationKey=ak1.secr…"
    )


async def test_another_apps_secret_in_a_note_field_is_redacted(app: LocalTitan) -> None:
    # A client secret pasted into any field, whatever its name, does not survive.
    other = await make_creds(app.runtime)
    assert other.client_secret not in redact_text(f'{{"note": "{other.client_secret}"}}')
