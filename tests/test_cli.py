"""The ``localtitan`` command, run in-process against SQLite in a temporary data dir."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from typer.testing import CliRunner, Result

from localtitan import cli
from localtitan.app import LocalTitan
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.spec import load_manifest

CLIENT_ID = re.compile(r"cid\.[a-z0-9]{25}")
SECRET = re.compile(r"cs([12])\.[A-Za-z0-9]{43,}")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands read LOCALTITAN_* variables: none may leak in from the shell."""
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(data_dir: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli.app, [*args, "--data-dir", str(data_dir)])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def run_json(data_dir: Path, *args: str) -> Any:
    return json.loads(run(data_dir, *args, "--json").stdout)


def message(result: Result) -> str:
    """The error text, with Rich's line wrapping undone."""
    assert result.exit_code != 0, result.output
    return " ".join(result.stderr.split())


def _tenant_and_app(data_dir: Path, scopes: str = "all") -> tuple[int, int]:
    tenant = run_json(data_dir, "tenant", "create", "--name", "Acme HVAC")
    made = run_json(data_dir, "app", "create", "--name", "Acme App", "--scopes", scopes)
    return int(tenant["id"]), int(made["id"])


def test_tenant_create_and_list(data_dir: Path) -> None:
    tenant = run_json(data_dir, "tenant", "create", "--name", "Acme HVAC")
    assert isinstance(tenant["id"], int) and tenant["id"] > 0
    assert tenant["name"] == "Acme HVAC"
    assert tenant["environments"] == ["integration", "production"]

    chosen = run_json(data_dir, "tenant", "create", "--id", "424242", "--environment", "production")
    assert chosen == {"id": 424242, "name": "New Tenant", "environments": ["production"]}

    listed = run_json(data_dir, "tenant", "list")
    assert {t["id"] for t in listed} == {tenant["id"], 424242}

    again = run(data_dir, "tenant", "create", "--id", "424242", "--json", ok=False)
    assert "already exists" in message(again)
    assert not again.stdout.strip()
    bad_env = run(data_dir, "tenant", "create", "--environment", "staging", ok=False)
    assert "Unknown environment" in message(bad_env)


def test_app_create_with_all_scopes(data_dir: Path) -> None:
    tenant = run_json(data_dir, "tenant", "create")
    made = run_json(
        data_dir,
        "app", "create", "--name", "Dispatch Board", "--scopes", "all",
        "--organization", "Acme", "--tenant", str(tenant["id"]),
    )  # fmt: skip
    assert made["name"] == "Dispatch Board"
    assert made["organization"] == "Acme"
    assert made["scopes"] == sorted(load_manifest().scopes)
    assert made["tenantIds"] == [tenant["id"]]
    assert re.fullmatch(r"ak1\.[a-z0-9]{42}", made["appKey"])

    few = run_json(
        data_dir, "app", "create", "--name", "Reader", "--scopes",
        "tn.crm.customers:r,tn.jpm.jobs:r",
    )  # fmt: skip
    assert few["scopes"] == ["tn.crm.customers:r", "tn.jpm.jobs:r"]
    listed = run_json(data_dir, "app", "list")
    assert [a["id"] for a in listed] == [made["id"], few["id"]]


def test_app_create_with_unknown_scope_fails_readably(data_dir: Path) -> None:
    result = run(data_dir, "app", "create", "--name", "N", "--scopes", "bogus", "--json", ok=False)
    text = message(result)
    assert "Unknown scope" in text and "bogus" in text
    assert "Traceback" not in result.output
    assert not result.stdout.strip()
    # Nothing was made.
    assert run_json(data_dir, "app", "list") == []


def test_app_connect_prints_client_id_and_secret(data_dir: Path) -> None:
    tenant_id, app_id = _tenant_and_app(data_dir)
    out = run_json(
        data_dir, "app", "connect", "--app", str(app_id), "--tenant", str(tenant_id),
        "--environment", "integration",
    )  # fmt: skip
    assert CLIENT_ID.fullmatch(out["clientId"])
    match = SECRET.fullmatch(out["clientSecret"])
    assert match and match.group(1) == "1"
    assert out["tenantId"] == tenant_id and out["appId"] == app_id
    assert out["environment"] == "integration"

    twice = run(
        data_dir, "app", "connect", "--app", str(app_id), "--tenant", str(tenant_id),
        "--environment", "integration", ok=False,
    )  # fmt: skip
    assert "already connected" in message(twice)
    nowhere = run(
        data_dir, "app", "connect", "--app", str(app_id), "--tenant", "1",
        "--environment", "production", ok=False,
    )  # fmt: skip
    assert "no tenant 1" in message(nowhere)
    no_app = run(
        data_dir, "app", "connect", "--app", "999", "--tenant", str(tenant_id),
        "--environment", "production", ok=False,
    )  # fmt: skip
    assert "no app 999" in message(no_app)


def test_secret_commands(data_dir: Path) -> None:
    tenant_id, app_id = _tenant_and_app(data_dir)
    connected = run_json(
        data_dir, "app", "connect", "--app", str(app_id), "--tenant", str(tenant_id),
        "--environment", "production",
    )  # fmt: skip
    client_id = connected["clientId"]
    first_id = connected["secretId"]

    second = run_json(data_dir, "secret", "create", "--client-id", client_id)
    assert second["clientId"] == client_id
    assert SECRET.fullmatch(second["clientSecret"]).group(1) == "2"  # type: ignore[union-attr]
    third = run(data_dir, "secret", "create", "--client-id", client_id, ok=False)
    assert "2 active secrets" in message(third)

    listed = run_json(data_dir, "secret", "list", "--client-id", client_id)
    assert [(s["id"], s["active"]) for s in listed] == [
        (first_id, True),
        (second["secretId"], True),
    ]
    dumped = json.dumps(listed)
    assert connected["clientSecret"] not in dumped and second["clientSecret"] not in dumped
    assert listed[0]["hint"].startswith("cs1.") and listed[1]["hint"].startswith("cs2.")

    off = run_json(
        data_dir, "secret", "deactivate", "--client-id", client_id, "--secret-id", str(first_id)
    )
    assert off == {"clientId": client_id, "secretId": first_id, "active": False}
    listed = run_json(data_dir, "secret", "list", "--client-id", client_id)
    assert [s["active"] for s in listed] == [False, True]
    assert listed[0]["deactivated_on"] is not None

    on = run_json(
        data_dir, "secret", "restore", "--client-id", client_id, "--secret-id", str(first_id)
    )
    assert on == {"clientId": client_id, "secretId": first_id, "active": True}
    listed = run_json(data_dir, "secret", "list", "--client-id", client_id)
    assert [s["active"] for s in listed] == [True, True]

    missing = run(
        data_dir, "secret", "deactivate", "--client-id", client_id, "--secret-id", "9999", ok=False
    )
    assert "no secret 9999" in message(missing)
    unknown = run(data_dir, "secret", "list", "--client-id", "cid.nope", ok=False)
    assert "no connection" in message(unknown)


def test_keys_rotate(data_dir: Path) -> None:
    first = run_json(data_dir, "keys", "rotate", "--environment", "integration")
    second = run_json(data_dir, "keys", "rotate", "--environment", "integration")
    assert first["environment"] == "integration"
    assert first["kid"] != second["kid"]


def test_quickstart_before_any_serve_fails_with_a_message(data_dir: Path) -> None:
    result = run(data_dir, "quickstart", "--json", ok=False)
    text = message(result)
    assert "No quickstart yet" in text
    assert "localtitan serve" in text
    assert not result.stdout.strip()


def test_coverage_lists_every_operation(data_dir: Path) -> None:
    out = run_json(data_dir, "coverage")
    manifest = load_manifest()
    assert out["total"] == len(manifest.operations) == 559
    assert len(out["operations"]) == 559
    assert len({op["id"] for op in out["operations"]}) == 559
    assert {op["id"] for op in out["operations"]} == {op.id for op in manifest.operations}
    statuses = {op["status"] for op in out["operations"]}
    assert statuses <= {"generic", "behaviour", "not implemented"}
    implemented = sum(op["status"] != "not implemented" for op in out["operations"])
    assert out["implemented"] == implemented
    assert sum(m["operations"] for m in out["modules"]) == 559
    # People get a table.
    table = run(data_dir, "coverage")
    assert "559" in table.stdout


def test_quickstart_bundle_works_end_to_end(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    made = cli._prepare(settings, True)
    assert made is not None

    data = run_json(data_dir, "quickstart")
    assert data["tenantId"] == made["tenantId"]
    assert isinstance(data["tenantId"], int)
    assert re.fullmatch(r"ak1\.[a-z0-9]{42}", data["appKey"])
    assert set(data["environments"]) == {"integration", "production"}
    for env, prefix in (("integration", "-integration"), ("production", "")):
        entry = data["environments"][env]
        assert CLIENT_ID.fullmatch(entry["clientId"])
        assert SECRET.fullmatch(entry["clientSecret"])
        assert entry["tokenUrl"] == f"{settings.base_url}/auth{prefix}/connect/token"
        assert entry["apiBaseUrl"] == f"{settings.base_url}/api{prefix}"
    assert (
        data["environments"]["integration"]["clientId"]
        != (data["environments"]["production"]["clientId"])
    )

    path = data_dir / "quickstart.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "server.key").stat().st_mode) == 0o600

    # The human output shows the same credentials and a curl example.
    human = run(data_dir, "quickstart").stdout
    assert data["appKey"] in human and "curl" in human

    # A second start keeps the bundle rather than making another tenant.
    again = cli._prepare(settings, True)
    assert again is not None and again["tenantId"] == data["tenantId"]
    assert again["environments"] == data["environments"]

    asyncio.run(_call_with_quickstart(settings, data))


async def _call_with_quickstart(settings: Settings, data: dict[str, Any]) -> None:
    application = LocalTitan(Runtime(settings))
    await application.startup()
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport) as client:
            for env in ("integration", "production"):
                entry = data["environments"][env]
                r = await client.post(
                    entry["tokenUrl"],
                    data={
                        "grant_type": "client_credentials",
                        "client_id": entry["clientId"],
                        "client_secret": entry["clientSecret"],
                    },
                )
                assert r.status_code == 200, r.text
                token = r.json()["access_token"]
                base = urlsplit(entry["apiBaseUrl"]).path
                r = await client.get(
                    f"{entry['apiBaseUrl']}/crm/v2/tenant/{data['tenantId']}/customers",
                    headers={"Authorization": token, "ST-App-Key": data["appKey"]},
                )
                assert r.status_code == 200, (base, r.text)
                assert isinstance(r.json()["data"], list)
    finally:
        await application.shutdown()


def test_quickstart_without_demo_makes_nothing(data_dir: Path) -> None:
    assert cli._prepare(Settings(data_dir=data_dir), False) is None
    assert not (data_dir / "quickstart.json").exists()
    assert "No quickstart yet" in message(run(data_dir, "quickstart", ok=False))


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """serve exports settings for its workers into os.environ: undo that after the test."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_serve_prints_no_secret_and_starts_uvicorn_hardened(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, restore_environ: None
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(cli.app, ["serve", "--data-dir", str(data_dir), "--port", "8601"])
    assert result.exit_code == 0, (result.output, result.exception)
    data = json.loads((data_dir / "quickstart.json").read_text())
    secrets = [e["clientSecret"] for e in data["environments"].values()]
    # Nothing secret in what a server writes to its log on every start...
    for secret in secrets:
        assert secret not in result.output
    assert not SECRET.search(result.output)
    # ...but the example still works: it reads the secret when it runs.
    found = re.search(r'client_secret="\$\((.+? --get client_secret)\)"', result.output)
    assert found, result.output
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    shell = subprocess.run(
        ["bash", "-c", found.group(1)], capture_output=True, text=True, env=env, check=True
    )
    assert shell.stdout == secrets[0] + "\n"

    (options,) = calls
    assert options["proxy_headers"] is False
    assert options["http"] == "localtitan.slow_clients:HeaderTimeoutProtocol"
    assert options["limit_concurrency"] == 1000
    assert os.environ["LOCALTITAN_HEADER_TIMEOUT"] == "10.0"
    assert os.environ["LOCALTITAN_BODY_TIMEOUT"] == "60.0"
    assert os.environ["LOCALTITAN_LIMITS_FILE"] == str((data_dir / "limits.bin").resolve())


def test_quickstart_get_prints_one_value(data_dir: Path) -> None:
    assert cli._prepare(Settings(data_dir=data_dir, seed_demo=False), True) is not None
    data = run_json(data_dir, "quickstart")
    production = data["environments"]["production"]
    assert run(data_dir, "quickstart", "--get", "client_secret").stdout == (
        data["environments"]["integration"]["clientSecret"] + "\n"
    )
    got = run(data_dir, "quickstart", "--get", "client-id", "--environment", "production")
    assert got.stdout == production["clientId"] + "\n"
    assert run(data_dir, "quickstart", "--get", "tenant_id").stdout == f"{data['tenantId']}\n"
    assert run(data_dir, "quickstart", "--get", "app_key").stdout == f"{data['appKey']}\n"
    bad = run(data_dir, "quickstart", "--get", "password", ok=False)
    assert "Unknown field 'password'" in message(bad) and "client_secret" in message(bad)
    assert not bad.stdout.strip()
