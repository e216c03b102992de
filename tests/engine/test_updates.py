"""PATCH merges into the record, PUT replaces it; neither can touch the
fields the server owns, and a missing record is a 404 in the error shape."""

from __future__ import annotations

import httpx
from engine_kit import World, connect, parse_z

from conftest import Creds
from localtitan.app import LocalTitan


async def test_patch_merges(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    cid = await world.ref("crm:customers")
    before = await api.ok("crm.Customers_Get", id=cid)
    address = {
        **before["address"],
        "city": "Shelbyville",
        "unit": "2",
        "latitude": 1.5,
        "longitude": 2.5,
    }
    await api.ok("crm.Customers_Update", id=cid, json={"address": address, "doNotMail": True})
    after = await api.ok("crm.Customers_Get", id=cid)
    assert after["address"] == address
    assert after["doNotMail"] is True
    assert after["name"] == before["name"]
    assert parse_z(after["modifiedOn"]) > parse_z(before["modifiedOn"])
    # The server's fields are not the client's to set.
    await api.ok("crm.Customers_Update", id=cid, json={"name": "Renamed", "doNotService": True})
    raw = await api.raw(
        "PATCH",
        api.url("crm.Customers_Update", id=cid),
        json={"id": 5, "createdOn": "2000-01-01T00:00:00Z"},
    )
    assert raw.status_code in (200, 400)
    shown = await api.ok("crm.Customers_Get", id=cid)
    assert shown["id"] == cid and shown["createdOn"] == before["createdOn"]
    assert shown["name"] == "Renamed"
    error = await api.fails(404, "crm.Customers_Update", id=1, json={"name": "x"})
    assert error["title"] and error["traceId"]


async def test_put_replaces_the_record(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await api.ok(
        "crm.Contacts_Create", json={"name": "Pat", "title": "Owner", "referenceId": "R-1"}
    )
    cid = made["id"]
    await api.ok("crm.Contacts_Replace", id=cid, json={"name": "Pat Doe", "isArchived": False})
    shown = await api.ok("crm.Contacts_Get", id=cid)
    assert shown["name"] == "Pat Doe"
    # What the PUT left out is gone; what the server owns stays.
    assert shown["title"] is None and shown["referenceId"] is None
    assert shown["id"] == cid and shown["createdOn"] == made["createdOn"]
    # PATCH, by contrast, keeps what it does not name.
    await api.ok("crm.Contacts_Update", id=cid, json={"title": "CEO", "isArchived": False})
    await api.ok("crm.Contacts_Update", id=cid, json={"name": "P. Doe", "isArchived": False})
    shown = await api.ok("crm.Contacts_Get", id=cid)
    assert (shown["name"], shown["title"]) == ("P. Doe", "CEO")
    await api.fails(
        404,
        "crm.Contacts_Replace",
        id="00000000-0000-0000-0000-000000000001",
        json={"isArchived": False},
    )
    listed = await api.ok("crm.Contacts_GetList", params={"name": "doe"})
    assert [c["id"] for c in listed["data"]] == [cid]
