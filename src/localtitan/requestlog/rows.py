"""A request-log row from a queued entry: redacted, truncated, ready for the table.

Runs in the flusher, never on the request path, but it runs once per request, so the usual
cases are short cuts that give exactly what the general redaction (``redaction.py``) would:

- a body that is ASCII and holds none of the strings a secret could start from (a secret
  field's name, ``eyJ`` of a JWT, ``cs1.`` of a client secret) is kept as it is, found by a
  few substring searches in C instead of the patterns;
- a header whose value is not secret is remembered as its JSON, so the same headers sent again
  (as a client does on every call) cost a lookup; a secret-bearing one (``Authorization``, the
  app key, cookies) is never remembered by its value;
- an empty query string, and a query string seen before with nothing to redact, likewise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

import msgspec

from localtitan.requestlog.redaction import redact_headers, redact_query, redact_text
from localtitan.store.request_log import LogRow

if TYPE_CHECKING:
    from localtitan.requestlog.recorder import Entry

__all__ = ["body_text", "headers_json", "remember", "row_of"]

K = TypeVar("K")
V = TypeVar("V")

_json = msgspec.json.Encoder()
_MAX_PATH = 2000
_MAX_QUERY = 4000
_CLIENT_SECRET_START = re.compile(r"cs[0-9]\.")
# Header values whose name says they are secret: never kept as a cache key.
_SECRET_HEADERS = frozenset(
    {b"authorization", b"st-app-key", b"cookie", b"set-cookie", b"proxy-authorization"}
)
_REMEMBERED = 4096
_headers: dict[tuple[bytes, bytes], str] = {}
_queries: dict[bytes, str | None] = {}
_clients: dict[str, str] = {}
_secret_headers: dict[tuple[bytes, bytes], str] = {}


def remember(memo: dict[K, V], key: K, value: V) -> None:
    """Keep ``value`` under ``key`` in a memo of at most ``_REMEMBERED`` entries (a full one
    starts again empty: clients send the same few values, which come back at once)."""
    if len(memo) >= _REMEMBERED:
        memo.clear()
    memo[key] = value


def _no_nul(text: str) -> str:
    # PostgreSQL refuses a NUL in text, and one such request would lose its whole batch.
    return text.replace("\x00", "\\u0000") if "\x00" in text else text


def _plain(text: str) -> bool:
    """True when redaction cannot change ``text``, which is ASCII: it holds no part of a
    secret field's name (each name redaction.py treats as secret contains one of these), no
    start of a JWT and no start of a client secret."""
    # Searched in the text, not the bytes: on Python 3.11 a short needle is found in a str
    # several times faster than in bytes (whose ``in`` first tries it as an integer, too).
    low = text.lower()
    return (
        "pass" not in low
        and "secret" not in low
        and "token" not in low
        and "authoriz" not in low
        and "eyJ" not in text
        and ("cs" not in text or _CLIENT_SECRET_START.search(text) is None)
    )


def body_text(
    raw: bytes | None, size: int, limit: int, headers: list[tuple[bytes, bytes]] | None
) -> str | None:
    """What the log keeps of a body: redacted text, at most ``limit`` characters."""
    if not raw or limit == 0:
        return None
    cut = raw[:limit]
    if cut.isascii():
        text = cut.decode("ascii")
        if _plain(text):
            return text.replace("\x00", "\\u0000") if "\x00" in text else text
        # Other letters fold to ASCII ones ("ſ" is an "s"), so only ASCII takes the short cut.
        return _no_nul(redact_text(text)[:limit])
    try:
        text = cut.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut may fall inside a multi-byte character; anything else is not text.
        if size <= len(cut) or exc.start < len(cut) - 3:
            content_type = _content_type(headers) or "binary data"
            return f"[{size:,} bytes of {content_type}, not shown]"
        text = cut[: exc.start].decode("utf-8")
    return _no_nul(redact_text(text)[:limit])


def _fragment(pair: tuple[bytes, bytes]) -> str:
    return _json.encode(redact_headers([pair])[0]).decode()


def _header(pair: tuple[bytes, bytes]) -> str:
    fragment = _fragment(pair)
    if fragment == _json.encode([part.decode("latin-1") for part in pair]).decode():
        remember(_headers, pair, fragment)
    return fragment


def _secret_header(pair: tuple[bytes, bytes]) -> str:
    # What is kept of these depends only on a part that is not secret (the scheme, the
    # prefix kept anyway), so that part is what is remembered, never the value.
    name, value = pair
    if name == b"authorization":
        # The scheme only: splitting would copy the token too, and so would stripping it,
        # which a value with no space at all (a bare token) does not need: it has no scheme.
        space = value.find(b" ")
        if space >= 0:
            value = value.strip()
            space = value.find(b" ")
        part = value[:space] if space >= 0 else b""
    elif name == b"st-app-key":
        part = value[:8]
    else:
        part = b""
    key = (name, part)
    found = _secret_headers.get(key)
    if found is None:
        found = _fragment(pair)
        remember(_secret_headers, key, found)
    return found


def headers_json(headers: list[tuple[bytes, bytes]] | None) -> str:
    """The headers as ``[[name, value], ...]`` JSON, redacted (``redact_headers``)."""
    if not headers:
        return "[]"
    known = _headers
    parts = []
    for pair in headers:
        if pair[0] in _SECRET_HEADERS:
            parts.append(_secret_header(pair))
        else:
            found = known.get(pair)
            parts.append(found if found is not None else _header(pair))
    return "[" + ",".join(parts) + "]"


def _query(raw: bytes) -> str | None:
    found = _queries.get(raw, False)
    if found is not False:
        return found  # type: ignore[return-value]
    text = _no_nul(redact_query(raw.decode("latin-1"))[:_MAX_QUERY]) or None
    if text == raw.decode("latin-1"):
        remember(_queries, raw, text)
    return text


def _client_id(raw: str) -> str:
    found = _clients.get(raw)
    if found is not None:
        return found
    text = _no_nul(redact_text(raw)[:100])
    if text == raw:
        remember(_clients, raw, text)
    return text


def _content_type(headers: list[tuple[bytes, bytes]] | None) -> str:
    for name, value in headers or ():
        if name.lower() == b"content-type":
            return value.decode("latin-1").lower()
    return ""


def row_of(entry: Entry, body_limit: int, success_limit: int) -> LogRow:
    """The row of one queued request (see ``store.request_log.COLUMNS``)."""
    request_raw = entry.request_body
    request_size = entry.request_size or (len(request_raw) if request_raw else 0)
    query = entry.query
    client_id = entry.client_id
    status = entry.status
    kept = entry.kept
    size = entry.response_size
    response_headers = entry.response_headers
    return (
        int(entry.wall * 1000),
        entry.environment,
        entry.area,
        entry.tenant_id,
        entry.app_id,
        _client_id(client_id) if client_id else None,
        entry.method[:16],
        _no_nul(entry.path[:_MAX_PATH]),
        entry.operation_id,
        _query(query) if query else None,
        status,
        # Milliseconds to the microsecond: the same as round(..., 3) but for ties, at a third
        # of its cost.
        int(entry.latency * 1e6 + 0.5) / 1000,
        entry.trace_id,
        request_size,
        size,
        headers_json(entry.request_headers),
        body_text(request_raw, request_size, body_limit, entry.request_headers)
        if request_raw
        else None,
        headers_json(response_headers),
        body_text(kept, size, success_limit if status < 400 else body_limit, response_headers)
        if kept
        else None,
    )
