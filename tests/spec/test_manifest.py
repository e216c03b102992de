"""The compiled manifest: drift against the OpenAPI documents, shape and classification."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from localtitan.spec import Manifest, load_manifest

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared/reference/servicetitan-openapi"
COMMITTED = REPO / "src/localtitan/spec/manifest.json"
KINDS = {"list", "get", "create", "update", "replace", "delete", "action", "export", "download"}
PROSE_KEYS = {"description", "summary", "title", "example", "examples"}


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_manifest", REPO / "tools/build_manifest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_manifest", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return load_manifest()


def _need_source() -> None:
    if not SOURCE.is_dir():
        pytest.skip(f"OpenAPI reference documents not found at {SOURCE}; drift not checked")


def test_committed_manifest_matches_the_documents(raw: dict[str, Any]) -> None:
    _need_source()
    tool = _tool()
    rebuilt = tool.build_manifest(SOURCE)
    assert rebuilt == raw
    assert tool.dumps_manifest(rebuilt) == COMMITTED.read_text(encoding="utf-8")


def test_check_mode_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need_source()
    tool = _tool()
    assert tool.main(["--check", "--source", str(SOURCE), "--output", str(COMMITTED)]) == 0
    stale = tmp_path / "manifest.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert tool.main(["--check", "--source", str(SOURCE), "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_sources_cover_the_24_documents(raw: dict[str, Any]) -> None:
    assert len(raw["sources"]) == 24
    assert raw["format"] == 1
    assert all(len(digest) == 64 for digest in raw["sources"].values())


def test_all_operations_present_with_unique_ids(manifest: Manifest) -> None:
    assert len(manifest.operations) == 559
    ids = [op.id for op in manifest.operations]
    assert len(set(ids)) == 559
    assert {"jpm.Jobs_Get", "forms.Jobs_Get"} <= set(ids)
    per_module = Counter(op.module for op in manifest.operations)
    assert per_module["crm"] == 86
    assert per_module["jpm"] == 71
    assert per_module["telecom"] == 7


def test_operations_are_sorted(raw: dict[str, Any]) -> None:
    keys = [(o["module"], o["path"], o["method"]) for o in raw["operations"]]
    assert keys == sorted(keys)


def test_every_operation_scope_is_declared(manifest: Manifest) -> None:
    for op in manifest.operations:
        assert op.scope in manifest.scopes, op.id
        prefix = manifest.modules[op.module].scope_prefix
        assert prefix is not None and op.scope.startswith(prefix + "."), op.id


def test_modules(manifest: Manifest) -> None:
    assert len(manifest.modules) == 24
    crm = manifest.modules["crm"]
    assert (crm.base, crm.file, crm.scope_prefix, crm.name) == (
        "/crm/v2",
        "crm-v2.json",
        "tn.crm",
        "CRM",
    )
    assert manifest.modules["telecom"].base == "/telecom"
    assert manifest.modules["service-agreements"].base == "/service-agreements/v2"
    assert manifest.modules["equipmentsystems"].file == "equipment-systems-v2.json"


def _keys(node: Any, in_properties: bool = False) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if not in_properties:
                yield key
            # Keys of a ``properties`` map are field names (a field may be called "summary").
            yield from _keys(value, in_properties=key == "properties" and not in_properties)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def test_no_prose_anywhere(raw: dict[str, Any]) -> None:
    found = PROSE_KEYS & set(_keys(raw))
    assert not found


def test_every_ref_resolves(raw: dict[str, Any], manifest: Manifest) -> None:
    refs = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw["operations"])
    walk(raw["schemas"])
    assert refs
    missing = {r for r in refs if r not in manifest.schemas}
    assert not missing


def test_kind_counts(manifest: Manifest) -> None:
    counts = Counter(op.kind for op in manifest.operations)
    assert set(counts) <= KINDS | {"other"}
    assert counts["export"] == 53  # 52 ``/export/...`` plus the legacy ``/estimates/export``
    assert counts["list"] >= 160
    assert counts["download"] == 5
    assert sum(counts.values()) == 559
    for op in manifest.operations:
        if op.kind == "export":
            assert op.method == "GET" and "export" in op.path.split("/"), op.id


@pytest.mark.parametrize(
    ("op_id", "kind", "resource", "parent"),
    [
        ("crm.Customers_GetList", "list", "customers", None),
        ("crm.Customers_Get", "get", "customers", None),
        ("crm.Customers_Create", "create", "customers", None),
        ("crm.Customers_Update", "update", "customers", None),
        ("crm.Customers_GetNotes", "list", "customers/{}/notes", "customers"),
        ("crm.Customers_CreateNote", "create", "customers/{}/notes", "customers"),
        ("crm.Customers_DeleteNote", "delete", "customers/{}/notes", "customers"),
        ("crm.Contacts_Replace", "replace", "contacts", None),
        ("crm.ExportCustomers_GetCustomers", "export", "export/customers", None),
        ("jpm.Jobs_Cancel", "action", "jobs", None),
        ("jpm.Appointments_Hold", "action", "appointments", None),
        ("jpm.Appointments_RemoveHold", "action", "appointments", None),
        ("accounting.Invoices_MarkAsExported", "action", "invoices", None),
        ("telecom.Calls_GetRecording", "download", "calls/{}/recording", "calls"),
        ("pricebook.Images_Get", "download", "images", None),
        ("telecom.Calls_Calls", "list", "calls", None),
        ("sales.EstimatesExport_EstimatesAsyncLegacy", "export", "estimates/export", None),
    ],
)
def test_classification(
    manifest: Manifest, op_id: str, kind: str, resource: str, parent: str | None
) -> None:
    op = manifest.by_id[op_id]
    assert (op.kind, op.resource, op.parent) == (kind, resource, parent)


def test_operation_fields(manifest: Manifest) -> None:
    op = manifest.by_id["crm.Customers_GetList"]
    assert (op.method, op.path, op.scope, op.tag) == (
        "GET",
        "/crm/v2/tenant/{tenant}/customers",
        "tn.crm.customers:r",
        "Customers",
    )
    assert op.deprecated is False
    page = next(p for p in op.parameters if p.name == "page")
    assert (page.location, page.required, dict(page.schema)) == (
        "query",
        False,
        {"type": ["integer"], "format": "int32"},
    )
    active = next(p for p in op.parameters if p.name == "active")
    assert dict(active.schema) == {"$ref": "crm:ActiveRequestArg"}
    assert op.request_body is None
    assert op.responses["200"]["contentType"] == "application/json"
    calls = manifest.by_id["telecom.Calls_Calls"]
    assert calls.path == "/telecom/v3/tenant/{tenant}/calls"


def test_schema_normalization(manifest: Manifest) -> None:
    create = manifest.by_id["crm.Customers_Create"]
    assert create.request_body is not None
    assert create.request_body["contentType"] == "application/json"
    body = manifest.resolve(create.request_body["schema"])
    props = body["properties"]
    assert props["address"] == {"$ref": "crm:Crm.V2.Customers.CustomerAddress"}
    assert props["type"] == {"$ref": "crm:Crm.V2.CustomerType", "nullable": True}
    assert props["doNotMail"] == {"type": ["boolean", "null"]}
    assert props["name"] == {"type": ["string"]}
    assert body["additionalProperties"] is False
    assert set(body["required"]) == {"name", "locations", "address"}
    assert manifest.resolve(props["type"])["enum"] == ["Residential", "Commercial"]


def test_loader_is_cached_and_resolves(manifest: Manifest) -> None:
    assert load_manifest() is manifest
    assert manifest.by_id is manifest.by_id
    with pytest.raises(KeyError):
        manifest.resolve({"$ref": "crm:Nope"})
    assert manifest.resolve({"type": ["string"]}) == {"type": ["string"]}
