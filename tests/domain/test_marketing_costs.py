"""Campaign cost summaries: each campaign's daily costs added over the days of the range, and
the email channel's share, from the tenant's campaign cost records."""

from __future__ import annotations

import httpx
from domain_kit import connect, insert

from conftest import Creds
from localtitan.app import LocalTitan


async def test_campaign_cost_summary_adds_daily_costs_over_the_range(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    ads, mail, idle = await insert(
        app,
        creds,
        "marketing:campaigns",
        [
            {"name": "Search ads", "medium": "cpc", "source": "google"},
            {"name": "Newsletter", "medium": "Email", "source": "mailchimp"},
            {"name": "Yard signs", "medium": "offline"},
        ],
    )
    await insert(
        app,
        creds,
        "marketing:costs",
        [
            {"campaignId": ads["id"], "year": 2024, "month": 1, "dailyCost": 10.5},
            {"campaignId": ads["id"], "year": 2024, "month": 2, "dailyCost": 20},
            {"campaignId": mail["id"], "year": 2024, "month": 2, "dailyCost": 3.333},
        ],
    )
    # 2024-01-30 .. 2024-02-02: two January days and two February days, both ends counted.
    params = {"from": "2024-01-30T00:00:00Z", "to": "2024-02-02T00:00:00Z"}
    body = await api.ok("marketing.CampaignCostSummary_Get", params=params)
    by_id = {i["campaignId"]: i for i in body["items"]}
    assert by_id[ads["id"]] == {
        "campaignId": ads["id"],
        "campaignName": "Search ads",
        "totalCost": 2 * 10.5 + 2 * 20,
    }
    assert by_id[mail["id"]]["totalCost"] == 6.67
    assert by_id[idle["id"]]["totalCost"] is None

    email = await api.ok("marketing.EmailChannelCost_Get", params=params)
    assert email == {"totalCost": 6.67}
    # A range with no email spend has no figure.
    january = {"from": "2024-01-01", "to": "2024-01-31"}
    assert (await api.ok("marketing.EmailChannelCost_Get", params=january)) == {"totalCost": None}
    body = await api.ok("marketing.CampaignCostSummary_Get", params=january)
    assert {i["campaignId"]: i["totalCost"] for i in body["items"]}[ads["id"]] == 31 * 10.5

    # A new cost is in the next summary.
    await api.ok(
        "marketing.CampaignCosts_Create",
        json={"campaignId": idle["id"], "year": 2024, "month": 1, "dailyCost": 1},
    )
    body = await api.ok("marketing.CampaignCostSummary_Get", params=january)
    assert {i["campaignId"]: i["totalCost"] for i in body["items"]}[idle["id"]] == 31

    # The widest range DateTime allows is answered at once.
    wide = {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59.9999999Z"}
    body = await api.ok("marketing.CampaignCostSummary_Get", params=wide)
    assert {i["campaignId"]: i["totalCost"] for i in body["items"]}[
        ads["id"]
    ] == 31 * 10.5 + 29 * 20

    backwards = {"from": "2024-02-01", "to": "2024-01-01"}
    error = await api.fails(400, "marketing.CampaignCostSummary_Get", params=backwards)
    assert error["errors"]["to"]
    await api.fails(400, "marketing.EmailChannelCost_Get", params={"from": "2024-01-01"})


async def test_an_enormous_daily_cost_is_summed_not_a_server_error(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    (big,) = await insert(app, creds, "marketing:campaigns", [{"name": "Billboards"}])
    await insert(
        app,
        creds,
        "marketing:costs",
        [{"campaignId": big["id"], "year": 2024, "month": 1, "dailyCost": 1e30}],
    )
    params = {"from": "2024-01-01T00:00:00Z", "to": "2024-01-31T00:00:00Z"}
    body = await api.ok("marketing.CampaignCostSummary_Get", params=params)
    total = {i["campaignId"]: i["totalCost"] for i in body["items"]}[big["id"]]
    assert total == 31e30
    assert (await api.ok("marketing.EmailChannelCost_Get", params=params)) == {"totalCost": None}
