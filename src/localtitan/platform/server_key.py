"""The server key: keys the hash of client secrets and encrypts the token-signing keys.

It lives in ``<data-dir>/server.key`` (mode 0600), or in ``LOCALTITAN_SERVER_KEY`` (hex) for
deployments whose workers share no folder. Losing it invalidates every client secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from localtitan.private_files import private_dir

__all__ = ["ServerKey", "load_server_key"]


class ServerKey:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("The server key must be at least 32 bytes.")
        self._key = key
        # Derived once: every token request hashes the secret it presents.
        self._secret_key = self.derive("client-secret")

    def derive(self, purpose: str) -> bytes:
        """A separate 32-byte key per purpose, so one use never leaks into another."""
        return hmac.new(self._key, purpose.encode(), hashlib.sha256).digest()

    def hash_secret(self, secret: str) -> str:
        # hmac.digest is OpenSSL's one-shot HMAC: the hexdigest of hmac.new, without its object.
        return hmac.digest(self._secret_key, secret.encode(), "sha256").hex()

    def fernet_key(self) -> bytes:
        return base64.urlsafe_b64encode(self.derive("signing-key-encryption"))


def load_server_key(data_dir: Path) -> ServerKey:
    env = os.environ.get("LOCALTITAN_SERVER_KEY")
    if env:
        return ServerKey(bytes.fromhex(env.strip()))
    private_dir(data_dir)
    path = data_dir / "server.key"
    if path.exists():
        return ServerKey(bytes.fromhex(path.read_text().strip()))
    key = secrets.token_bytes(32)
    # O_EXCL: when several workers start together, the first one's key wins.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return ServerKey(bytes.fromhex(path.read_text().strip()))
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex())
    return ServerKey(key)
