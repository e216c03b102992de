"""Business hours: when the tenant works, in its wall clock; capacity frames fall within them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from localtitan.handling import Tx, bad_request, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.table import Handlers
from localtitan.store.unit_records import last_data

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__ = ["DEFAULT_BUSINESS_HOURS", "TENANT_TIME_ZONE", "day_ranges", "stored_hours"]

BUSINESS_HOURS = "dispatch:business-hours"


def _zone() -> tzinfo:
    try:
        return ZoneInfo("America/Chicago")
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata ships with the dependencies
        from datetime import timezone

        return timezone(timedelta(hours=-6), "CST")


# Business hours and arrival windows are wall-clock times of the tenant's time zone. localtitan
# keeps no time zone per tenant: every tenant is in the demo company's (US Central).
TENANT_TIME_ZONE = _zone()
# What a tenant that never set its business hours or arrival windows gets.
DEFAULT_BUSINESS_HOURS: dict[str, list[dict[str, int]]] = {
    "weekdays": [{"fromHour": 8, "toHour": 17}],
    "saturday": [{"fromHour": 9, "toHour": 13}],
    "sunday": [],
}


def _body(call: Call) -> Mapping[str, Any]:
    return call.body if isinstance(call.body, Mapping) else {}


async def stored_hours(tx: Tx) -> dict[str, Any]:
    """The latest business hours the tenant set (``POST /business-hours``), else the defaults."""
    await tx.flush()
    data = await last_data(tx.session, tx.env, tx.tenant, BUSINESS_HOURS) or {}
    return {
        day: [r for r in data.get(day) or [] if isinstance(r, Mapping)]
        if isinstance(data.get(day), list)
        else DEFAULT_BUSINESS_HOURS[day]
        for day in DEFAULT_BUSINESS_HOURS
    }


@register("dispatch.BusinessHour_GetList")
async def business_hours(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        return respond(call, await stored_hours(tx))

    return await transaction(call, work)


@register("dispatch.BusinessHour_Create")
async def set_business_hours(call: Call) -> Result:
    """The tenant's business hours, replaced whole: whole hours 0-24, each range ending after
    it starts, a day's ranges not overlapping."""
    body = _body(call)
    hours: dict[str, list[dict[str, int]]] = {}
    for day in DEFAULT_BUSINESS_HOURS:
        given = body.get(day)
        ranges: list[Any] = given if isinstance(given, list) else []
        if len(ranges) > 24:
            raise bad_request(day, "At most 24 ranges a day.")
        kept: list[dict[str, int]] = []
        for i, r in enumerate(ranges):
            start = _hour(r.get("fromHour")) if isinstance(r, Mapping) else None
            end = _hour(r.get("toHour")) if isinstance(r, Mapping) else None
            if start is None or end is None or end <= start:
                raise bad_request(
                    f"{day}[{i}]", "A range runs from an hour (0-23) to a later hour (1-24)."
                )
            if any(start < k["toHour"] and k["fromHour"] < end for k in kept):
                raise bad_request(f"{day}[{i}]", "The day's ranges overlap.")
            kept.append({"fromHour": start, "toHour": end})
        hours[day] = sorted(kept, key=lambda k: k["fromHour"])

    async def work(tx: Tx) -> Result:
        current = await tx.children(BUSINESS_HOURS)
        if current:
            current[-1].data.update(hours)
            await tx.save(current[-1])
        else:
            await tx.create(BUSINESS_HOURS, hours)
        return respond(call, hours)

    return await transaction(call, work)


def day_ranges(hours: Mapping[str, Any], day: date) -> list[tuple[time, time]]:
    key = "saturday" if day.weekday() == 5 else "sunday" if day.weekday() == 6 else "weekdays"
    out = []
    for r in hours.get(key) or []:
        start, end = _hour(r.get("fromHour")), _hour(r.get("toHour"))
        if start is not None and end is not None and end > start:
            out.append((time(start), time(end) if end < 24 else time.max))
    return out


def _hour(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= 24 else None
