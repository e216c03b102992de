"""Filters whose meaning comes from one collection's records and those they name: a job's
appointments, a project's jobs, a lead's customer, a journal entry's lines, a call's lead call.

Each rule gets the filter's value and the whole query; ``answers(kind)`` tells
``query.build_filters`` to leave these parameters to ``related.related_filters``, which
applies them. Every subquery keeps to the listed records' tenant and environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localtitan.engine.list_filters import _as_list, compare_time, day_of, number
from localtitan.handling.unit import INT64_MAX, INT64_MIN
from localtitan.store import conditions as c

__all__ = ["KIND_RULES", "TRANSFER_TYPES", "Ctx", "answers"]

ASSIGNMENTS = "dispatch:appointment-assignments"
_ID = c.Col("id")


@dataclass(frozen=True)
class Ctx:
    query: Mapping[str, Any]

    def lowered(self) -> dict[str, Any]:
        return {k.lower(): v for k, v in self.query.items() if v not in (None, "", [])}


_Rule = Callable[[Ctx, Any], "c.Cond | None"]


def _int(value: Any) -> int:
    """An id or number a rule binds: a ValueError (a 400 naming the parameter, see
    ``related_filters``) for text that is none, or a number past .NET's Int64."""
    number = int(str(value).strip())
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(value)
    return number


def _json(value: Any) -> c.Value:
    return c.Value(value, "json")


def _json_id(field: str, table: str | None = None) -> c.Expr:
    return c.AsId(c.Json(field, table))


def _text(field: str, table: str | None = None) -> c.Expr:
    return c.Text(c.Json(field, table))


def _lowered(values: list[Any]) -> tuple[c.Value, ...]:
    return tuple(c.Value(str(v).lower()) for v in values)


def _appointment_starts(op: str, first: bool) -> _Rule:
    """``appointmentStartsOnOrAfter``: jobs with an appointment starting then;
    ``firstAppointmentStarts...``: jobs whose first appointment does."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        starts = c.Cmp(c.Json("start", "related"), op, _json(value))
        if first:
            picked = c.Related("jpm:appointments", "related", c.Col("id", "related"), (starts,))
            return c.InRelated(_json_id("firstAppointmentId"), picked)
        jobs = c.Related("jpm:appointments", "related", c.Col("job_id", "related"), (starts,))
        return c.InRelated(_ID, jobs)

    return rule


def _unused_appointments(ctx: Ctx, value: Any) -> c.Cond:
    flagged = c.Cmp(c.Json("unused", "related"), "=", _json(True))
    jobs: c.Cond = c.InRelated(
        _ID, c.Related("jpm:appointments", "related", c.Col("job_id", "related"), (flagged,))
    )
    return jobs if value else c.Not(jobs)


def _jobs_of_project(ctx: Ctx, value: Any) -> c.Cond:
    project = c.Cmp(c.Json("projectId", "related"), "=", _json(value))
    return c.InRelated(
        c.Col("job_id"), c.Related("jpm:jobs", "related", c.Col("id", "related"), (project,))
    )


# What a project filter picks jobs by: a subquery of job ids, or the job id itself.
_Jobs = Callable[[Ctx, Any], "c.Related | c.Value"]


def _among(left: c.Expr, jobs: c.Related | c.Value) -> c.Cond:
    if isinstance(jobs, c.Value):
        return c.In(left, (jobs,))
    return c.InRelated(left, jobs)


def _project_of(link: _Jobs) -> _Rule:
    """Projects whose jobs ``link`` picks (a job, an invoice's job, an appointment's...)."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        picked = c.Related(
            "jpm:jobs",
            "project_jobs",
            _json_id("projectId", "project_jobs"),
            (_among(c.Col("id", "project_jobs"), link(ctx, value)),),
        )
        listed = c.ElementExists("jobIds", _among(c.AsId(c.Part()), link(ctx, value)))
        return c.AnyOf((c.InRelated(_ID, picked), listed))

    return rule


def _the_job(ctx: Ctx, value: Any) -> c.Value:
    return c.Value(_int(value))


def _job_of_appointment(ctx: Ctx, value: Any) -> c.Related:
    one = c.Cmp(c.Col("id", "appointment"), "=", c.Value(_int(value)))
    return c.Related("jpm:appointments", "appointment", c.Col("job_id", "appointment"), (one,))


def _jobs_of_technician(ctx: Ctx, value: Any) -> c.Related:
    held = c.Cmp(c.Json("technicianId", "assignment"), "=", _json(value))
    return c.Related(ASSIGNMENTS, "assignment", c.Col("job_id", "assignment"), (held,))


def _project_of_invoice(ctx: Ctx, value: Any) -> c.Cond:
    one = c.Cmp(c.Col("id", "invoice"), "=", c.Value(value))
    picked = c.Related("accounting:invoices", "invoice", _json_id("projectId", "invoice"), (one,))
    return c.InRelated(_ID, picked)


def _customer_field(field: str) -> _Rule:
    """``customerCity=`` on leads: the city of the lead's customer."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        matched = c.Cmp(_text(field, "customer"), "=", c.Value(str(value).lower()))
        return c.InRelated(
            c.Col("customer_id"),
            c.Related("crm:customers", "customer", c.Col("id", "customer"), (matched,)),
        )

    return rule


def _customer_time(column: str, op: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        when = c.Cmp(c.Col(column, "customer"), op, c.Value(value))
        return c.InRelated(
            c.Col("customer_id"),
            c.Related("crm:customers", "customer", c.Col("id", "customer"), (when,)),
        )

    return rule


def _without_customer(ctx: Ctx, value: Any) -> c.Cond:
    return c.IsNull(c.Col("customer_id"), negated=not value)


def _prospect(ctx: Ctx, value: Any) -> c.Cond:
    """A prospect: a lead whose customer has no job yet (or who is no customer yet)."""
    jobs = c.Related("jpm:jobs", "customer_job", c.Col("customer_id", "customer_job"))
    served = c.InRelated(c.Col("customer_id"), jobs)
    if value:
        return c.AnyOf((c.IsNull(c.Col("customer_id")), c.Not(served)))
    return c.All((c.IsNull(c.Col("customer_id"), negated=True), served))


def _form_capture(ctx: Ctx, value: Any) -> c.Cond:
    form = c.Contains(_text("captureSource"), c.Value("form"))
    return form if value else c.AnyOf((c.IsNull(c.Json("captureSource")), c.Not(form)))


def _wanted_digits(value: Any) -> c.Value:
    return c.Value("".join(ch for ch in str(value) if ch.isdigit()) or str(value))


def _customer_phone(ctx: Ctx, value: Any) -> c.Cond:
    """Customers with a phone contact whose number holds these digits."""
    matched = c.All(
        (
            c.Contains(_text("type", "contact"), c.Value("phone")),
            c.Contains(c.Digits(c.Json("value", "contact")), _wanted_digits(value)),
        )
    )
    contacts = c.Related(
        "crm:customers/{}/contacts", "contact", c.Col("parent_id", "contact"), (matched,)
    )
    return c.InRelated(_ID, contacts)


def _contains(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.Contains(_text(field), c.Value(str(value).lower(), "like"))

    return rule


def _equal_text(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.In(_text(field), _lowered(_as_list(value)))

    return rule


def _present(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.IsNull(c.Json(field), negated=bool(value))

    return rule


def _time(field: str, op: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.Cmp(c.Json(field), op, _json(value))

    return rule


def _include_inactive(ctx: Ctx, value: Any) -> c.Cond | None:
    return None if value else c.IsTrue(c.Col("active"))


def _published(ctx: Ctx, value: Any) -> c.Cond | None:
    state = str(value).lower()
    if state == "any":
        return None
    published = c.Cmp(c.Json("published"), "=", _json(True))
    return published if state == "published" else c.Not(published)


def _applied(part: str, op: str = "=") -> _Rule:
    """Credit memos and payments by what they were applied to (``appliedTo: [...]``)."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        values = _as_list(value)
        match: c.Cond
        if op != "=":
            # ``appliedOn`` is a date: compared by its day.
            match = c.Cmp(c.Day(c.Part(part)), op, c.Value(day_of(value)))
        elif part == "appliedTo":
            match = c.In(c.Part(part), tuple(_json(_int(v)) for v in values))
        else:
            match = c.In(c.Text(c.Part(part)), _lowered(values))
        return c.ElementExists("appliedTo", match)

    return rule


def _element_in(field: str, part: str | None) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.ElementExists(field, c.In(c.Text(c.Part(part)), _lowered(_as_list(value))))

    return rule


def _owners(ctx: Ctx, value: Any) -> c.Cond | None:
    """``owners[0].type=Job&owners[0].id=5``: submissions owned by any of those."""
    wanted = [o for o in _as_list(value) if isinstance(o, Mapping)]
    if not wanted:
        return None
    match = c.AnyOf(
        tuple(
            c.All(
                tuple(
                    c.Cmp(c.Text(c.Part(k)), "=", c.Value(str(v).lower()))
                    for k, v in owner.items()
                    if v is not None
                )
            )
            for owner in wanted
        )
    )
    return c.ElementExists("owners", match)


def _purchase_order(field: str) -> _Rule:
    """Bills by their purchase order's number or type."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        matched = c.In(_text(field, "purchase_order"), _lowered(_as_list(value)))
        picked = c.Related(
            "inventory:purchase-orders", "purchase_order", c.Col("id", "purchase_order"), (matched,)
        )
        return c.InRelated(_json_id("purchaseOrderId"), picked)

    return rule


def _discrepancy(ctx: Ctx, value: Any) -> c.Cond:
    """A bill's three-way match (bill, purchase order, receipt) disagrees: its status says so."""
    differs = c.Cmp(_text("status"), "=", c.Value("discrepancy"))
    return differs if str(value).lower() == "discrepancy" else c.Not(differs)


def _every_or_none(every: bool) -> c.Cond:
    return c.IsNull(_ID, negated=every)


def _procurement_only(ctx: Ctx, value: Any) -> c.Cond:
    """Inventory bills are the bills of purchasing (procurement) and carry no bill type."""
    return _every_or_none(str(value).lower() in ("procurement", "notset"))


def _received_payment(ctx: Ctx, value: Any) -> c.Cond:
    """Payments here are all received from customers (none is made by a journal entry)."""
    return _every_or_none(str(value).lower() in ("receivepayment", "undefined"))


def _line_of_entry(match: Callable[[Ctx, Any], c.Cond]) -> _Rule:
    """Journal entries with a line (a detail) that ``match`` accepts."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        lines = c.Related(
            "accounting:journal-entries/{}/details",
            "line",
            c.Col("parent_id", "line"),
            (match(ctx, value),),
        )
        return c.InRelated(_ID, lines)

    return rule


def _line_ids(field: str) -> Callable[[Ctx, Any], c.Cond]:
    def match(ctx: Ctx, value: Any) -> c.Cond:
        ids = tuple(_json(_int(v)) for v in _as_list(value))
        return c.In(c.Json(field, "line"), ids)

    return match


def _line_text(field: str, contains: bool = True) -> Callable[[Ctx, Any], c.Cond]:
    def match(ctx: Ctx, value: Any) -> c.Cond:
        text = _text(field, "line")
        if contains:
            return c.Contains(text, c.Value(str(value).lower(), "like"))
        return c.In(text, _lowered(_as_list(value)))

    return match


def _line_time(op: str) -> Callable[[Ctx, Any], c.Cond]:
    def match(ctx: Ctx, value: Any) -> c.Cond:
        return compare_time("postDate", {"format": "date"}, op, value, "line")

    return match


def _empty_entries(ctx: Ctx, value: Any) -> c.Cond | None:
    choice = str(value).lower()
    empty = c.Cmp(c.Json("isEmpty"), "=", _json(True))
    if choice == "exclude":
        return c.Not(empty)
    if choice == "includeexceptnotsynced":
        return c.AnyOf((c.Not(empty), c.Cmp(_text("syncStatus"), "!=", c.Value("notsynced"))))
    return None


def _estimate_total(op: str) -> _Rule:
    """An estimate's total: its subtotal and tax."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        total = c.Plus(c.Num("subtotal"), c.Coalesce(c.Num("tax"), 0))
        return c.Cmp(total, op, number("total", value))

    return rule


def _parent_is(ctx: Ctx, value: Any) -> c.Cond:
    return c.Cmp(c.Col("parent_id"), "=", c.Value(_int(value)))


def _top_level_items(ctx: Ctx, value: Any) -> c.Cond | None:
    """Without children: the items directly under the segment or item listed."""
    if value:
        return None
    return c.AnyOf(
        (c.IsNull(c.Json("parentId")), c.Cmp(_json_id("parentId"), "=", c.Col("parent_id")))
    )


def _equals_field(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.Cmp(c.Json(field), "=", _json(value))

    return rule


def _segment_types(ctx: Ctx, value: Any) -> c.Cond | None:
    """Performance rows by what they are broken down to: campaigns, ad groups, keywords."""
    choice = str(value).lower()

    # A row above the ad group (or keyword) level holds none, or one with an empty id: the
    # schema declares the object, so a stored row always has it.
    def absent(field: str) -> c.Cond:
        ident = c.AsText(c.Json(f"{field}.id"))
        return c.AnyOf((c.IsNull(ident), c.Cmp(ident, "=", c.Value(""))))

    if choice == "campaign":
        return c.All((absent("adGroup"), absent("keyword")))
    if choice == "adgroup":
        return c.All((c.Not(absent("adGroup")), absent("keyword")))
    return c.Not(absent("keyword")) if choice == "keyword" else None


def _via_job(field: str, flag: str) -> _Rule:
    """Reviews by their job's location or campaign; ``includeReviewsWithout...`` adds
    those with no job to tell."""

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        ids = tuple(_json(_int(v)) for v in _as_list(value))
        picked = c.Related(
            "jpm:jobs",
            "review_job",
            c.Col("id", "review_job"),
            (c.In(c.Json(field, "review_job"), ids),),
        )
        matched = c.InRelated(c.Col("job_id"), picked)
        if ctx.lowered().get(flag):
            return c.AnyOf((matched, c.IsNull(c.Col("job_id"))))
        return matched

    return rule


def _technicians_or_none(ctx: Ctx, value: Any) -> c.Cond:
    ids = tuple(_json(_int(v)) for v in _as_list(value))
    held = c.Json("technicianId")
    if ctx.lowered().get("includereviewswithouttechnician"):
        return c.AnyOf((c.In(held, ids), c.IsNull(held)))
    return c.In(held, ids)


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

    def rule(ctx: Ctx, value: Any) -> c.Cond:
        wanted = [names[i].lower() for i in (_int(v) for v in _as_list(value)) if i in names]
        return c.In(_text(field), tuple(c.Value(w) for w in wanted))

    return rule


_VERIFIED = c.Cmp(c.Json("verificationStatus"), "=", _json(True))


def _review_report(ctx: Ctx, value: Any) -> c.Cond | None:
    """``reportType``: 0 every review, 1 those verified against a job, 2 those not."""
    choice = _int(value)
    if choice == 1:
        return _VERIFIED
    return c.Not(_VERIFIED) if choice == 2 else None


def _review_responses(ctx: Ctx, value: Any) -> c.Cond | None:
    """``responseTypes``: 0 every review, 1 those the office replied to, 2 those it did not."""
    chosen = {_int(v) for v in _as_list(value)}
    reply = c.Json("reviewResponse")
    replied = c.All((c.IsNull(reply, negated=True), c.Cmp(c.AsText(reply), "!=", c.Value(""))))
    parts = [k for k, on in ((replied, 1 in chosen), (c.Not(replied), 2 in chosen)) if on]
    return None if 0 in chosen or len(parts) == 2 else c.AnyOf(tuple(parts))


def _review_matches(ctx: Ctx, value: Any) -> c.Cond:
    """``reviewStatuses`` (match confidence, 0-6): 0 no job matched, 6 a verified match, and
    1-5 a job suggested but not verified (a review keeps no finer confidence)."""
    chosen = {_int(v) for v in _as_list(value)}
    job = c.Json("jobId")
    levels = (
        (c.IsNull(job), 0 in chosen),
        (c.All((c.IsNull(job, negated=True), c.Not(_VERIFIED))), bool(chosen & {1, 2, 3, 4, 5})),
        (_VERIFIED, 6 in chosen),
    )
    return c.AnyOf(tuple(k for k, on in levels if on))


def _recurring_types_of(ctx: Ctx, value: Any) -> c.Cond:
    """Recurring service types a membership type's recurring services use."""
    membership_type = c.Related(
        "memberships:membership-types",
        "membership_type",
        c.Col("id", "membership_type"),
        (c.Cmp(c.Col("id", "membership_type"), "=", c.Value(_int(value))),),
    )
    return c.ElementExists(
        "recurringServices",
        c.Cmp(c.AsId(c.Part("recurringServiceTypeId")), "=", _ID),
        within=membership_type,
    )


def _event_location(ctx: Ctx, value: Any) -> c.Cond:
    at = c.Cmp(c.Col("location_id", "recurring_service"), "=", c.Value(_int(value)))
    picked = c.Related(
        "memberships:recurring-services",
        "recurring_service",
        c.Col("id", "recurring_service"),
        (at,),
    )
    return c.InRelated(_json_id("locationRecurringServiceId"), picked)


def _agent_external(ctx: Ctx, value: Any) -> c.Cond:
    return c.IsNull(c.Json("leadCall.agent.externalId"), negated=bool(value))


def _phone_field(field: str) -> _Rule:
    def rule(ctx: Ctx, value: Any) -> c.Cond:
        return c.Contains(c.Digits(c.Json(field)), _wanted_digits(value))

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
    "budgetcodeids": lambda ctx, value: c.In(_ID, tuple(c.Value(_int(v)) for v in _as_list(value))),
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
            c.AnyOf(
                (
                    c.Cmp(_text("campaign.status"), "=", c.Value("live")),
                    c.Cmp(c.Col("created_on"), ">=", c.Value(value)),
                )
            )
            if isinstance(value, datetime)
            else None
        ),
        "toutc": lambda ctx, value: (
            c.Cmp(c.Col("created_on"), "<=", c.Value(value))
            if isinstance(value, datetime)
            else None
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
