"""Location findings: what technicians noticed at a location that needs work later (a rusted
drain pan, an aging water heater), recorded on some completed service jobs, many naming the
equipment they concern and the estimate or job that followed."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo.context import Ids, Out, chance, pick
from localtitan.demo.model import Company
from localtitan.store.records import Stored, parse_time

__all__ = ["findings_for_chunk"]

# (name, what was seen, what to do, urgency)
_FINDINGS = [
    (
        "Rusted drain pan",
        "Standing water and rust in the secondary pan.",
        "Replace drain pan.",
        "Medium",
    ),
    ("Cracked heat exchanger", "Hairline crack near the burner.", "Replace furnace.", "Critical"),
    ("Aging water heater", "Tank over 12 years old, sediment noise.", "Plan replacement.", "Low"),
    ("Undersized return", "High static pressure at the return.", "Add a return drop.", "Medium"),
    ("Double-tapped breaker", "Two conductors on one breaker.", "Add a circuit.", "High"),
    ("Corroded shutoff valve", "Main shutoff seized and corroded.", "Replace valve.", "Medium"),
]


def findings_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    equipment: dict[int, list[int]] = {}
    for item in kinds.get("equipmentsystems:installed-equipment", []):
        equipment.setdefault(int(item.data["locationId"]), []).append(item.id)
    for job in kinds.get("jpm:jobs", []):
        data = job.data
        if data["jobStatus"] != "Completed" or not chance(rng, 0.06):
            continue
        name, description, solution, urgency = pick(rng, _FINDINGS)
        found = parse_time(data["completedOn"]) - timedelta(minutes=20)
        estimates = list(data.get("estimateIds") or [])
        status = "EstimateCreated" if estimates else pick(rng, ("New", "New", "Archived"))
        tech = company.techs_for(data["businessUnitId"])[0]
        at_location = equipment.get(data["locationId"], [])
        out.add(
            "findings:location-findings",
            {
                "id": ids.take(),
                "name": name,
                "description": description,
                "recommendedSolution": solution,
                "internalNotes": None,
                "urgencyLevel": urgency,
                "status": status,
                "archived": status == "Archived",
                "locationId": data["locationId"],
                "sourceJobId": job.id,
                "installedEquipmentId": at_location[0] if at_location else None,
                "linkedEstimateIds": estimates,
                "linkedJobIds": [job.id],
                "attachments": [],
                "createdBy": tech.id,
                "modifiedBy": tech.id,
            },
            created=found,
        )
