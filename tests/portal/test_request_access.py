"""Request Access: the form, its errors, the reference number, auto-approval and the
operator's approval, ending in a developer who can sign in."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from accounts_kit import csrf, last_mail, link_in, new_user, sign_in

from localtitan.app import LocalTitan
from localtitan.platform.users import Role

FORM = {
    "name": "Riley Dev",
    "email": "riley-{n}@builder.example",
    "company": "Builder Apps",
    "website": "https://builder.example",
    "kind": "developer",
    "integration": "A dispatch board.",
    "modules": ["crm", "jpm"],
    "terms": "yes",
}


def _form(n: str, token: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {**FORM, "email": FORM["email"].format(n=n), "csrf_token": token}  # type: ignore[attr-defined]
    data.update(changes)
    return data


async def test_errors_next_to_fields(app: LocalTitan, client: httpx.AsyncClient) -> None:
    token = await csrf(client, "/request-access")
    r = await client.post(
        "/request-access", data=_form("a", token, email="bad", terms="", company="")
    )
    assert r.status_code == 400
    for text in ("Work email is not valid", "Company is empty", "Accept the API terms"):
        assert text in r.text
    assert 'value="Riley Dev"' in r.text


async def _set_password_from_mail(app: LocalTitan, client: httpx.AsyncClient, email: str) -> str:
    body = await last_mail(app, email)
    path = link_in(body)
    token = await csrf(client, path)
    done = await client.post(
        "/reset-password",
        data={
            "csrf_token": token,
            "token": path.split("token=", 1)[1],
            "password": "my own password",
            "confirm": "my own password",
        },
    )
    assert done.status_code == 200, done.text[:1000]
    return body


@pytest.fixture
def auto_approve(app: LocalTitan) -> None:
    app.runtime.settings = dataclasses.replace(app.runtime.settings, auto_approve_access=True)


@pytest.mark.usefixtures("auto_approve")
async def test_auto_approval_to_sign_in(app: LocalTitan, client: httpx.AsyncClient) -> None:
    token = await csrf(client, "/request-access")
    r = await client.post("/request-access", data=_form("b", token))
    assert r.status_code == 200 and "LTA-" in r.text and "ready" in r.text
    email = FORM["email"].format(n="b")  # type: ignore[attr-defined]
    body = await _set_password_from_mail(app, client, email)
    assert "Integration tenant id:" in body
    signed = await sign_in(client, email, "my own password")
    assert signed.status_code == 303 and signed.headers["location"] == "/my-apps"


async def test_operator_approves(app: LocalTitan, client: httpx.AsyncClient) -> None:
    app.runtime.settings = dataclasses.replace(app.runtime.settings, auto_approve_access=False)
    token = await csrf(client, "/request-access")
    r = await client.post("/request-access", data=_form("c", token))
    assert r.status_code == 200 and "An operator reviews" in r.text
    operator = await new_user(app, roles=((Role.OPERATOR, None),))
    await sign_in(client, operator.email)
    page = await client.get("/operator/access-requests")
    assert FORM["email"].format(n="c") in page.text  # type: ignore[attr-defined]
    request_id = page.text.split("/operator/access-requests/", 1)[1].split("/", 1)[0]
    token = await csrf(client, "/operator/access-requests")
    done = await client.post(
        f"/operator/access-requests/{request_id}/approve", data={"csrf_token": token}
    )
    assert done.status_code == 303
    assert "approved" in (await client.get("/operator/access-requests")).text


async def test_only_operators_see_the_requests(app: LocalTitan, client: httpx.AsyncClient) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    await sign_in(client, user.email)
    assert (await client.get("/operator/access-requests")).status_code == 404
