"""The demo company's task form offers task types, sources and resolutions."""

from __future__ import annotations

import httpx
from demo_kit import small_tenant

from localtitan.app import LocalTitan


async def test_the_task_form_offers_the_companys_setup(
    app: LocalTitan, client: httpx.AsyncClient, backend: str
) -> None:
    creds = await small_tenant(app, backend)
    r = await client.get(
        creds.api("/taskmanagement/v2/tenant/{tenant}/data"), headers=await creds.headers(client)
    )
    assert r.status_code == 200, r.text
    data = r.json()
    types, sources, resolutions = data["taskTypes"], data["taskSources"], data["taskResolutions"]
    assert types and sources and resolutions
    refund = [x for x in resolutions if x["type"] == "Refund"]
    assert len(refund) == 1
    # Only a refund request may end in a refund; every resolution a type excludes exists.
    known = {x["id"] for x in resolutions}
    for kind in types:
        assert set(kind["excludedTaskResolutionIds"]) <= known
        ends_in_refund = refund[0]["id"] not in kind["excludedTaskResolutionIds"]
        assert ends_in_refund == ("refund" in kind["name"].lower()), kind
