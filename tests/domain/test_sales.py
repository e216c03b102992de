"""Estimates: sell, unsell and dismiss follow the state rules; items change the subtotal."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect

from conftest import Creds
from localtitan.app import LocalTitan


async def _estimate(api: Api, world: World, **extra: Any) -> dict[str, Any]:
    body = await world.body("sales.Estimates_Create")
    body.update(extra)
    return dict(await api.ok("sales.Estimates_Create", json=body))


async def _status(api: Api, eid: Any) -> str:
    return str((await api.ok("sales.Estimates_Get", id=eid))["status"]["name"])


async def test_sell_unsell_dismiss(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    seller = await world.ref("settings:technicians")
    employee = await world.ref("settings:employees")
    estimate = await _estimate(api, world)
    eid = estimate["id"]
    assert estimate["status"] == {"name": "Open", "value": 0}

    sold = await api.ok("sales.Estimates_Sell", id=eid, json={"soldBy": seller})
    assert sold["status"] == {"name": "Sold", "value": 1}
    assert sold["soldBy"] == seller and sold["soldOn"].endswith("Z")
    assert await api.ok("sales.Estimates_Get", id=eid) == sold
    await api.fails(409, "sales.Estimates_Sell", id=eid, json={"soldBy": seller})
    await api.fails(409, "sales.Estimates_Dismiss", id=eid)

    await api.ok("sales.Estimates_Unsell", id=eid)
    shown = await api.ok("sales.Estimates_Get", id=eid)
    assert shown["status"]["name"] == "Open"
    assert shown["soldBy"] is None and shown["soldOn"] is None
    await api.fails(409, "sales.Estimates_Unsell", id=eid)

    # An employee can sell too; an unknown seller cannot.
    response = await api.call("sales.Estimates_Sell", id=eid, json={"soldBy": 1})
    assert 400 <= response.status_code < 500
    assert await _status(api, eid) == "Open"
    await api.ok("sales.Estimates_Sell", id=eid, json={"soldBy": employee})
    await api.ok("sales.Estimates_Unsell", id=eid)

    await api.ok("sales.Estimates_Dismiss", id=eid)
    assert await _status(api, eid) == "Dismissed"
    await api.fails(409, "sales.Estimates_Sell", id=eid, json={"soldBy": seller})
    await api.fails(409, "sales.Estimates_Unsell", id=eid)
    await api.fails(409, "sales.Estimates_Dismiss", id=eid)
    await api.fails(404, "sales.Estimates_Sell", id=1, json={"soldBy": seller})

    # The feed reports the last state.
    exported = await api.ok("sales.EstimatesExport_Estimates")
    assert [(e["id"], e["status"]["name"]) for e in exported["data"]] == [(eid, "Dismissed")]


async def test_an_estimate_created_sold_is_sold(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    estimate = await _estimate(api, world, status="Sold")
    assert estimate["status"] == {"name": "Sold", "value": 1}
    await api.ok("sales.Estimates_Unsell", id=estimate["id"])
    assert await _status(api, estimate["id"]) == "Open"


async def test_items_make_the_subtotal(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    eid = (await _estimate(api, world))["id"]
    first = await api.ok(
        "sales.Estimates_PutItem",
        id=eid,
        json={"skuId": 5, "description": "Filter", "quantity": 2, "unitPrice": 12.5},
    )
    await api.ok(
        "sales.Estimates_PutItem", id=eid, json={"skuId": 6, "quantity": 1, "unitPrice": 100}
    )
    shown = await api.ok("sales.Estimates_Get", id=eid)
    assert shown["subtotal"] == 125
    assert [i["total"] for i in shown["items"]] == [25, 100]
    # The same item again replaces it.
    await api.ok(
        "sales.Estimates_PutItem",
        id=eid,
        json={"id": first["id"], "skuId": 5, "quantity": 1, "unitPrice": 12.5},
    )
    shown = await api.ok("sales.Estimates_Get", id=eid)
    assert shown["subtotal"] == 112.5 and len(shown["items"]) == 2


async def test_replacing_an_estimate_keeps_or_sets_its_status(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    seller = await world.ref("settings:technicians")
    eid = (await _estimate(api, world))["id"]
    await api.ok("sales.Estimates_Sell", id=eid, json={"soldBy": seller})
    body = await world.body("sales.Estimates_Update")
    replaced = await api.ok("sales.Estimates_Update", id=eid, json={**body, "name": "Renamed"})
    assert replaced["name"] == "Renamed" and replaced["status"]["name"] == "Sold"
    await api.ok("sales.Estimates_Update", id=eid, json={**body, "status": "Dismissed"})
    assert await _status(api, eid) == "Dismissed"
    await api.fails(404, "sales.Estimates_Update", id=1, json=body)
