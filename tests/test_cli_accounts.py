"""``localtitan user``, ``access`` and ``audit``, and the demo portal users of the quickstart."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from localtitan import cli
from localtitan.platform import users
from localtitan.settings import Settings
from localtitan.store import migrate, open_database
from test_cli import _clean_environment, data_dir, message, run, run_json  # noqa: F401


def _signs_in(settings: Settings, email: str, password: str) -> bool:
    async def go() -> bool:
        db = open_database(settings.resolved_database_url)
        try:
            await migrate(db)
            async with db.begin() as conn:
                return await users.check_password(conn, email, password) is not None
        finally:
            await db.close()

    return asyncio.run(go())


def test_user_create_grant_list_reset(data_dir: Path) -> None:  # noqa: F811
    made = run_json(data_dir, "user", "create", "--email", "Ann@Example.com", "--name", "Ann")
    assert made["email"] == "ann@example.com" and len(made["password"]) >= 10
    settings = Settings(data_dir=data_dir)
    assert _signs_in(settings, "ann@example.com", made["password"])
    assert (
        "password" not in str(run(data_dir, "user", "list").stdout).lower().replace("no roles", "")
        or made["password"] not in run(data_dir, "user", "list").stdout
    )

    granted = run_json(
        data_dir,
        "user",
        "grant",
        "--email",
        "ann@example.com",
        "--role",
        "developer",
        "--tenant",
        "42",
        "--environment",
        "integration",
    )
    assert granted["roles"] == [{"role": "developer", "tenantId": 42, "environment": "integration"}]
    listed = run_json(data_dir, "user", "list")
    assert listed[0]["roles"][0]["tenantId"] == 42
    assert made["password"] not in str(listed)

    bad = run(data_dir, "user", "grant", "--email", "ann@example.com", "--role", "king", ok=False)
    assert "developer, tenant-admin, operator" in message(bad)
    missing = run(data_dir, "user", "reset-password", "--email", "nobody@example.com", ok=False)
    assert "no user" in message(missing)

    reset = run_json(data_dir, "user", "reset-password", "--email", "ann@example.com")
    assert reset["password"] != made["password"]
    assert not _signs_in(settings, "ann@example.com", made["password"])
    assert _signs_in(settings, "ann@example.com", reset["password"])

    log = run_json(data_dir, "audit")
    actions = [e["action"] for e in log]
    assert actions[:3] == ["user.password-reset", "user.role-granted", "user.created"]
    assert all(made["password"] not in str(e) and reset["password"] not in str(e) for e in log)


def test_access_list_approve_decline(data_dir: Path) -> None:  # noqa: F811
    from localtitan.platform import access, audit, onboarding

    async def submit(email: str) -> str:
        db = open_database(Settings(data_dir=data_dir).resolved_database_url)
        try:
            await migrate(db)
            async with db.begin() as conn:
                form = access.RequestForm(
                    "Sam", email, "Sam Co", "", "developer", "A CRM sync.", (), True
                )
                made, _ = await onboarding.submit(conn, form, frozenset(), audit.SYSTEM)
                return made.reference
        finally:
            await db.close()

    first = asyncio.run(submit("sam@example.com"))
    second = asyncio.run(submit("pat@example.com"))
    pending = run_json(data_dir, "access", "list", "--status", "pending")
    assert {r["reference"] for r in pending} == {first, second}

    approved = run_json(data_dir, "access", "approve", first, "--no-seed")
    assert approved["status"] == "approved" and approved["tenantId"]
    declined = run_json(data_dir, "access", "decline", second, "--reason", "Duplicate")
    assert declined["status"] == "declined"
    again = run(data_dir, "access", "approve", second, ok=False)
    assert "already declined" in message(again)
    unknown = run(data_dir, "access", "approve", "LTA-00000000", ok=False)
    assert "no access request" in message(unknown)


def test_quickstart_has_demo_portal_users(data_dir: Path) -> None:  # noqa: F811
    settings = Settings(data_dir=data_dir, seed_demo=False)
    made = cli._prepare(settings, True)
    assert made is not None
    portal = run_json(data_dir, "quickstart")["portal"]
    assert portal["url"] == f"{settings.base_url}/signin"
    assert stat.S_IMODE((data_dir / "quickstart.json").stat().st_mode) == 0o600
    for who in ("developer", "tenantAdmin"):
        assert _signs_in(settings, portal[who]["email"], portal[who]["password"])
    human = run(data_dir, "quickstart").stdout
    assert portal["developer"]["email"] in human and portal["tenantAdmin"]["password"] in human
    # A second start keeps the same users and passwords.
    again = cli._prepare(settings, True)
    assert again is not None and again["portal"] == portal


def test_cli_changes_are_audited(data_dir: Path) -> None:  # noqa: F811
    tenant = run_json(data_dir, "tenant", "create", "--name", "Audited Co")["id"]
    made = run_json(data_dir, "app", "create", "--name", "Audited", "--scopes", "all")
    connected = run_json(
        data_dir, "app", "connect", "--app", str(made["id"]), "--tenant", str(tenant),
        "--environment", "integration",
    )  # fmt: skip
    run(data_dir, "secret", "deactivate", "--client-id", connected["clientId"],
        "--secret-id", str(connected["secretId"]))  # fmt: skip
    log = run_json(data_dir, "audit")
    assert [e["action"] for e in log][:3] == [
        "secret.deactivated",
        "connection.allowed",
        "app.created",
    ]
    assert all(e["actor"] == "cli" for e in log)
    assert connected["clientSecret"] not in str(log)
