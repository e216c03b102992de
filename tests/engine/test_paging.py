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


INTACCT = "settings.IntacctBusinessUnitMappings_Get"


async def test_a_list_declaring_pages_from_zero_starts_at_page_zero(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    api = await connect(client, creds)
    made = await insert(
        app, creds, "settings:business-units/intacct", [{"name": f"BU {i}"} for i in range(3)]
    )
    ids = [r["id"] for r in made]

    async def page(number: int, size: int = 2) -> dict[str, Any]:
        params = {"page": number, "pageSize": size, "includeTotal": "true"}
        return dict(await api.ok(INTACCT, params=params))

    # Its document allows page 0 (the first page) and a page size of at most 500.
    first = await page(0)
    assert [r["id"] for r in first["data"]] == ids[:2]
    assert (first["page"], first["hasMore"], first["totalCount"]) == (0, True, 3)
    second = await page(1)
    assert [r["id"] for r in second["data"]] == ids[2:]
    assert (second["page"], second["hasMore"]) == (1, False)
    assert (await page(0, 500))["pageSize"] == 500
    error = await api.fails(
        400, INTACCT, params={"page": 0, "pageSize": 501, "includeTotal": "true"}
    )
    assert "pageSize" in error["errors"]
    error = await api.fails(
        400, INTACCT, params={"page": -1, "pageSize": 2, "includeTotal": "true"}
    )
    assert "page" in error["errors"]
    # Lists that declare no bounds still number pages from 1.
    await api.fails(400, LIST, params={"page": 0})


async def test_a_deep_page_after_more_changes_than_are_checked(
    client: httpx.AsyncClient, creds: Creds, app: LocalTitan
) -> None:
    # The page cache's check reads at most 201 changes since an entry's stamp: a delete before
    # a page's start that comes after 201 appends lies beyond them, so the start must be found
    # afresh, not taken from the check.
    api = await connect(client, creds)
    made = await insert(app, creds, "pricebook:services", [{"code": f"S{i}"} for i in range(8)])
    ids = [r["id"] for r in made]
    for page in (1, 2, 3):
        assert await _page(api, page) == ids[(page - 1) * 2 : page * 2]
    more = await insert(app, creds, "pricebook:services", [{"code": f"T{i}"} for i in range(201)])
    ids += [r["id"] for r in more]
    await api.ok("pricebook.Services_Delete", id=ids[0])
    ids.pop(0)
    assert await _page(api, 3) == ids[4:6]
    assert await _page(api, 4) == ids[6:8]
