"""Filters answered by another collection (the jobs a technician is assigned to, the jobs whose
appointments have a status, a project's jobs, a lead's customer) or by one collection's own
record shape (a call's lead call, a bill's purchase order)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func, select

from localtitan.engine.collection_filters import KIND_RULES, Ctx, answers
from localtitan.engine.query import json_field, json_value
from localtitan.errors import ApiError
from localtitan.store.tables import records

__all__ = ["answers", "related_filters"]

ASSIGNMENTS = "dispatch:appointment-assignments"

# (kind listed, parameter) -> (kind holding the answer, its field to match, its field naming
# the listed record). A field name with a column of its own is matched on that column.
_RELATED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("jpm:jobs", "technicianid"): (ASSIGNMENTS, "technicianId", "job_id"),
    ("jpm:appointments", "technicianid"): (ASSIGNMENTS, "technicianId", "appointmentId"),
    ("jpm:jobs", "appointmentstatus"): ("jpm:appointments", "status", "job_id"),
}


def related_filters(
    dialect: str, env: str, tenant_id: int, kind: str, query: Mapping[str, Any]
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    own = KIND_RULES.get(kind, {})
    ctx = Ctx(dialect, env, tenant_id, query)
    for name, value in query.items():
        if name.lower() in own and value is not None and value != "" and value != []:
            try:
                cond = own[name.lower()](ctx, value)
            except (ValueError, TypeError):
                raise ApiError(
                    400,
                    "One or more validation errors occurred.",
                    errors={name: [f"The value '{value}' is not valid for {name}."]},
                ) from None
            if cond is not None:
                conds.append(cond)
            continue
        rule = _RELATED.get((kind, name.lower()))
        if rule is None or value is None or value == "":
            continue
        other_kind, match_field, link = rule
        other = records.alias("related")
        target = (
            other.c[link] if link in other.c else cast(json_field(dialect, link, other), BigInteger)
        )
        if match_field in other.c:
            matched: ColumnElement[bool] = func.lower(other.c[match_field]) == str(value).lower()
        else:
            matched = json_field(dialect, match_field, other) == json_value(dialect, value)
        sub = select(target).where(
            other.c.environment == env,
            other.c.tenant_id == tenant_id,
            other.c.kind == other_kind,
            other.c.deleted.is_(False),
            other.c.active.is_(True),
            matched,
        )
        conds.append(records.c.id.in_(sub))
    return conds
