"""Newtonsoft.Json's conversion-error messages, with the path, line and position it reports.

ServiceTitan's input formatter follows Newtonsoft.Json (decision 0120): a value it cannot
convert becomes a model-state error keyed by the reader's path (``locations[0].address``),
whose message ends ``Path 'x', line 1, position 17.``. The nodes raise ``BadJson`` with what
went wrong; the position needs the request text, so the messages are made here, once, for the
failed values only (one pass over the text, whatever the number of errors).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

__all__ = ["Failure", "messages", "reader_path", "syntax_error"]

Parts = list[str | int]
_WS = re.compile(r"[ \t\n\r]*")
_PLAIN_NAME = re.compile(r"[^.\s\[\]()'\"/\\]+")
_DECODER = json.JSONDecoder(parse_float=Decimal)

_OBJECT = 'JSON object (e.g. {"name":"value"})'
_ARRAY = "JSON array (e.g. [1,2,3])"
_PRIMITIVE = "JSON primitive value (e.g. string, number, boolean, null)"
_EXPECTED = {"object": _OBJECT, "array": _ARRAY, "primitive": _PRIMITIVE}
_TOKENS = {"t": "Boolean", "f": "Boolean", "{": "StartObject", "[": "StartArray"}


class Failure:
    """One value the serializer could not convert (what ``BadJson`` carries)."""

    __slots__ = ("clr", "expected", "kind", "parts", "word")

    def __init__(self, parts: Parts, clr: str, kind: str, word: str = "", expected: str = ""):
        self.parts, self.clr, self.kind, self.word, self.expected = parts, clr, kind, word, expected


def reader_path(parts: Parts) -> str:
    """``JsonReader.Path``: ``a.b[0]``, odd names as ``['a b']``; the root is ``''``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _PLAIN_NAME.fullmatch(p):
            out += f".{p}" if out else p
        else:
            out += "['" + p.replace("'", "\\'") + "']"
    return out


def messages(text: str, failures: Iterable[Failure]) -> list[tuple[str, str]]:
    """(model-state key, message) per failure, in the order given."""
    found = list(failures)
    spans = _spans(text, {tuple(f.parts) for f in found})
    out = []
    for f in found:
        start, end = spans.get(tuple(f.parts), (0, len(text)))
        token = text[start:end]
        message, at = _message(f, token, start, end)
        path = reader_path(f.parts)
        out.append((path, _with_position(message, path, text, at)))
    return out


def _message(f: Failure, token: str, start: int, end: int) -> tuple[str, int]:
    if f.kind == "char":
        return f"Unexpected character encountered while parsing value: {token[:1]}.", start + 1
    if f.kind == "string":
        return f"Could not convert string to {f.word}: {_string_value(token)}.", end
    if f.kind == "integer":
        return f"Input string '{token}' is not a valid integer.", end
    if f.kind == "int32":
        return f"JSON integer {token} is too large or small for an Int32.", end
    if f.kind == "enum_token":
        kind = _TOKENS.get(token[:1], "Float" if re.search(r"[.eE]", token) else "Integer")
        return f"Unexpected token {kind} when parsing enum.", end
    if f.kind == "null":
        return f"Error converting value {{null}} to type '{f.clr}'.", end
    if f.kind == "enum_null":
        return f"Cannot convert null value to {f.clr}.", end
    if f.kind in ("object", "array") and token[:1] in "{[":
        return _container_message(token[:1], f.clr, _EXPECTED[f.expected]), start + 1
    return f"Error converting value {_shown(token)} to type '{f.clr}'.", end


def _container_message(opener: str, clr: str, expected: str) -> str:
    if opener == "{":
        return (
            f'Cannot deserialize the current JSON object (e.g. {{"name":"value"}}) into type '
            f"'{clr}' because the type requires a {expected} to deserialize correctly.\n"
            f"To fix this error either change the JSON to a {expected} or change the "
            "deserialized type so that it is a normal .NET type (e.g. not a primitive type "
            "like integer, not a collection type like an array or List<T>) that can be "
            "deserialized from a JSON object. JsonObjectAttribute can also be added to the "
            "type to force it to deserialize from a JSON object.\n"
        )
    return (
        f"Cannot deserialize the current JSON array (e.g. [1,2,3]) into type '{clr}' because "
        f"the type requires a {expected} to deserialize correctly.\n"
        f"To fix this error either change the JSON to a {expected} or change the "
        "deserialized type to an array or a type that implements a collection interface "
        "(e.g. ICollection, IList) like List<T> that can be deserialized from a JSON array. "
        "JsonArrayAttribute can also be added to the type to force it to deserialize from a "
        "JSON array.\n"
    )


def _string_value(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token
    return value if isinstance(value, str) else token


def _shown(token: str) -> str:
    """``MiscellaneousUtils.ToString``: ``{null}``, a string in quotes, ``True``, a number."""
    if token == "null":  # noqa: S105 - a JSON literal, no secret
        return "{null}"
    if token in ("true", "false"):
        return token.capitalize()
    if token[:1] == '"':
        return f'"{_string_value(token)}"'
    return token


def _with_position(message: str, path: str, text: str, at: int) -> str:
    """``JsonPosition.FormatMessage``."""
    if not message.endswith("\n"):
        message = message.strip()
        if not message.endswith("."):
            message += "."
        message += " "
    line = text.count("\n", 0, at) + 1
    position = at - (text.rfind("\n", 0, at) + 1)
    return f"{message}Path '{path}', line {line}, position {position}."


def _spans(text: str, wanted: set[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Start and end offsets of the values at ``wanted`` paths: one walk down only the
    containers on those paths; everything beside them is skipped by the C scanner."""
    prefixes = {w[:i] for w in wanted for i in range(len(w))}
    out: dict[tuple[Any, ...], tuple[int, int]] = {}

    def walk(i: int, path: tuple[Any, ...]) -> int:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        opener = text[i : i + 1]
        if path in prefixes and opener in ("{", "["):
            end = _children(i, path, opener)
        else:
            end = _DECODER.raw_decode(text, i)[1]
        if path in wanted:
            out[path] = (i, end)
        return end

    def _children(i: int, path: tuple[Any, ...], opener: str) -> int:
        closer = "}" if opener == "{" else "]"
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        index = 0
        while text[i : i + 1] != closer:
            if opener == "{":
                key, i = scanstring(text, i + 1)
                i = _WS.match(text, i).end() + 1  # type: ignore[union-attr]
                i = walk(i, (*path, key))
            else:
                i = walk(i, (*path, index))
                index += 1
            i = _WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i : i + 1] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        return i + 1

    # The text parsed before; a failure here only costs the exact position.
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        walk(0, ())
    return out


def syntax_error(text: str, reason: str, pos: int) -> tuple[str, str]:
    """(key, message) for JSON Newtonsoft's reader cannot read, from ``json``'s reason and
    offset: keyed and placed by the reader's path at that point, as the formatter reports it."""
    ch = text[pos : pos + 1]
    at_end = not text[pos:].strip()
    path = _path_at(text, pos)
    if at_end:
        inside = _open_container(text, pos)
        what = "array" if inside == "[" else "object"
        message = f"Unexpected end when deserializing {what}."
        return path, _with_position(message, path, text, len(text.rstrip()))
    if reason == "Extra data":
        message = "Additional text found in JSON string after finishing deserializing object."
    elif reason.startswith("Expecting property name"):
        message = f"Invalid property identifier character: {ch}."
    elif reason == "Expecting ',' delimiter":
        message = f"After parsing a value an unexpected character was encountered: {ch}."
    elif reason == "Expecting ':' delimiter":
        message = f"Invalid character after parsing property name. Expected ':' but got: {ch}."
    elif reason.startswith("Unterminated string"):
        message = 'Unterminated string. Expected delimiter: ".'
        return path, _with_position(message, path, text, len(text))
    elif reason == "Expecting value":
        message = f"Unexpected character encountered while parsing value: {ch}."
    else:
        message = f"{reason}."
    return path, _with_position(message, path, text, pos + 1)


def _open_container(text: str, pos: int) -> str:
    stack = _scan(text, pos)
    return stack[-1][0] if stack else ""


def _path_at(text: str, pos: int) -> str:
    """``JsonReader.Path`` after reading ``text[:pos]``: the property being read, the index
    of the array item being read."""
    parts: Parts = []
    for kind, key, started in _scan(text, pos):
        if kind == "{" and key is not None:
            parts.append(key)
        elif kind == "[" and started:
            parts.append(int(key or 0))
    return reader_path(parts)


def _scan(text: str, pos: int) -> list[list[Any]]:
    """Open containers before ``pos``: ``[opener, property name or item index, started]``."""
    stack: list[list[Any]] = []
    i = 0
    while i < min(pos, len(text)):
        c = text[i]
        top = stack[-1] if stack else None
        if c == '"':
            try:
                value, i = scanstring(text, i + 1)
            except ValueError:
                break
            if top is not None and top[0] == "{" and not top[2]:
                top[1], top[2] = value, True
            elif top is not None and top[0] == "[":
                top[2] = True
            continue
        if c in "{[":
            if top is not None and top[0] == "[":
                top[2] = True
            stack.append([c, None if c == "{" else 0, False])
        elif c in "}]":
            if stack:
                stack.pop()
        elif c == ",":
            if top is not None and top[0] == "{":
                top[2] = False  # the next property name is read next
            elif top is not None:
                top[1], top[2] = top[1] + 1, False
        elif not c.isspace() and c != ":" and top is not None and top[0] == "[":
            top[2] = True
        i += 1
    return stack
