"""The token endpoint (RFC 6749 section 4.4) and its discovery documents.

Errors follow RFC 6749 section 5.2: a JSON body ``{error, error_description}``, 400 in general
and 401 with ``WWW-Authenticate`` when the client authenticated with HTTP Basic.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import msgspec
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from localtitan.auth.client_address import client_address
from localtitan.auth.tokens import TOKEN_LIFETIME
from localtitan.limits import Penalty
from localtitan.platform.credentials import authenticate_client_fast
from localtitan.platform.environments import Environment
from localtitan.requestlog.facts import facts_of
from localtitan.runtime import Runtime
from localtitan.store.client_reads import scope_set_text

__all__ = ["discovery", "jwks", "token"]

MAX_FORM_BYTES = 8192
# Wrong secrets are punished per (client id, address) and per address, never per client id
# alone: client ids are not secret, so a per-client wall would let anyone lock the owner out.
# Secrets carry 256 random bits, so the delays are defence in depth, not what keeps them safe.
CLIENT_FAILURES = Penalty(free=10)
ADDRESS_FAILURES = Penalty(free=30)

_json = msgspec.json.Encoder()
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# A granted token's headers but its length, as Response(media_type=...) would send them.
_TOKEN_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
)
_JSON_TYPE = (b"content-type", b"application/json")
_BODY_START = b'{"access_token":"'
_BODY_MIDDLE = b'","expires_in":%d,"token_type":"Bearer","scope":' % TOKEN_LIFETIME


@dataclass(frozen=True, slots=True)
class _Granted:
    """An app's scope set at one version, with the two shapes a token answer needs of it."""

    scopes: frozenset[str]
    ordered: tuple[str, ...]
    text: str
    text_json: bytes  # ``text`` as a JSON string

    @classmethod
    def of(cls, scopes: frozenset[str]) -> _Granted:
        ordered = tuple(sorted(scopes))
        text = " ".join(ordered)
        return cls(scopes, ordered, text, _json.encode(text))


# A scope set never changes once made (a change is a new version), so it is read once.
_scope_sets: dict[tuple[int, int, int], _Granted] = {}


async def _granted(runtime: Runtime, app_id: int, version: int) -> _Granted | None:
    key = (id(runtime.db), app_id, version)
    found = _scope_sets.get(key)
    if found is None:
        raw = await scope_set_text(runtime.db.reads, app_id, version)
        if raw is None:
            return None
        found = _scope_sets[key] = _Granted.of(frozenset(json.loads(raw)))
    return found


def _form_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``, without its per-field decoding when the
    form has nothing to decode (client ids and secrets never need it)."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False)
    pairs = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
    return pairs


def _issuer(request: Request, prefix: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{prefix}"


# What a request's scheme, Host header and server give as the issuer's origin: Starlette's
# URL of the request, worked out once per such triple (clients send the same few); bounded,
# because any client can send any Host.
_ORIGINS: dict[tuple[str, bytes | None, Any], str] = {}
_ORIGINS_MAX = 256


def _scope_issuer(scope: dict[str, Any], host: bytes | None, prefix: str) -> str:
    """:func:`_issuer` for the request ``scope`` whose first Host header is ``host``."""
    server = scope.get("server")
    # A tuple from uvicorn; any ASGI server may hand a list, which is no dict key.
    key = (scope.get("scheme", "http"), host, server if type(server) is not list else tuple(server))
    origin = _ORIGINS.get(key)
    if origin is None:
        url = URL(scope=scope)
        origin = f"{url.scheme}://{url.netloc}"
        if len(_ORIGINS) >= _ORIGINS_MAX:
            _ORIGINS.clear()
        _ORIGINS[key] = origin
    return origin + prefix


def _error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        _json.encode({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
        headers={**_NO_STORE, **(headers or {})},
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


async def token(
    scope: dict[str, Any], receive: Any, send: Any, runtime: Runtime, env: Environment, prefix: str
) -> None:
    """The token endpoint on the ASGI messages themselves: a good client's request is read
    and answered without a Starlette request or response (their objects, header parsing and
    URL cost more than the rest of the endpoint's Python did); error answers are built as
    they always were."""
    response = await _token(scope, receive, runtime, env, prefix)
    if isinstance(response, bytes):
        headers = [*_TOKEN_HEADERS, (b"content-length", b"%d" % len(response)), _JSON_TYPE]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": response})
    else:
        await response(scope, receive, send)


async def _read_body(receive: Any) -> bytes | None:
    """The body as ``Request.stream`` hands it over; None once it is over MAX_FORM_BYTES."""
    body: bytes = b""
    while True:
        message: dict[str, Any] = await receive()
        if message["type"] == "http.request":
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                return None
            if not message.get("more_body", False):
                return body
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


async def _token(
    scope: dict[str, Any], receive: Any, runtime: Runtime, env: Environment, prefix: str
) -> Response | bytes:
    """The response, or the body of a granted token's 200."""
    if scope["method"] != "POST":
        return _error(405, "invalid_request", "Use POST to request a token.", {"Allow": "POST"})
    # The first of each, as Request.headers.get finds them, in one pass.
    content_type = basic_header = host = None
    for key, value in scope["headers"]:
        if key == b"content-type":
            if content_type is None:
                content_type = value
        elif key == b"authorization":
            if basic_header is None:
                basic_header = value
        elif key == b"host" and host is None:
            host = value
    ctype = (content_type or b"").decode("latin-1").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return _error(
            400,
            "invalid_request",
            "Send the request as application/x-www-form-urlencoded form fields.",
        )
    body = await _read_body(receive)
    if body is None:
        return _error(400, "invalid_request", "The request body is too large.")
    # For the request log, which redacts client_secret before anything is kept.
    facts = facts_of(scope)
    if facts is not None:
        facts.request_body = body
    try:
        pairs = _form_pairs(body.decode("utf-8"))
    except UnicodeDecodeError:
        return _error(400, "invalid_request", "The form is not valid UTF-8.")
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            return _error(400, "invalid_request", f"The parameter '{name}' is repeated.")
        form[name] = value

    grant_type = form.get("grant_type")
    if not grant_type:
        return _error(400, "invalid_request", "The grant_type parameter is required.")
    if grant_type != "client_credentials":
        return _error(
            400, "unsupported_grant_type", "Only the client_credentials grant is supported."
        )

    used_basic = basic_header is not None
    if basic_header is not None:
        creds = _basic_credentials(basic_header.decode("latin-1"))
        if creds is None:
            return _error(
                401,
                "invalid_client",
                "The Authorization header is not valid HTTP Basic client authentication.",
                {"WWW-Authenticate": 'Basic realm="localtitan"'},
            )
        if "client_secret" in form:
            return _error(400, "invalid_request", "Use one client authentication method, not two.")
        if "client_id" in form and form["client_id"] != creds[0]:
            return _error(400, "invalid_request", "The client_id does not match the header.")
        client_id, client_secret = creds
    else:
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if not client_id:
            return _error(400, "invalid_request", "The client_id parameter is required.")
        if not client_secret:
            return _error(400, "invalid_request", "The client_secret parameter is required.")
    # A NUL can never be in a client id, and PostgreSQL refuses it in a query parameter.
    if len(client_id) > 100 or len(client_secret) > 200 or "\x00" in client_id:
        return _bad_client(used_basic)

    if facts is not None:
        facts.client_id = client_id
    address = client_address(scope)
    pair_key = f"token-fail:{env.value}:{client_id}:{address}"
    address_key = f"token-fail-address:{address}"
    limiter = runtime.limiter
    # While an address serves a delay its secrets are not even checked: answering "right"
    # during the delay would let a guesser go on at full speed. Both keys in one look.
    pair_wait, address_wait = await limiter.penalties((pair_key, address_key))
    wait = max(pair_wait or 0, address_wait or 0)
    if wait:
        return _throttled(wait)

    granted: _Granted | None = None
    identity = await authenticate_client_fast(
        runtime.db.reads, runtime.server_key, env, client_id, client_secret
    )
    if identity is not None:
        granted = await _granted(runtime, identity.app_id, identity.scope_version)
    if identity is None or granted is None:
        if facts is not None:
            # A wrong secret for a real client id belongs in that app's request log.
            known = await runtime.client(client_id)
            if known is not None:
                facts.tenant_id, facts.app_id = known.tenant_id, known.app_id
        wait = max(
            await limiter.penalize(pair_key, CLIENT_FAILURES) or 0,
            await limiter.penalize(address_key, ADDRESS_FAILURES) or 0,
        )
        if wait:
            return _throttled(wait)
        return _bad_client(used_basic)
    # The owner got in from here: this address's guesses at this client are forgiven (the
    # per-address count stays, or a guesser could clear it with a client of its own). With
    # none on record when the request began there is nothing to forgive: one that lands
    # meanwhile is as if it came after.
    if pair_wait is not None:
        await limiter.forgive(pair_key)
    if facts is not None:
        facts.tenant_id = identity.tenant_id
        facts.app_id = identity.app_id
    requested = form.get("scope")
    ordered, scope_json = granted.ordered, granted.text_json
    if requested is not None and requested.strip():
        asked = frozenset(requested.split())
        missing = asked - granted.scopes
        if missing:
            return _error(
                400,
                "invalid_scope",
                "The app was not granted: " + " ".join(sorted(missing)) + ".",
            )
        ordered = tuple(sorted(asked))
        scope_json = _json.encode(" ".join(ordered))

    access_token, lifetime = await runtime.tokens.issue(
        environment=env,
        issuer=_scope_issuer(scope, host, prefix),
        client_id=identity.client_id,
        tenant_id=identity.tenant_id,
        scopes=ordered,
    )
    assert lifetime == TOKEN_LIFETIME
    return token_body(access_token, scope_json)


def token_body(access_token: str, scope_json: bytes) -> bytes:
    """``{"access_token", "expires_in", "token_type", "scope"}`` as msgspec encodes it, put
    together from its parts: the token is base64url and dots (nothing JSON escapes) and the
    scope text is encoded once per scope set, so the 11 KB are not scanned again."""
    return b"".join((_BODY_START, access_token.encode("ascii"), _BODY_MIDDLE, scope_json, b"}"))


def _bad_client(used_basic: bool) -> Response:
    description = "The client id or client secret is wrong, or the client is not active."
    if used_basic:
        return _error(
            401,
            "invalid_client",
            description,
            {"WWW-Authenticate": 'Basic realm="localtitan"'},
        )
    return _error(400, "invalid_client", description)


def _throttled(wait: int) -> Response:
    return _error(
        429,
        "invalid_client",
        f"Too many failed attempts from this address. Try again in {wait} seconds.",
        {"Retry-After": str(wait)},
    )


async def jwks(request: Request, runtime: Runtime, env: Environment, prefix: str) -> Response:
    await runtime.keys.signing_key(env)  # reloads keys another worker may have rotated
    return Response(_json.encode(runtime.keys.jwks(env)), media_type="application/json")


async def discovery(request: Request, runtime: Runtime, env: Environment, prefix: str) -> Response:
    issuer = _issuer(request, prefix)
    doc = {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks",
        "token_endpoint": f"{issuer}/connect/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["token"],
        "scopes_supported": sorted(runtime.manifest.scopes),
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
    }
    return Response(_json.encode(doc), media_type="application/json")
