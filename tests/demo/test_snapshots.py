"""Snapshot files: a round trip serves the same API responses, file downloads included; a
version 1 file still loads; every bad file is refused with a clear message and changes
nothing."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from demo_kit import ANCHOR, MANIFEST, new_tenant, small_tenant, tenant_rows
from sqlalchemy import func, insert, select

from conftest import Creds, make_creds
from localtitan.app import LocalTitan
from localtitan.demo import seed_tenant
from localtitan.snapshots.files import (
    SnapshotError,
    export_snapshot,
    import_snapshot,
    read_header,
    verify_snapshot,
)
from localtitan.store.records import allocate
from localtitan.store.tables import blobs, records, tenants
from localtitan.store.tenant_data import read_seed_settings

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
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)) * 4
# Stored files the bad-input tests add to a tenant: a null file name and an empty file too.
FILES = (
    ("photo.jpg", "image/jpeg", PHOTO),
    (None, "application/octet-stream", b""),
    ("manual.pdf", "application/pdf", b"%PDF-1.4 " * 300),
)


async def _upload(client: httpx.AsyncClient, creds: Creds) -> tuple[int, str]:
    """A job attachment and a price book image on the tenant: (the job's id, the image path)."""
    h = await creds.headers(client)
    jobs = await client.get(creds.api("/jpm/v2/tenant/{tenant}/jobs?pageSize=1"), headers=h)
    job_id = int(jobs.json()["data"][0]["id"])
    attached = await client.post(
        creds.api(f"/forms/v2/tenant/{{tenant}}/jobs/{job_id}/attachments"),
        headers=h,
        files={"file": ("photo.jpg", PHOTO, "image/jpeg")},
    )
    assert attached.status_code == 200, attached.text
    image = await client.post(
        creds.api("/pricebook/v2/tenant/{tenant}/images"),
        headers=h,
        files={"file": ("boiler.png", PNG, "image/png")},
    )
    assert image.status_code == 201, image.text
    return job_id, str(image.json()["path"])


async def _check_downloads(
    client: httpx.AsyncClient, source: Creds, target: Creds, job_id: int, image: str
) -> None:
    """The target serves the source's uploads: same listing, bytes and content types."""
    a, b = await source.headers(client), await target.headers(client)
    listing = f"/forms/v2/tenant/{{tenant}}/jobs/{job_id}/attachments"
    left = await client.get(source.api(listing), headers=a)
    right = await client.get(target.api(listing), headers=b)
    assert left.status_code == right.status_code == 200
    assert left.json() == right.json()
    (item,) = [i for i in right.json()["data"] if i["fileName"] == "photo.jpg"]
    got = await client.get(
        target.api(f"/forms/v2/tenant/{{tenant}}/jobs/attachment/{item['id']}"), headers=b
    )
    assert got.status_code == 200 and got.content == PHOTO
    assert got.headers["content-type"].split(";")[0] == "image/jpeg"
    link = await client.get(
        target.api("/pricebook/v2/tenant/{tenant}/images"), headers=b, params={"path": image}
    )
    assert link.status_code == 302
    fetched = await client.get(link.headers["location"])
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["content-type"].split(";")[0] == "image/png"
    # The id counter went past the imported files' ids, so a new upload gets an id of its own.
    again = await client.post(
        target.api(listing), headers=b, files={"file": ("after.jpg", b"later", "image/jpeg")}
    )
    assert again.status_code == 200, again.text
    after = await client.get(target.api(listing), headers=b)
    ids = [i["id"] for i in after.json()["data"]]
    assert len(ids) == len(set(ids)) == len(right.json()["data"]) + 1


async def test_import_of_an_export_serves_the_same_responses(
    app: LocalTitan, client: httpx.AsyncClient, backend: str, tmp_path: Path
) -> None:
    source = await small_tenant(app, backend)
    job_id, image = await _upload(client, source)
    path = tmp_path / "company.jsonl.gz"
    exported = await export_snapshot(
        app.runtime.db, tenant_id=source.tenant_id, environment=ENV, path=path
    )
    header = read_header(path)
    assert header.counts == exported.counts and exported.records == header.records > 10_000
    assert header.version == 2 and header.files == exported.files >= 2
    assert header.seed is not None and header.seed["customers"] == 300
    target = await make_creds(app.runtime)
    loaded = await import_snapshot(app.runtime.db, MANIFEST, path, as_tenant=target.tenant_id)
    assert (loaded.records, loaded.files, loaded.created_tenant) == (
        exported.records,
        exported.files,
        False,
    )
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
    await _check_downloads(client, source, target, job_id, image)


async def _everything(db: object) -> tuple[int, int, int]:
    async with db.read() as conn:  # type: ignore[attr-defined]
        rows = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
        tens = (await conn.execute(select(func.count()).select_from(tenants))).scalar_one()
        files = (await conn.execute(select(func.count()).select_from(blobs))).scalar_one()
    return rows, tens, files


async def _add_files(db: Any, tenant: int, env: str = ENV) -> None:
    """Store :data:`FILES` for the tenant, with ids from its counter as uploads get them."""
    async with db.begin() as conn:
        alloc = await allocate(conn, env, tenant, ids=len(FILES), versions=0)
        made = datetime(2025, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
        await conn.execute(
            insert(blobs),
            [
                {
                    "environment": env,
                    "tenant_id": tenant,
                    "id": alloc.first_id + n,
                    "content_type": content_type,
                    "file_name": name,
                    "data": data,
                    "created_on": made + timedelta(minutes=n),
                }
                for n, (name, content_type, data) in enumerate(FILES)
            ],
        )


async def _stored_files(db: Any, env: str, tenant: int) -> list[tuple[Any, ...]]:
    """Every stored file of a tenant, without its tenant and environment, in id order."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(
                    blobs.c.id,
                    blobs.c.content_type,
                    blobs.c.file_name,
                    blobs.c.created_on,
                    blobs.c.data,
                )
                .where(blobs.c.environment == env, blobs.c.tenant_id == tenant)
                .order_by(blobs.c.id)
            )
        ).all()
    return [(*r[:4], bytes(r[4])) for r in rows]


@pytest.fixture
async def good_file(app: LocalTitan, tmp_path: Path) -> Path:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=5, anchor=ANCHOR)
    await _add_files(db, tenant)
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


def _first_file(lines: list[bytes]) -> int:
    return next(n for n, line in enumerate(lines) if line.startswith(b'{"file"'))


def _edit(line: bytes, **changes: Any) -> bytes:
    """The line (a file line, header or trailer) with fields changed; ``None`` drops one."""
    fields = json.loads(line)
    for key, value in changes.items():
        if value is None:
            del fields[key]
        else:
            fields[key] = value
    return json.dumps(fields).encode() + b"\n"


def _bad_stored_files(lines: list[bytes], tmp: Path) -> dict[str, tuple[Path, str]]:
    first = _first_file(lines)
    header, trailer, photo = lines[0], lines[-1], lines[first]
    other = base64.b64encode(bytes(reversed(PHOTO))).decode()
    files, body = lines[first:-1], lines[1:-1]

    def with_file(name: str, line: bytes) -> Path:
        return _write(tmp / name, [*lines[:first], line, *lines[first + 1 :]])

    return {
        "malformed file line": (
            with_file("file-line.gz", b'{"file": "one"}\n'),
            f"corrupt at line {first + 1}: not a valid stored-file line",
        ),
        "unknown file field": (
            with_file("file-field.gz", _edit(photo, owner="me")),
            "not a valid stored-file line",
        ),
        "base64 that does not decode": (
            with_file("file-b64.gz", _edit(photo, base64="not base64!")),
            "base64 does not decode",
        ),
        "file size mismatch": (
            with_file("file-size.gz", _edit(photo, size=len(PHOTO) + 1)),
            f"holds {len(PHOTO)} bytes but its size says {len(PHOTO) + 1}",
        ),
        "file sha256 mismatch": (
            with_file("file-sha.gz", _edit(photo, base64=other)),
            "do not match its sha256",
        ),
        "bad file time": (
            with_file("file-time.gz", _edit(photo, createdOn="yesterday")),
            "createdOn 'yesterday' is not an ISO-8601 time",
        ),
        "tampered file line": (
            with_file("file-tampered.gz", _edit(photo, contentType="text/plain")),
            "SHA-256",
        ),
        "repeated file": (
            _write(tmp / "file-twice.gz", [*lines[:first], photo, *lines[first:]]),
            "stored file .* repeats or is out of order",
        ),
        "descending file ids": (
            _write(tmp / "file-desc.gz", [*lines[:first], files[1], files[0], *lines[first + 2 :]]),
            "stored file .* repeats or is out of order",
        ),
        "record after files": (
            _write(
                tmp / "file-record.gz",
                [*lines[: first - 1], photo, lines[first - 1], *lines[first + 1 :]],
            ),
            "a record comes after the stored files",
        ),
        "file missing": (
            _write(tmp / "file-gone.gz", [*lines[: first + 1], *lines[first + 2 :]]),
            f"trailer counts {len(files)} stored files, the snapshot holds {len(files) - 1}",
        ),
        "files in a version 1 file": (
            _write(tmp / "file-v1.gz", [_edit(header, version=1), *lines[1:]]),
            "format version 1, which cannot hold files",
        ),
        "header file count wrong": (
            _write(tmp / "file-head.gz", [_edit(header, files=len(files) + 2), *lines[1:]]),
            f"holds {len(files)} stored files, its header says {len(files) + 2}",
        ),
        "header without file count": (
            _write(tmp / "file-head-none.gz", [_edit(header, files=None), *lines[1:]]),
            "incomplete header",
        ),
        "trailer without file count": (
            _write(tmp / "file-end-none.gz", [header, *body, _edit(trailer, files=None)]),
            'no "files" count',
        ),
        "trailer file count wrong": (
            _write(tmp / "file-end.gz", [header, *body, _edit(trailer, files=len(files) - 1)]),
            f"trailer counts {len(files) - 1} stored files",
        ),
        "trailer after a cut file line": (
            _write(tmp / "file-cut.gz", [*lines[:first], photo[: len(photo) // 2]]),
            "truncated",
        ),
    }


def _bad_files(good: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    raw = good.read_bytes()
    lines = _lines(good)
    last = _first_file(lines) - 1  # the last record line
    future = lines[0].replace(b'"version":2', b'"version":3')
    tampered = lines[3].replace(b'"active":true', b'"active":false', 1)
    return {
        **_bad_stored_files(lines, tmp),
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
        "future version": (_write(tmp / "future.gz", [future, *lines[1:]]), "format version 3"),
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
            _write(tmp / "split.gz", [lines[0], lines[last], *lines[1:last], *lines[last + 1 :]]),
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
    # The good file itself loads, with its files under the target tenant and environment.
    header = verify_snapshot(good_file, MANIFEST)
    result = await import_snapshot(
        db, MANIFEST, good_file, as_tenant=target, environment="production"
    )
    assert result.created_tenant and result.records > 100 and result.files == len(FILES)
    source = await _stored_files(db, ENV, header.tenant_id)
    assert [f[1:3] + f[4:] for f in source] == [(t, n, d) for n, t, d in FILES]
    assert await _stored_files(db, "production", target) == source
    assert await _stored_files(db, ENV, target) == []


async def test_import_refuses_a_tenant_with_records_unless_replaced(
    app: LocalTitan, good_file: Path
) -> None:
    db = app.runtime.db
    tenant = await new_tenant(db)
    await seed_tenant(db, MANIFEST, environment=ENV, tenant_id=tenant, customers=3, seed=8)
    await _add_files(db, tenant)
    before = await tenant_rows(db, ENV, tenant)
    files_before = await _stored_files(db, ENV, tenant)
    with pytest.raises(SnapshotError, match=r"already has .* --replace"):
        await import_snapshot(db, MANIFEST, good_file, as_tenant=tenant)
    assert await tenant_rows(db, ENV, tenant) == before
    assert await _stored_files(db, ENV, tenant) == files_before
    await import_snapshot(db, MANIFEST, good_file, as_tenant=tenant, replace=True)
    assert await tenant_rows(db, ENV, tenant) != before
    source = read_header(good_file).tenant_id
    assert await _stored_files(db, ENV, tenant) == await _stored_files(db, ENV, source)
    assert await _stored_files(db, ENV, tenant) != files_before


def _as_version_1(good: Path, path: Path) -> Path:
    """The good file's records as a version 1 snapshot: no files, no file counts."""
    lines = _lines(good)
    body = lines[1 : _first_file(lines)]
    header = _edit(lines[0], version=1, files=None)
    trailer = {
        "format": "localtitan-snapshot-end",
        "records": len(body),
        "sha256": hashlib.sha256(b"".join(body)).hexdigest(),
    }
    return _write(path, [header, *body, json.dumps(trailer).encode() + b"\n"])


async def test_a_version_1_file_still_imports(
    app: LocalTitan, good_file: Path, tmp_path: Path
) -> None:
    db = app.runtime.db
    v1 = _as_version_1(good_file, tmp_path / "v1.jsonl.gz")
    header = verify_snapshot(v1, MANIFEST)
    assert (header.version, header.files) == (1, 0)
    # A target holding only stored files is not empty either.
    tenant = await new_tenant(db)
    await _add_files(db, tenant)
    with pytest.raises(SnapshotError, match=r"already has 0 records and 3 stored files"):
        await import_snapshot(db, MANIFEST, v1, as_tenant=tenant)
    loaded = await import_snapshot(db, MANIFEST, v1, as_tenant=tenant, replace=True)
    assert (loaded.records, loaded.files) == (header.records, 0)
    source = read_header(good_file).tenant_id
    assert await tenant_rows(db, ENV, tenant) == await tenant_rows(db, ENV, source)
    # --replace cleared the target's own files; a version 1 snapshot brings none.
    assert await _stored_files(db, ENV, tenant) == []
    # A version 1 trailer that counts files does not match its (file-less) body.
    lines = _lines(v1)
    counted = _write(tmp_path / "v1-files.gz", [*lines[:-1], _edit(lines[-1], files=2)])
    before = await _everything(db)
    with pytest.raises(SnapshotError, match="trailer counts 2 stored files, the snapshot holds 0"):
        await import_snapshot(db, MANIFEST, counted, as_tenant=tenant, replace=True)
    assert await _everything(db) == before
