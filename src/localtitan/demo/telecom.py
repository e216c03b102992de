"""Phone calls: the call that booked a job, and the calls that booked nothing (questions,
reschedules, abandoned calls, solicitors)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo.context import Ids, Out, pick, stamp
from localtitan.demo.model import BusinessUnit, Campaign, Client, Company, Named, Place, Staff, Work

__all__ = ["call_for_job", "other_calls"]


def _duration(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _write_call(
    company: Company,
    ids: Ids,
    out: Out,
    rng: random.Random,
    *,
    when: datetime,
    client: Client | None,
    place: Place | None,
    campaign: Campaign | None,
    reason: Named | None,
    reason_is_lead: bool,
    call_type: str,
    agent: Staff | None,
    work: Work | None,
    bu: BusinessUnit | None,
    direction: str = "Inbound",
) -> int:
    cid = ids.take()
    # Not drawn from ``rng``: the rest of the seeded company stays as it was.
    topic = work.job_type if work else company.job_types[cid % len(company.job_types)]
    seconds = rng.randint(8, 40) if call_type == "Abandoned" else rng.randint(60, 620)
    caller = client.phone if client else company.phone(rng)
    line = company.phone(rng)
    duration = _duration(seconds)
    customer = {"id": client.id, "name": client.name} if client else None
    campaign_ref = {"id": campaign.id, "name": campaign.name} if campaign else None
    reason_ref = {"id": reason.id, "name": reason.name} if reason else None
    agent_ref = {"id": agent.id, "name": agent.name} if agent else None
    recording = f"https://recordings.localtitan.dev/calls/{cid}.mp3" if agent else None
    lead_call: dict[str, Any] = {
        "id": cid,
        "receivedOn": stamp(when),
        "duration": duration,
        "from": caller,
        "to": line,
        "direction": direction,
        "callType": call_type,
        "reason": {**reason_ref, "lead": reason_is_lead, "active": True} if reason_ref else None,
        "recordingUrl": recording,
        "voiceMailUrl": None,
        "createdBy": agent_ref and {"id": agent_ref["id"], "name": agent_ref["name"]},
        "customer": {
            "id": client.id,
            "name": client.name,
            "type": client.type,
            "active": True,
            "email": client.email or "",
            "balance": None,
            "doNotMail": False,
            "doNotService": False,
            "createdOn": stamp(client.created),
            "modifiedOn": stamp(client.created),
        }
        if client
        else None,
        "campaign": {**campaign_ref, "active": True} if campaign_ref else None,
        "agent": {**agent_ref, "externalId": None} if agent_ref else None,
        "createdOn": stamp(when),
        "modifiedOn": stamp(when),
        "active": True,
        "sid": f"CA{cid:032x}"[:34],
        "tags": [],
    }
    out.add(
        "telecom:calls",
        {
            "id": cid,
            "direction": direction,
            "status": "Completed" if call_type != "Abandoned" else "Answered",
            "callType": call_type,
            "duration": duration,
            "from": caller,
            "to": line,
            "customer": customer,
            "location": {"id": place.id, "name": place.name} if place else None,
            "campaign": campaign_ref,
            "reason": reason_ref,
            "agent": agent_ref,
            "createdBy": agent_ref,
            "job": {"id": work.id, "number": work.number} if work else None,
            "lead": None,
            "recordingUrl": recording,
            "voiceMailPath": None,
            "excuseMemo": "Existing appointment" if call_type == "Excused" else "",
            "tag": "",
            "leadCall": lead_call,
            "jobNumber": work.number if work else "",
            "projectId": 0,
            "businessUnit": {"id": bu.id, "name": bu.name, "active": True} if bu else None,
            # ServiceTitan's v2 bundle call requires a job type on every call: the booked job's,
            # or for a call that booked nothing the kind of work it was about.
            "type": {"id": topic.id, "name": topic.name, "modifiedOn": stamp(when)},
        },
        created=when,
    )
    return cid


def call_for_job(company: Company, ids: Ids, out: Out, rng: random.Random, work: Work) -> int:
    """The inbound call that booked ``work``; returns the call id."""
    when = work.created - timedelta(minutes=rng.randint(1, 8))
    when = max(when, work.client.created)
    reasons = [(r, lead) for r, lead in company.call_reasons if lead]
    reason, lead = reasons[0] if work.job_type.cls != "Sales" else reasons[1]
    return _write_call(
        company,
        ids,
        out,
        rng,
        when=when,
        client=work.client,
        place=work.place,
        campaign=work.campaign,
        reason=reason,
        reason_is_lead=lead,
        call_type="Booked",
        agent=work.booked_by,
        work=work,
        bu=work.business_unit,
    )


def other_calls(
    company: Company, ids: Ids, out: Out, rng: random.Random, clients: list[Client], count: int
) -> None:
    """Calls that booked nothing, spread over the past year."""
    for _ in range(count):
        when = company.window_start + timedelta(days=rng.uniform(0, 364.5))
        when = when.replace(hour=rng.randint(13, 23), minute=rng.randint(0, 59))
        if when > company.anchor:
            when = company.anchor - timedelta(minutes=rng.randint(5, 600))
        kind = pick(
            rng, ("question", "question", "reschedule", "abandoned", "solicitor", "unbooked")
        )
        client = (
            pick(rng, clients)
            if clients and kind in ("question", "reschedule", "unbooked")
            else None
        )
        if client is not None and client.created > when:
            when = min(company.anchor - timedelta(minutes=1), client.created + timedelta(days=2))
        agent = (
            None
            if kind == "abandoned"
            else company.office_user(rng, "Customer Service Representative")
        )
        reason_name = {
            "question": "Billing Question",
            "reschedule": "Reschedule Appointment",
            "solicitor": "Solicitor",
            "unbooked": "Service Request",
        }.get(kind)
        reason = next(
            ((r, lead) for r, lead in company.call_reasons if r.name == reason_name), None
        )
        call_type = {
            "question": "NotLead",
            "reschedule": "Excused",
            "abandoned": "Abandoned",
            "solicitor": "NotLead",
            "unbooked": "Unbooked",
        }[kind]
        _write_call(
            company,
            ids,
            out,
            rng,
            when=when,
            client=client,
            place=client.places[0] if client else None,
            campaign=company.campaign(rng, returning=client is not None),
            reason=reason[0] if reason else None,
            reason_is_lead=bool(reason and reason[1]),
            call_type=call_type,
            agent=agent,
            work=None,
            bu=None,
        )
