"""List filters as SQL: :mod:`localtitan.store.conditions` written for SQLite and PostgreSQL.

The engine says what a filter means (``engine/query.py``, ``engine/list_filters.py``,
``engine/collection_filters.py``); this module says how each dialect asks it of the records
table. A statement is built and compiled once per shape (the conditions without their values,
which is what a condition's equality compares) and each request binds only its values
(:class:`Prepared`).
"""

from __future__ import annotations

import dataclasses
import operator
import typing
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Interval,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import (
    Text as SqlText,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.operators import eq

from localtitan.store import conditions as c
from localtitan.store.json_paths import json_field
from localtitan.store.records import format_time
from localtitan.store.tables import records

__all__ = ["Prepared", "Writer", "bound", "clause", "describe", "prepared", "values_of"]

_SQLITE: Dialect = sqlite.dialect()


def bound(dialect: str, value: c.Value) -> Any:
    """A value as its statement binds it."""
    v, kind = value.value, value.kind
    if kind == "json":
        # PostgreSQL's ->> yields text; SQLite's json_extract yields the JSON scalar itself.
        if dialect == "postgresql":
            if isinstance(v, bool):
                return "true" if v else "false"
            return format_time(v) if isinstance(v, datetime) else str(v)
        if isinstance(v, bool):
            return 1 if v else 0
        return format_time(v) if isinstance(v, datetime) else v
    if kind == "number":
        return v if dialect == "postgresql" or not isinstance(v, Decimal) else float(v)
    if kind == "like":
        # What SQLAlchemy's ``autoescape`` does: the text matches literally.
        return str(v).replace("/", "//").replace("%", "/%").replace("_", "/_")
    return v


# ---------------------------------------------------------------- values in tree order

_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk_values(node: Any, out: list[c.Value]) -> None:
    if isinstance(node, c.Value):
        out.append(node)
        return
    if isinstance(node, tuple):
        for item in node:
            _walk_values(item, out)
        return
    names = _FIELDS.get(type(node))
    if names is None:
        if not dataclasses.is_dataclass(node):
            return
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    for name in names:
        _walk_values(getattr(node, name), out)


def values_of(*nodes: Any) -> list[c.Value]:
    """Every :class:`~localtitan.store.conditions.Value` of ``nodes``, in the order
    :class:`Writer` binds them."""
    out: list[c.Value] = []
    for node in nodes:
        _walk_values(node, out)
    return out


# ---------------------------------------------------------------- conditions -> SQLAlchemy

_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Writer:
    """Writes conditions for one dialect; each :class:`Value` becomes the bound parameter
    ``v<n>``, numbered in :func:`values_of`'s order, so a compiled statement binds another
    request's values by those names. ``env`` and ``tenant`` bind a subquery's tenant."""

    def __init__(
        self, dialect: str, *, env: str | None = None, tenant_id: int | None = None
    ) -> None:
        self.dialect = dialect
        # Given the tenant, the parameters are written with their values, each its own
        # (SQLAlchemy names them): the statement is composed further, not compiled here.
        self._unique = env is not None
        self._env, self._tenant = env, tenant_id
        self._names: dict[int, str] = {}
        self._tables: dict[str, Any] = {}
        self._count = 0

    def number(self, *nodes: Any) -> None:
        for value in values_of(*nodes):
            self._names[id(value)] = f"v{self._count}"
            self._count += 1

    def _table(self, name: str | None) -> Any:
        return records if name is None else self._tables[name]

    def value(self, v: c.Value, against: Any = None) -> Any:
        """``v`` as its bound parameter, typed as SQLAlchemy types a value compared with
        ``against`` (a column's type: a time bound to a ``timestamptz``)."""
        value = bound(self.dialect, v)
        type_ = None if against is None else against.type.coerce_compared_value(eq, value)
        if self._unique:
            return bindparam(None, value, type_=type_, unique=True)
        return bindparam(self._names[id(v)], value, type_=type_)

    def _operand(self, e: c.Expr, against: Any) -> Any:
        return self.value(e, against) if isinstance(e, c.Value) else self.expr(e)

    # -- expressions

    def expr(self, e: c.Expr) -> Any:
        d = self.dialect
        if isinstance(e, c.Col):
            return self._table(e.table).c[e.name]
        if isinstance(e, c.Json):
            return json_field(d, e.path, self._table(e.table))
        if isinstance(e, c.Value):
            return self.value(e)
        if isinstance(e, c.Text):
            return func.lower(cast(self.expr(e.of), String))
        if isinstance(e, c.AsText):
            return cast(self.expr(e.of), String)
        if isinstance(e, c.Lower):
            return func.lower(self.expr(e.of))
        if isinstance(e, c.Num):
            return self._numeric(e.path, self._table(e.table))
        if isinstance(e, c.Seconds):
            return self._seconds(e.path)
        if isinstance(e, c.AsId):
            return cast(self.expr(e.of), BigInteger)
        if isinstance(e, c.Digits):
            digits: Any = cast(self.expr(e.of), String)
            for ch in ("-", " ", "(", ")", "+", "."):
                digits = func.replace(digits, ch, "")
            return digits
        if isinstance(e, c.Day):
            return func.substr(self.expr(e.of), 1, 10)
        if isinstance(e, c.Plus):
            return self.expr(e.left) + self.expr(e.right)
        if isinstance(e, c.Coalesce):
            return func.coalesce(self.expr(e.of), e.otherwise)
        if isinstance(e, c.Part):
            return self._part(e.key)
        raise TypeError(f"not an expression: {e!r}")

    def _numeric(self, field: str, table: Any) -> Any:
        if self.dialect == "postgresql":
            text = json_field(self.dialect, field, table)
            return case((text.op("~")(r"^\s*-?[0-9]+(\.[0-9]+)?\s*$"), cast(text, Numeric)))
        return cast(json_field(self.dialect, field, table), Float)

    def _seconds(self, field: str) -> Any:
        """A .NET TimeSpan (``[d.]hh:mm:ss[.fff]``) in seconds."""
        text = cast(json_field(self.dialect, field), String)
        if self.dialect == "postgresql":
            valid = text.op("~")(r"^([0-9]+\.)?[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$")
            days = func.coalesce(func.substring(text, r"^([0-9]+)\."), "0")
            clock = func.regexp_replace(text, r"^[0-9]+\.", "")
            epoch = func.date_part("epoch", cast(clock, Interval))
            return case((valid, cast(days, Numeric) * 86400 + epoch))

        # SQLite: hh:mm:ss (NULL for other text; no call lasts a day).
        def part(start: int) -> Any:
            return cast(func.substr(text, start, 2), Integer)

        seconds = part(1) * 3600 + part(4) * 60 + part(7)
        return case((text.op("GLOB")("[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*"), seconds))

    _element: Any = None

    def _part(self, key: str | None) -> Any:
        each = self._element
        if each is None:
            raise TypeError("Part outside ElementExists")
        if self.dialect == "postgresql":
            if key is None:
                return each.c.value.op("#>>")(literal([], ARRAY(SqlText)))
            return each.c.value.op("->>")(literal(key))
        if key is None:
            return each.c.value
        return func.json_extract(each.c.value, f"$.{key}")

    # -- conditions

    def cond(self, k: c.Cond) -> ColumnElement[bool]:
        if isinstance(k, c.Cmp):
            left = self.expr(k.left)
            right = self._operand(k.right, left)
            return typing.cast("ColumnElement[bool]", _COMPARISONS[k.op](left, right))
        if isinstance(k, c.In):
            if not k.values:
                return false()  # an empty list names no record (and needs no expanding IN)
            left = self.expr(k.left)
            return typing.cast(
                "ColumnElement[bool]", left.in_([self.value(v, left) for v in k.values])
            )
        if isinstance(k, c.Contains):
            left = self.expr(k.left)
            if k.needle.kind == "like":
                return typing.cast(
                    "ColumnElement[bool]", left.contains(self.value(k.needle, left), escape="/")
                )
            return typing.cast("ColumnElement[bool]", left.contains(self.value(k.needle, left)))
        if isinstance(k, c.IsNull):
            e = self.expr(k.of)
            return typing.cast("ColumnElement[bool]", e.is_not(None) if k.negated else e.is_(None))
        if isinstance(k, c.IsTrue):
            col = self.expr(k.of)
            return typing.cast("ColumnElement[bool]", col.is_(not k.negated))
        if isinstance(k, c.All):
            return and_(*(self.cond(x) for x in k.conds)) if k.conds else true()
        if isinstance(k, c.AnyOf):
            return or_(*(self.cond(x) for x in k.conds)) if k.conds else false()
        if isinstance(k, c.Not):
            return not_(self.cond(k.of))
        if isinstance(k, c.InRelated):
            left = self.expr(k.left)
            return typing.cast("ColumnElement[bool]", left.in_(self.related(k.related)))
        if isinstance(k, c.ElementExists):
            return self._element_exists(k)
        raise TypeError(f"not a condition: {k!r}")

    def _related_where(self, r: c.Related) -> tuple[Any, list[Any]]:
        other = records.alias(r.alias)
        self._tables[r.alias] = other
        base = [
            other.c.environment == self._tenant_bind("env", self._env or "", String),
            other.c.tenant_id == self._tenant_bind("tenant", self._tenant or 0, BigInteger),
            other.c.kind == r.kind,
            other.c.deleted.is_(False),
        ]
        return other, base

    def _tenant_bind(self, name: str, value: Any, type_: Any) -> Any:
        if self._unique:
            return bindparam(None, value, type_=type_, unique=True)
        return bindparam(name, value, type_=type_)

    def related(self, r: c.Related) -> Any:
        # The alias's name may be used again further out: this subquery's is its own.
        saved = dict(self._tables)
        other, base = self._related_where(r)
        try:
            picked = self.expr(r.picked)
            where = [self.cond(x) for x in r.where]
        finally:
            self._tables = saved
        return select(picked).select_from(other).where(*base, *where)

    def _element_exists(self, k: c.ElementExists) -> ColumnElement[bool]:
        saved_tables, saved_element = dict(self._tables), self._element
        try:
            if k.within is not None:
                table, base = self._related_where(k.within)
                where = [*base, *(self.cond(x) for x in k.within.where)]
            else:
                table, where = records, []
            if self.dialect == "postgresql":
                raw = cast(table.c.data, JSONB).op("->")(literal(k.path))
                safe = case(
                    (func.jsonb_typeof(raw) == "array", raw), else_=cast(literal("[]"), JSONB)
                )
                each = func.jsonb_array_elements(safe).table_valued("value").alias("element")
                self._element = each
                source = each if table is records else table.join(each, true())
                return exists(
                    select(literal(1)).select_from(source).where(*where, self.cond(k.match))
                )
            each = func.json_each(table.c.data, f"$.{k.path}").table_valued("value")
            each = each.alias("element")
            self._element = each
            # Another table's list: that table first, as SQLite's json_each reads only
            # tables to its left.
            source = each if table is records else table.join(each, true())
            return exists(
                select(literal(1))
                .select_from(source)
                .where(
                    *where,
                    func.json_type(table.c.data, f"$.{k.path}") == "array",
                    self.cond(k.match),
                )
            )
        finally:
            self._tables, self._element = saved_tables, saved_element

    def order(self, o: c.Order) -> Any:
        e = self.expr(o.of)
        return e.desc() if o.descending else e.asc()


# ---------------------------------------------------------------- compiled once per shape


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A statement compiled for one dialect: its text and how to bind a request's values."""

    text: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    def args(self, values: Sequence[c.Value], dialect: str, **named: Any) -> list[Any]:
        given = dict(self.defaults)
        given.update(named)
        for i, v in enumerate(values):
            given[f"v{i}"] = bound(dialect, v)
        out = []
        for name in self.names:
            value = given[name]
            processor = self.processors.get(name)
            out.append(processor(value) if processor is not None and value is not None else value)
        return out


_PREPARED_MAX = 1024
_prepared: OrderedDict[Hashable, Prepared] = OrderedDict()


def prepared(key: Hashable, dialect: Dialect, build: Callable[[Writer], ClauseElement]) -> Prepared:
    """The statement ``build`` writes, compiled once per ``key`` and dialect. ``key`` must say
    everything that shapes the statement (the conditions do: their values are left out)."""
    cache_key = (dialect.name, dialect.driver, key)
    found = _prepared.get(cache_key)
    if found is not None:
        _prepared.move_to_end(cache_key)
        return found
    stmt = build(Writer(dialect.name))
    done: Any = stmt.compile(dialect=dialect)
    if done._post_compile_expanded_state is not None or done.post_compile_params:
        raise TypeError("a filter statement must not need post-compile parameters")
    params = done.construct_params(escape_names=False)
    names = tuple(done.positiontup or ())
    found = Prepared(
        text=done.string,
        names=names,
        defaults={n: params[n] for n in names},
        processors={n: p for n, p in done._bind_processors.items() if n in names},
    )
    _prepared[cache_key] = found
    if len(_prepared) > _PREPARED_MAX:
        _prepared.popitem(last=False)
    return found


# ---------------------------------------------------------------- for people


def clause(cond: c.Cond | c.Order, dialect: str, *, env: str = "", tenant_id: int = 0) -> Any:
    """A condition (or order) as a SQLAlchemy element of ``dialect`` with its values bound,
    for statements composed with SQLAlchemy; ``env`` and ``tenant_id`` are the listed
    records', which a subquery keeps to."""
    w = Writer(dialect, env=env, tenant_id=tenant_id)
    return w.order(cond) if isinstance(cond, c.Order) else w.cond(cond)


def describe(cond: c.Cond | c.Order, *, env: str = "ENV", tenant_id: int = 0) -> str:
    """A condition (or order) as SQLite SQL with its values written in, for
    ``localtitan coverage``."""
    expr = clause(cond, "sqlite", env=env, tenant_id=tenant_id)
    dialect = _SQLITE
    try:
        text = str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # a type with no literal form: show the bound parameter instead
        text = str(expr.compile(dialect=dialect))
    return " ".join(text.split())
