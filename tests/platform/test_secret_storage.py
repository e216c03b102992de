"""No client secret is stored in plaintext: not in any column of any table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from conftest import make_creds
from localtitan.app import LocalTitan
from localtitan.platform.credentials import create_secret, deactivate_secret, list_secrets
from localtitan.platform.environments import Environment
from localtitan.runtime import Runtime

_PG_TEXT_TYPES = ("text", "character varying", "character", "bytea", "json", "jsonb")


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


async def _dump_text_columns(runtime: Runtime) -> dict[str, list[str]]:
    """table.column -> every non-null value of every text or blob column, as text."""
    out: dict[str, list[str]] = {}
    async with runtime.db.read() as conn:
        if runtime.db.is_sqlite:
            tables = (
                await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            ).scalars()
            for table in list(tables):
                # Names come from the catalogue, not from input.
                query = text(f'SELECT * FROM "{table}"')  # noqa: S608
                rows = (await conn.execute(query)).mappings()
                for row in rows:
                    for column, value in row.items():
                        # SQLite types by value: keep every text and blob, whatever the column.
                        if isinstance(value, str | bytes):
                            out.setdefault(f"{table}.{column}", []).append(_as_text(value))
        else:
            columns = (
                await conn.execute(
                    text(
                        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                        "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
                        "AND t.table_name = c.table_name "
                        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
                        "AND c.data_type = ANY(:types)"
                    ),
                    {"types": list(_PG_TEXT_TYPES)},
                )
            ).all()
            for table, column in columns:
                sql = f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'  # noqa: S608
                values = (await conn.execute(text(sql))).scalars()
                out.setdefault(f"{table}.{column}", []).extend(_as_text(v) for v in values)
    return out


async def test_no_secret_is_stored_in_plaintext(app: LocalTitan) -> None:
    runtime = app.runtime
    secrets: list[str] = []
    client_ids: list[str] = []
    for env in Environment:
        creds = await make_creds(app.runtime, environment=env)
        client_ids.append(creds.client_id)
        secrets.append(creds.client_secret)
        async with runtime.db.begin() as conn:
            issued = await create_secret(conn, runtime.server_key, creds.client_id)
            secrets.append(issued.secret)
            # A deactivated secret must not be kept in the clear either.
            await deactivate_secret(conn, creds.client_id, issued.id)
            secrets.append((await create_secret(conn, runtime.server_key, creds.client_id)).secret)
        async with runtime.db.read() as conn:
            assert len(await list_secrets(conn, creds.client_id)) == 3

    dump = await _dump_text_columns(runtime)
    # The dump reaches the credential tables, so an empty result cannot pass by accident.
    assert any(k.startswith("client_secrets.") for k in dump), sorted(dump)
    assert any(cid in v for cid in client_ids for v in dump.get("connections.client_id", []))
    for secret in secrets:
        random_part = secret.split(".", 1)[1]
        assert len(random_part) >= 43
        for column, values in dump.items():
            for value in values:
                assert secret not in value, f"secret found in {column}"
                assert random_part not in value, f"secret's random part found in {column}"
                # Not even a long stretch of it (a hint shows at most four characters).
                assert random_part[4:24] not in value, f"part of a secret found in {column}"

    if runtime.db.is_sqlite:
        # And not on disk: the database file and its write-ahead log, free pages included.
        db_file = Path(runtime.settings.resolved_database_url.split(":///", 1)[1])
        for path in (db_file, db_file.with_name(db_file.name + "-wal")):
            if path.exists():
                raw = path.read_bytes()
                for secret in secrets:
                    assert secret.split(".", 1)[1].encode() not in raw, path


def test_a_secret_hash_stays_the_keyed_hmac_sha256_hexdigest() -> None:
    """Hashes stored by earlier versions must keep matching: the format is fixed."""
    import hashlib
    import hmac

    from localtitan.platform.server_key import ServerKey

    key = ServerKey(bytes(range(32)))
    secret = "cs1." + "a1" * 25
    expected = hmac.new(key.derive("client-secret"), secret.encode(), hashlib.sha256).hexdigest()
    assert key.hash_secret(secret) == expected
    assert (
        key.hash_secret("é")
        == hmac.new(key.derive("client-secret"), "é".encode(), "sha256").hexdigest()
    )
