"""Online reviews (Marketing Reputation): per chunk, a review for some completed jobs, its
rating following the technician's rating where the customer gave one, and the office's reply
to most of them."""

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
        x = rng.random()
        platform = next((p for p, share in _PLATFORMS if (x := x - share) < 0), "Google")
        out.add(
            "marketingreputation:reviews",
            {
                "platform": platform,
                "externalId": f"{platform[:2].upper()}{rng.getrandbits(48):012x}",
                "internalId": job.id,
                "authorName": customer.get("name"),
                "authorEmail": None,
                "review": pick(rng, _TEXT.get(stars, _TEXT[2])),
                "rating": float(stars),
                "publishDate": iso(published),
                "reviewResponse": _REPLY if replied else None,
                "reviewType": 0 if stars >= 4 else (1 if stars == 3 else 2),
                "recommendationStatus": 1 if stars >= 4 else 0,
                "customerId": data["customerId"],
                "customerName": customer.get("name"),
                "address": ", ".join(
                    str(address[k]) for k in ("street", "city", "state") if address.get(k)
                ),
                "jobId": job.id,
                "jobStatus": 5,
                "jobTypeName": company.job_type_by_id(data["jobTypeId"]).name,
                "businessUnitId": data["businessUnitId"],
                "technicianId": tech.id if tech else None,
                "technicianFullName": tech.name if tech else None,
                "completedDate": data["completedOn"],
                "dispatchedDate": iso(done - timedelta(hours=2)),
                "isAutoVerified": True,
                "verificationStatus": True,
                "verifiedOn": iso(published + timedelta(hours=1)),
                "verifiedByUserId": None,
            },
            created=published,
            modified=published + timedelta(days=1) if replied else published,
            row_id=ids.take(),
        )
