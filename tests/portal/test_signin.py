"""Sign-in: ServiceTitan's two paths, sessions, throttling, sign out, password reset."""

from __future__ import annotations

import httpx
from accounts_kit import PASSWORD, csrf, last_mail, link_in, new_tenant, new_user, sign_in

from localtitan.app import LocalTitan
from localtitan.platform.users import Role


async def test_signin_page_has_both_paths(client: httpx.AsyncClient) -> None:
    r = await client.get("/signin")
    assert r.status_code == 200
    assert "Third-Party Developers" in r.text and "ServiceTitan Customers" in r.text
    assert "Sign in as Production Environment User" in r.text
    assert "Sign in as Integration Environment User" in r.text


async def test_signin_sets_a_safe_rotated_session(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(app)
    user = await new_user(app, roles=((Role.DEVELOPER, tenant),))
    before = await csrf(client, "/signin?environment=integration")
    old_cookie = client.cookies.get("lt_csrf")
    r = await sign_in(client, user.email)
    assert r.status_code == 303 and r.headers["location"] == "/my-apps"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("lt_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session.replace("Lax", "lax")
    assert client.cookies.get("lt_csrf") != old_cookie
    assert before
    page = await client.get("/my-apps")
    assert page.status_code == 200 and "My Apps" in page.text and "Sign out" in page.text


async def test_wrong_password_and_unknown_email_read_the_same(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    wrong = await sign_in(client, user.email, "not-the-password")
    unknown = await sign_in(client, "nobody-here@portal.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "The email or password is not right." in wrong.text
    strip = lambda t: t.replace(user.email, "X").replace("nobody-here@portal.example", "X")  # noqa: E731
    import re

    tokenless = lambda t: re.sub(r'value="[^"]{30,}"', "", strip(t))  # noqa: E731
    assert tokenless(wrong.text) == tokenless(unknown.text)


async def test_signin_is_throttled_per_account(app: LocalTitan, client: httpx.AsyncClient) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    for _ in range(5):
        assert (await sign_in(client, user.email, "bad password!")).status_code == 400
    # Even the right password waits now.
    r = await sign_in(client, user.email, PASSWORD)
    assert r.status_code == 429 and "Too many sign-in attempts" in r.text


async def test_user_without_roles_cannot_sign_in(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    user = await new_user(app)
    r = await sign_in(client, user.email)
    assert r.status_code == 403 and "no access" in r.text
    assert "lt_session" not in client.cookies


async def test_signout_ends_the_session(app: LocalTitan, client: httpx.AsyncClient) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    await sign_in(client, user.email)
    stolen = client.cookies.get("lt_session")
    token = await csrf(client, "/my-apps")
    r = await client.post("/signout", data={"csrf_token": token})
    assert r.status_code == 303
    # The old cookie no longer signs anyone in, even replayed.
    client.cookies.set("lt_session", stolen or "")
    again = await client.get("/my-apps")
    assert again.status_code == 303 and again.headers["location"].startswith("/signin")


async def test_password_reset_by_mailed_link(app: LocalTitan, client: httpx.AsyncClient) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    token = await csrf(client, "/forgot-password")
    r = await client.post("/forgot-password", data={"email": user.email, "csrf_token": token})
    assert r.status_code == 200 and "If an account uses that email" in r.text
    unknown = await client.post(
        "/forgot-password", data={"email": "ghost@portal.example", "csrf_token": token}
    )
    assert unknown.status_code == 200 and "If an account uses that email" in unknown.text
    path = link_in(await last_mail(app, user.email))
    page = await client.get(path)
    assert page.status_code == 200 and user.email in page.text
    reset_token = path.split("token=", 1)[1]
    form = {"csrf_token": await csrf(client, path), "token": reset_token}
    done = await client.post(
        "/reset-password",
        data={**form, "password": "a brand new pass", "confirm": "a brand new pass"},
    )
    assert done.status_code == 200 and "Password changed" in done.text
    # The link works once.
    assert (await client.get(path)).status_code == 400
    assert (await sign_in(client, user.email, PASSWORD)).status_code == 400
    assert (await sign_in(client, user.email, "a brand new pass")).status_code == 303


async def test_my_apps_asks_for_the_terms_first(app: LocalTitan, client: httpx.AsyncClient) -> None:
    user = await new_user(app, roles=((Role.DEVELOPER, 1),), terms=False)
    await sign_in(client, user.email)
    r = await client.get("/my-apps")
    assert r.status_code == 303 and r.headers["location"].startswith("/terms")
    token = await csrf(client, r.headers["location"])
    refused = await client.post("/terms?next=/my-apps", data={"csrf_token": token})
    assert refused.status_code == 400
    ok = await client.post(
        "/terms?next=/my-apps", data={"csrf_token": token, "accept": "yes", "next": "/my-apps"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/my-apps"
    assert (await client.get("/my-apps")).status_code == 200


async def test_every_page_shows_who_is_signed_in(
    app: LocalTitan, client: httpx.AsyncClient
) -> None:
    before = await client.get("/docs/welcome")
    assert "Login to My Apps" in before.text and "Sign out" not in before.text
    user = await new_user(app, roles=((Role.DEVELOPER, 1),))
    await sign_in(client, user.email)
    for path in ("/", "/docs/welcome", "/apis", "/docs/faqs-environments", "/release-notes"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "Sign out" in r.text and 'href="/my-apps"' in r.text, path
        assert "Login to My Apps" not in r.text, path
        # The page names its user: no shared cache may keep it.
        assert r.headers["cache-control"] == "no-store", path
    # The sign-out form on a public page carries a CSRF token that works.
    page = (await client.get("/docs/welcome")).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = await client.post("/signout", data={"csrf_token": token})
    assert out.status_code == 303
    after = await client.get("/docs/welcome")
    assert "Login to My Apps" in after.text and "Sign out" not in after.text
