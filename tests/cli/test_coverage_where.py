"""``localtitan coverage --where OPERATION_ID``: where one operation is served."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from localtitan import cli


def _run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli.app, ["coverage", *args, "--data-dir", str(tmp_path)])


def test_a_behaviour_is_named_with_its_module_and_file(tmp_path: Path) -> None:
    result = _run(tmp_path, "--where", "Jobs_Cancel")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("jpm.Jobs_Cancel  PUT /jpm/v2/tenant/{tenant}/jobs/{id}/cancel")
    assert "handler:     localtitan.domain.jpm.cancel_job  (localtitan/domain/jpm.py:" in out
    assert "served by:   behaviour" in out
    # What its code works on: the job, its appointments, the cancel log and the history.
    touches = next(line for line in out.splitlines() if "touches:" in line)
    for kind in ("jpm:jobs", "jpm:appointments", "jpm:jobs/{}/canceled-logs"):
        assert kind in touches
    # The module-qualified form names the same operation.
    assert _run(tmp_path, "--where", "jpm.Jobs_Cancel").stdout == out


def test_a_generic_list_is_named_with_its_collection_and_filters(tmp_path: Path) -> None:
    result = _run(tmp_path, "--where", "Customers_GetList")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "handler:     localtitan.engine.generic._list_handler" in out
    assert "(localtitan/engine/generic.py:" in out
    assert "served by:   generic list handler" in out
    assert "reads:       crm:customers\n" in out
    assert "writes:      nothing\n" in out
    filters = dict(
        line.split(None, 1)
        for line in out.split("  filters:\n", 1)[1].splitlines()
        if line.startswith("    ")
    )
    assert filters["modifiedOnOrAfter"] == "records.modified_on >= :value"
    assert filters["ids"] == "records.id IN (:value)"
    assert filters["active"].startswith("records.active IS 1 (by default")
    assert "page" not in filters and "pageSize" not in filters


def test_a_bare_id_in_several_modules_prints_each(tmp_path: Path) -> None:
    out = _run(tmp_path, "--where", "Jobs_Get").stdout
    assert "forms.Jobs_Get  GET /forms/v2/tenant/{tenant}/jobs/attachment/{id}" in out
    assert "jpm.Jobs_Get  GET /jpm/v2/tenant/{tenant}/jobs/{id}" in out
    assert "localtitan.domain.attachments.job_attachment" in out
    assert "localtitan.engine.generic._get_handler" in out


def test_json_for_scripts(tmp_path: Path) -> None:
    found = json.loads(_run(tmp_path, "--where", "jpm.Jobs_Get", "--json").stdout)
    assert [d["id"] for d in found] == ["jpm.Jobs_Get"]
    assert found[0]["served_by"] == "generic"
    assert found[0]["reads"] == ["jpm:jobs"]
    assert found[0]["file"] == "localtitan/engine/generic.py"


def test_an_unknown_id_is_one_clear_line_and_a_failure(tmp_path: Path) -> None:
    result = _run(tmp_path, "--where", "Jobs_Cancle")
    assert result.exit_code == 1
    assert result.stdout == ""
    # One sentence (the console may wrap it to its width).
    text = " ".join(result.stderr.split())
    assert text == "Error: No operation is named 'Jobs_Cancle'; did you mean Jobs_Cancel?"
    far = _run(tmp_path, "--where", "Zzz")
    assert far.exit_code == 1
    assert "use an operationId such as Jobs_Cancel" in " ".join(far.stderr.split())
