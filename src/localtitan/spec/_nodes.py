"""Compiled value converters for manifest schemas (Newtonsoft.Json + MVC attribute rules).

``from_json`` follows Newtonsoft.Json as ASP.NET's ``AddNewtonsoftJson`` input formatter
runs it (decision 0120): case-insensitive property names, and its conversions: ``"false"``
and ``0`` for a boolean, ``"12"`` for a number, ``12`` or ``true`` for a string, an enum's
name in any case or its number. A value it cannot convert raises ``BadJson``; the object or
list holding it records the failure and goes on (Newtonsoft's error handler marks each one
handled), so every such value is reported, and then no validation attribute runs.
Attribute-style failures (required, length, range) are collected in ``Errors``.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from localtitan.spec import _scalars as sc
from localtitan.spec import bounds
from localtitan.spec._newtonsoft import Failure

__all__ = [
    "ANY",
    "BadJson",
    "Compiler",
    "Errors",
    "Node",
    "ObjectNode",
    "json_path",
    "label",
    "model_path",
]

MAX_ERRORS = 200  # ASP.NET's MvcOptions.MaxModelValidationErrors
Parts = list[str | int]
_SIMPLE_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


class Errors:
    """ModelState-like error bag, capped like ASP.NET so huge bodies stay cheap."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}
        self.count = 0
        self.failures: list[Failure] = []  # values the serializer could not convert

    def add(self, key: str, message: str) -> None:
        if self.count < MAX_ERRORS:
            self.items.setdefault(key, []).append(message)
            self.count += 1

    def fail(self, exc: BadJson) -> None:
        if len(self.failures) < MAX_ERRORS:
            self.failures.append(exc.failure)


class BadJson(Exception):
    """A value Newtonsoft cannot convert; ``kind`` picks its message (see ``_newtonsoft``).

    ``wrap``: a nullable target names ``System.Nullable`1[T]`` in the message, except in the
    enum converter's, which names the enum itself.
    """

    def __init__(
        self,
        parts: Parts,
        clr: str,
        kind: str = "convert",
        word: str = "",
        expected: str = "primitive",
        *,
        wrap: bool = True,
    ) -> None:
        self.failure = Failure(list(parts), clr, kind, word, expected)
        self.wrap = wrap
        super().__init__(f"{kind}: {clr}")

    def renamed(self, clr: str) -> BadJson:
        f = self.failure
        return BadJson(f.parts, clr, f.kind, f.word, f.expected, wrap=self.wrap)


def json_path(parts: Parts) -> str:
    out = ["$"]
    for p in parts:
        if isinstance(p, int):
            out.append(f"[{p}]")
        elif _SIMPLE_NAME.fullmatch(p):
            out.append(f".{p}")
        else:
            out.append("['" + p.replace("'", "\\'") + "']")
    return "".join(out)


def model_path(parts: Parts) -> str:
    out: list[str] = []
    for p in parts:
        out.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p))
    return "".join(out)


def label(name: str) -> str:
    """The display name MVC puts in messages: the C# property name (PascalCase)."""
    return name[:1].upper() + name[1:]


def _last_label(parts: Parts) -> str:
    names = [p for p in parts if isinstance(p, str)]
    return label(names[-1]) if names else ""


def nullable_clr(clr: str) -> str:
    return f"System.Nullable`1[{clr}]"


class Node:
    """Converts one schema's values; subclasses override what they support."""

    value_type = False  # .NET value types reject JSON null unless declared nullable
    clr = "System.Object"

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        return value

    def from_text(self, text: str) -> Any:
        raise ValueError(text)

    def check(self, value: Any, key: str, name: str, errs: Errors) -> None:
        """Validation attributes (Range, StringLength...), run on a converted value."""


class _AnyNode(Node):
    """A value the schema leaves open (polymorphic or free-form): taken as sent, within the
    default bounds (text, list and map sizes; the depth is bounded when parsing)."""

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        if isinstance(value, str | list | dict):
            _bound_open(value, list(parts), errs)
        return value


def _bound_open(value: Any, parts: Parts, errs: Errors) -> None:
    stack: list[tuple[Any, Parts]] = [(value, parts)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if len(item) > bounds.MAX_TEXT_LENGTH:
                errs.add(
                    model_path(where),
                    f"The field {_last_label(where)} must be a string with a maximum length of "
                    f"{bounds.MAX_TEXT_LENGTH}.",
                )
        elif isinstance(item, list | dict):
            if len(item) > bounds.MAX_ITEMS:
                errs.add(
                    model_path(where), _max_length_message(_last_label(where), bounds.MAX_ITEMS)
                )
                continue
            if isinstance(item, dict):
                for key, child in item.items():
                    if len(key) > bounds.MAX_NAME_LENGTH:
                        errs.add(model_path(where), "A key is longer than 255 characters.")
                        break
                    stack.append((child, [*where, key]))
            else:
                stack.extend((child, [*where, i]) for i, child in enumerate(item))


ANY: Node = _AnyNode()


class IntNode(Node):
    value_type = True

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.fmt = schema.get("format") or "int32"
        self.clr = sc.clr_type("integer", self.fmt)
        self.range = _range(schema, *sc.INT_RANGES.get(self.fmt, sc.INT_RANGES["int32"]))

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        value = self._read64(value, parts) if self.fmt == "int64" else self._read32(value, parts)
        if value is None:
            return None
        if self.range:
            self.check(value, model_path(parts), _last_label(parts), errs)
        return value

    def _read32(self, value: Any, parts: Parts) -> int | None:
        """``JsonReader.ReadAsInt32``: a JSON integer, or a string ``int.TryParse`` takes."""
        low, high = sc.INT_RANGES["int32"]
        if type(value) is int:
            if not low <= value <= high:
                raise BadJson(parts, self.clr, "int32")
            return value
        if isinstance(value, Decimal):
            raise BadJson(parts, self.clr, "integer")
        if isinstance(value, str):
            if value == "":
                return None  # Newtonsoft reads "" as null
            try:
                return sc.parse_int_text(value, "int32")
            except ValueError:
                raise BadJson(parts, self.clr, "string", "integer") from None
        raise BadJson(parts, self.clr, "char")

    def _read64(self, value: Any, parts: Parts) -> int | None:
        """Int64 is read as any token and then ``Convert.ChangeType``d: ``true`` is 1, ``2.5``
        rounds half to even, ``" 12 "`` parses; an object or list is no primitive."""
        low, high = sc.INT_RANGES["int64"]
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, dict):
            raise BadJson(parts, self.clr, "object")
        if isinstance(value, list):
            raise BadJson(parts, self.clr, "array")
        number: int | None = None
        if type(value) is int:
            number = value
        elif isinstance(value, Decimal):
            as_float = float(value)
            if as_float not in (float("inf"), float("-inf")):
                number = round(as_float)
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                number = sc.parse_int_text(value, "int64")
        if number is None or not low <= number <= high:
            raise BadJson(parts, self.clr)
        return number

    def from_text(self, text: str) -> Any:
        return sc.parse_int_text(text, self.fmt)

    def check(self, value: Any, key: str, name: str, errs: Errors) -> None:
        _check_range(self.range, value, key, name, errs)


class NumberNode(Node):
    value_type = True

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.fmt = schema.get("format")
        self.clr = sc.clr_type("number", self.fmt)
        self.range = _range(schema, None, None)

    def _finish(self, number: Decimal) -> Decimal | float:
        if self.fmt == "decimal":
            return number
        result = float(number)
        if result in (float("inf"), float("-inf")):
            raise ValueError(number)
        return result

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        """``ReadAsDecimal``/``ReadAsDouble``: a JSON number, or a string as .NET parses it
        (``decimal``: ``NumberStyles.Number``, thousands separators included)."""
        word = "decimal" if self.fmt == "decimal" else "double"
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise BadJson(parts, self.clr, "char")
        if value == "":
            return None
        try:
            if isinstance(value, str):
                result = self._finish(sc.parse_dotnet_number(value))
            else:
                result = self._finish(Decimal(value))
        except ValueError:
            if isinstance(value, str):
                raise BadJson(parts, self.clr, "string", word) from None
            raise BadJson(parts, self.clr) from None
        if self.range:
            self.check(result, model_path(parts), _last_label(parts), errs)
        return result

    def from_text(self, text: str) -> Any:
        return self._finish(sc.parse_decimal_text(text))

    def check(self, value: Any, key: str, name: str, errs: Errors) -> None:
        _check_range(self.range, value, key, name, errs)


class BoolNode(Node):
    value_type = True
    clr = "System.Boolean"

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        """``ReadAsBoolean``: ``true``, ``"False"`` (``bool.TryParse``), or a number (not 0)."""
        if isinstance(value, bool):
            return value
        if type(value) is int or isinstance(value, Decimal):
            return value != 0
        if isinstance(value, str):
            if value == "":
                return None
            lowered = value.strip(" \t\n\r\x00").lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise BadJson(parts, self.clr, "string", "boolean")
        raise BadJson(parts, self.clr, "char")

    def from_text(self, text: str) -> Any:
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise ValueError(text)


_STRING_FORMATS: dict[str, tuple[Callable[[str], Any], Callable[[str], Any]]] = {
    # format -> (JSON parser, query-string parser)
    "date-time": (sc.parse_datetime, lambda t: sc.parse_datetime(t, loose=True)),
    "date": (sc.parse_date, lambda t: sc.parse_date(t, loose=True)),
    "guid": (sc.parse_guid, sc.parse_guid),
    "uuid": (sc.parse_guid, sc.parse_guid),
    "duration": (sc.parse_duration, sc.parse_duration),
}


class StringNode(Node):
    def __init__(self, schema: Mapping[str, Any], name: str | None = None) -> None:
        fmt = schema.get("format")
        self.parsers = _STRING_FORMATS.get(fmt or "")
        self.value_type = self.parsers is not None
        # DateTime goes through the reader (DateTime.TryParse, invariant culture).
        self.reader = self.parsers[1] if fmt in ("date-time", "date") and self.parsers else None

        self.clr = sc.clr_type("string", fmt)
        self.min_len: int | None = schema.get("minLength")
        self.max_len: int | None = schema.get("maxLength")
        # StringLength(max, MinimumLength = min) only when the schema declares both.
        self.both = self.max_len is not None and bool(self.min_len)
        if self.max_len is None:
            self.max_len = bounds.default_max_length(name, fmt)
        self.pattern: re.Pattern[str] | None = None
        if "pattern" in schema:
            try:
                self.pattern = re.compile(schema["pattern"])
            except re.error:
                self.pattern = None  # a .NET-only construct; skip rather than reject input
        self.checked = bool(self.min_len or self.max_len or self.pattern)

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        if self.parsers is None:
            value = _read_string(value, parts, self.clr)
            if self.checked and not self._fits(value):
                self.check(value, model_path(parts), _last_label(parts), errs)
            return value
        if self.reader is not None:
            # ``ReadAsDateTime``: only a string (or null); "" reads as null.
            if not isinstance(value, str):
                raise BadJson(parts, self.clr, "char")
            if value == "":
                return None
            try:
                return self.reader(value)
            except ValueError:
                raise BadJson(parts, self.clr, "string", "DateTime") from None
        # Guid and TimeSpan: any token, then converted (``new Guid(s)``, ``TimeSpan.Parse``).
        if isinstance(value, dict | list):
            raise BadJson(parts, self.clr, "object" if isinstance(value, dict) else "array")
        if not isinstance(value, str):
            raise BadJson(parts, self.clr)
        if self.checked and not self._fits(value):
            self.check(value, model_path(parts), _last_label(parts), errs)
        try:
            return self.parsers[0](value)
        except ValueError:
            raise BadJson(parts, self.clr) from None

    def from_text(self, text: str) -> Any:
        return text if self.parsers is None else self.parsers[1](text)

    def _fits(self, value: Any) -> bool:
        """True when :meth:`check` would find nothing to report (most values): the message's
        field path and name are only worked out for a value that breaks a bound."""
        if self.pattern is not None or not isinstance(value, str):
            return False
        n = len(value)
        return (self.max_len is None or n <= self.max_len) and (
            self.min_len is None or n >= self.min_len
        )

    def check(self, value: Any, key: str, name: str, errs: Errors) -> None:
        if not isinstance(value, str) or not self.checked:
            return
        n = len(value)
        too_long = self.max_len is not None and n > self.max_len
        too_short = self.min_len is not None and n < self.min_len
        if too_long or too_short:
            if self.both:
                errs.add(
                    key,
                    f"The field {name} must be a string with a minimum length of "
                    f"{self.min_len} and a maximum length of {self.max_len}.",
                )
            elif too_long:
                errs.add(
                    key,
                    f"The field {name} must be a string with a maximum length of {self.max_len}.",
                )
            else:
                errs.add(key, _min_length_message(name, self.min_len or 0))
        if (
            self.pattern is not None
            and value
            and not too_long
            and not self.pattern.fullmatch(value)
        ):
            pattern = self.pattern.pattern
            errs.add(key, f"The field {name} must match the regular expression '{pattern}'.")


class EnumNode(Node):
    """String enums match names case-insensitively; integer enums take values or names."""

    value_type = True

    def __init__(self, schema: Mapping[str, Any], clr: str) -> None:
        self.clr = clr
        values = list(schema.get("enum") or [])
        self.integer = bool(values) and all(type(v) is int for v in values)
        self.values = frozenset(values) if self.integer else frozenset()
        names = schema.get("x-enumNames") if self.integer else values
        self.by_name = {str(n).lower(): v for n, v in zip(names or [], values, strict=False)}
        self.ordered = values

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        """``StringEnumConverter``: a name in any case, or the member's number (as a JSON
        number or text). A string enum's members are numbered in declaration order."""
        if isinstance(value, str):
            key = value.strip()
            if key.lower() in self.by_name:
                return self.by_name[key.lower()]
            if re.fullmatch(r"[+-]?\d+", key, re.ASCII):
                value = int(key)
            else:
                raise BadJson(parts, self.clr, wrap=False)
        elif type(value) is not int:
            raise BadJson(parts, self.clr, "enum_token", wrap=False)
        if self.integer:
            if value in self.values:
                return value
        elif 0 <= value < len(self.ordered):
            return self.ordered[value]
        raise BadJson(parts, self.clr, wrap=False)

    def from_text(self, text: str) -> Any:
        key = text.strip()
        if key.lower() in self.by_name:
            return self.by_name[key.lower()]
        if self.integer and re.fullmatch(r"[+-]?\d+", key, re.ASCII) and int(key) in self.values:
            return int(key)
        raise ValueError(text)


class Prop:
    __slots__ = ("name", "node", "nullable", "required", "text")

    def __init__(self, name: str, node: Node, nullable: bool, required: bool) -> None:
        self.name, self.node, self.nullable, self.required = name, node, nullable, required
        # A plain string (no format, no pattern): the length bounds a JSON string within which
        # reading it gives the string itself, with nothing to report (StringNode.from_json).
        self.text: tuple[int, float] | None = None
        if type(node) is StringNode and node.parsers is None and node.pattern is None:
            low = node.min_len or 0
            self.text = (low, math.inf if node.max_len is None else node.max_len)


class ObjectNode(Node):
    def __init__(self, clr: str) -> None:
        self.clr = clr
        self.props: dict[str, Prop] = {}
        # The same properties by their declared name: a body's key as declared is found
        # without lower-casing it (it names the same property as its lower case does).
        self.exact: dict[str, Prop] = {}
        # The plain string properties by their declared name: (min, max length, required).
        self.plain: dict[str, tuple[int, float, bool]] = {}
        self.required: tuple[Prop, ...] = ()
        self.extra: tuple[Node, bool] | None = None  # additionalProperties (node, nullable)
        self.max_props: int | None = None

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        if not isinstance(value, dict):
            raise BadJson(parts, self.clr, expected="object", kind=_container_kind(value))
        out: dict[str, Any] = {}
        plain = self.plain
        for key, item in value.items():
            if type(item) is str:
                text = plain.get(key)
                # Most members: a plain string named as declared and within its bounds reads
                # as itself (what _member gives), without the path bookkeeping only an error
                # needs. A name in another case takes the general path, to the same result.
                if text is not None and text[0] <= len(item) <= text[1]:
                    out[key] = item
                    if text[2] and item == "":
                        parts.append(key)
                        errs.add(model_path(parts), f"The {label(key)} field is required.")
                        parts.pop()
                    continue
            prop = self.exact.get(key) or self.props.get(key.lower())
            parts.append(key)
            try:
                if prop is not None:
                    out[prop.name] = _member(prop.node, prop.nullable, item, parts, errs)
                    if prop.required and item == "" and isinstance(item, str):
                        errs.add(model_path(parts), f"The {label(prop.name)} field is required.")
                elif self.extra is not None:
                    if len(key) > bounds.MAX_NAME_LENGTH:
                        errs.add(model_path(parts[:-1]), "A key is longer than 255 characters.")
                    out[key] = _member(self.extra[0], self.extra[1], item, parts, errs)
            except BadJson as exc:
                errs.fail(exc)  # handled: the property stays unset and reading goes on
            parts.pop()
        for prop in self.required:
            if prop.name not in out:
                parts.append(prop.name)
                errs.add(model_path(parts), f"The {label(prop.name)} field is required.")
                parts.pop()
        if self.max_props is not None and len(out) > self.max_props:
            errs.add(model_path(parts), _max_length_message(_last_label(parts), self.max_props))
        return out


class ArrayNode(Node):
    def __init__(self, item: Node, item_nullable: bool, schema: Mapping[str, Any]) -> None:
        self.item, self.item_nullable = item, item_nullable
        self.clr = f"System.Collections.Generic.List`1[{item.clr}]"
        self.min_items: int | None = schema.get("minItems")
        self.max_items: int = schema.get("maxItems") or bounds.MAX_ITEMS

    def from_json(self, value: Any, parts: Parts, errs: Errors) -> Any:
        if not isinstance(value, list):
            raise BadJson(parts, self.clr, expected="array", kind=_container_kind(value))
        if len(value) > self.max_items:
            # Converting a million items to report one error would cost the time bounded here.
            errs.add(model_path(parts), _max_length_message(_last_label(parts), self.max_items))
            return value
        out = []
        # Null elements are fine in List<string>/List<object> but not in List<long>. In a
        # list of declared objects ServiceTitan's actions would read a null element's fields
        # (and fail): refuse it here rather than hand every handler a hole.
        item_nullable = self.item_nullable or not self.item.value_type
        objects = isinstance(self.item, ObjectNode) and not self.item_nullable
        for i, item in enumerate(value):
            parts.append(i)
            if item is None and objects:
                errs.add(
                    model_path(parts),
                    f"The {_last_label(parts)} list holds null at index {i}; each item must "
                    "be an object.",
                )
            try:
                out.append(_member(self.item, item_nullable, item, parts, errs))
            except BadJson as exc:
                errs.fail(exc)
            parts.pop()
        if len(out) > self.max_items or (self.min_items is not None and len(out) < self.min_items):
            self.check(out, model_path(parts), _last_label(parts), errs)
        return out

    def check(self, value: Any, key: str, name: str, errs: Errors) -> None:
        if len(value) > self.max_items:
            errs.add(key, _max_length_message(name, self.max_items))
        if self.min_items is not None and len(value) < self.min_items:
            errs.add(key, _min_length_message(name, self.min_items))


def _member(node: Node, nullable: bool, value: Any, parts: Parts, errs: Errors) -> Any:
    if value is not None:
        if value == "" and nullable and node.value_type:
            return None  # Newtonsoft coerces "" to null for a nullable target
        if not (nullable and node.value_type):
            result = node.from_json(value, parts, errs)
        else:
            try:
                result = node.from_json(value, parts, errs)
            except BadJson as exc:
                if not exc.wrap:
                    raise
                raise exc.renamed(nullable_clr(node.clr)) from exc
        if result is not None or nullable or not node.value_type:
            return result
        # "" the reader read as null, into a value type that takes no null.
        raise BadJson(parts, node.clr, "null")
    if nullable:
        return None
    if isinstance(node, EnumNode):
        raise BadJson(parts, node.clr, "enum_null", wrap=False)
    if node.value_type:
        raise BadJson(parts, node.clr)
    # Non-nullable reference types are implicitly [Required] under nullable annotations.
    errs.add(model_path(parts), f"The {_last_label(parts)} field is required.")
    return None


def _read_string(value: Any, parts: Parts, clr: str) -> str:
    """``ReadAsString``: a number as written, ``true``/``false`` as text; no object or list."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is int or isinstance(value, Decimal):
        return str(value)
    raise BadJson(parts, clr, "char")


def _container_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else "convert"


def _min_length_message(name: str, n: int) -> str:
    return f"The field {name} must be a string or array type with a minimum length of '{n}'."


def _max_length_message(name: str, n: int) -> str:
    return f"The field {name} must be a string or array type with a maximum length of '{n}'."


Range = tuple[Any, Any] | None


def _range(schema: Mapping[str, Any], low: Any, high: Any) -> Range:
    if "minimum" not in schema and "maximum" not in schema:
        return None
    return (schema.get("minimum", low), schema.get("maximum", high))


def _check_range(bounds: Range, value: Any, key: str, name: str, errs: Errors) -> None:
    if bounds is None or value is None:
        return
    low, high = bounds
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "" if low is None else sc.format_bound(low)
        hi = "" if high is None else sc.format_bound(high)
        errs.add(key, f"The field {name} must be between {lo} and {hi}.")


class Compiler:
    """Compiles manifest schemas to nodes; component schemas are compiled once and shared."""

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        self.schemas = schemas
        self.refs: dict[str, Node] = {}
        self.lock = threading.RLock()

    def compile(
        self, schema: Mapping[str, Any] | bool, name: str | None = None
    ) -> tuple[Node, bool]:
        """The node for ``schema`` (of the field ``name``) and whether JSON null is allowed."""
        if not isinstance(schema, Mapping):
            return ANY, True
        types = schema.get("type") or []
        nullable = "null" in types or schema.get("nullable") is True
        if "$ref" in schema:
            return self.ref(schema["$ref"]), nullable
        if any(k in schema for k in ("oneOf", "anyOf", "allOf")):
            return ANY, True  # polymorphic payloads: accepted as sent
        if "enum" in schema:
            return EnumNode(schema, "System.String"), nullable
        concrete = [t for t in types if t != "null"]
        kind = concrete[0] if len(concrete) == 1 else ("object" if "properties" in schema else None)
        if kind == "object":
            return self._object(schema, "System.Object"), nullable
        if kind == "array":
            item, item_nullable = self.compile(schema.get("items", {}), name)
            return ArrayNode(item, item_nullable, schema), nullable
        if kind == "string":
            return StringNode(schema, name), nullable
        factory = {"integer": IntNode, "number": NumberNode}.get(kind or "")
        if factory is not None:
            return factory(schema), nullable
        return (BoolNode(), nullable) if kind == "boolean" else (ANY, True)

    def ref(self, name: str) -> Node:
        with self.lock:
            node = self.refs.get(name)
            if node is None:
                schema = self.schemas[name]
                short = name.split(":", 1)[-1]
                if "enum" in schema:
                    node = self.refs[name] = EnumNode(schema, short)
                elif "properties" in schema or "object" in (schema.get("type") or []):
                    # Registered before filling so recursive schemas resolve to this node.
                    node = self.refs[name] = ObjectNode(short)
                    self._fill(node, schema)
                else:
                    node = self.refs[name] = self.compile(schema)[0]
            return node

    def _object(self, schema: Mapping[str, Any], clr: str) -> Node:
        if "properties" not in schema and schema.get("additionalProperties") in (None, True, {}):
            return ANY
        node = ObjectNode(clr)
        self._fill(node, schema)
        return node

    def _fill(self, node: ObjectNode, schema: Mapping[str, Any]) -> None:
        required = set(schema.get("required") or [])
        for name, sub in (schema.get("properties") or {}).items():
            child, nullable = self.compile(sub, name)
            node.props[name.lower()] = Prop(name, child, nullable, name in required)
        node.required = tuple(p for p in node.props.values() if p.required)
        node.exact = {p.name: p for p in node.props.values()}
        node.plain = {p.name: (*p.text, p.required) for p in node.exact.values() if p.text}
        extra = schema.get("additionalProperties")
        if extra is not None and extra is not False and "properties" not in schema:
            node.extra = self.compile(extra)
            value_clr = node.extra[0].clr
            node.clr = f"System.Collections.Generic.Dictionary`2[System.String,{value_clr}]"
        node.max_props = schema.get("maxProperties")
        if node.max_props is None and node.extra is not None:
            node.max_props = bounds.MAX_ITEMS
