"""List filters and sorting as a client uses them: ids, date ranges, active, sort, and the
resource filters of jobs, locations, customers and appointments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from engine_kit import Api, World, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

CUSTOMERS = "crm.Customers_GetList"
LOCATIONS = "crm.Locations_GetList"
JOBS = "jpm.Jobs_GetList"
APPOINTMENTS = "jpm.Appointments_GetList"
SERVICES = "pricebook.Services_GetList"
BUSINESS_UNITS = "settings.BusinessUnits_GetList"


async def _ids(api: Api, op: str, **params: Any) -> list[Any]:
    body = await api.ok(op, params=params)
    return [r["id"] for r in body["data"]]


async def _customer(api: Api, world: World, name: str) -> dict[str, Any]:
    body = await world.body("crm.Customers_Create")
    body["name"] = name
    return dict(await api.ok("crm.Customers_Create", json=body))


async def test_ids_filter_and_its_limit(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app, creds, "settings:business-units", [{"name": f"BU {i}"} for i in range(5)]
    )
    ids = [r["id"] for r in made]
    assert await _ids(api, BUSINESS_UNITS, ids=f"{ids[1]},{ids[3]}") == [ids[1], ids[3]]
    assert await _ids(api, BUSINESS_UNITS, ids=str(ids[0])) == [ids[0]]
    # An id of nothing is no error, just no record.
    assert await _ids(api, BUSINESS_UNITS, ids="1") == []
    fifty = ",".join(str(ids[0] + i) for i in range(50))
    assert set(await _ids(api, BUSINESS_UNITS, ids=fifty)) == set(ids)
    error = await api.fails(
        400, BUSINESS_UNITS, params={"ids": ",".join(str(ids[0] + i) for i in range(51))}
    )
    assert "ids" in error["errors"]
    error = await api.fails(400, BUSINESS_UNITS, params={"ids": "12,abc"})
    assert "ids" in error["errors"]


async def test_created_and_modified_ranges(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    t0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    times = [t0 + timedelta(hours=h) for h in range(4)]
    made = await insert(
        app, creds, "pricebook:services", [{"code": f"S{i}"} for i in range(4)], times=times
    )
    ids = [r["id"] for r in made]
    at = "2024-03-01T14:00:00Z"  # the third record's time exactly
    assert await _ids(api, SERVICES, createdOnOrAfter=at) == ids[2:]
    assert await _ids(api, SERVICES, createdBefore=at) == ids[:2]
    assert await _ids(api, SERVICES, modifiedOnOrAfter=at) == ids[2:]
    assert await _ids(api, SERVICES, modifiedBefore=at) == ids[:2]
    window = {"createdOnOrAfter": "2024-03-01T13:00:00Z", "createdBefore": at}
    assert await _ids(api, SERVICES, **window) == [ids[1]]
    # Dates without a time are midnight UTC; offsets are honoured.
    assert await _ids(api, SERVICES, createdBefore="2024-03-01") == []
    assert await _ids(api, SERVICES, createdOnOrAfter="2024-03-01T15:00:00+01:00") == ids[2:]
    # A change moves modifiedOn only.
    await api.ok("pricebook.Services_Update", id=ids[0], json={"displayName": "Changed"})
    assert ids[0] in await _ids(api, SERVICES, modifiedOnOrAfter=at)
    assert ids[0] not in await _ids(api, SERVICES, createdOnOrAfter=at)
    error = await api.fails(400, SERVICES, params={"createdBefore": "yesterday"})
    assert "createdBefore" in error["errors"]


async def test_active_filter_defaults_to_active_only(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    live = await _customer(api, world, "Live")
    gone = await _customer(api, world, "Gone")
    await api.ok("crm.Customers_Update", id=gone["id"], json={"active": False})
    assert await _ids(api, CUSTOMERS) == [live["id"]]
    assert await _ids(api, CUSTOMERS, active="True") == [live["id"]]
    assert await _ids(api, CUSTOMERS, active="False") == [gone["id"]]
    assert await _ids(api, CUSTOMERS, active="Any") == [live["id"], gone["id"]]
    assert await _ids(api, CUSTOMERS, active="any") == [live["id"], gone["id"]]
    error = await api.fails(400, CUSTOMERS, params={"active": "Sometimes"})
    assert "active" in error["errors"]
    # The record itself says so.
    shown = await api.ok("crm.Customers_Get", id=gone["id"])
    assert shown["active"] is False
    # Reactivating brings it back into the default list.
    await api.ok("crm.Customers_Update", id=gone["id"], json={"active": True})
    assert await _ids(api, CUSTOMERS) == [live["id"], gone["id"]]


async def test_sort(client: httpx.AsyncClient, creds: Creds, app: LocalTitan) -> None:
    api = await connect(client, creds)
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    # Ids ascend with creation; names and creation times are in another order.
    made = await insert(
        app,
        creds,
        "crm:customers",
        [{"name": n} for n in ("Cooling", "appliances", "Boilers")],
        times=[t0 + timedelta(days=d) for d in (2, 0, 1)],
    )
    c, a, b = (r["id"] for r in made)
    assert await _ids(api, CUSTOMERS) == [c, a, b]
    assert await _ids(api, CUSTOMERS, sort="+Id") == [c, a, b]
    assert await _ids(api, CUSTOMERS, sort="Id") == [c, a, b]
    assert await _ids(api, CUSTOMERS, sort="-Id") == [b, a, c]
    assert await _ids(api, CUSTOMERS, sort="+CreatedOn") == [a, b, c]
    assert await _ids(api, CUSTOMERS, sort="-CreatedOn") == [c, b, a]
    assert await _ids(api, CUSTOMERS, sort="+Name") == [a, b, c]
    assert await _ids(api, CUSTOMERS, sort="-name") == [c, b, a]
    # The most recently changed first.
    await api.ok("crm.Customers_Update", id=a, json={"doNotMail": True})
    assert (await _ids(api, CUSTOMERS, sort="-ModifiedOn"))[0] == a
    assert (await _ids(api, CUSTOMERS, sort="+ModifiedOn"))[-1] == a
    for bad in ("+Colour", "-", "+Nmae"):
        error = await api.fails(400, CUSTOMERS, params={"sort": bad})
        assert "sort" in error["errors"], bad


async def test_sort_pages_stay_in_order(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    # Equal sort keys: the id breaks the tie, so pages neither repeat nor skip a record.
    made = await insert(app, creds, "crm:customers", [{"name": "Same"} for _ in range(5)])
    seen: list[Any] = []
    for page in (1, 2, 3):
        body = await api.ok(CUSTOMERS, params={"sort": "-Name", "pageSize": 2, "page": page})
        seen += [r["id"] for r in body["data"]]
        assert body["hasMore"] is (page < 3)
    assert seen == sorted(r["id"] for r in made)[::-1]


async def test_paging_limits(client: httpx.AsyncClient, creds: Creds) -> None:
    api = await connect(client, creds)
    body = await api.ok(BUSINESS_UNITS, params={"includeTotal": "true"})
    assert body == {"page": 1, "pageSize": 50, "hasMore": False, "totalCount": 0, "data": []}
    body = await api.ok(BUSINESS_UNITS)
    assert body["totalCount"] is None
    for bad in (
        {"pageSize": -1},
        {"pageSize": 0},
        {"pageSize": 5001},
        {"page": -1},
        {"page": 0},
        {"page": "x"},
    ):
        await api.fails(400, BUSINESS_UNITS, params=bad)
    assert (await api.ok(BUSINESS_UNITS, params={"pageSize": 5000}))["pageSize"] == 5000
    # Journal entries document a lower maximum.
    error = await api.fails(400, "accounting.JournalEntries_GetList", params={"pageSize": 501})
    assert "pageSize" in error["errors"]
    assert (await api.ok("accounting.JournalEntries_GetList", params={"pageSize": 500}))[
        "pageSize"
    ] == 500


async def test_customer_name_contains_any_case(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    acme = await _customer(api, world, "ACME Heating & Air")
    bolt = await _customer(api, world, "Bolt Plumbing")
    percent = await _customer(api, world, "100% Comfort")
    assert await _ids(api, CUSTOMERS, name="heat") == [acme["id"]]
    assert await _ids(api, CUSTOMERS, name="PLUMB") == [bolt["id"]]
    assert await _ids(api, CUSTOMERS, name="o") == [bolt["id"], percent["id"]]
    # Wildcard characters are literal.
    assert await _ids(api, CUSTOMERS, name="%") == [percent["id"]]
    assert await _ids(api, CUSTOMERS, name="_") == []
    assert await _ids(api, CUSTOMERS, name="Nobody") == []


async def test_job_location_and_appointment_filters(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    base = await world.job_body()
    first = await _customer(api, world, "First")
    second = await _customer(api, world, "Second")
    jobs = []
    for owner in (first, first, second):
        body = {**base, "customerId": owner["id"], "locationId": owner["locations"][0]["id"]}
        jobs.append(await api.ok("jpm.Jobs_Create", json=body))
    j1, j2, j3 = (j["id"] for j in jobs)
    assert await _ids(api, JOBS, customerId=first["id"]) == [j1, j2]
    assert await _ids(api, JOBS, customerId=second["id"]) == [j3]
    assert await _ids(api, JOBS, locationId=second["locations"][0]["id"]) == [j3]
    assert await _ids(api, LOCATIONS, customerId=first["id"]) == [first["locations"][0]["id"]]
    assert await _ids(api, JOBS, number=jobs[1]["jobNumber"]) == [j2]
    assert await _ids(api, JOBS, number="no-such-number") == []

    reason = await world.ref("jpm:job-cancel-reasons")
    await api.ok("jpm.Jobs_Cancel", id=j2, json={"reasonId": reason, "memo": "Changed plans"})
    assert await _ids(api, JOBS, jobStatus="Canceled") == [j2]
    assert await _ids(api, JOBS, jobStatus="Scheduled") == [j1, j3]
    assert await _ids(api, JOBS, jobStatus="Scheduled", customerId=first["id"]) == [j1]

    appointments = await api.ok(APPOINTMENTS, params={"jobId": j3})
    assert [a["id"] for a in appointments["data"]] == [jobs[2]["firstAppointmentId"]]
    assert appointments["data"][0]["jobId"] == j3
    both = await _ids(api, APPOINTMENTS, customerId=first["id"])
    assert both == [jobs[0]["firstAppointmentId"], jobs[1]["firstAppointmentId"]]
    assert await _ids(api, APPOINTMENTS, jobId=j2, status="Canceled") == [
        jobs[1]["firstAppointmentId"]
    ]
    # Appointments by when they start.
    await api.ok(
        "jpm.Appointments_Reschedule",
        id=jobs[0]["firstAppointmentId"],
        json={"start": "2024-08-01T09:00:00Z", "end": "2024-08-01T10:00:00Z"},
    )
    late = await _ids(api, APPOINTMENTS, startsOnOrAfter="2024-08-01T09:00:00Z")
    assert late == [jobs[0]["firstAppointmentId"]]
    early = await _ids(api, APPOINTMENTS, startsBefore="2024-08-01T09:00:00Z", active="Any")
    assert early == [jobs[1]["firstAppointmentId"], jobs[2]["firstAppointmentId"]]
    # An id that is not a number is a 400 naming the filter, not an error in the server.
    error = await api.fails(400, JOBS, params={"customerId": "abc"})
    assert "customerId" in error["errors"]


async def test_customer_address_filters(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    austin = await world.body("crm.Customers_Create")
    austin["address"] = {**austin["address"], "city": "Austin", "zip": "78701", "state": "TX"}
    dallas = await world.body("crm.Customers_Create")
    dallas["address"] = {**dallas["address"], "city": "Dallas", "zip": "75201", "state": "TX"}
    a = await api.ok("crm.Customers_Create", json=austin)
    d = await api.ok("crm.Customers_Create", json=dallas)
    assert await _ids(api, CUSTOMERS, city="austin") == [a["id"]]
    assert await _ids(api, CUSTOMERS, zip="75201") == [d["id"]]
    assert await _ids(api, CUSTOMERS, state="TX") == [a["id"], d["id"]]
    assert await _ids(api, CUSTOMERS, city="Houston") == []


async def test_plural_list_filters_nested_ids_and_active_only(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """``statuses=``/``reviewStatuses=`` (plural "-es"), ``priorities=`` ("-ies"),
    ``businessUnitIds=`` on records that name their business unit as an object, and
    ``activeOnly=`` each pick exactly the records they name."""
    api = await connect(client, creds)
    tasks = await insert(
        app,
        creds,
        "taskmanagement:tasks",
        [
            {"name": "a", "status": "Open", "priority": "High"},
            {"name": "b", "status": "Resolved", "priority": "Low"},
            {"name": "c", "status": "Open", "priority": "Low"},
        ],
    )
    a, b, c = (t["id"] for t in tasks)
    op = "taskmanagement.Tasks_GetTasks"
    assert sorted(await _ids(api, op, statuses="Open")) == [a, c]
    assert sorted(await _ids(api, op, priorities="Low")) == [b, c]
    assert sorted(await _ids(api, op, statuses="Resolved", priorities="Low")) == [b]

    invoices = await insert(
        app,
        creds,
        "accounting:invoices",
        [
            {"reviewStatus": "NeedsReview", "businessUnit": {"id": 501, "name": "HVAC"}},
            {"reviewStatus": "Reviewed", "businessUnit": {"id": 502, "name": "Plumbing"}},
        ],
    )
    needs, reviewed = (i["id"] for i in invoices)
    op = "accounting.Invoices_GetList"
    assert await _ids(api, op, reviewStatuses="Reviewed") == [reviewed]
    assert await _ids(api, op, reviewStatuses="NeedsReview") == [needs]

    payments = await insert(
        app,
        creds,
        "accounting:payments",
        [
            {"businessUnit": {"id": 501, "name": "HVAC"}},
            {"businessUnit": {"id": 502, "name": "Plumbing"}},
            {"businessUnit": None},
        ],
    )
    p1, p2, _ = (p["id"] for p in payments)
    op = "accounting.Payments_GetList"
    assert await _ids(api, op, businessUnitIds="502") == [p2]
    assert await _ids(api, op, businessUnitIds="501,502") == [p1, p2]

    kinds = await insert(
        app,
        creds,
        "inventory:return-types",
        [{"name": "Damaged", "active": True}, {"name": "Old", "active": False}],
    )
    live, retired = (k["id"] for k in kinds)
    op = "inventory.ReturnTypes_GetList"
    assert await _ids(api, op, activeOnly="true") == [live]
    assert sorted(await _ids(api, op, activeOnly="false")) == [live, retired]


async def test_amount_and_duration_ranges_and_text_contains(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """``totalGreater=``/``totalLess=`` compare amounts stored as decimal text as numbers
    (``"99.50"`` is less than ``"100.00"``), ``minDuration=``/``maxDuration=`` integers, and
    ``titleContains=`` text regardless of case."""
    api = await connect(client, creds)
    invoices = await insert(
        app,
        creds,
        "accounting:invoices",
        [{"total": "99.50"}, {"total": "100.00"}, {"total": "1250.75"}, {"total": None}],
    )
    small, hundred, big, _ = (i["id"] for i in invoices)
    op = "accounting.Invoices_GetList"
    assert await _ids(api, op, totalGreater="100") == [big]
    assert await _ids(api, op, totalLess="100") == [small]
    assert await _ids(api, op, totalGreater="99.5", totalLess="1250.75") == [hundred]
    types = await insert(
        app,
        creds,
        "jpm:job-types",
        [{"name": "Quick", "duration": 1800}, {"name": "Long", "duration": 14400}],
    )
    quick, long = (t["id"] for t in types)
    op = "jpm.JobTypes_GetList"
    assert await _ids(api, op, minDuration=3600) == [long]
    assert await _ids(api, op, maxDuration=3600) == [quick]
    shifts = await insert(
        app,
        creds,
        "dispatch:technician-shifts",
        [{"title": "Morning On-Call"}, {"title": "Evening"}],
    )
    morning = shifts[0]["id"]
    assert await _ids(api, "dispatch.TechnicianShifts_GetList", titleContains="on-call") == [
        morning
    ]


async def test_invoice_and_payment_filters_named_after_their_objects_and_dates(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    """``jobNumber=`` and ``batchNumber=`` look inside an invoice's ``job`` and ``batch``;
    ``invoicedOnOrAfter=`` compares ``invoiceDate``, ``paidOnAfter=`` a payment's ``date``,
    ``completeBefore=`` a task's ``completeBy``; ``activeState=`` picks by the active flag."""
    api = await connect(client, creds)
    invoices = await insert(
        app,
        creds,
        "accounting:invoices",
        [
            {
                "job": {"id": 7001, "number": "J-7001", "type": "Service"},
                "batch": {"id": 1, "number": "41", "name": "Nov"},
                "invoiceDate": "2025-01-10T00:00:00.000000Z",
            },
            {
                "job": {"id": 7002, "number": "J-7002", "type": "Service"},
                "batch": {"id": 2, "number": "42", "name": "Dec"},
                "invoiceDate": "2025-02-10T00:00:00.000000Z",
                "active": False,
            },
        ],
    )
    first, second = (i["id"] for i in invoices)
    op = "accounting.Invoices_GetList"
    assert await _ids(api, op, jobNumber="j-7002", activeState="All") == [second]
    assert await _ids(api, op, batchNumber=41) == [first]
    assert await _ids(api, op, invoicedOnOrAfter="2025-02-01T00:00:00Z", activeState="All") == [
        second
    ]
    assert await _ids(api, op, invoicedOnBefore="2025-02-01T00:00:00Z") == [first]
    assert await _ids(api, op, activeState="InactiveOnly") == [second]
    assert await _ids(api, op, activeState="ActiveOnly") == [first]
    assert await _ids(api, op, activeState="All") == [first, second]

    payments = await insert(
        app,
        creds,
        "accounting:payments",
        [{"date": "2025-03-01T00:00:00.000000Z"}, {"date": "2025-04-01T00:00:00.000000Z"}],
    )
    march, april = (p["id"] for p in payments)
    op = "accounting.Payments_GetList"
    assert await _ids(api, op, paidOnAfter="2025-03-15T00:00:00Z") == [april]
    assert await _ids(api, op, paidOnBefore="2025-03-15T00:00:00Z") == [march]

    tasks = await insert(
        app,
        creds,
        "taskmanagement:tasks",
        [
            {"name": "soon", "completeBy": "2025-05-01T00:00:00.000000Z"},
            {"name": "later", "completeBy": "2025-09-01T00:00:00.000000Z"},
        ],
    )
    soon, later = (t["id"] for t in tasks)
    op = "taskmanagement.Tasks_GetTasks"
    assert await _ids(api, op, completeBefore="2025-06-01T00:00:00Z") == [soon]
    assert await _ids(api, op, completeOnOrAfter="2025-06-01T00:00:00Z") == [later]
