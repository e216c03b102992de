"""A record as a row of the ``records`` table: the one builder behind the API's writes
(:mod:`localtitan.store.records`), the demo writer and snapshot import
(:mod:`localtitan.store.bulk_writer`), so a record's promoted columns and status are the same
however it arrived.

A row is built in two steps: :func:`record_row` does the per-record work (promoted values,
status, times) and may run ahead of the write, in a worker thread or process; :func:`full_row`
adds what is only known at write time (environment, tenant and the row version).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localtitan.store.records import Stored

__all__ = [
    "COLUMNS",
    "NESTED_REFERENCES",
    "PROMOTED",
    "Row",
    "full_row",
    "promoted_values",
    "record_row",
    "row_mapping",
    "sqlite_time",
    "utc_second",
]

# The records table's columns in the order of :func:`full_row`'s tuples.
COLUMNS = (
    "environment",
    "tenant_id",
    "kind",
    "id",
    "parent_id",
    "guid",
    "active",
    "deleted",
    "created_on",
    "modified_on",
    "row_version",
    "customer_id",
    "location_id",
    "job_id",
    "number",
    "name",
    "status",
    "data",
)

# JSON field -> promoted column, so the filters clients use most are index scans.
PROMOTED: dict[str, str] = {
    "customerId": "customer_id",
    "locationId": "location_id",
    "jobId": "job_id",
    "number": "number",
    "name": "name",
}

# Promoted ids that records may hold as a nested reference instead (an invoice's
# ``customer: {id, name}``, ``job: {id, number}``): promoted from there, so ``customerId=``
# and ``jobId=`` filters on such records use the same indexes (migration 0006).
NESTED_REFERENCES: dict[str, str] = {
    "customerId": "customer",
    "locationId": "location",
    "jobId": "job",
}

_PROMOTED_COLUMNS = ("customer_id", "location_id", "job_id", "number", "name")

# Fields that hold a record's number under another name, filtered with ``number=``.
_NUMBER_ALIASES = ("jobNumber", "appointmentNumber", "invoiceNumber", "referenceNumber")

# A row without environment, tenant and row version: kind, id, parent_id, guid, active,
# deleted, created_on, modified_on, customer_id, location_id, job_id, number, name, status, data.
Row = tuple[Any, ...]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The last second utc_second wrote and its text: the writes of one second share it. A tuple,
# replaced whole: threads that build rows (the bulk writer) read one pair or the other.
_last_second: tuple[int, str] = (0, "1970-01-01T00:00:00")


def utc_second(value: datetime) -> tuple[str, int]:
    """A UTC ``value``'s text to the second (``2021-06-02T17:28:35``, as isoformat writes it)
    and its microseconds. ``datetime.isoformat`` with its options and the ``replace`` that
    drops the zone took about 2 µs a time, a write's two times (the API's and the row's)
    most of that; the second's text is made once a second here."""
    global _last_second
    delta = value - _EPOCH
    second = delta.days * 86_400 + delta.seconds
    last = _last_second
    if last[0] != second:
        # isoformat pads the year to four digits; strftime("%Y") does not on glibc (year 58).
        last = _last_second = (second, value.replace(tzinfo=None, microsecond=0).isoformat())
    return last[1], delta.microseconds


# The last time sqlite_time wrote, and its text: a unit's records all carry its one write
# time (the same object), so its rows make the text once. A tuple, replaced whole: threads
# that build rows (the bulk writer) read one pair or the other, never half of each.
_last_time: tuple[datetime | None, str] = (None, "")


def sqlite_time(value: datetime) -> str:
    """``value`` as SQLAlchemy stores a DateTime on SQLite (naive UTC wall time, six
    fractional digits), for rows written on the driver; text of that shape sorts as its time
    does. UTC times (the generator's) skip ``astimezone``, a fifth of a seed's row work."""
    global _last_time
    last = _last_time
    if value is last[0]:
        return last[1]
    utc = value
    if utc.tzinfo is not UTC:
        utc = utc.astimezone(UTC) if utc.tzinfo else utc.replace(tzinfo=UTC)
    head, fraction = utc_second(utc)
    text = f"{head[:10]} {head[11:]}.{fraction:06d}"
    _last_time = (value, text)
    return text


def _reference_id(data: Mapping[str, Any], field: str) -> int | None:
    value = data.get(field)
    if value is None and field in NESTED_REFERENCES:
        nested = data.get(NESTED_REFERENCES[field])
        if nested is None:
            return None
        value = nested.get("id") if isinstance(nested, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _promoted(data: Mapping[str, Any]) -> tuple[Any, Any, Any, Any, Any]:
    """(customer_id, location_id, job_id, number, name) of a record's JSON."""
    number = data.get("number")
    if number is None:
        for alias in _NUMBER_ALIASES:
            number = data.get(alias)
            if number is not None:
                break
    name = data.get("name")
    return (
        _reference_id(data, "customerId"),
        _reference_id(data, "locationId"),
        _reference_id(data, "jobId"),
        None if number is None else str(number)[:100],
        None if name is None else str(name)[:400],
    )


def promoted_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The promoted columns of a record's JSON, by column name."""
    return dict(zip(_PROMOTED_COLUMNS, _promoted(data), strict=True))


def record_row(rec: Stored, text: str, now: datetime, *, sqlite: bool) -> Row:
    """The row of ``rec`` whose JSON, encoded, is ``text``; times missing from ``rec`` are
    ``now``. ``sqlite``: times as SQLite's text, for an insert on the driver (SQLAlchemy and
    asyncpg take datetimes)."""
    data: Any = rec.data
    if type(data) is not dict and not isinstance(data, Mapping):
        data = {}
    # The column follows the JSON, so a status change made to the data is what filters see.
    raw_status = data.get("status", data.get("jobStatus"))
    status = str(raw_status)[:100] if isinstance(raw_status, str) else rec.status
    created: Any = rec.created_on or now
    modified: Any = rec.modified_on or now
    if sqlite:
        same = created == modified
        created = sqlite_time(created)
        modified = created if same else sqlite_time(modified)
    return (
        rec.kind,
        rec.id,
        rec.parent_id,
        rec.guid,
        rec.active,
        rec.deleted,
        created,
        modified,
        *_promoted(data),
        status,
        text,
    )


def full_row(env: str, tenant_id: int, version: int, row: Row) -> tuple[Any, ...]:
    """``row`` with its environment, tenant and row version: the values of :data:`COLUMNS`."""
    return (env, tenant_id, *row[:8], version, *row[8:])


def row_mapping(env: str, tenant_id: int, version: int, row: Row) -> dict[str, Any]:
    """:func:`full_row` by column name, for SQLAlchemy's insert and update."""
    return dict(zip(COLUMNS, full_row(env, tenant_id, version, row), strict=True))
