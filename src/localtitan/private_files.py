"""The data dir and the files in it are readable by their owner only.

The folder holds the server key, the quickstart credentials and (on SQLite) every tenant's
records, so it is 0700 and the database with its write-ahead log and shared-memory index 0600.
SQLite gives the -wal and -shm files the mode of the database file, so making the database
file 0600 before SQLite first opens it covers all three.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["private_dir", "private_file", "private_sqlite"]


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) owner-only; tighten it when it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o700)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; make an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def private_sqlite(database: Path) -> None:
    """Make an SQLite database and its -wal/-shm files 0600 (creating the database file)."""
    if not database.parent.exists():
        private_dir(database.parent)
    private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        side = database.with_name(database.name + suffix)
        if side.exists():
            os.chmod(side, 0o600)
