"""What the CLI prints of stored text is that text: no emoji codes, no Rich markup."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from localtitan import cli

# ":ab:" and ":ok:" are emoji codes to Rich, "[bold]" is its markup; a certificate fingerprint
# such as "...:36:AB:87:..." once lost its "AB" to a picture this way.
NAME = "Acme :ok: Heating [bold]AB[/bold] 36:AB:87"


def test_a_tenant_name_is_printed_as_it_was_given(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        cli.app, ["tenant", "create", "--name", NAME, "--id", "4242", "--data-dir", str(tmp_path)]
    )
    assert made.exit_code == 0, made.output
    assert f"Created tenant 4242 ({NAME})" in made.stdout
    listed = runner.invoke(cli.app, ["tenant", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    assert f"4242  {NAME}" in listed.stdout


def test_an_error_quoting_what_was_typed_prints_it_as_typed(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli.app, ["release-notes", "publish", "[bold]nope[/bold]", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "There is no release '[bold]nope[/bold]'" in result.stderr
