"""Task Management's client-side data and Sales' proposal types, read from the tenant's
records."""

from __future__ import annotations

import httpx
from domain_kit import connect, insert
from raw_records import insert_raw

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.domain.proposal_types import PROPOSAL_TYPES
from localtitan.domain.task_client_data import TASK_RESOLUTIONS, TASK_SOURCES, TASK_TYPES


async def test_client_side_data_lists_the_tenants_task_setup(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = await api.ok("taskmanagement.ClientSideData_Get")
    assert body["employees"] == [] and body["taskTypes"] == []
    assert [p["name"] for p in body["taskPriorities"]] == ["Low", "Normal", "High", "Urgent"]
    assert [s["name"] for s in body["taskStatuses"]] == [
        "ToDo",
        "InProgress",
        "OnHold",
        "Canceled",
        "Completed",
    ]
    assert body["taskResolutionTypes"] == [{"name": "Custom"}, {"name": "Refund"}]

    ann, bob = await insert(
        app, creds, "settings:employees", [{"name": "Ann"}, {"name": "Bob", "active": False}]
    )
    north, _ = await insert(
        app,
        creds,
        "settings:business-units",
        [{"name": "North"}, {"name": "Closed unit", "active": False}],
    )
    refund, fixed = await insert_raw(
        app,
        creds,
        TASK_RESOLUTIONS,
        [{"name": "Refund issued", "type": "Refund"}, {"name": "Fixed", "type": "Custom"}],
    )
    (billing,) = await insert_raw(
        app,
        creds,
        TASK_TYPES,
        [{"name": "Billing", "excludedTaskResolutionIds": [fixed["id"]]}],
    )
    await insert_raw(app, creds, TASK_SOURCES, [{"name": "Phone", "active": False}])
    body = await api.ok("taskmanagement.ClientSideData_Get")
    assert body["employees"] == [
        {"id": ann["id"], "name": "Ann", "active": True},
        {"id": bob["id"], "name": "Bob", "active": False},
    ]
    assert body["businessUnits"] == [{"name": "North", "value": north["id"]}]
    assert body["taskTypes"] == [
        {
            "id": billing["id"],
            "name": "Billing",
            "active": True,
            "excludedTaskResolutionIds": [fixed["id"]],
        }
    ]
    assert body["taskSources"][0]["name"] == "Phone"
    assert body["taskSources"][0]["active"] is False
    assert [(r["name"], r["type"]) for r in body["taskResolutions"]] == [
        ("Refund issued", "Refund"),
        ("Fixed", "Custom"),
    ]
    assert refund["id"]


async def test_proposal_types_with_the_active_filter(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    assert (await api.ok("sales.ProposalTypes_Get")) == {"data": []}
    good, old = await insert_raw(
        app,
        creds,
        PROPOSAL_TYPES,
        [
            {
                "name": "Good-better-best",
                "type": "Progressive",
                "isSystemDefault": True,
                "isDefault": True,
                "options": [
                    {"id": 3, "name": "Best", "order": 3, "estimateType": "Standard"},
                    {"id": 1, "name": "Good", "order": 1, "estimateType": "Standard"},
                    {
                        "id": 2,
                        "name": "Better",
                        "order": 2,
                        "estimateType": "Standard",
                        "color": "#00f",
                    },
                ],
            },
            {"name": "Old add-ons", "type": "Additive", "active": False, "options": []},
        ],
    )
    body = await api.ok("sales.ProposalTypes_Get")
    assert [t["id"] for t in body["data"]] == [good["id"]]
    first = body["data"][0]
    assert first["type"] == "Progressive" and first["isDefault"] is True
    assert [o["name"] for o in first["options"]] == ["Good", "Better", "Best"]
    assert first["options"][1]["color"] == "#00f"
    inactive = await api.ok("sales.ProposalTypes_Get", params={"active": "False"})
    assert [t["id"] for t in inactive["data"]] == [old["id"]]
    assert inactive["data"][0]["active"] is False
    every = await api.ok("sales.ProposalTypes_Get", params={"active": "Any"})
    assert len(every["data"]) == 2
    await api.fails(400, "sales.ProposalTypes_Get", params={"active": "maybe"})
