"""Why a held job is on hold, as the hold action records it: the reason under the job's held
appointment, from the technician's hold note. (``jobs/cancel-reasons`` needs nothing here: it
reports the reason in each canceled job's canceled log.)"""

from __future__ import annotations

import random

from localtitan.demo.context import Ids, Out
from localtitan.demo.model import Company
from localtitan.store.records import Stored

__all__ = ["reasons_for_chunk"]


def reasons_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    holds = {r.name.lower(): r for r in company.hold_reasons}
    held = {rec.id: rec for rec in kinds.get("jpm:jobs", []) if rec.data["jobStatus"] == "Hold"}
    for note in kinds.get("jpm:jobs/{}/notes", []):
        job = held.get(int(note.data["jobId"]))
        text = str(note.data.get("text") or "")
        if job is None or not text.startswith("On hold: "):
            continue
        reason = holds.get(text[len("On hold: ") :].rstrip("."))
        if reason is None:
            continue
        # What the hold action records (``domain.job_reasons``): the reason under the held
        # appointment, which ``jobs/hold-reasons`` reports per job.
        out.add_unlisted(
            "jpm:appointments/{}/hold-reason",
            ids.take(),
            {
                "appointmentId": job.data["lastAppointmentId"],
                "jobId": job.id,
                "reasonId": reason.id,
                "name": reason.name,
                "text": text,
            },
            created=note.created_on or company.anchor,
            parent_id=job.data["lastAppointmentId"],
        )
