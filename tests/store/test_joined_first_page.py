"""A first plain page served as stored comes from SQLite as one joined row
(store/list_pages.py, ``first_joined``): its records, their order, ``hasMore`` and where page 2
starts are those of the row-per-record read, whatever the records hold (the extra record is cut
off by its length in bytes, so non-ASCII text in it must not shift the cut)."""

from __future__ import annotations

import httpx
import pytest

from conftest import Creds

ADDRESS = {"street": "1 Main", "city": "Fresno", "state": "CA", "zip": "93650", "country": "USA"}
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


async def _create(
    client: httpx.AsyncClient, creds: Creds, headers: dict[str, str], name: str
) -> int:
    r = await client.post(
        creds.api(CUSTOMERS),
        json={"name": name, "address": ADDRESS, "locations": [{"name": "H", "address": ADDRESS}]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["id"])


@pytest.mark.parametrize("size", [1, 2, 3, 4])
async def test_first_pages_of_every_size_match_the_records(
    client: httpx.AsyncClient, creds: Creds, size: int
) -> None:
    headers = {"Authorization": await creds.token(client), "ST-App-Key": creds.app_key}
    url = creds.api(CUSTOMERS)
    empty = await client.get(f"{url}?pageSize={size}", headers=headers)
    assert empty.status_code == 200
    assert empty.json()["data"] == [] and empty.json()["hasMore"] is False
    # Multi-byte names, the longest last: a cut by characters instead of bytes would show.
    names = ["Zoë", "Ørsted ✓", "Łódź Üñíçødé €€€ 日本語の名前"]
    ids = [await _create(client, creds, headers, n) for n in names]
    first = await client.get(f"{url}?pageSize={size}", headers=headers)
    assert first.status_code == 200
    body = first.json()
    assert [c["id"] for c in body["data"]] == ids[:size]
    assert [c["name"] for c in body["data"]] == names[:size]
    assert body["hasMore"] is (size < 3)
    assert body["page"] == 1 and body["pageSize"] == size
    if size < 3:
        second = (await client.get(f"{url}?pageSize={size}&page=2", headers=headers)).json()
        assert [c["id"] for c in second["data"]] == ids[size : 2 * size]
