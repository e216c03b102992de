"""The conditions a list filter asks of the records table, as plain data.

The engine decides which filter a declared parameter is and what it means (a field path, a
comparison, the value's kind); these frozen dataclasses say so without SQL, and
:mod:`localtitan.store.list_filters` writes them as each dialect's SQL. A condition's equality
and hash leave its values out (:class:`Value` compares by kind alone), so a condition is also
the key of its statement: the same filters with other values run the same compiled statement
with other bound parameters.

``table`` names a subquery's records (a :class:`Related` alias); None is the listed records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "All",
    "AnyOf",
    "AsId",
    "AsText",
    "Cmp",
    "Coalesce",
    "Col",
    "Cond",
    "Contains",
    "Day",
    "Digits",
    "ElementExists",
    "Expr",
    "In",
    "InRelated",
    "IsNull",
    "IsTrue",
    "Json",
    "Lower",
    "Not",
    "Num",
    "Order",
    "Part",
    "Plus",
    "Related",
    "Seconds",
    "Text",
    "Value",
    "any_of",
    "every",
]


@dataclass(frozen=True)
class Value:
    """A bound value. ``kind`` says how it binds: ``plain`` as it is; ``json`` as the scalar a
    JSON field yields (text on PostgreSQL, the JSON value on SQLite); ``number`` a Decimal
    (a float on SQLite); ``like`` text matched anywhere, its ``%`` and ``_`` escaped."""

    value: Any = field(compare=False, hash=False)
    kind: str = "plain"


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Col:
    """A promoted column (``id``, ``active``, ``modified_on``, ``customer_id``...)."""

    name: str
    table: str | None = None


@dataclass(frozen=True)
class Json:
    """A field of the stored JSON; ``address.city`` reaches into a nested object."""

    path: str
    table: str | None = None


@dataclass(frozen=True)
class Part:
    """Inside :class:`ElementExists`: the element's ``key`` (None: the element itself)."""

    key: str | None = None


@dataclass(frozen=True)
class Text:
    """An expression as lower-cased text (text filters ignore case, as ServiceTitan's do)."""

    of: Expr


@dataclass(frozen=True)
class AsText:
    """An expression as text (case kept)."""

    of: Expr


@dataclass(frozen=True)
class Lower:
    """A text column lower-cased (no cast)."""

    of: Expr


@dataclass(frozen=True)
class Num:
    """A JSON field as a number; text that is none compares as NULL (never matches)."""

    path: str
    table: str | None = None


@dataclass(frozen=True)
class Seconds:
    """A ``hh:mm:ss`` duration field in seconds; other text compares as NULL."""

    path: str


@dataclass(frozen=True)
class AsId:
    """An expression as a 64-bit integer."""

    of: Expr


@dataclass(frozen=True)
class Digits:
    """An expression as text without phone punctuation (``-``, spaces, brackets, ``+``, ``.``)."""

    of: Expr


@dataclass(frozen=True)
class Day:
    """The first ten characters of a stored time: its day."""

    of: Expr


@dataclass(frozen=True)
class Plus:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Coalesce:
    of: Expr
    otherwise: int = 0


Expr = (
    Col
    | Json
    | Part
    | Text
    | AsText
    | Lower
    | Num
    | Seconds
    | AsId
    | Digits
    | Day
    | Plus
    | Coalesce
    | Value
)


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Cmp:
    """``left op right``; op is one of ``= != < <= > >=``."""

    left: Expr
    op: str
    right: Expr


@dataclass(frozen=True)
class In:
    left: Expr
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Contains:
    """``left`` holds ``needle`` (a ``like`` value: literally; a plain one: as a LIKE pattern)."""

    left: Expr
    needle: Value


@dataclass(frozen=True)
class IsNull:
    of: Expr
    negated: bool = False


@dataclass(frozen=True)
class IsTrue:
    """A boolean column is true (``negated``: is false)."""

    of: Col
    negated: bool = False


@dataclass(frozen=True)
class All:
    conds: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    conds: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    of: Cond


@dataclass(frozen=True)
class Related:
    """``SELECT picked FROM records AS alias`` over the live records of ``kind`` of the same
    tenant and environment as the listed ones, meeting ``where``."""

    kind: str
    alias: str
    picked: Expr
    where: tuple[Cond, ...] = ()


@dataclass(frozen=True)
class InRelated:
    left: Expr
    related: Related


@dataclass(frozen=True)
class ElementExists:
    """The list field ``path`` holds an element meeting ``match`` (its parts are
    :class:`Part`). With ``within``, a record of that subquery holds it (``within.picked`` is
    not used)."""

    path: str
    match: Cond
    within: Related | None = None


Cond = Cmp | In | Contains | IsNull | IsTrue | All | AnyOf | Not | InRelated | ElementExists


@dataclass(frozen=True)
class Order:
    """One ORDER BY term."""

    of: Expr
    descending: bool = False


def every(*conds: Cond) -> Cond:
    """Every one of ``conds`` (none: every record)."""
    return conds[0] if len(conds) == 1 else All(tuple(conds))


def any_of(*conds: Cond) -> Cond:
    return conds[0] if len(conds) == 1 else AnyOf(tuple(conds))
