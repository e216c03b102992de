"""Accounting batch actions: marking invoices as exported, custom-field batches, payment
statuses. All or nothing, and limited to 500 records a request."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan


async def _invoice(api: Api, iid: Any) -> dict[str, Any]:
    body = await api.ok("accounting.Invoices_GetList", params={"ids": str(iid)})
    assert len(body["data"]) == 1
    return dict(body["data"][0])


async def test_mark_invoices_as_exported(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(app, creds, "accounting:invoices", [{"total": "10.00"}, {"total": "5"}])
    a, b = (r["id"] for r in made)
    _, token = await _exported(api)
    results = await api.ok(
        "accounting.Invoices_MarkAsExported",
        json=[
            {"invoiceId": a, "externalId": "QB-1", "externalMessage": "ok"},
            {"invoiceId": 1, "externalId": "QB-2"},
        ],
    )
    assert results[0] == {"invoiceId": a, "success": True, "errorMessage": None}
    assert results[1]["invoiceId"] == 1 and results[1]["success"] is False
    assert results[1]["errorMessage"]
    first = await _invoice(api, a)
    assert first["exportId"] == "QB-1" and first["syncStatus"] == "Exported"
    assert first["total"] == "10.00"
    assert (await _invoice(api, b))["exportId"] is None
    # The accounting system reading the feed sees the change.
    changed, _ = await _exported(api, token)
    assert changed == [a]
    error = await api.fails(
        400, "accounting.Invoices_MarkAsExported", json=[{"invoiceId": a}] * 501
    )
    assert error["errors"]


async def _exported(api: Api, token: str | None = None) -> tuple[list[Any], str]:
    body = await api.ok("accounting.Export_Invoices", params={"from": token} if token else None)
    return [r["id"] for r in body["data"]], body["continueFrom"]


async def test_invoice_custom_fields_batch(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "accounting:invoices",
        [{"customFields": [{"name": "PO", "value": "1"}]}, {}],
    )
    a, b = (r["id"] for r in made)
    await api.ok(
        "accounting.Invoices_UpdateCustomFields",
        json={
            "operations": [
                {"objectId": a, "customFields": [{"name": "Region", "value": "North"}]},
                {"objectId": b, "customFields": [{"name": "PO", "value": "77"}]},
            ]
        },
    )
    fields = {f["name"]: f["value"] for f in (await _invoice(api, a))["customFields"]}
    assert fields == {"PO": "1", "Region": "North"}
    fields = {f["name"]: f["value"] for f in (await _invoice(api, b))["customFields"]}
    assert fields == {"PO": "77"}
    # Overwrite by name.
    await api.ok(
        "accounting.Invoices_UpdateCustomFields",
        json={"operations": [{"objectId": a, "customFields": [{"name": "PO", "value": "2"}]}]},
    )
    fields = {f["name"]: f["value"] for f in (await _invoice(api, a))["customFields"]}
    assert fields == {"PO": "2", "Region": "North"}
    # One unknown record: a 400 naming it, and the known one is left as it was.
    error = await api.fails(
        400,
        "accounting.Invoices_UpdateCustomFields",
        json={
            "operations": [
                {"objectId": b, "customFields": [{"name": "PO", "value": "lost"}]},
                {"objectId": 1, "customFields": [{"name": "PO", "value": "x"}]},
            ]
        },
    )
    assert "operations[1].objectId" in error["errors"]
    fields = {f["name"]: f["value"] for f in (await _invoice(api, b))["customFields"]}
    assert fields == {"PO": "77"}
    many = [{"objectId": a, "customFields": []}] * 501
    await api.fails(400, "accounting.Invoices_UpdateCustomFields", json={"operations": many})


async def test_payment_status_batch(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(app, creds, "accounting:payments", [{"total": "3.50"}] * 2)
    ids = [r["id"] for r in made]
    await api.ok("accounting.Payments_UpdateStatus", json={"paymentIds": ids, "status": "Posted"})
    listed = await api.ok("accounting.Payments_GetList", params={"ids": ",".join(map(str, ids))})
    assert {p["syncStatus"] for p in listed["data"]} == {"Posted"}
    error = await api.fails(
        400, "accounting.Payments_UpdateStatus", json={"paymentIds": [1], "status": "Posted"}
    )
    assert "paymentIds[0]" in error["errors"]
