"""Taking secrets, tokens and passwords out of what the request log keeps.

Runs in the log's background flusher, never on the request path. It works on text rather than
parsed JSON so that a body cut short at the size limit is redacted as surely as a whole one:
a quoted field whose name contains ``password``, ``secret``, ``token``, ``passwd`` or
``authorization`` keeps its name and loses its value (also when the cut falls inside the
value), and so does a form or query field of such a name. Anything shaped like a JWT or a
client secret (``cs1.``/``cs2.`` and 50 characters) is replaced wherever it appears, whatever
the field is called. Headers keep their names; ``Authorization`` keeps only its scheme,
``Cookie`` and ``Set-Cookie`` nothing, and the app key its first eight characters.
"""

from __future__ import annotations

import re
from urllib.parse import quote_plus

__all__ = ["REDACTED", "redact_headers", "redact_query", "redact_text"]

REDACTED = "[redacted]"

_NAME = r"(?:password|passwd|secret|token|authorization)"
# Fields whose name matches _NAME but which hold nothing secret.
_HARMLESS = frozenset({"token_type", "tokentype"})
# The value's characters are taken possessively (runs at a time, never given back): its two
# kinds of character cannot overlap, so no backtracking could end it elsewhere, and a long
# value (a token response's JWT) costs a tenth of the time.
_JSON_FIELD = re.compile(
    r'("(?:[^"\\]|\\.)*' + _NAME + r'(?:[^"\\]|\\.)*"\s*:\s*)'
    r'("(?:[^"\\]++|\\.)*+(?:"|\\?$)|[^\s,}\]]+)',
    re.IGNORECASE,
)
_FORM_FIELD = re.compile(r"((?:^|[&;])([^=&;]*" + _NAME + r"[^=&;]*)=)([^&;]*)", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*")
_CLIENT_SECRET = re.compile(r"cs[0-9]\.[A-Za-z0-9]{8,}")
_APP_KEY_KEEP = 8
_DROP_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization"})


def _json_value(match: re.Match[str]) -> str:
    name = match.group(1).split('"')[1].lower()
    if name in _HARMLESS:
        return match.group(0)
    return f'{match.group(1)}"{REDACTED}"'


def _form_value(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name in _HARMLESS:
        return match.group(0)
    return match.group(1) + quote_plus(REDACTED)


_NAMES = ("password", "passwd", "secret", "token", "authorization")


def redact_text(text: str) -> str:
    """A body (JSON, a form, or anything else) with every secret-looking value replaced."""
    # The field patterns try every quote of a body and cost far more than a substring search
    # (a 28 KB page: about 1 ms); a body naming no secret field cannot match them.
    # casefold, not lower: the patterns ignore case as re does ("ſ" is an "s" to both).
    folded = text.casefold()
    if any(name in folded for name in _NAMES):
        text = _JSON_FIELD.sub(_json_value, text)
        text = _FORM_FIELD.sub(_form_value, text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    return _CLIENT_SECRET.sub(REDACTED, text)


def redact_query(query: str) -> str:
    """A query string with secret-named parameters and the app key parameter cut down."""
    if not query:
        return query
    parts = []
    for part in redact_text(query).split("&"):
        name, sep, value = part.partition("=")
        if sep and name.lower() == "servicetitanapplicationkey":
            value = value[:_APP_KEY_KEEP] + "…"
        parts.append(name + sep + value)
    return "&".join(parts)


def redact_headers(headers: list[tuple[bytes, bytes]] | None) -> list[list[str]]:
    """ASGI headers as ``[name, value]`` pairs, safe to keep."""
    out: list[list[str]] = []
    for raw_name, raw_value in headers or ():
        name = raw_name.decode("latin-1").lower()
        if name in _DROP_HEADERS:
            out.append([name, REDACTED])
            continue
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.strip().split(" ", 1)[0] if " " in value.strip() else ""
            value = f"{scheme} {REDACTED}".strip()
        elif name == "st-app-key":
            value = value[:_APP_KEY_KEEP] + "…"
        else:
            value = redact_text(value)
        out.append([name, value])
    return out
