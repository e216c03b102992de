"""Bookings under a booking provider: a provider creates bookings (with their contacts) and
sees, changes and dismisses only its own (docs/decisions/0141-booking-provider-bookings.md).
The tenant-wide booking reads (``/bookings``, the export) see every provider's."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localtitan.handling import (
    Tx,
    bad_request,
    conflict,
    empty,
    not_found,
    reading,
    respond,
    transaction,
)
from localtitan.handling.call import Call, Result
from localtitan.handling.catalog import catalog_for
from localtitan.handling.references import check_references
from localtitan.handling.table import Handlers
from localtitan.store.records import Stored, format_time

HANDLERS = Handlers(__name__)
register = HANDLERS.register

__all__: list[str] = []

BOOKINGS = "crm:bookings"
BOOKING_CONTACTS = "crm:bookings/{}/contacts"
# Contacts a booking form sends: a phone and an email or two. Bounded all the same.
_MAX_CONTACTS = 50


def _provider(call: Call) -> int:
    # The door has checked the path's int64.
    return int(call.path["booking_provider"])


def _body(call: Call) -> Mapping[str, Any]:
    return call.body if isinstance(call.body, Mapping) else {}


async def _own(tx: Tx, call: Call) -> Stored:
    """The path's booking if it is this provider's; another provider's is not found."""
    booking = await tx.find(BOOKINGS, call.path.get("id"))
    if booking is None or booking.data.get("bookingProviderId") != _provider(call):
        raise not_found("Booking", call.path.get("id"))
    return booking


@register("crm.Bookings_Create")
async def create_booking(call: Call) -> Result:
    body = _body(call)
    contacts = [c for c in body.get("contacts") or [] if isinstance(c, Mapping)]
    if len(contacts) > _MAX_CONTACTS:
        raise bad_request("contacts", f"A booking can have at most {_MAX_CONTACTS} contacts.")
    await check_references(call, catalog_for(call.runtime.manifest), body)

    async def work(tx: Tx) -> Result:
        fields = {k: v for k, v in body.items() if k != "contacts"}
        start = fields.get("start")
        # A booking always has a start (the response requires one): when it was asked for.
        fields["start"] = format_time(start if isinstance(start, datetime) else tx.now)
        booking = await tx.create(
            BOOKINGS,
            {
                **fields,
                "status": "New",
                "dismissingReasonId": None,
                "jobId": None,
                "bookingProviderId": _provider(call),
            },
        )
        for item in contacts:
            await tx.create(
                BOOKING_CONTACTS,
                {
                    "type": item.get("type"),
                    "value": item.get("value"),
                    "memo": item.get("memo") or "",
                },
                parent_id=booking.id,
            )
        return respond(call, booking.data)

    return await transaction(call, work)


@register("crm.Bookings_GetList2")
async def provider_bookings(call: Call) -> Result:
    """The generic list, narrowed to this provider's bookings (its filters, paging and sort
    apply as on ``/bookings``)."""
    handler = call.runtime.handlers.generic(call.operation)
    assert handler is not None
    scoped = {**call.query, "bookingProviderId": _provider(call)}
    return await handler(dataclasses.replace(call, query=scoped))


@register(
    "crm.Bookings_GetForProvider",
    "crm.Bookings_Update",
    "crm.Bookings_GetContactList2",
    "crm.Bookings_CreateContact",
    "crm.Bookings_UpdateBookingContact",
    "crm.Bookings_DeleteContact",
)
async def own_booking(call: Call) -> Result:
    """What the generic engine does for the booking or its contacts, once the booking is
    known to be this provider's. A provider cannot move a booking to another provider (no
    update body names one), so the check stays true for the write that follows."""

    async with reading(call) as tx:
        await _own(tx, call)
    handler = call.runtime.handlers.generic(call.operation)
    assert handler is not None
    return await handler(call)


@register("crm.Bookings_DismissBooking")
async def dismiss_booking(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        booking = await _own(tx, call)
        if booking.data.get("status") in ("Dismissed", "Converted"):
            raise conflict(f"Booking {booking.id} is already {booking.data.get('status')}.")
        booking.data["status"] = "Dismissed"
        booking.data["dismissingReasonId"] = _body(call).get("callReasonId")
        await tx.save(booking)
        return empty(call)

    return await transaction(call, work)
