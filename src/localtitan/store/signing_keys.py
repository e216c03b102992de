"""The statements of the token-signing keys (each private key encrypted with the server key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from localtitan.store.database import Connection
from localtitan.store.tables import signing_keys

__all__ = ["rotate_in", "signing_key_rows"]


async def signing_key_rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(select(signing_keys))).mappings().all()]


async def rotate_in(
    conn: Connection,
    *,
    kid: str,
    environment: str,
    private_key: str,
    public_jwk: str,
    now: datetime,
) -> None:
    """Retire the environment's current key and store the new one (in the caller's
    transaction, so no moment has two current keys or none)."""
    await conn.execute(
        signing_keys.update()
        .where(signing_keys.c.environment == environment, signing_keys.c.retired_on.is_(None))
        .values(retired_on=now)
    )
    await conn.execute(
        signing_keys.insert().values(
            kid=kid,
            environment=environment,
            private_key=private_key,
            public_jwk=public_jwk,
            created_on=now,
            retired_on=None,
        )
    )
