"""The dispatch table (``localtitan.operations``): built once, checked against the manifest."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from localtitan import operations
from localtitan.cli import coverage
from localtitan.handling import Call, Handlers, Result
from localtitan.handling.table import HandlerTableError
from localtitan.runtime import Runtime
from localtitan.settings import Settings
from localtitan.spec import Manifest, load_manifest, parse_manifest

DOC = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def _fresh_manifest() -> Manifest:
    """A manifest of its own, so no dispatch table is cached with it yet."""
    return parse_manifest(resources.files("localtitan.spec").joinpath("manifest.json").read_bytes())


async def _first(call: Call) -> Result:
    return Result(body=b"first")


async def _second(call: Call) -> Result:
    return Result(body=b"second")


def test_an_id_that_names_no_operation_stops_the_build_naming_it() -> None:
    table = Handlers("tests.fake_module")
    table.register("jpm.Jobs_Cancle")(_first)
    with pytest.raises(HandlerTableError) as caught:
        operations.build_table(load_manifest(), [table])
    text = str(caught.value)
    assert "tests.fake_module serves jpm.Jobs_Cancle" in text
    assert "no operation in the manifest" in text
    assert "did you mean jpm.Jobs_Cancel?" in text


def test_a_bare_operation_id_is_refused_too() -> None:
    table = Handlers("tests.fake_module")
    table.register("Jobs_Cancel")(_first)
    with pytest.raises(HandlerTableError, match=r"serves Jobs_Cancel, which is no operation"):
        operations.build_table(load_manifest(), [table])


def test_an_operation_served_by_two_modules_stops_the_build_naming_both() -> None:
    one, two = Handlers("tests.one"), Handlers("tests.two")
    one.register("crm.Customers_GetList")(_first)
    two.register("crm.Customers_GetList")(_second)
    with pytest.raises(HandlerTableError) as caught:
        operations.build_table(load_manifest(), [one, two])
    text = str(caught.value)
    assert "crm.Customers_GetList is served twice" in text
    assert "test_operations._first (tests.one)" in text
    assert "test_operations._second (tests.two)" in text


def test_an_operation_registered_twice_in_one_module_fails_at_once() -> None:
    table = Handlers("tests.one")
    table.register("crm.Customers_GetList")(_first)
    with pytest.raises(HandlerTableError, match=r"crm.Customers_GetList has two handlers in"):
        table.register("crm.Customers_GetList")(_second)


def test_every_problem_is_reported_at_once() -> None:
    one, two = Handlers("tests.one"), Handlers("tests.two")
    one.register("crm.Nope_One", "crm.Customers_GetList")(_first)
    two.register("crm.Customers_GetList", "crm.Nope_Two")(_second)
    with pytest.raises(HandlerTableError) as caught:
        operations.build_table(load_manifest(), [one, two])
    text = str(caught.value)
    assert "crm.Nope_One" in text and "crm.Nope_Two" in text and "served twice" in text


def test_behaviours_win_and_every_other_operation_gets_its_generic_handler() -> None:
    manifest = load_manifest()
    table = Handlers("tests.one")
    table.register("crm.Customers_GetList")(_first)
    built = operations.build_table(manifest, [table])
    assert built["crm.Customers_GetList"] == (_first, "behaviour")
    # The generic list is still there for a behaviour that hands over to it.
    op = manifest.by_id["crm.Customers_GetList"]
    assert built.generic(op) is not None and built.generic(op) is not _first
    # Only the given modules count: Jobs_Cancel has no generic kind, so it would answer 501.
    assert "jpm.Jobs_Cancel" not in built
    assert built["crm.Customers_Get"].how == "generic"
    # An operation of no generic kind and no behaviour has no entry: it answers 501.
    assert all(op.id in built for op in manifest.operations if operations.generic_handler(op))
    assert len(built) < len(manifest.operations)


def test_the_packaged_table_serves_each_module_s_handlers() -> None:
    table = operations.table_for(load_manifest())
    assert table is operations.table_for(load_manifest())  # built once per manifest
    for module in operations.BEHAVIOURS:
        for op_id, fn in module.items():
            assert table[op_id] == (fn, "behaviour"), op_id
    assert table["jpm.Jobs_Cancel"].handler.__module__ == "localtitan.domain.jpm"


def test_the_runtime_builds_the_table_at_start_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime(settings)
    try:
        assert runtime.handlers is operations.table_for(runtime.manifest)
        assert runtime.handlers["jpm.Jobs_Cancel"].how == "behaviour"
    finally:
        import asyncio

        asyncio.run(runtime.close())

    bad = Handlers("tests.bad")
    bad.register("jpm.Jobs_Explode")(_first)
    monkeypatch.setattr(operations, "BEHAVIOURS", (*operations.BEHAVIOURS, bad))
    monkeypatch.setattr("localtitan.runtime.load_manifest", _fresh_manifest)
    with pytest.raises(HandlerTableError, match=r"tests.bad serves jpm.Jobs_Explode"):
        Runtime(Settings(data_dir=tmp_path / "other"))


def test_docs_operations_md_is_current() -> None:
    expected = coverage.markdown(load_manifest())
    found = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert found == expected, (
        f"docs/operations.md is stale: regenerate it with `{coverage.REGENERATE}`"
    )
