"""Pricebook bulk update: services, materials, equipment and discounts/fees changed in one
request, all or nothing, visible on later reads."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, connect, insert, kit

from conftest import Creds
from localtitan.app import LocalTitan

OP = "pricebook.PricebookBulk_Update"


def _full(schema: str, **fields: Any) -> dict[str, Any]:
    """A complete update item (the documents require every field), with ``fields`` set."""
    body: dict[str, Any] = kit.BodyBuilder().build({"$ref": f"pricebook:Pricebook.V2.{schema}"})
    body.update(categories=[], assets=[], recommendations=[], upgrades=[])
    for name in (
        "serviceMaterials",
        "serviceEquipment",
        "otherVendors",
        "variationMaterials",
    ):
        if name in body:
            body[name] = []
    body.update(fields)
    return body


async def _get(api: Api, op: str, rid: Any) -> dict[str, Any]:
    return dict(await api.ok(op, id=rid))


async def test_bulk_update_changes_every_section(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    tune, drain = await insert(
        app,
        creds,
        "pricebook:services",
        [
            {"code": "TUNE", "displayName": "Tune-up", "price": 89},
            {"code": "DRAIN", "displayName": "Drain clean", "price": 150},
        ],
    )
    (filt,) = await insert(
        app, creds, "pricebook:materials", [{"code": "FLT", "displayName": "Filter", "price": 25}]
    )
    (cat,) = await insert(app, creds, "pricebook:categories", [{"name": "Maintenance"}])

    r = await api.call(
        OP,
        json={
            "services": [
                _full(
                    "ServiceBulkUpdateRequest",
                    id=tune["id"],
                    code="TUNE-2",
                    displayName="Tune-up (annual)",
                    price=99,
                    memberPrice=89,
                    categories=[cat["id"]],
                    active=True,
                ),
                _full(
                    "ServiceBulkUpdateRequest",
                    id=drain["id"],
                    code="DRAIN",
                    displayName="Drain clean",
                    price=150,
                    active=False,
                ),
            ],
            "materials": [
                _full(
                    "MaterialBulkUpdateRequest",
                    id=filt["id"],
                    code="FLT",
                    price=27.5,
                    cost=9,
                    displayName="Filter 16x25",
                    active=True,
                ),
            ],
        },
    )
    assert r.status_code == 200, r.text
    got = await _get(api, "pricebook.Services_Get", tune["id"])
    assert got["code"] == "TUNE-2" and got["displayName"] == "Tune-up (annual)"
    assert got["price"] == 99 and got["memberPrice"] == 89
    assert got["categories"] == [{"id": cat["id"], "name": "Maintenance", "active": True}]
    assert (await _get(api, "pricebook.Services_Get", drain["id"]))["active"] is False
    listed = await api.ok("pricebook.Services_GetList", params={"active": "True"})
    assert [s["id"] for s in listed["data"]] == [tune["id"]]
    material = await _get(api, "pricebook.Materials_Get", filt["id"])
    assert material["price"] == 27.5 and material["cost"] == 9

    # One bad item refuses the whole request.
    error = await api.fails(
        400,
        OP,
        json={
            "services": [
                _full("ServiceBulkUpdateRequest", id=tune["id"], code="TUNE-3", price=1),
                _full("ServiceBulkUpdateRequest", id=999999, code="NOPE"),
            ]
        },
    )
    assert "services[1].id" in error["errors"]
    assert (await _get(api, "pricebook.Services_Get", tune["id"]))["code"] == "TUNE-2"
    # Codes stay unique within services.
    error = await api.fails(
        400,
        OP,
        json={"services": [_full("ServiceBulkUpdateRequest", id=drain["id"], code="tune-2")]},
    )
    assert "services[0].code" in error["errors"]
    await api.fails(
        400,
        OP,
        json={"services": [_full("ServiceBulkUpdateRequest", id=drain["id"], categories=[4])]},
    )
    await api.fails(400, OP, json={})


async def test_bulk_create_maps_custom_ids_and_links_new_items(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    (cat,) = await insert(app, creds, "pricebook:categories", [{"name": "Install"}])
    (old,) = await insert(app, creds, "pricebook:materials", [{"code": "PAD", "price": 40}])
    r = await api.call(
        "pricebook.PricebookBulk_Create",
        json={
            "materials": [
                {
                    "customId": "m1",
                    "code": "LINESET",
                    "description": "Line set",
                    "price": 120,
                    "cost": 60,
                }
            ],
            "services": [
                {
                    "customId": "s1",
                    "code": "INSTALL",
                    "description": "Install",
                    "price": 900,
                    "categories": [cat["id"]],
                    "serviceMaterials": [
                        {"customId": "m1", "quantity": 2},
                        {"skuId": old["id"], "quantity": 1},
                    ],
                }
            ],
            "discountAndFees": [
                {
                    "type": "Fee",
                    "code": "TRIP",
                    "description": "Trip fee",
                    "amountType": "Fixed",
                    "amount": 49,
                }
            ],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    (m1,) = body["materials"]
    (s1,) = body["services"]
    assert m1["customId"] == "m1" and s1["customId"] == "s1"
    service = await api.ok("pricebook.Services_Get", id=s1["id"])
    assert service["code"] == "INSTALL" and service["price"] == 900
    assert service["categories"] == [{"id": cat["id"], "name": "Install", "active": True}]
    assert [(m["skuId"], m["quantity"]) for m in service["serviceMaterials"]] == [
        (m1["id"], 2),
        (old["id"], 1),
    ]
    material = await api.ok("pricebook.Materials_Get", id=m1["id"])
    assert material["code"] == "LINESET" and material["active"] is True
    fee = await api.ok("pricebook.DiscountAndFees_Get", id=body["discountAndFees"][0]["id"])
    assert fee["amount"] == 49 and fee["type"] == "Fee"

    before = len((await api.ok("pricebook.Services_GetList"))["data"])
    error = await api.fails(
        400,
        "pricebook.PricebookBulk_Create",
        json={
            "services": [
                {"code": "NEW-1", "description": "ok"},
                {
                    "code": "NEW-2",
                    "description": "bad link",
                    "serviceMaterials": [{"customId": "nope", "quantity": 1}],
                },
            ]
        },
    )
    assert "services[1].serviceMaterials[0].customId" in error["errors"]
    assert len((await api.ok("pricebook.Services_GetList"))["data"]) == before
    await api.fails(
        400,
        "pricebook.PricebookBulk_Create",
        json={"services": [{"code": "install", "description": "dup"}]},
    )
