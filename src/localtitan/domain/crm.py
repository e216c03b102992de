"""CRM: a customer created with its locations and contacts, tags and leads (bookings:
``bookings.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from localtitan.handling import Tx, bad_request, conflict, empty, respond, transaction
from localtitan.handling.call import Call, Result
from localtitan.handling.catalog import catalog_for
from localtitan.handling.filled import Filled
from localtitan.handling.references import check_references
from localtitan.handling.table import Handlers
from localtitan.store.records import format_time

__all__ = ["HANDLERS"]

# This module's operations; localtitan.operations reads the table.
HANDLERS = Handlers(__name__)
register = HANDLERS.register

CUSTOMERS = "crm:customers"
LOCATIONS = "crm:locations"
CUSTOMER_CONTACTS = "crm:customers/{}/contacts"
LOCATION_CONTACTS = "crm:locations/{}/contacts"
TAG_TYPES = "settings:tag-types"
PREFERRED_TECHNICIAN = "crm:locations/{}/preferredtechnician"
# A created customer's answer: its record's data, its locations' (each with its contacts) and
# its contacts', as Tx.create filled them.
_CREATED = Filled(
    CUSTOMERS,
    {
        "locations": Filled(LOCATIONS, {"contacts": Filled(LOCATION_CONTACTS)}),
        "contacts": Filled(CUSTOMER_CONTACTS),
    },
)


def _body(call: Call) -> Mapping[str, Any]:
    body = call.body
    # A dict first: isinstance against an ABC is a Python call.
    return body if type(body) is dict or isinstance(body, Mapping) else {}


async def _contacts(tx: Tx, kind: str, parent_id: int, owner: str, items: Any) -> list[Any]:
    made = []
    for item in items or []:
        rec = await tx.create(
            kind,
            {
                "type": item.get("type"),
                "value": item.get("value"),
                "memo": item.get("memo"),
                owner: parent_id,
            },
            parent_id=parent_id,
        )
        made.append(rec.data)
    return made


@register("crm.Customers_Create")
async def create_customer(call: Call) -> Result:
    body = _body(call)
    locations = body.get("locations") or []
    if not locations:
        raise bad_request("locations", "A customer needs at least one location.")

    async def work(tx: Tx) -> Result:
        await _check_tags(tx, body.get("tagTypeIds"), "tagTypeIds")
        fields = {k: v for k, v in body.items() if k not in ("locations", "contacts")}
        customer = await tx.create(CUSTOMERS, {**fields, "balance": 0})
        contacts = await _contacts(
            tx, CUSTOMER_CONTACTS, customer.id, "customerId", body.get("contacts")
        )
        made_locations = []
        for i, loc in enumerate(locations):
            await _check_tags(tx, loc.get("tagTypeIds"), f"locations[{i}].tagTypeIds")
            fields = {k: v for k, v in loc.items() if k != "contacts"}
            location = await tx.create(LOCATIONS, {**fields, "customerId": customer.id})
            location_contacts = await _contacts(
                tx, LOCATION_CONTACTS, location.id, "locationId", loc.get("contacts")
            )
            made_locations.append({**location.data, "contacts": location_contacts})
        created = {**customer.data, "locations": made_locations, "contacts": contacts}
        return respond(call, created, _CREATED)

    return await transaction(call, work)


async def _check_tags(tx: Tx, tag_ids: Any, field: str) -> None:
    if tx.catalog.collections.get(TAG_TYPES) is None:
        return
    for tag_id in tag_ids or []:
        if await tx.find(TAG_TYPES, tag_id) is None:
            raise bad_request(field, f"Tag type with ID {tag_id} was not found.")


def _tag_handler(kind: str, owner: str, add: bool) -> Any:
    async def handle(call: Call) -> Result:
        async def work(tx: Tx) -> Result:
            rec = await tx.get(kind, call.path.get("id"), owner.capitalize())
            tag_id = call.path.get("tagTypeId")
            await _check_tags(tx, [tag_id], "tagTypeId")
            tags = list(rec.data.get("tagTypeIds") or [])
            if add and tag_id not in tags:
                tags.append(tag_id)
            if not add:
                tags = [t for t in tags if t != tag_id]
            rec.data["tagTypeIds"] = tags
            await tx.save(rec)
            if add:
                return respond(call, {f"{owner}Id": rec.id, "tagTypeIds": tags})
            return empty(call)

        return await transaction(call, work)

    return handle


register("crm.Customers_CreateTag")(_tag_handler(CUSTOMERS, "customer", True))
register("crm.Customers_DeleteTag")(_tag_handler(CUSTOMERS, "customer", False))
register("crm.Locations_CreateTag")(_tag_handler(LOCATIONS, "location", True))
register("crm.Locations_DeleteTag")(_tag_handler(LOCATIONS, "location", False))


@register("crm.BulkTags_AddTags", "crm.BulkTags_RemoveTags")
async def bulk_tags(call: Call) -> Result:
    body = _body(call)
    add = call.operation.method == "PUT"
    tag_ids = list(body.get("tagTypeIds") or [])
    customer_ids = list(body.get("customerIds") or [])
    if len(customer_ids) > 500:
        raise bad_request("customerIds", "At most 500 customers can be tagged at once.")

    async def work(tx: Tx) -> Result:
        await _check_tags(tx, tag_ids, "tagTypeIds")
        for cid in customer_ids:
            rec = await tx.get(CUSTOMERS, cid, "Customer")
            tags = list(rec.data.get("tagTypeIds") or [])
            if add:
                tags += [t for t in tag_ids if t not in tags]
            else:
                tags = [t for t in tags if t not in tag_ids]
            rec.data["tagTypeIds"] = tags
            await tx.save(rec)
        return empty(call)

    return await transaction(call, work)


@register("crm.Leads_Dismiss")
async def dismiss_lead(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        lead = await tx.get("crm:leads", call.path.get("id"), "Lead")
        if lead.data.get("status") != "Open":
            raise conflict(f"Lead {lead.id} is {lead.data.get('status')}, not Open.")
        lead.data["status"] = "Dismissed"
        lead.data["callReasonId"] = _body(call).get("dismissingReasonId")
        await tx.save(lead)
        return empty(call)

    return await transaction(call, work)


@register("crm.Leads_CreateFollowUp")
async def lead_follow_up(call: Call) -> Result:
    body = _body(call)

    async def work(tx: Tx) -> Result:
        lead = await tx.get("crm:leads", call.path.get("id"), "Lead")
        when = body.get("followUpDate")
        lead.data["followUpDate"] = format_time(when) if isinstance(when, datetime) else when
        await tx.save(lead)
        return respond(
            call,
            {
                "leadId": lead.id,
                "followUpDate": lead.data["followUpDate"],
                "text": body.get("text"),
                "pinToTop": bool(body.get("pinToTop")),
            },
        )

    return await transaction(call, work)


@register("crm.Leads_SubmitLeadForm")
async def lead_form(call: Call) -> Result:
    body = _body(call)

    async def work(tx: Tx) -> Result:
        lead = await tx.create(
            "crm:leads",
            {
                "status": "Open",
                "summary": body.get("summary") or f"Web form from {body.get('name')}",
                "customerName": body.get("name"),
            },
        )
        return respond(call, {"leadId": lead.id})

    return await transaction(call, work)


@register("crm.Locations_GetPreferredTechnician")
async def preferred_technician(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        location = await tx.get(LOCATIONS, call.path.get("id"), "Location")
        found = await tx.children(PREFERRED_TECHNICIAN, location.id)
        return respond(call, found[0].data.get("technicianId") if found else None)

    return await transaction(call, work)


@register("crm.Locations_UpdatePreferredTechnician")
async def set_preferred_technician(call: Call) -> Result:
    async def work(tx: Tx) -> Result:
        location = await tx.get(LOCATIONS, call.path.get("id"), "Location")
        tech = call.path.get("preferredTechnicianId")
        await tx.get("settings:technicians", tech, "Technician")
        # The location schema has no field for it: it is kept as a record under the location.
        found = await tx.children(PREFERRED_TECHNICIAN, location.id)
        if found:
            found[0].data["technicianId"] = tech
            await tx.save(found[0])
        else:
            await tx.create(PREFERRED_TECHNICIAN, {"technicianId": tech}, parent_id=location.id)
        return empty(call)

    return await transaction(call, work)


@register("crm.Locations_Create")
async def create_location(call: Call) -> Result:
    body = _body(call)
    await check_references(call, catalog_for(call.runtime.manifest), body)

    async def work(tx: Tx) -> Result:
        await _check_tags(tx, body.get("tagTypeIds"), "tagTypeIds")
        fields = {k: v for k, v in body.items() if k != "contacts"}
        location = await tx.create(LOCATIONS, fields)
        contacts = await _contacts(
            tx, LOCATION_CONTACTS, location.id, "locationId", body.get("contacts")
        )
        return respond(call, {**location.data, "contacts": contacts})

    return await transaction(call, work)
