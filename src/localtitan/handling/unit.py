"""The unit of work: one transaction for one tenant and environment, in which a handler loads,
changes and creates records; in read mode or write mode.

A **read unit** (:func:`reading`; GETs by default) runs on a read session: one snapshot, and no
write lock, so it neither waits for writers nor holds them up. A **write unit** (:func:`writing`)
holds the process's write turn and the tenant's counter from its start to its commit: ids, row
versions and its write time come from that counter (docs/decisions/0002), so row versions
commit in order for the export feed. What a write unit creates and saves is kept until the
unit next reads, or commits, and then written in one statement per kind of change (the insert
of everything new, the update of everything changed), after the counter is written back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from localtitan.handling.call import Call, Result
from localtitan.handling.external_data import unwrap_external_data
from localtitan.handling.responses import catalog, not_found
from localtitan.handling.shaping import fill_record
from localtitan.store.counters import Counter, settle, take
from localtitan.store.records import Stored, format_time
from localtitan.store.sessions import Session
from localtitan.store.unit_records import (
    find_guid,
    get_record,
    insert_records,
    live_records,
    update_records,
)

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "ReadOnlyUnit",
    "Tx",
    "ids_of",
    "reading",
    "transaction",
    "writing",
]

# ServiceTitan ids are .NET Int64; a larger number names no record and cannot be bound in SQL.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The most ids one ``ids=`` lookup takes.
MAX_IDS = 50

_READS = frozenset({"GET", "HEAD"})


class ReadOnlyUnit(RuntimeError):
    """A read unit was asked to write: the operation must run in a write unit."""


class Tx:
    """One unit of work for one tenant and environment.

    ``now`` is a write unit's write time, taken from the tenant's counter when the unit starts:
    every record it creates or saves carries it as createdOn/modifiedOn, and it is after every
    earlier commit's (docs/decisions/0002). A read unit's ``now`` is the clock's."""

    def __init__(self, call: Call, session: Session, counter: Counter | None = None) -> None:
        self.call = call
        self.session = session
        self.env = call.environment.value
        self.tenant = call.tenant_id
        self.counter = counter
        self.now = counter.stamp if counter is not None else datetime.now(UTC)
        self.catalog = catalog(call)
        # ``now`` as the API writes it, made once (every record the unit writes carries it).
        self._stamp: str | None = None
        # (kind, id) -> (record, its row version), written at the next read or the commit.
        self._new: dict[tuple[str, int], tuple[Stored, int]] = {}
        self._changed: dict[tuple[str, int], tuple[Stored, int]] = {}
        # Every record this unit created, by id: ids are the tenant's counter's, so no record
        # committed before this unit sits under one of them (see children()).
        self._created: dict[int, Stored] = {}

    # ------------------------------------------------------------ reads

    async def get(self, kind: str, record_id: Any, what: str | None = None) -> Stored:
        found = await self.find(kind, record_id)
        if found is None:
            raise not_found(what or kind.split(":")[-1].rstrip("s").title(), record_id)
        return found

    async def find(self, kind: str, record_id: Any) -> Stored | None:
        rid = _int(record_id)
        if rid is None:
            return None
        await self.flush()
        return await get_record(self.session, self.env, self.tenant, kind, rid)

    async def find_by_guid(self, kind: str, ident: Any) -> Stored | None:
        """The live record of ``kind`` whose GUID is ``ident`` (any case)."""
        await self.flush()
        rid = await find_guid(self.session, self.env, self.tenant, kind, str(ident).strip().lower())
        return await self.find(kind, rid) if rid is not None else None

    async def children(
        self, kind: str, parent_id: int | None = None, **fields: Any
    ) -> list[Stored]:
        """Live records of ``kind`` (under ``parent_id``), optionally matching promoted fields
        (``job_id=...``), in id order."""
        if parent_id is not None and not fields and parent_id in self._created:
            # Under a parent this unit created: only what the unit itself created there.
            return sorted(
                (
                    r
                    for r in self._created.values()
                    if r.kind == kind and r.parent_id == parent_id and not r.deleted
                ),
                key=lambda r: r.id,
            )
        if parent_id is not None:
            fields["parent_id"] = parent_id
        await self.flush()
        # created_on travels with each record: saving it writes every column back.
        return await live_records(self.session, self.env, self.tenant, kind, columns=fields)

    # ------------------------------------------------------------ writes

    def _counter(self) -> Counter:
        if self.counter is None:
            raise ReadOnlyUnit(f"{self.call.operation.id} writes: run it in a write unit")
        return self.counter

    def new_ids(self, count: int = 1) -> int:
        """Reserve ``count`` ids from the tenant's counter (for entries that are not records:
        a history entry, a stored file); the first of them."""
        return self._counter().ids(count)

    @property
    def stamp(self) -> str:
        """``now`` as the API writes times (createdOn, modifiedOn)."""
        if self._stamp is None:
            self._stamp = format_time(self.now)
        return self._stamp

    async def save(self, rec: Stored) -> Stored:
        if "modifiedOn" in rec.data:
            rec.data["modifiedOn"] = self.stamp
        rec.modified_on = self.now
        coll = self.catalog.collections.get(rec.kind)
        if coll is not None and coll.properties:
            rec.data = fill_record(self.catalog.manifest, coll, rec.data)
        return self.put(rec, new=False)

    def put(self, rec: Stored, *, new: bool) -> Stored:
        """Write ``rec`` as it is, with the next row version: inserted when ``new``, else
        replacing the stored record (for a handler that shapes its record itself)."""
        version = self._counter().version()
        key = (rec.kind, rec.id)
        if new or rec.id in self._created:
            self._created[rec.id] = rec
        if new or key in self._new:
            # Created by this unit and not yet written: its insert carries the change.
            self._new[key] = (rec, version)
        else:
            self._changed[key] = (rec, version)
        return rec

    async def create(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        parent_id: int | None = None,
        record_id: int | None = None,
    ) -> Stored:
        """A new record of ``kind``, filled to its stored shape; its id is the next of the
        tenant's counter, or ``record_id``, one :meth:`new_ids` reserved for it (a record
        whose data names records created after its id was known)."""
        if record_id is None:
            record_id = self._counter().ids(1)
        coll = self.catalog.collections.get(kind)
        guid = str(uuid.uuid4()) if coll is not None and coll.id_is_guid else None
        stamp = self.stamp
        # A body's {applicationGuid, externalData: [...]}, if it has one, as the stored list;
        # most have none, and their data goes in as it is (what unwrapping would copy).
        fields = data if data.get("externalData") is None else unwrap_external_data(data)
        full = {
            "active": True,
            "createdOn": stamp,
            "modifiedOn": stamp,
            "createdById": self.call.app_id,
            "modifiedById": self.call.app_id,
            **fields,
            "id": guid or record_id,
        }
        # A kind no operation reads as a record (settings kept by a behaviour) keeps its data.
        if coll is not None and coll.properties:
            full = fill_record(self.catalog.manifest, coll, full)
        rec = Stored(
            kind,
            record_id,
            full,
            parent_id=parent_id,
            guid=guid,
            active=bool(full.get("active", True)),
            created_on=self.now,
            modified_on=self.now,
        )
        return self.put(rec, new=True)

    async def flush(self, *, last: bool = False) -> None:
        """Write what this unit created and changed, so that its next statement sees it; the
        ``last`` flush, before the commit, writes the counter back too."""
        counter = self.counter if last else None
        settled = False
        if self._changed:
            changed, self._changed = self._changed, {}
            await update_records(self.session, self.env, self.tenant, changed.values())
        if self._new:
            new, self._new = self._new, {}
            moved = counter is not None and counter.moved
            settled = await insert_records(
                self.session,
                self.env,
                self.tenant,
                new.values(),
                settle=(counter.next_id, counter.row_version) if counter and moved else None,
            )
        if counter is not None:
            if settled:
                counter.settled()
            else:
                await settle(self.session, counter)

    async def _finish(self) -> None:
        self.session.finishing()
        await self.flush(last=True)


@asynccontextmanager
async def reading(call: Call) -> AsyncIterator[Tx]:
    """A read unit: a snapshot of the call's tenant and environment, no write lock."""
    async with call.runtime.db.reading() as session:
        yield Tx(call, session)


@asynccontextmanager
async def writing(call: Call) -> AsyncIterator[Tx]:
    """A write unit. The counter is taken first: it orders the write among the tenant's and
    gives its time, before anything reads ``tx.now``. Commits when the block ends without an
    error; an error (a 400 or 404 raised by the handler) rolls everything back."""
    env = call.environment.value
    async with call.runtime.db.writing((env, call.tenant_id)) as session:
        counter = await take(session, env, call.tenant_id)
        tx = Tx(call, session, counter)
        yield tx
        await tx._finish()


async def transaction(
    call: Call, work: Callable[[Tx], Awaitable[Result]], *, write: bool | None = None
) -> Result:
    """Run ``work`` in one unit: a read unit for GET and HEAD unless ``write`` says otherwise
    (a behaviour that only reads passes ``write=False``)."""
    if write is None:
        write = call.operation.method not in _READS
    if not write:
        async with call.runtime.db.reading() as session:
            return await work(Tx(call, session))
    # writing(), written out: one context manager fewer on every write request.
    env = call.environment.value
    async with call.runtime.db.writing((env, call.tenant_id)) as session:
        counter = await take(session, env, call.tenant_id)
        tx = Tx(call, session, counter)
        result = await work(tx)
        await tx._finish()
        return result


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
