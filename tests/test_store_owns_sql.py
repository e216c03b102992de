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


def _offences(source: str) -> list[str]:
    tree = ast.parse(source)
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
        offences = _offences(path.read_text(encoding="utf-8"))
        if offences:
            result[path.relative_to(_ROOT).as_posix()] = offences
    return result


def test_nothing_above_the_store_imports_sqlalchemy_or_holds_sql() -> None:
    assert _modules_above_the_store() == {}, "move these statements into localtitan.store"


def test_the_check_sees_an_import_and_a_statement() -> None:
    source = (
        "from sqlalchemy import select\n"
        "import sqlalchemy.ext.asyncio\n"
        "Q = 'SELECT data FROM records WHERE id = ?'\n"
        "TEXT = 'select a plan that suits you'\n"
    )
    assert _offences(source) == [
        "imports from sqlalchemy",
        "imports sqlalchemy.ext.asyncio",
        "line 3 holds SQL text",
    ]
