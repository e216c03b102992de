"""One chunk of customers and everything they own: locations, contacts, equipment,
memberships, a year of jobs and their paperwork, plus the chunk's share of prospects,
unbooked calls and truck restocking.

A chunk depends only on the company and its own index (its random stream is seeded from
both), which is what lets an interrupted seed resume at any chunk.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from localtitan.demo import (
    ads,
    contacts,
    crm,
    equipment,
    findings,
    inventory,
    invoice_templates,
    job_reasons,
    jobs,
    memberships,
    payables,
    projects,
    rate_sheets,
    receivables,
    reviews,
    telecom,
    timekeeping,
)
from localtitan.demo.context import Ids, Out, chance, pick, rng_for, weighted
from localtitan.demo.model import Client, Company, JobType, Work
from localtitan.store.records import Stored

__all__ = ["build_chunk"]

_TRADES = (("HVAC", 65.0), ("Plumbing", 25.0), ("Electrical", 10.0))
# Maintenance comes mostly from memberships and installs mostly from sold estimates, so
# customers book them directly less often than their raw share.
_CLASS_FACTOR = {"Maintenance": 0.5, "Install": 0.25}


def _job_type(company: Company, rng: random.Random, client: Client) -> JobType:
    trade = weighted(rng, _TRADES)
    options = company.job_types_for(trade)
    choices = []
    for jt in options:
        weight = jt.weight * _CLASS_FACTOR.get(jt.cls, 1.0)
        if "Commercial" in jt.name and client.type != "Commercial":
            weight = 0
        choices.append((jt, weight))
    return weighted(rng, choices)


def _created(company: Company, rng: random.Random) -> tuple[datetime, bool]:
    """When a customer was created, and whether that was within the seeded year."""
    span_old = (company.window_start - company.founded).days - 30
    if chance(rng, 0.7) and span_old > 0:
        day = company.founded + timedelta(days=30 + rng.uniform(0, span_old))
        new = False
    else:
        day = company.window_start + timedelta(days=rng.uniform(0, 363))
        new = True
    day = day.replace(
        hour=rng.randint(13, 23),
        minute=rng.randint(0, 59),
        second=rng.randint(0, 59),
        microsecond=0,
    )
    return min(day, company.anchor - timedelta(hours=2)), new


def _job_days(company: Company, rng: random.Random, client: Client, new: bool) -> list[datetime]:
    if client.type == "Commercial":
        count = rng.randint(1, 8)
    else:
        count = weighted(rng, [(0, 28), (1, 42), (2, 18), (3, 8), (4, 4)])
    if new:
        count = max(1, count)
    start = max(company.window_start, client.created)
    span = (company.window_end - start).total_seconds() / 86400
    days: list[datetime] = []
    if new:
        # A new customer's first job is what made them a customer.
        days.append(client.created + timedelta(days=rng.uniform(0, 2)))
        count -= 1
    days.extend(start + timedelta(days=rng.uniform(0, span)) for _ in range(count))
    if chance(rng, 0.04):
        days.append(company.anchor + timedelta(days=rng.uniform(0, 13.9)))
    return sorted(days)


def _complete_all(
    company: Company, ids: Ids, out: Out, rng: random.Random, first: Work
) -> datetime:
    """Complete a job and the follow-ups it causes; returns the last activity time."""
    queue = [first]
    latest = first.created
    while queue:
        work = queue.pop(0)
        queue.extend(jobs.complete_job(company, ids, out, rng, work))
        latest = max(latest, work.completed or work.created)
    return latest


def _customer(
    company: Company, ids: Ids, out: Out, rng: random.Random, clients: list[Client]
) -> None:
    created, new = _created(company, rng)
    client, customer, locations = crm.make_client(company, ids, out, rng, created)
    equipment.existing_equipment(company, ids, out, rng, client)
    membership = None
    if chance(rng, 0.25 if client.type == "Commercial" else 0.18):
        membership = memberships.sell_membership(company, ids, out, rng, client)
    if client.type == "Commercial" and chance(rng, 0.3):
        memberships.service_agreement(company, ids, out, rng, client)
    latest = created
    for n, day in enumerate(_job_days(company, rng, client, new)):
        work = jobs.book_job(
            company,
            ids,
            rng,
            client,
            pick(rng, client.places),
            _job_type(company, rng, client),
            day,
            returning=not (new and n == 0),
        )
        latest = max(latest, _complete_all(company, ids, out, rng, work))
    if membership is not None:
        for visit in membership.visits:
            if not (company.window_start <= visit.date < company.window_end):
                continue
            if visit.date <= client.created:
                continue
            work = jobs.book_job(
                company,
                ids,
                rng,
                client,
                client.places[0],
                company.job_type(visit.service.job_type),
                visit.date,
                returning=True,
                membership_id=membership.id,
            )
            visit.job = work
            latest = max(latest, _complete_all(company, ids, out, rng, work))
        memberships.record_events(company, ids, out, membership)
    if chance(rng, 0.03):
        crm.leads_for_client(company, ids, out, rng, client, None)
    crm.write_client(company, out, client, customer, locations, min(latest, company.anchor))
    clients.append(client)


def build_chunk(company: Company, index: int, ids: Ids, out: Out) -> int:
    """Generate chunk ``index`` into ``out``; returns how many customers it made."""
    rng = rng_for(company.seed, f"chunk:{index}")
    _first, count = company.plan.chunk_range(index)
    clients: list[Client] = []
    for _ in range(count):
        _customer(company, ids, out, rng, clients)
    crm.prospects(company, ids, out, rng, max(1, count // 25))
    telecom.other_calls(company, ids, out, rng, clients, max(1, count // 4))
    inventory.transfers(company, ids, out, rng, max(1, count // 40))
    # The back office's view of the chunk's work, derived from the records just made.
    kinds: dict[str, list[Stored]] = {}
    for rec in out.items:
        kinds.setdefault(rec.kind, []).append(rec)
    for name, step in _FROM_RECORDS:
        step(company, ids, out, rng_for(company.seed, f"chunk:{index}:{name}"), kinds)
    return count


_FROM_RECORDS = (
    ("projects", projects.projects_for_chunk),
    ("job-reasons", job_reasons.reasons_for_chunk),
    ("payables", payables.payables_for_chunk),
    ("receivables", receivables.receivables_for_chunk),
    ("contacts", contacts.contacts_for_chunk),
    ("time", timekeeping.time_for_chunk),
    ("ads", ads.leads_for_chunk),
    ("reviews", reviews.reviews_for_chunk),
    ("findings", findings.findings_for_chunk),
    ("invoice-templates", invoice_templates.templates_for_chunk),
    ("rate-sheets", rate_sheets.rate_sheets_for_chunk),
)
