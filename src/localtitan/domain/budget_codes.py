"""Budget codes of the work breakdown structure: a code binds one item of each cost segment
(cost code, cost type, ...). Full codes bind every active segment, partial codes at least the
required ones; matching tells which codes a client holds are known (docs/decisions/0150)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from localtitan.handling import Tx, bad_request, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["CODES", "ITEMS", "SEGMENTS", "code_of"]

SEGMENTS = "jpm:work-breakdown-structure/segments"
ITEMS = "jpm:work-breakdown-structure/segments/{}/items"
CODES = "jpm:work-breakdown-structure/budget-codes"
PROJECT_CODES = "jpm:work-breakdown-structure/projects/{}/budget-codes"
PROJECTS = "jpm:projects"
MAX_BATCH = 500
MAX_MATCH = 500
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000
# What joins the codes and descriptions of a code's segment items ("01-100-L").
CODE_SEPARATOR = "-"
DESCRIPTION_SEPARATOR = " - "


def _segment_view(rec: Stored) -> dict[str, Any]:
    d = rec.data
    return {
        "id": rec.id,
        "name": d.get("name") or "",
        "type": d.get("type") or "None",
        "structure": d.get("structure") or "Flat",
        "isActive": bool(d.get("isActive", d.get("active", True))),
        "isRequired": bool(d.get("isRequired", False)),
    }


async def _segments(tx: Tx) -> list[Stored]:
    return await tx.children(SEGMENTS)


def _page(call: Call, items: list[Any]) -> list[Any]:
    page = call.query.get("page")
    size = call.query.get("pageSize")
    page = 1 if page is None else page
    size = DEFAULT_PAGE_SIZE if size is None else size
    if page < 1:
        raise bad_request("page", "The page must be 1 or more.")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise bad_request("pageSize", f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    start = (page - 1) * size
    return items[start : start + size]


async def _project(tx: Tx, project_id: Any) -> Stored:
    return await tx.get(PROJECTS, project_id, "Project")


@register("jpm.BudgetCodes_ListCompanySegments")
async def list_company_segments(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        views = [_segment_view(s) for s in await _segments(tx)]
        return respond(call, {"data": _page(call, views)})

    return await transaction(call, work)


@register("jpm.BudgetCodes_ListProjectSegments")
async def list_project_segments(call: Call) -> Result:
    # A project's codes are built from the company's segments (ServiceTitan has one segment
    # structure per tenant); the project must exist.
    async def work(tx: Tx) -> Result:
        await _project(tx, call.path.get("projectId"))
        views = [_segment_view(s) for s in await _segments(tx)]
        return respond(call, {"data": _page(call, views)})

    return await transaction(call, work)


# ---------------------------------------------------------------- creating codes


def code_of(bindings: Sequence[tuple[Stored, Stored | None]]) -> dict[str, Any]:
    """The budget code model for segment -> item bindings in segment order."""
    bound = [item for _, item in bindings if item is not None]
    return {
        "code": CODE_SEPARATOR.join(str(i.data.get("code") or "") for i in bound),
        "description": DESCRIPTION_SEPARATOR.join(
            str(i.data.get("description") or "") for i in bound
        ),
        "segments": [
            {
                "segmentId": seg.id,
                "segmentItemId": item.id if item is not None else None,
                "code": item.data.get("code") if item is not None else None,
                "description": item.data.get("description") if item is not None else None,
                "path": item.data.get("path") if item is not None else None,
            }
            for seg, item in bindings
        ],
    }


async def _create_code(
    tx: Tx, wanted: Mapping[int, int | None], where: str, *, full: bool
) -> dict[str, Any]:
    """Validate one code's segment -> item choice and store it (or return the code that
    already binds the same items: a code is its combination of items)."""
    segments = [s for s in await _segments(tx) if _segment_view(s)["isActive"]]
    by_id = {s.id: s for s in segments}
    for segment_id in wanted:
        if segment_id not in by_id:
            raise bad_request(where, f"There is no active segment with ID {segment_id}.")
    bindings: list[tuple[Stored, Stored | None]] = []
    for seg in segments:
        item_id = wanted.get(seg.id)
        if item_id is None:
            if full or _segment_view(seg)["isRequired"]:
                raise bad_request(
                    where, f"The segment '{seg.data.get('name')}' needs one of its items."
                )
            bindings.append((seg, None))
            continue
        item = await tx.find(ITEMS, item_id)
        if item is None or item.parent_id != seg.id:
            raise bad_request(where, f"There is no item with ID {item_id} in segment {seg.id}.")
        if item.data.get("isActive") is False:
            raise bad_request(where, f"The segment item {item_id} is inactive.")
        bindings.append((seg, item))
    if all(item is None for _, item in bindings):
        raise bad_request(where, "A budget code binds at least one segment item.")
    model = code_of(bindings)
    key = _binding_key(model["segments"])
    for existing in await tx.children(CODES):
        if _binding_key(existing.data.get("segments") or []) == key:
            return {**existing.data, "id": existing.id}
    rec = await tx.create(CODES, model)
    return {**rec.data, "id": rec.id}


def _binding_key(segments: Sequence[Any]) -> frozenset[tuple[Any, Any]]:
    return frozenset(
        (s.get("segmentId"), s.get("segmentItemId"))
        for s in segments
        if isinstance(s, Mapping) and s.get("segmentItemId") is not None
    )


def _full_item_ids(args: Any, where: str) -> list[int]:
    if not isinstance(args, Mapping) or not isinstance(args.get("segmentItemIds"), list):
        raise bad_request(f"{where}.segmentItemIds", "The segmentItemIds field is required.")
    ids = args["segmentItemIds"]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise bad_request(f"{where}.segmentItemIds", "Segment item ids are integers.")
    return list(ids)


async def _full_to_segments(tx: Tx, item_ids: Sequence[int], where: str) -> dict[int, int | None]:
    wanted: dict[int, int | None] = {}
    for item_id in item_ids:
        item = await tx.find(ITEMS, item_id)
        if item is None or item.parent_id is None:
            raise bad_request(where, f"There is no segment item with ID {item_id}.")
        if item.parent_id in wanted:
            raise bad_request(where, f"Two items of segment {item.parent_id} were given.")
        wanted[item.parent_id] = item.id
    return wanted


def _partial_choice(args: Any, where: str) -> dict[int, int | None]:
    if not isinstance(args, Mapping) or not isinstance(args.get("segments"), list):
        raise bad_request(f"{where}.segments", "The segments field is required.")
    wanted: dict[int, int | None] = {}
    for n, binding in enumerate(args["segments"]):
        spot = f"{where}.segments[{n}]"
        if not isinstance(binding, Mapping):
            raise bad_request(spot, "Each segment is an object with a segmentId.")
        segment_id = binding.get("segmentId")
        item_id = binding.get("segmentItemId")
        if not isinstance(segment_id, int) or isinstance(segment_id, bool):
            raise bad_request(f"{spot}.segmentId", "The segmentId field is required.")
        if item_id is not None and (not isinstance(item_id, int) or isinstance(item_id, bool)):
            raise bad_request(f"{spot}.segmentItemId", "The segment item id is an integer.")
        if segment_id in wanted:
            raise bad_request(spot, f"The segment {segment_id} was given twice.")
        wanted[segment_id] = item_id
    return wanted


def _batch_body(call: Call) -> list[Any]:
    """The batch documents declare no body; clients send a JSON array of the single-code
    arguments (an object holding one such array is taken too)."""
    body = call.body
    if body is None and call.raw_body:
        try:
            body = msgspec.json.decode(call.raw_body)
        except msgspec.DecodeError:
            raise bad_request("$", "The request body is not valid JSON.") from None
    if isinstance(body, Mapping):
        lists = [v for v in body.values() if isinstance(v, list)]
        body = lists[0] if len(lists) == 1 else None
    if not isinstance(body, list) or not body:
        raise bad_request("$", "Send a JSON array of budget codes to create.")
    if len(body) > MAX_BATCH:
        raise bad_request("$", f"At most {MAX_BATCH} budget codes per request.")
    return body


@register("jpm.BudgetCodes_CreateBudgetCode")
async def create_budget_code(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        ids = _full_item_ids(call.body, "$")
        wanted = await _full_to_segments(tx, ids, "segmentItemIds")
        code = await _create_code(tx, wanted, "segmentItemIds", full=True)
        return respond(call, {"code": code})

    return await transaction(call, work)


@register("jpm.BudgetCodes_CreateBudgetCodePartial")
async def create_budget_code_partial(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        wanted = _partial_choice(call.body, "$")
        code = await _create_code(tx, wanted, "segments", full=False)
        return respond(call, {"code": code})

    return await transaction(call, work)


@register("jpm.BudgetCodes_CreateBudgetCodesBatch")
async def create_budget_codes_batch(call: Call) -> Result:
    batch = _batch_body(call)

    async def work(tx: Tx) -> Result:
        codes = []
        for n, args in enumerate(batch):
            where = f"[{n}]"
            ids = _full_item_ids(args, where)
            wanted = await _full_to_segments(tx, ids, f"{where}.segmentItemIds")
            codes.append(await _create_code(tx, wanted, f"{where}.segmentItemIds", full=True))
        return respond(call, {"codes": codes})

    return await transaction(call, work)


@register("jpm.BudgetCodes_CreateBudgetCodesPartialBatch")
async def create_budget_codes_partial_batch(call: Call) -> Result:
    batch = _batch_body(call)

    async def work(tx: Tx) -> Result:
        codes = []
        for n, args in enumerate(batch):
            where = f"[{n}]"
            wanted = _partial_choice(args, where)
            codes.append(await _create_code(tx, wanted, f"{where}.segments", full=False))
        return respond(call, {"codes": codes})

    return await transaction(call, work)


# ---------------------------------------------------------------- matching


def _codes_asked(call: Call) -> list[str]:
    raw = call.query.get("codes")
    asked = [raw] if isinstance(raw, str) else list(raw or [])
    # "codes=A,B" as one value is the same question as codes=A&codes=B.
    out = [part.strip() for value in asked for part in str(value).split(",") if part.strip()]
    if not out:
        raise bad_request("codes", "The codes field is required.")
    if len(out) > MAX_MATCH:
        raise bad_request("codes", f"At most {MAX_MATCH} codes per request.")
    return out


def _matches(asked: list[str], known: list[Stored]) -> dict[str, Any]:
    by_code: dict[str, list[dict[str, Any]]] = {}
    for rec in known:
        if rec.data.get("active") is False:
            continue
        by_code.setdefault(str(rec.data.get("code") or "").lower(), []).append(
            {**rec.data, "id": rec.id}
        )
    results = []
    for code in asked:
        found = by_code.get(code.lower(), [])
        results.append({"code": code, "isValid": bool(found), "budgetCodes": found})
    return {"matches": results}


@register("jpm.BudgetCodes_MatchCompanyBudgetCodes")
async def match_company_budget_codes(call: Call) -> Result:
    asked = _codes_asked(call)

    async def work(tx: Tx) -> Result:
        return respond(call, _matches(asked, await tx.children(CODES)))

    return await transaction(call, work)


@register("jpm.BudgetCodes_MatchProjectBudgetCodes")
async def match_project_budget_codes(call: Call) -> Result:
    asked = _codes_asked(call)

    async def work(tx: Tx) -> Result:
        project = await _project(tx, call.path.get("projectId"))
        known = await tx.children(PROJECT_CODES, project.id)
        return respond(call, _matches(asked, known))

    return await transaction(call, work)
