"""The engine tests' kit (``tests/engine/engine_kit.py``), shared with the behaviour tests.

Test directories are not packages, so the kit is loaded from its file once and registered
under its own name; whichever directory imports it first, both get the same module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _engine_kit() -> ModuleType:
    found = sys.modules.get("engine_kit")
    if found is not None:
        return found
    path = Path(__file__).resolve().parents[1] / "engine" / "engine_kit.py"
    spec = importlib.util.spec_from_file_location("engine_kit", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["engine_kit"] = module
    spec.loader.exec_module(module)
    return module


kit = _engine_kit()
Api = kit.Api
World = kit.World
connect = kit.connect
insert = kit.insert
parse_z = kit.parse_z
operation = kit.operation
type_problems = kit.type_problems
response_schema = kit.response_schema
error_shape_problems = kit.error_shape_problems

__all__ = [
    "Api",
    "World",
    "connect",
    "error_shape_problems",
    "insert",
    "kit",
    "operation",
    "parse_z",
    "response_schema",
    "type_problems",
]
