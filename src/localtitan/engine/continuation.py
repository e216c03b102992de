"""Export continuation tokens: opaque, signed, carrying the last row version a client saw,
and bound to the feed (environment, tenant and collection) that issued them."""

from __future__ import annotations

import base64
import hashlib
import hmac

from localtitan.platform.server_key import ServerKey

__all__ = ["decode_token", "encode_token"]


def _sign(key: ServerKey, payload: bytes) -> bytes:
    return hmac.new(key.derive("export-continuation"), payload, hashlib.sha256).digest()[:12]


def encode_token(key: ServerKey, kind: str, version: int) -> str:
    payload = f"{kind}|{version}".encode()
    raw = payload + b"|" + _sign(key, payload)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(key: ServerKey, kind: str, token: str) -> int | None:
    """The row version in a token this server made for ``kind``, or None."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    # The signature is binary and may hold any byte, so split by length, not by separator.
    payload, sep, signature = raw[:-13], raw[-13:-12], raw[-12:]
    if sep != b"|" or not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    token_kind, _, version = payload.decode(errors="replace").rpartition("|")
    if token_kind != kind or not version.isdigit():
        return None
    return int(version)
