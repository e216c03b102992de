"""Budget codes: segments, full and partial codes (one at a time and in batches), matching
codes a client holds against the company's and a project's codes."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, connect, insert
from raw_records import insert_raw

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.domain.budget_codes import ITEMS, PROJECT_CODES, SEGMENTS


async def _structure(app: LocalTitan, creds: Creds) -> dict[str, Any]:
    cost_code, cost_type, area = await insert_raw(
        app,
        creds,
        SEGMENTS,
        [
            {
                "name": "Cost code",
                "type": "CostCode",
                "structure": "Hierarchal",
                "isActive": True,
                "isRequired": True,
            },
            {
                "name": "Cost type",
                "type": "CostType",
                "structure": "Flat",
                "isActive": True,
                "isRequired": True,
            },
            {
                "name": "Area",
                "type": "Custom",
                "structure": "Flat",
                "isActive": True,
                "isRequired": False,
            },
        ],
    )
    codes = await insert(
        app,
        creds,
        ITEMS,
        [
            {"code": "01", "description": "General", "path": "01", "isActive": True},
            {"code": "02", "description": "Sitework", "path": "02", "isActive": True},
        ],
        parent_id=cost_code["id"],
    )
    types = await insert(
        app,
        creds,
        ITEMS,
        [
            {
                "code": "L",
                "description": "Labor",
                "path": "L",
                "isActive": True,
                "costCategory": "Labor",
            }
        ],
        parent_id=cost_type["id"],
    )
    areas = await insert(
        app,
        creds,
        ITEMS,
        [{"code": "N", "description": "North", "path": "N", "isActive": True}],
        parent_id=area["id"],
    )
    return {
        "segments": (cost_code, cost_type, area),
        "codes": codes,
        "types": types,
        "areas": areas,
    }


async def test_segments_list_the_company_structure(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    assert (await api.ok("jpm.BudgetCodes_ListCompanySegments"))["data"] == []
    made = await _structure(app, creds)
    body = await api.ok("jpm.BudgetCodes_ListCompanySegments")
    assert [s["name"] for s in body["data"]] == ["Cost code", "Cost type", "Area"]
    assert body["data"][0] == {
        "id": made["segments"][0]["id"],
        "name": "Cost code",
        "type": "CostCode",
        "structure": "Hierarchal",
        "isActive": True,
        "isRequired": True,
    }
    paged = await api.ok("jpm.BudgetCodes_ListCompanySegments", params={"pageSize": 2, "page": 2})
    assert [s["name"] for s in paged["data"]] == ["Area"]
    await api.fails(400, "jpm.BudgetCodes_ListCompanySegments", params={"pageSize": 0})

    await api.fails(404, "jpm.BudgetCodes_ListProjectSegments", projectId=999999)
    (project,) = await insert(app, creds, "jpm:projects", [{"name": "Tower"}])
    body = await api.ok("jpm.BudgetCodes_ListProjectSegments", projectId=project["id"])
    assert len(body["data"]) == 3


async def test_full_and_partial_codes(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await _structure(app, creds)
    general, site = (c["id"] for c in made["codes"])
    labor = made["types"][0]["id"]
    north = made["areas"][0]["id"]
    cost_code, cost_type, area = (s["id"] for s in made["segments"])

    full = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [general, labor, north]}
    )
    code = full["code"]
    assert code["code"] == "01-L-N"
    assert code["description"] == "General - Labor - North"
    assert [s["segmentItemId"] for s in code["segments"]] == [general, labor, north]
    # The same combination is the same code, not a second one.
    again = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [north, labor, general]}
    )
    assert again["code"]["id"] == code["id"]
    # A full code binds every active segment.
    error = await api.fails(
        400, "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [general, labor]}
    )
    assert error["errors"]["segmentItemIds"]
    await api.fails(
        400, "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [general, site, labor]}
    )
    await api.fails(400, "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [1]})

    # A partial code may leave optional segments out, never required ones.
    partial = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCodePartial",
        json={
            "segments": [
                {"segmentId": cost_code, "segmentItemId": site},
                {"segmentId": cost_type, "segmentItemId": labor},
                {"segmentId": area, "segmentItemId": None},
            ]
        },
    )
    assert partial["code"]["code"] == "02-L"
    assert partial["code"]["segments"][2] == {
        "segmentId": area,
        "segmentItemId": None,
        "code": None,
        "description": None,
        "path": None,
    }
    error = await api.fails(
        400,
        "jpm.BudgetCodes_CreateBudgetCodePartial",
        json={"segments": [{"segmentId": cost_code, "segmentItemId": site}]},
    )
    assert error["errors"]["segments"]
    # An item of another segment is refused.
    await api.fails(
        400,
        "jpm.BudgetCodes_CreateBudgetCodePartial",
        json={
            "segments": [
                {"segmentId": cost_code, "segmentItemId": labor},
                {"segmentId": cost_type, "segmentItemId": labor},
            ]
        },
    )

    listed = await api.ok("jpm.BudgetCodes_ListCompanyBudgetCodes")
    assert sorted(c["code"] for c in listed["data"]) == ["01-L-N", "02-L"]


async def test_batches_are_all_or_nothing(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await _structure(app, creds)
    general, site = (c["id"] for c in made["codes"])
    labor = made["types"][0]["id"]
    north = made["areas"][0]["id"]
    cost_code, cost_type, _ = (s["id"] for s in made["segments"])

    body = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCodesBatch",
        json=[
            {"segmentItemIds": [general, labor, north]},
            {"segmentItemIds": [site, labor, north]},
        ],
    )
    assert [c["code"] for c in body["codes"]] == ["01-L-N", "02-L-N"]
    error = await api.fails(
        400,
        "jpm.BudgetCodes_CreateBudgetCodesPartialBatch",
        json=[
            {
                "segments": [
                    {"segmentId": cost_code, "segmentItemId": general},
                    {"segmentId": cost_type, "segmentItemId": labor},
                ]
            },
            {"segments": [{"segmentId": cost_code, "segmentItemId": site}]},
        ],
    )
    assert "[1].segments" in error["errors"]
    # Nothing of the refused batch was kept.
    listed = await api.ok("jpm.BudgetCodes_ListCompanyBudgetCodes")
    assert len(listed["data"]) == 2
    body = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCodesPartialBatch",
        json=[
            {
                "segments": [
                    {"segmentId": cost_code, "segmentItemId": general},
                    {"segmentId": cost_type, "segmentItemId": labor},
                ]
            }
        ],
    )
    assert body["codes"][0]["code"] == "01-L"
    await api.fails(400, "jpm.BudgetCodes_CreateBudgetCodesBatch", json=[])
    too_many = [{"segmentItemIds": [general, labor, north]}] * 501
    await api.fails(400, "jpm.BudgetCodes_CreateBudgetCodesBatch", json=too_many)


async def _match(api: Api, op: str, codes: list[str], **path: Any) -> list[dict[str, Any]]:
    body = await api.ok(op, params=[("codes", c) for c in codes], **path)
    return list(body["matches"])


async def test_match_codes(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    made = await _structure(app, creds)
    general = made["codes"][0]["id"]
    labor = made["types"][0]["id"]
    north = made["areas"][0]["id"]
    created = await api.ok(
        "jpm.BudgetCodes_CreateBudgetCode", json={"segmentItemIds": [general, labor, north]}
    )
    matches = await _match(api, "jpm.BudgetCodes_MatchCompanyBudgetCodes", ["01-l-n", "99-X"])
    assert matches[0]["code"] == "01-l-n" and matches[0]["isValid"] is True
    assert [c["id"] for c in matches[0]["budgetCodes"]] == [created["code"]["id"]]
    assert matches[1] == {"code": "99-X", "isValid": False, "budgetCodes": []}
    await api.fails(400, "jpm.BudgetCodes_MatchCompanyBudgetCodes", params={"codes": ""})

    (project,) = await insert(app, creds, "jpm:projects", [{"name": "Tower"}])
    await insert(
        app,
        creds,
        PROJECT_CODES,
        [{"code": "02-L", "description": "Sitework - Labor", "segments": []}],
        parent_id=project["id"],
    )
    matches = await _match(
        api,
        "jpm.BudgetCodes_MatchProjectBudgetCodes",
        ["02-L", "01-L-N"],
        projectId=project["id"],
    )
    assert [m["isValid"] for m in matches] == [True, False]
    await api.fails(
        404,
        "jpm.BudgetCodes_MatchProjectBudgetCodes",
        params={"codes": "02-L"},
        projectId=987654,
    )
