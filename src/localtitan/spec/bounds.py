"""Input bounds: the most any request may carry, so no input costs unbounded memory or time.

A string field takes the reference schema's ``maxLength`` where it declares one. Where it does
not, the field's name decides: names, codes, numbers, ids, keys, e-mail addresses, phone
numbers and zip codes (a name equal to or ending in one of ``_SHORT_SUFFIXES``, any case) and
every formatted string (dates, GUIDs, durations) hold at most ``MAX_NAME_LENGTH`` characters;
any other text (memos, summaries, descriptions, streets...) and comma-separated id lists
(``ids``, ``jobIds``) at most ``MAX_TEXT_LENGTH``. Lists and maps hold at most ``MAX_ITEMS``
items unless the schema says otherwise, JSON nests at most ``MAX_DEPTH`` levels, and a body
is at most ``MAX_JSON_BODY_BYTES`` (JSON) or ``MAX_UPLOAD_BYTES`` (file uploads).
``docs/security.md`` ("Input limits") lists them.
"""

from __future__ import annotations

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_JSON_BODY_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_BYTES",
    "default_max_length",
]

MAX_DEPTH = 64  # System.Text.Json's default JsonSerializerOptions.MaxDepth
MAX_TEXT_LENGTH = 4_000
MAX_NAME_LENGTH = 255
MAX_ITEMS = 1_000
MAX_JSON_BODY_BYTES = 8 * 1024 * 1024
MAX_UPLOAD_BYTES = 25 * 1024 * 1024

_SHORT_SUFFIXES = ("name", "code", "number", "id", "key", "email", "phone", "zip")
# Formats whose value is file content, bounded by the body size alone.
_CONTENT_FORMATS = ("binary", "byte", "base64")


def default_max_length(name: str | None, fmt: str | None) -> int | None:
    """The length limit of a string field whose schema declares none (None: no limit)."""
    if fmt in _CONTENT_FORMATS:
        return None
    if fmt:
        return MAX_NAME_LENGTH
    lowered = (name or "").lower()
    if lowered.endswith("ids"):
        return MAX_TEXT_LENGTH  # a comma-separated id list: ``ids=1,2,3`` (at most 50 ids)
    # A list's items are named after the list: ``ids``, ``phoneNumbers``.
    singular = lowered[:-1] if lowered.endswith("s") else lowered
    if singular and singular.endswith(_SHORT_SUFFIXES):
        return MAX_NAME_LENGTH
    return MAX_TEXT_LENGTH
