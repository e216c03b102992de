"""A snapshot record holding fields its schema does not declare (a file edited by hand, or
written by a localtitan whose schemas held more) is stored without them: list pages serve
stored JSON as it is, and a response holds exactly its schema's fields."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import httpx
from demo_kit import ANCHOR, MANIFEST, new_tenant

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_tenant
from localtitan.snapshots.files import export_snapshot, import_snapshot

ENV = "integration"


def _with_undeclared_fields(good: Path, path: Path) -> tuple[Path, int]:
    """The file's records as a version 1 snapshot, each customer given two fields no customer
    schema declares; returns the path and how many customers were changed."""
    with gzip.open(good, "rb") as fh:
        lines = fh.readlines()
    header = json.loads(lines[0])
    header["version"] = 1
    header.pop("files", None)
    body: list[bytes] = []
    changed = 0
    for line in lines[1:-1]:
        if line.startswith(b'{"file"'):
            break
        if b'"kind":"crm:customers"' in line:
            rec = json.loads(line)
            rec["data"].update(legacyScore=7, internalNote="not a ServiceTitan field")
            line = json.dumps(rec, separators=(",", ":")).encode() + b"\n"
            changed += 1
        body.append(line)
    trailer = {
        "format": "localtitan-snapshot-end",
        "records": len(body),
        "sha256": hashlib.sha256(b"".join(body)).hexdigest(),
    }
    with gzip.open(path, "wb") as fh:
        fh.writelines([json.dumps(header).encode() + b"\n", *body])
        fh.write(json.dumps(trailer).encode() + b"\n")
    return path, changed


async def test_imported_records_hold_only_declared_fields(
    app: LocalTitan, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    db = app.runtime.db
    source = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=source, customers=5, anchor=ANCHOR)
    good = tmp_path / "good.jsonl.gz"
    await export_snapshot(db, tenant_id=source, environment=ENV, path=good)
    edited, changed = _with_undeclared_fields(good, tmp_path / "edited.jsonl.gz")
    assert changed == 5
    target = await make_creds(app.runtime)
    await import_snapshot(db, MANIFEST, edited, as_tenant=target.tenant_id)
    headers = await target.headers(client)
    listed = await client.get(target.api("/crm/v2/tenant/{tenant}/customers"), headers=headers)
    assert listed.status_code == 200, listed.text
    customers = listed.json()["data"]
    assert len(customers) == 5
    for customer in customers:
        assert "legacyScore" not in customer and "internalNote" not in customer, customer
        one = await client.get(
            target.api(f"/crm/v2/tenant/{{tenant}}/customers/{customer['id']}"), headers=headers
        )
        assert "legacyScore" not in one.json()
    # The declared fields came through as they were.
    assert {c["name"] for c in customers} and all("address" in c for c in customers)
