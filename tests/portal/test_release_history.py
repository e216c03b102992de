"""The packaged release history: rebuilt from the reference documents it must equal the
committed file (drift), and it holds the facts the release notes show."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("LOCALTITAN_REFERENCE_DIR") or REPO.parent / "shared/reference")
SOURCE = REFERENCE / "servicetitan-openapi"
COMMITTED = REPO / "src/localtitan/spec/release_history.json"
PROSE_KEYS = {"description", "summary", "example", "examples", "title"}


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / f"tools/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


def _need_source() -> None:
    if not SOURCE.is_dir():
        pytest.skip(f"OpenAPI reference documents not found at {SOURCE}; drift not checked")


@pytest.fixture(scope="module")
def history() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return data


def test_committed_history_matches_the_documents_and_changelog(history: dict[str, Any]) -> None:
    _need_source()
    tool = _tool("release_history")
    rebuilt = tool.build_history(SOURCE, REPO / "CHANGELOG.md")
    assert rebuilt == history, "run tools/build_manifest.py to rebuild release_history.json"


def test_check_mode_reports_a_stale_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _need_source()
    tool = _tool("build_manifest")
    manifest = REPO / "src/localtitan/spec/manifest.json"
    args = ["--check", "--source", str(SOURCE), "--output", str(manifest)]
    stale = tmp_path / "release_history.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert tool.main([*args, "--history-output", str(stale)]) == 1
    assert "release_history.json is out of date" in capsys.readouterr().err


def test_catalog_releases_hold_facts_of_both_document_sets(history: dict[str, Any]) -> None:
    catalog = [r for r in history["releases"] if r["source"] == "servicetitan"]
    assert [r["date"] for r in catalog] == ["2026-07-01", "2022-04-18"]
    newest, oldest = catalog
    # The 2022 set has 230 operations, every one the first time it appears.
    assert len(oldest["items"]) == 230
    assert {i["change"] for i in oldest["items"]} == {"Added"}
    kinds = {i["change"] for i in newest["items"]}
    assert {"Added", "Updated", "Removed"} <= kinds
    added = [i for i in newest["items"] if i["change"] == "Added"]
    # Timesheets did not exist in 2022; 559 operations now, 230 then, minus the 3 removed.
    assert "ActivitiesControllers_GetList" in {i["operationId"] for i in added}
    assert {i["module"] for i in added if i["operationId"] == "ActivitiesControllers_GetList"} == {
        "timesheets"
    }
    assert len(added) == 559 - (230 - 3)
    updated = {(i["method"], i["path"]): i for i in newest["items"] if i["change"] == "Updated"}
    customers = updated["GET", "/crm/v2/tenant/{tenant}/customers"]
    assert customers["scope"] == "tn.crm.customers:r"
    assert any("externalDataKey" in d for d in customers["details"])


def test_history_keeps_no_prose(history: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert not PROSE_KEYS & node.keys()
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for release in history["releases"]:
        walk(release["items"])


def test_changelog_releases_appear_with_their_module_tags(history: dict[str, Any]) -> None:
    own = [r for r in history["releases"] if r["source"] == "localtitan"]
    assert own and own[-1]["id"] == "localtitan-0.1.0"
    modules = {i["module"] for i in own[-1]["items"]}
    assert {"crm", "jpm", None} <= modules
    # [Unreleased] has no date and is not a release yet.
    assert all(r["date"] for r in history["releases"])
    assert not any("Unreleased" in r["label"] for r in history["releases"])


def test_changelog_parser_reads_sections_and_continuations(tmp_path: Path) -> None:
    tool = _tool("release_history")
    log = tmp_path / "CHANGELOG.md"
    log.write_text(
        "# Changelog\n\n## [Unreleased]\n### Added\n- not yet\n\n"
        "## [1.2.0] - 2027-01-05\nA summary line.\n\n### Removed\n- [crm] the old\n  thing\n"
        "### Fixed\n- a bug\n",
        encoding="utf-8",
    )
    releases = tool._changelog(log)
    assert len(releases) == 1
    release = releases[0]
    assert (release["id"], release["date"], release["summary"]) == (
        "localtitan-1.2.0",
        "2027-01-05",
        "A summary line.",
    )
    assert release["items"] == [
        {"change": "Removed", "module": "crm", "text": "the old thing"},
        {"change": "Updated", "module": None, "text": "a bug"},
    ]
