"""Timestamps as ServiceTitan writes them: seven fractional digits (``…35.6735947Z``), in
responses and accepted back in filters with seven digits or fewer."""

from __future__ import annotations

import re
from typing import Any

import httpx
from engine_kit import Api, World, connect

from conftest import Creds
from localtitan.app import LocalTitan

CUSTOMERS = "crm.Customers_GetList"
SEVEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z")


async def _ids(api: Api, **params: Any) -> list[Any]:
    body = await api.ok(CUSTOMERS, params=params)
    return [r["id"] for r in body["data"]]


def _bump(stamp: str, ticks: int) -> str:
    """The same time ``ticks`` of 100 ns later (within the same microsecond)."""
    head, frac = stamp[:-1].split(".")
    return f"{head}.{frac[:6]}{int(frac[6]) + ticks}Z"


async def test_created_and_modified_carry_seven_digits(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    made = await api.ok("crm.Customers_Create", json=await world.body("crm.Customers_Create"))
    assert SEVEN.fullmatch(made["createdOn"]), made["createdOn"]
    assert SEVEN.fullmatch(made["modifiedOn"]), made["modifiedOn"]
    got = await api.ok("crm.Customers_Get", id=made["id"])
    assert SEVEN.fullmatch(got["modifiedOn"]), got["modifiedOn"]
    listed = (await api.ok(CUSTOMERS, params={"ids": str(made["id"])}))["data"][0]
    assert SEVEN.fullmatch(listed["createdOn"]), listed["createdOn"]


async def test_filters_take_the_seven_digit_time_back(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    world = World(api, app)
    made = await api.ok("crm.Customers_Create", json=await world.body("crm.Customers_Create"))
    at = made["modifiedOn"]
    # The record's own time: on or after it includes the record, before it does not.
    assert made["id"] in await _ids(api, modifiedOnOrAfter=at)
    assert made["id"] not in await _ids(api, modifiedBefore=at)
    # One tick (100 ns) later: the record is before that bound.
    later = _bump(at, 1)
    assert made["id"] not in await _ids(api, modifiedOnOrAfter=later)
    assert made["id"] in await _ids(api, modifiedBefore=later)
    # Fewer digits are fine too: the time cut to milliseconds is before the record (or at it).
    head, frac = at[:-1].split(".")
    assert made["id"] in await _ids(api, createdOnOrAfter=f"{head}.{frac[:3]}Z")
    assert made["id"] not in await _ids(api, createdBefore=f"{head}.{frac[:3]}Z")
