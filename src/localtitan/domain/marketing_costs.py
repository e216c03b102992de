"""Campaign cost summaries computed from the tenant's campaign costs.

A campaign cost record gives a daily cost for one month of one campaign; a summary over
``from``..``to`` adds, for each calendar day in the range (both ends included), the daily cost
of that day's month (docs/decisions/0151)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from localtitan.handling import Tx, bad_request, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, parse_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["EMAIL_MEDIA", "days_in_range", "range_of"]

CAMPAIGNS = "marketing:campaigns"
COSTS = "marketing:costs"
# The medium or source that marks a campaign as sent by email.
EMAIL_MEDIA = frozenset({"email", "e-mail", "newsletter"})
_CENT = Decimal("0.01")


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    if value is None or value == "":
        raise bad_request(name, f"The {name} field is required.")
    try:
        return parse_time(str(value)).astimezone(UTC).date()
    except (ValueError, OverflowError):
        raise bad_request(name, f"The value '{str(value)[:40]}' is not a valid date.") from None


def range_of(call: Call) -> tuple[date, date]:
    start = _as_date(call.query.get("from"), "from")
    end = _as_date(call.query.get("to"), "to")
    if end < start:
        raise bad_request("to", "The to date must not be before the from date.")
    return start, end


def days_in_range(year: int, month: int, start: date, end: date) -> int:
    """How many days of ``year``-``month`` fall within ``start``..``end`` (inclusive)."""
    if not (1 <= month <= 12 and 1 <= year <= 9999):
        return 0
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    low, high = max(first, start), min(last, end)
    return (high - low).days + 1 if low <= high else 0


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _totals(costs: Iterable[Stored], start: date, end: date) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for cost in costs:
        d = cost.data
        daily = _decimal(d.get("dailyCost"))
        year, month, campaign = d.get("year"), d.get("month"), d.get("campaignId")
        if (
            daily is None
            or not isinstance(year, int)
            or not isinstance(month, int)
            or not isinstance(campaign, int)
        ):
            continue
        days = days_in_range(year, month, start, end)
        if days:
            totals[campaign] = totals.get(campaign, Decimal(0)) + daily * days
    return totals


def _money(value: Decimal | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        # Too many digits to round to a cent (a client stored an enormous daily cost): a
        # double holds no cents at that size anyway.
        return float(value)


def is_email(campaign: Stored) -> bool:
    d = campaign.data
    return any(str(d.get(f) or "").strip().lower() in EMAIL_MEDIA for f in ("medium", "source"))


@register("marketing.CampaignCostSummary_Get")
async def campaign_cost_summary(call: Call) -> Result:
    start, end = range_of(call)

    async def work(tx: Tx) -> Result:
        totals = _totals(await tx.children(COSTS), start, end)
        items = [
            {
                "campaignId": c.id,
                "campaignName": c.data.get("name") or "",
                # No cost recorded for any day of the range: no figure, rather than zero.
                "totalCost": _money(totals.get(c.id)),
            }
            for c in await tx.children(CAMPAIGNS)
        ]
        return respond(call, {"items": items})

    return await transaction(call, work)


@register("marketing.EmailChannelCost_Get")
async def email_channel_cost(call: Call) -> Result:
    start, end = range_of(call)

    async def work(tx: Tx) -> Result:
        email = {c.id for c in await tx.children(CAMPAIGNS) if is_email(c)}
        totals = _totals(await tx.children(COSTS), start, end)
        spent = [v for k, v in totals.items() if k in email]
        return respond(call, {"totalCost": _money(sum(spent, Decimal(0))) if spent else None})

    return await transaction(call, work)
