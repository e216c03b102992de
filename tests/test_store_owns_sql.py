"""Only ``localtitan.store`` (and its migrations) talks SQL: nothing above it imports
SQLAlchemy or holds statement text, so a newcomer finds every statement in one package and
the hot paths can run them on the drivers directly (issue 10)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import localtitan

_ROOT = Path(localtitan.__file__).parent
_STORE = _ROOT / "store"
# Statement text in a string literal: a keyword a query starts with, followed by what follows it.
_SQL = re.compile(
    r"\b(SELECT\s+\S|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX)"
    r"|PRAGMA\s|BEGIN\s+IMMEDIATE|ALTER\s+TABLE)",
)

# Modules that still talk SQL, each to move into ``store/``; the list only shrinks.
STILL_OUTSIDE: set[str] = {
    "app.py",
    "domain/_guid_records.py",
    "domain/attachments.py",
    "domain/business_hours.py",
    "domain/capacity.py",
    "domain/dispatch.py",
    "engine/generic.py",
    "handling/unit.py",
    "runtime.py",
}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                f"imports {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found.append(f"imports from {node.module}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL.search(node.value)
        ):
            found.append(f"line {node.lineno} holds SQL text")
    return found


def _modules_above_the_store() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for path in sorted(_ROOT.rglob("*.py")):
        if _STORE in path.parents:
            continue
        offences = _offences(path)
        if offences:
            result[path.relative_to(_ROOT).as_posix()] = offences
    return result


def test_nothing_above_the_store_imports_sqlalchemy_or_holds_sql() -> None:
    found = _modules_above_the_store()
    new = {name: why for name, why in found.items() if name not in STILL_OUTSIDE}
    assert new == {}, "move these statements into localtitan.store"


def test_the_list_of_modules_still_outside_only_names_offenders() -> None:
    # A module that no longer talks SQL leaves the list, so the list cannot hide a new one.
    assert sorted(STILL_OUTSIDE - set(_modules_above_the_store())) == []
