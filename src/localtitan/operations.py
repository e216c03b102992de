"""The composition root: one dispatch table from operation id to the handler that serves it.

Each behaviour module (``localtitan.domain``) exports ``HANDLERS``, its own operations and their
handlers. Every other operation of the manifest gets the generic handler of its kind
(``localtitan.engine.generic``); one with neither answers 501 (``localtitan.api``). The table is
built once per process and manifest, when the runtime starts, and checked: an id that names no
operation, or an operation served twice, stops the start with a message naming it.

This is the only module that imports both the engine and the domain package.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import NamedTuple

from localtitan.domain import (
    attachments,
    bookings,
    bookkeeping,
    budget_codes,
    business_hours,
    capacity,
    contact_relationships,
    crm,
    dispatch,
    invoice_items,
    job_equipment,
    job_reasons,
    journal_entry_sync,
    jpm,
    marketing_costs,
    people,
    pricebook_bulk,
    proposal_types,
    reporting,
    sales,
    scheduler_performance,
    task_client_data,
)
from localtitan.engine.generic import generic_handler
from localtitan.handling.call import Handler
from localtitan.handling.table import Handlers, HandlerTableError, handler_name
from localtitan.spec import Manifest, Operation, load_manifest

__all__ = [
    "BEHAVIOURS",
    "HandlerTableError",
    "OperationTable",
    "Served",
    "build_table",
    "handler_for",
    "implemented_operations",
    "table_for",
]

# Every behaviour module's table; a new module joins here.
BEHAVIOURS: tuple[Handlers, ...] = (
    attachments.HANDLERS,
    bookings.HANDLERS,
    bookkeeping.HANDLERS,
    budget_codes.HANDLERS,
    business_hours.HANDLERS,
    capacity.HANDLERS,
    contact_relationships.HANDLERS,
    crm.HANDLERS,
    dispatch.HANDLERS,
    invoice_items.HANDLERS,
    job_equipment.HANDLERS,
    job_reasons.HANDLERS,
    journal_entry_sync.HANDLERS,
    jpm.HANDLERS,
    marketing_costs.HANDLERS,
    people.HANDLERS,
    pricebook_bulk.HANDLERS,
    proposal_types.HANDLERS,
    reporting.HANDLERS,
    sales.HANDLERS,
    scheduler_performance.HANDLERS,
    task_client_data.HANDLERS,
)

BEHAVIOUR = "behaviour"
GENERIC = "generic"


class Served(NamedTuple):
    """How one operation is served: its handler, and ``"behaviour"`` or ``"generic"``."""

    handler: Handler
    how: str


class OperationTable(dict[str, Served]):
    """operation id -> how it is served, for the operations that have a handler (a plain dict:
    the door looks an operation up on every request)."""

    def __init__(self, served: dict[str, Served], generic: dict[str, Handler]) -> None:
        super().__init__(served)
        self._generic = generic

    def generic(self, op: Operation) -> Handler | None:
        """The generic handler of ``op``'s kind, also where a behaviour serves ``op``: a
        behaviour that only adjusts the request (an estimate's status) then hands over to it."""
        return self._generic.get(op.id)

    def implemented(self) -> dict[str, str]:
        """operation id -> ``"behaviour"`` | ``"generic"``."""
        return {op_id: served.how for op_id, served in self.items()}


def _unknown(op_id: str, module: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(op_id, list(known), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return (
        f"{module} serves {op_id}, which is no operation in the manifest "
        f"(ids are <module>.<operationId>, e.g. jpm.Jobs_Cancel){hint}"
    )


def build_table(manifest: Manifest, behaviours: Iterable[Handlers]) -> OperationTable:
    """Check ``behaviours`` against ``manifest`` and fill the rest with generic handlers.

    Raises :class:`HandlerTableError` naming every id that names no operation and every
    operation served by two modules."""
    by_id = manifest.by_id
    chosen: dict[str, tuple[Handler, str]] = {}
    problems: list[str] = []
    for table in behaviours:
        for op_id, fn in table.items():
            if op_id not in by_id:
                problems.append(_unknown(op_id, table.module, by_id))
                continue
            first = chosen.get(op_id)
            if first is not None:
                problems.append(
                    f"{op_id} is served twice: by {handler_name(first[0])} ({first[1]}) "
                    f"and by {handler_name(fn)} ({table.module})"
                )
                continue
            chosen[op_id] = (fn, table.module)
    if problems:
        raise HandlerTableError(
            "The dispatch table does not fit the manifest:\n  " + "\n  ".join(problems)
        )
    served: dict[str, Served] = {}
    generic: dict[str, Handler] = {}
    for op in manifest.operations:
        fallback = generic_handler(op)
        if fallback is not None:
            generic[op.id] = fallback
        if op.id in chosen:
            served[op.id] = Served(chosen[op.id][0], BEHAVIOUR)
        elif fallback is not None:
            served[op.id] = Served(fallback, GENERIC)
    return OperationTable(served, generic)


_CACHE_KEY = "operations.table"


def table_for(manifest: Manifest) -> OperationTable:
    """The dispatch table of ``manifest``, built on first use and kept with it."""
    found = manifest.cache.get(_CACHE_KEY)
    if not isinstance(found, OperationTable):
        found = manifest.cache[_CACHE_KEY] = build_table(manifest, BEHAVIOURS)
    return found


def handler_for(operation: Operation) -> Served | None:
    """How ``operation`` of the packaged manifest is served, or None (it answers 501)."""
    return table_for(load_manifest()).get(operation.id)


def implemented_operations(operations: Iterable[Operation]) -> dict[str, str]:
    """operation id -> ``"behaviour"`` | ``"generic"`` for each of ``operations`` served."""
    table = table_for(load_manifest())
    return {op.id: table[op.id].how for op in operations if op.id in table}
