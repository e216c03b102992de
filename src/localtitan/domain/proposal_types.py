"""Proposal types (Sales): how a proposal's options behave (progressive or additive) and the
options they offer, read from the tenant's records, with the ``active`` filter."""

from __future__ import annotations

from typing import Any

from localtitan.handling import Tx, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["PROPOSAL_TYPES"]

# No operation creates proposal types; the seed or the store holds them.
PROPOSAL_TYPES = "sales:proposal-types"


def _view(rec: Stored) -> dict[str, Any]:
    d = rec.data
    raw = d.get("options")
    options: list[Any] = raw if isinstance(raw, list) else []
    return {
        "id": rec.id,
        "name": d.get("name") or "",
        "type": d.get("type") if d.get("type") in ("Progressive", "Additive") else "Additive",
        "active": rec.active,
        "isSystemDefault": bool(d.get("isSystemDefault")),
        "isDefault": bool(d.get("isDefault")),
        # Options in the order the proposal shows them.
        "options": sorted(
            (o for o in options if isinstance(o, dict)),
            key=lambda o: o.get("order") if isinstance(o.get("order"), int) else 0,
        ),
    }


@register("sales.ProposalTypes_Get")
async def proposal_types(call: Call) -> Result:
    choice = str(call.query.get("active") or "True").lower()

    async def work(tx: Tx) -> Result:
        found = await tx.children(PROPOSAL_TYPES)
        if choice == "true":
            found = [r for r in found if r.active]
        elif choice == "false":
            found = [r for r in found if not r.active]
        return respond(call, {"data": [_view(r) for r in found]})

    return await transaction(call, work)
