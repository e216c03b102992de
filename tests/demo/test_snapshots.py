"""Snapshot files: a round trip serves the same API responses; every bad file is refused with a
clear message and changes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from demo_kit import ANCHOR, MANIFEST, new_tenant, small_tenant, tenant_rows
from sqlalchemy import func, select

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_tenant
from localtitan.snapshots.files import (
    SnapshotError,
    export_snapshot,
    import_snapshot,
    read_header,
    verify_snapshot,
)
from localtitan.snapshots.tenantdata import read_seed_settings
from localtitan.store.tables import records, tenants

ENV = "integration"
LISTS = (
    "/jpm/v2/tenant/{tenant}/jobs?pageSize=60",
    "/crm/v2/tenant/{tenant}/customers?pageSize=60&page=2",
    "/crm/v2/tenant/{tenant}/locations?pageSize=30",
    "/accounting/v2/tenant/{tenant}/invoices?pageSize=40",
    "/accounting/v2/tenant/{tenant}/payments?pageSize=40",
    "/jpm/v2/tenant/{tenant}/appointments?pageSize=40",
    "/settings/v2/tenant/{tenant}/technicians",
    "/pricebook/v2/tenant/{tenant}/materials",
    "/dispatch/v2/tenant/{tenant}/technician-skills",
    "/memberships/v2/tenant/{tenant}/recurring-service-events?pageSize=30",
)


async def test_import_of_an_export_serves_the_same_responses(
    app: LocalTitan, client: httpx.AsyncClient, backend: str, tmp_path: Path
) -> None:
    source = await small_tenant(app, backend)
    path = tmp_path / "company.jsonl.gz"
    exported = await export_snapshot(
        app.runtime.db, tenant_id=source.tenant_id, environment=ENV, path=path
    )
    header = read_header(path)
    assert header.counts == exported.counts and exported.records == header.records > 10_000
    assert header.seed is not None and header.seed["customers"] == 300
    target = await make_creds(app.runtime)
    loaded = await import_snapshot(app.runtime.db, MANIFEST, path, as_tenant=target.tenant_id)
    assert (loaded.records, loaded.created_tenant) == (exported.records, False)
    a, b = await source.headers(client), await target.headers(client)
    for path_ in LISTS:
        left = await client.get(source.api(path_), headers=a)
        right = await client.get(target.api(path_), headers=b)
        assert left.status_code == right.status_code == 200, path_
        assert left.json() == right.json() and left.json()["data"], path_
    # The seed settings came along, so the copy can be reset like the original.
    async with app.runtime.db.read() as conn:
        copied = await read_seed_settings(conn, ENV, target.tenant_id)
    assert copied is not None and copied.customers == 300


async def _everything(db: object) -> tuple[int, int]:
    async with db.read() as conn:  # type: ignore[attr-defined]
        rows = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
        tens = (await conn.execute(select(func.count()).select_from(tenants))).scalar_one()
    return rows, tens


@pytest.fixture
async def good_file(app: LocalTitan, tmp_path: Path) -> Path:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=5, anchor=ANCHOR)
    path = tmp_path / "good.jsonl.gz"
    await export_snapshot(db, tenant_id=tenant, environment=ENV, path=path)
    return path


def _lines(path: Path) -> list[bytes]:
    with gzip.open(path, "rb") as fh:
        return fh.readlines()


def _write(path: Path, lines: list[bytes]) -> Path:
    with gzip.open(path, "wb") as fh:
        fh.writelines(lines)
    return path


def _bad_files(good: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    raw = good.read_bytes()
    lines = _lines(good)
    future = lines[0].replace(b'"version":1', b'"version":7')
    tampered = lines[3].replace(b'"active":true', b'"active":false', 1)
    return {
        "corrupt gzip": (
            _bytes(
                tmp / "corrupt.gz", raw[:200] + bytes(b ^ 0x5A for b in raw[200:400]) + raw[400:]
            ),
            "not a valid gzip file|corrupt",
        ),
        "not gzip": (_bytes(tmp / "plain.jsonl", b"".join(lines)), "not a valid gzip file"),
        "truncated bytes": (_bytes(tmp / "cut.gz", raw[: len(raw) // 2]), "truncated"),
        "truncated lines": (_write(tmp / "short.gz", lines[:-5]), "truncated"),
        "no trailer newline": (
            _write(tmp / "half.gz", [*lines[:-1], lines[-1][:20]]),
            "truncated|corrupt",
        ),
        "wrong header": (
            _write(tmp / "header.gz", [b'{"format":"something-else"}\n', *lines[1:]]),
            "not a localtitan snapshot",
        ),
        "not json": (_write(tmp / "text.gz", [b"hello world\n"]), "not a localtitan snapshot"),
        "empty": (_write(tmp / "empty.gz", []), "empty"),
        "future version": (_write(tmp / "future.gz", [future, *lines[1:]]), "format version 7"),
        "tampered record": (
            _write(tmp / "tampered.gz", [*lines[:3], tampered, *lines[4:]]),
            "SHA-256",
        ),
        "bad record": (
            _write(tmp / "record.gz", [*lines[:3], b'{"kind": 5}\n', *lines[4:]]),
            "corrupt at line 4",
        ),
        "repeated record": (
            _write(tmp / "twice.gz", [*lines[:3], lines[2], *lines[3:]]),
            "repeats or is out of order",
        ),
        "kinds not together": (
            _write(tmp / "split.gz", [lines[0], lines[-2], *lines[1:-2], lines[-1]]),
            "not together",
        ),
        "extra after trailer": (_write(tmp / "extra.gz", [*lines, lines[2]]), "after its trailer"),
        "missing file": (tmp / "nope.gz", "Cannot open"),
    }


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def test_bad_files_are_refused_and_change_nothing(
    app: LocalTitan, good_file: Path, tmp_path: Path
) -> None:
    db = app.runtime.db
    before = await _everything(db)
    target = 987_654_321_000 + before[0]  # a tenant that does not exist yet
    for name, (path, message) in _bad_files(good_file, tmp_path).items():
        with pytest.raises(SnapshotError, match=message):
            await import_snapshot(db, MANIFEST, path, as_tenant=target)
        assert await _everything(db) == before, name
        with pytest.raises(SnapshotError):
            verify_snapshot(path, MANIFEST)
    # The good file itself loads.
    verify_snapshot(good_file, MANIFEST)
    result = await import_snapshot(db, MANIFEST, good_file, as_tenant=target)
    assert result.created_tenant and result.records > 100


async def test_import_refuses_a_tenant_with_records_unless_replaced(
    app: LocalTitan, good_file: Path
) -> None:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=3, seed=8)
    before = await tenant_rows(db, ENV, tenant)
    with pytest.raises(SnapshotError, match=r"already has .* --replace"):
        await import_snapshot(db, MANIFEST, good_file, as_tenant=tenant)
    assert await tenant_rows(db, ENV, tenant) == before
    await import_snapshot(db, MANIFEST, good_file, as_tenant=tenant, replace=True)
    assert await tenant_rows(db, ENV, tenant) != before
