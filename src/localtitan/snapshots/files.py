"""Snapshot files: one tenant's records and stored files in one environment, as gzip JSON Lines.

The format is documented in ``docs/snapshot-format.md``: a header line, one line per record,
one line per stored file (attachment bytes, images), and a trailer with the counts and a
SHA-256 of every line in between, so a truncated or altered file is detected before anything
is written. Import reads the file twice: once to check it completely, once to load it in a
single transaction. Files are read and written one at a time, so memory holds at most one.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec

from localtitan.domain.attachments import JOB_ATTACHMENTS
from localtitan.domain.job_reasons import APPOINTMENT_HOLDS
from localtitan.domain.task_client_data import TASK_RESOLUTIONS, TASK_SOURCES, TASK_TYPES
from localtitan.handling.catalog import Catalog, catalog_for
from localtitan.handling.shaping import fill_record
from localtitan.platform.environments import Environment
from localtitan.platform.tenants import TenantError, create_tenant
from localtitan.spec import Manifest
from localtitan.store import Connection, Database
from localtitan.store.bulk_writer import BulkWriter
from localtitan.store.records import (
    FIRST_ID,
    Stored,
    decode,
    encode,
    format_time,
    parse_time,
)
from localtitan.store.rows import Row, record_row
from localtitan.store.snapshots import (
    insert_files,
    raise_next_id,
    snapshot_read,
    stored_files,
    stored_records,
)
from localtitan.store.tenant_data import (
    SeedSettings,
    clear_tenant,
    count_files,
    count_records,
    counts_by_kind,
    read_seed_settings,
    tenant_exists,
    tenant_name,
    write_seed_settings,
)

__all__ = [
    "FORMAT",
    "FORMAT_END",
    "UNLISTED_KINDS",
    "VERSION",
    "ExportResult",
    "ImportResult",
    "SnapshotError",
    "SnapshotHeader",
    "export_snapshot",
    "import_snapshot",
    "read_header",
    "verify_snapshot",
]

FORMAT = "localtitan-snapshot"
FORMAT_END = "localtitan-snapshot-end"
VERSION = 2
# The first version whose snapshots hold stored files.
_FILES_VERSION = 2
_RECORD_KEYS = (
    "kind",
    "id",
    "parentId",
    "guid",
    "active",
    "deleted",
    "createdOn",
    "modifiedOn",
    "data",
)


class SnapshotError(Exception):
    """A snapshot that cannot be read or loaded, worded for the person who gave it."""


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    """One record line; ``data`` stays raw JSON so it is stored byte for byte."""

    kind: str
    id: int
    parentId: int | None
    guid: str | None
    active: bool
    deleted: bool
    createdOn: str
    modifiedOn: str
    data: msgspec.Raw


_line_decoder = msgspec.json.Decoder(_Line)


class _FileLine(msgspec.Struct, forbid_unknown_fields=True):
    """One stored-file line as written; :func:`_parse_file` checks it into a :class:`_File`."""

    file: int
    contentType: str
    fileName: str | None
    createdOn: str
    size: int
    sha256: str
    base64: str


_file_decoder = msgspec.json.Decoder(_FileLine)
# Column widths of ``blobs``: a longer value would fail inside the import transaction with a
# database error instead of a message about the file.
_MAX_CONTENT_TYPE = 200
_MAX_FILE_NAME = 400
_MAX_ID = 2**63 - 1
# Stored files go to the database in groups of about this many bytes, so small files do not
# cost a statement each while memory stays under this plus the largest file.
_FILE_BATCH_BYTES = 8 * 1024 * 1024


@dataclass
class _File:
    """A stored file from a snapshot, checked (size and SHA-256 match its bytes)."""

    id: int
    content_type: str
    file_name: str | None
    created_on: datetime
    data: bytes


@dataclass
class SnapshotHeader:
    tenant_id: int
    environment: str
    created_on: str
    counts: dict[str, int]
    tenant_name: str | None = None
    seed: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION
    files: int = 0

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass
class ExportResult:
    path: Path
    tenant_id: int
    environment: str
    records: int
    counts: dict[str, int]
    sha256: str
    bytes: int
    files: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "tenantId": self.tenant_id,
            "environment": self.environment,
            "records": self.records,
            "files": self.files,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "counts": self.counts,
        }


@dataclass
class ImportResult:
    tenant_id: int
    environment: str
    records: int
    counts: dict[str, int]
    created_tenant: bool
    files: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant_id,
            "environment": self.environment,
            "records": self.records,
            "files": self.files,
            "createdTenant": self.created_tenant,
            "counts": self.counts,
        }


# ---------------------------------------------------------------- export


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _record_line(row: Any) -> bytes:
    data = row.data if isinstance(row.data, bytes) else row.data.encode()
    head = encode(
        {
            "kind": row.kind,
            "id": row.id,
            "parentId": row.parent_id,
            "guid": row.guid,
            "active": bool(row.active),
            "deleted": bool(row.deleted),
            "createdOn": format_time(_aware(row.created_on)),
            "modifiedOn": format_time(_aware(row.modified_on)),
        }
    )
    # The stored JSON goes in as it is: no decode and re-encode, so bytes round-trip.
    return head[:-1] + b',"data":' + data + b"}\n"


def _file_line(row: Any) -> bytes:
    data = bytes(row.data)
    return (
        encode(
            {
                "file": row.id,
                "contentType": row.content_type,
                "fileName": row.file_name,
                "createdOn": format_time(_aware(row.created_on)),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "base64": base64.b64encode(data).decode("ascii"),
            }
        )
        + b"\n"
    )


async def export_snapshot(
    db: Database,
    *,
    tenant_id: int,
    environment: str,
    path: Path,
) -> ExportResult:
    """Write the tenant's records in ``environment`` (deleted ones too, so export feeds
    keep reporting deletions after an import) and its stored files to ``path``, atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        async with snapshot_read(db) as conn:
            if not await tenant_exists(conn, environment, tenant_id):
                raise SnapshotError(f"Tenant {tenant_id} does not exist in {environment}.")
            counts = await counts_by_kind(conn, environment, tenant_id)
            files = await count_files(conn, environment, tenant_id)
            seed = await read_seed_settings(conn, environment, tenant_id)
            header: dict[str, Any] = {
                "format": FORMAT,
                "version": VERSION,
                "tenantId": tenant_id,
                "tenantName": await tenant_name(conn, tenant_id),
                "environment": environment,
                "createdOn": format_time(datetime.now(UTC)),
                "counts": counts,
                "files": files,
            }
            if seed is not None and seed.status == "complete":
                header["seed"] = seed.as_json()
            digest = hashlib.sha256()
            written = 0
            files_written = 0
            with gzip.open(tmp, "wb", compresslevel=6) as out:
                out.write(encode(header) + b"\n")
                async for row in stored_records(conn, environment, tenant_id):
                    line = _record_line(row)
                    digest.update(line)
                    out.write(line)
                    written += 1
                async for row in stored_files(conn, environment, tenant_id):
                    line = _file_line(row)
                    digest.update(line)
                    out.write(line)
                    files_written += 1
                trailer = {
                    "format": FORMAT_END,
                    "records": written,
                    "files": files_written,
                    "sha256": digest.hexdigest(),
                }
                out.write(encode(trailer) + b"\n")
        if written != sum(counts.values()) or files_written != files:
            raise SnapshotError("The tenant changed while it was exported; try again.")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return ExportResult(
        path,
        tenant_id,
        environment,
        written,
        counts,
        digest.hexdigest(),
        path.stat().st_size,
        files_written,
    )


# ---------------------------------------------------------------- reading


def _open(path: Path) -> IO[bytes]:
    try:
        handle: IO[bytes] = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115
    except OSError as exc:
        raise SnapshotError(f"Cannot open {path}: {exc.strerror or exc}.") from None
    return handle


def _lines(path: Path) -> Iterator[bytes]:
    """The file's lines, with gzip problems turned into clear messages."""
    with _open(path) as fh:
        try:
            yield from fh
        except EOFError:
            raise SnapshotError(
                f"{path} is truncated: the compressed data ends early. "
                "Copy the file again from its source."
            ) from None
        except (gzip.BadGzipFile, zlib.error):
            raise SnapshotError(f"{path} is not a valid gzip file (or is corrupt).") from None
        except OSError as exc:
            raise SnapshotError(f"Cannot read {path}: {exc}.") from None


def _parse_header(path: Path, line: bytes | None) -> SnapshotHeader:
    if line is None:
        raise SnapshotError(f"{path} is empty: a snapshot starts with a header line.")
    try:
        raw = msgspec.json.decode(line)
    except msgspec.DecodeError:
        raise SnapshotError(
            f"{path} is not a localtitan snapshot: its first line is not a JSON header."
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise SnapshotError(
            f'{path} is not a localtitan snapshot (its header does not say "format": "{FORMAT}").'
        )
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotError(f"{path} has no valid format version in its header.")
    if version > VERSION:
        raise SnapshotError(
            f"{path} uses snapshot format version {version}; this localtitan reads version "
            f"{VERSION}. Upgrade localtitan to import it."
        )
    if version < 1:
        raise SnapshotError(f"{path} has an unknown snapshot format version {version}.")
    try:
        tenant = int(raw["tenantId"])
        environment = str(raw["environment"])
        counts = {str(k): int(v) for k, v in dict(raw["counts"]).items()}
        created = str(raw["createdOn"])
    except (KeyError, TypeError, ValueError):
        raise SnapshotError(
            f"{path} has an incomplete header (tenantId, environment, createdOn and counts "
            "are required)."
        ) from None
    if environment not in {e.value for e in Environment}:
        raise SnapshotError(f"{path} names an unknown environment {environment!r}.")
    files = 0
    if version >= _FILES_VERSION:
        declared = raw.get("files")
        if not isinstance(declared, int) or isinstance(declared, bool) or declared < 0:
            raise SnapshotError(
                f'{path} has an incomplete header: version {version} needs "files", the number '
                "of stored files in the snapshot."
            )
        files = declared
    seed = raw.get("seed") if isinstance(raw.get("seed"), dict) else None
    name = raw.get("tenantName") if isinstance(raw.get("tenantName"), str) else None
    return SnapshotHeader(tenant, environment, created, counts, name, seed, raw, version, files)


def read_header(path: Path) -> SnapshotHeader:
    """Just the header (for messages before a full check)."""
    for line in _lines(Path(path)):
        return _parse_header(Path(path), line)
    return _parse_header(Path(path), None)


def _entries(path: Path, known: set[str] | None) -> Iterator[_Line | _File]:
    """Every record line, then every stored file, checked; raises :class:`SnapshotError` at
    the first problem, and only returns once the trailer matched (counts and SHA-256).

    Memory stays flat however big the file: records come grouped by kind with ids rising
    within a kind, and files come after all records with ids rising, so a repeat shows as an
    id that does not rise. At most one stored file is held at a time.
    """
    lines = _lines(path)
    header = _parse_header(path, next(lines, None))
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    total = 0
    files = 0
    kind = ""
    last_id = 0
    last_file = 0
    number = 1
    for line in lines:
        number += 1
        if line.startswith(b'{"format"'):
            _check_trailer(path, line, number, header.version, digest.hexdigest(), total, files)
            if next(lines, None) is not None:
                raise SnapshotError(f"{path} has data after its trailer line (line {number}).")
            if counts != {k: v for k, v in header.counts.items() if v}:
                raise SnapshotError(
                    f"{path} is corrupt: its records do not match the header's counts."
                )
            if files != header.files:
                raise SnapshotError(
                    f"{path} is corrupt: it holds {files} stored files, its header says "
                    f"{header.files}."
                )
            return
        if not line.endswith(b"\n"):
            break  # a last line without its newline: the file was cut
        digest.update(line)
        if line.startswith(b'{"file"'):
            if header.version < _FILES_VERSION:
                raise SnapshotError(
                    f"{path} is corrupt at line {number}: it holds a stored file, but its "
                    f"header says format version {header.version}, which cannot hold files."
                )
            stored = _parse_file(path, line, number)
            if stored.id <= last_file:
                raise SnapshotError(
                    f"{path} is corrupt at line {number}: stored file {stored.id} repeats or "
                    "is out of order (files must come in rising id order)."
                )
            last_file = stored.id
            files += 1
            yield stored
            continue
        if files:
            raise SnapshotError(
                f"{path} is corrupt at line {number}: a record comes after the stored files "
                "(all records must come before the first file)."
            )
        try:
            rec = _line_decoder.decode(line)
            decode(rec.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise SnapshotError(f"{path} is corrupt at line {number}: {exc}.") from None
        if known is not None and rec.kind not in known:
            raise SnapshotError(
                f"{path} line {number} holds a record of kind {rec.kind!r}, which this "
                "localtitan does not know."
            )
        if rec.kind != kind:
            if rec.kind in counts:
                raise SnapshotError(
                    f"{path} is corrupt at line {number}: the {rec.kind} records are not together."
                )
            kind, last_id = rec.kind, rec.id
        elif rec.id <= last_id:
            raise SnapshotError(
                f"{path} is corrupt at line {number}: {rec.kind} {rec.id} repeats or is out "
                "of order."
            )
        last_id = rec.id
        counts[rec.kind] = counts.get(rec.kind, 0) + 1
        total += 1
        yield rec
    held = f"{total} records and {files} stored files" if files else f"{total} records"
    raise SnapshotError(f"{path} is truncated: it ends before its trailer line (after {held}).")


def _parse_file(path: Path, line: bytes, number: int) -> _File:
    where = f"{path} is corrupt at line {number}"
    try:
        raw = _file_decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise SnapshotError(f"{where}: not a valid stored-file line ({exc}).") from None
    where = f"{where} (stored file {raw.file})"
    if not 0 < raw.file <= _MAX_ID:
        raise SnapshotError(f"{where}: a file id must be a positive 64-bit integer.")
    if not 0 < len(raw.contentType) <= _MAX_CONTENT_TYPE:
        raise SnapshotError(
            f"{where}: its contentType must be 1 to {_MAX_CONTENT_TYPE} characters long."
        )
    if raw.fileName is not None and len(raw.fileName) > _MAX_FILE_NAME:
        raise SnapshotError(f"{where}: its fileName is longer than {_MAX_FILE_NAME} characters.")
    try:
        created = parse_time(raw.createdOn)
    except ValueError:
        raise SnapshotError(
            f"{where}: its createdOn {raw.createdOn!r} is not an ISO-8601 time."
        ) from None
    try:
        data = base64.b64decode(raw.base64, validate=True)
    except (binascii.Error, ValueError):
        raise SnapshotError(f"{where}: its base64 does not decode.") from None
    if len(data) != raw.size:
        raise SnapshotError(
            f"{where}: it holds {len(data)} bytes but its size says {raw.size}; the snapshot "
            "was altered or damaged."
        )
    if hashlib.sha256(data).hexdigest() != raw.sha256:
        raise SnapshotError(
            f"{where}: its bytes do not match its sha256; the snapshot was altered or damaged."
        )
    return _File(raw.file, raw.contentType, raw.fileName, created, data)


def _check_trailer(
    path: Path, line: bytes, number: int, version: int, digest: str, records: int, files: int
) -> None:
    try:
        trailer = msgspec.json.decode(line)
    except msgspec.DecodeError:
        raise SnapshotError(f"{path} is corrupt at line {number}.") from None
    if not isinstance(trailer, dict) or trailer.get("format") != FORMAT_END:
        raise SnapshotError(f"{path} is corrupt at line {number}: not a record or trailer.")
    if trailer.get("records") != records:
        raise SnapshotError(
            f"{path} is corrupt: the trailer counts {trailer.get('records')} records, "
            f"the snapshot holds {records}."
        )
    # Version 1 trailers have no file count: those snapshots hold no files.
    counted = trailer.get("files", None if version >= _FILES_VERSION else 0)
    if counted is None:
        raise SnapshotError(
            f'{path} is corrupt: its trailer has no "files" count, which format version '
            f"{version} requires."
        )
    if counted != files:
        raise SnapshotError(
            f"{path} is corrupt: the trailer counts {counted} stored files, the snapshot holds "
            f"{files}."
        )
    if trailer.get("sha256") != digest:
        raise SnapshotError(
            f"{path} is corrupt: its records and files do not match the trailer's SHA-256."
        )


# Job attachments (they point at their stored file), appointment holds (the reason the
# hold-reasons lookup reports) and Task Management's setup are records of kinds no operation
# declares, so the catalog does not list them.
UNLISTED_KINDS = frozenset(
    {JOB_ATTACHMENTS, APPOINTMENT_HOLDS, TASK_TYPES, TASK_SOURCES, TASK_RESOLUTIONS}
)


def _known_kinds(manifest: Manifest) -> set[str]:
    return {*catalog_for(manifest).collections, *UNLISTED_KINDS}


def verify_snapshot(path: Path, manifest: Manifest | None = None) -> SnapshotHeader:
    """Read the whole file and check it; return its header."""
    path = Path(path)
    known = _known_kinds(manifest) if manifest is not None else None
    for _ in _entries(path, known):
        pass
    return read_header(path)


# ---------------------------------------------------------------- import


def _row(rec: _Line, sqlite: bool, catalog: Catalog | None = None) -> Row:
    data_text = bytes(rec.data).decode()
    data = decode(data_text)
    coll = catalog.collections.get(rec.kind) if catalog is not None else None
    if (
        coll is not None
        and coll.properties
        and isinstance(data, dict)
        and not data.keys() <= coll.properties.keys()
    ):
        # Served as stored, so stored JSON holds only declared fields: a record from an
        # edited file or an older schema is projected (a faithful file stays byte for byte).
        data = fill_record(catalog.manifest, coll, data)  # type: ignore[union-attr]
        data_text = encode(data).decode()
    modified = parse_time(rec.modifiedOn)
    stored = Stored(
        rec.kind,
        rec.id,
        data,
        rec.parentId,
        rec.guid,
        rec.active,
        rec.deleted,
        parse_time(rec.createdOn),
        modified,
    )
    return record_row(stored, data_text, modified, sqlite=sqlite)


async def import_snapshot(
    db: Database,
    manifest: Manifest,
    path: Path,
    *,
    as_tenant: int | None = None,
    environment: str | None = None,
    replace: bool = False,
) -> ImportResult:
    """Load a snapshot into a tenant (the file's, or ``as_tenant``) in one transaction.

    Ids are kept, for records and stored files alike; row versions are new (after the
    target's own), so export clients of the target see the loaded records as changes. The
    target must hold no records or files unless ``replace``. The file is checked completely
    before the transaction starts and again as it loads; any problem leaves the database
    unchanged.
    """
    path = Path(path)
    header = verify_snapshot(path, manifest)
    tenant_id = as_tenant if as_tenant is not None else header.tenant_id
    env = environment or header.environment
    if env not in {e.value for e in Environment}:
        raise SnapshotError(f"Unknown environment {env!r}: use 'integration' or 'production'.")
    known = _known_kinds(manifest)
    catalog = catalog_for(manifest)
    created_tenant = False
    async with db.begin() as conn:
        writer = BulkWriter(conn, env, tenant_id)
        if not await tenant_exists(conn, env, tenant_id):
            try:
                await create_tenant(
                    conn,
                    name=header.tenant_name or f"Imported tenant {tenant_id}",
                    tenant_id=tenant_id,
                    environments=(Environment(env),),
                )
            except TenantError as exc:
                raise SnapshotError(str(exc)) from None
            created_tenant = True
        await writer.next_id()  # lock the counter until commit
        existing = await count_records(conn, env, tenant_id)
        existing_files = await count_files(conn, env, tenant_id)
        if (existing or existing_files) and not replace:
            held = f"{existing} records"
            if existing_files:
                held += f" and {existing_files} stored files"
            raise SnapshotError(
                f"Tenant {tenant_id} already has {held} in {env}. "
                "Add --replace to delete them and import the snapshot instead."
            )
        if existing or existing_files:
            await clear_tenant(conn, env, tenant_id)
        sqlite = db.is_sqlite
        batch: list[tuple[Any, ...]] = []
        stored: list[dict[str, Any]] = []
        stored_bytes = 0
        max_id = 0
        counts: dict[str, int] = {}
        files = 0
        for item in _entries(path, known):
            if isinstance(item, _File):
                stored.append(
                    {
                        "environment": env,
                        "tenant_id": tenant_id,
                        "id": item.id,
                        "content_type": item.content_type,
                        "file_name": item.file_name,
                        "data": item.data,
                        "created_on": item.created_on,
                    }
                )
                stored_bytes += len(item.data)
                max_id = max(max_id, item.id)
                files += 1
                if stored_bytes >= _FILE_BATCH_BYTES:
                    await insert_files(conn, stored)
                    stored, stored_bytes = [], 0
                continue
            batch.append(_row(item, sqlite, catalog))
            max_id = max(max_id, item.id)
            counts[item.kind] = counts.get(item.kind, 0) + 1
            if len(batch) >= writer.batch_rows:
                await writer.write_rows(batch)
                batch = []
        if batch:
            await writer.write_rows(batch)
        await insert_files(conn, stored)
        # Records and stored files share the id counter: new ones must not reuse an imported id.
        await raise_next_id(conn, env, tenant_id, max_id + 1)
        await _import_seed(conn, env, tenant_id, header)
    # As after a seed: a big import needs statistics for its volume (see refresh_statistics).
    await db.refresh_statistics(added=sum(counts.values()))
    return ImportResult(
        tenant_id,
        env,
        sum(counts.values()),
        dict(sorted(counts.items())),
        created_tenant,
        files,
    )


async def _import_seed(conn: Connection, env: str, tenant_id: int, header: SnapshotHeader) -> None:
    """Keep the demo seed settings a snapshot carries, so ``tenant reset`` works on it."""
    seed = header.seed
    if not seed:
        return
    try:
        settings = SeedSettings(
            environment=env,
            tenant_id=tenant_id,
            seed=int(seed["seed"]),
            anchor=parse_time(str(seed["anchor"])),
            customers=int(seed["customers"]),
            size=seed.get("size"),
            generator=int(seed.get("generator", 1)),
            status="complete",
            first_id=FIRST_ID,
            chunks_done=0,
            chunks_total=0,
            records=int(seed.get("records", 0)),
            started_on=datetime.now(UTC),
            finished_on=datetime.now(UTC),
        )
    except (KeyError, TypeError, ValueError):
        return  # seed settings are a convenience; a snapshot without usable ones still loads
    await write_seed_settings(conn, settings)
