"""A field of a record's stored JSON as a SQL expression, on either backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, func, literal
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement

from localtitan.store.tables import records

__all__ = ["json_field"]


def json_field(dialect: str, field: str, table: Any = records) -> ColumnElement[Any]:
    """A field of the stored JSON; ``address.city`` reaches into a nested object."""
    if dialect == "postgresql":
        if "." in field:
            path = literal(field.split("."), type_=ARRAY(Text))
            return cast(table.c.data, JSONB).op("#>>")(path)
        return cast(table.c.data, JSONB).op("->>")(literal(field))
    return func.json_extract(table.c.data, f"$.{field}")
