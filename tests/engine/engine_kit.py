"""What the engine tests share: a client bound to one tenant, request bodies built from the
manifest, records inserted directly, and a check of a JSON value against its declared schema.

Everything here talks to the app the way a client does (HTTP through the door), except
``insert``, which writes records for collections the API has no create operation for.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.handling.catalog import Collection, catalog_for, response_schema
from localtitan.handling.references import REFERENCES
from localtitan.handling.shaping import fill_record
from localtitan.spec import Operation, load_manifest
from localtitan.store.records import Stored, allocate, format_time, put_records

MANIFEST = load_manifest()
CATALOG = catalog_for(MANIFEST)
ERROR_KEYS = {"type", "title", "status", "traceId", "errors", "data"}

# The kind a collection's records are created under when a body names one (see references.py).
REFERENCE_KINDS = dict(REFERENCES)


def operation(op_id: str) -> Operation:
    return MANIFEST.by_id[op_id]


def collection(kind: str) -> Collection:
    return CATALOG.collections[kind]


def ops_of(kind: str, op_kind: str) -> list[Operation]:
    """The operations of ``kind`` with that kind, plainest path first (no provider scoping)."""
    found = [o for o in collection(kind).operations if o.kind == op_kind]
    return sorted(found, key=lambda o: (o.path.count("{"), len(o.path)))


def first_op(kind: str, op_kind: str) -> Operation | None:
    found = ops_of(kind, op_kind)
    if op_kind == "list":
        found = [o for o in found if not o.path.endswith("}")]
    return found[0] if found else None


# ---------------------------------------------------------------- schemas


def resolve(schema: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """(concrete schema, nullable) through $ref and single-option oneOf/anyOf/allOf."""
    nullable = bool(schema.get("nullable"))
    for key in ("oneOf", "anyOf", "allOf"):
        options = schema.get(key)
        if options:
            concrete = [o for o in options if _types(o) != ["null"]]
            nullable = nullable or len(concrete) < len(options)
            if len(concrete) == 1:
                inner, inner_null = resolve(concrete[0])
                return inner, nullable or inner_null
    if "$ref" in schema:
        inner, inner_null = resolve(MANIFEST.resolve(schema))
        return inner, nullable or inner_null
    return dict(schema), nullable or "null" in _types(schema)


def _types(schema: Mapping[str, Any]) -> list[str]:
    t = schema.get("type")
    if t is None:
        return []
    return [t] if isinstance(t, str) else list(t)


def main_type(schema: Mapping[str, Any]) -> str | None:
    types = [t for t in _types(schema) if t != "null"]
    if types:
        return types[0]
    return "object" if "properties" in schema else None


def properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    concrete, _ = resolve(schema)
    props = concrete.get("properties")
    return dict(props) if isinstance(props, Mapping) else {}


def record_schema(op: Operation) -> Mapping[str, Any] | None:
    """The schema of one record as ``op`` returns it (list/export items, or a get body)."""
    return CATALOG.item_schema(op)


def type_problems(schema: Mapping[str, Any], value: Any, where: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema``: missing or extra keys, wrong JSON types, times
    without a Z. Empty when it conforms."""
    concrete, nullable = resolve(schema)
    if value is None:
        return [] if nullable else [f"{where}: null where {main_type(concrete)} is declared"]
    kind = main_type(concrete)
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} where object is declared"]
        props = concrete.get("properties") or {}
        if not props:
            return []
        problems = []
        missing = set(props) - set(value)
        extra = set(value) - set(props)
        if missing:
            problems.append(f"{where}: missing {sorted(missing)}")
        if extra:
            problems.append(f"{where}: undeclared {sorted(extra)}")
        for name, sub in props.items():
            if name in value:
                problems.extend(type_problems(sub, value[name], f"{where}.{name}"))
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} where array is declared"]
        item = concrete.get("items") or {}
        out: list[str] = []
        for i, v in enumerate(value[:5]):
            out.extend(type_problems(item, v, f"{where}[{i}]"))
        return out
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: {type(value).__name__} {value!r} where string is declared"]
        if concrete.get("format") == "date-time" and value and not value.endswith("Z"):
            return [f"{where}: timestamp {value!r} does not end with Z"]
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} where integer is declared"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} where number is declared"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: {value!r} where boolean is declared"]
    return []


# ---------------------------------------------------------------- bodies

BASE_TIME = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
_TEXT_HINTS = ("name", "summary", "description", "memo", "text", "displayName")


@dataclass
class BodyBuilder:
    """A valid minimal request body from a request schema: required fields only (plus a
    descriptive text field when there is one), enums' first value, references from ``refs``."""

    refs: Mapping[str, Any] = field(default_factory=dict)
    label: str = "Test"

    def build(self, schema: Mapping[str, Any], name: str = "", depth: int = 0) -> Any:
        if name and name in self.refs:
            return self.refs[name]
        concrete, _ = resolve(schema)
        if concrete.get("enum"):
            return concrete["enum"][0]
        kind = main_type(concrete)
        if kind == "object":
            return self._object(concrete, depth)
        if kind == "array":
            item = concrete.get("items") or {}
            count = max(1, int(concrete.get("minItems") or 0))
            return [self.build(item, name, depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(concrete, name)
        if kind == "integer":
            return max(1, int(concrete.get("minimum") or 0))
        if kind == "number":
            return 12.5
        if kind == "boolean":
            return False
        return None

    def _object(self, concrete: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props = concrete.get("properties") or {}
        required = set(concrete.get("required") or [])
        out: dict[str, Any] = {}
        for name, sub in props.items():
            wanted = name in required or (depth == 0 and name in self.refs)
            if not wanted and name in _TEXT_HINTS:
                sub_concrete, _ = resolve(sub)
                wanted = main_type(sub_concrete) == "string" and not sub_concrete.get("enum")
            if wanted and depth < 8:
                out[name] = self.build(sub, name, depth + 1)
        return out

    def _string(self, concrete: Mapping[str, Any], name: str) -> str:
        fmt = concrete.get("format")
        lower = name.lower()
        if fmt in ("date-time", "date"):
            hours = 2 if ("end" in lower or lower.endswith("to") or "before" in lower) else 0
            when = BASE_TIME.replace(hour=BASE_TIME.hour + hours)
            return format_time(when) if fmt == "date-time" else when.date().isoformat()
        if fmt in ("guid", "uuid"):
            return str(uuid.uuid4())
        if fmt == "email":
            return "test@example.com"
        if fmt == "phone":
            return "5555550100"
        if fmt == "duration":
            return "01:00:00"
        if concrete.get("pattern") == "^#([0-9A-Fa-f]{6})$":
            return "#336699"
        text = f"{self.label} {name}".strip()
        low = int(concrete.get("minLength") or 0)
        high = concrete.get("maxLength")
        if len(text) < low:
            text = text.ljust(low, "x")
        if high is not None:
            text = text[: int(high)]
        return text


def request_schema(op: Operation) -> Mapping[str, Any] | None:
    body = op.request_body
    if not body:
        return None
    schema = body.get("schema")
    return schema if isinstance(schema, Mapping) else None


def referenced_fields(schema: Mapping[str, Any]) -> list[str]:
    """Top-level reference fields (references.py) a body for ``schema`` would carry."""
    concrete, _ = resolve(schema)
    props = concrete.get("properties") or {}
    required = set(concrete.get("required") or [])
    return [n for n in props if _reference_kind(n) and n in required]


def _reference_kind(name: str) -> str | None:
    """The kind a field names: ``customerId``, or a list of them, ``technicianIds``."""
    if name in REFERENCE_KINDS:
        return REFERENCE_KINDS[name]
    if name.endswith("Ids"):
        return REFERENCE_KINDS.get(name[:-1])
    return None


# ---------------------------------------------------------------- the client


def error_shape_problems(response: httpx.Response) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON: {response.text[:200]!r}"]
    if not isinstance(body, dict):
        return [f"not an object: {body!r}"]
    problems = []
    if set(body) != ERROR_KEYS:
        problems.append(f"keys {sorted(body)}")
    if body.get("status") != response.status_code:
        problems.append(f"status {body.get('status')} != {response.status_code}")
    if not isinstance(body.get("errors"), dict) or not isinstance(body.get("data"), dict):
        problems.append("errors/data are not objects")
    return problems


@dataclass
class Api:
    """One app connected to one tenant, calling through the door as a client would."""

    client: httpx.AsyncClient
    creds: Creds
    headers: dict[str, str]

    def url(self, op: Operation | str, **path: Any) -> str:
        op = operation(op) if isinstance(op, str) else op
        text = op.path
        for name, value in path.items():
            text = text.replace("{" + name + "}", str(value))
        assert "{" not in text.replace("{tenant}", ""), f"unfilled path {text}"
        return self.creds.api(text)

    async def raw(
        self, method: str, url: str, *, params: Any = None, json: Any = None
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"params": params, "headers": self.headers}
        if json is not None:
            kwargs["json"] = json
        return await self.client.request(method, url, **kwargs)

    async def call(
        self,
        op: Operation | str,
        *,
        params: Any = None,
        json: Any = None,
        **path: Any,
    ) -> httpx.Response:
        op = operation(op) if isinstance(op, str) else op
        response = await self.raw(op.method, self.url(op, **path), params=params, json=json)
        assert response.status_code != 500, f"{op.id} answered 500: {response.text}"
        return response

    async def ok(
        self, op: Operation | str, *, params: Any = None, json: Any = None, **path: Any
    ) -> Any:
        response = await self.call(op, params=params, json=json, **path)
        name = op.id if isinstance(op, Operation) else op
        assert 200 <= response.status_code < 300, f"{name}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def fails(
        self,
        status: int,
        op: Operation | str,
        *,
        params: Any = None,
        json: Any = None,
        **path: Any,
    ) -> dict[str, Any]:
        response = await self.call(op, params=params, json=json, **path)
        name = op.id if isinstance(op, Operation) else op
        assert response.status_code == status, (
            f"{name}: wanted {status}, got {response.status_code} {response.text}"
        )
        assert not error_shape_problems(response), error_shape_problems(response)
        return dict(response.json())


async def connect(client: httpx.AsyncClient, creds: Creds) -> Api:
    return Api(client, creds, await creds.headers(client))


# ---------------------------------------------------------------- direct records


async def insert(
    app: LocalTitan,
    creds: Creds,
    kind: str,
    items: list[dict[str, Any]],
    *,
    parent_id: int | None = None,
    deleted: bool = False,
    times: list[datetime] | None = None,
) -> list[dict[str, Any]]:
    """Write records straight to the store, shaped as the engine stores them (for collections
    the API cannot create), created and modified at ``times`` (default now). Returns the
    stored JSON of each."""
    runtime = app.runtime
    coll = collection(kind)
    env = creds.environment.value
    now = datetime.now(UTC)
    stored: list[Stored] = []
    async with runtime.db.begin() as conn:
        alloc = await allocate(conn, env, creds.tenant_id, ids=len(items), versions=len(items))
        for offset, data in enumerate(items):
            rid = alloc.first_id + offset
            guid = str(uuid.uuid4()) if coll.id_is_guid else None
            when = times[offset] if times else now
            full = {
                "active": True,
                "createdOn": format_time(when),
                "modifiedOn": format_time(when),
                **data,
                "id": guid or rid,
            }
            rec = Stored(
                kind,
                rid,
                fill_record(MANIFEST, coll, full),
                parent_id=parent_id,
                guid=guid,
                active=bool(full.get("active", True)),
                deleted=deleted,
                created_on=when,
                modified_on=when,
            )
            stored.append(rec)
        await put_records(conn, env, creds.tenant_id, stored, first_version=alloc.first_version)
    return [s.data for s in stored]


# ---------------------------------------------------------------- referenced records

# Kinds a body may reference that the API cannot create: inserted directly.
_NO_CREATE = {
    "settings:business-units",
    "inventory:warehouses",
    "memberships:membership-types",
    "jpm:job-cancel-reasons",
    "jpm:job-hold-reasons",
}
# Request-body tweaks a behaviour needs beyond the schema (it checks more than the schema).
_BODY_FIXUPS: dict[str, dict[str, Any]] = {}


class World:
    """The records a tenant needs before a body can reference them, made once on demand."""

    def __init__(self, api: Api, app: LocalTitan) -> None:
        self.api = api
        self.app = app
        self.ids: dict[str, Any] = {}

    async def ref(self, kind: str) -> Any:
        if kind not in self.ids:
            await self._make(kind)
        return self.ids[kind]

    async def refs_for(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        refs: dict[str, Any] = {}
        for name in referenced_fields(schema):
            kind = _reference_kind(name)
            assert kind is not None
            made = await self.ref(kind)
            refs[name] = [made] if name.endswith("Ids") else made
        return refs

    async def body(self, op: Operation | str, label: str = "Test") -> dict[str, Any]:
        op = operation(op) if isinstance(op, str) else op
        schema = request_schema(op)
        assert schema is not None, op.id
        refs = await self.refs_for(schema)
        body = BodyBuilder(refs, label).build(schema)
        assert isinstance(body, dict)
        return body

    async def _make(self, kind: str) -> None:
        if kind in ("crm:customers", "crm:locations"):
            body = await self.body("crm.Customers_Create", "Referenced")
            made = await self.api.ok("crm.Customers_Create", json=body)
            self.ids["crm:customers"] = made["id"]
            self.ids["crm:locations"] = made["locations"][0]["id"]
        elif kind in ("jpm:jobs", "jpm:appointments"):
            job = await self.api.ok("jpm.Jobs_Create", json=await self.job_body())
            self.ids["jpm:jobs"] = job["id"]
            self.ids["jpm:appointments"] = job["firstAppointmentId"]
        elif kind in _NO_CREATE:
            rec = (await insert(self.app, self.api.creds, kind, [{"name": f"Referenced {kind}"}]))[
                0
            ]
            self.ids[kind] = rec["id"]
        else:
            op = first_op(kind, "create")
            assert op is not None, f"no create operation for {kind}"
            made = await self.api.ok(op, json=await self.body(op, "Referenced"))
            self.ids[kind] = created_id(op, made)

    async def job_body(self, **extra: Any) -> dict[str, Any]:
        body = await self.body("jpm.Jobs_Create")
        body["appointments"] = [
            {
                "start": "2024-05-01T10:00:00Z",
                "end": "2024-05-01T12:00:00Z",
                "arrivalWindowStart": "2024-05-01T10:00:00Z",
                "arrivalWindowEnd": "2024-05-01T11:00:00Z",
            }
        ]
        body.update(extra)
        return body


def created_id(op: Operation, body: Any) -> Any:
    """The new record's id from a create response: the record, ``{id}`` or a bare id."""
    if isinstance(body, dict):
        for key in ("id", "leadId"):
            if key in body:
                return body[key]
        raise AssertionError(f"{op.id}: no id in {body}")
    assert isinstance(body, int | str), f"{op.id}: unexpected create answer {body!r}"
    return body


def parse_z(text: str) -> datetime:
    from localtitan.store.records import parse_time

    assert text.endswith("Z"), text
    return parse_time(text)


__all__ = [
    "BASE_TIME",
    "CATALOG",
    "ERROR_KEYS",
    "MANIFEST",
    "Api",
    "BodyBuilder",
    "World",
    "collection",
    "connect",
    "created_id",
    "error_shape_problems",
    "first_op",
    "insert",
    "operation",
    "ops_of",
    "parse_z",
    "properties",
    "record_schema",
    "referenced_fields",
    "request_schema",
    "resolve",
    "response_schema",
    "type_problems",
]
