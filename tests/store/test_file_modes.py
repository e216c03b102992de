"""The data dir is 0700 and the SQLite database with its -wal and -shm files 0600: they hold
every tenant's records, and other users of the machine must not read them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from localtitan.app import LocalTitan
from localtitan.runtime import Runtime
from localtitan.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    # The usual umask, under which files come out 0644 and folders 0755 unless made private.
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def test_a_fresh_data_dir_and_its_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    application = LocalTitan(Runtime(Settings(data_dir=data_dir, seed_demo=False)))
    await application.startup()
    try:
        db = data_dir / "localtitan.db"
        # The write-ahead log and its index exist while the server runs.
        assert (data_dir / "localtitan.db-wal").exists()
        assert (data_dir / "localtitan.db-shm").exists()
        assert _mode(data_dir) == 0o700
        for name in ("localtitan.db", "localtitan.db-wal", "localtitan.db-shm", "server.key"):
            assert _mode(data_dir / name) == 0o600, name
        assert _mode(data_dir / "limits.bin") == 0o600
        assert db.stat().st_size > 0
    finally:
        await application.shutdown()


async def test_an_existing_open_data_dir_is_tightened_on_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    settings = Settings(data_dir=data_dir, seed_demo=False)
    application = LocalTitan(Runtime(settings))
    await application.startup()
    await application.shutdown()
    # As an earlier version left them.
    os.chmod(data_dir, 0o755)  # noqa: S103
    for path in data_dir.iterdir():
        os.chmod(path, 0o644)
    application = LocalTitan(Runtime(settings))
    await application.startup()
    try:
        assert _mode(data_dir) == 0o700
        for path in data_dir.glob("localtitan.db*"):
            assert _mode(path) == 0o600, path.name
    finally:
        await application.shutdown()


async def test_a_database_outside_the_data_dir_is_private_too(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "tenants.db"
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{db}", seed_demo=False)
    application = LocalTitan(Runtime(settings))
    await application.startup()
    try:
        assert _mode(db) == 0o600
        assert _mode(db.parent) == 0o700
        assert _mode(db.with_name("tenants.db-wal")) == 0o600
    finally:
        await application.shutdown()
