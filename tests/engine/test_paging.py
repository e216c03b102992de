"""Deep pages stay right while the collection changes: the page-start cache must never serve a
page that starts in the wrong place."""

from __future__ import annotations

from typing import Any

import httpx
from engine_kit import Api, connect, insert

from conftest import Creds
from localtitan.app import LocalTitan

LIST = "pricebook.Services_GetList"


async def _page(api: Api, page: int) -> list[Any]:
    body = await api.ok(LIST, params={"page": page, "pageSize": 2})
    return [r["id"] for r in body["data"]]


async def _all(api: Api) -> list[Any]:
    return [r["id"] for r in (await api.ok(LIST, params={"pageSize": 100}))["data"]]


async def test_deep_pages_follow_deletes_and_appends(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(app, creds, "pricebook:services", [{"code": f"S{i}"} for i in range(9)])
    ids = [r["id"] for r in made]
    for page in (1, 2, 3, 4):  # fills the cache with where each page starts
        assert await _page(api, page) == ids[(page - 1) * 2 : page * 2]

    # An append leaves earlier pages where they were.
    (extra,) = await insert(app, creds, "pricebook:services", [{"code": "S9"}])
    ids.append(extra["id"])
    assert await _page(api, 3) == ids[4:6]
    assert await _page(api, 5) == ids[8:10]

    # A delete before a page's start moves it.
    await api.ok("pricebook.Services_Delete", id=ids[1])
    ids.pop(1)
    for page in (2, 3, 4, 5):
        assert await _page(api, page) == ids[(page - 1) * 2 : page * 2], page

    # So does deactivating one (the list shows active records by default).
    await api.ok("pricebook.Services_Update", id=ids[0], json={"active": False})
    ids.pop(0)
    assert await _page(api, 3) == ids[4:6]
    assert await _all(api) == ids
