"""Client-specific pricing: rate sheets for the company's contract customers (property
managers, builders), each a set of exceptions to pricebook prices, and the commercial service
agreements that bill by one of them."""

from __future__ import annotations

import random
from datetime import timedelta

from localtitan.demo.context import Ids, Out, pick
from localtitan.demo.model import Company
from localtitan.store.records import Stored

__all__ = ["build_rate_sheets", "rate_sheets_for_chunk"]

# (name, value type, value): a sheet's exceptions all follow one rule.
_SHEETS = [
    ("Property Managers", "DiscountPercent", 10.0),
    ("Builder Partners", "Multiplier", 0.85),
    ("Municipal Contract", "DiscountPercent", 15.0),
]


def build_rate_sheets(company: Company, ids: Ids, out: Out, rng: random.Random) -> None:
    for n, (_name, value_type, value) in enumerate(_SHEETS):
        skus = company.services[n::4][:8] + company.materials[n::6][:4]
        sid = ids.take()
        company.rate_sheets.append(sid)
        out.add(
            "pricebook:clientspecificpricing",
            {
                "id": sid,
                "exceptions": [
                    {"skuId": sku.id, "skuType": sku.type, "value": value, "valueType": value_type}
                    for sku in skus
                ],
            },
            created=company.founded + timedelta(days=rng.randint(200, 900)),
        )


def rate_sheets_for_chunk(
    company: Company, ids: Ids, out: Out, rng: random.Random, kinds: dict[str, list[Stored]]
) -> None:
    if not company.rate_sheets:
        return
    for agreement in kinds.get("service-agreements:service-agreements", []):
        agreement.data["rateSheetId"] = pick(rng, company.rate_sheets)
