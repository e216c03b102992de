"""The door: every API request passes here before any handler runs.

Order: route -> token (401) -> app key, tenant, scope (403) -> rate limit (429) -> body size
(413) -> validation (400) -> handler (or 501). Each failure is ServiceTitan's error shape.
"""

from __future__ import annotations

import hmac
import logging
import os
import random
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from localtitan.auth.tokens import AccessToken, TokenError
from localtitan.errors import ApiError, error_body
from localtitan.handling.call import Call, Handler, Result
from localtitan.latency import kind_of
from localtitan.platform.environments import Environment
from localtitan.requestlog.facts import FACTS_KEY, RequestFacts
from localtitan.runtime import ClientInfo, Runtime
from localtitan.spec import Operation, ValidatedRequest, validate_request
from localtitan.spec.bounds import MAX_JSON_BODY_BYTES, MAX_UPLOAD_BYTES

__all__ = ["MAX_BODY_BYTES", "body_limit", "handle_api"]

log = logging.getLogger("localtitan.api")

MAX_BODY_BYTES = MAX_UPLOAD_BYTES
_JSON = b"application/json"
_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_CONTENT_TYPES: dict[str, bytes] = {"application/json": _JSON}
# Trace ids name a request in logs and error bodies; they need to be unique, not secret, so
# they come from the process's seeded generator rather than a getrandom call per request.
_trace_random = random.Random(secrets.randbits(128))
# A forked worker must not repeat its parent's sequence.
os.register_at_fork(after_in_child=lambda: _trace_random.seed(secrets.randbits(128)))


def _trace_id() -> str:
    return f"{_trace_random.getrandbits(128):032x}"


@dataclass(frozen=True, slots=True)
class _Bound:
    """What a request without a body binds to: a pure function of its method, path, query
    string and content type, so a request seen before skips routing, query parsing and
    validation (its auth, scope, limits and handler still run on every request)."""

    operation: Operation
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    validated: ValidatedRequest


_BOUND_MAX = 4096
_BoundKey = tuple[str, str, bytes, str | None]
# Values a handler cannot change in place: a bound request holding only these is shared.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, UUID})


def _shareable(validated: ValidatedRequest) -> bool:
    if validated.body is not None:
        return False
    return all(type(v) in _IMMUTABLE for v in validated.query.values()) and all(
        type(v) in _IMMUTABLE for v in validated.path.values()
    )


async def _send(
    send: Any,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: dict[str, str],
    facts: RequestFacts | None,
) -> None:
    raw = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    if headers:
        raw.extend((k.lower().encode(), v.encode()) for k, v in headers.items())
    if facts is not None:
        facts.responded(status, raw, body)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Any, err: ApiError, trace_id: str, facts: RequestFacts | None) -> None:
    await _send(send, err.status, err.body(trace_id), _JSON, err.headers, facts)


# Authorization, ST-App-Key, Content-Type, Content-Length, and whether the body is chunked.
_Headers = tuple[bytes | None, bytes | None, str | None, str | None, bool]


def _door_headers(scope: dict[str, Any]) -> _Headers:
    """The headers the door reads, in one pass; the first of a repeated header counts.
    The token and the app key stay bytes: a known token and a client's key are compared as
    the bytes that arrived (a 7 KB token decoded to text on every request cost more than
    the rest of the check)."""
    authorization = app_key = None
    content_type = content_length = None
    chunked = False
    for key, value in scope["headers"]:
        if key == b"authorization":
            if authorization is None:
                authorization = value
        elif key == b"st-app-key":
            if app_key is None:
                app_key = value
        elif key == b"content-type":
            if content_type is None:
                content_type = value.decode("latin-1")
        elif key == b"content-length":
            if content_length is None:
                content_length = value.decode("latin-1")
        elif key == b"transfer-encoding":
            chunked = True
    return authorization, app_key, content_type, content_length, chunked


async def _read_body(receive: Any, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def body_limit(content_type: str | None) -> int:
    """JSON is parsed whole in memory, so it gets the tighter bound; files the wider one."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("multipart/form-data", "application/octet-stream"):
        return MAX_UPLOAD_BYTES
    return MAX_JSON_BODY_BYTES


def _refuse_nul(
    path_params: dict[str, str],
    query: list[tuple[str, str]],
    body: bytes,
    content_type: str | None,
) -> None:
    """PostgreSQL cannot store a NUL character in text, and no ServiceTitan field holds one."""
    errors: dict[str, list[str]] = {}
    message = "The value contains a NUL character, which is not allowed."
    for name, value in [*path_params.items(), *query]:
        if "\x00" in value or "\x00" in name:
            errors[name.replace("\x00", "")] = [message]
    is_json = "json" in (content_type or "").lower()
    # find, not ``in``: ``in`` tries the needle as an int first and formats the TypeError.
    if is_json and (body.find(b"\x00") != -1 or body.find(b"\\u0000") != -1):
        errors["$"] = [message]
    if errors:
        raise ApiError(400, "One or more validation errors occurred.", errors=errors)


async def handle_api(
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    runtime: Runtime,
    env: Environment,
    path: str,
) -> None:
    trace_id = _trace_id()
    # Filled in for the request log as the door learns things; None when the log is off.
    facts: RequestFacts | None = scope.get(FACTS_KEY)
    if facts is not None:
        facts.trace_id = trace_id
    try:
        result = await _handle(scope, receive, runtime, env, path, trace_id, facts)
    except ApiError as err:
        await _send_error(send, err, trace_id, facts)
        return
    except Exception:
        log.exception("Unhandled error in %s %s (trace %s)", scope["method"], path, trace_id)
        await _send(
            send,
            500,
            error_body(500, "An unexpected error occurred.", trace_id=trace_id),
            _JSON,
            {},
            facts,
        )
        return
    content_type = _CONTENT_TYPES.get(result.content_type) or result.content_type.encode()
    await _send(
        send,
        result.status,
        result.body if result.body is not None else b"",
        content_type,
        result.headers,
        facts,
    )


async def _verify(runtime: Runtime, header: bytes | None, env: Environment) -> AccessToken:
    """The token the Authorization header carries (``Bearer`` optional) verified, or 401:
    the header as text, where "blank" and the prefix are str's own rules."""
    try:
        authorization = None if header is None else header.decode("latin-1")
        if not authorization or not authorization.strip():
            raise ApiError(
                401,
                "An access token is required in the Authorization header.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raw_token = authorization.strip()
        if raw_token[:7].lower() == "bearer ":
            raw_token = raw_token[7:].strip()
        return await runtime.tokens.verify(raw_token, env)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from None


def _check_app_key(header: bytes | None, query: list[tuple[str, str]], client: ClientInfo) -> None:
    """The app key (the ``ST-App-Key`` header, else the query's ``ServiceTitanApplicationKey``)
    is the client's app's, compared in constant time; 403 if missing or another app's."""
    if header is not None:
        # The header's bytes against the key's: the same answer as comparing their text.
        if not header:
            raise ApiError(403, "The ST-App-Key header is required: send your app key in it.")
        key = client.app_key_bytes
        if key is None or not hmac.compare_digest(header, key):
            raise ApiError(403, "The app key does not belong to the app of this access token.")
        return
    app_key = None
    for name, value in query:
        if name.lower() == "servicetitanapplicationkey":
            app_key = value
            break
    if not app_key:
        raise ApiError(403, "The ST-App-Key header is required: send your app key in it.")
    if not hmac.compare_digest(app_key.encode(), client.app_key.encode()):
        raise ApiError(403, "The app key does not belong to the app of this access token.")


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than {limit // (1024 * 1024)} MB, the most this "
        "operation accepts.",
    )


def _unauthorized(description: str) -> ApiError:
    return ApiError(
        401,
        description,
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'
        },
    )


async def _handle(
    scope: dict[str, Any],
    receive: Any,
    runtime: Runtime,
    env: Environment,
    path: str,
    trace_id: str,
    facts: RequestFacts | None,
) -> Result:
    method = scope["method"]
    authorization, app_key, content_type, declared, chunked = _door_headers(scope)
    raw_query: bytes = scope.get("query_string", b"")
    # Nothing follows the headers (no length, not chunked): no body to wait for.
    bodyless = declared is None and method in _NO_BODY and not chunked
    bound_key = (method, path, raw_query, content_type)
    # Kept with the manifest, like the validators it caches the work of.
    seen: OrderedDict[_BoundKey, _Bound] | None = runtime.manifest.cache.get("door_bound")
    if seen is None:
        seen = runtime.manifest.cache.setdefault("door_bound", OrderedDict())
    bound = seen.get(bound_key) if bodyless else None
    if bound is not None:
        op, path_params = bound.operation, bound.path_params
    else:
        match = runtime.router.match(method, path)
        if match is None:
            allowed = runtime.router.allowed_methods(path)
            if allowed:
                raise ApiError(
                    405,
                    f"The method {method} is not allowed here; use {', '.join(allowed)}.",
                    headers={"Allow": ", ".join(allowed)},
                )
            raise ApiError(404, "There is no API operation at this path.")
        op, path_params = match.operation, match.path_params
    if facts is not None:
        facts.operation_id = op.operation_id

    token = None
    if authorization:
        # A token this process verified before, found and compared as the header's bytes.
        raw = authorization.strip()
        if raw[:7].lower() == b"bearer ":
            raw = raw[7:].strip()
        try:
            token = runtime.tokens.cached(raw, env)
        except TokenError as exc:
            raise _unauthorized(str(exc)) from None
    if token is None:
        token = await _verify(runtime, authorization, env)
    client = await runtime.client(token.client_id)
    if facts is not None:
        facts.tenant_id = token.tenant_id
        facts.client_id = token.client_id
        if client is not None:
            facts.app_id = client.app_id
    if client is not None and client.revoked:
        raise ApiError(403, "This app key was revoked: the app it belongs to has been deleted.")
    if client is None or not client.active:
        raise _unauthorized("The client of this access token is no longer active.")

    if bound is not None:
        query = bound.query
    else:
        # No query string (most writes): what parse_qsl gives for one, without its Python.
        query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
    _check_app_key(app_key, query, client)

    tenant_raw = path_params.get("tenant", "")
    if tenant_raw != str(token.tenant_id):
        raise ApiError(403, f"The access token is not valid for tenant {tenant_raw[:40]}.")
    if op.scope not in token.scopes:
        raise ApiError(
            403,
            f"The access token lacks the scope {op.scope} that this operation needs.",
            data={"requiredScope": op.scope},
        )

    limit = runtime.settings.rate_limit
    if limit:
        wait = await runtime.limiter.hit(f"{client.app_id}:{token.tenant_id}:{env.value}", limit, 1)
        if wait is not None:
            raise ApiError(
                429,
                f"Rate limit is exceeded. Try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )

    body: bytes | None
    if bodyless:
        body = b""
    else:
        max_body = body_limit(content_type)
        if declared is not None and declared.strip().isdigit() and int(declared) > max_body:
            raise _too_large(max_body)  # refused before a byte of it is read
        body = await _read_body(receive, max_body)
        if body is None:
            raise _too_large(max_body)
    if facts is not None:
        facts.request_body = body
    if bound is not None:
        validated = bound.validated
    else:
        _refuse_nul(path_params, query, body, content_type)
        # Validation failures are ApiErrors already (400, or 415 for a body that is not JSON).
        validated = validate_request(
            runtime.manifest, op, path_params, query, body or None, content_type
        )
        if bodyless and _shareable(validated):
            seen[bound_key] = _Bound(op, path_params, query, validated)
            if len(seen) > _BOUND_MAX:
                seen.popitem(last=False)

    if runtime.latency.active:
        # Before the handler: the wait holds no transaction, and the answer is as fresh as
        # the moment it is sent. Calls the gateway turns away (401, 403, 429) stay fast.
        await runtime.latency.pause(kind_of(op))
    # The table is built when the runtime starts (localtitan.operations).
    found: tuple[Handler, str] | None = runtime.handlers.get(op.id)
    if found is None:
        raise ApiError(
            501,
            f"The operation {op.operation_id} is not implemented in localtitan yet.",
            data={"operationId": op.operation_id, "module": op.module},
        )
    call = Call(
        runtime=runtime,
        operation=op,
        environment=env,
        tenant_id=token.tenant_id,
        app_id=client.app_id,
        client_id=client.client_id,
        # Copies: a handler may change its call's dicts, and a bound request is shared.
        path=dict(validated.path),
        query=dict(validated.query),
        body=validated.body,
        raw_body=body,
        content_type=content_type,
        trace_id=trace_id,
    )
    return await found[0](call)
