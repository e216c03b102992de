"""The bounded fuzz run: every reference operation against a tenant holding the demo company.

``test_reference_documents`` checks generated data against a nearly empty tenant; most of its
requests name records that do not exist. This sweep aims where the audit of issue 11 found
failures, with the same generated cases (made once, shared) plus cases of its own:

- a *real* case per operation: a valid request whose path names records of the demo company
  (the first of their collection) and that sends only the required query parameters, so lists
  and gets answer with seeded records and their bodies are checked against the schema;
- *hostile* cases built from the real one, one value changed each: integers at and beyond
  int64 in every query, path and body slot, id lists beyond int64, dates at DateTime's ends
  (``9999-12-31T23:59:59.9999999Z``, ``0001-01-01T00:00:00Z``), an unpaired surrogate escape
  and an over-long text in every body string, ``[null]`` for every body list;
- the generated positive and negative cases of ``test_reference_documents``.

Every answer must be below 500, and every 2xx JSON body must validate against the reference
document's response schema. Cases are deterministic (derandomized generation, fixed values),
so two runs send the same requests. Run with ``-s`` to see ``FUZZ_FIGURES`` (operations,
requests, 5xx and schema-breaking answers, seconds per backend). In December 2026: 542
operations and 8,273 requests per backend (about 15 per operation), on both SQLite and
PostgreSQL; the generated cases are made once per process, shared by both modules and both
backends (the first backend pays for generation). Measure durations on a quiet machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import test_reference_documents as docs
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import func, select

from conftest import BACKENDS, make_creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_quickstart
from localtitan.handling.catalog import catalog_for
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.spec import load_manifest
from localtitan.store.tables import records

INT64_BEYOND = 2**63
INT64_MAX = 2**63 - 1
FAR_FUTURE = "9999-12-31T23:59:59.9999999Z"
FAR_PAST = "0001-01-01T00:00:00Z"
SURROGATE = "\ud800"
LONG_TEXT = "x" * 5_000
MAX_BODY_SLOTS = 24  # body leaves changed per operation (each gets its hostile values)

# Known schema-breaking 2xx answers and 5xx: operation id -> reason; xfail(strict) like the
# lists of test_reference_documents, so a fix shows as XPASS and its entry must go.
KNOWN_FAILURES: dict[str, str] = {}

FIGURES: dict[str, dict[str, int]] = {}


# ---------------------------------------------------------------- the demo target


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_settings(request: pytest.FixtureRequest, session_dirs: dict[str, Path]) -> Any:
    backend = str(request.param)
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    # The session's data dir: its server key is the one the session's database was made with.
    return Settings(data_dir=session_dirs[backend], database_url=url, rate_limit=0, seed_demo=False)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(fuzz_settings: Settings) -> AsyncIterator[docs.Target]:
    backend = "postgres" if fuzz_settings.database_url else "sqlite"
    app = LocalTitan(Runtime(fuzz_settings))
    await app.startup()
    try:
        creds = await make_creds(app.runtime)
        assert await seed_quickstart(app.runtime.db, app.runtime.manifest, creds.tenant_id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=docs.BASE_URL) as client:
            target = docs.Target(backend, app, client, creds, {})
            target.seeds = await docs._seed(client, creds, await target.headers())
            FIGURES[backend] = {
                "operations": 0,
                "requests": 0,
                "5xx": 0,
                "schema": 0,
                "undeclared": 0,
            }
            started = time.monotonic()
            yield target
            FIGURES[backend]["seconds"] = round(time.monotonic() - started)
    finally:
        await app.shutdown()
        print(f"\nFUZZ_FIGURES {json.dumps(FIGURES)}")


async def _first_records(target: docs.Target) -> dict[str, tuple[int, int | None, str | None]]:
    """kind -> (id, parent id, guid) of the lowest live id of each collection."""
    runtime = target.app.runtime
    first = (
        select(records.c.kind, func.min(records.c.id).label("id"))
        .where(
            records.c.tenant_id == target.creds.tenant_id,
            records.c.environment == target.creds.environment.value,
            records.c.deleted.is_(False),
        )
        .group_by(records.c.kind)
        .subquery()
    )
    stmt = select(records.c.kind, records.c.id, records.c.parent_id, records.c.guid).join(
        first, (records.c.kind == first.c.kind) & (records.c.id == first.c.id)
    )
    stmt = stmt.where(
        records.c.tenant_id == target.creds.tenant_id,
        records.c.environment == target.creds.environment.value,
    )
    async with runtime.db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    return {r.kind: (r.id, r.parent_id, r.guid) for r in rows}


_FIRST: dict[str, dict[str, tuple[int, int | None, str | None]]] = {}


async def _real_path(target: docs.Target, ref: docs.RefOp) -> dict[str, Any] | None:
    """Path parameters naming demo records for ``ref``, or None when none fit."""
    if target.backend not in _FIRST:
        _FIRST[target.backend] = await _first_records(target)
    first = _FIRST[target.backend]
    manifest = load_manifest()
    catalog = catalog_for(manifest)
    names = [n for n in _path_names(ref.path) if n != "tenant"]
    if not names:
        return {}
    coll = catalog.collections[catalog.kind_of[ref.op_id]]
    kind, depth = coll.kind, coll.resource.count("{}")
    found = first.get(kind)
    if found is None and depth:
        # An action under a record (jobs/{id}/cancel) names the record it acts on.
        kind, depth = f"{coll.module}:{coll.resource.rsplit('/{}/', 1)[0]}", depth - 1
        found = first.get(kind)
        coll = catalog.collections.get(kind, coll)
    if found is None:
        return None
    rid, parent, guid = found
    own = guid if coll.id_is_guid and guid else rid
    if len(names) == depth + 1:
        values = ([parent] if depth else []) + [own]
    elif len(names) == depth:
        values = [parent]
    else:
        return None
    if any(v is None for v in values[-2:]) or len(values) != len(names):
        return None
    return dict(zip(names, values, strict=True))


def _path_names(path: str) -> list[str]:
    return [s[1:-1] for s in path.split("/") if s.startswith("{")]


# ---------------------------------------------------------------- cases


@cache
def _document(file: str) -> dict[str, Any]:
    return dict(json.loads((docs.REFERENCE_DIR / file).read_text()))


def _resolve(document: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    for _ in range(16):
        if not isinstance(schema, Mapping):
            return {}
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            continue
        options = schema.get("oneOf") or schema.get("anyOf") or schema.get("allOf")
        if options:
            concrete = [o for o in options if o.get("type") != "null"]
            schema = concrete[0] if concrete else {}
            continue
        return schema
    return {}


def _types(schema: Mapping[str, Any]) -> set[str]:
    found = schema.get("type") or []
    return {found} if isinstance(found, str) else set(found)


def _hostile_text(name: str, schema: Mapping[str, Any]) -> list[Any]:
    """Values for one query or path slot, as text."""
    types, fmt = _types(schema), schema.get("format")
    if "integer" in types:
        return [str(INT64_BEYOND), str(INT64_MAX)]
    if "number" in types:
        return ["1e400"]
    if "array" in types:
        return [str(INT64_BEYOND)]
    if "string" in types and fmt in ("date-time", "date"):
        return [FAR_FUTURE, FAR_PAST]
    if "string" in types:
        if name.lower().endswith("ids"):
            return [str(INT64_BEYOND), f"1,{-INT64_BEYOND - 1}"]
        if name.lower() in ("from", "continuefrom"):
            return [FAR_FUTURE, FAR_PAST]
        if "enum" not in schema:
            return [str(INT64_BEYOND), LONG_TEXT]
    return []


def _hostile_json(value: Any) -> list[Any]:
    """Values for one body leaf, by the JSON type the positive case holds there."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [INT64_MAX, INT64_BEYOND]
    if isinstance(value, float):
        return [1e308]
    if isinstance(value, str):
        if len(value) >= 10 and value[4:5] == "-" and value[:4].isdigit():
            return [FAR_FUTURE, FAR_PAST, SURROGATE]
        return [SURROGATE, LONG_TEXT]
    if isinstance(value, list):
        return [[None]]
    return []


def _leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(body, Mapping):
        for key, child in body.items():
            yield from _leaves(child, (*path, key))
        if path:
            return
    elif isinstance(body, list):
        yield path, body
        if body:
            yield from _leaves(body[0], (*path, 0))
        return
    else:
        yield path, body


def _replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, Mapping):
        return {**body, head: _replaced(body[head], rest, value)}
    copy = list(body)
    copy[head] = _replaced(copy[head], rest, value)
    return copy


def _base(ref: docs.RefOp) -> Any | None:
    """The first generated positive case of ``ref``: its body and required parameters."""
    cases = docs._cases(ref, GenerationMode.POSITIVE)
    return cases[0].case if isinstance(cases, list) and cases else None


def _query_params(ref: docs.RefOp) -> list[tuple[str, bool, Mapping[str, Any]]]:
    document = _document(ref.file)
    item = document["paths"][ref.path]
    params = [*item.get("parameters", []), *item[ref.method.lower()].get("parameters", [])]
    return [
        (p["name"], bool(p.get("required")), _resolve(document, p.get("schema")))
        for p in params
        if p.get("in") == "query"
    ]


def _path_schemas(ref: docs.RefOp) -> dict[str, Mapping[str, Any]]:
    document = _document(ref.file)
    item = document["paths"][ref.path]
    params = [*item.get("parameters", []), *item[ref.method.lower()].get("parameters", [])]
    return {
        p["name"]: _resolve(document, p.get("schema"))
        for p in params
        if p.get("in") == "path" and p["name"] != "tenant"
    }


def _make(ref: docs.RefOp, base: Any, **changes: Any) -> docs.GeneratedCase:
    operation = docs._schema(ref.file)[ref.path][ref.method]
    data: dict[str, Any] = {
        "path_parameters": dict(base.path_parameters),
        "query": dict(base.query or {}),
        "body": base.body,
        "media_type": base.media_type,
    }
    data.update(changes)
    if data["body"] is NOT_SET:
        data.pop("body")
    return docs.GeneratedCase(operation.Case(**data))


async def _real_case(
    target: docs.Target, ref: docs.RefOp
) -> tuple[Any, dict[str, Any], dict[str, Any]] | None:
    """(generated base, path naming demo records, required query only) of ``ref``."""
    base = _base(ref)
    if base is None:
        return None
    path = dict(base.path_parameters)
    real = await _real_path(target, ref)
    if real:
        path.update(real)
    required = {n for n, req, _ in _query_params(ref) if req}
    query = {k: v for k, v in (base.query or {}).items() if k in required}
    return base, path, query


async def _fuzz_cases(target: docs.Target, ref: docs.RefOp) -> list[docs.GeneratedCase]:
    found = await _real_case(target, ref)
    if found is None:
        return []
    base, path, query = found
    plain = _make(ref, base, path_parameters=path, query=query)
    out = [plain]
    for name, _, schema in _query_params(ref):
        for value in _hostile_text(name, schema):
            out.append(_make(ref, base, path_parameters=path, query={**query, name: value}))
    for name, schema in _path_schemas(ref).items():
        for value in _hostile_text(name, schema)[:1]:
            out.append(_make(ref, base, path_parameters={**path, name: value}, query=query))
    body = base.body
    if body is not NOT_SET and base.media_type == "application/json":
        for slot, (where, leaf) in enumerate(_leaves(body)):
            if slot >= MAX_BODY_SLOTS:
                break
            for value in _hostile_json(leaf):
                changed = _replaced(body, where, value)
                out.append(_make(ref, base, path_parameters=path, query=query, body=changed))
    return out


def _generated(ref: docs.RefOp) -> list[docs.GeneratedCase]:
    out: list[docs.GeneratedCase] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        cases = docs._cases(ref, mode)
        if isinstance(cases, list):
            out.extend(c for c in cases if c.seeded is None)
    return out


# ---------------------------------------------------------------- the check


def _problems(case: Any, response: httpx.Response) -> tuple[str, str] | None:
    """(class, description) of what is wrong with one answer, or None."""
    status = response.status_code
    if status >= 500:
        return "5xx", docs._describe(case, response, f"status {status}")
    if 200 <= status < 300:
        try:
            case.validate_response(
                response, checks=[content_type_conformance, response_schema_conformance]
            )
        except FailureGroup as exc:
            summary = str(exc).split("\n[", 1)[0].strip()
            return "schema", docs._describe(case, response, summary)
    return None


def _undeclared(ref: docs.RefOp, case: Any, response: httpx.Response) -> tuple[str, str] | None:
    extra = docs.response_undeclared(ref, response)
    if not extra:
        return None
    return "undeclared", docs._describe(case, response, f"undeclared: {', '.join(extra[:8])}")


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("ref", docs._params(KNOWN_FAILURES))
async def test_fuzz_no_server_error_and_schema_kept(ref: docs.RefOp, demo: docs.Target) -> None:
    figures = FIGURES[demo.backend]
    figures["operations"] += 1
    problems: list[str] = []
    for generated in [*await _fuzz_cases(demo, ref), *_generated(ref)]:
        case, response = await demo.send(ref, generated)
        figures["requests"] += 1
        found = _problems(case, response) or _undeclared(ref, case, response)
        if found is not None:
            figures[found[0]] += 1
            problems.append(found[1])
    assert not problems, f"{ref.op_id} on {demo.backend}:\n\n" + "\n\n".join(problems[:6])


@pytest.mark.asyncio(loop_scope="module")
async def test_reads_hold_only_their_schemas_fields(demo: docs.Target) -> None:
    """Every list and get, aimed at the demo company's records, answers with exactly the fields
    its reference schema declares: strict clients warn about any other and drop it."""
    problems: list[str] = []
    answered = 0
    for ref in docs._reference_operations()[0]:
        if ref.method != "GET":
            continue
        found = await _real_case(demo, ref)
        if found is None:
            continue
        base, path, query = found
        _, response = await demo.send(ref, _make(ref, base, path_parameters=path, query=query))
        if response.status_code != 200:
            continue
        body = response.json() if "json" in response.headers.get("content-type", "") else None
        if isinstance(body, dict) and body.get("data") == []:
            continue  # an empty page shows nothing of the records
        answered += 1
        extra = docs.response_undeclared(ref, response)
        if extra:
            problems.append(f"{ref.op_id}: {', '.join(extra[:6])}")
    assert answered > 150
    assert not problems, f"{len(problems)} reads with undeclared fields:\n" + "\n".join(problems)
