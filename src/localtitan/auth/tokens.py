"""Access tokens: RS256 JWTs of type ``at+jwt`` that live 900 seconds.

Claims mirror ServiceTitan's sample token: ``iss, nbf, iat, exp = nbf + 900, client_id,
tenant`` (a string), ``scope`` (an array) and ``jti``, plus ``environment``.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import jwt
import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from localtitan.auth.keys import KeyRing
from localtitan.platform.environments import Environment

__all__ = ["TOKEN_LIFETIME", "AccessToken", "TokenError", "TokenService"]

TOKEN_LIFETIME = 900
# Clock skew allowed between workers or machines when checking nbf and exp.
_LEEWAY = 5
_CACHE_SIZE = 20_000
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_json = msgspec.json.Encoder()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


# The verified-token cache is keyed by the token's last characters (its signature's): hashing
# a whole token (11 KB with 200 scopes) cost more than the rest of a cached check, and the
# header's string is new on every request, so its hash is never kept. A hit still compares
# the whole token (_same_token).
_KEY_CHARS = 64


def _same_token(known: str, raw: str) -> bool:
    """``raw`` is the token ``known``: its signature compared in constant time first, then,
    only once that matched, the whole token with ``==``.

    The signature is the secret part; the header and claims before it are signed, not
    secret (they are base64 of JSON anyone holding the token can read). A constant-time
    compare of a whole token (7 KB in the benchmarks) cost about 50,000 instructions a
    request (callgrind: 6% of a whole list page on the real server); ``==`` is a memcmp.
    """
    cut = known.rfind(".") + 1
    signature = raw[cut:]
    return (
        len(raw) == len(known)
        and signature.isascii()
        and secrets.compare_digest(signature, known[cut:])
        and raw == known
    )


def _same_token_bytes(known: bytes, raw: bytes) -> bool:
    """:func:`_same_token` for a token as the bytes of the header it arrived in."""
    cut = known.rfind(b".") + 1
    return (
        len(raw) == len(known) and secrets.compare_digest(raw[cut:], known[cut:]) and raw == known
    )


_SCOPE_CLAIMS = 256  # scope lists whose claim is kept (a full memo starts again empty)


class _ScopeClaim:
    """One scope list's part of a token's claims, ``,"scope":[...],`` in JSON, and the base64
    of its whole 3-byte groups for each of the three places they can start.

    Base64 encodes 3 bytes at a time, so ``b64(a + b) == b64(a) + b64(b)`` when ``len(a)`` is
    a multiple of 3: the claims' varying head (issuer, times, client) and tail (jti,
    environment) are encoded per token, the list in between (200 scopes: most of the bytes)
    once. Encoding and base64 of the whole claims cost more than the rest of a token's Python.
    """

    __slots__ = ("_groups", "json")

    def __init__(self, scopes: tuple[str, ...]) -> None:
        self.json = b',"scope":' + _json.encode(scopes) + b","
        self._groups: dict[int, bytes] = {}

    def b64_between(self, head: bytes, tail: bytes) -> bytes:
        """``_b64(head + self.json + tail)``."""
        mid = self.json
        start = -len(head) % 3  # the list's bytes that complete the head's last group
        end = start + (len(mid) - start) // 3 * 3
        groups = self._groups.get(start)
        if groups is None:
            groups = self._groups[start] = base64.urlsafe_b64encode(mid[start:end])
        return base64.urlsafe_b64encode(head + mid[:start]) + groups + _b64(mid[end:] + tail)


class TokenError(Exception):
    """The presented token cannot be used; the message is safe to show the client."""


@dataclass(frozen=True)
class AccessToken:
    raw: str
    client_id: str
    tenant_id: int
    environment: Environment
    scopes: frozenset[str]
    expires_at: float
    # ``raw`` as the bytes of a header carrying it (b"" when no header could: see cached).
    encoded: bytes = field(default=b"", repr=False, compare=False)


def _lifetime_ok(claims: dict[str, object]) -> bool:
    """``exp`` is at most ``TOKEN_LIFETIME`` after ``nbf`` and after ``iat`` (when present)."""
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        return False
    for start in ("nbf", "iat"):
        value = claims.get(start)
        if value is None and start == "iat":
            continue
        if not isinstance(value, int | float) or exp - value > TOKEN_LIFETIME:
            return False
    return True


class TokenService:
    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys
        # Verified tokens, so the hot path skips RSA; an entry is still checked for expiry.
        self._verified: OrderedDict[str, AccessToken] = OrderedDict()
        # The encoded JOSE header per kid: the same bytes for every token a key signs.
        self._headers: dict[str, bytes] = {}
        # The scope claim per scope list: an app's tokens all carry the same one.
        self._scope_claims: dict[tuple[str, ...], _ScopeClaim] = {}

    async def issue(
        self,
        *,
        environment: Environment,
        issuer: str,
        client_id: str,
        tenant_id: int,
        scopes: Sequence[str],
    ) -> tuple[str, int]:
        """A signed token for ``scopes`` (sorted: the claim lists them in order)."""
        key = await self._keys.signing_key(environment)
        now = int(time.time())
        # The claims, in this order: iss, nbf, iat, exp, client_id, tenant, scope, jti,
        # environment, as msgspec encodes such a dict. The scope list (most of the bytes)
        # is encoded once per list, in JSON and in base64 (_ScopeClaim).
        head = _json.encode(
            {
                "iss": issuer,
                "nbf": now,
                "iat": now,
                "exp": now + TOKEN_LIFETIME,
                "client_id": client_id,
                "tenant": str(tenant_id),
            }
        )[:-1]
        tail = _json.encode(
            {"jti": secrets.token_hex(16).upper(), "environment": environment.value}
        )[1:]
        listed = scopes if isinstance(scopes, tuple) else tuple(scopes)
        scope_claim = self._scope_claims.get(listed)
        if scope_claim is None:
            if len(self._scope_claims) >= _SCOPE_CLAIMS:
                self._scope_claims.clear()
            scope_claim = self._scope_claims[listed] = _ScopeClaim(listed)
        # The compact JWS PyJWT would make (same header, compact JSON), without its generic
        # steps: the header is encoded once per key, so the RSA signature is the only real
        # work left per token.
        header = self._headers.get(key.kid)
        if header is None:
            header = _b64(_json.encode({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}))
            self._headers[key.kid] = header
        signing_input = header + b"." + scope_claim.b64_between(head, tail)
        signature = key.private_key.sign(signing_input, _PKCS1, _SHA256)
        return (signing_input + b"." + _b64(signature)).decode("ascii"), TOKEN_LIFETIME

    def cached(self, raw: bytes, environment: Environment) -> AccessToken | None:
        """The token ``raw`` (an Authorization header's bytes without ``Bearer``) when this
        process has verified it and it is still good, as :meth:`verify` would answer it; None
        when it is not known as these bytes, for :meth:`verify` to check.

        A header's text is its bytes decoded as latin-1, so the token known under the same
        last characters and equal as bytes is the one :meth:`verify` would find for the text.
        """
        known = self._verified.get(raw[-_KEY_CHARS:].decode("latin-1"))
        if known is None or not known.encoded or not _same_token_bytes(known.encoded, raw):
            return None
        if known.environment is environment and time.time() <= known.expires_at + _LEEWAY:
            return known
        return self._still_good(known, environment)  # raises

    def _still_good(self, known: AccessToken, environment: Environment) -> AccessToken:
        if known.environment is not environment:
            raise TokenError("The access token was issued for another environment.")
        if known.expires_at + _LEEWAY < time.time():
            self._verified.pop(known.raw[-_KEY_CHARS:], None)
            raise TokenError("The access token has expired.")
        return known

    async def verify(self, raw: str, environment: Environment) -> AccessToken:
        cached = self._verified.get(raw[-_KEY_CHARS:])
        if cached is not None and not _same_token(cached.raw, raw):
            cached = None  # another token ending the same way: verify it in full
        if cached is not None:
            return self._still_good(cached, environment)
        try:
            header = jwt.get_unverified_header(raw)
        except jwt.PyJWTError:
            raise TokenError("The access token is malformed.") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise TokenError("The access token is malformed.")
        key = await self._keys.verification_key(environment, header["kid"])
        if key is None:
            raise TokenError("The access token was not issued by this environment.")
        try:
            claims = jwt.decode(
                raw,
                key.private_key.public_key(),
                algorithms=["RS256"],
                leeway=_LEEWAY,
                options={"require": ["exp", "nbf", "client_id", "tenant", "scope"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("The access token has expired.") from None
        except jwt.PyJWTError:
            raise TokenError("The access token is invalid.") from None
        if claims.get("environment") != environment.value:
            raise TokenError("The access token was issued for another environment.")
        if not _lifetime_ok(claims):
            # A key that leaked, or a bug that signed too much, must not mint tokens for years.
            raise TokenError("The access token lives longer than this server issues tokens for.")
        try:
            token = AccessToken(
                raw,
                str(claims["client_id"]),
                int(claims["tenant"]),
                environment,
                frozenset(claims["scope"]),
                float(claims["exp"]),
                # Only text that is a header's bytes decoded (latin-1) has such bytes.
                raw.encode("latin-1") if raw.isascii() else b"",
            )
        except (TypeError, ValueError):
            raise TokenError("The access token is invalid.") from None
        self._verified[raw[-_KEY_CHARS:]] = token
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return token
