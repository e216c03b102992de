"""The installed equipment a job works on, as an integration attaching it sees it: the job's
equipment list, the job itself and the jobs list filtered by equipment all agree."""

from __future__ import annotations

from typing import Any

import httpx
from domain_kit import Api, World, connect

from conftest import Creds
from localtitan.app import LocalTitan


async def _equipment(api: Api, world: World, name: str) -> int:
    body = await world.body("equipmentsystems.InstalledEquipment_Create")
    body["name"] = name
    made = await api.ok("equipmentsystems.InstalledEquipment_Create", json=body)
    return int(made["id"])


async def _job_ids(api: Api, **params: Any) -> list[int]:
    listed = await api.ok("jpm.Jobs_GetList", params=params)
    return [j["id"] for j in listed["data"]]


async def test_attached_equipment_shows_on_the_job_and_filters_jobs(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    furnace = await _equipment(api, world, "Furnace")
    boiler = await _equipment(api, world, "Boiler")
    spare = await _equipment(api, world, "Water heater")
    job = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    other = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    jid = job["id"]

    attached = await api.ok(
        "jpm.JobEquipment_Attach", id=jid, json={"equipmentIds": [furnace, boiler, furnace]}
    )
    assert attached == {"equipmentIds": [furnace, boiler]}
    assert await api.ok("jpm.JobEquipment_Get", id=jid) == {"equipmentIds": [furnace, boiler]}
    assert (await api.ok("jpm.Jobs_Get", id=jid))["equipmentIds"] == [furnace, boiler]
    # Attaching again adds only what is new.
    again = await api.ok("jpm.JobEquipment_Attach", id=jid, json={"equipmentIds": [boiler]})
    assert again == {"equipmentIds": [furnace, boiler]}

    assert await _job_ids(api, equipmentIds=str(furnace)) == [jid]
    assert await _job_ids(api, equipmentIds=f"{spare},{boiler}") == [jid]
    assert await _job_ids(api, equipmentIds=str(spare)) == []
    assert sorted(await _job_ids(api)) == sorted([jid, other["id"]])

    # Detaching one the job lists works (204 No Content, as documented), and only once.
    detached = await api.call("jpm.JobEquipment_Detach", id=jid, equipmentId=furnace)
    assert (detached.status_code, detached.content) == (204, b"")
    assert await api.ok("jpm.JobEquipment_Get", id=jid) == {"equipmentIds": [boiler]}
    assert await _job_ids(api, equipmentIds=str(furnace)) == []
    await api.fails(404, "jpm.JobEquipment_Detach", id=jid, equipmentId=furnace)

    detached = await api.call(
        "jpm.JobEquipment_DetachBulk", id=jid, json={"equipmentIds": [boiler, spare]}
    )
    assert detached.status_code == 204
    assert await api.ok("jpm.JobEquipment_Get", id=jid) == {"equipmentIds": []}
    assert (await api.ok("jpm.Jobs_Get", id=jid))["equipmentIds"] == []
    assert await _job_ids(api, equipmentIds=str(boiler)) == []


async def test_equipment_that_is_not_there(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    furnace = await _equipment(api, world, "Furnace")
    job = await api.ok("jpm.Jobs_Create", json=await world.job_body())
    jid = job["id"]

    error = await api.fails(
        400, "jpm.JobEquipment_Attach", id=jid, json={"equipmentIds": [furnace, 999999]}
    )
    assert list(error["errors"]) == ["equipmentIds[1]"]
    # Nothing was attached by the refused request.
    assert await api.ok("jpm.JobEquipment_Get", id=jid) == {"equipmentIds": []}
    error = await api.fails(
        400, "jpm.JobEquipment_DetachBulk", id=jid, json={"equipmentIds": [999999]}
    )
    assert list(error["errors"]) == ["equipmentIds[0]"]
    await api.fails(404, "jpm.JobEquipment_Attach", id=999999, json={"equipmentIds": [furnace]})
    await api.fails(404, "jpm.JobEquipment_Get", id=999999)
    await api.fails(404, "jpm.JobEquipment_Detach", id=jid, equipmentId=furnace)
    error = await api.fails(400, "jpm.Jobs_GetList", params={"equipmentIds": "furnace"})
    assert "equipmentIds" in error["errors"]
