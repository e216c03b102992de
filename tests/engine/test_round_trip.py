"""Round trip of every module's collections, driven by the manifest.

For each collection: create (or insert directly, where the API has no create operation) ->
get returns every declared field with its JSON type -> list finds it by ``ids=`` and by the
created/modified date filters -> paging one record at a time ends -> PATCH merges / PUT
replaces, with a later ``modifiedOn`` -> the export feed reports it, and the new version when
continued -> delete makes get a 404 in ServiceTitan's error shape while the export still
reports the record.

Modules with no create operation whose records a client can read back, tested on records
inserted directly (``insert``): forms, jbce, marketingreputation, reporting, schedulingpro,
service-agreements, telecom, plus the read-only collections of the other modules listed with
``direct=True`` (business units, customer memberships, activity types...). marketingads' create
operations have no read counterpart: its lists are tested on inserted records and its creates
only for a 2xx answer. customer-interactions creates ratings but has no get: they are read back
through its list and export. Creates that answer no id (journal entries, job notes, shifts)
are found the way a client would, as the new record in the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from engine_kit import (
    Api,
    BodyBuilder,
    World,
    collection,
    connect,
    created_id,
    insert,
    operation,
    ops_of,
    parse_z,
    properties,
    record_schema,
    request_schema,
    resolve,
    response_schema,
    type_problems,
)

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.spec import Operation


@dataclass(frozen=True)
class Case:
    kind: str
    parent: str | None = None  # kind of the parent record, for nested collections
    direct: bool = False  # insert records directly instead of calling the create operation
    seed: tuple[tuple[str, Any], ...] = ()  # fields of directly inserted records
    key: str = "id"  # the field that tells records apart (reports have no id)
    query: tuple[tuple[str, Any], ...] = ()  # parameters the list requires

    @property
    def module(self) -> str:
        return self.kind.split(":")[0]


CASES = [
    # accounting
    Case("accounting:gl-accounts"),
    Case("accounting:journal-entries"),
    Case("accounting:invoices"),
    Case("accounting:payments", direct=True, seed=(("total", "10.50"),)),
    # crm
    Case("crm:customers"),
    Case("crm:locations"),
    Case("crm:leads"),
    Case("crm:bookings"),
    Case("crm:contacts"),
    Case("crm:booking-provider-tags"),
    Case("crm:customers/{}/contacts", parent="crm:customers"),
    Case("crm:customers/{}/notes", parent="crm:customers"),
    Case("crm:contacts/{}/contact-methods", parent="crm:contacts"),
    # customer-interactions: create, list and export, no get
    Case("customer-interactions:technician-ratings", key="rating"),
    # dispatch
    Case("dispatch:zones"),
    Case("dispatch:teams"),
    Case("dispatch:technician-shifts"),
    Case("dispatch:non-job-appointments"),
    Case("dispatch:arrival-windows"),
    Case("dispatch:technician-skills"),
    # equipmentsystems
    Case("equipmentsystems:installed-equipment"),
    Case("equipmentsystems:equipment-types"),
    # findings
    Case("findings:location-findings"),
    Case("findings:location-findings/{}/attachments", parent="findings:location-findings"),
    # forms: no create operation with a JSON body
    Case("forms:forms", direct=True, seed=(("name", "Inspection"),)),
    Case("forms:submissions", direct=True, seed=(("formName", "Inspection"),)),
    # inventory
    Case("inventory:purchase-orders"),
    Case("inventory:vendors"),
    Case("inventory:purchase-order-markups"),
    Case("inventory:trucks"),
    Case("inventory:returns"),
    Case("inventory:warehouses", direct=True, seed=(("name", "Main"),)),
    # jbce: no create operation
    Case("jbce:call-reasons", direct=True, seed=(("name", "Leak"),)),
    # jpm
    Case("jpm:jobs"),
    Case("jpm:projects"),
    Case("jpm:job-types"),
    Case("jpm:appointments"),
    Case("jpm:jobs/{}/notes", parent="jpm:jobs", key="text"),
    # marketing
    Case("marketing:campaigns"),
    Case("marketing:categories"),
    Case("marketing:costs"),
    # marketingads: creates have no read; its lists hold reports, inserted here
    Case(
        "marketingads:attributed-leads",
        direct=True,
        key="dateTime",
        query=(("fromUtc", "2024-01-01T00:00:00Z"), ("toUtc", "2025-01-01T00:00:00Z")),
    ),
    # marketingreputation: no create operation
    Case("marketingreputation:reviews", direct=True, key="review"),
    # memberships
    Case("memberships:invoice-templates"),
    Case("memberships:memberships", direct=True, seed=(("status", "Active"),)),
    # payroll
    Case("payroll:payroll-adjustments"),
    Case("payroll:gross-pay-items"),
    # pricebook
    Case("pricebook:services"),
    Case("pricebook:materials"),
    Case("pricebook:equipment"),
    Case("pricebook:categories"),
    Case("pricebook:discounts-and-fees"),
    Case("pricebook:materialsmarkup"),
    # reporting: no create operation
    Case("reporting:report-categories", direct=True, seed=(("name", "Operations"),)),
    # sales
    Case("sales:estimates"),
    Case("sales:estimate-templates"),
    Case("sales:proposal-templates"),
    # schedulingpro: no create operation
    Case("schedulingpro:schedulers", direct=True, seed=(("name", "Web scheduler"),)),
    # service-agreements: no create operation
    Case("service-agreements:service-agreements", direct=True, seed=(("name", "Gold"),)),
    # settings
    Case("settings:employees"),
    Case("settings:technicians"),
    Case("settings:tag-types"),
    Case("settings:business-units", direct=True, seed=(("name", "HVAC"),)),
    # taskmanagement
    Case("taskmanagement:tasks"),
    # telecom: no create operation
    Case("telecom:calls", direct=True, seed=(("duration", "00:02:00"),)),
    # timesheets
    Case("timesheets:activities"),
    Case("timesheets:activity-types", direct=True, seed=(("name", "Drive"),)),
]

MODULES = {c.module for c in CASES}
# Collections whose update operation changes nothing the record shows as plain data.
_UNCHANGEABLE = {
    "accounting:journal-entries",
    "dispatch:arrival-windows",
    "inventory:warehouses",
    "settings:business-units",
    "telecom:calls",
}


def test_every_module_is_covered() -> None:
    from engine_kit import MANIFEST

    assert set(MANIFEST.modules) == MODULES


def _path_names(op: Operation) -> list[str]:
    import re

    return [p for p in re.findall(r"{(\w+)}", op.path) if p != "tenant"]


def _path(op: Operation, parent_id: Any, record_id: Any = None) -> dict[str, Any]:
    names = _path_names(op)
    values: dict[str, Any] = {}
    if op.path.endswith("}") and names:
        values[names.pop()] = record_id
    if names:
        values[names.pop()] = parent_id
    assert not names, f"{op.id}: unexpected path parameters {names}"
    return values


def _pick(kind: str, op_kind: str, case: Case) -> Operation | None:
    found = ops_of(kind, op_kind)
    if op_kind == "list":
        found = [o for o in found if not o.path.endswith("}")]
    if case.parent is not None:
        # The operation scoped to one parent (``/customers/{id}/contacts``).
        scoped = [o for o in found if len(_path_names(o)) >= (2 if o.path.endswith("}") else 1)]
        found = scoped or found
    else:
        found = [o for o in found if len(_path_names(o)) <= (1 if o.path.endswith("}") else 0)]
    return found[0] if found else None


def _changeable(schema: Mapping[str, Any] | None, readable: set[str]) -> tuple[str, Any] | None:
    """A field of a request body that the record also shows, and a new value for it: plain
    text first, then a number."""
    if schema is None:
        return None
    props = properties(schema)
    preferred = ("name", "summary", "description", "memo", "text", "displayName", "value")
    names = [n for n in preferred if n in props] + sorted(props)
    numbers = []
    for name in names:
        if name not in readable or name == "id":
            continue
        concrete, _ = resolve(props[name])
        types = concrete.get("type") or []
        if concrete.get("enum") or concrete.get("pattern"):
            continue
        plain = concrete.get("format") in (None, "multiline", "html")
        if "string" in types and plain and (concrete.get("maxLength") or 99) >= 20:
            return name, f"Changed {name}"
        if "number" in types:
            numbers.append(name)
    return (numbers[0], 77) if numbers else None


def _same(shown: Any, sent: Any) -> bool:
    if isinstance(sent, int | float) and isinstance(shown, str | int | float):
        return float(shown) == float(sent)  # accounting amounts come back as strings
    return bool(shown == sent)


def _answers_id(op: Operation) -> bool:
    """Whether a create answers with the new record's id (the record, ``{id}`` or an id)."""
    schema = response_schema(op)
    if schema is None:
        return False
    concrete, _ = resolve(schema)
    if concrete.get("type") and set(concrete["type"]) & {"integer", "string"}:
        return True
    return "id" in properties(schema)


class Trip:
    def __init__(self, api: Api, world: World, app: LocalTitan, case: Case) -> None:
        self.api, self.world, self.app, self.case = api, world, app, case
        kind = case.kind
        self.coll = collection(kind)
        self.create = None if case.direct else _pick(kind, "create", case)
        self.get = _pick(kind, "get", case)
        self.list = _pick(kind, "list", case)
        self.update = _pick(kind, "update", case)
        self.replace = _pick(kind, "replace", case)
        self.delete = _pick(kind, "delete", case)
        self.export = _pick(kind, "export", case)
        self.parent_id: Any = None
        self.key = case.key
        self.known: list[Any] = []

    # -- making records

    async def make(self, count: int) -> list[Any]:
        if self.case.parent is not None:
            self.parent_id = await self.world.ref(self.case.parent)
        ids = []
        for i in range(count):
            if self.create is None:
                data = {"name": f"Seeded {i}", **dict(self.case.seed)}
                if self.key == "dateTime":
                    data[self.key] = f"2024-05-0{i + 1}T10:00:00Z"
                elif self.key != "id":
                    data[self.key] = f"Seeded {i}"
                if self.case.parent is not None:
                    data[self._parent_field()] = self.parent_id
                rec = (
                    await insert(
                        self.app, self.api.creds, self.case.kind, [data], parent_id=self.parent_id
                    )
                )[0]
                ids.append(rec[self.key])
                self.known.append(rec[self.key])
                continue
            body = await self._create_body(f"Trip {i}")
            if self.key == "rating":
                # One rating per technician and job (a second one replaces the first).
                job = await self.api.ok("jpm.Jobs_Create", json=await self.world.job_body())
                body.update(rating=1.5 + i, jobId=job["id"])
            known: set[Any] = set()
            if self.list and not _answers_id(self.create):
                known = {r.get(self.key) for r in await self.list_all()}
            made = await self.api.ok(self.create, json=body, **_path(self.create, self.parent_id))
            schema = response_schema(self.create)
            if schema is not None:
                assert not type_problems(schema, made), type_problems(schema, made)
            if not isinstance(made, dict | int | str) or (
                isinstance(made, dict) and "id" not in made
            ):
                # No id answered (journal entries, notes): the client finds it in the list.
                fresh = [r[self.key] for r in await self.list_all() if r.get(self.key) not in known]
                assert len(fresh) == 1, fresh
                rid = fresh[0]
            else:
                rid = created_id(self.create, made)
            ids.append(rid)
            self.known.append(rid)
        return ids

    def _parent_field(self) -> str:
        return "customerId" if self.case.parent == "crm:customers" else "parentId"

    async def _create_body(self, label: str) -> dict[str, Any]:
        assert self.create is not None
        if self.create.id == "jpm.Jobs_Create":
            return await self.world.job_body(summary=label)
        if self.create.id == "jpm.Appointments_Add":
            body = await self.world.body(self.create, label)
            body.update(start="2024-06-01T10:00:00Z", end="2024-06-01T12:00:00Z")
            return body
        return await self.world.body(self.create, label)

    # -- reading records

    async def read(self, rid: Any) -> dict[str, Any] | None:
        """The record as get shows it, or as the list shows it where there is no get."""
        if self.get is not None:
            response = await self.api.call(self.get, **_path(self.get, self.parent_id, rid))
            if response.status_code == 404:
                return None
            assert response.status_code == 200, response.text
            body = response.json()
            problems = type_problems(response_schema(self.get) or {}, body)
            assert not problems, problems
            if isinstance(body, dict) and set(body) == {"data"}:
                body = body["data"]  # Result_Of_...: the record wrapped in "data"
            return dict(body)
        found = [r for r in await self.list_all() if r.get(self.key) == rid]
        return found[0] if found else None

    def _list_params(self, **extra: Any) -> dict[str, Any]:
        assert self.list is not None
        names = {p.name for p in self.list.parameters}
        params = dict(self.case.query)
        params.update({k: v for k, v in extra.items() if k in names or k in ("page", "pageSize")})
        if "active" in names and "active" not in params:
            params["active"] = "Any"
        required = {p.name for p in self.list.parameters if p.required}
        if "ids" in required and "ids" not in params:
            params["ids"] = ",".join(str(i) for i in self.known) or "0"
        return params

    async def list_page(self, **params: Any) -> Any:
        assert self.list is not None
        return await self.api.ok(
            self.list,
            params=self._list_params(**params),
            **_path(self.list, self.parent_id),
        )

    async def list_all(self) -> list[dict[str, Any]]:
        body = await self.list_page(pageSize=500)
        return list(body["data"] if isinstance(body, dict) else body)

    def list_has(self, op: str) -> bool:
        return self.list is not None and any(p.name == op for p in self.list.parameters)

    async def export_all(self, start: str | None = None) -> tuple[list[dict[str, Any]], str]:
        assert self.export is not None
        token = start
        seen: list[dict[str, Any]] = []
        for _ in range(50):
            params = {"from": token} if token else {}
            if any(p.name == "active" for p in self.export.parameters):
                params["active"] = "Any"
            body = await self.api.ok(
                self.export, params=params, **_path(self.export, self.parent_id)
            )
            assert set(body) == {"hasMore", "continueFrom", "data"}, body.keys()
            assert isinstance(body["continueFrom"], str) and body["continueFrom"]
            seen.extend(body["data"])
            token = body["continueFrom"]
            if not body["hasMore"]:
                return seen, token
        raise AssertionError("export never reached its end")


async def _check_get(trip: Trip, rid: Any) -> dict[str, Any]:
    record = await trip.read(rid)
    assert record is not None, f"{trip.case.kind} {rid} cannot be read back"
    assert record[trip.key] == rid
    if trip.get is None:
        # Checked against the list's item schema; read() checks a get's whole body.
        assert trip.list is not None
        schema = record_schema(trip.list)
        assert schema is not None
        problems = type_problems(schema, record)
        assert not problems, problems
    return record


async def _check_list(trip: Trip, ids: list[Any], record: Mapping[str, Any]) -> None:
    assert trip.list is not None
    rid = ids[0]
    everything = await trip.list_all()
    listed = {r.get(trip.key) for r in everything}
    assert set(ids) <= listed, f"{trip.case.kind}: {ids} not all in {listed}"
    item_schema = record_schema(trip.list)
    if item_schema is not None:
        for item in everything[:3]:
            assert not type_problems(item_schema, item), type_problems(item_schema, item)
    if trip.list_has("ids"):
        body = await trip.list_page(ids=str(rid))
        assert [r[trip.key] for r in body["data"]] == [rid]
        body = await trip.list_page(ids=",".join(str(i) for i in ids[:2]))
        assert {r[trip.key] for r in body["data"]} == set(ids[:2])
    created = record.get("createdOn")
    if trip.list_has("createdOnOrAfter") and isinstance(created, str):
        after = await trip.list_page(createdOnOrAfter=created, pageSize=500)
        assert rid in {r[trip.key] for r in after["data"]}
        before = await trip.list_page(createdBefore=created, pageSize=500)
        assert rid not in {r[trip.key] for r in before["data"]}
    modified = record.get("modifiedOn")
    if trip.list_has("modifiedOnOrAfter") and isinstance(modified, str):
        after = await trip.list_page(modifiedOnOrAfter=modified, pageSize=500)
        assert rid in {r[trip.key] for r in after["data"]}
        before = await trip.list_page(modifiedBefore=modified, pageSize=500)
        assert rid not in {r[trip.key] for r in before["data"]}
    # Paging one record at a time: hasMore until the last page, no record twice.
    first = await trip.list_page(pageSize=1)
    if not isinstance(first, dict) or not trip.list_has("pageSize"):
        return  # a bare array, or a list that does not page
    total = len(everything)
    seen: list[Any] = []
    page = 1
    while True:
        body = await trip.list_page(page=page, pageSize=1)
        assert body["page"] == page and body["pageSize"] == 1
        assert len(body["data"]) == 1
        seen.append(body["data"][0][trip.key])
        if not body["hasMore"]:
            break
        assert page < total, "hasMore never became false"
        page += 1
    assert len(seen) == len(set(seen)) == total


async def _check_update(trip: Trip, rid: Any, before: Mapping[str, Any]) -> dict[str, Any] | None:
    op = trip.update or trip.replace
    if op is None:
        return None
    readable = set(before)
    change = _changeable(request_schema(op), readable)
    if change is None:
        # Only externalData or reference fields to change (business units, warehouses...).
        assert trip.case.kind in _UNCHANGEABLE, f"{op.id}: nothing to change"
        return None
    field, new_value = change
    path = _path(op, trip.parent_id, rid)
    if op.kind == "replace" or resolve(request_schema(op) or {})[0].get("required"):
        body = await trip.world.body(op, "Replaced")
        body[field] = new_value
    else:
        body = {field: new_value}
    answered = await trip.api.ok(op, json=body, **path)
    schema = response_schema(op)
    if schema is not None and answered is not None:
        # An update answers exactly its own schema's fields (often fewer than a get's).
        assert not type_problems(schema, answered), (op.id, type_problems(schema, answered))
    after = await trip.read(rid)
    assert after is not None
    assert _same(after[field], new_value), (field, after[field], new_value)
    if "modifiedOn" in after and isinstance(before.get("modifiedOn"), str):
        assert parse_z(after["modifiedOn"]) > parse_z(before["modifiedOn"])
    if "createdOn" in after and isinstance(before.get("createdOn"), str):
        assert after["createdOn"] == before["createdOn"]
    if op.kind == "update" and set(body) == {field}:
        # PATCH merges: every other field the record had is unchanged.
        for name, value in before.items():
            if name not in (field, "modifiedOn", "modifiedById") and name in after:
                assert after[name] == value, f"PATCH {field} changed {name}"
    return after


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
async def test_round_trip(
    case: Case, client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    trip = Trip(api, world, app, case)
    assert trip.get or trip.list or trip.export, f"{case.kind} cannot be read at all"
    start_token = None
    if trip.export is not None:
        # The feed's position before anything of this collection exists.
        _, start_token = await trip.export_all()
    ids = await trip.make(2)
    assert len(set(ids)) == 2
    rid = ids[0]
    record = await _check_get(trip, rid)

    if trip.list is not None:
        await _check_list(trip, ids, record)

    token = None
    if trip.export is not None:
        exported, token = await trip.export_all(start_token)
        assert set(ids) <= {r.get(trip.key) for r in exported}
        item_schema = record_schema(trip.export)
        if item_schema is not None:
            for item in exported[:3]:
                assert not type_problems(item_schema, item), type_problems(item_schema, item)
        again, _ = await trip.export_all(token)
        assert not {r.get(trip.key) for r in again} & set(ids), "caught-up feed repeats records"

    updated = await _check_update(trip, rid, record)
    if updated is not None and trip.export is not None:
        changed, token = await trip.export_all(token)
        mine = [r for r in changed if r.get(trip.key) == rid]
        assert mine, "the export does not report the update"
        changed_fields = [k for k, v in updated.items() if v != record.get(k) and k in mine[-1]]
        for name in changed_fields:
            assert mine[-1][name] == updated[name], name

    if trip.delete is not None:
        await trip.api.ok(trip.delete, **_path(trip.delete, trip.parent_id, rid))
        if trip.get is not None:
            error = await api.fails(404, trip.get, **_path(trip.get, trip.parent_id, rid))
            assert error["status"] == 404
        assert await trip.read(rid) is None
        if trip.list is not None:
            assert rid not in {r.get(trip.key) for r in await trip.list_all()}
        if trip.export is not None:
            reported, _ = await trip.export_all(token)
            assert rid in {r.get(trip.key) for r in reported}, "the export hides the deletion"
            everything, _ = await trip.export_all(start_token)
            assert rid in {r.get(trip.key) for r in everything}


async def test_marketingads_creates_answer(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    for op_id in (
        "marketingads.ExternalCallAttributions_Create",
        "marketingads.ScheduledJobAttributions_Create",
        "marketingads.WebBookingAttributions_Create",
        "marketingads.WebLeadFormAttributions_Create",
    ):
        await api.ok(op_id, json=await world.body(op_id))


def test_body_builder_fills_required_fields() -> None:
    op = operation("crm.Customers_Create")
    schema = request_schema(op)
    assert schema is not None
    body = BodyBuilder({}).build(schema)
    assert {"name", "locations", "address"} <= set(body)
    assert body["locations"] and "address" in body["locations"][0]
