"""CRM behaviours: a customer created with its locations and contacts, tags on customers and
locations (one at a time and in bulk), leads and bookings."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect, insert, operation, response_schema, type_problems

from conftest import Creds
from localtitan.app import LocalTitan

ADDRESS = {
    "street": "1 Main St",
    "city": "Springfield",
    "state": "IL",
    "zip": "62701",
    "country": "USA",
}


async def _tag(api: Api, name: str) -> Any:
    made = await api.ok("settings.TagTypes_Create", json={"name": name, "color": "#112233"})
    return made["id"]


async def _customer(api: Api, world: World, name: str = "Tagged") -> dict[str, Any]:
    body = await world.body("crm.Customers_Create")
    body["name"] = name
    return dict(await api.ok("crm.Customers_Create", json=body))


async def test_customer_with_locations_and_contacts(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = {
        "name": "Pat Doe",
        "type": "Residential",
        "address": ADDRESS,
        "contacts": [
            {"type": "Email", "value": "pat@example.com"},
            {"type": "MobilePhone", "value": "5555550101", "memo": "evenings"},
        ],
        "locations": [
            {"name": "Home", "address": ADDRESS, "contacts": [{"type": "Phone", "value": "1"}]},
            {"name": "Cabin", "address": {**ADDRESS, "city": "Lakeside"}},
        ],
    }
    made = await api.ok("crm.Customers_Create", json=body)
    assert not type_problems(response_schema(operation("crm.Customers_Create")), made)
    cid = made["id"]
    assert made["name"] == "Pat Doe" and made["address"]["city"] == "Springfield"
    assert [loc["name"] for loc in made["locations"]] == ["Home", "Cabin"]
    assert [c["value"] for c in made["contacts"]] == ["pat@example.com", "5555550101"]

    # The locations are records of their own, found by customer.
    listed = await api.ok("crm.Locations_GetList", params={"customerId": cid})
    assert [loc["id"] for loc in listed["data"]] == [loc["id"] for loc in made["locations"]]
    for loc in listed["data"]:
        assert loc["customerId"] == cid
    cabin = await api.ok("crm.Locations_Get", id=made["locations"][1]["id"])
    assert cabin["address"]["city"] == "Lakeside" and cabin["customerId"] == cid

    contacts = await api.ok("crm.Customers_GetContactList", id=cid)
    assert [(c["type"], c["value"], c["memo"]) for c in contacts["data"]] == [
        ("Email", "pat@example.com", None),
        ("MobilePhone", "5555550101", "evenings"),
    ]
    home_contacts = await api.ok("crm.Locations_GetContactList", id=made["locations"][0]["id"])
    assert [c["value"] for c in home_contacts["data"]] == ["1"]
    assert (await api.ok("crm.Locations_GetContactList", id=cabin["id"]))["data"] == []
    # Contacts of all customers, and the customers' export.
    everyone = await api.ok("crm.Customers_GetModifiedContactsList")
    assert {c["value"] for c in everyone["data"]} == {"pat@example.com", "5555550101"}
    exported = await api.ok("crm.ExportCustomers_GetCustomers")
    assert [c["id"] for c in exported["data"]] == [cid]

    # A contact added later belongs to the same customer.
    await api.ok("crm.Customers_CreateContact", id=cid, json={"type": "Fax", "value": "5555550199"})
    contacts = await api.ok("crm.Customers_GetContactList", id=cid)
    assert len(contacts["data"]) == 3
    await api.fails(404, "crm.Customers_GetContactList", id=1)


async def test_customer_needs_a_location(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = {"name": "Nowhere", "address": ADDRESS, "locations": []}
    error = await api.fails(400, "crm.Customers_Create", json=body)
    assert "locations" in error["errors"]
    error = await api.fails(400, "crm.Customers_Create", json={"name": "x", "address": ADDRESS})
    assert "locations" in error["errors"]
    bad_tag = {**body, "locations": [{"name": "L", "address": ADDRESS}], "tagTypeIds": [1]}
    error = await api.fails(400, "crm.Customers_Create", json=bad_tag)
    assert "tagTypeIds" in error["errors"]
    assert (await api.ok("crm.Customers_GetList"))["data"] == []
    assert (await api.ok("crm.Locations_GetList"))["data"] == []


async def test_customer_and_location_tags(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    vip, late = await _tag(api, "VIP"), await _tag(api, "Pays late")
    customer = await _customer(api, world)
    cid = customer["id"]
    lid = customer["locations"][0]["id"]

    added = await api.ok("crm.Customers_CreateTag", id=cid, tagTypeId=vip)
    assert added["tagTypeIds"] == [vip]
    await api.ok("crm.Customers_CreateTag", id=cid, tagTypeId=late)
    await api.ok("crm.Customers_CreateTag", id=cid, tagTypeId=vip)  # already there: no change
    assert (await api.ok("crm.Customers_Get", id=cid))["tagTypeIds"] == [vip, late]
    await api.ok("crm.Customers_DeleteTag", id=cid, tagTypeId=vip)
    assert (await api.ok("crm.Customers_Get", id=cid))["tagTypeIds"] == [late]
    error = await api.fails(400, "crm.Customers_CreateTag", id=cid, tagTypeId=1)
    assert "tagTypeId" in error["errors"]
    await api.fails(404, "crm.Customers_CreateTag", id=1, tagTypeId=vip)

    await api.ok("crm.Locations_CreateTag", id=lid, tagTypeId=vip)
    assert (await api.ok("crm.Locations_Get", id=lid))["tagTypeIds"] == [vip]
    await api.ok("crm.Locations_DeleteTag", id=lid, tagTypeId=vip)
    assert (await api.ok("crm.Locations_Get", id=lid))["tagTypeIds"] == []
    await api.fails(404, "crm.Locations_DeleteTag", id=1, tagTypeId=vip)


async def test_bulk_tags(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    vip, late = await _tag(api, "VIP"), await _tag(api, "Pays late")
    ids = [(await _customer(api, world, f"C{i}"))["id"] for i in range(3)]

    await api.ok("crm.BulkTags_AddTags", json={"customerIds": ids[:2], "tagTypeIds": [vip, late]})
    tags = {c["id"]: c["tagTypeIds"] for c in (await api.ok("crm.Customers_GetList"))["data"]}
    assert tags == {ids[0]: [vip, late], ids[1]: [vip, late], ids[2]: []}
    await api.ok("crm.BulkTags_RemoveTags", json={"customerIds": ids, "tagTypeIds": [vip]})
    tags = {c["id"]: c["tagTypeIds"] for c in (await api.ok("crm.Customers_GetList"))["data"]}
    assert tags == {ids[0]: [late], ids[1]: [late], ids[2]: []}

    # One unknown customer or tag: the whole request fails and nothing changes.
    response = await api.call(
        "crm.BulkTags_AddTags", json={"customerIds": [ids[2], 1], "tagTypeIds": [vip]}
    )
    assert 400 <= response.status_code < 500
    error = await api.fails(
        400, "crm.BulkTags_AddTags", json={"customerIds": [ids[2]], "tagTypeIds": [vip, 1]}
    )
    assert "tagTypeIds" in error["errors"]
    assert (await api.ok("crm.Customers_Get", id=ids[2]))["tagTypeIds"] == []
    error = await api.fails(
        400,
        "crm.BulkTags_AddTags",
        json={"customerIds": list(range(1, 502)), "tagTypeIds": [vip]},
    )
    assert "customerIds" in error["errors"]


async def test_leads_and_bookings(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    lead = await api.ok("crm.Leads_Create", json=await world.body("crm.Leads_Create"))
    assert lead["status"] == "Open"
    follow = await api.ok(
        "crm.Leads_CreateFollowUp",
        id=lead["id"],
        json={"followUpDate": "2024-07-01T09:00:00Z", "text": "Call back", "pinToTop": True},
    )
    assert follow["leadId"] == lead["id"]
    await api.ok("crm.Leads_Dismiss", id=lead["id"], json={"dismissingReasonId": 3})
    assert (await api.ok("crm.Leads_Get", id=lead["id"]))["status"] == "Dismissed"
    await api.fails(409, "crm.Leads_Dismiss", id=lead["id"], json={"dismissingReasonId": 3})
    # Dismissed leads drop out of the open ones.
    assert (await api.ok("crm.Leads_GetList", params={"status": "Open"}))["data"] == []

    booking = await api.ok(
        "crm.Bookings_Create", json=await world.body("crm.Bookings_Create"), booking_provider=1
    )
    provider = {"booking_provider": 1}
    await api.ok(
        "crm.Bookings_DismissBooking", id=booking["id"], json={"callReasonId": 1}, **provider
    )
    assert (await api.ok("crm.Bookings_Get", id=booking["id"]))["status"] == "Dismissed"
    await api.fails(409, "crm.Bookings_DismissBooking", id=booking["id"], json={}, **provider)
    await api.fails(404, "crm.Bookings_DismissBooking", id=1, json={}, **provider)


async def test_preferred_technician(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    location = await world.ref("crm:locations")
    tech = (await insert(app, creds, "settings:technicians", [{"name": "Sam"}]))[0]["id"]
    await api.ok("crm.Locations_UpdatePreferredTechnician", id=location, preferredTechnicianId=tech)
    assert await api.ok("crm.Locations_GetPreferredTechnician", id=location) == tech
    other = (await insert(app, creds, "settings:technicians", [{"name": "Ann"}]))[0]["id"]
    await api.ok(
        "crm.Locations_UpdatePreferredTechnician", id=location, preferredTechnicianId=other
    )
    assert await api.ok("crm.Locations_GetPreferredTechnician", id=location) == other
    await api.fails(
        404, "crm.Locations_UpdatePreferredTechnician", id=location, preferredTechnicianId=1
    )
