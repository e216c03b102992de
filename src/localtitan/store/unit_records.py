"""A unit of work's record statements on its driver session (store/sessions.py): one record by
id or GUID, a kind's live records (under a parent, or matching promoted columns, ids or JSON
fields), and the batched inserts and updates of what the unit created and changed.

Rows are the ones ``store.records`` describes (its row builder), with the values in each
driver's terms: on SQLite times are the text SQLAlchemy writes (``2026-01-02 03:04:05.000006``,
UTC) and booleans 0/1, so rows written here and through SQLAlchemy read back the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from localtitan.store.drivers import Sql
from localtitan.store.records import Stored, decode, encode
from localtitan.store.rows import COLUMNS, full_row, record_row
from localtitan.store.sessions import Session

__all__ = [
    "find_guid",
    "first_id",
    "get_record",
    "insert_records",
    "last_data",
    "live_records",
    "update_records",
]

_KEY = "environment = ? AND tenant_id = ? AND kind = ?"
_KEY_COLUMNS = ("environment", "tenant_id", "kind", "id")
# The records table's columns in the order of rows.full_row's values; an update sets all but
# the key (in this order), then names the key.
_SET_COLUMNS = tuple(c for c in COLUMNS if c not in _KEY_COLUMNS)
_SET_AT = tuple(COLUMNS.index(c) for c in _SET_COLUMNS)
# Columns callers may match on (live_records' ``columns``), as named in the table.
_MATCHABLE = frozenset({"parent_id", "customer_id", "location_id", "job_id", "number", "name"})

# In COLUMNS' order, the order of rows.full_row's values.
_INSERT = Sql.of(
    "INSERT INTO records (environment, tenant_id, kind, id, parent_id, guid, active, deleted,"
    " created_on, modified_on, row_version, customer_id, location_id, job_id, number, name,"
    " status, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# _SET_COLUMNS, then the key.
_UPDATE = Sql.of(
    "UPDATE records SET parent_id = ?, guid = ?, active = ?, deleted = ?, created_on = ?,"
    " modified_on = ?, row_version = ?, customer_id = ?, location_id = ?, job_id = ?,"
    " number = ?, name = ?, status = ?, data = ?"
    " WHERE environment = ? AND tenant_id = ? AND kind = ? AND id = ?"
)
# PostgreSQL: the counter's write-back and the unit's new rows in one statement (one round trip
# fewer while the counter's row lock is held); followed by one "(?, ... ?)" per row.
_SETTLE_AND_INSERT = (
    "WITH settled AS (UPDATE record_counters SET next_id = ?, row_version = ?"
    " WHERE environment = ? AND tenant_id = ?) INSERT INTO records (environment, tenant_id,"
    " kind, id, parent_id, guid, active, deleted, created_on, modified_on, row_version,"
    " customer_id, location_id, job_id, number, name, status, data) VALUES "
)
_ROW = "(" + ", ".join("?" for _ in COLUMNS) + ")"
_settle_and_insert: dict[int, Sql] = {}
# Rows per statement: far below PostgreSQL's 32,767 parameters.
_ROWS_PER_INSERT = 200
_GET_LIVE = Sql.of(
    "SELECT id, parent_id, guid, active, deleted, created_on, modified_on, status, data"
    " FROM records WHERE environment = ? AND tenant_id = ? AND kind = ? AND id = ?"
    " AND deleted = ?"
)
_GET_ANY = Sql.of(
    "SELECT id, parent_id, guid, active, deleted, created_on, modified_on, status, data"
    " FROM records WHERE environment = ? AND tenant_id = ? AND kind = ? AND id = ?"
)
_BY_GUID = Sql.of(
    "SELECT id FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
    " AND guid = ? AND deleted = ? ORDER BY id LIMIT 1"
)
_FIRST = Sql.of(
    "SELECT id FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
    " ORDER BY id LIMIT 1"
)
_LAST_DATA = Sql.of(
    "SELECT data FROM records WHERE environment = ? AND tenant_id = ? AND kind = ?"
    " AND deleted = ? ORDER BY id DESC LIMIT 1"
)
_LIVE = "SELECT id, parent_id, guid, active, created_on, data FROM records WHERE "
_live_sql: dict[tuple[Any, ...], Sql] = {}


def _time_from_db(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _full_rows(
    dialect: str, env: str, tenant_id: int, items: Iterable[tuple[Stored, int]]
) -> list[tuple[Any, ...]]:
    """The rows of ``items`` in :data:`COLUMNS` order, in the driver's terms: on SQLite times
    as the text SQLAlchemy writes (booleans bind as 0/1 by themselves)."""
    now = datetime.now(UTC)
    sqlite = dialect != "postgresql"
    return [
        full_row(
            env, tenant_id, version, record_row(rec, encode(rec.data).decode(), now, sqlite=sqlite)
        )
        for rec, version in items
    ]


async def insert_records(
    session: Session,
    env: str,
    tenant_id: int,
    items: Iterable[tuple[Stored, int]],
    *,
    settle: tuple[int, int] | None = None,
) -> bool:
    """Insert new records, each with its row version; one statement for all of them.

    On PostgreSQL ``settle`` (the counter's next id and row version) is written back by the
    same statement; True when it was, so the caller need not write it."""
    rows = _full_rows(session.dialect, env, tenant_id, items)
    if settle is not None and session.dialect == "postgresql" and rows:
        head, rest = rows[:_ROWS_PER_INSERT], rows[_ROWS_PER_INSERT:]
        sql = _settle_and_insert.get(len(head))
        if sql is None:
            sql = _settle_and_insert[len(head)] = Sql.of(
                _SETTLE_AND_INSERT + ", ".join(_ROW for _ in head)
            )
        args: list[Any] = [*settle, env, tenant_id]
        for row in head:
            args += row
        await session.execute(sql, args)
        if rest:
            await session.executemany(_INSERT, rest)
        return True
    if len(rows) == 1:
        await session.execute(_INSERT, rows[0])
    elif rows:
        await session.executemany(_INSERT, rows)
    return False


async def update_records(
    session: Session, env: str, tenant_id: int, items: Iterable[tuple[Stored, int]]
) -> None:
    """Write existing records back whole, each with its new row version."""
    rows = [
        [*(row[i] for i in _SET_AT), env, tenant_id, row[2], row[3]]
        for row in _full_rows(session.dialect, env, tenant_id, items)
    ]
    if len(rows) == 1:
        await session.execute(_UPDATE, rows[0])
    elif rows:
        await session.executemany(_UPDATE, rows)


async def get_record(
    session: Session,
    env: str,
    tenant_id: int,
    kind: str,
    record_id: int,
    *,
    include_deleted: bool = False,
) -> Stored | None:
    if include_deleted:
        rows = await session.rows(_GET_ANY, (env, tenant_id, kind, record_id))
    else:
        rows = await session.rows(_GET_LIVE, (env, tenant_id, kind, record_id, False))
    if not rows:
        return None
    r = rows[0]
    return Stored(
        kind,
        int(r[0]),
        decode(r[8]),
        None if r[1] is None else int(r[1]),
        r[2],
        bool(r[3]),
        bool(r[4]),
        _time_from_db(r[5]),
        _time_from_db(r[6]),
        r[7],
    )


async def find_guid(session: Session, env: str, tenant_id: int, kind: str, guid: str) -> int | None:
    """The id of the live record of ``kind`` with this GUID (as stored: lower case)."""
    value = await session.value(_BY_GUID, (env, tenant_id, kind, guid, False))
    return None if value is None else int(value)


async def first_id(session: Session, env: str, tenant_id: int, kind: str) -> int | None:
    """The lowest id of ``kind``, deleted or not (a kind that holds one settings record)."""
    value = await session.value(_FIRST, (env, tenant_id, kind))
    return None if value is None else int(value)


async def last_data(session: Session, env: str, tenant_id: int, kind: str) -> Any:
    """The decoded JSON of the newest live record of ``kind``, or None."""
    raw = await session.value(_LAST_DATA, (env, tenant_id, kind, False))
    return None if raw is None else decode(raw)


def _json_text(dialect: str, field: str) -> str:
    # The field's value as text on PostgreSQL (->>), as its JSON type on SQLite.
    if not field.replace("_", "").isalnum():
        raise ValueError(f"not a JSON field name: {field!r}")
    if dialect == "postgresql":
        return f"(data::jsonb ->> '{field}')"
    return f"json_extract(data, '$.{field}')"


async def live_records(
    session: Session,
    env: str,
    tenant_id: int,
    kind: str,
    *,
    columns: dict[str, Any] | None = None,
    column_in: tuple[str, Sequence[int]] | None = None,
    json_in: tuple[str, Sequence[int]] | None = None,
    json_between: tuple[str, str, str] | None = None,
) -> list[Stored]:
    """Live records of ``kind`` in id order: those whose promoted ``columns`` equal the values
    given, whose ``column_in`` column or ``json_in`` JSON field (an int) is one of a list, and
    whose ``json_between`` JSON field (text) is in ``[low, high)``."""
    columns = columns or {}
    names = tuple(sorted(columns))
    if not _MATCHABLE.issuperset(names) or (column_in and column_in[0] not in {"id", *_MATCHABLE}):
        raise ValueError("not a promoted column")
    shape = (
        session.dialect,
        names,
        column_in and (column_in[0], len(column_in[1])),
        json_in and (json_in[0], len(json_in[1])),
        json_between and json_between[0],
    )
    sql = _live_sql.get(shape)
    if sql is None:
        # Column and field names come from fixed sets (checked above); values are bound.
        where = [_KEY, "deleted = ?", *(f"{c} = ?" for c in names)]
        if column_in:
            where.append(f"{column_in[0]} IN ({', '.join('?' for _ in column_in[1])})")
        if json_in:
            field = _json_text(session.dialect, json_in[0])
            where.append(f"{field} IN ({', '.join('?' for _ in json_in[1])})")
        if json_between:
            field = _json_text(session.dialect, json_between[0])
            where.append(f"{field} >= ? AND {field} < ?")
        sql = Sql.of(_LIVE + " AND ".join(where) + " ORDER BY id")
        if len(_live_sql) < 1024:
            _live_sql[shape] = sql
    args: list[Any] = [env, tenant_id, kind, False, *(columns[c] for c in names)]
    if column_in:
        args += column_in[1]
    if json_in:
        # PostgreSQL's ->> yields text; SQLite's json_extract yields the number.
        args += [str(v) if session.dialect == "postgresql" else v for v in json_in[1]]
    if json_between:
        args += [json_between[1], json_between[2]]
    return [
        Stored(
            kind,
            int(r[0]),
            decode(r[5]),
            None if r[1] is None else int(r[1]),
            guid=r[2],
            active=bool(r[3]),
            created_on=_time_from_db(r[4]),
        )
        for r in await session.rows(sql, args)
    ]
