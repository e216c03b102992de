"""Scheduling Pro performance: counts over a scheduler's (or a router's) sessions created in a
time range, from the sessions the tenant holds (docs/decisions/0152)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from localtitan.domain._guid_records import find_by_guid
from localtitan.handling import Tx, bad_request, not_found, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, parse_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["STEPS", "milestone"]

SCHEDULERS = "schedulingpro:schedulers"
SCHEDULER_SESSIONS = "schedulingpro:schedulers/{}/sessions"
ROUTER_SESSIONS = "schedulingpro:routers/{}/sessions"

# The scheduler's steps in the order a customer goes through them; a session whose lastStep
# is one of them reached it and every step before.
STEPS = ("opened", "zipcode", "issue", "schedule", "customer", "details", "booked")
_STEP_NAMES = {
    "opened": "opened",
    "open": "opened",
    "start": "opened",
    "zipcode": "zipcode",
    "zip": "zipcode",
    "postalcode": "zipcode",
    "issue": "issue",
    "category": "issue",
    "jobtype": "issue",
    "schedule": "schedule",
    "timeslot": "schedule",
    "customer": "customer",
    "contact": "customer",
    "customerinfo": "customer",
    "details": "details",
    "summary": "details",
    "review": "details",
    "booked": "booked",
    "confirmation": "booked",
    "complete": "booked",
    "completed": "booked",
}
_BOOKED_OUTCOMES = frozenset({"booked", "jobcreated", "job", "bookingcreated", "completed"})
# What makes a session's customer a captured contact (the device fields do not).
_CONTACT_FIELDS = ("firstName", "lastName", "email", "phone", "id")
_NO = frozenset({"", "no", "none", "false", "notinterested"})


def _key(text: Any) -> str:
    return re.sub(r"[^a-z]", "", str(text or "").lower())


def milestone(session: Mapping[str, Any]) -> int:
    """Index in STEPS of the furthest step ``session`` reached (0: it was opened)."""
    reached = STEPS.index(_STEP_NAMES.get(_key(session.get("lastStep")), "opened"))
    if _key(session.get("sessionOutcome")) in _BOOKED_OUTCOMES:
        reached = len(STEPS) - 1
    return reached


def _booked(session: Mapping[str, Any]) -> bool:
    return milestone(session) == len(STEPS) - 1


def _has_customer(session: Mapping[str, Any]) -> bool:
    customer = session.get("customer")
    if isinstance(customer, Mapping) and any(customer.get(k) for k in _CONTACT_FIELDS):
        return True
    return milestone(session) >= STEPS.index("customer")


def _moment(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value is None or value == "":
        raise bad_request(name, f"The {name} field is required.")
    try:
        return parse_time(str(value)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad_request(name, f"The value '{str(value)[:40]}' is not a valid date.") from None


def _window(call: Call) -> tuple[datetime, datetime]:
    start = _moment(call.query.get("sessionCreatedOnOrAfter"), "sessionCreatedOnOrAfter")
    end = _moment(call.query.get("sessionCreatedBefore"), "sessionCreatedBefore")
    if end < start:
        raise bad_request(
            "sessionCreatedBefore", "The end of the range must not be before its start."
        )
    return start, end


def _in_window(sessions: Iterable[Stored], start: datetime, end: datetime) -> list[Stored]:
    return [s for s in sessions if s.created_on is not None and start <= s.created_on < end]


def _count(items: Iterable[Any]) -> int:
    return sum(1 for _ in items)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def _scheduler(tx: Tx, ident: Any) -> Stored:
    found = await find_by_guid(tx, SCHEDULERS, ident)
    if found is None:
        raise not_found("Scheduler", ident)
    return found


def scheduler_figures(scheduler: Stored, sessions: list[Stored]) -> dict[str, Any]:
    data = [s.data for s in sessions]
    reached = [milestone(d) for d in data]
    booked = [d for d in data if _booked(d)]
    abandoned = [d for d in data if not _booked(d)]
    by_id = {str(d.get("id")): d for d in data}
    # A session that follows an earlier, abandoned one came back from a recovery message; the
    # AI agent sends those when the scheduler runs in AI mode, a recovery link otherwise.
    returns = [
        d
        for d in data
        if d.get("previousSessionId")
        and not _booked(by_id.get(str(d["previousSessionId"]), {"sessionOutcome": ""}))
    ]
    ai = [d for d in returns if d.get("aiModeEnabled")]
    link = [d for d in returns if not d.get("aiModeEnabled")]

    def recovered(group: list[dict[str, Any]], field: str) -> int:
        return _count(d for d in group if _booked(d) and d.get(field) is not None)

    interacted = _count(r for r in reached if r >= 1)
    return {
        "id": str(scheduler.data.get("id") or scheduler.guid or scheduler.id),
        "schedulerName": scheduler.data.get("name") or "",
        "brandName": scheduler.data.get("companyName") or "",
        "schedulerCompletionRate": _rate(len(booked), interacted),
        "openedCompletionRate": _rate(len(booked), len(data)),
        "totalCustomerContactsCaptured": _count(d for d in data if _has_customer(d)),
        "totalJobsCreated": _count(d for d in data if d.get("jobId") is not None),
        "totalBookingsCreated": _count(d for d in data if d.get("bookingId") is not None),
        "totalAbandonedSessionsSentToBookings": _count(
            d for d in abandoned if d.get("bookingId") is not None
        ),
        "totalAbandonedSessionsSentToLeads": _count(
            d for d in abandoned if d.get("leadId") is not None
        ),
        "totalBookingsRecoveredFromAbandonedSessionsRecoveryLink": recovered(link, "bookingId"),
        "totalJobsRecoveredFromAbandonedSessionsRecoveryLink": recovered(link, "jobId"),
        "totalBookingsRecoveredFromAbandonedSessionsAiAgent": recovered(ai, "bookingId"),
        "totalJobsRecoveredFromAbandonedSessionsAiAgent": recovered(ai, "jobId"),
        "totalSmsSentToRecoverAbandonedSessionRecoveryLink": len(link),
        "totalSmsSentToRecoverAbandonedSessionAiAgent": len(ai),
        "totalBookingsRecoveredFromAbandonedSessions": recovered(returns, "bookingId"),
        "totalJobsRecoveredFromAbandonedSessions": recovered(returns, "jobId"),
        "totalMembershipInterest": _count(
            d for d in data if _key(d.get("membershipInterest")) not in _NO
        ),
        "totalSessions": len(data),
        "milestoneFrequencyCount": {
            **{step: _count(r for r in reached if r >= i) for i, step in enumerate(STEPS)},
            "interacted": interacted,
            "abandoned": len(abandoned),
        },
    }


@register("schedulingpro.Scheduler_SchedulerPerformance")
async def scheduler_performance(call: Call) -> Result:
    start, end = _window(call)

    async def work(tx: Tx) -> Result:
        scheduler = await _scheduler(tx, call.path.get("id"))
        own = str(scheduler.guid or scheduler.id).lower()
        sessions = [
            s
            for s in await tx.children(SCHEDULER_SESSIONS)
            if s.parent_id == scheduler.id or str(s.data.get("schedulerId") or "").lower() == own
        ]
        figures = scheduler_figures(scheduler, _in_window(sessions, start, end))
        return respond(call, figures)

    return await transaction(call, work)


@register("schedulingpro.Router_RouterPerformance")
async def router_performance(call: Call) -> Result:
    start, end = _window(call)
    ident = str(call.path.get("id") or "")

    async def work(tx: Tx) -> Result:
        # Routers are known by their sessions (no operation lists routers); their sessions
        # are kept under the router's id, as the router's session list reads them.
        router_id = ident.strip()
        owned = (
            await tx.children(ROUTER_SESSIONS, int(router_id))
            if router_id.isdigit() and len(router_id) < 19
            else []
        )
        if not owned:
            raise not_found("Router", ident)
        sessions = [s.data for s in _in_window(owned, start, end)]
        per_scheduler: dict[str | None, int] = {}
        for d in sessions:
            scheduler_id = d.get("schedulerId") or None
            per_scheduler[scheduler_id] = per_scheduler.get(scheduler_id, 0) + 1
        return respond(
            call,
            {
                "id": ident,
                "openedCount": len(sessions),
                "interactedCount": _count(d for d in sessions if milestone(d) >= 1),
                "sessionCountBySchedulerId": [
                    {"schedulerId": k, "openedCount": v} for k, v in per_scheduler.items()
                ],
            },
        )

    return await transaction(call, work)
