"""2xx answers keep their reference schema where the fuzz run of issue 11 found they did not:
deletes that declare a result object, a recurring-service event marked complete, and a record
holding an object where another operation of its collection declares a scalar."""

from __future__ import annotations

from datetime import timedelta

import httpx
from engine_kit import MANIFEST, collection, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.handling.catalog import response_schema
from localtitan.handling.shaping import shape, timespan_text


async def test_deletes_answer_their_declared_result(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    for op_id, kind in (
        ("dispatch.TechnicianShifts_Delete", "dispatch:technician-shifts"),
        ("dispatch.TechnicianSkills_Delete", "dispatch:technician-skills"),
        ("dispatch.NonJobAppointments_Delete", "dispatch:non-job-appointments"),
    ):
        assert collection(kind).kind == kind
        made = (await insert(app, creds, kind, [{"name": "Made for deletion"}]))[0]
        response = await api.call(op_id, id=made["id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == made["id"], body
        props = MANIFEST.resolve(response_schema(MANIFEST.by_id[op_id]) or {})["properties"]
        assert set(body) == set(props)
        if "message" in props:
            assert isinstance(body["message"], str) and body["message"]
        # Deleted for real: a second delete finds nothing.
        again = await api.call(op_id, id=made["id"])
        assert again.status_code == 404


async def test_a_completed_event_has_a_status_of_the_enum(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    kind = "memberships:recurring-service-events"
    event = (await insert(app, creds, kind, [{"status": "NotAttempted", "date": None}]))[0]
    await api.ok(
        "memberships.LocationRecurringServiceEvents_MarkComplete", id=event["id"], json={"jobId": 1}
    )
    listed = await api.ok("memberships.LocationRecurringServiceEvents_GetList")
    statuses = MANIFEST.schemas["memberships:Memberships.V2.OpportunityStatus"]["enum"]
    found = [e for e in listed["data"] if e["id"] == event["id"]]
    assert found and found[0]["status"] == "Won"
    assert found[0]["status"] in statuses


def test_an_object_never_becomes_its_text() -> None:
    export = MANIFEST.by_id["telecom.Export_Calls"]
    schema = response_schema(export)
    assert schema is not None
    page = {"hasMore": False, "continueFrom": "x", "data": [{"id": 1, "type": {"id": 7}}]}
    shaped = shape(MANIFEST, schema, page)
    assert shaped["data"][0]["type"] is None  # the call type (an enum), not "{'id': 7}"


def test_timespans_are_written_as_dotnet_does() -> None:
    assert timespan_text(timedelta(0)) == "00:00:00"
    assert timespan_text(timedelta(hours=8, minutes=5)) == "08:05:00"
    assert timespan_text(timedelta(days=2, seconds=1, microseconds=5)) == "2.00:00:01.0000050"
    assert timespan_text(-timedelta(minutes=90)) == "-01:30:00"
    window = MANIFEST.by_id["dispatch.ArrivalWindows_Create"]
    schema = response_schema(window)
    assert schema is not None
    shaped = shape(MANIFEST, schema, {"start": timedelta(hours=9), "duration": timedelta(0)})
    assert (shaped["start"], shaped["duration"]) == ("09:00:00", "00:00:00")
