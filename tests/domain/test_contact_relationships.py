"""Contact relationships: a contact related to a customer, location or booking by path; the
contact's relationships; the contacts of one related record; removal."""

from __future__ import annotations

import httpx
from domain_kit import connect, insert

from conftest import Creds
from localtitan.app import LocalTitan


async def test_create_list_and_delete_relationships(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    ann, bob = await insert(
        app, creds, "crm:contacts", [{"name": "Ann Lee", "title": "Owner"}, {"name": "Bob"}]
    )
    (customer,) = await insert(app, creds, "crm:customers", [{"name": "Lee Family"}])
    (location,) = await insert(app, creds, "crm:locations", [{"name": "Lee home"}])
    create = "crm.Contacts_CreateContactRelationship"

    for contact, related, slug in (
        (ann, customer["id"], "customer"),
        (ann, location["id"], "location"),
        (bob, customer["id"], "customer"),
    ):
        r = await api.call(create, contactId=contact["id"], relatedEntityId=related, typeSlug=slug)
        assert r.status_code == 200, r.text
    listed = await api.ok("crm.Contacts_GetContactRelationshipList", contactId=ann["id"])
    assert [(r["relatedEntityId"], r["typeSlug"], r["typeName"]) for r in listed["data"]] == [
        (customer["id"], "customer", "Customer"),
        (location["id"], "location", "Location"),
    ]
    assert listed["data"][0]["createdBy"] == creds.app_id
    only = await api.ok(
        "crm.Contacts_GetContactRelationshipList",
        params={"typeSlug": "location", "includeTotal": True},
        contactId=ann["id"],
    )
    assert [r["relatedEntityId"] for r in only["data"]] == [location["id"]]
    assert only["totalCount"] == 1
    # Bob's list holds only Bob's relationship.
    bobs = await api.ok("crm.Contacts_GetContactRelationshipList", contactId=bob["id"])
    assert len(bobs["data"]) == 1

    people = await api.ok("crm.Contacts_GetByRelationshipId", relationshipId=customer["id"])
    assert sorted(c["name"] for c in people["data"]) == ["Ann Lee", "Bob"]
    owners = await api.ok(
        "crm.Contacts_GetByRelationshipId",
        params={"title": "owner"},
        relationshipId=customer["id"],
    )
    assert [c["name"] for c in owners["data"]] == ["Ann Lee"]

    await api.fails(
        409, create, contactId=ann["id"], relatedEntityId=customer["id"], typeSlug="customer"
    )
    await api.fails(
        400, create, contactId=ann["id"], relatedEntityId=customer["id"], typeSlug="vendor"
    )
    await api.fails(404, create, contactId=ann["id"], relatedEntityId=999, typeSlug="booking")
    await api.fails(
        404,
        create,
        contactId="00000000-0000-0000-0000-000000000009",
        relatedEntityId=customer["id"],
        typeSlug="customer",
    )

    delete = "crm.Contacts_DeleteContactRelationship"
    r = await api.call(
        delete, contactId=ann["id"], relatedEntityId=customer["id"], typeSlug="customer"
    )
    assert r.status_code == 200, r.text
    listed = await api.ok("crm.Contacts_GetContactRelationshipList", contactId=ann["id"])
    assert [r["typeSlug"] for r in listed["data"]] == ["location"]
    people = await api.ok("crm.Contacts_GetByRelationshipId", relationshipId=customer["id"])
    assert [c["name"] for c in people["data"]] == ["Bob"]
    await api.fails(
        404, delete, contactId=ann["id"], relatedEntityId=customer["id"], typeSlug="customer"
    )
    # Related again after the removal.
    r = await api.call(
        create, contactId=ann["id"], relatedEntityId=customer["id"], typeSlug="customer"
    )
    assert r.status_code == 200, r.text
