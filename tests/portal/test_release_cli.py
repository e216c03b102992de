"""``localtitan release-notes`` and the publishing the server does on start."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from localtitan import cli
from localtitan.platform import mail, subscriptions
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.spec.history import load_history
from localtitan.store.tables import published_releases


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.output


async def _confirmed_subscriber(settings: Settings, email: str) -> None:
    runtime = Runtime(settings)
    await runtime.start()
    try:
        await subscriptions.subscribe(
            runtime.db,
            runtime.limiter,
            runtime.server_key,
            None,
            settings.base_url,
            email=email,
            module=None,
            client="127.0.0.1",
        )
        [confirmation] = await mail.outbox(runtime.db, to=email)
        token = confirmation.body.split("confirm?token=")[1].split()[0]
        assert await subscriptions.confirm(runtime.db, runtime.server_key, token)
    finally:
        await runtime.close()


async def _outbox(settings: Settings, email: str) -> list[mail.OutboxMail]:
    runtime = Runtime(settings)
    try:
        return await mail.outbox(runtime.db, to=email)
    finally:
        await runtime.close()


def test_list_and_publish_once(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, out = _run("release-notes", "list")
    assert code == 0 and all(r.id in out for r in load_history())
    settings = Settings(data_dir=Path(data), seed_demo=False)
    asyncio.run(_confirmed_subscriber(settings, "cli@example.com"))
    code, out = _run("release-notes", "publish", "--data-dir", data)
    assert code == 0, out
    assert "1 mail(s) sent into the outbox" in out
    code, out = _run("release-notes", "publish", "--data-dir", data)
    assert "0 mail(s) sent" in out
    older = load_history()[-1].id
    code, out = _run("release-notes", "publish", older, "--data-dir", data)
    assert f"{older}: 1 mail(s) sent" in out
    kinds = [m.kind for m in asyncio.run(_outbox(settings, "cli@example.com"))]
    assert kinds.count("release-notes.release") == 2


def test_unknown_release_is_a_clear_error(tmp_path: Path) -> None:
    code, out = _run("release-notes", "publish", "nope", "--data-dir", str(tmp_path))
    assert code == 1 and "There is no release 'nope'" in out


def test_server_start_publishes_releases_new_to_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", seed_demo=False)
    cli._prepare(settings, False)

    async def published() -> set[str]:
        runtime = Runtime(settings)
        try:
            async with runtime.db.read() as conn:
                rows = await conn.execute(select(published_releases.c.release_id))
                return set(rows.scalars())
        finally:
            await runtime.close()

    assert asyncio.run(published()) == {r.id for r in load_history()}
