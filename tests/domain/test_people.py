"""Technician ratings and account actions."""

from __future__ import annotations

import httpx
from domain_kit import World, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

RATE = "customer-interactions.TechnicianRatings_Update"
RATINGS = "customer-interactions.TechnicianRatings_GetList"


async def test_a_rating_per_technician_and_job(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    tech = await world.ref("settings:technicians")
    job = await world.ref("jpm:jobs")
    made = await api.ok(RATE, json={"technicianId": tech, "jobId": job, "rating": 4})
    assert (made["technicianId"], made["jobId"], made["rating"]) == (tech, job, 4)
    # Rating the same technician for the same job again changes the rating.
    await api.ok(RATE, json={"technicianId": tech, "jobId": job, "rating": 5})
    listed = await api.ok(RATINGS, params={"technicianId": tech})
    assert [(r["jobId"], r["rating"]) for r in listed["data"]] == [(job, 5)]
    await api.ok(
        "customer-interactions.TechnicianRating_Update",
        technicianId=tech,
        jobId=job,
        json={"value": 3},
    )
    listed = await api.ok(RATINGS, params={"jobId": job})
    assert [r["rating"] for r in listed["data"]] == [3]
    exported = await api.ok("customer-interactions.Export_TechnicianRatings")
    assert [r["rating"] for r in exported["data"]] == [3]
    error = await api.fails(400, RATE, json={"technicianId": 1, "jobId": job, "rating": 1})
    assert "technicianId" in error["errors"]
    error = await api.fails(400, RATE, json={"technicianId": tech, "jobId": 1, "rating": 1})
    assert "jobId" in error["errors"]


async def test_account_actions(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    tech = (await insert(app, creds, "settings:technicians", [{"name": "Ann"}]))[0]["id"]
    action = "settings.Technicians_AccountActions"
    assert await api.ok(action, id=tech, json={"action": "Deactivate"}) == {"status": "Success"}
    assert (await api.ok("settings.Technicians_Get", id=tech))["active"] is False
    assert (await api.ok("settings.Technicians_GetList"))["data"] == []
    await api.ok(action, id=tech, json={"action": "Activate"})
    assert (await api.ok("settings.Technicians_Get", id=tech))["active"] is True
    error = await api.fails(400, action, id=tech, json={"action": "SendInvite"})
    assert "action" in error["errors"]
    await api.fails(404, action, id=1, json={"action": "Activate"})
