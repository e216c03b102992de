"""Request validation that mimics ASP.NET Core model binding, which ServiceTitan runs.

Path and query values go through .NET ``TypeConverter`` rules, the JSON body through
Newtonsoft.Json (ASP.NET's ``AddNewtonsoftJson`` formatter, decision 0120) and then MVC's
validation attributes. Error keys and messages follow ASP.NET: query/path errors are keyed
by parameter name, body conversion errors by the reader's path with Newtonsoft's message
(``customerId``: "Could not convert string to integer: abc. Path 'customerId', line 1,
position 19."), attribute errors by model path (``locations[0].address.zip``), an empty
body by ``""``, malformed JSON by the reader's path with Newtonsoft's reader message; bytes
that are no UTF-8, NaN, nesting past 64 levels and unpaired surrogates are refused before
reading, keyed ``$``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from localtitan.errors import ApiError
from localtitan.spec._newtonsoft import messages as conversion_messages
from localtitan.spec._newtonsoft import syntax_error
from localtitan.spec._nodes import (
    ANY,
    BadJson,
    Compiler,
    Errors,
    Node,
    ObjectNode,
    json_path,
    label,
)
from localtitan.spec._scalars import parse_guid, parse_int_text
from localtitan.spec.bounds import MAX_DEPTH, MAX_ITEMS
from localtitan.spec.manifest import Manifest, Operation

__all__ = [
    "DEFAULT_MAX_IDS",
    "MAX_DEPTH",
    "RequestValidationError",
    "UnsupportedMediaTypeError",
    "ValidatedRequest",
    "validate_request",
]

DEFAULT_MAX_IDS = 50
_MAX_INDEXED = 100  # highest ``name[i].prop`` index bound from a query string
_JSON_TYPES = ("application/json", "text/json")
_INDEXED = re.compile(r"\[(\d+)\]\.(.+)", re.ASCII)
_KEYED = re.compile(r"\[([^\]]*)\]")


class RequestValidationError(ApiError):
    """400 with ASP.NET's ``errors`` map."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(400, "One or more validation errors occurred.", errors)


class UnsupportedMediaTypeError(ApiError):
    """415: the operation takes a JSON body and the request is not JSON."""

    def __init__(self, content_type: str | None) -> None:
        super().__init__(415, "Unsupported Media Type")
        self.content_type = content_type


@dataclass(frozen=True, slots=True)
class ValidatedRequest:
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any


@dataclass(slots=True)
class _Param:
    name: str
    required: bool
    shape: str  # scalar | array | dict | objects (array of objects) | unbound
    node: Node
    max_items: int | None = None
    default: Any = None
    has_default: bool = False
    id_list: bool = False  # a text list of ids: ``ids=1,2,3``, ``jobIds=...``


@dataclass(slots=True)
class _OpValidator:
    path: list[_Param] = field(default_factory=list)
    query: dict[str, _Param] = field(default_factory=dict)  # lower-cased name -> param
    body: tuple[Node, bool] | None = None


def _compile_operation(compiler: Compiler, op: Operation) -> _OpValidator:
    out = _OpValidator()
    for p in op.parameters:
        if p.location not in ("path", "query"):
            continue
        schema = p.schema
        resolved = _resolve(compiler, schema)
        types = resolved.get("type") or []
        param = _Param(p.name, p.required or p.location == "path", "scalar", ANY)
        if "array" in types:
            item, _ = compiler.compile(resolved.get("items", {}), p.name)
            param.shape = "objects" if isinstance(item, ObjectNode) else "array"
            param.node, param.max_items = item, resolved.get("maxItems") or MAX_ITEMS
        elif "object" in types and "enum" not in resolved:
            node, _ = compiler.compile(schema)
            # Only dictionaries (``name[key]=value``) occur as object query parameters.
            is_dict = isinstance(node, ObjectNode) and node.extra is not None
            param.shape = "dict" if is_dict else "unbound"
            param.node = node
            param.max_items = resolved.get("maxProperties") or MAX_ITEMS
        else:
            param.node, _ = compiler.compile(schema, p.name)
            param.id_list = (
                p.name.lower().endswith("ids")
                and "string" in types
                and not resolved.get("format")
                and "enum" not in resolved
            )
        if "default" in schema:
            param.default, param.has_default = schema["default"], True
        if p.location == "path":
            out.path.append(param)
        else:
            out.query[p.name.lower()] = param
    body = op.request_body
    if body is not None and body.get("schema") is not None:
        out.body = compiler.compile(body["schema"])
    elif body is not None:
        out.body = (ANY, True)
    return out


def _resolve(compiler: Compiler, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 32:
        schema, seen = compiler.schemas[schema["$ref"]], seen + 1
    return schema


def _validator(manifest: Manifest, op: Operation) -> _OpValidator:
    validators: dict[str, _OpValidator] | None = manifest.cache.get("validators")
    if validators is None:
        validators = manifest.cache.setdefault("validators", {})
    found = validators.get(op.id)
    if found is None:
        compiler = manifest.cache.get("compiler")
        if compiler is None:
            compiler = manifest.cache.setdefault("compiler", Compiler(manifest.schemas))
        with compiler.lock:
            found = validators[op.id] = _compile_operation(compiler, op)
    return found


def validate_request(
    manifest: Manifest,
    operation: Operation,
    path_params: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    body: bytes | None,
    content_type: str | None,
    *,
    max_ids: int = DEFAULT_MAX_IDS,
) -> ValidatedRequest:
    """Bind and validate a request; raise ``RequestValidationError`` like ASP.NET would."""
    v = _validator(manifest, operation)
    if v.body is not None and not _is_json(content_type):
        if not _is_upload(manifest, operation, content_type):
            raise UnsupportedMediaTypeError(content_type)
        # A file upload's bytes go to its handler as they came (multipart or raw).
        v = replace(v, body=None)
    errs = Errors()
    path_out: dict[str, Any] = {}
    for param in v.path:
        text = path_params.get(param.name)
        if text is None or text == "":
            errs.add(param.name, f"The {label(param.name)} field is required.")
            continue
        _bind_scalar(param, text, path_out, errs)
    query_out = _bind_query(v, query, errs, max_ids)
    body_out = _bind_body(v.body, body, errs) if v.body is not None else None
    if errs.items:
        raise RequestValidationError(errs.items)
    return ValidatedRequest(path_out, query_out, body_out)


_UPLOAD_TYPES = ("multipart/form-data", "application/octet-stream")


def _is_upload(manifest: Manifest, operation: Operation, content_type: str | None) -> bool:
    """The documents declare uploads as a JSON body ``{file: binary}``; clients send files."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in _UPLOAD_TYPES or operation.request_body is None:
        return False
    schema = manifest.resolve(operation.request_body.get("schema") or {})
    props = schema.get("properties") or {}
    return any(isinstance(p, Mapping) and p.get("format") == "binary" for p in props.values())


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def _bind_scalar(param: _Param, text: str, out: dict[str, Any], errs: Errors) -> None:
    try:
        value = param.node.from_text(text)
    except ValueError:
        errs.add(param.name, f"The value '{text[:100]}' is not valid.")
        return
    param.node.check(value, param.name, label(param.name), errs)
    out[param.name] = value


def _bind_query(
    v: _OpValidator, query: Sequence[tuple[str, str]], errs: Errors, max_ids: int
) -> dict[str, Any]:
    simple: dict[str, list[str]] = {}
    nested: dict[str, list[tuple[str, str]]] = {}
    for key, value in query:
        lowered = key.lower()
        if lowered in v.query:
            simple.setdefault(lowered, []).append(value)
        elif "[" in lowered:
            cut = lowered.index("[")
            if lowered[:cut] in v.query:
                nested.setdefault(lowered[:cut], []).append((key[cut:], value))
    out: dict[str, Any] = {}
    for lowered, param in v.query.items():
        values = simple.get(lowered)
        limit = max_ids if lowered == "ids" else param.max_items
        if param.shape == "scalar":
            text = values[0] if values else None
            if text is None or not text.strip():
                if param.required:
                    errs.add(param.name, _missing(param, text))
                elif param.has_default:
                    out[param.name] = param.default
                continue
            if lowered == "ids" and len(_split_list(values or [])) > max_ids:
                errs.add(param.name, _too_many(param.name, max_ids))
                continue
            if param.id_list and not _ids_valid(param, values or [], errs):
                continue
            _bind_scalar(param, text, out, errs)
        elif param.shape == "array":
            _bind_array(param, _split_list(values or []), limit, out, errs)
        elif param.shape == "dict":
            _bind_dict(param, nested.get(lowered, []), limit, out, errs)
        elif param.shape == "objects":
            _bind_objects(param, nested.get(lowered, []), out, errs)
    return out


def _ids_valid(param: _Param, values: list[str], errs: Errors) -> bool:
    """Every item of an id list is an Int64 (or a GUID, for collections keyed by GUIDs)."""
    for item in _split_list(values):
        try:
            parse_int_text(item, "int64")
        except ValueError:
            try:
                parse_guid(item)
            except ValueError:
                errs.add(param.name, f"The value '{item[:100]}' is not a valid id.")
                return False
    return True


def _missing(param: _Param, text: str | None) -> str:
    if text is not None and param.node.value_type:
        return f"The value '{text}' is invalid."
    return f"The {label(param.name)} field is required."


def _too_many(name: str, limit: int) -> str:
    return (
        f"The field {label(name)} must be a string or array type with a maximum length of "
        f"'{limit}'."
    )


def _split_list(values: list[str]) -> list[str]:
    # Repeated keys and comma-separated values are both accepted; blanks are skipped.
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _bind_array(
    param: _Param, items: list[str], limit: int | None, out: dict[str, Any], errs: Errors
) -> None:
    if not items:
        if param.required:
            errs.add(param.name, f"The {label(param.name)} field is required.")
        return
    if limit is not None and len(items) > limit:
        errs.add(param.name, _too_many(param.name, limit))
        return
    converted = []
    for text in items:
        try:
            converted.append(param.node.from_text(text))
        except ValueError:
            errs.add(param.name, f"The value '{text[:100]}' is not valid.")
            continue
        param.node.check(converted[-1], param.name, label(param.name), errs)
    out[param.name] = converted


def _bind_dict(
    param: _Param,
    entries: list[tuple[str, str]],
    limit: int | None,
    out: dict[str, Any],
    errs: Errors,
) -> None:
    # ASP.NET dictionary binding: ``name[key]=value``.
    assert isinstance(param.node, ObjectNode) and param.node.extra is not None
    node = param.node.extra[0]
    result: dict[str, Any] = {}
    for suffix, text in entries:
        match = _KEYED.fullmatch(suffix)
        if match is None:
            continue
        key = f"{param.name}[{match.group(1)}]"
        try:
            result[match.group(1)] = node.from_text(text) if node is not ANY else text
        except ValueError:
            errs.add(key, f"The value '{text[:100]}' is not valid.")
            continue
        node.check(result[match.group(1)], key, label(param.name), errs)
    if limit is not None and len(result) > limit:
        errs.add(param.name, _too_many(param.name, limit))
    elif result:
        out[param.name] = result


def _bind_objects(
    param: _Param, entries: list[tuple[str, str]], out: dict[str, Any], errs: Errors
) -> None:
    # ASP.NET collection binding: ``name[0].field=value&name[0].other=value``.
    node = param.node
    if not isinstance(node, ObjectNode):
        return
    rows: dict[int, dict[str, Any]] = {}
    for suffix, text in entries:
        match = _INDEXED.fullmatch(suffix)
        if match is None or int(match.group(1)) >= _MAX_INDEXED:
            continue
        index, prop = int(match.group(1)), node.props.get(match.group(2).lower())
        if prop is None:
            continue
        key = f"{param.name}[{index}].{prop.name}"
        try:
            rows.setdefault(index, {})[prop.name] = prop.node.from_text(text)
        except ValueError:
            errs.add(key, f"The value '{text[:100]}' is not valid.")
            continue
        prop.node.check(rows[index][prop.name], key, label(prop.name), errs)
    for index, row in sorted(rows.items()):
        for prop in node.required:
            if prop.name not in row:
                key = f"{param.name}[{index}].{prop.name}"
                errs.add(key, f"The {label(prop.name)} field is required.")
    if rows:
        out[param.name] = [row for _, row in sorted(rows.items())]


def _bind_body(spec: tuple[Node, bool], body: bytes | None, errs: Errors) -> Any:
    node, _ = spec
    if not body or not body.strip():
        errs.add("", "A non-empty request body is required.")
        return None
    # What the utf-8-sig codec gives (it is Python code: a tenth of this function's time).
    try:
        text = body[3:].decode() if body[:3] == codecs.BOM_UTF8 else body.decode()
    except UnicodeDecodeError:
        try:
            body.decode("utf-8-sig")  # the error with the offsets that codec reports
        except UnicodeDecodeError as exc:
            reason = f"'0x{body[exc.start]:02X}' is an invalid UTF-8 byte."
            errs.add("$", _position(reason, body.decode("latin-1"), exc.start))
        return None
    try:
        if text.startswith("\ufeff"):  # as json.loads: a second mark after utf-8-sig's
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _JSON.decode(text)
    except json.JSONDecodeError as exc:
        errs.add(*syntax_error(exc.doc, exc.msg, exc.pos))
        return None
    except (RecursionError, ValueError) as exc:
        errs.add("$", _depth_message() if isinstance(exc, RecursionError) else f"{exc}.")
        return None
    if (body.count(b"{") + body.count(b"[")) > MAX_DEPTH and _too_deep(value):
        errs.add("$", _depth_message())
        return None
    if value is None:
        errs.add("", "A non-empty request body is required.")
        return None
    # Only a \\u escape can put an unpaired surrogate in the text (raw bytes are valid UTF-8).
    # find, not ``in``: ``in`` tries the needle as an int first and formats the TypeError.
    surrogate = _lone_surrogate(value) if body.find(b"\\u") != -1 else None
    if surrogate is not None:
        path = json_path(surrogate)
        errs.add(
            path,
            "The JSON value could not be converted to System.String: it holds an unpaired "
            f"UTF-16 surrogate escape, which is no character. Path: {path}",
        )
        return None
    body_errs = Errors()
    try:
        result = node.from_json(value, [], body_errs)
    except BadJson as exc:
        body_errs.fail(exc)
    if body_errs.failures:
        # Newtonsoft reports every value it could not convert; the input formatter then
        # fails, so no validation attribute runs on the half-read model.
        for key, message in conversion_messages(text, body_errs.failures):
            errs.add(key, message)
        return None
    for key, messages in body_errs.items.items():
        for message in messages:
            errs.add(key, message)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name[:1]}' is an invalid start of a value")


# json.loads with these options, made once (loads builds a decoder on every call).
_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> list[str | int] | None:
    """The path of the first key or string holding an unpaired surrogate (json.loads keeps
    ``"\\ud800"`` as one; no database or encoder can store it)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, parts = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return parts
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return [*parts, key.encode("utf-8", "replace").decode()]
                stack.append((child, [*parts, key]))
        elif isinstance(item, list):
            stack.extend((child, [*parts, i]) for i, child in enumerate(item))
    return None


def _too_deep(value: Any) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _depth_message() -> str:
    return (
        f"The maximum configured depth of {MAX_DEPTH} has been exceeded. "
        "Cannot read next JSON object. Path: $"
    )


def _position(reason: str, source: str, pos: int) -> str:
    before = source[:pos]
    line = before.count("\n")
    column = pos - (before.rfind("\n") + 1)
    return f"{reason} Path: $ | LineNumber: {line} | BytePositionInLine: {column}."
