"""Filters whose meaning comes from one collection's records and those they name: a job's
appointments, a project's jobs, a lead's customer, a journal entry's lines, a call's lead call.

Each rule gets the filter's value and the whole query; ``answers(kind)`` tells
``query.build_filters`` to leave these parameters to ``related.related_filters``, which
applies them. Every subquery keeps to the listed records' tenant and environment.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)

from localtitan.engine.list_filters import compare_time, day_of, element_exists
from localtitan.engine.query import _as_list, _number, _numeric, json_field, json_value
from localtitan.handling.unit import INT64_MAX, INT64_MIN
from localtitan.store.tables import records

__all__ = ["KIND_RULES", "TRANSFER_TYPES", "Ctx", "answers"]

ASSIGNMENTS = "dispatch:appointment-assignments"


@dataclass(frozen=True)
class Ctx:
    dialect: str
    env: str
    tenant_id: int
    query: Mapping[str, Any]

    def others(self, kind: str, *conds: Any, alias: str = "related") -> tuple[Any, list[Any]]:
        other = records.alias(alias)
        base = [
            other.c.environment == self.env,
            other.c.tenant_id == self.tenant_id,
            other.c.kind == kind,
            other.c.deleted.is_(False),
            *conds,
        ]
        return other, base

    def lowered(self) -> dict[str, Any]:
        return {k.lower(): v for k, v in self.query.items() if v not in (None, "", [])}


_Rule = Callable[[Ctx, Any], "ColumnElement[bool] | None"]


def _int(value: Any) -> int:
    """An id or number a rule binds: a ValueError (a 400 naming the parameter, see
    ``related_filters``) for text that is none, or a number past .NET's Int64."""
    number = int(str(value).strip())
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(value)
    return number


def _json_id(dialect: str, field: str, table: Any = records) -> ColumnElement[Any]:
    return cast(json_field(dialect, field, table), BigInteger)


def _text(dialect: str, field: str, table: Any = records) -> ColumnElement[Any]:
    return func.lower(cast(json_field(dialect, field, table), String))


def _digits(expr: Any) -> Any:
    for ch in ("-", " ", "(", ")", "+", "."):
        expr = func.replace(expr, ch, "")
    return expr


def _when(ctx: Ctx, value: Any) -> Any:
    return json_value(ctx.dialect, value)


def _appointment_starts(op: str, first: bool) -> _Rule:
    """``appointmentStartsOnOrAfter``: jobs with an appointment starting then;
    ``firstAppointmentStarts...``: jobs whose first appointment does."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        other, base = ctx.others("jpm:appointments")
        starts = json_field(ctx.dialect, "start", other).op(op)(_when(ctx, value))
        if first:
            picked = select(other.c.id).where(*base, starts)
            return _json_id(ctx.dialect, "firstAppointmentId").in_(picked)
        return records.c.id.in_(select(other.c.job_id).where(*base, starts))

    return rule


def _unused_appointments(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    other, base = ctx.others("jpm:appointments")
    flagged = json_field(ctx.dialect, "unused", other) == json_value(ctx.dialect, True)
    jobs = records.c.id.in_(select(other.c.job_id).where(*base, flagged))
    return jobs if value else ~jobs


def _jobs_of_project(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    other, base = ctx.others("jpm:jobs")
    project = json_field(ctx.dialect, "projectId", other) == json_value(ctx.dialect, value)
    return records.c.job_id.in_(select(other.c.id).where(*base, project))


def _project_of(link: Callable[[Ctx, Any], Any]) -> _Rule:
    """Projects whose jobs ``link`` picks (a job, an invoice's job, an appointment's...)."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        jobs, base = ctx.others("jpm:jobs", alias="project_jobs")
        picked = select(_json_id(ctx.dialect, "projectId", jobs)).where(
            *base, jobs.c.id.in_(link(ctx, value))
        )
        listed = element_exists(
            ctx.dialect, "jobIds", lambda part: cast(part(None), BigInteger).in_(link(ctx, value))
        )
        return or_(records.c.id.in_(picked), listed)

    return rule


def _the_job(ctx: Ctx, value: Any) -> Any:
    return select(literal(_int(value)))


def _job_of_appointment(ctx: Ctx, value: Any) -> Any:
    other, base = ctx.others("jpm:appointments", alias="appointment")
    return select(other.c.job_id).where(*base, other.c.id == _int(value))


def _jobs_of_technician(ctx: Ctx, value: Any) -> Any:
    other, base = ctx.others(ASSIGNMENTS, alias="assignment")
    held = json_field(ctx.dialect, "technicianId", other) == json_value(ctx.dialect, value)
    return select(other.c.job_id).where(*base, held)


def _project_of_invoice(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    other, base = ctx.others("accounting:invoices", alias="invoice")
    picked = select(_json_id(ctx.dialect, "projectId", other)).where(*base, other.c.id == value)
    return records.c.id.in_(picked)


def _customer_field(field: str) -> _Rule:
    """``customerCity=`` on leads: the city of the lead's customer."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        other, base = ctx.others("crm:customers", alias="customer")
        matched = _text(ctx.dialect, field, other) == str(value).lower()
        return records.c.customer_id.in_(select(other.c.id).where(*base, matched))

    return rule


def _customer_time(column: str, op: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        other, base = ctx.others("crm:customers", alias="customer")
        return records.c.customer_id.in_(
            select(other.c.id).where(*base, other.c[column].op(op)(value))
        )

    return rule


def _without_customer(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    return records.c.customer_id.is_(None) if value else records.c.customer_id.is_not(None)


def _prospect(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """A prospect: a lead whose customer has no job yet (or who is no customer yet)."""
    jobs, base = ctx.others("jpm:jobs", alias="customer_job")
    served = records.c.customer_id.in_(select(jobs.c.customer_id).where(*base))
    prospect = or_(records.c.customer_id.is_(None), ~served)
    return prospect if value else and_(records.c.customer_id.is_not(None), served)


def _form_capture(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    form = _text(ctx.dialect, "captureSource").contains("form")
    return form if value else or_(json_field(ctx.dialect, "captureSource").is_(None), ~form)


def _customer_phone(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """Customers with a phone contact whose number holds these digits."""
    other, base = ctx.others("crm:customers/{}/contacts", alias="contact")
    wanted = "".join(ch for ch in str(value) if ch.isdigit()) or str(value)
    number = _digits(cast(json_field(ctx.dialect, "value", other), String))
    matched = and_(_text(ctx.dialect, "type", other).contains("phone"), number.contains(wanted))
    return records.c.id.in_(select(other.c.parent_id).where(*base, matched))


def _contains(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        return _text(ctx.dialect, field).contains(str(value).lower(), autoescape=True)

    return rule


def _equal_text(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        values = [str(v).lower() for v in _as_list(value)]
        return _text(ctx.dialect, field).in_(values)

    return rule


def _present(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        held = json_field(ctx.dialect, field)
        return held.is_not(None) if value else held.is_(None)

    return rule


def _time(field: str, op: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        return typing.cast(
            "ColumnElement[bool]", json_field(ctx.dialect, field).op(op)(_when(ctx, value))
        )

    return rule


def _include_inactive(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    return None if value else records.c.active.is_(True)


def _published(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    state = str(value).lower()
    if state == "any":
        return None
    published: ColumnElement[bool] = json_field(ctx.dialect, "published") == json_value(
        ctx.dialect, True
    )
    return published if state == "published" else ~published


def _applied(part: str, op: str = "=") -> _Rule:
    """Credit memos and payments by what they were applied to (``appliedTo: [...]``)."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        values = _as_list(value)

        def matches(p: Callable[[str | None], Any]) -> Any:
            if op != "=":
                # ``appliedOn`` is a date: compared by its day.
                return func.substr(p(part), 1, 10).op(op)(day_of(value))
            if part == "appliedTo":
                return p(part).in_([json_value(ctx.dialect, _int(v)) for v in values])
            return func.lower(cast(p(part), String)).in_([str(v).lower() for v in values])

        return element_exists(ctx.dialect, "appliedTo", matches)

    return rule


def _element_in(field: str, part: str | None) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        values = [str(v).lower() for v in _as_list(value)]
        return element_exists(
            ctx.dialect, field, lambda p: func.lower(cast(p(part), String)).in_(values)
        )

    return rule


def _owners(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    """``owners[0].type=Job&owners[0].id=5``: submissions owned by any of those."""
    wanted = [o for o in _as_list(value) if isinstance(o, Mapping)]
    if not wanted:
        return None

    def matches(p: Callable[[str | None], Any]) -> Any:
        return or_(
            *(
                and_(
                    *(
                        func.lower(cast(p(k), String)) == str(v).lower()
                        for k, v in owner.items()
                        if v is not None
                    )
                )
                for owner in wanted
            )
        )

    return element_exists(ctx.dialect, "owners", matches)


def _purchase_order(field: str) -> _Rule:
    """Bills by their purchase order's number or type."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        other, base = ctx.others("inventory:purchase-orders", alias="purchase_order")
        values = [str(v).lower() for v in _as_list(value)]
        picked = select(other.c.id).where(*base, _text(ctx.dialect, field, other).in_(values))
        return _json_id(ctx.dialect, "purchaseOrderId").in_(picked)

    return rule


def _discrepancy(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """A bill's three-way match (bill, purchase order, receipt) disagrees: its status says so."""
    differs = _text(ctx.dialect, "status") == "discrepancy"
    return differs if str(value).lower() == "discrepancy" else ~differs


def _procurement_only(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """Inventory bills are the bills of purchasing (procurement) and carry no bill type."""
    procured = str(value).lower() in ("procurement", "notset")
    return records.c.id.is_not(None) if procured else records.c.id.is_(None)


def _received_payment(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """Payments here are all received from customers (none is made by a journal entry)."""
    received = str(value).lower() in ("receivepayment", "undefined")
    return records.c.id.is_not(None) if received else records.c.id.is_(None)


def _line_of_entry(match: Callable[[Ctx, Any, Any], Any]) -> _Rule:
    """Journal entries with a line (a detail) that ``match`` accepts."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        other, base = ctx.others("accounting:journal-entries/{}/details", alias="line")
        return records.c.id.in_(select(other.c.parent_id).where(*base, match(ctx, value, other)))

    return rule


def _line_ids(field: str) -> Callable[[Ctx, Any, Any], Any]:
    def match(ctx: Ctx, value: Any, line: Any) -> Any:
        ids = [json_value(ctx.dialect, _int(v)) for v in _as_list(value)]
        return json_field(ctx.dialect, field, line).in_(ids)

    return match


def _line_text(field: str, contains: bool = True) -> Callable[[Ctx, Any, Any], Any]:
    def match(ctx: Ctx, value: Any, line: Any) -> Any:
        text = _text(ctx.dialect, field, line)
        if contains:
            return text.contains(str(value).lower(), autoescape=True)
        return text.in_([str(v).lower() for v in _as_list(value)])

    return match


def _line_time(op: str) -> Callable[[Ctx, Any, Any], Any]:
    def match(ctx: Ctx, value: Any, line: Any) -> Any:
        return compare_time(ctx.dialect, "postDate", {"format": "date"}, op, value, line)

    return match


def _empty_entries(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    choice = str(value).lower()
    empty: ColumnElement[bool] = json_field(ctx.dialect, "isEmpty") == json_value(ctx.dialect, True)
    if choice == "exclude":
        return ~empty
    if choice == "includeexceptnotsynced":
        return or_(~empty, _text(ctx.dialect, "syncStatus") != "notsynced")
    return None


def _estimate_total(op: str) -> _Rule:
    """An estimate's total: its subtotal and tax."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        tax = func.coalesce(_numeric(ctx.dialect, "tax"), 0)
        total = _numeric(ctx.dialect, "subtotal") + tax
        bound = _number(ctx.dialect, "total", value)
        return typing.cast("ColumnElement[bool]", total.op(op)(bound))

    return rule


def _parent_is(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    return records.c.parent_id == _int(value)


def _top_level_items(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    """Without children: the items directly under the segment or item listed."""
    if value:
        return None
    parent = json_field(ctx.dialect, "parentId")
    return or_(parent.is_(None), _json_id(ctx.dialect, "parentId") == records.c.parent_id)


def _equals_field(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        return typing.cast(
            "ColumnElement[bool]", json_field(ctx.dialect, field) == json_value(ctx.dialect, value)
        )

    return rule


def _segment_types(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    """Performance rows by what they are broken down to: campaigns, ad groups, keywords."""
    choice = str(value).lower()

    # A row above the ad group (or keyword) level holds none, or one with an empty id: the
    # schema declares the object, so a stored row always has it.
    def absent(field: str) -> ColumnElement[bool]:
        ident = cast(json_field(ctx.dialect, f"{field}.id"), String)
        return or_(ident.is_(None), ident == "")

    if choice == "campaign":
        return and_(absent("adGroup"), absent("keyword"))
    if choice == "adgroup":
        return and_(~absent("adGroup"), absent("keyword"))
    return ~absent("keyword") if choice == "keyword" else None


def _via_job(field: str, flag: str) -> _Rule:
    """Reviews by their job's location or campaign; ``includeReviewsWithout...`` adds
    those with no job to tell."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        jobs, base = ctx.others("jpm:jobs", alias="review_job")
        ids = [json_value(ctx.dialect, _int(v)) for v in _as_list(value)]
        picked = select(jobs.c.id).where(*base, json_field(ctx.dialect, field, jobs).in_(ids))
        matched = records.c.job_id.in_(picked)
        if ctx.lowered().get(flag):
            return or_(matched, records.c.job_id.is_(None))
        return matched

    return rule


def _technicians_or_none(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    ids = [json_value(ctx.dialect, _int(v)) for v in _as_list(value)]
    held = json_field(ctx.dialect, "technicianId")
    if ctx.lowered().get("includereviewswithouttechnician"):
        return or_(held.in_(ids), held.is_(None))
    return held.in_(ids)


# ServiceTitan's prebuilt transfer types, by the id localtitan gives each (docs/decisions/0180):
# a transfer holds its type's name, and the API lists no transfer types to read ids from.
TRANSFER_TYPES: dict[int, str] = {
    1: "Replenishment",
    2: "Standard",
    3: "Requisition",
    4: "Bin Transfer",
    5: "Consignment Bin Transfer",
    6: "Install Requisition",
    7: "Reverse Job Transfer",
    8: "Item Requisition",
    9: "Service Requisition",
}


def _named_by_id(field: str, names: Mapping[int, str]) -> _Rule:
    """``transferTypeIds=1,2``: records whose ``field`` holds one of those ids' names."""

    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        wanted = [names[i].lower() for i in (_int(v) for v in _as_list(value)) if i in names]
        return _text(ctx.dialect, field).in_(wanted)

    return rule


def _verified(ctx: Ctx) -> ColumnElement[bool]:
    verified: ColumnElement[bool] = json_field(ctx.dialect, "verificationStatus") == json_value(
        ctx.dialect, True
    )
    return verified


def _review_report(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    """``reportType``: 0 every review, 1 those verified against a job, 2 those not."""
    choice = _int(value)
    if choice == 1:
        return _verified(ctx)
    return ~_verified(ctx) if choice == 2 else None


def _review_responses(ctx: Ctx, value: Any) -> ColumnElement[bool] | None:
    """``responseTypes``: 0 every review, 1 those the office replied to, 2 those it did not."""
    chosen = {_int(v) for v in _as_list(value)}
    reply = json_field(ctx.dialect, "reviewResponse")
    replied = and_(reply.is_not(None), cast(reply, String) != "")
    parts = [c for c, on in ((replied, 1 in chosen), (~replied, 2 in chosen)) if on]
    return None if 0 in chosen or len(parts) == 2 else or_(*parts, false())


def _review_matches(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """``reviewStatuses`` (match confidence, 0-6): 0 no job matched, 6 a verified match, and
    1-5 a job suggested but not verified (a review keeps no finer confidence)."""
    chosen = {_int(v) for v in _as_list(value)}
    job = json_field(ctx.dialect, "jobId")
    levels = (
        (job.is_(None), 0 in chosen),
        (and_(job.is_not(None), ~_verified(ctx)), bool(chosen & {1, 2, 3, 4, 5})),
        (_verified(ctx), 6 in chosen),
    )
    return or_(*(cond for cond, on in levels if on), false())


def _recurring_types_of(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    """Recurring service types a membership type's recurring services use."""
    other, base = ctx.others("memberships:membership-types", alias="membership_type")
    return element_exists(
        ctx.dialect,
        "recurringServices",
        lambda p: cast(p("recurringServiceTypeId"), BigInteger) == records.c.id,
        table=other,
        where=[*base, other.c.id == _int(value)],
    )


def _event_location(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    other, base = ctx.others("memberships:recurring-services", alias="recurring_service")
    picked = select(other.c.id).where(*base, other.c.location_id == _int(value))
    return _json_id(ctx.dialect, "locationRecurringServiceId").in_(picked)


def _agent_external(ctx: Ctx, value: Any) -> ColumnElement[bool]:
    held = json_field(ctx.dialect, "leadCall.agent.externalId")
    return held.is_not(None) if value else held.is_(None)


def _phone_field(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> ColumnElement[bool]:
        wanted = "".join(ch for ch in str(value) if ch.isdigit()) or str(value)
        digits = _digits(cast(json_field(ctx.dialect, field), String))
        return typing.cast("ColumnElement[bool]", digits.contains(wanted))

    return rule


_APPLIED = {
    "appliedtoinvoiceids": _applied("appliedTo"),
    "appliedtoreferencenumber": _applied("appliedToReferenceNumber"),
    "appliedbefore": _applied("appliedOn", "<"),
    "appliedonorafter": _applied("appliedOn", ">="),
}
_BILLS = {
    "billnumber": _equal_text("referenceNumber"),
    "purchaseordernumber": _purchase_order("number"),
    "purchaseordertypes": _purchase_order("typeId"),
    "threewaymatchdiscrepancy": _discrepancy,
}
_TIMESHEETS = {"startedon": _time("dispatchedOn", ">="), "endedon": _time("doneOn", "<=")}
_CALLS = {
    "phonenumbercalled": _phone_field("to"),
    "callerphonenumber": _phone_field("from"),
    "agentisexternal": _agent_external,
    "agentexternalid": _equals_field("leadCall.agent.externalId"),
    "sid": _equal_text("leadCall.sid"),
}
_SEGMENT_ITEMS: dict[str, _Rule] = {"includechildren": _top_level_items}
_BUDGET_CODES = {
    "budgetcodeids": lambda ctx, value: records.c.id.in_([_int(v) for v in _as_list(value)]),
    "segmentids": _element_in("segments", "segmentId"),
    "segmentitemids": _element_in("segments", "segmentItemId"),
}

KIND_RULES: dict[str, dict[str, _Rule]] = {
    "jpm:jobs": {
        "firstappointmentstartsonorafter": _appointment_starts(">=", first=True),
        "firstappointmentstartsbefore": _appointment_starts("<", first=True),
        "appointmentstartsonorafter": _appointment_starts(">=", first=False),
        "appointmentstartsbefore": _appointment_starts("<", first=False),
        "hasunusedappointments": _unused_appointments,
    },
    "jpm:appointments": {"projectid": _jobs_of_project},
    "jpm:projects": {
        "jobid": _project_of(_the_job),
        "appointmentid": _project_of(_job_of_appointment),
        "technicianid": _project_of(_jobs_of_technician),
        "invoiceid": _project_of_invoice,
    },
    "crm:leads": {
        "customercity": _customer_field("address.city"),
        "customerstate": _customer_field("address.state"),
        "customerzip": _customer_field("address.zip"),
        "customercreatedonorafter": _customer_time("created_on", ">="),
        "customercreatedbefore": _customer_time("created_on", "<"),
        "customermodifiedonorafter": _customer_time("modified_on", ">="),
        "withoutcustomer": _without_customer,
        "isprospect": _prospect,
        "iscapturesourceform": _form_capture,
    },
    "crm:customers": {"phone": _customer_phone},
    "crm:booking-provider-tags": {"name": _contains("tagName")},
    "dispatch:teams": {"includeinactive": _include_inactive},
    "forms:forms": {"status": _published},
    "forms:submissions": {
        "ownertype": _element_in("owners", "type"),
        "owners": _owners,
    },
    "inventory:adjustments": {"adjustmenttypes": _equal_text("type")},
    "accounting:ap-bills": _BILLS,
    "accounting:inventory-bills": {**_BILLS, "billtype": _procurement_only},
    "accounting:inventory-bills/paginated": {**_BILLS, "billtype": _procurement_only},
    "accounting:credit-memos": _APPLIED,
    "accounting:payments": {
        **_APPLIED,
        "statuses": _equal_text("syncStatus"),
        "transactiontype": _received_payment,
    },
    "accounting:invoices": {"statuses": _equal_text("syncStatus")},
    "accounting:journal-entries": {
        "businessunitids": _line_of_entry(_line_ids("businessUnit.id")),
        "serviceagreementids": _line_of_entry(_line_ids("serviceAgreement.id")),
        "customername": _line_of_entry(_line_text("customer.name")),
        "locationname": _line_of_entry(_line_text("customerLocation.name")),
        "vendorname": _line_of_entry(_line_text("vendor.name")),
        "inventorylocationname": _line_of_entry(_line_text("inventoryLocation.name")),
        "refnumber": _line_of_entry(_line_text("transaction.refNumber")),
        "transactiontypes": _line_of_entry(_line_text("transaction.type", contains=False)),
        "transactionpostedfrom": _line_of_entry(_line_time(">=")),
        "transactionpostedto": _line_of_entry(_line_time("<=")),
        "empty": _empty_entries,
    },
    "sales:estimates": {
        "totalgreater": _estimate_total(">"),
        "totalless": _estimate_total("<"),
        "soldbyemployeeid": _equals_field("soldBy"),
    },
    "sales:estimates/{}/items": {"estimateid": _parent_is},
    "payroll:jobs/{}/timesheets": _TIMESHEETS,
    "telecom:calls": _CALLS,
    "marketing:campaigns": {"campaignphonenumber": _element_in("campaignPhoneNumbers", None)},
    # A row is a campaign's (ad group's, keyword's) figures, so a range asks for those running
    # in it: launched before its end, and still live or launched after its start.
    "marketingads:performance": {
        "performancesegmentationtype": _segment_types,
        "fromutc": lambda ctx, value: (
            or_(
                func.lower(cast(json_field(ctx.dialect, "campaign.status"), String)) == "live",
                records.c.created_on >= value,
            )
            if isinstance(value, datetime)
            else None
        ),
        "toutc": lambda ctx, value: (
            records.c.created_on <= value if isinstance(value, datetime) else None
        ),
    },
    "marketingreputation:reviews": {
        "locationids": _via_job("locationId", "includereviewswithoutlocation"),
        "campaignids": _via_job("campaignId", "includereviewswithoutcampaign"),
        "technicianids": _technicians_or_none,
        "sources": _equal_text("platform"),
        "reporttype": _review_report,
        "responsetypes": _review_responses,
        "reviewstatuses": _review_matches,
    },
    "inventory:transfers": {"transfertypeids": _named_by_id("transferType", TRANSFER_TYPES)},
    "memberships:membership-types": {
        "duration": _element_in("durationBilling", "duration"),
        "billingfrequency": _element_in("durationBilling", "billingFrequency"),
    },
    "memberships:recurring-service-types": {"membershiptypeid": _recurring_types_of},
    "memberships:recurring-service-events": {"locationid": _event_location},
    "jpm:work-breakdown-structure/budget-codes": _BUDGET_CODES,
    "jpm:work-breakdown-structure/projects/{}/budget-codes": _BUDGET_CODES,
    "jpm:work-breakdown-structure/projects/{}/segments/{}/items": _SEGMENT_ITEMS,
    "jpm:work-breakdown-structure/projects/{}/segments/{}/items/{}/children": _SEGMENT_ITEMS,
    "jpm:work-breakdown-structure/segments/{}/items": _SEGMENT_ITEMS,
    "jpm:work-breakdown-structure/segments/{}/items/{}/children": _SEGMENT_ITEMS,
}
# Companions a rule above reads with its principal (``includeReviewsWithoutLocation``).
_KIND_COMPANIONS = {
    "marketingreputation:reviews": {
        "includereviewswithoutlocation",
        "includereviewswithoutcampaign",
        "includereviewswithouttechnician",
    }
}


# Filters another rule answers: none today (``jobs?equipmentIds=`` is the generic rule for a
# list field, matching jobs whose equipmentIds hold any of the values).
_ELSEWHERE: dict[str, set[str]] = {}


def answers(kind: str) -> frozenset[str]:
    """The parameters (lower-cased) that only ``kind``'s own rules answer."""
    rules = KIND_RULES.get(kind, {})
    return (
        frozenset(rules)
        | frozenset(_KIND_COMPANIONS.get(kind, ()))
        | frozenset(_ELSEWHERE.get(kind, ()))
    )
