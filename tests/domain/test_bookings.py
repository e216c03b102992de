"""Bookings as a booking provider's integration sees them: what it creates carries its id and
its contacts, and it sees and changes only its own bookings."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect

from conftest import Creds
from localtitan.app import LocalTitan

ACME, OTHER = 41, 42


async def _book(api: Api, world: World, provider: int, name: str, **extra: Any) -> Any:
    body = await world.body("crm.Bookings_Create")
    body.update(name=name, externalId=f"ext-{name}", **extra)
    return await api.ok("crm.Bookings_Create", json=body, booking_provider=provider)


async def test_a_provider_books_with_its_id_and_contacts(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    contacts = [
        {"type": "Phone", "value": "5555550100", "memo": "cell"},
        {"type": "Email", "value": "ann@example.com"},
    ]
    made = await _book(api, world, ACME, "Ann", contacts=contacts)
    assert made["bookingProviderId"] == ACME
    assert made["status"] == "New" and made["name"] == "Ann"
    assert made["start"]
    shown = await api.ok("crm.Bookings_GetForProvider", id=made["id"], booking_provider=ACME)
    assert shown == made
    assert (await api.ok("crm.Bookings_Get", id=made["id"]))["bookingProviderId"] == ACME

    listed = await api.ok("crm.Bookings_GetContactList2", id=made["id"], booking_provider=ACME)
    assert [(c["type"], c["value"], c["memo"]) for c in listed["data"]] == [
        ("Phone", "5555550100", "cell"),
        ("Email", "ann@example.com", ""),
    ]
    tenant_wide = await api.ok("crm.Bookings_GetContactList", id=made["id"])
    assert [c["id"] for c in tenant_wide["data"]] == [c["id"] for c in listed["data"]]


async def test_a_provider_sees_only_its_own_bookings(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    ann = await _book(api, world, ACME, "Ann")
    bob = await _book(api, world, OTHER, "Bob")
    cid = await _book(api, world, ACME, "Cid")

    def ids(body: Any) -> list[int]:
        return [b["id"] for b in body["data"]]

    mine = await api.ok("crm.Bookings_GetList2", booking_provider=ACME)
    assert ids(mine) == [ann["id"], cid["id"]]
    paged = await api.ok(
        "crm.Bookings_GetList2",
        params={"pageSize": 1, "page": 2, "includeTotal": "true"},
        booking_provider=ACME,
    )
    assert ids(paged) == [cid["id"]] and paged["totalCount"] == 2 and not paged["hasMore"]
    assert ids(await api.ok("crm.Bookings_GetList2", booking_provider=OTHER)) == [bob["id"]]
    assert ids(await api.ok("crm.Bookings_GetList2", booking_provider=43)) == []
    # The tenant's own list has them all.
    assert ids(await api.ok("crm.Bookings_GetList")) == [ann["id"], bob["id"], cid["id"]]

    # Another provider's booking is not found through this provider, for any operation.
    theirs = {"id": bob["id"], "booking_provider": ACME}
    await api.fails(404, "crm.Bookings_GetForProvider", **theirs)
    await api.fails(404, "crm.Bookings_Update", json={"name": "Robert"}, **theirs)
    await api.fails(404, "crm.Bookings_GetContactList2", **theirs)
    await api.fails(
        404, "crm.Bookings_CreateContact", json={"type": "Phone", "value": "5555550199"}, **theirs
    )
    await api.fails(404, "crm.Bookings_DismissBooking", json={"callReasonId": 1}, **theirs)
    assert (await api.ok("crm.Bookings_Get", id=bob["id"]))["name"] == "Bob"
    assert (await api.ok("crm.Bookings_Get", id=bob["id"]))["status"] == "New"

    # Its own it changes.
    own = {"id": ann["id"], "booking_provider": ACME}
    changed = await api.ok("crm.Bookings_Update", json={"name": "Anna"}, **own)
    assert changed["name"] == "Anna" and changed["bookingProviderId"] == ACME
    contact = await api.ok(
        "crm.Bookings_CreateContact", json={"type": "Phone", "value": "5555550123"}, **own
    )
    shown = await api.ok("crm.Bookings_GetContactList2", **own)
    assert [c["id"] for c in shown["data"]] == [contact["id"]]
    await api.fails(
        404,
        "crm.Bookings_DeleteContact",
        contactId=contact["id"],
        id=bob["id"],
        booking_provider=OTHER,
    )
    await api.ok("crm.Bookings_DeleteContact", contactId=contact["id"], **own)
    assert (await api.ok("crm.Bookings_GetContactList2", **own))["data"] == []


async def test_a_provider_cannot_give_its_booking_away(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    ann = await _book(api, world, ACME, "Ann")
    own = {"id": ann["id"], "booking_provider": ACME}
    response = await api.call("crm.Bookings_Update", json={"bookingProviderId": OTHER}, **own)
    assert response.status_code in (200, 400), response.text
    assert (await api.ok("crm.Bookings_Get", id=ann["id"]))["bookingProviderId"] == ACME
