"""The demo and snapshot commands, in-process against SQLite in a temporary data dir."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from localtitan import cli


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LOCALTITAN_"):
            monkeypatch.delenv(name)


def run(data_dir: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli.app, [*args, "--data-dir", str(data_dir)])
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def run_json(data_dir: Path, *args: str) -> Any:
    return json.loads(run(data_dir, *args, "--json").stdout)


def error(result: Result) -> str:
    assert result.exit_code != 0, result.output
    return " ".join(result.stderr.split())


def test_seed_export_import_reset_and_refresh(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tenant = run_json(data, "tenant", "create", "--name", "Acme Air")["id"]
    seeded = run_json(
        data,
        "seed",
        "--tenant",
        str(tenant),
        "--customers",
        "6",
        "--seed",
        "4",
        "--anchor",
        "2025-06-15",
    )
    assert seeded["customers"] == 6 and seeded["records"] > 300
    assert seeded["recordsPerSecond"] > 0 and seeded["counts"]["crm:customers"] == 6
    again = run(data, "seed", "--tenant", str(tenant), "--size", "small", ok=False)
    assert "already has" in error(again) and "--replace" in error(again)
    both = run(
        data, "seed", "--tenant", str(tenant), "--size", "small", "--customers", "3", ok=False
    )
    assert "Give a size" in error(both)
    # Export, then import into a new tenant.
    snap = tmp_path / "acme.jsonl.gz"
    exported = run_json(data, "tenant", "export", "--tenant", str(tenant), "-o", str(snap))
    assert exported["records"] == seeded["records"] and exported["files"] == 0 and snap.exists()
    loaded = run_json(data, "tenant", "import", str(snap), "--as-tenant", "777001")
    assert loaded == {
        "tenantId": 777001,
        "environment": "integration",
        "records": seeded["records"],
        "files": 0,
        "createdTenant": True,
        "counts": seeded["counts"],
    }
    snap.write_bytes(snap.read_bytes()[:100])
    bad = run(data, "tenant", "import", str(snap), "--as-tenant", "777002", ok=False)
    assert "truncated" in error(bad)
    # Reset restores the seeded state (same seed and anchor).
    reset = run_json(data, "tenant", "reset", "--tenant", str(tenant))
    assert [(r["environment"], r["records"], r["seed"]) for r in reset] == [
        ("integration", seeded["records"], 4)
    ]
    missing = run(
        data, "tenant", "reset", "--tenant", str(tenant), "--environment", "production", ok=False
    )
    assert "no demo seed settings" in error(missing)
    # Production -> integration, with a schedule, then without.
    run_json(
        data, "seed", "--tenant", str(tenant), "--customers", "2", "--environment", "production"
    )
    refreshed = run_json(
        data, "tenant", "refresh-integration", "--tenant", str(tenant), "--every", "12h"
    )
    assert refreshed["refresh"]["copied"] > 0 and refreshed["schedule"]["everySeconds"] == 43_200
    off = run_json(data, "tenant", "refresh-integration", "--tenant", str(tenant), "--every", "off")
    assert off["scheduleRemoved"] is True
    wrong = run(
        data, "tenant", "refresh-integration", "--tenant", str(tenant), "--every", "soon", ok=False
    )
    assert "24h" in error(wrong)


def test_seed_shows_progress_for_people(tmp_path: Path) -> None:
    data = tmp_path / "data"
    tenant = run_json(data, "tenant", "create", "--name", "Acme Air")["id"]
    result = run(data, "seed", "--tenant", str(tenant), "--customers", "3")
    assert "Seeded tenant" in result.stdout and "records/s" in result.stdout
