"""The company itself: settings, staff, catalogue and plans, made once per seed before any
customer. Each area draws from its own random stream, so adding a record to one area does not
reshuffle the others."""

from __future__ import annotations

from datetime import datetime, timedelta

from localtitan.demo import (
    ads,
    basics,
    inventory,
    invoice_templates,
    marketing,
    memberships,
    office,
    payables,
    payroll,
    people,
    pricebook,
    projects,
    rate_sheets,
    settings_data,
    task_setup,
    timekeeping,
)
from localtitan.demo.content import METROS
from localtitan.demo.context import Ids, Out, Vocab, pick, rng_for
from localtitan.demo.model import Company
from localtitan.demo.sizes import Plan

__all__ = ["build_company"]

_NAME_ENDINGS = (
    "Heating & Air",
    "Home Services",
    "Plumbing, Heating & Air",
    "Comfort Pros",
    "Mechanical",
    "Air & Plumbing",
)


def build_company(seed: int, anchor: datetime, plan: Plan, ids: Ids, out: Out) -> Company:
    """Make the company-level records into ``out`` and return what customers refer to."""
    rng = rng_for(seed, "company")
    state, _lat, _lng = pick(rng, METROS)
    vocab = Vocab.build(seed, state, plan.cities)
    area_codes = tuple(
        f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}" for _ in range(3)
    )
    company = Company(
        seed=seed,
        anchor=anchor,
        plan=plan,
        vocab=vocab,
        name=f"{pick(rng, vocab.last_names)} {pick(rng, _NAME_ENDINGS)}",
        state=state,
        area_codes=area_codes,
        founded=anchor - timedelta(days=6 * 365),
    )
    steps = (
        ("settings", basics.build_settings),
        ("geography", basics.build_geography),
        ("business-units", people.build_business_units),
        ("staff", people.build_staff),
        ("job-types", basics.build_job_types),
        ("technicians", people.build_technicians),
        ("payroll", payroll.build_payroll),
        ("skills", people.build_skills),
        ("shifts", people.build_shifts),
        ("marketing", marketing.build_marketing),
        ("inventory", inventory.build_inventory),
        ("pricebook", pricebook.build_pricebook),
        ("memberships", memberships.build_membership_plans),
        ("invoice-templates", invoice_templates.build_invoice_templates),
        ("office", office.build_office),
        ("settings-data", settings_data.build_settings_data),
        ("projects", projects.build_project_setup),
        ("payables", payables.build_payables_setup),
        ("time-away", timekeeping.build_time_away),
        ("ad-performance", ads.build_ad_performance),
        ("rate-sheets", rate_sheets.build_rate_sheets),
        ("task-setup", task_setup.build_task_setup),
    )
    for name, step in steps:
        step(company, ids, out, rng_for(seed, name))
    return company
