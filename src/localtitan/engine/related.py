"""Filters answered by another collection (the jobs a technician is assigned to, the jobs whose
appointments have a status, a project's jobs, a lead's customer) or by one collection's own
record shape (a call's lead call, a bill's purchase order)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localtitan.engine.collection_filters import KIND_RULES, Ctx, answers
from localtitan.errors import ApiError
from localtitan.store import conditions as c
from localtitan.store.list_filters import clause

__all__ = ["answers", "related_conditions", "related_filters"]

ASSIGNMENTS = "dispatch:appointment-assignments"

# (kind listed, parameter) -> (kind holding the answer, its field to match, its field naming
# the listed record). A field name with a column of its own is matched on that column.
_RELATED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("jpm:jobs", "technicianid"): (ASSIGNMENTS, "technicianId", "job_id"),
    ("jpm:appointments", "technicianid"): (ASSIGNMENTS, "technicianId", "appointmentId"),
    ("jpm:jobs", "appointmentstatus"): ("jpm:appointments", "status", "job_id"),
}
# The records table's own columns (store/tables.py): a rule's field named so is matched there.
_COLUMNS = {
    "id",
    "parent_id",
    "guid",
    "active",
    "created_on",
    "modified_on",
    "customer_id",
    "location_id",
    "job_id",
    "number",
    "name",
    "status",
}


def related_filters(
    dialect: str, env: str, tenant_id: int, kind: str, query: Mapping[str, Any]
) -> list[Any]:
    """:func:`related_conditions` as SQLAlchemy conditions of ``dialect`` over the records of
    ``tenant_id`` in ``env``, for statements composed with SQLAlchemy."""
    return [
        clause(cond, dialect, env=env, tenant_id=tenant_id)
        for cond in related_conditions(kind, query)
    ]


def related_conditions(kind: str, query: Mapping[str, Any]) -> list[c.Cond]:
    """The conditions of the parameters only ``kind``'s own rules answer; every subquery
    keeps to the listed records' tenant and environment."""
    conds: list[c.Cond] = []
    own = KIND_RULES.get(kind, {})
    ctx = Ctx(query)
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
        target: c.Expr = (
            c.Col(link, "related") if link in _COLUMNS else c.AsId(c.Json(link, "related"))
        )
        matched: c.Cond
        if match_field in _COLUMNS:
            matched = c.Cmp(
                c.Lower(c.Col(match_field, "related")), "=", c.Value(str(value).lower())
            )
        else:
            matched = c.Cmp(c.Json(match_field, "related"), "=", c.Value(value, "json"))
        active = c.IsTrue(c.Col("active", "related"))
        sub = c.Related(other_kind, "related", target, (active, matched))
        conds.append(c.InRelated(c.Col("id"), sub))
    return conds
