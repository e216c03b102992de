"""Stored files (table ``blobs``): the bytes of uploads, and what their downloads read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localtitan.store.drivers import DriverReads, Reads, Sql
from localtitan.store.sessions import Session

__all__ = ["Blob", "blob_exists", "put_blob", "read_blob", "unit_blob"]

# Column widths of ``blobs``.
_MAX_TYPE = 200

_INSERT = Sql.of(
    "INSERT INTO blobs (environment, tenant_id, id, content_type, file_name, data, created_on)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_EXISTS = Sql.of("SELECT id FROM blobs WHERE environment = ? AND tenant_id = ? AND id = ?")
_READ = Sql.of(
    "SELECT content_type, file_name, data FROM blobs"
    " WHERE environment = ? AND tenant_id = ? AND id = ?"
)


@dataclass(frozen=True)
class Blob:
    content_type: str
    file_name: str
    data: bytes


async def put_blob(
    session: Session,
    env: str,
    tenant_id: int,
    blob_id: int,
    *,
    content_type: str,
    file_name: str,
    data: bytes,
) -> None:
    now = datetime.now(UTC)
    created = now if session.dialect == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    await session.execute(
        _INSERT, (env, tenant_id, blob_id, content_type[:_MAX_TYPE], file_name, data, created)
    )


async def blob_exists(session: Session, env: str, tenant_id: int, blob_id: int) -> bool:
    return await session.value(_EXISTS, (env, tenant_id, blob_id)) is not None


def _blob(row: Sequence[Any]) -> Blob:
    content_type, file_name, data = row
    return Blob(_text(content_type), _text(file_name or ""), bytes(data))


async def unit_blob(session: Session, env: str, tenant_id: int, blob_id: int) -> Blob | None:
    """A stored file, in a unit of work."""
    rows = await session.rows(_READ, (env, tenant_id, blob_id))
    return _blob(rows[0]) if rows else None


async def read_blob(driver: DriverReads, env: str, tenant_id: int, blob_id: int) -> Blob | None:
    """A stored file, for a download link. Off the event loop's thread on SQLite: a file can be
    megabytes."""

    async def read(r: Reads) -> Blob | None:
        rows = await r.rows(_READ, (env, tenant_id, blob_id))
        return _blob(rows[0]) if rows else None

    return await driver.read(read, short=False)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
