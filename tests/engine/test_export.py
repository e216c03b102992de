"""Export feeds: where ``from`` starts, what a continuation token is, what the feed includes,
and that a reader following the feed while others write misses nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from engine_kit import Api, World, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.engine.generic import EXPORT_PAGE_SIZE

SERVICES = "pricebook.Export_Services"
CUSTOMERS = "crm.ExportCustomers_GetCustomers"
TAG_TYPES = "settings.Export_TagTypes"


async def _follow(api: Api, op: str, start: str | None = None) -> tuple[list[Any], str]:
    token = start
    seen: list[Any] = []
    for _ in range(100):
        body = await api.ok(op, params={"from": token} if token else None)
        assert set(body) == {"hasMore", "continueFrom", "data"}
        seen += [r["id"] for r in body["data"]]
        token = body["continueFrom"]
        assert isinstance(token, str) and token
        if not body["hasMore"]:
            return seen, token
    raise AssertionError("the feed never ends")


async def test_from_a_date_starts_at_that_modification_time(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    t0 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    made = await insert(
        app,
        creds,
        "pricebook:services",
        [{"code": f"S{i}"} for i in range(4)],
        times=[t0 + timedelta(days=d) for d in range(4)],
    )
    ids = [r["id"] for r in made]
    assert (await _follow(api, SERVICES))[0] == ids
    assert (await _follow(api, SERVICES, "2024-02-03"))[0] == ids[2:]
    # Inclusive: a record modified exactly at the date is in.
    assert (await _follow(api, SERVICES, "2024-02-02T09:00:00Z"))[0] == ids[1:]
    assert (await _follow(api, SERVICES, "2024-02-02T09:00:00.0000001Z"))[0] == ids[2:]
    assert (await _follow(api, SERVICES, "2030-01-01"))[0] == []
    # A change later on brings a record back into a date-started feed.
    await api.ok("pricebook.Services_Update", id=ids[0], json={"displayName": "Now"})
    assert (await _follow(api, SERVICES, "2024-02-03"))[0] == [ids[2], ids[3], ids[0]]


async def test_a_date_started_feed_keeps_its_date_when_continued(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    t0 = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    (recent,) = await insert(app, creds, "pricebook:services", [{"code": "NEW"}], times=[t0])
    _, token = await _follow(api, SERVICES, "2024-01-15")
    # Written later but dated before the feed's start (as an import or a seed does it).
    await insert(
        app, creds, "pricebook:services", [{"code": "OLD"}], times=[t0 - timedelta(days=60)]
    )
    assert (await _follow(api, SERVICES, token))[0] == []
    # An empty first page still moves the feed forward: continuing it does not restart it.
    nothing, token = await _follow(api, SERVICES, "2030-01-01")
    assert nothing == []
    assert (await _follow(api, SERVICES, token))[0] == []
    await api.ok("pricebook.Services_Update", id=recent["id"], json={"displayName": "Now"})
    assert (await _follow(api, SERVICES, "2024-01-15"))[0] == [recent["id"]]


async def test_bad_from_and_foreign_tokens_are_400(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    await World(api, app).ref("crm:customers")
    _, customers_token = await _follow(api, CUSTOMERS)
    for bad in ("yesterday", "2024-13-45", "not-a-token", customers_token[:-2] + "xx"):
        error = await api.fails(400, CUSTOMERS, params={"from": bad})
        assert "from" in error["errors"], bad
    # A token of the customers feed means nothing to the locations feed.
    error = await api.fails(400, "crm.ExportLocations_Locations", params={"from": customers_token})
    assert "from" in error["errors"]
    # ...while it does resume its own feed.
    assert (await _follow(api, CUSTOMERS, customers_token))[0] == []


async def test_caught_up_feed_still_hands_a_token(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    empty = await api.ok(SERVICES)
    assert empty["hasMore"] is False and empty["data"] == []
    token = empty["continueFrom"]
    assert token
    made = await insert(app, creds, "pricebook:services", [{"code": "X"}])
    body = await api.ok(SERVICES, params={"from": token})
    assert [r["id"] for r in body["data"]] == [made[0]["id"]]
    assert body["hasMore"] is False and body["continueFrom"]
    again = await api.ok(SERVICES, params={"from": body["continueFrom"]})
    assert again["data"] == [] and again["continueFrom"]


async def test_pages_of_a_thousand(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app, creds, "pricebook:services", [{"code": f"S{i}"} for i in range(EXPORT_PAGE_SIZE + 1)]
    )
    first = await api.ok(SERVICES)
    assert first["hasMore"] is True and len(first["data"]) == EXPORT_PAGE_SIZE
    second = await api.ok(SERVICES, params={"from": first["continueFrom"]})
    assert second["hasMore"] is False and len(second["data"]) == 1
    seen = [r["id"] for r in first["data"] + second["data"]]
    assert seen == [r["id"] for r in made]


async def test_inactive_and_deleted_records_are_exported(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    customer = await world.ref("crm:customers")
    await api.ok("crm.Customers_Update", id=customer, json={"active": False})
    service = await api.ok(
        "pricebook.Services_Create", json=await world.body("pricebook.Services_Create")
    )
    _, token = await _follow(api, SERVICES)
    await api.ok("pricebook.Services_Delete", id=service["id"])
    await api.fails(404, "pricebook.Services_Get", id=service["id"])

    exported = await api.ok(CUSTOMERS)
    assert [(r["id"], r["active"]) for r in exported["data"]] == [(customer, False)]
    after = await api.ok(SERVICES, params={"from": token})
    assert [(r["id"], r["active"]) for r in after["data"]] == [(service["id"], False)]
    everything, _ = await _follow(api, SERVICES)
    assert everything == [service["id"]]
    # Lists leave both out by default.
    assert (await api.ok("crm.Customers_GetList"))["data"] == []
    assert (await api.ok("pricebook.Services_GetList", params={"active": "Any"}))["data"] == []


async def test_a_reader_following_concurrent_writers_misses_nothing(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = {"name": "Tag", "color": "#336699", "code": "T", "importance": "Medium"}
    created: list[Any] = []
    writers_done = asyncio.Event()

    async def writer(n: int) -> None:
        for i in range(8):
            made = await api.ok("settings.TagTypes_Create", json={**body, "name": f"W{n}-{i}"})
            created.append(made["id"])
            await asyncio.sleep(0)

    async def reader() -> list[Any]:
        seen: list[Any] = []
        token = None
        while True:
            done = writers_done.is_set()
            page = await api.ok(TAG_TYPES, params={"from": token} if token else None)
            seen += [r["id"] for r in page["data"]]
            token = page["continueFrom"]
            if done and not page["hasMore"]:
                # Caught up after the last write committed.
                return seen
            await asyncio.sleep(0)

    async def write_all() -> None:
        await asyncio.gather(*(writer(n) for n in range(4)))
        writers_done.set()

    seen, _ = await asyncio.gather(reader(), write_all())
    assert len(created) == 32
    assert set(created) <= set(seen), f"missed {sorted(set(created) - set(seen))}"
    # Creates never change, so each shows once.
    assert len(seen) == len(set(seen))


async def test_contact_feeds_follow_the_contacts_customers_are_made_with(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = await World(api, app).body("crm.Customers_Create")
    body["contacts"] = [{"type": "Email", "value": "ann@example.com"}]
    body["locations"][0]["contacts"] = [{"type": "Phone", "value": "5125550100"}]
    customer = await api.ok("crm.Customers_Create", json=body)
    customer_contacts, _ = await _follow(api, "crm.ExportContacts_CustomersContacts")
    assert customer_contacts == [c["id"] for c in customer["contacts"]]
    location_contacts, _ = await _follow(api, "crm.ExportContacts_LocationsContacts")
    assert location_contacts == [c["id"] for c in customer["locations"][0]["contacts"]]


async def test_a_walk_sees_what_changed_while_it_read_a_full_page(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    # After a full page the server reads the next one ahead (docs/decisions/0240); changes
    # made while the client reads still reach it, and the page that says it has caught up
    # holds every change made before it was asked for.
    api = await connect(client, creds)
    total = 2 * EXPORT_PAGE_SIZE + 1
    made = await insert(app, creds, "pricebook:services", [{"code": f"S{i}"} for i in range(total)])
    page = await api.ok(SERVICES)
    assert page["hasMore"] is True
    seen = list(page["data"])
    changed = made[EXPORT_PAGE_SIZE + 5]["id"]  # on the second page
    await api.ok("pricebook.Services_Update", id=changed, json={"displayName": "Changed"})
    (late,) = await insert(app, creds, "pricebook:services", [{"code": "LATE"}])
    while page["hasMore"]:
        page = await api.ok(SERVICES, params={"from": page["continueFrom"]})
        seen += page["data"]
    assert {r["id"] for r in seen} == {r["id"] for r in made} | {late["id"]}
    # Applied in order, the feed leaves the client with the change.
    final = {r["id"]: r for r in seen}
    assert final[changed]["displayName"] == "Changed"
    caught_up = await api.ok(SERVICES, params={"from": page["continueFrom"]})
    assert caught_up["data"] == [] and caught_up["hasMore"] is False
