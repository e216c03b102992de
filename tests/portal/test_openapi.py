"""The OpenAPI documents generated per module: valid 3.1, this server's URLs, our own words."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from localtitan.operations import implemented_operations
from localtitan.portal.openapi import build_document, summary_of
from localtitan.spec import Manifest, load_manifest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("LOCALTITAN_REFERENCE_DIR") or REPO.parent / "shared/reference")
SOURCE = REFERENCE / "servicetitan-openapi"
BASE = "http://127.0.0.1:8123"
MANIFEST = load_manifest()


@pytest.fixture(scope="module")
def implemented() -> Mapping[str, str]:
    return implemented_operations(MANIFEST.operations)


@pytest.fixture(scope="module")
def documents(implemented: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    return {m: build_document(MANIFEST, m, BASE, implemented) for m in MANIFEST.modules}


@pytest.mark.parametrize("module", sorted(MANIFEST.modules))
def test_every_module_document_validates(documents: dict[str, dict[str, Any]], module: str) -> None:
    document = documents[module]
    validate(document)  # openapi-spec-validator, OpenAPI 3.1 rules
    assert document["openapi"].startswith("3.1")
    ops = [o for o in MANIFEST.operations if o.module == module]
    found = [(m.upper(), p) for p, item in document["paths"].items() for m in item]
    assert sorted(found) == sorted((o.method, o.path) for o in ops)


def test_servers_and_security_name_this_server(documents: dict[str, dict[str, Any]]) -> None:
    crm = documents["crm"]
    assert crm["servers"] == [
        {"url": f"{BASE}/api-integration", "description": "Integration"},
        {"url": f"{BASE}/api", "description": "Production"},
    ]
    schemes = crm["components"]["securitySchemes"]
    flows = {name: s["flows"]["clientCredentials"] for name, s in schemes.items() if "flows" in s}
    assert flows["oauth2Integration"]["tokenUrl"] == f"{BASE}/auth-integration/connect/token"
    assert flows["oauth2Production"]["tokenUrl"] == f"{BASE}/auth/connect/token"
    assert "tn.crm.customers:r" in flows["oauth2Integration"]["scopes"]
    assert schemes["appKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "ST-App-Key",
        "description": schemes["appKey"]["description"],
    }


def test_operations_carry_ids_scopes_and_implementation(
    documents: dict[str, dict[str, Any]], implemented: Mapping[str, str]
) -> None:
    get_list = documents["crm"]["paths"]["/crm/v2/tenant/{tenant}/customers"]["get"]
    assert get_list["operationId"] == "Customers_GetList"
    assert get_list["summary"] == "List customers"
    assert get_list["security"] == [
        {"oauth2Integration": ["tn.crm.customers:r"], "appKey": []},
        {"oauth2Production": ["tn.crm.customers:r"], "appKey": []},
    ]
    assert get_list["x-localtitan-implemented"] is True
    flags = {
        (module, op["operationId"]): op["x-localtitan-implemented"]
        for module, doc in documents.items()
        for item in doc["paths"].values()
        for op in item.values()
    }
    assert sum(flags.values()) == len(implemented)
    missing = [o for o in MANIFEST.operations if o.id not in implemented]
    if missing:
        op = missing[0]
        item = documents[op.module]["paths"][op.path][op.method.lower()]
        assert item["x-localtitan-implemented"] is False
        assert "501" in item["description"]


def test_nullable_references_become_3_1_unions(documents: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(documents)
    assert '"nullable"' not in text
    assert '{"$ref": "#/components/schemas/' in text
    assert '"type": "null"' in text


def _servicetitan_prose() -> set[str]:
    prose: set[str] = set()
    for path in SOURCE.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for item in doc["paths"].values():
            for op in item.values():
                if isinstance(op, dict):
                    prose.update(t.strip() for t in (op.get("summary"), op.get("description")) if t)
    return prose


def test_summaries_are_ours_not_servicetitans(documents: dict[str, dict[str, Any]]) -> None:
    if not SOURCE.is_dir():
        pytest.skip(f"OpenAPI reference documents not found at {SOURCE}")
    theirs = _servicetitan_prose()
    ours = [
        text
        for doc in documents.values()
        for item in doc["paths"].values()
        for op in item.values()
        for text in (op["summary"], op["description"])
    ]
    assert len(theirs) > 300
    assert not [t for t in ours if t in theirs]


def test_summary_names_the_kind_and_resource(documents: dict[str, dict[str, Any]]) -> None:
    m: Manifest = MANIFEST
    ops = {o.id: o for o in m.operations}
    assert summary_of(ops["jpm.Jobs_Cancel"]) == "Cancel (jobs)"
    assert summary_of(ops["crm.Customers_GetContactList"]).startswith("List contacts of customers")
    assert summary_of(ops["memberships.Export_LocationRecurringServices"]).startswith("Export ")


def test_unknown_module_is_refused() -> None:
    with pytest.raises(KeyError):
        build_document(MANIFEST, "nope", BASE, {})
