"""Scheduling Pro performance: a scheduler's and a router's figures counted from the sessions
created in the asked range."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from domain_kit import connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

JAN = datetime(2025, 1, 10, 12, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 12, tzinfo=UTC)
RANGE = {"sessionCreatedOnOrAfter": "2025-01-01T00:00:00Z", "sessionCreatedBefore": "2025-02-01"}


async def test_scheduler_performance_counts_its_sessions(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    web, other = await insert(
        app,
        creds,
        "schedulingpro:schedulers",
        [{"name": "Website", "companyName": "Acme Air"}, {"name": "Call center"}],
    )
    sid = web["id"]
    kind = "schedulingpro:schedulers/{}/sessions"
    abandoned, returned, *_ = await insert(
        app,
        creds,
        kind,
        [
            # Abandoned at the customer step; a booking was made from it anyway.
            {
                "schedulerId": sid,
                "lastStep": "Customer",
                "bookingId": 7,
                "customer": {"firstName": "Ann", "email": "ann@example.com"},
            },
            # Opened and left.
            {"schedulerId": sid, "lastStep": "Opened"},
            # Booked, with a job, by a customer interested in a membership.
            {
                "schedulerId": sid,
                "lastStep": "Booked",
                "sessionOutcome": "Booked",
                "bookingId": 8,
                "jobId": 9,
                "membershipInterest": "Yes",
            },
            # Reached the zip code and left; a lead was made.
            {"schedulerId": sid, "lastStep": "Zipcode", "leadId": 5},
            # Another scheduler's session, and one of this scheduler outside the range.
            {"schedulerId": other["id"], "lastStep": "Booked", "bookingId": 1},
            {"schedulerId": sid, "lastStep": "Booked", "bookingId": 2},
        ],
        times=[JAN, JAN, JAN, JAN, JAN, FEB],
    )
    # The customer came back through the recovery link and booked.
    await insert(
        app,
        creds,
        kind,
        [
            {
                "schedulerId": sid,
                "lastStep": "Booked",
                "bookingId": 10,
                "previousSessionId": abandoned["id"],
                "aiModeEnabled": False,
            }
        ],
        times=[JAN],
    )
    body = await api.ok("schedulingpro.Scheduler_SchedulerPerformance", params=RANGE, id=sid)
    assert body["id"] == sid
    assert body["schedulerName"] == "Website" and body["brandName"] == "Acme Air"
    assert body["totalSessions"] == 5
    assert body["totalBookingsCreated"] == 3
    assert body["totalJobsCreated"] == 1
    assert body["totalAbandonedSessionsSentToBookings"] == 1
    assert body["totalAbandonedSessionsSentToLeads"] == 1
    assert body["totalCustomerContactsCaptured"] == 3
    assert body["totalMembershipInterest"] == 1
    assert body["totalSmsSentToRecoverAbandonedSessionRecoveryLink"] == 1
    assert body["totalBookingsRecoveredFromAbandonedSessionsRecoveryLink"] == 1
    assert body["totalBookingsRecoveredFromAbandonedSessions"] == 1
    assert body["totalSmsSentToRecoverAbandonedSessionAiAgent"] == 0
    assert body["milestoneFrequencyCount"] == {
        "opened": 5,
        "zipcode": 4,
        "interacted": 4,
        "issue": 3,
        "schedule": 3,
        "customer": 3,
        "details": 2,
        "booked": 2,
        "abandoned": 3,
    }
    assert body["openedCompletionRate"] == 0.4
    assert body["schedulerCompletionRate"] == 0.5
    assert returned["id"]

    empty = {"sessionCreatedOnOrAfter": "2024-01-01", "sessionCreatedBefore": "2024-02-01"}
    body = await api.ok("schedulingpro.Scheduler_SchedulerPerformance", params=empty, id=sid)
    assert body["totalSessions"] == 0 and body["openedCompletionRate"] == 0
    await api.fails(
        404,
        "schedulingpro.Scheduler_SchedulerPerformance",
        params=RANGE,
        id="00000000-0000-0000-0000-000000000000",
    )
    backwards = {"sessionCreatedOnOrAfter": "2025-02-01", "sessionCreatedBefore": "2025-01-01"}
    await api.fails(400, "schedulingpro.Scheduler_SchedulerPerformance", params=backwards, id=sid)


async def test_router_performance_counts_sessions_per_scheduler(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    router = 4242
    await insert(
        app,
        creds,
        "schedulingpro:routers/{}/sessions",
        [
            {"schedulerId": "a", "lastStep": "Opened"},
            {"schedulerId": "a", "lastStep": "Issue"},
            {"schedulerId": "b", "lastStep": "Booked"},
            {"schedulerId": "b", "lastStep": "Booked"},
        ],
        parent_id=router,
        times=[JAN, JAN, JAN, FEB],
    )
    body = await api.ok("schedulingpro.Router_RouterPerformance", params=RANGE, id=router)
    assert body["id"] == str(router)
    assert body["openedCount"] == 3 and body["interactedCount"] == 2
    assert sorted(
        (s["schedulerId"], s["openedCount"]) for s in body["sessionCountBySchedulerId"]
    ) == [("a", 2), ("b", 1)]
    # The router's own session list agrees.
    listed = await api.ok("schedulingpro.Router_RouterSessions", params=RANGE, id=router)
    assert len(listed["data"]) >= 3
    await api.fails(404, "schedulingpro.Router_RouterPerformance", params=RANGE, id="nope")
