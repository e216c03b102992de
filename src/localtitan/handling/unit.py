"""The unit of work: one transaction for one tenant and environment, in which a handler loads,
changes and creates records."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from localtitan.handling.call import Call, Result
from localtitan.handling.external_data import unwrap_external_data
from localtitan.handling.responses import catalog, not_found
from localtitan.handling.shaping import fill_record
from localtitan.store.records import (
    Allocation,
    Stored,
    allocate,
    decode,
    format_time,
    get_record,
    key_filter,
    put_record,
)
from localtitan.store.tables import records

__all__ = ["INT64_MAX", "INT64_MIN", "Tx", "ids_of", "transaction"]

# ServiceTitan ids are .NET Int64; a larger number names no record and cannot be bound in SQL.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The most ids one ``ids=`` lookup takes.
MAX_IDS = 50

_READS = frozenset({"GET", "HEAD"})


class Tx:
    """One write transaction for one tenant and environment.

    ``now`` is the transaction's write time, taken from the tenant's counter when the
    transaction starts (:func:`transaction`): every record it creates or saves carries it as
    createdOn/modifiedOn, and it is after every earlier commit's (docs/decisions/0002). A
    reading transaction starts without one; its first write takes it."""

    def __init__(self, call: Call, conn: AsyncConnection, now: datetime | None = None) -> None:
        self.call = call
        self.conn = conn
        self.env = call.environment.value
        self.tenant = call.tenant_id
        self._stamped = now is not None
        self.now = now if now is not None else datetime.now(UTC)
        self.catalog = catalog(call)

    def _stamp(self, alloc: Allocation) -> None:
        if not self._stamped:
            self.now, self._stamped = alloc.stamp, True

    async def get(self, kind: str, record_id: Any, what: str | None = None) -> Stored:
        rid = _int(record_id)
        found = None
        if rid is not None:
            found = await get_record(self.conn, self.env, self.tenant, kind, rid)
        if found is None:
            raise not_found(what or kind.split(":")[-1].rstrip("s").title(), record_id)
        return found

    async def find(self, kind: str, record_id: Any) -> Stored | None:
        rid = _int(record_id)
        if rid is None:
            return None
        return await get_record(self.conn, self.env, self.tenant, kind, rid)

    async def children(
        self, kind: str, parent_id: int | None = None, **fields: Any
    ) -> list[Stored]:
        """Live records of ``kind`` (under ``parent_id``), optionally matching promoted fields."""
        stmt = select(
            records.c.id,
            records.c.parent_id,
            records.c.guid,
            records.c.active,
            records.c.created_on,
            records.c.data,
        ).where(key_filter(self.env, self.tenant, kind), records.c.deleted.is_(False))
        if parent_id is not None:
            stmt = stmt.where(records.c.parent_id == parent_id)
        for column, value in fields.items():
            stmt = stmt.where(records.c[column] == value)
        rows = (await self.conn.execute(stmt.order_by(records.c.id))).all()
        # created_on must travel with the record: saving it writes every column back.
        return [
            Stored(
                kind,
                r.id,
                decode(r.data),
                r.parent_id,
                guid=r.guid,
                active=r.active,
                created_on=_aware(r.created_on),
            )
            for r in rows
        ]

    async def save(self, rec: Stored) -> Stored:
        alloc = await allocate(self.conn, self.env, self.tenant, versions=1)
        self._stamp(alloc)
        if "modifiedOn" in rec.data:
            rec.data["modifiedOn"] = format_time(self.now)
        rec.modified_on = self.now
        coll = self.catalog.collections.get(rec.kind)
        if coll is not None and coll.properties:
            rec.data = fill_record(self.catalog.manifest, coll, rec.data)
        await put_record(
            self.conn, self.env, self.tenant, rec, version=alloc.first_version, new=False
        )
        return rec

    async def create(
        self, kind: str, data: Mapping[str, Any], *, parent_id: int | None = None
    ) -> Stored:
        alloc = await allocate(self.conn, self.env, self.tenant, ids=1, versions=1)
        self._stamp(alloc)
        coll = self.catalog.collections.get(kind)
        guid = str(uuid.uuid4()) if coll is not None and coll.id_is_guid else None
        stamp = format_time(self.now)
        full = {
            "active": True,
            "createdOn": stamp,
            "modifiedOn": stamp,
            "createdById": self.call.app_id,
            "modifiedById": self.call.app_id,
            **unwrap_external_data(data),  # a body's {applicationGuid, externalData: [...]}
            "id": guid or alloc.first_id,
        }
        # A kind no operation reads as a record (settings kept by a behaviour) keeps its data.
        if coll is not None and coll.properties:
            full = fill_record(self.catalog.manifest, coll, full)
        rec = Stored(
            kind,
            alloc.first_id,
            full,
            parent_id=parent_id,
            guid=guid,
            active=bool(full.get("active", True)),
            created_on=self.now,
            modified_on=self.now,
        )
        await put_record(
            self.conn, self.env, self.tenant, rec, version=alloc.first_version, new=True
        )
        return rec


async def transaction(call: Call, work: Callable[[Tx], Awaitable[Result]]) -> Result:
    async with call.runtime.db.begin() as conn:
        if call.operation.method in _READS:
            return await work(Tx(call, conn))
        # A write takes the counter first: it orders the write among the tenant's and gives
        # its time, before anything reads tx.now.
        alloc = await allocate(conn, call.environment.value, call.tenant_id, versions=0)
        return await work(Tx(call, conn, alloc.stamp))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _int(value: Any) -> int | None:
    """The record id in ``value``; None when it is no int64 (no record has such an id)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            return None
    return number if INT64_MIN <= number <= INT64_MAX else None


def ids_of(items: Sequence[Any], key: str) -> list[int]:
    out = []
    for item in items:
        value = item.get(key) if isinstance(item, Mapping) else item
        rid = _int(value)
        if rid is not None:
            out.append(rid)
    return out
