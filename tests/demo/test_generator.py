"""The generator on its own (no database): coherence, determinism, shapes, plausibility."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from demo_kit import ANCHOR, CATALOG, MANIFEST, check_references, references

from localtitan.demo import generate
from localtitan.demo.sizes import SIZES, customers_for, plan_for
from localtitan.handling.shaping import fill_record
from localtitan.snapshots.files import UNLISTED_KINDS
from localtitan.store.records import FIRST_ID, Stored, parse_time

SHAPELESS = {"jpm:work-breakdown-structure/segments", "sales:proposal-types"}


@pytest.fixture(scope="module")
def small() -> list[Stored]:
    return generate(MANIFEST, customers=SIZES["small"], anchor=ANCHOR)


def test_every_id_resolves_to_a_record_of_the_right_kind(small: list[Stored]) -> None:
    assert check_references(small) == []


def test_the_reference_walker_notices_a_dangling_id(small: list[Stored]) -> None:
    job = next(r for r in small if r.kind == "jpm:jobs")
    broken = Stored(job.kind, job.id, {**job.data, "locationId": 1})
    others = [r for r in small if not (r.kind == job.kind and r.id == job.id)]
    problems = check_references([*others, broken])
    assert any("locationId=1 names no" in p for p in problems)
    assert list(references("x", {"someNewId": 5})) == [("someNewId", 5, None)]


def test_ids_are_unique_and_start_at_the_counter(small: list[Stored]) -> None:
    keys = [(r.kind, r.id) for r in small]
    assert len(keys) == len(set(keys))
    assert min(r.id for r in small) == FIRST_ID


def test_records_have_their_stored_shape(small: list[Stored]) -> None:
    """The compiled filler gives exactly what fill_record gives (two records of every kind,
    and every job, invoice and call, the richest shapes). Kinds that no list or get
    operation declares a shape for (budget-code segments, proposal types) are read by their
    handlers and stored as the seed makes them."""
    seen: Counter[str] = Counter()
    rich = {"jpm:jobs", "accounting:invoices", "telecom:calls"}
    for rec in small:
        seen[rec.kind] += 1
        if seen[rec.kind] > 2 and rec.kind not in rich:
            continue
        coll = CATALOG.collections.get(rec.kind)
        if coll is None:
            # Kept as the behaviour that writes or reads it does (the reason under a held
            # appointment, Task Management's setup).
            assert rec.kind in UNLISTED_KINDS, rec.kind
            continue
        if not coll.properties:
            assert rec.kind in SHAPELESS, rec.kind
            continue
        assert fill_record(MANIFEST, coll, rec.data) == rec.data, rec.kind
        assert list(rec.data) == list(coll.properties), rec.kind


def test_the_same_seed_and_anchor_give_the_same_company() -> None:
    a = generate(MANIFEST, customers=20, anchor=ANCHOR, seed=3)
    b = generate(MANIFEST, customers=20, anchor=ANCHOR, seed=3)
    assert [(r.kind, r.id, r.data, r.created_on, r.modified_on) for r in a] == [
        (r.kind, r.id, r.data, r.created_on, r.modified_on) for r in b
    ]
    c = generate(MANIFEST, customers=20, anchor=ANCHOR, seed=4)
    assert [r.data for r in a if r.kind == "crm:customers"] != [
        r.data for r in c if r.kind == "crm:customers"
    ]


def test_jobs_span_a_year_back_and_two_weeks_ahead(small: list[Stored]) -> None:
    anchor = datetime.fromisoformat(ANCHOR).replace(tzinfo=UTC)
    appts = {r.id: r.data for r in small if r.kind == "jpm:appointments"}
    customers = {r.id: r.data for r in small if r.kind == "crm:customers"}
    past: Counter[str] = Counter()
    future: Counter[str] = Counter()
    for job in (r.data for r in small if r.kind == "jpm:jobs"):
        start = parse_time(appts[job["firstAppointmentId"]]["start"])
        assert (anchor - start).days <= 366 and (start - anchor).days <= 14
        # A timeline that holds: customer, then booking, then visit, then completion.
        booked = parse_time(job["createdOn"])
        assert parse_time(customers[job["customerId"]]["createdOn"]) <= booked < start
        if job["completedOn"]:
            end = parse_time(appts[job["lastAppointmentId"]]["end"])
            assert end <= parse_time(job["completedOn"]) <= anchor
        (past if start < anchor else future)[job["jobStatus"]] += 1
    assert past["Completed"] > 0.8 * sum(past.values())
    assert past["Canceled"] > 0
    assert set(future) <= {"Scheduled", "Canceled"} and future["Scheduled"] > 0
    # Nothing was created or modified after the anchor.
    assert max(r.created_on for r in small if r.created_on) <= anchor
    assert max(r.modified_on for r in small if r.modified_on) <= anchor


def test_money_adds_up(small: list[Stored]) -> None:
    invoices = {r.id: r.data for r in small if r.kind == "accounting:invoices"}
    paid: Counter[int] = Counter()
    for pay in (r.data for r in small if r.kind == "accounting:payments"):
        for applied in pay["appliedTo"]:
            paid[applied["appliedTo"]] += round(float(applied["appliedAmount"]) * 100)
    balances = Counter()
    outcomes: Counter[str] = Counter()
    for inv in invoices.values():
        total = round(float(inv["total"]) * 100)
        items = sum(round(float(i["total"]) * 100) for i in inv["items"])
        assert round(float(inv["subTotal"]) * 100) == items
        assert total == items + round(float(inv["salesTax"]) * 100)
        assert round(float(inv["balance"]) * 100) == total - paid[inv["id"]]
        balances[inv["customer"]["id"]] += total - paid[inv["id"]]
        if total:
            outcomes[
                "paid" if paid[inv["id"]] == total else "partial" if paid[inv["id"]] else "open"
            ] += 1
    assert outcomes["paid"] and outcomes["partial"] and outcomes["open"]
    for cust in (r.data for r in small if r.kind == "crm:customers"):
        assert round(cust["balance"] * 100) == balances[cust["id"]]


def test_every_job_has_its_paperwork(small: list[Stored]) -> None:
    by_kind: dict[str, list[dict]] = {}
    for r in small:
        by_kind.setdefault(r.kind, []).append(r.data)
    jobs = by_kind["jpm:jobs"]
    invoices = {i["id"]: i for i in by_kind["accounting:invoices"]}
    assignments = Counter(a["appointmentId"] for a in by_kind["dispatch:appointment-assignments"])
    histories = {h["jobId"] for h in by_kind["jpm:jobs/{}/history"]}
    for job in jobs:
        assert invoices[job["invoiceId"]]["job"]["id"] == job["id"]
        assert assignments[job["firstAppointmentId"]] >= 1
        assert job["id"] in histories
        if job["jobStatus"] == "Completed" and not job["recallForId"]:
            assert invoices[job["invoiceId"]]["items"]  # callbacks are no-charge
    sold = [e for e in by_kind["sales:estimates"] if e["status"]["name"] == "Sold"]
    from_estimates = {j["createdFromEstimateId"] for j in jobs if j["createdFromEstimateId"]}
    assert sold and from_estimates <= {e["id"] for e in sold}
    for kind in (
        "memberships:memberships",
        "memberships:recurring-services",
        "memberships:recurring-service-events",
        "equipmentsystems:installed-equipment",
        "inventory:purchase-orders",
        "inventory:receipts",
        "inventory:transfers",
        "payroll:gross-pay-items",
        "payroll:jobs/{}/timesheets",
        "telecom:calls",
        "taskmanagement:tasks",
        "forms:submissions",
        "crm:bookings",
        "crm:leads",
        "service-agreements:service-agreements",
        "dispatch:technician-shifts",
        "dispatch:technician-skills",
        "reporting:report-categories",
    ):
        assert by_kind.get(kind), kind


def test_sizes() -> None:
    assert customers_for("small", None) == 300
    assert customers_for(None, 1_000_000) == 1_000_000
    with pytest.raises(ValueError, match="Give a size"):
        customers_for("small", 5)
    with pytest.raises(ValueError, match="Unknown size"):
        customers_for("huge", None)
    large = plan_for(SIZES["large"])
    assert large.technicians == 400 and large.chunks == 200
    assert plan_for(1).technicians == 8


def test_history_spans_the_company_years_and_never_the_future(small: list[Stored]) -> None:
    """Nothing is created after the anchor or before the company was founded (six years
    earlier), and the settings and monthly books spread over those years rather than all
    landing on one day."""
    anchor = datetime.fromisoformat(ANCHOR).replace(tzinfo=UTC)
    founded = anchor.replace(year=anchor.year - 6)
    years: Counter[int] = Counter()
    for rec in small:
        assert rec.created_on is not None, rec.kind
        assert founded - timedelta(days=2) <= rec.created_on <= anchor, (rec.kind, rec.id)
        years[rec.created_on.year] += 1
    assert set(range(anchor.year - 6, anchor.year + 1)) <= set(years)
    for kind in (
        "accounting:journal-entries",
        "jpm:jobs/custom-fields",
        "sales:estimate-templates",
    ):
        created = {r.created_on.year for r in small if r.kind == kind and r.created_on}
        assert len(created) >= 2, kind
