"""Online reviews (Marketing Reputation): per chunk, a review for some completed jobs, its
rating following the technician's rating where the customer gave one, and the office's reply
to most of them. Most are verified against their job (auto-verified, or by an office user);
some have a suggested job nobody verified, a few no job at all (the matcher found none), so
``reportType``, ``responseTypes`` and ``reviewStatuses`` each find some (docs/decisions/0180)."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo.context import Ids, Out, chance, iso, pick
from localtitan.demo.model import Company
from localtitan.store.records import Stored, parse_time

__all__ = ["reviews_for_chunk"]

_TEXT = {
    5: [
        "On time, explained everything and left the place clean.",
        "Fixed our AC the same day. Highly recommend.",
        "Friendly technician, fair price, great work.",
    ],
    4: ["Good service, a little later than the window but worth it.", "Solid work overall."],
    3: ["Problem fixed, but the visit took longer than promised."],
    2: ["Had to call back twice before it was fixed."],
}
_REPLY = "Thank you for the feedback! We're glad to help any time."
_PLATFORMS = (("Google", 0.75), ("Facebook", 0.15), ("Yelp", 0.10))


def reviews_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    rated_jobs = kinds.get("customer-interactions:technician-ratings", [])
    ratings = {int(r.data["jobId"]): r.data for r in rated_jobs}
    customers = {c.id: c.data for c in kinds.get("crm:customers", [])}
    locations = {loc.id: loc.data for loc in kinds.get("crm:locations", [])}
    techs = {t.id: t for t in company.technicians}
    office = company.staff_with("Office Manager")
    for job in kinds.get("jpm:jobs", []):
        data = job.data
        rated = ratings.get(job.id)
        if data["jobStatus"] != "Completed" or not (rated or chance(rng, 0.06)):
            continue
        if rated is None and not chance(rng, 0.5):
            continue
        done = parse_time(data["completedOn"])
        published = done + timedelta(hours=rng.randint(3, 96))
        if published >= company.anchor:
            continue
        stars = int(rated["rating"]) if rated else pick(rng, (5, 5, 5, 4, 4, 3, 2))
        tech = techs.get(rated["technicianId"]) if rated else None
        customer = customers.get(data["customerId"], {})
        location = locations.get(data["locationId"], {})
        address = location.get("address") or {}
        replied = chance(rng, 0.8)
        # Chosen from the job's id rather than the generator, so the rest of the chunk is as
        # before: a tenth unverified, a seventeenth unmatched, a third of the rest by a person.
        matched = job.id % 17 != 0
        verified = matched and job.id % 10 != 0
        by_user = verified and job.id % 3 == 0
        x = rng.random()
        platform = next((p for p, share in _PLATFORMS if (x := x - share) < 0), "Google")
        out.add(
            "marketingreputation:reviews",
            {
                "platform": platform,
                "externalId": f"{platform[:2].upper()}{rng.getrandbits(48):012x}",
                "internalId": job.id if matched else None,
                "authorName": customer.get("name"),
                "authorEmail": None,
                "review": pick(rng, _TEXT.get(stars, _TEXT[2])),
                "rating": float(stars),
                "publishDate": iso(published),
                "reviewResponse": _REPLY if replied else None,
                "reviewType": 0 if stars >= 4 else (1 if stars == 3 else 2),
                "recommendationStatus": 1 if stars >= 4 else 0,
                "customerId": data["customerId"] if matched else None,
                "customerName": customer.get("name") if matched else None,
                "address": ", ".join(
                    str(address[k]) for k in ("street", "city", "state") if address.get(k)
                ),
                "jobId": job.id if matched else None,
                "jobStatus": 5 if matched else 0,
                "jobTypeName": company.job_type_by_id(data["jobTypeId"]).name if matched else None,
                "businessUnitId": data["businessUnitId"] if matched else None,
                "technicianId": tech.id if tech and matched else None,
                "technicianFullName": tech.name if tech and matched else None,
                "completedDate": data["completedOn"] if matched else None,
                "dispatchedDate": iso(done - timedelta(hours=2)) if matched else None,
                "isAutoVerified": verified and not by_user,
                "verificationStatus": verified,
                "verifiedOn": iso(published + timedelta(hours=1)) if verified else None,
                "verifiedByUserId": office[job.id % len(office)].id if by_user else None,
            },
            created=published,
            modified=published + timedelta(days=1) if replied else published,
            row_id=ids.take(),
        )
