"""Which of a few (kind, id) pairs name live records of a tenant: the reference checks of a
write's body, read on the drivers (:mod:`localtitan.store.drivers`) in one statement.

Each pair is a primary-key lookup (the planner ORs them), so the statement is short and runs on
the event loop's thread on SQLite; on PostgreSQL it is one round trip for all the pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from localtitan.store.drivers import DriverReads, Reads, Sql

__all__ = ["live_ids"]

_MAX_PAIRS = 32
_statements: dict[int, Sql] = {}
# Followed by one "(kind = ? AND id = ?)" per pair, ORed, and ")".
_HEAD = "SELECT kind, id FROM records WHERE environment = ? AND tenant_id = ? AND deleted = ? AND ("


def _statement(count: int) -> Sql:
    sql = _statements.get(count)
    if sql is None:
        pairs = " OR ".join("(kind = ? AND id = ?)" for _ in range(count))
        sql = _statements[count] = Sql.of(_HEAD + pairs + ")")
    return sql


async def live_ids(
    driver: DriverReads, env: str, tenant_id: int, pairs: Sequence[tuple[str, int]]
) -> set[tuple[str, int]]:
    """The pairs among ``pairs`` that name a live (not deleted) record."""
    wanted = list(dict.fromkeys(pairs))

    async def read(r: Reads) -> set[tuple[str, int]]:
        found: set[tuple[str, int]] = set()
        for start in range(0, len(wanted), _MAX_PAIRS):
            chunk = wanted[start : start + _MAX_PAIRS]
            args: list[object] = [env, tenant_id, False]
            for kind, record_id in chunk:
                args += [kind, record_id]
            for kind, record_id in await r.rows(_statement(len(chunk)), args):
                name = kind.decode() if isinstance(kind, bytes) else str(kind)
                found.add((name, int(record_id)))
        return found

    if not wanted:
        return set()
    return await driver.read(read, short=True)
