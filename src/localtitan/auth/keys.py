"""RS256 signing keys per environment, rotated by ``kid`` and published as a JWKS.

A rotated-out key stays published for a day so tokens it signed keep verifying until they
expire; each environment signs with its own keys, so a token of one never verifies in the other.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from localtitan.platform.environments import Environment
from localtitan.platform.server_key import ServerKey
from localtitan.store import signing_keys as key_store
from localtitan.store.database import Database

__all__ = ["KeyRing", "KeyRingError", "SigningKey"]

RETIRED_KEY_GRACE = timedelta(days=1)
# How often a worker looks for keys another worker rotated in.
_REFRESH_SECONDS = 30.0


class KeyRingError(RuntimeError):
    """The stored keys cannot be used; the message says what to do."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    environment: Environment
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]
    created_on: datetime
    retired_on: datetime | None


class KeyRing:
    """Keys of both environments, loaded from the database and cached in memory."""

    def __init__(self, db: Database, server_key: ServerKey) -> None:
        self._db = db
        self._fernet = Fernet(server_key.fernet_key())
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = -math.inf  # never loaded: the first use loads, however early in uptime
        self._signing: dict[Environment, SigningKey | None] = {}

    async def load(self) -> None:
        async with self._db.read() as conn:
            rows = await key_store.signing_key_rows(conn)
        keys: dict[str, SigningKey] = {}
        now = datetime.now(UTC)
        for r in rows:
            retired_on = _aware(r["retired_on"]) if r["retired_on"] else None
            if retired_on is not None and now - retired_on > RETIRED_KEY_GRACE:
                continue  # neither signs nor verifies any more: don't pay to parse it
            known = self._keys.get(r["kid"])
            if known is not None:
                # A kid's key never changes; parsing RSA keys is slow, so reuse the parsed one.
                private = known.private_key
            else:
                try:
                    pem = self._fernet.decrypt(r["private_key"].encode())
                except InvalidToken:
                    raise KeyRingError(
                        "The token-signing keys in this database were made with another server "
                        "key. Use the data dir (or LOCALTITAN_SERVER_KEY) this database was "
                        "created with."
                    ) from None
                # Fernet authenticated the PEM, so the slow RSA consistency checks are skipped.
                loaded = serialization.load_pem_private_key(
                    pem, password=None, unsafe_skip_rsa_key_validation=True
                )
                assert isinstance(loaded, rsa.RSAPrivateKey)
                private = loaded
            keys[r["kid"]] = SigningKey(
                r["kid"],
                Environment(r["environment"]),
                private,
                json.loads(r["public_jwk"]),
                _aware(r["created_on"]),
                retired_on,
            )
        self._keys = keys
        # Each environment's signing key, picked once per load: every token asks for it.
        self._signing = {env: self._pick(env) for env in Environment}
        self._loaded_at = time.monotonic()

    async def ensure(self) -> None:
        """Load keys, creating one per environment that has none."""
        await self.load()
        for env in Environment:
            if self._current(env) is None:
                await self.rotate(env)

    async def rotate(self, env: Environment) -> SigningKey:
        """Make a new signing key for ``env``; the previous one is retired but still published."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = secrets.token_hex(16).upper() + "RS256"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        now = datetime.now(UTC)
        async with self._db.begin() as conn:
            await key_store.rotate_in(
                conn,
                kid=kid,
                environment=env.value,
                private_key=self._fernet.encrypt(pem).decode(),
                public_jwk=json.dumps(jwk, sort_keys=True),
                now=now,
            )
        await self.load()
        return self._keys[kid]

    def _current(self, env: Environment) -> SigningKey | None:
        return self._signing.get(env)

    def _pick(self, env: Environment) -> SigningKey | None:
        live = [k for k in self._keys.values() if k.environment is env and k.retired_on is None]
        return max(live, key=lambda k: k.created_on) if live else None

    async def signing_key(self, env: Environment) -> SigningKey:
        if time.monotonic() - self._loaded_at > _REFRESH_SECONDS:
            await self.load()
        key = self._current(env)
        if key is None:
            key = await self.rotate(env)
        return key

    async def verification_key(self, env: Environment, kid: str) -> SigningKey | None:
        key = self._keys.get(kid)
        if key is None and time.monotonic() - self._loaded_at > 1.0:
            await self.load()
            key = self._keys.get(kid)
        if key is None or key.environment is not env:
            return None
        if key.retired_on is not None and datetime.now(UTC) - key.retired_on > RETIRED_KEY_GRACE:
            return None
        return key

    def jwks(self, env: Environment) -> dict[str, Any]:
        now = datetime.now(UTC)
        published = [
            k.public_jwk
            for k in sorted(self._keys.values(), key=lambda k: k.created_on, reverse=True)
            if k.environment is env
            and (k.retired_on is None or now - k.retired_on <= RETIRED_KEY_GRACE)
        ]
        return {"keys": published}


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
