"""Marketing: campaign categories, campaigns with their monthly costs, and the booking provider
web bookings arrive through."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo import content
from localtitan.demo.context import Ids, Out
from localtitan.demo.model import Campaign, Company

__all__ = ["build_marketing"]


def build_marketing(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    when = company.founded + timedelta(days=10)
    categories: dict[str, int] = {}
    for name, kind in content.CAMPAIGN_CATEGORIES:
        cid = ids.take()
        categories[name] = cid
        out.add("marketing:categories", {"id": cid, "name": name, "type": kind}, created=when)
    for name, category, source, medium, weight, spend in content.CAMPAIGNS:
        cid = ids.take()
        company.campaigns.append(Campaign(cid, name, categories[category], category, weight))
        out.add(
            "marketing:campaigns",
            {
                "id": cid,
                "name": name,
                "businessUnit": None,
                "campaignPhoneNumbers": [] if spend == 0 else [company.phone(rng)],
                "category": {"id": categories[category], "name": category, "active": True},
                "isDefaultCampaign": name == "Existing Customer",
                "source": source,
                "otherSource": None,
                "medium": medium,
                "otherMedium": None,
            },
            created=when,
        )
        if spend <= 0:
            continue
        # One cost record per campaign and month over the past year.
        first = company.window_start.replace(day=1)
        for m in range(13):
            month = (first.month - 1 + m) % 12 + 1
            year = first.year + (first.month - 1 + m) // 12
            out.add(
                "marketing:costs",
                {
                    "id": ids.take(),
                    "campaignId": cid,
                    "year": year,
                    "month": month,
                    "dailyCost": round(spend / 30 * rng.uniform(0.8, 1.2), 2),
                },
                created=min(company.anchor, first + timedelta(days=31 * m)),
            )
    company.booking_provider_id = ids.take()
    out.add(
        "crm:booking-provider-tags",
        {
            "id": company.booking_provider_id,
            "tagName": "Website Scheduler",
            "description": "Online booking widget on the company website",
            "type": "V2Api",
        },
        created=when,
    )
