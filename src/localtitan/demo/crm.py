"""CRM: customers with their locations, contacts, notes and tags; leads and web bookings."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from localtitan.demo import content
from localtitan.demo.context import Ids, Out, chance, guid, pick, stamp
from localtitan.demo.model import Client, Company, Place, Work

__all__ = ["booking_for_job", "leads_for_client", "make_client", "prospects", "write_client"]


def _location_name(
    company: Company, rng: random.Random, client_name: str, n: int, commercial: bool
) -> str:
    if not commercial:
        return client_name if n == 0 else f"{client_name} - Rental {n}"
    kind = pick(rng, ("Store", "Office", "Branch", "Warehouse", "Suite"))
    return f"{client_name} {kind} #{rng.randint(2, 250)}"


def _contact(
    kind: str, value: str, memo: str | None, owner_field: str, owner_id: int
) -> dict[str, Any]:
    return {
        "type": kind,
        "value": value,
        "memo": memo,
        owner_field: owner_id,
        "phoneSettings": {"phoneNumber": value, "doNotText": False}
        if kind in ("Phone", "MobilePhone")
        else None,
        "preferences": {
            "jobRemindersEnabled": True,
            "marketingUpdatesEnabled": kind == "Email",
            "invoiceStatementNotification": kind == "Email",
            "invoiceNotification": kind == "Email",
            "statementNotification": kind == "Email",
        },
    }


def make_client(
    company: Company, ids: Ids, out: Out, rng: random.Random, created: datetime
) -> tuple[Client, dict[str, Any], list[dict[str, Any]]]:
    """A customer and its locations (ids taken, records written by :func:`write_client` once
    the balance is known); contacts and notes are written now."""
    commercial = chance(rng, 0.12)
    vocab = company.vocab
    first, last = vocab.person(rng)
    if commercial:
        name = pick(rng, vocab.companies)
    else:
        name = f"{first} {last}"
        if chance(rng, 0.15):
            partner, _ = vocab.person(rng)
            name = f"{first} and {partner} {last}"
    cid = ids.take()
    address, city = company.address(rng, unit=not commercial and chance(rng, 0.08))
    count = rng.randint(1, 4) if commercial else (2 if chance(rng, 0.04) else 1)
    places: list[Place] = []
    location_records: list[dict[str, Any]] = []
    for n in range(count):
        lid = ids.take()
        if n == 0 and not commercial:
            loc_address, loc_city = dict(address), city
        else:
            loc_address, loc_city = company.address(rng)
        loc_name = _location_name(company, rng, name, n, commercial)
        places.append(Place(lid, loc_name, loc_address, loc_city))
        tags = []
        if chance(rng, 0.06):
            tags.append(company.tag_types["Pets on Site"])
        if chance(rng, 0.04):
            tags.append(company.tag_types["Gate Code"])
        location_records.append(
            {
                "id": lid,
                "customerId": cid,
                "name": loc_name,
                "address": loc_address,
                "zoneId": loc_city.zone_id,
                "taxZoneId": loc_city.tax_zone_id,
                "taxExempt": False,
                "tagTypeIds": tags,
                "customFields": [],
                "externalData": [],
                "mergedToId": None,
                "createdById": 0,
                "contacts": [],
            }
        )
    phone = company.phone(rng)
    email = vocab.email(rng, first, last) if chance(rng, 0.82) else None
    if commercial and email:
        # Businesses write from their own domain.
        domain = "".join(ch for ch in name.lower() if ch.isalnum())[:24] or "example"
        email = f"{first[0]}{last}@{domain}.com".lower().replace(" ", "")
    client = Client(
        cid,
        name,
        "Commercial" if commercial else "Residential",
        address,
        created,
        places,
        phone,
        email,
        term="Net 30" if commercial else "Due Upon Receipt",
    )
    csr = company.office_user(rng, "Customer Service Representative")
    for record in location_records:
        record["createdById"] = csr.id
    # Contact methods on the customer (and on commercial sites, the site contact).
    contacts: list[tuple[str, str, str | None]] = [("Phone", phone, None)]
    if email:
        contacts.append(("Email", email, None))
    if chance(rng, 0.45):
        contacts.append(("MobilePhone", company.phone(rng), "Cell"))
    for kind, value, memo in contacts:
        out.add(
            "crm:customers/{}/contacts",
            {"id": ids.take(), **_contact(kind, value, memo, "customerId", cid)},
            created=created,
            parent_id=cid,
        )
    if commercial:
        for place in places:
            manager, surname = vocab.person(rng)
            out.add(
                "crm:locations/{}/contacts",
                {
                    "id": ids.take(),
                    **_contact(
                        "Phone",
                        company.phone(rng),
                        f"Site manager {manager} {surname}",
                        "locationId",
                        place.id,
                    ),
                },
                created=created,
                parent_id=place.id,
            )
    if chance(rng, 0.12):
        out.add(
            "crm:customers/{}/notes",
            {
                "id": ids.take(),
                "text": pick(rng, content.CUSTOMER_NOTES),
                "isPinned": chance(rng, 0.4),
                "createdById": csr.id,
            },
            created=created,
            parent_id=cid,
        )
    if chance(rng, 0.05):
        place = places[0]
        out.add(
            "crm:locations/{}/notes",
            {
                "id": ids.take(),
                "text": "Access through the back gate; code is on the work order.",
                "isPinned": True,
                "createdById": csr.id,
            },
            created=created,
            parent_id=place.id,
        )
    tags = []
    if chance(rng, 0.04):
        tags.append(company.tag_types["VIP"])
    if chance(rng, 0.03):
        tags.append(company.tag_types["Do Not Text"])
    customer = {
        "id": cid,
        "name": name,
        "type": client.type,
        "address": address,
        "customFields": [],
        "balance": 0,
        "taxExempt": commercial and chance(rng, 0.1),
        "tagTypeIds": tags,
        "doNotMail": chance(rng, 0.05),
        "doNotService": False,
        "nationalAccount": commercial and chance(rng, 0.05),
        "createdById": csr.id,
        "mergedToId": None,
        "paymentTermId": company.payment_terms["Net 30"][0] if commercial else None,
        "creditLimit": 10000 if commercial else None,
        "creditLimitBalance": None,
        "externalData": [],
        "contacts": [],
        "locations": [],
    }
    return client, customer, location_records


def write_client(
    company: Company,
    out: Out,
    client: Client,
    customer: dict[str, Any],
    locations: list[dict[str, Any]],
    modified: datetime,
) -> None:
    """Write the customer (with its balance and member tag) and its locations."""
    customer["balance"] = round(client.balance_cents / 100, 2)
    if client.membership_id is not None:
        customer["tagTypeIds"] = [*customer["tagTypeIds"], company.tag_types["Member"]]
    if client.balance_cents > 200_000 and client.type == "Residential":
        customer["tagTypeIds"] = [*customer["tagTypeIds"], company.tag_types["Slow Payer"]]
    out.add("crm:customers", customer, created=client.created, modified=modified)
    for record in locations:
        out.add("crm:locations", record, created=client.created, modified=client.created)


def leads_for_client(
    company: Company, ids: Ids, out: Out, rng: random.Random, client: Client, call_id: int | None
) -> None:
    """An estimate request from an existing customer that has not become a job (yet)."""
    place = client.places[0]
    created = company.anchor - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 10))
    created = max(created, client.created + timedelta(days=1))
    if created > company.anchor:
        return
    trade = pick(rng, ("HVAC", "HVAC", "Plumbing", "Electrical"))
    job_type = next(jt for jt in company.job_types_for(trade) if jt.cls in ("Sales", "Install"))
    status = "Open" if (company.anchor - created).days < 30 else pick(rng, ("Dismissed", "Open"))
    csr = company.office_user(rng, "Customer Service Representative")
    reason = next(r for r, lead in company.call_reasons if lead and "Estimate" in r.name)
    lid = ids.take()
    out.add(
        "crm:leads",
        {
            "id": lid,
            "status": status,
            "customerId": client.id,
            "locationId": place.id,
            "businessUnitId": job_type.business_unit_ids[0],
            "jobTypeId": job_type.id,
            "priority": "Normal",
            "campaignId": company.campaign(rng, returning=True).id,
            "summary": f"Customer asked for a quote: {job_type.name.lower()}.",
            "callReasonId": reason.id,
            "callId": call_id,
            "bookingId": None,
            "manualCallId": None,
            "followUpDate": stamp(created + timedelta(days=7)),
            "createdById": csr.id,
            "tagTypeIds": [],
            "dismissingReasonId": None,
            "leadCustomerName": client.name,
            "leadStreet": place.address["street"],
            "leadUnit": place.address["unit"],
            "leadCity": place.address["city"],
            "leadState": place.address["state"],
            "leadZip": place.address["zip"],
            "leadCountry": "USA",
            "leadPhone": client.phone,
            "leadEmail": client.email,
            "captureSource": "Phone",
        },
        created=created,
        active=status == "Open",
    )
    if chance(rng, 0.5):
        out.add(
            "crm:leads/{}/notes",
            {
                "id": ids.take(),
                "text": "Left voicemail about scheduling a comfort consultation.",
                "isPinned": False,
                "createdById": csr.id,
            },
            created=created + timedelta(hours=2),
            parent_id=lid,
        )


def booking_for_job(company: Company, ids: Ids, out: Out, rng: random.Random, work: Work) -> int:
    """The web booking a job was created from; returns the booking id."""
    bid = ids.take()
    created = work.created - timedelta(minutes=rng.randint(10, 600))
    created = max(created, work.client.created)
    address = work.place.address
    out.add(
        "crm:bookings",
        {
            "id": bid,
            "source": "Website",
            "name": work.client.name,
            "address": {
                k: address[k] for k in ("street", "unit", "city", "state", "zip", "country")
            },
            "customerType": work.client.type,
            "start": stamp(work.start),
            "campaignId": work.campaign.id,
            "businessUnitId": work.business_unit.id,
            "jobTypeId": work.job_type.id,
            "isFirstTimeClient": work.client.created >= created - timedelta(days=1),
            "uploadedImages": [],
            "isSendConfirmationEmail": True,
            "status": "Converted",
            "dismissingReasonId": None,
            "jobId": work.id,
            "externalId": guid(rng),
            "priority": work.job_type.priority,
            "summary": f"Online request: {work.job_type.name}",
            "bookingProviderId": company.booking_provider_id,
        },
        created=created,
        modified=work.created,
    )
    for kind, value in (("Phone", work.client.phone), ("Email", work.client.email)):
        if value:
            out.add(
                "crm:bookings/{}/contacts",
                {"id": ids.take(), "type": kind, "value": value, "memo": ""},
                created=created,
                parent_id=bid,
            )
    return bid


def prospects(company: Company, ids: Ids, out: Out, rng: random.Random, count: int) -> None:
    """People who asked online but are not customers: new or dismissed bookings and leads."""
    vocab = company.vocab
    for _ in range(count):
        first, last = vocab.person(rng)
        address, _city = company.address(rng)
        created = company.anchor - timedelta(days=rng.uniform(0.2, 200))
        trade = pick(rng, ("HVAC", "HVAC", "Plumbing", "Electrical"))
        job_type = pick(rng, [jt for jt in company.job_types_for(trade) if jt.cls == "Service"])
        campaign = company.campaign(rng, returning=False)
        recent = (company.anchor - created).days < 3
        if chance(rng, 0.5):
            bid = ids.take()
            out.add(
                "crm:bookings",
                {
                    "id": bid,
                    "source": "Website",
                    "name": f"{first} {last}",
                    "address": {
                        k: address[k] for k in ("street", "unit", "city", "state", "zip", "country")
                    },
                    "customerType": "Residential",
                    "start": stamp(created + timedelta(days=rng.randint(1, 5))),
                    "campaignId": campaign.id,
                    "businessUnitId": job_type.business_unit_ids[0],
                    "jobTypeId": job_type.id,
                    "isFirstTimeClient": True,
                    "uploadedImages": [],
                    "isSendConfirmationEmail": True,
                    "status": "New" if recent else "Dismissed",
                    "dismissingReasonId": None,
                    "jobId": None,
                    "externalId": guid(rng),
                    "priority": job_type.priority,
                    "summary": f"Online request: {job_type.name}",
                    "bookingProviderId": company.booking_provider_id,
                },
                created=created,
                active=recent,
            )
            out.add(
                "crm:bookings/{}/contacts",
                {"id": ids.take(), "type": "Phone", "value": company.phone(rng), "memo": ""},
                created=created,
                parent_id=bid,
            )
            continue
        csr = company.office_user(rng, "Customer Service Representative")
        status = "Open" if (company.anchor - created).days < 21 else "Dismissed"
        out.add(
            "crm:leads",
            {
                "id": ids.take(),
                "status": status,
                "customerId": None,
                "locationId": None,
                "businessUnitId": job_type.business_unit_ids[0],
                "jobTypeId": job_type.id,
                "priority": job_type.priority,
                "campaignId": campaign.id,
                "summary": f"Web form: {job_type.name.lower()}",
                "callReasonId": None,
                "callId": None,
                "bookingId": None,
                "manualCallId": None,
                "followUpDate": stamp(created + timedelta(days=2)),
                "createdById": csr.id,
                "tagTypeIds": [],
                "dismissingReasonId": None,
                "leadCustomerName": f"{first} {last}",
                "leadStreet": address["street"],
                "leadUnit": None,
                "leadCity": address["city"],
                "leadState": address["state"],
                "leadZip": address["zip"],
                "leadCountry": "USA",
                "leadPhone": company.phone(rng),
                "leadEmail": vocab.email(rng, first, last),
                "leadUrl": None,
                "captureSource": "Web Form",
            },
            created=created,
            active=status == "Open",
        )
