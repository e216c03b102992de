"""Bodies as ServiceTitan's Newtonsoft.Json formatter reads them, through the door on both
backends: the data-sync connector's ``"skillBasedAvailability": "false"`` is a boolean."""

from __future__ import annotations

import httpx
from engine_kit import ERROR_KEYS, connect

from conftest import Creds
from localtitan.app import LocalTitan

CAPACITY = "dispatch.Capacity_GetList"
WINDOW = {"startsOnOrAfter": "2024-05-01T00:00:00Z", "endsOnOrBefore": "2024-05-02T00:00:00Z"}


async def test_string_boolean_in_a_capacity_request(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    body = await api.ok(CAPACITY, json=dict(WINDOW, skillBasedAvailability="false"))
    assert isinstance(body["availabilities"], list)
    refused = await api.fails(400, CAPACITY, json=dict(WINDOW, skillBasedAvailability="nope"))
    assert set(refused) >= ERROR_KEYS
    assert list(refused["errors"]) == ["skillBasedAvailability"]
    (message,) = refused["errors"]["skillBasedAvailability"]
    assert message.startswith(
        "Could not convert string to boolean: nope. Path 'skillBasedAvailability', line 1, "
        "position "
    ), message


async def test_a_number_and_a_string_boolean_create_a_tag_type(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    sent = {"name": 7, "color": "#00FF00", "isConversionOpportunity": "True"}
    made = await api.ok("settings.TagTypes_Create", json=sent)
    listed = await api.ok("settings.TagTypes_GetList", params={"ids": str(made["id"])})
    (tag,) = listed["data"]
    assert tag["name"] == "7"
    assert tag["isConversionOpportunity"] is True
