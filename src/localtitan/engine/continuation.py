"""Export continuation tokens: opaque, signed, carrying the last row version a client saw,
and bound to the feed (environment, tenant and collection) that issued them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from localtitan.platform.server_key import ServerKey

__all__ = ["decode_token", "encode_token"]


# The derived key per server key: an export page signs one token and checks another, and
# deriving is an HMAC of its own.
_derived: dict[int, tuple[ServerKey, bytes]] = {}


def _sign(key: ServerKey, payload: bytes) -> bytes:
    found = _derived.get(id(key))
    if found is None or found[0] is not key:
        if len(_derived) >= 16:
            _derived.clear()
        found = _derived[id(key)] = (key, key.derive("export-continuation"))
    return hmac.digest(found[1], payload, hashlib.sha256)[:12]


def encode_token(key: ServerKey, feed: str, version: int, since: datetime | None = None) -> str:
    # A feed started from a date keeps that date: continuing must not bring back older records
    # whose row version happens to be newer (demo data is written with past dates).
    since_us = "" if since is None else str(int(since.timestamp() * 1_000_000))
    payload = f"{feed}|{version}|{since_us}".encode()
    raw = payload + b"|" + _sign(key, payload)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(key: ServerKey, feed: str, token: str) -> tuple[int, datetime | None] | None:
    """(row version, start date) of a token this server made for ``feed``, or None."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    # The signature is binary and may hold any byte, so split by length, not by separator.
    payload, sep, signature = raw[:-13], raw[-13:-12], raw[-12:]
    if sep != b"|" or not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    head, _, since_us = payload.decode(errors="replace").rpartition("|")
    token_feed, _, version = head.rpartition("|")
    if token_feed != feed or not version.isdigit():
        return None
    since = None
    if since_us:
        if not since_us.lstrip("-").isdigit():
            return None
        since = datetime.fromtimestamp(int(since_us) / 1_000_000, tz=UTC)
    return int(version), since
