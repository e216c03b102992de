"""Marketing Ads results: per chunk, the leads each paid campaign brought (the calls and web
bookings that booked a job, attributed to the campaign that made them); for the company, each
paid campaign's performance over its life (spend, clicks, leads and the revenue they booked)."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo.context import Ids, Out, chance
from localtitan.demo.model import Company
from localtitan.store.records import Stored

__all__ = ["build_ad_performance", "leads_for_chunk"]

_MEDIUM = {"Google Ads": ("google", "cpc"), "Facebook": ("facebook", "paid_social")}


def _utm(name: str) -> tuple[str, str]:
    for key, value in _MEDIUM.items():
        if key.lower() in name.lower():
            return value
    return ("google", "cpc")


def build_ad_performance(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    paid = [c for c in company.campaigns if c.category != "Existing Customers"]
    for campaign in paid:
        impressions = rng.randint(20_000, 180_000)
        clicks = int(impressions * rng.uniform(0.02, 0.06))
        conversions = int(clicks * rng.uniform(0.05, 0.15))
        cost = round(clicks * rng.uniform(4.0, 11.0), 2)
        booked = int(conversions * rng.uniform(0.4, 0.7))
        ticket = rng.uniform(350, 900)
        revenue = round(booked * ticket, 2)
        launched = company.founded + timedelta(days=rng.randint(30, 700))
        out.add(
            "marketingads:performance",
            {
                "campaign": {
                    "id": campaign.id,
                    "name": campaign.name,
                    "category": campaign.category,
                    "externalId": rng.randint(10**9, 10**10),
                    "launchDate": launched.date().isoformat(),
                    "status": "Live",
                },
                "adGroup": None,
                "keyword": None,
                "digitalStats": {
                    "impressions": impressions,
                    "clicks": clicks,
                    "clickRate": round(clicks / impressions, 4),
                    "cost": cost,
                    "averageCPC": round(cost / clicks, 2) if clicks else 0,
                    "conversions": conversions,
                    "allConversions": float(conversions),
                    "conversionRate": round(conversions / clicks, 4) if clicks else 0,
                    "costPerConversion": round(cost / conversions, 2) if conversions else 0,
                    "impressionShare": round(rng.uniform(0.2, 0.7), 2),
                },
                "leadStats": {
                    "leads": conversions,
                    "leadCalls": int(conversions * 0.8),
                    "onlineBooking": conversions - int(conversions * 0.8),
                    "manualBooking": 0,
                    "bookedJobs": booked,
                    "bookingRate": round(booked / conversions, 4) if conversions else 0,
                    "ranJobs": booked,
                    "soldJobs": int(booked * 0.6),
                    "avgTicket": round(ticket, 2),
                    "revenue": revenue,
                    "potentialRevenue": round(revenue * 1.3, 2),
                },
                "returnOnInvestment": round((revenue - cost) / cost, 2) if cost else 0,
            },
            created=launched,
            modified=company.anchor - timedelta(days=1),
            row_id=ids.take(),
        )


def leads_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    paid = {c.id: c for c in company.campaigns if c.category != "Existing Customers"}
    jobs = {rec.id: rec for rec in kinds.get("jpm:jobs", [])}
    for call in kinds.get("telecom:calls", []):
        data = call.data
        campaign = paid.get(int((data.get("campaign") or {}).get("id") or 0))
        job = data.get("job")
        if campaign is None or not job or not data.get("customer"):
            continue
        source, medium = _utm(campaign.name)
        job_rec = jobs.get(job["id"])
        out.add(
            "marketingads:attributed-leads",
            {
                "dateTime": data["leadCall"]["receivedOn"],
                "leadType": 1,
                "call": {
                    "id": call.id,
                    "callerNumber": data["from"],
                    "trackingNumber": data["to"],
                    "duration": data["duration"],
                    "type": data["leadCall"]["callType"],
                    "source": campaign.name,
                    "excusedReason": None,
                },
                "customer": {"id": data["customer"]["id"], "name": data["customer"]["name"]},
                "job": {"id": job["id"], "name": str(job_rec.data["jobNumber"]) if job_rec else ""},
                "booking": None,
                "leadForm": None,
                "attribution": {
                    "stCampaignId": campaign.id,
                    "originalCampaign": campaign.name,
                    "utmSource": source,
                    "utmMedium": medium,
                    "utmCampaign": campaign.name.lower().replace(" ", "-"),
                    "landingPageUrl": f"https://{company.domain}/",
                    "clickId": f"{rng.getrandbits(64):016x}" if chance(rng, 0.7) else None,
                },
            },
            created=call.created_on or company.anchor,
            row_id=ids.take(),
        )
    for booking in kinds.get("crm:bookings", []):
        data = booking.data
        campaign = paid.get(int(data.get("campaignId") or 0))
        job_rec = jobs.get(int(data.get("jobId") or 0))
        if campaign is None or job_rec is None:
            continue
        source, medium = _utm(campaign.name)
        out.add(
            "marketingads:attributed-leads",
            {
                "dateTime": data["createdOn"],
                "leadType": 2,
                "call": None,
                "booking": {"id": booking.id},
                "customer": {"id": job_rec.data["customerId"], "name": data["name"]},
                "job": {"id": job_rec.id, "name": str(job_rec.data["jobNumber"])},
                "leadForm": None,
                "attribution": {
                    "stCampaignId": campaign.id,
                    "originalCampaign": campaign.name,
                    "utmSource": source,
                    "utmMedium": medium,
                    "utmCampaign": campaign.name.lower().replace(" ", "-"),
                    "landingPageUrl": f"https://{company.domain}/book",
                },
            },
            created=booking.created_on or company.anchor,
            row_id=ids.take(),
        )
