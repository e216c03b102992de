"""The engine and the domain package do not import each other; both stand on
``localtitan.handling``, and only the composition root (``localtitan.operations``) sees both."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import localtitan.domain
import localtitan.engine
import localtitan.handling


def _modules(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    paths = package.__path__  # type: ignore[attr-defined]
    return [name, *(f"{name}.{m.name}" for m in pkgutil.iter_modules(paths))]


def _loaded_after(imports: list[str]) -> set[str]:
    """The localtitan modules a fresh interpreter holds after importing ``imports``."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {imports!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.startswith('localtitan'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout))


def _within(loaded: set[str], package: str) -> list[str]:
    return sorted(n for n in loaded if n == package or n.startswith(package + "."))


def test_importing_the_engine_imports_no_domain_module() -> None:
    assert _within(_loaded_after(["localtitan.engine"]), "localtitan.domain") == []
    every = _loaded_after(_modules(localtitan.engine))
    assert _within(every, "localtitan.domain") == []
    assert "localtitan.operations" not in every


def test_no_domain_module_imports_an_engine_module() -> None:
    # One interpreter for all of them: if any imported the engine, the union would hold it.
    assert _within(_loaded_after(["localtitan.domain.jpm"]), "localtitan.engine") == []
    loaded = _loaded_after(_modules(localtitan.domain))
    assert _within(loaded, "localtitan.engine") == []
    assert "localtitan.operations" not in loaded


def test_the_shared_package_imports_neither() -> None:
    loaded = _loaded_after(_modules(localtitan.handling))
    assert _within(loaded, "localtitan.engine") == []
    assert _within(loaded, "localtitan.domain") == []


def test_the_composition_root_is_where_both_meet() -> None:
    loaded = _loaded_after(["localtitan.operations"])
    assert "localtitan.engine.generic" in loaded
    assert "localtitan.domain.jpm" in loaded
