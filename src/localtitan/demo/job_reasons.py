"""Why a job was canceled or put on hold, as ``jobs/cancel-reasons`` and ``jobs/hold-reasons``
list it: one row per job (keyed by the job's id), from the job's canceled log and the
technician's hold note."""

from __future__ import annotations

import random

from localtitan.demo.context import Ids, Out
from localtitan.demo.model import Company
from localtitan.store.records import Stored

__all__ = ["reasons_for_chunk"]


def reasons_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    cancel_names = {r.id: r.name for r in company.cancel_reasons}
    for log in kinds.get("jpm:jobs/{}/canceled-logs", []):
        job_id = int(log.data["jobId"])
        out.add(
            "jpm:jobs/cancel-reasons",
            {
                "jobId": job_id,
                "reasonId": log.data["reasonId"],
                "name": cancel_names.get(log.data["reasonId"], ""),
                "text": log.data.get("memo") or "",
            },
            created=log.created_on or company.anchor,
            row_id=job_id,
        )
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
        out.add(
            "jpm:jobs/hold-reasons",
            {
                "jobId": job.id,
                "reasonId": reason.id,
                "name": reason.name,
                "text": text,
                "appointmentHoldReasons": [
                    {
                        "appointmentId": job.data["lastAppointmentId"],
                        "reasonId": reason.id,
                        "name": reason.name,
                        "text": text,
                    }
                ],
            },
            created=note.created_on or company.anchor,
            row_id=job.id,
        )
