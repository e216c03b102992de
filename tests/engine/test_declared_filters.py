"""Every query filter a list operation declares is applied: a walk over the manifest builds
each filter's SQL with a value of its declared type and fails on any that no rule turns into
a condition (nor names as a companion, a sort or a response option)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from engine_kit import connect, insert
from sqlalchemy import select

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.engine.collection_filters import KIND_RULES, answers
from localtitan.engine.list_filters import COMPANIONS, RESPONSE_OPTIONS, SORTING, concrete
from localtitan.engine.query import build_filters, sort_text
from localtitan.engine.related import related_filters
from localtitan.errors import ApiError
from localtitan.handling.catalog import catalog_for
from localtitan.operations import handler_for
from localtitan.spec import Operation, Parameter, load_manifest
from localtitan.store.tables import records

MANIFEST = load_manifest()
CATALOG = catalog_for(MANIFEST)
# Paging and the tenant are not filters; ``from`` is the export feeds' cursor.
_NOT_FILTERS = {"page", "pagesize", "includetotal", "tenant", "active", "from"}


def _lists() -> list[Operation]:
    found = []
    for op in MANIFEST.operations:
        if op.kind != "list" or op.path.endswith("}"):
            continue
        hit = handler_for(op)
        if hit is not None and hit.how == "generic":
            found.append(op)
    return found


def _samples(param: Parameter) -> list[Any]:
    """Values a client could send, already bound to the declared type."""
    schema = concrete(param.schema)
    types = schema.get("type") or []
    types = [types] if isinstance(types, str) else list(types)
    if "array" in types:
        item = concrete(schema.get("items") or {})
        if "object" in (item.get("type") or []):
            props = item.get("properties") or {}
            return [[{k: 5 if "id" in k.lower() else "Job" for k in props}]]
        return [[v] for v in _scalars(item, param.name)]
    if "object" in types:
        return [{"Colour": "Red"}]
    return _scalars(schema, param.name)


def _scalars(schema: Mapping[str, Any], name: str) -> list[Any]:
    types = schema.get("type") or []
    types = [types] if isinstance(types, str) else list(types)
    if schema.get("enum"):
        return list(schema["enum"])
    if schema.get("format") == "date-time":
        return [datetime(2024, 1, 1, tzinfo=UTC)]
    if schema.get("format") == "date":
        return [date(2024, 1, 1)]
    if "boolean" in types:
        return [True, False]
    if "integer" in types or "number" in types:
        return [5]
    return ["5"]


def _handled(op: Operation, param: Parameter) -> bool:
    coll = CATALOG.collection(op)
    key = param.name.lower()
    if key in RESPONSE_OPTIONS:
        return True
    principals = COMPANIONS.get(key)
    if principals is not None:
        return any(p.name.lower() in principals for p in op.parameters)
    if key in SORTING:
        return sort_text({param.name: "Name"}) is not None
    if key in answers(coll.kind) and key.startswith("includereviewswithout"):
        return True  # read with locationIds, campaignIds, technicianIds
    for value in _samples(param):
        query = {param.name: value}
        conds = build_filters("sqlite", query, coll.properties, has_active=False, kind=coll.kind)
        conds += related_filters("sqlite", "integration", 1, coll.kind, query)
        if conds:
            return True
    return False


def _declared() -> list[tuple[Operation, Parameter]]:
    return [
        (op, p)
        for op in _lists()
        for p in op.parameters
        if p.location == "query" and p.name.lower() not in _NOT_FILTERS
    ]


def test_every_declared_list_filter_has_a_rule() -> None:
    declared = _declared()
    assert len(declared) > 1000  # the walk sees the whole manifest
    unhandled = {(op.id, p.name) for op, p in declared if not _handled(op, p)}
    assert unhandled == set(), sorted(unhandled)


@pytest.mark.parametrize(
    ("op_id", "name"),
    [
        ("sales.Estimates_GetList", "status"),
        ("jpm.Jobs_GetList", "tagTypeIds"),
        ("crm.Customers_GetList", "externalDataKey"),
        ("inventory.Vendors_GetList", "customField.Fields"),
        ("pricebook.Services_GetList", "searchText"),
        ("marketingreputation.reviews", "reportType"),
        ("marketingreputation.reviews", "responseTypes"),
        ("marketingreputation.reviews", "reviewStatuses"),
        ("inventory.Transfers_GetList", "transferTypeIds"),
    ],
)
def test_filters_once_ignored_now_build_conditions(op_id: str, name: str) -> None:
    op = MANIFEST.by_id[op_id]
    (param,) = [p for p in op.parameters if p.name == name]
    assert _handled(op, param)


async def test_every_declared_filter_runs_on_the_database(app: LocalTitan) -> None:
    """Each filter's SQL, with every sample value, is valid on this backend (PostgreSQL
    checks types that SQLite lets pass)."""
    db = app.runtime.db
    failures = []
    async with db.read() as conn:
        for op, param in _declared():
            coll = CATALOG.collection(op)
            for value in _samples(param):
                query = {param.name: value}
                conds = build_filters(
                    db.dialect, query, coll.properties, has_active=False, kind=coll.kind
                )
                conds += related_filters(db.dialect, "integration", 1, coll.kind, query)
                stmt = select(records.c.id).where(records.c.kind == coll.kind, *conds).limit(1)
                try:
                    await conn.execute(stmt)
                except Exception as exc:  # collected: one report for every broken filter
                    failures.append(f"{op.id} {param.name}={value!r}: {exc}"[:300])
                    await conn.rollback()
    assert failures == [], "\n".join(failures[:20])


@pytest.mark.parametrize("value", ["abc", str(2**70), "1.5"])
def test_a_collection_rule_refuses_what_is_not_its_number_with_a_400(value: str) -> None:
    # Declared as text, these parameters reach a rule unchecked: a bad value is the client's
    # 400 naming the parameter, never a server error.
    refused = 0
    for kind, rules in KIND_RULES.items():
        for name in rules:
            try:
                related_filters("sqlite", "integration", 1, kind, {name: value})
            except ApiError as err:
                assert err.status == 400
                refused += 1
    assert refused > 5


async def _published(api: Any, params: dict[str, Any]) -> list[str]:
    body = await api.ok("marketingreputation.reviews", params=params)
    return [r["publishDate"] for r in body["data"]]


async def test_reviews_by_report_type_response_and_match(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """The review enums (docs/decisions/0180): reportType 1/2 verified or not, responseTypes
    1/2 replied or not, reviewStatuses 0 no job, 1-5 an unverified job, 6 verified."""
    api = await connect(client, creds)
    (job,) = await insert(app, creds, "jpm:jobs", [{"locationId": 501}])
    made = await insert(
        app,
        creds,
        "marketingreputation:reviews",
        [
            {
                "jobId": job["id"],
                "verificationStatus": True,
                "reviewResponse": "Thanks!",
                "publishDate": "2024-02-01T10:00:00Z",
            },
            {
                "jobId": job["id"],
                "verificationStatus": False,
                "reviewResponse": None,
                "publishDate": "2024-03-01T10:00:00Z",
            },
            {"verificationStatus": False, "publishDate": "2024-04-01T10:00:00Z"},
        ],
    )
    verified, suggested, loose = (r["publishDate"] for r in made)
    assert await _published(api, {"reportType": 1}) == [verified]
    assert await _published(api, {"reportType": 2}) == [suggested, loose]
    assert await _published(api, {"reportType": 0}) == [verified, suggested, loose]
    assert await _published(api, {"responseTypes": "1"}) == [verified]
    assert await _published(api, {"responseTypes": "2"}) == [suggested, loose]
    assert await _published(api, {"responseTypes": "1,2"}) == [verified, suggested, loose]
    assert await _published(api, {"reviewStatuses": "6"}) == [verified]
    assert await _published(api, {"reviewStatuses": "3"}) == [suggested]
    assert await _published(api, {"reviewStatuses": "0,6"}) == [verified, loose]
    refused = await api.call("marketingreputation.reviews", params={"reviewStatuses": "x"})
    assert refused.status_code == 400, refused.text


async def test_transfers_by_their_type_id(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """``transferTypeIds`` names ServiceTitan's prebuilt transfer types by localtitan's ids
    (1 Replenishment, 2 Standard, ...); a transfer holds its type's name."""
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "inventory:transfers",
        [{"transferType": "Replenishment"}, {"transferType": "Standard"}, {"transferType": "x"}],
    )
    restock, standard, _ = (t["id"] for t in made)

    async def ids(value: str) -> list[int]:
        body = await api.ok("inventory.Transfers_GetList", params={"transferTypeIds": value})
        return sorted(t["id"] for t in body["data"])

    assert await ids("1") == [restock]
    assert await ids("1,2") == sorted([restock, standard])
    assert await ids("99") == []
