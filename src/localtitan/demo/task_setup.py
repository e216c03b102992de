"""Task Management's setup: the task types, sources and resolutions a tenant's task form offers
(``taskmanagement.ClientSideData_Get``). No operation creates them, so they come with the
company, stored as that handler reads them."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo import content
from localtitan.demo.context import Ids, Out
from localtitan.demo.model import Company

__all__ = ["build_task_setup"]

_SOURCES = ("Phone call", "Email", "Technician", "Customer portal", "Review site")
# (name, type): "Refund" resolutions pay money back; every other kind is "Custom".
_RESOLUTIONS = (
    ("Refund issued", "Refund"),
    ("Resolved by phone", "Custom"),
    ("Return visit scheduled", "Custom"),
    ("No action needed", "Custom"),
)


def build_task_setup(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=rng.randint(20, 90))
    resolutions: dict[str, int] = {}
    for name, kind in _RESOLUTIONS:
        rid = ids.take()
        resolutions[name] = rid
        out.add_unlisted(
            "taskmanagement:task-resolutions",
            rid,
            {"name": name, "type": kind, "excludedTaskTypeIds": []},
            created=when,
        )
    for name, _priority in content.TASK_KINDS:
        # Only a refund request can end in a refund.
        excluded = [] if "refund" in name.lower() else [resolutions["Refund issued"]]
        out.add_unlisted(
            "taskmanagement:task-types",
            ids.take(),
            {"name": name, "excludedTaskResolutionIds": excluded},
            created=when,
        )
    for name in _SOURCES:
        out.add_unlisted("taskmanagement:task-sources", ids.take(), {"name": name}, created=when)
