"""A replace (PUT) sets what its request can name and keeps what it cannot."""

from __future__ import annotations

import httpx
from engine_kit import World, connect, created_id, operation

from conftest import Creds
from localtitan.app import LocalTitan


async def test_a_replace_keeps_what_its_request_cannot_name(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    # Non-job appointments' update body has no ``active``: replacing one must not switch it off.
    api = await connect(client, creds)
    world = World(api, app)
    create = operation("dispatch.NonJobAppointments_Create")
    made = await api.ok(create, json=await world.body(create, "Training"))
    rid = created_id(create, made)
    before = await api.ok("dispatch.NonJobAppointments_Get", id=rid)
    assert before["active"] is True
    update = operation("dispatch.NonJobAppointments_Update")
    body = await world.body(update, "Training, moved")
    body["name"] = "Training, moved"
    await api.ok(update, json=body, id=rid)
    after = await api.ok("dispatch.NonJobAppointments_Get", id=rid)
    assert after["name"] == "Training, moved"
    assert after["active"] is True
    assert after["createdOn"] == before["createdOn"]
    listed = await api.ok("dispatch.NonJobAppointments_GetList", params={"ids": str(rid)})
    assert [r["id"] for r in listed["data"]] == [rid]
