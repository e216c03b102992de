"""Declared filters answered by what a record names or holds: a review's job, what a credit
memo was applied to, a journal entry's lines, a lead's customer, a membership type's
recurring services, a form's publication, a submission's owners."""

from __future__ import annotations

from typing import Any

import httpx
from engine_kit import Api, connect, insert
from sqlalchemy import select

from conftest import Creds
from localtitan.app import LocalTitan
from localtitan.store.tables import records

REVIEWS = "marketingreputation.reviews"


async def _reviews(api: Api, params: Any) -> list[Any]:
    # Reviews carry no id of their own in lists; their publication time tells them apart here.
    return await _ids(api, REVIEWS, params, key="publishDate")


async def _ids(api: Api, op: str, params: Any, key: str = "id") -> list[Any]:
    body = await api.ok(op, params=params)
    return [r[key] for r in body["data"]]


async def test_reviews_by_their_jobs_location_rating_and_date(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    here, there = await insert(app, creds, "jpm:jobs", [{"locationId": 501}, {"locationId": 502}])
    made = await insert(
        app,
        creds,
        "marketingreputation:reviews",
        [
            {"jobId": here["id"], "rating": 5, "publishDate": "2024-02-01T10:00:00Z"},
            {"jobId": there["id"], "rating": 2, "publishDate": "2024-03-01T10:00:00Z"},
            {"rating": 4, "publishDate": "2024-04-01T10:00:00Z", "platform": "Google"},
        ],
    )
    near, far, loose = (r["publishDate"] for r in made)
    assert await _reviews(api, {"locationIds": "501"}) == [near]
    wider = {"locationIds": "501", "includeReviewsWithoutLocation": "true"}
    assert await _reviews(api, wider) == [near, loose]
    assert await _reviews(api, {"fromRating": 4}) == [near, loose]
    assert await _reviews(api, {"fromRating": 2, "toRating": 4}) == [far, loose]
    march = {"fromDate": "2024-02-15T00:00:00Z", "toDate": "2024-03-31T00:00:00Z"}
    assert await _reviews(api, march) == [far]
    assert await _reviews(api, {"sources": "google"}) == [loose]


async def test_credit_memos_by_what_they_were_applied_to_and_amount(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)

    def applied(invoice: int, on: str, ref: str) -> dict[str, Any]:
        return {
            "appliedId": 1,
            "appliedTo": invoice,
            "appliedAmount": 10,
            "appliedOn": on,
            "appliedToReferenceNumber": ref,
        }

    made = await insert(
        app,
        creds,
        "accounting:credit-memos",
        [
            {"total": 50, "appliedTo": [applied(701, "2024-01-31", "INV-701")]},
            {"total": 150, "appliedTo": [applied(702, "2024-02-01", "INV-702")]},
            {"total": 150, "appliedTo": []},
        ],
    )
    first, second, unapplied = (r["id"] for r in made)
    memos = "accounting.CreditMemos_GetCreditMemosList"
    assert await _ids(api, memos, {"appliedToInvoiceIds": "702,999"}) == [second]
    assert await _ids(api, memos, {"appliedToReferenceNumber": "inv-701"}) == [first]
    # appliedOn is a date: the filter's day counts whole.
    assert await _ids(api, memos, {"appliedOnOrAfter": "2024-01-31T12:00:00Z"}) == [
        first,
        second,
    ]
    assert await _ids(api, memos, {"appliedBefore": "2024-02-01T00:00:00Z"}) == [first]
    more = {"totalFilter.Amount": "100", "totalFilter.Comparer": "GreaterThan"}
    assert await _ids(api, memos, more) == [second, unapplied]
    assert await _ids(api, memos, {"totalFilter.Amount": "50"}) == [first]


async def test_journal_entries_by_their_lines(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    entries = await insert(
        app,
        creds,
        "accounting:journal-entries",
        [
            {"number": 1, "postDate": "2024-01-31", "isEmpty": False},
            {"number": 2, "postDate": "2024-02-15", "isEmpty": True},
        ],
    )
    first, second = entries
    await insert(
        app,
        creds,
        "accounting:journal-entries/{}/details",
        [{"vendor": {"id": 1, "name": "Acme Supply"}, "businessUnit": {"id": 31, "name": "HVAC"}}],
        parent_id=await _row_id(app, first),
    )
    listed = "accounting.JournalEntries_GetList"
    assert await _ids(api, listed, {"vendorName": "acme"}) == [first["id"]]
    assert await _ids(api, listed, {"businessUnitIds": "31"}) == [first["id"]]
    assert await _ids(api, listed, {"vendorName": "Nobody"}) == []
    # postDate is a date: postedTo on the 31st includes it.
    january = {"postedFrom": "2024-01-01T00:00:00Z", "postedTo": "2024-01-31T00:00:00Z"}
    assert await _ids(api, listed, january) == [first["id"]]
    assert await _ids(api, listed, {"numberFrom": 2}) == [second["id"]]
    assert await _ids(api, listed, {"empty": "Exclude"}) == [first["id"]]
    assert await _ids(api, listed, {"empty": "Include"}) == [first["id"], second["id"]]


async def _row_id(app: LocalTitan, entry: dict[str, Any]) -> int:
    """The row a GUID-keyed record is stored under (journal-entry ids are GUIDs; their lines
    are stored under the entry's row)."""
    async with app.runtime.db.read() as conn:
        found = await conn.execute(select(records.c.id).where(records.c.guid == entry["id"]))
        return int(found.scalar_one())


async def test_leads_by_their_customer(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    austin, boston = await insert(
        app,
        creds,
        "crm:customers",
        [
            {"name": "A", "address": {"city": "Austin", "state": "TX", "zip": "78701"}},
            {"name": "B", "address": {"city": "Boston", "state": "MA", "zip": "02108"}},
        ],
    )
    leads = await insert(
        app, creds, "crm:leads", [{"customerId": austin["id"]}, {"customerId": boston["id"]}, {}]
    )
    in_austin, in_boston, nobody = (r["id"] for r in leads)
    listed = "crm.Leads_GetList"
    assert await _ids(api, listed, {"customerCity": "austin"}) == [in_austin]
    assert await _ids(api, listed, {"customerState": "MA"}) == [in_boston]
    # Neither customer has a job: every lead is still a prospect.
    assert await _ids(api, listed, {"isProspect": "true"}) == [in_austin, in_boston, nobody]
    await insert(app, creds, "jpm:jobs", [{"customerId": austin["id"]}])
    assert await _ids(api, listed, {"isProspect": "false"}) == [in_austin]
    assert await _ids(api, listed, {"isProspect": "true"}) == [in_boston, nobody]


async def test_recurring_service_types_of_a_membership_type(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    kinds = await insert(
        app,
        creds,
        "memberships:recurring-service-types",
        [{"name": "Tune-up"}, {"name": "Filter"}, {"name": "Flush"}],
    )
    tune, _, flush = (r["id"] for r in kinds)
    (plan,) = await insert(
        app,
        creds,
        "memberships:membership-types",
        [
            {
                "name": "Gold",
                "recurringServices": [
                    {"recurringServiceTypeId": tune, "membershipTypeId": 1},
                    {"recurringServiceTypeId": flush, "membershipTypeId": 1},
                ],
            }
        ],
    )
    listed = "memberships.RecurringServiceTypes_GetList"
    assert await _ids(api, listed, {"membershipTypeId": plan["id"]}) == [tune, flush]
    assert await _ids(api, listed, {"membershipTypeId": 1}) == []


async def test_forms_by_publication_and_submissions_by_owner(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    live, draft = await insert(
        app, creds, "forms:forms", [{"name": "Live", "published": True}, {"name": "Draft"}]
    )
    forms = "forms.Form_GetForms"
    assert await _ids(api, forms, {"status": "Published"}) == [live["id"]]
    assert await _ids(api, forms, {"status": "Unpublished"}) == [draft["id"]]
    assert await _ids(api, forms, {"status": "Any"}) == [live["id"], draft["id"]]
    made = await insert(
        app,
        creds,
        "forms:submissions",
        [
            {"status": "Completed", "owners": [{"type": "Job", "id": 9}]},
            {"status": "Started", "owners": [{"type": "Customer", "id": 9}]},
        ],
    )
    job_owned, customer_owned = (r["id"] for r in made)
    submissions = "forms.FormSubmission_GetFormSubmissions"
    assert await _ids(api, submissions, {"ownerType": "Customer"}) == [customer_owned]
    assert await _ids(api, submissions, {"status": "Any"}) == [job_owned, customer_owned]
    assert await _ids(api, submissions, {"status": "Completed"}) == [job_owned]
    owners = {"owners[0].type": "Job", "owners[0].id": "9"}
    assert await _ids(api, submissions, owners) == [job_owned]
