"""Compile ServiceTitan's OpenAPI documents into ``src/localtitan/spec/manifest.json``.

The manifest keeps facts only (paths, parameters, schemas, scopes); prose such as
descriptions, summaries, titles and examples is dropped.

Operation ``kind`` rules, applied in this order:

1. ``download``: any response is ``application/octet-stream`` or a ``302`` redirect.
2. ``export``: GET with an ``export`` segment (``/export/...`` or ``.../export``).
3. GET ending in a path parameter: ``get``.
4. GET whose 200 response is a bare array or a paginated envelope (object with a
   ``data`` array and at least one of ``hasMore``/``page``/``totalCount``): ``list``.
   Other GETs: ``other``.
5. PATCH / PUT / DELETE ending in a path parameter: ``update`` / ``replace`` / ``delete``.
6. Non-GET whose last segment is a literal following a path parameter: ``create`` when it
   is a POST to a sub-collection, i.e. the same path also has a GET or the literal is in
   ``COLLECTION_SEGMENTS`` (``/customers/{id}/notes``, ``/tasks/{id}/subtasks``); else
   ``action`` (``/jobs/{id}/cancel``, ``/appointments/{id}/hold``).
7. Other POSTs not ending in a parameter: ``action`` when the last segment is a known
   operation literal (``ACTION_SEGMENTS``, e.g. ``markasexported``), else ``create``.
8. Anything else (POST ending in a parameter, PATCH/PUT/DELETE on a collection): ``other``.

``resource`` is the collection path relative to ``/tenant/{tenant}/`` with parameters
written ``{}``: a trailing parameter is dropped; for actions the trailing operation
literal(s) and the item parameter are dropped too (``jobs/{id}/cancel`` -> ``jobs``).
``parent`` is the resource up to its last ``{}`` segment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = ["ACTION_SEGMENTS", "COLLECTION_SEGMENTS", "build_manifest", "dumps_manifest", "main"]

REPO_ROOT = Path(__file__).resolve().parents[1]
# release_history.py sits beside this file; run as a script or loaded by path in the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "reference" / "servicetitan-openapi"
DEFAULT_OUTPUT = REPO_ROOT / "src" / "localtitan" / "spec" / "manifest.json"
DEFAULT_HISTORY = REPO_ROOT / "src" / "localtitan" / "spec" / "release_history.json"
DEFAULT_CHANGELOG = REPO_ROOT / "CHANGELOG.md"
FORMAT = 1
METHODS = ("get", "post", "put", "patch", "delete")

# Literal endings (after a literal) that name an operation rather than a collection;
# found by reading every POST of the current documents.
ACTION_SEGMENTS = frozenset(
    {
        "assign-technicians",
        "batch",
        "bulk-delete",
        "capacity",
        "configuration",
        "form",
        "markasexported",
        "partial",
        "status",
        "unassign-technicians",
    }
)
# Sub-collections that accept POST but have no GET in the documents.
COLLECTION_SEGMENTS = frozenset({"gps-pings", "splits", "subtasks"})

_SCALAR_KEYS = (
    "default",
    "deprecated",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "pattern",
    "readOnly",
    "required",
    "uniqueItems",
)
_PAGE_KEYS = frozenset({"hasMore", "page", "totalCount"})


class _Normalizer:
    """Rewrites one document's schemas into the manifest's fact-only form."""

    def __init__(self, module: str) -> None:
        self.module = module

    def ref(self, ref: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref!r} in module {self.module}")
        return f"{self.module}:{ref[len(prefix) :]}"

    def schema(self, src: Any) -> Any:
        if isinstance(src, bool):
            return src
        if not isinstance(src, dict):
            raise TypeError(f"schema must be an object, got {type(src).__name__}")
        out: dict[str, Any] = {}
        raw_type = src.get("type")
        types = [raw_type] if isinstance(raw_type, str) else list(raw_type or [])
        nullable = src.get("nullable") is True
        if "$ref" in src:
            out["$ref"] = self.ref(src["$ref"])
        for key in ("oneOf", "anyOf", "allOf"):
            if key not in src:
                continue
            branches = src[key]
            refs = [b for b in branches if "$ref" in b]
            nulls = [b for b in branches if b.get("type") == "null" and "$ref" not in b]
            if len(refs) == 1 and len(refs) + len(nulls) == len(branches) and "$ref" not in out:
                # A lone-$ref wrapper only exists to carry a description or nullability.
                out["$ref"] = self.ref(refs[0]["$ref"])
                if nulls or nullable or "null" in types:
                    out["nullable"] = True
                types, nullable = [], False
            else:
                out[key] = [self.schema(b) for b in branches]
        if nullable:
            if types and "null" not in types:
                types.append("null")
            elif not types and "$ref" in out:
                out["nullable"] = True
        if types:
            out["type"] = types
        for key in _SCALAR_KEYS:
            if key in src:
                out[key] = src[key]
        names = src.get("x-enumNames")
        if names is not None and names != src.get("enum"):
            # Integer enums: ASP.NET also binds the member names, so keep them.
            out["x-enumNames"] = names
        if "properties" in src:
            out["properties"] = {k: self.schema(v) for k, v in src["properties"].items()}
        if "items" in src:
            out["items"] = self.schema(src["items"])
        if "additionalProperties" in src:
            out["additionalProperties"] = self.schema(src["additionalProperties"])
        return out


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _relative_segments(doc_path: str) -> list[str]:
    segments = [s for s in doc_path.split("/") if s]
    if "tenant" in segments:
        idx = segments.index("tenant")
        return segments[idx + 2 :]
    return segments


def _deref(schemas: dict[str, Any], schema: Any) -> Any:
    for _ in range(32):
        if not (isinstance(schema, dict) and "$ref" in schema):
            break
        schema = schemas.get(schema["$ref"])
    return schema


def _is_listing(schemas: dict[str, Any], schema: Any) -> bool:
    target = _deref(schemas, schema)
    if not isinstance(target, dict):
        return False
    types = target.get("type", [])
    if "array" in types:
        return True
    props = target.get("properties") or {}
    data = _deref(schemas, props.get("data"))
    has_data = isinstance(data, dict) and "array" in data.get("type", [])
    return has_data and bool(_PAGE_KEYS & props.keys())


def _classify(
    op: dict[str, Any],
    rel: list[str],
    raw: dict[str, Any],
    schemas: dict[str, Any],
    has_get: bool,
) -> str:
    method = op["method"]
    responses = raw.get("responses", {})
    for code, resp in responses.items():
        if code == "302" or "application/octet-stream" in (resp.get("content") or {}):
            return "download"
    last = rel[-1] if rel else ""
    ends_param = _is_param(last)
    after_param = len(rel) >= 2 and _is_param(rel[-2]) and not ends_param
    if method == "GET":
        if "export" in rel:
            return "export"
        if ends_param:
            return "get"
        ok = op["responses"].get("200")
        if ok and ok["schema"] is not None and _is_listing(schemas, ok["schema"]):
            return "list"
        return "other"
    if ends_param:
        return {"PATCH": "update", "PUT": "replace", "DELETE": "delete"}.get(method, "other")
    if after_param:
        collection = has_get or last in COLLECTION_SEGMENTS
        return "create" if method == "POST" and collection else "action"
    if method == "POST":
        return "action" if last in ACTION_SEGMENTS else "create"
    return "other"


def _resource(rel: list[str], kind: str) -> tuple[str, str | None]:
    segs = ["{}" if _is_param(s) else s for s in rel]
    if kind == "action":
        while len(segs) > 1 and segs[-1] in ACTION_SEGMENTS:
            segs = segs[:-1]
        if len(segs) > 1 and segs[-1] != "{}" and segs[-2] == "{}":
            segs = segs[:-1]
    if segs and segs[-1] == "{}":
        segs = segs[:-1]
    resource = "/".join(segs)
    parent = None
    if "{}" in segs:
        idx = len(segs) - 1 - segs[::-1].index("{}")
        parent = "/".join(segs[:idx]) or None
    return resource, parent


def _content(node: dict[str, Any], norm: _Normalizer) -> tuple[str | None, Any]:
    content = node.get("content") or {}
    if not content:
        return None, None
    ctype = "application/json" if "application/json" in content else sorted(content)[0]
    schema = content[ctype].get("schema")
    return ctype, (norm.schema(schema) if schema is not None else None)


def _module_of(doc: dict[str, Any]) -> tuple[str, str]:
    base = urlparse(doc["servers"][0]["url"]).path.rstrip("/")
    return base.strip("/").split("/")[0], base


def build_manifest(source_dir: Path) -> dict[str, Any]:
    """Build the manifest dict from the ``*.json`` documents directly in ``source_dir``."""
    files = sorted(p for p in Path(source_dir).glob("*.json") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no OpenAPI documents in {source_dir}")
    sources: dict[str, str] = {}
    modules: dict[str, Any] = {}
    scopes: set[str] = set()
    schemas: dict[str, Any] = {}
    pending: list[tuple[dict[str, Any], list[str], dict[str, Any]]] = []
    for path in files:
        data = path.read_bytes()
        sources[path.name] = hashlib.sha256(data).hexdigest()
        doc = json.loads(data)
        module, base = _module_of(doc)
        if module in modules:
            raise ValueError(f"module {module!r} defined by two documents")
        norm = _Normalizer(module)
        comps = doc.get("components", {})
        file_scopes = sorted(
            comps["securitySchemes"]["oauth"]["flows"]["clientCredentials"]["scopes"]
        )
        scopes.update(file_scopes)
        prefixes = {".".join(s.split(".")[:2]) for s in file_scopes}
        modules[module] = {
            "base": base,
            "file": path.name,
            "name": doc["info"]["title"],
            "scopePrefix": prefixes.pop() if len(prefixes) == 1 else None,
        }
        for name, schema in comps.get("schemas", {}).items():
            schemas[f"{module}:{name}"] = norm.schema(schema)
        for doc_path, item in doc["paths"].items():
            for method in METHODS:
                if method not in item:
                    continue
                raw = item[method]
                op = _operation(module, base, doc_path, method, raw, norm)
                pending.append((op, _relative_segments(doc_path), raw))
    get_resources = {
        (op["module"], "/".join("{}" if _is_param(s) else s for s in rel))
        for op, rel, _ in pending
        if op["method"] == "GET"
    }
    operations = []
    for op, rel, raw in pending:
        key = (op["module"], "/".join("{}" if _is_param(s) else s for s in rel))
        op["kind"] = _classify(op, rel, raw, schemas, key in get_resources)
        op["resource"], op["parent"] = _resource(rel, op["kind"])
        operations.append(op)
    operations.sort(key=lambda o: (o["module"], o["path"], o["method"]))
    ids = Counter(o["id"] for o in operations)
    dupes = [i for i, n in ids.items() if n > 1]
    if dupes:
        raise ValueError(f"duplicate operation ids: {dupes}")
    return {
        "format": FORMAT,
        "sources": sources,
        "modules": modules,
        "scopes": sorted(scopes),
        "operations": operations,
        "schemas": schemas,
    }


def _operation(
    module: str, base: str, doc_path: str, method: str, raw: dict[str, Any], norm: _Normalizer
) -> dict[str, Any]:
    security = raw.get("security") or []
    op_scopes = [s for req in security for s in req.get("oauth", [])]
    if len(op_scopes) != 1:
        raise ValueError(f"{module} {method} {doc_path}: expected one oauth scope")
    parameters = [
        {
            "name": p["name"],
            "in": p["in"],
            "required": bool(p.get("required", False)),
            "schema": norm.schema(p.get("schema", {})),
        }
        for p in raw.get("parameters", [])
        if p.get("in") in ("path", "query", "header")
    ]
    body = None
    if "requestBody" in raw:
        ctype, schema = _content(raw["requestBody"], norm)
        body = {
            "required": bool(raw["requestBody"].get("required", False)),
            "contentType": ctype,
            "schema": schema,
        }
    responses = {}
    for code, resp in raw.get("responses", {}).items():
        ctype, schema = _content(resp, norm)
        responses[str(code)] = {"contentType": ctype, "schema": schema}
    tags = raw.get("tags") or [None]
    return {
        "id": f"{module}.{raw['operationId']}",
        "operationId": raw["operationId"],
        "module": module,
        "method": method.upper(),
        "path": base + doc_path,
        "scope": op_scopes[0],
        "tag": tags[0],
        "deprecated": bool(raw.get("deprecated", False)),
        "parameters": parameters,
        "requestBody": body,
        "responses": responses,
    }


def dumps_manifest(manifest: dict[str, Any]) -> str:
    """Serialize deterministically (sorted keys, one space indent, trailing newline)."""
    return json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _kind_table(manifest: dict[str, Any]) -> str:
    counts = Counter(op["kind"] for op in manifest["operations"])
    lines = [f"{'kind':<10} {'count':>5}"]
    lines += [f"{kind:<10} {n:>5}" for kind, n in sorted(counts.items())]
    lines.append(f"{'total':<10} {sum(counts.values()):>5}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--history-output", type=Path, default=DEFAULT_HISTORY)
    parser.add_argument("--changelog", type=Path, default=DEFAULT_CHANGELOG)
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    args = parser.parse_args(argv)
    manifest = build_manifest(args.source)
    text = dumps_manifest(manifest)
    # The release history (ServiceTitan's catalog across the document sets, and CHANGELOG.md).
    from release_history import build_history, dumps_history

    history_text = dumps_history(build_history(args.source, args.changelog))
    outputs = ((args.output, text), (args.history_output, history_text))
    if args.check:
        stale = [
            path
            for path, wanted in outputs
            if (path.read_text(encoding="utf-8") if path.exists() else None) != wanted
        ]
        for path in stale:
            print(f"{path} is out of date; run tools/build_manifest.py", file=sys.stderr)
        if stale:
            return 1
        print(f"{args.output} is up to date ({len(manifest['operations'])} operations)")
        print(f"{args.history_output} is up to date")
        return 0
    for path, wanted in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
    print(_kind_table(manifest))
    print(f"wrote {args.output} ({len(text.encode()):,} bytes)")
    print(f"wrote {args.history_output} ({len(history_text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
