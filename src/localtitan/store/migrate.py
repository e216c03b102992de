"""Run the Alembic migrations that ship inside the package, on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from localtitan.store.database import Database

__all__ = ["migrate"]

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(_config(connection), revision)


async def migrate(db: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision``; safe to call on every start."""
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            await conn.exec_driver_sql("SELECT 1")
        else:
            # Many workers start at once: one migrates, the others wait for it.
            await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(74016201)")
        await conn.run_sync(_upgrade, revision)
