"""Compile the release history shown at ``/release-notes`` (``spec/release_history.json``).

Two kinds of release, newest first:

* ServiceTitan's catalog, from the document sets under the reference folder: the 2022 set
  (``historical-2022-compwright-servicetitan/*.yml``) is the first release, every operation
  in it ``Added``; the current set (``*.json``) is the next, with the operations ``Added`` and
  ``Removed`` since, ``Updated`` where parameters or request/response fields changed, and
  ``Deprecated`` where fields became deprecated. The dates are the snapshots' dates in the
  folder's ``SOURCES.md``. Operations are matched by module, method and path (parameter names
  ignored); only facts are kept: operation ids, methods, paths, scopes, field and parameter
  names. No description, summary or example is read.
* localtitan's own releases, from the dated ``## [version] - date`` sections of CHANGELOG.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = ["HISTORY_FORMAT", "build_history", "dumps_history"]

HISTORY_FORMAT = 1
HISTORICAL_DIR = "historical-2022-compwright-servicetitan"
METHODS = ("get", "post", "put", "patch", "delete")
_MAX_DEPTH = 6
_CHANGES = {
    "added": "Added",
    "changed": "Updated",
    "fixed": "Updated",
    "security": "Updated",
    "deprecated": "Deprecated",
    "removed": "Removed",
}


def _load_yaml(path: Path) -> Any:
    import yaml  # only the history needs it; a dev dependency

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Shapes:
    """Flattens a schema into ``field path -> (type, deprecated)``, refs resolved."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.schemas = (doc.get("components") or {}).get("schemas") or {}

    def _resolve(self, schema: Any, seen: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        for _ in range(32):
            if not isinstance(schema, dict):
                return schema, seen
            if "$ref" in schema:
                name = schema["$ref"].rsplit("/", 1)[-1]
                if name in seen:
                    return None, seen
                seen = (*seen, name)
                schema = self.schemas.get(name)
                continue
            branches = schema.get("allOf") or schema.get("oneOf") or schema.get("anyOf")
            if branches and "properties" not in schema:
                real = [
                    b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")
                ]
                if len(real) == 1:
                    schema = real[0]
                    continue
            return schema, seen
        return None, seen

    @staticmethod
    def _type(schema: dict[str, Any]) -> str:
        raw = schema.get("type")
        types = [raw] if isinstance(raw, str) else list(raw or [])
        types = [t for t in types if t != "null"]
        if not types and "enum" in schema:
            return "enum"
        return "|".join(sorted(types)) or "any"

    def fields(self, schema: Any) -> dict[str, tuple[str, bool]]:
        out: dict[str, tuple[str, bool]] = {}
        self._walk(schema, "", out, (), 0)
        return out

    def _walk(
        self,
        schema: Any,
        prefix: str,
        out: dict[str, tuple[str, bool]],
        seen: tuple[str, ...],
        depth: int,
    ) -> None:
        deprecated = isinstance(schema, dict) and bool(schema.get("deprecated"))
        schema, seen = self._resolve(schema, seen)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return
        deprecated = deprecated or bool(schema.get("deprecated"))
        kind = self._type(schema)
        # A list of scalars is its field already: ``tags[]`` would only repeat ``tags``.
        if prefix and not prefix.endswith("[]"):
            out[prefix] = (kind, deprecated)
        for name, sub in (schema.get("properties") or {}).items():
            self._walk(sub, f"{prefix}.{name}" if prefix else name, out, seen, depth + 1)
        if "items" in schema:
            self._walk(schema["items"], f"{prefix}[]", out, seen, depth + 1)


def _success_schema(op: dict[str, Any]) -> Any:
    for code in sorted(op.get("responses") or {}):
        if str(code).startswith("2"):
            content = (op["responses"][code] or {}).get("content") or {}
            for ctype in ("application/json", *sorted(content)):
                if ctype in content:
                    return content[ctype].get("schema")
    return None


def _body_schema(op: dict[str, Any]) -> Any:
    content = (op.get("requestBody") or {}).get("content") or {}
    for ctype in ("application/json", *sorted(content)):
        if ctype in content:
            return content[ctype].get("schema")
    return None


def _operations(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = urlparse(doc["servers"][0]["url"]).path.rstrip("/")
    module = base.strip("/").split("/")[0]
    shapes = _Shapes(doc)
    for doc_path, item in doc["paths"].items():
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            path = base + doc_path
            scopes = [s for req in raw.get("security") or [] for s in req.get("oauth", [])]
            params = {}
            for p in raw.get("parameters") or []:
                if p.get("in") in ("query", "header"):
                    schema, _ = shapes._resolve(p.get("schema") or {}, ())
                    kind = _Shapes._type(schema) if isinstance(schema, dict) else "any"
                    params[p["name"]] = (kind, bool(p.get("required")))
            yield {
                "key": (module, method.upper(), re.sub(r"\{[^}]*\}", "{}", path)),
                "module": module,
                "method": method.upper(),
                "path": path,
                "operationId": raw["operationId"],
                "scope": scopes[0] if scopes else None,
                "parameters": params,
                "body": shapes.fields(_body_schema(raw)),
                "response": shapes.fields(_success_schema(raw)),
            }


def _catalog(paths: list[Path], load: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in paths:
        for op in _operations(load(path)):
            found[op["key"]] = op
    return found


def _names(values: list[str]) -> str:
    return ", ".join(f"`{v}`" for v in sorted(values))


def _field_details(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    details = []
    added = [f for f in new if f not in old]
    removed = [f for f in old if f not in new]
    retyped = [f for f in new if f in old and new[f][0] != old[f][0]]
    if added:
        details.append(f"{where}: fields added {_names(added)}")
    if removed:
        details.append(f"{where}: fields removed {_names(removed)}")
    if retyped:
        details.append(
            f"{where}: type changed "
            + ", ".join(f"`{f}` {old[f][0]} -> {new[f][0]}" for f in sorted(retyped))
        )
    return details


def _deprecated_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f for f, (_, dep) in new.items() if dep and not (f in old and old[f][1])]


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(details of updates, newly deprecated fields) of one operation."""
    details = []
    if old["operationId"] != new["operationId"]:
        details.append(f"operation id was `{old['operationId']}`")
    if old["path"] != new["path"]:
        details.append(f"path parameters renamed (was `{old['path']}`)")
    op, np = old["parameters"], new["parameters"]
    if added := [p for p in np if p not in op]:
        details.append(f"query parameters added {_names(added)}")
    if removed := [p for p in op if p not in np]:
        details.append(f"query parameters removed {_names(removed)}")
    if now_required := [p for p in np if p in op and np[p][1] and not op[p][1]]:
        details.append(f"query parameters now required {_names(now_required)}")
    details += _field_details("request body", old["body"], new["body"])
    details += _field_details("response", old["response"], new["response"])
    deprecated = _deprecated_fields(old["body"], new["body"])
    deprecated += _deprecated_fields(old["response"], new["response"])
    return details, sorted(set(deprecated))


def _item(change: str, op: dict[str, Any], details: list[str] | None = None) -> dict[str, Any]:
    return {
        "change": change,
        "module": op["module"],
        "operationId": op["operationId"],
        "method": op["method"],
        "path": op["path"],
        "scope": op["scope"],
        "details": details or [],
    }


def _snapshot_dates(sources_md: Path) -> tuple[str, str]:
    """(2022 set date, current set date) as SOURCES.md states them."""
    text = sources_md.read_text(encoding="utf-8")
    current = re.search(r"HEAD commit `[0-9a-f]{40}` \((\d{4}-\d{2}-\d{2})\)", text)
    historical = re.search(r"Copied from commit `[0-9a-f]{40}` \((\d{4}-\d{2}-\d{2})", text)
    if not current or not historical:
        raise ValueError(f"{sources_md} no longer states both snapshot dates")
    return historical.group(1), current.group(1)


def _order(item: dict[str, Any]) -> tuple[str, str, str, str]:
    return (item["module"] or "", item["change"], item.get("path") or "", item.get("method") or "")


def _servicetitan(source: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    old_files = sorted((source / HISTORICAL_DIR).glob("*.yml"))
    new_files = sorted(p for p in source.glob("*.json") if p.is_file())
    if not old_files or not new_files:
        raise FileNotFoundError(f"no 2022 or current OpenAPI documents under {source}")
    old_date, new_date = _snapshot_dates(source / "SOURCES.md")
    old = _catalog(old_files, _load_yaml)
    new = _catalog(new_files, lambda p: json.loads(p.read_text(encoding="utf-8")))
    first = sorted((_item("Added", op) for op in old.values()), key=_order)
    later: list[dict[str, Any]] = []
    for key, op in new.items():
        if key not in old:
            later.append(_item("Added", op))
            continue
        details, deprecated = _diff(old[key], op)
        if deprecated:
            later.append(_item("Deprecated", op, [f"fields deprecated {_names(deprecated)}"]))
        if details:
            later.append(_item("Updated", op, details))
    later += [_item("Removed", op) for key, op in old.items() if key not in new]
    later.sort(key=_order)
    releases = [
        {
            "id": f"servicetitan-{new_date}",
            "source": "servicetitan",
            "label": f"ServiceTitan catalog, {new_date} snapshot",
            "date": new_date,
            "summary": f"Changes to ServiceTitan's published API documents between the "
            f"{old_date} and {new_date} snapshots.",
            "items": later,
        },
        {
            "id": f"servicetitan-{old_date}",
            "source": "servicetitan",
            "label": f"ServiceTitan catalog, {old_date} snapshot",
            "date": old_date,
            "summary": f"The operations of ServiceTitan's published API documents on {old_date}, "
            "the oldest set this history starts from (those documents declare no scopes).",
            "items": first,
        },
    ]
    sources = {f"{HISTORICAL_DIR}/{p.name}": _sha(p) for p in old_files}
    sources.update({p.name: _sha(p) for p in new_files})
    return releases, sources


def _changelog(path: Path) -> list[dict[str, Any]]:
    """The dated releases of a Keep a Changelog file; ``[Unreleased]`` is left out."""
    releases: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    change = "Added"
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## \[([^\]]+)\] - (\d{4}-\d{2}-\d{2})\s*$", line)
        if heading:
            version, date = heading.groups()
            current = {
                "id": f"localtitan-{version}",
                "source": "localtitan",
                "label": f"localtitan {version}",
                "date": date,
                "summary": "",
                "items": [],
            }
            releases.append(current)
            continue
        if line.startswith("## "):
            current = None
            continue
        if current is None:
            continue
        if line.startswith("### "):
            change = _CHANGES.get(line[4:].strip().lower(), "Updated")
        elif line.startswith("- "):
            current["items"].append({"change": change, "module": None, "text": line[2:].strip()})
        elif line.startswith("  ") and current["items"]:
            current["items"][-1]["text"] += " " + line.strip()
        elif line.strip() and not current["items"]:
            current["summary"] = (current["summary"] + " " + line.strip()).strip()
    for release in releases:
        for item in release["items"]:
            tagged = re.match(r"^\[([a-z0-9-]+)\]\s+(.*)$", item["text"])
            if tagged:
                item["module"], item["text"] = tagged.groups()
    return releases


def build_history(source: Path, changelog: Path) -> dict[str, Any]:
    """The release history from the reference documents under ``source`` and a CHANGELOG."""
    catalog, sources = _servicetitan(source)
    releases = catalog + _changelog(changelog)
    releases.sort(key=lambda r: (r["date"], r["id"]), reverse=True)
    return {"format": HISTORY_FORMAT, "sources": sources, "releases": releases}


def dumps_history(history: dict[str, Any]) -> str:
    """Serialize deterministically (sorted keys, one space indent, trailing newline)."""
    return json.dumps(history, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
