"""Changing and adding invoice items: the item's totals and the invoice's subtotal, tax,
total and balance follow, and later reads show them."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

ITEMS = "accounting:invoices/{}/items"


async def _invoice(api: Api, iid: Any) -> dict[str, Any]:
    body = await api.ok("accounting.Invoices_GetList", params={"ids": str(iid)})
    return dict(body["data"][0])


async def test_update_and_add_invoice_items(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    (service,) = await insert(
        app,
        creds,
        "pricebook:services",
        [
            {
                "code": "TUNE",
                "displayName": "Tune-up",
                "price": 89,
                "memberPrice": 79,
                "cost": 20,
                "taxable": False,
            }
        ],
    )
    (filt,) = await insert(
        app,
        creds,
        "pricebook:materials",
        [{"code": "FLT-16", "displayName": "Filter", "price": 25, "cost": 8, "taxable": True}],
    )
    line = {
        "skuId": filt["id"],
        "skuName": "FLT-16",
        "type": "Material",
        "quantity": "2.00",
        "price": "25.00",
        "total": "50.00",
        "cost": "8.00",
        "totalCost": "16.00",
        "taxable": True,
        "order": 1,
        "description": "Filter",
    }
    (invoice,) = await insert(
        app,
        creds,
        "accounting:invoices",
        [
            {
                "subTotal": "50.00",
                "salesTax": "4.00",
                "total": "54.00",
                "balance": "14.00",
                "salesTaxCode": {"id": 1, "name": "City", "taxRate": 0.08},
                "items": [],
            }
        ],
    )
    (item,) = await insert(app, creds, ITEMS, [line], parent_id=invoice["id"])

    # Three filters at a new price: the item and the invoice follow; the 40.00 paid stays paid.
    r = await api.call(
        "accounting.Invoices_UpdateInvoiceItems",
        json={"id": item["id"], "description": "Filter 16x25", "quantity": 3, "unitPrice": 30},
        invoiceId=invoice["id"],
    )
    assert r.status_code == 200, r.text
    got = await _invoice(api, invoice["id"])
    (changed,) = got["items"]
    assert changed["quantity"] == "3.00" and changed["price"] == "30.00"
    assert changed["total"] == "90.00" and changed["totalCost"] == "24.00"
    assert changed["description"] == "Filter 16x25"
    assert (got["subTotal"], got["salesTax"], got["total"], got["balance"]) == (
        "90.00",
        "7.20",
        "97.20",
        "57.20",
    )

    # A new item from the pricebook, untaxed.
    await api.ok(
        "accounting.Invoices_UpdateInvoiceItems",
        json={"skuId": service["id"], "description": "Tune-up", "quantity": 1},
        invoiceId=invoice["id"],
    )
    got = await _invoice(api, invoice["id"])
    assert [i["skuName"] for i in got["items"]] == ["FLT-16", "TUNE"]
    added = got["items"][1]
    assert added["type"] == "Service" and added["total"] == "89.00" and added["order"] == 2
    assert (got["subTotal"], got["salesTax"], got["total"]) == ("179.00", "7.20", "186.20")
    # The item feed sees the new item.
    feed = await api.ok("accounting.Export_InvoiceItems")
    assert added["id"] in [i["id"] for i in feed["data"]]

    await api.fails(
        404,
        "accounting.Invoices_UpdateInvoiceItems",
        json={"id": 1, "description": "x", "quantity": 1},
        invoiceId=invoice["id"],
    )
    await api.fails(
        404,
        "accounting.Invoices_UpdateInvoiceItems",
        json={"id": item["id"], "description": "x", "quantity": 1},
        invoiceId=7,
    )
    error = await api.fails(
        400,
        "accounting.Invoices_UpdateInvoiceItems",
        json={"description": "x", "quantity": 1},
        invoiceId=invoice["id"],
    )
    assert error["errors"]["skuId"]
    await api.fails(
        400,
        "accounting.Invoices_UpdateInvoiceItems",
        json={"skuId": 12345, "description": "x", "quantity": 1},
        invoiceId=invoice["id"],
    )
    await api.fails(
        400,
        "accounting.Invoices_UpdateInvoiceItems",
        json={"id": item["id"], "description": "x", "quantity": 1e15},
        invoiceId=invoice["id"],
    )
