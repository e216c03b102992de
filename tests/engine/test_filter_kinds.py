"""One representative of each kind of declared list filter, as a client sends it: fields
stored as objects, ranges, id lists over list fields, booleans, custom fields, external data,
free text, filters answered by related records, and ``orderBy``."""

from __future__ import annotations

from typing import Any

import httpx
from engine_kit import Api, World, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store.records import allocate, get_record, put_record

ESTIMATES = "sales.Estimates_GetList"


async def _ids(api: Api, op: str, params: Any) -> list[Any]:
    body = await api.ok(op, params=params)
    return [r["id"] for r in body["data"]]


async def test_a_field_stored_as_an_object_is_filtered_by_its_name_or_value(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "sales:estimates",
        [
            {"status": {"name": "Open", "value": 0}, "subtotal": 100, "tax": 8},
            {"status": {"name": "Sold", "value": 1}, "subtotal": 900, "tax": 72},
            {"status": {"name": "Open", "value": 0}, "subtotal": 400, "tax": 0},
        ],
    )
    open_one, sold, open_two = (r["id"] for r in made)
    assert await _ids(api, ESTIMATES, {"status": "Open"}) == [open_one, open_two]
    assert await _ids(api, ESTIMATES, {"status": "sold"}) == [sold]
    assert await _ids(api, ESTIMATES, {"status": "1"}) == [sold]
    assert await _ids(api, ESTIMATES, {"status": "Dismissed"}) == []
    # Ranges on the total (subtotal and tax), and orderBy with its direction.
    assert await _ids(api, ESTIMATES, {"totalGreater": "108"}) == [sold, open_two]
    assert await _ids(api, ESTIMATES, {"totalLess": "400.5", "status": "Open"}) == [
        open_one,
        open_two,
    ]
    ordered = {"orderBy": "subtotal", "orderByDirection": "desc"}
    assert await _ids(api, ESTIMATES, ordered) == [sold, open_two, open_one]


async def test_an_id_list_matches_records_holding_any_of_them(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "jpm:jobs",
        [{"tagTypeIds": [11, 12]}, {"tagTypeIds": [13]}, {"tagTypeIds": []}, {}],
    )
    a, b, _, _ = (r["id"] for r in made)
    assert await _ids(api, "jpm.Jobs_GetList", {"tagTypeIds": "12"}) == [a]
    assert await _ids(api, "jpm.Jobs_GetList", {"tagTypeIds": "13,11"}) == [a, b]
    assert await _ids(api, "jpm.Jobs_GetList", {"tagTypeIds": "99"}) == []


async def test_job_filters_answered_by_its_appointments(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    early, late = await insert(app, creds, "jpm:jobs", [{}, {}])
    appointments = await insert(
        app,
        creds,
        "jpm:appointments",
        [
            {"jobId": early["id"], "start": "2024-03-01T09:00:00Z", "unused": False},
            {"jobId": early["id"], "start": "2024-06-01T09:00:00Z", "unused": True},
            {"jobId": late["id"], "start": "2024-05-01T09:00:00Z", "unused": False},
        ],
    )
    first, _, only = appointments
    # Each job names its first appointment, as the engine's jobs do.
    env = creds.environment.value
    for job, appt in ((early, first), (late, only)):
        async with app.runtime.db.begin() as conn:
            alloc = await allocate(conn, env, creds.tenant_id, versions=1)
            stored = await get_record(conn, env, creds.tenant_id, "jpm:jobs", job["id"])
            assert stored is not None
            stored.data["firstAppointmentId"] = appt["id"]
            await put_record(
                conn, env, creds.tenant_id, stored, version=alloc.first_version, new=False
            )
    jobs = "jpm.Jobs_GetList"
    since = {"firstAppointmentStartsOnOrAfter": "2024-04-01T00:00:00Z"}
    assert await _ids(api, jobs, since) == [late["id"]]
    before = {"firstAppointmentStartsBefore": "2024-04-01T00:00:00Z"}
    assert await _ids(api, jobs, before) == [early["id"]]
    # Any appointment: the early job's second one starts in June.
    june = {"appointmentStartsOnOrAfter": "2024-05-15T00:00:00Z"}
    assert await _ids(api, jobs, june) == [early["id"]]
    assert await _ids(api, jobs, {"hasUnusedAppointments": "true"}) == [early["id"]]
    assert await _ids(api, jobs, {"hasUnusedAppointments": "false"}) == [late["id"]]


async def test_custom_fields_every_pair_or_any(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "inventory:vendors",
        [
            {"customFields": [{"name": "Colour", "value": "Red"}, {"name": "Size", "value": "L"}]},
            {"customFields": [{"name": "Colour", "value": "Blue"}, {"name": "Size", "value": "L"}]},
            {"customFields": []},
        ],
    )
    red, blue, _ = (r["id"] for r in made)
    vendors = "inventory.Vendors_GetList"
    assert await _ids(api, vendors, {"customField.Fields[Colour]": "red"}) == [red]
    both = {"customField.Fields[Colour]": "Blue", "customField.Fields[Size]": "L"}
    assert await _ids(api, vendors, both) == [blue]
    either = {"customField.Fields[Colour]": "Red", "customField.Fields[Size]": "XL"}
    assert await _ids(api, vendors, either) == []
    assert await _ids(api, vendors, {**either, "customField.Operator": "Or"}) == [red]


async def test_external_data_key_and_values(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "crm:customers",
        [
            {"name": "A", "externalData": [{"key": "erp", "value": "A-1"}]},
            {"name": "B", "externalData": [{"key": "erp", "value": "B-2"}]},
            {"name": "C", "externalData": [{"key": "crm", "value": "A-1"}]},
        ],
    )
    a, b, c = (r["id"] for r in made)
    customers = "crm.Customers_GetList"
    assert await _ids(api, customers, {"externalDataKey": "erp"}) == [a, b]
    keyed = {"externalDataKey": "erp", "externalDataValues": "A-1,B-2"}
    assert await _ids(api, customers, keyed) == [a, b]
    one = {"externalDataKey": "erp", "externalDataValues": "A-1"}
    assert await _ids(api, customers, one) == [a]
    assert await _ids(api, customers, {"externalDataValues": "A-1"}) == [a, c]


async def test_free_text_searches_a_records_text(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app,
        creds,
        "pricebook:services",
        [
            {"code": "BOIL-1", "displayName": "Boiler tune-up"},
            {"code": "AC-2", "displayName": "Air conditioner", "description": "Not a boiler"},
            {"code": "PL-3", "displayName": "Drain"},
        ],
    )
    boiler, aircon, _ = (r["id"] for r in made)
    services = "pricebook.Services_GetList"
    assert await _ids(api, services, {"searchText": "BOILER"}) == [boiler, aircon]
    assert await _ids(api, services, {"searchText": "ac-2"}) == [aircon]
    assert await _ids(api, services, {"searchText": "%%"}) == []


async def test_ranges_booleans_and_durations(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    bills = await insert(
        app,
        creds,
        "accounting:ap-bills",
        [
            {"billAmount": "120.50", "billDate": "2024-01-10T00:00:00Z"},
            {"billAmount": "80.00", "billDate": "2024-02-10T00:00:00Z"},
        ],
    )
    dear, cheap = (r["id"] for r in bills)
    ap = "accounting.ApBills_GetListPaginated"
    assert await _ids(api, ap, {"minCost": "100"}) == [dear]
    assert await _ids(api, ap, {"maxCost": "80"}) == [cheap]
    feb = {"dateFrom": "2024-02-01T00:00:00Z", "dateTo": "2024-02-28T00:00:00Z"}
    assert await _ids(api, ap, feb) == [cheap]

    calls = await insert(
        app, creds, "telecom:calls", [{"duration": "00:00:40"}, {"duration": "00:03:12"}]
    )
    short, long = (r["id"] for r in calls)
    assert await _ids(api, "telecom.Calls_GetCalls", {"minDuration": 60}) == [long]
    assert await _ids(api, "telecom.Calls_GetCalls", {"minDuration": 40}) == [short, long]

    customer = (await insert(app, creds, "crm:customers", [{"name": "Known"}]))[0]
    leads = await insert(app, creds, "crm:leads", [{"customerId": customer["id"]}, {}])
    known, anonymous = (r["id"] for r in leads)
    assert await _ids(api, "crm.Leads_GetList", {"withoutCustomer": "true"}) == [anonymous]
    assert await _ids(api, "crm.Leads_GetList", {"withoutCustomer": "false"}) == [known]


async def test_project_filters_follow_its_jobs(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    first, second = await insert(
        app,
        creds,
        "jpm:projects",
        [
            {"startDate": "2024-01-01T00:00:00Z", "actualCompletionDate": "2024-03-01T00:00:00Z"},
            {"startDate": "2024-05-01T00:00:00Z"},
        ],
    )
    (job,) = await insert(app, creds, "jpm:jobs", [{"projectId": second["id"]}])
    (appointment,) = await insert(
        app, creds, "jpm:appointments", [{"jobId": job["id"], "start": "2024-05-02T08:00:00Z"}]
    )
    projects = "jpm.Projects_GetList"
    assert await _ids(api, projects, {"jobId": job["id"]}) == [second["id"]]
    assert await _ids(api, projects, {"appointmentId": appointment["id"]}) == [second["id"]]
    assert await _ids(api, projects, {"startsOnOrAfter": "2024-04-01T00:00:00Z"}) == [second["id"]]
    assert await _ids(api, projects, {"completedBefore": "2024-04-01T00:00:00Z"}) == [first["id"]]
    # And appointments by their job's project.
    assert await _ids(api, "jpm.Appointments_GetList", {"projectId": second["id"]}) == [
        appointment["id"]
    ]
    assert await _ids(api, "jpm.Appointments_GetList", {"projectId": first["id"]}) == []


async def test_external_data_written_by_a_client_is_found_by_its_key(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    body = await world.body("crm.Customers_Create")
    guid = "8f14e45f-ceea-467f-a0e6-7f2c2d8e1b3a"
    body["externalData"] = {
        "applicationGuid": guid,
        "externalData": [{"key": "erp", "value": "X-9"}],
    }
    made = await api.ok("crm.Customers_Create", json=body)
    shown = await api.ok("crm.Customers_Get", id=made["id"])
    assert shown["externalData"] == [{"key": "erp", "value": "X-9"}]
    customers = "crm.Customers_GetList"
    found = await _ids(api, customers, {"externalDataKey": "erp", "externalDataValues": "X-9"})
    assert found == [made["id"]]
    assert await _ids(api, customers, {"externalDataApplicationGuid": guid}) == [made["id"]]
    # An update replaces the entries, or with patchMode=Merge keeps those it does not name.
    more = {"applicationGuid": guid, "externalData": [{"key": "crm", "value": "C-1"}]}
    await api.ok("crm.Customers_Update", id=made["id"], json={"externalData": more})
    shown = await api.ok("crm.Customers_Get", id=made["id"])
    assert shown["externalData"] == [{"key": "crm", "value": "C-1"}]
    merged = {**more, "externalData": [{"key": "erp", "value": "X-9"}], "patchMode": "Merge"}
    await api.ok("crm.Customers_Update", id=made["id"], json={"externalData": merged})
    shown = await api.ok("crm.Customers_Get", id=made["id"])
    assert shown["externalData"] == [
        {"key": "crm", "value": "C-1"},
        {"key": "erp", "value": "X-9"},
    ]
    assert await _ids(api, customers, {"externalDataKey": "crm"}) == [made["id"]]
