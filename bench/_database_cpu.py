"""CPU time a server's PostgreSQL backends spent, so a benchmark can show it beside the server's.

On PostgreSQL a request's work is split between the server process and the database backends
serving its connections, which run on the same machine's CPUs (the benchmarks pin the client
and the server, not PostgreSQL). The server's CPU per request alone hides the database's half:
a statement that PostgreSQL plans afresh on every execution, say, costs the backend more than
the server. This reads each backend's on-CPU time (``/proc/PID/schedstat``, nanoseconds) for the
server's database, found in ``pg_stat_activity``; Linux and a PostgreSQL on this machine only,
else nothing is reported.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

__all__ = ["DatabaseCpu"]


def _on_cpu(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            out[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            continue  # ended, or not on this machine
    return out


class DatabaseCpu:
    """The client backends of one PostgreSQL database (the server's ``--database-url``)."""

    def __init__(self, admin_dsn: str, database: str) -> None:
        self._admin_dsn = admin_dsn
        self._database = database
        self._conn: Any = None
        self.available = Path("/proc/self/schedstat").exists()

    @classmethod
    def for_argv(cls, argv: list[str]) -> DatabaseCpu | None:
        """For a server started with ``--database-url postgresql...`` (None otherwise)."""
        if "--database-url" not in argv:
            return None
        i = argv.index("--database-url")
        if i + 1 >= len(argv):
            return None
        return cls.for_url(argv[i + 1])

    @classmethod
    def for_url(cls, database_url: str) -> DatabaseCpu | None:
        """For a SQLAlchemy or asyncpg URL of a PostgreSQL database (None for another)."""
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        if url.get_backend_name() != "postgresql" or not url.database:
            return None
        admin = url.set(drivername="postgresql", database="postgres")
        return cls(admin.render_as_string(hide_password=False), url.database)

    async def snapshot(self) -> dict[int, float] | None:
        """Each backend's CPU seconds so far, by process id (None when it cannot be read)."""
        if not self.available:
            return None
        try:
            if self._conn is None or self._conn.is_closed():
                import asyncpg

                self._conn = await asyncpg.connect(self._admin_dsn, timeout=10)
            rows = await self._conn.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = $1 AND backend_type = 'client backend'",
                self._database,
            )
        except Exception:  # a report's extra, never a benchmark's failure
            return None
        return _on_cpu([pid for (pid,) in rows]) or None

    @staticmethod
    def spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
        """CPU seconds between two snapshots; a backend that started between them counts
        whole (its time is all in the phase), one that ended is lost (rare: pools keep theirs)."""
        if before is None or after is None:
            return None
        return sum(t - before.get(pid, 0.0) for pid, t in after.items())

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
