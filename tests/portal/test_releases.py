"""Release notes pages and Atom feeds, on both backends."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from localtitan.spec.history import load_history

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_release_notes_group_releases_with_tags_scopes_and_links(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/release-notes")
    assert r.status_code == 200
    page = r.text
    for release in load_history():
        assert release.label in page
        assert f'href="/release-notes/{release.id}"' in page
    assert 'class="tag tag-added"' in page and 'class="tag tag-removed"' in page
    assert "tn.crm.customers:r" in page
    assert 'href="/apis/crm#operation/Customers_GetList"' in page
    assert 'action="/release-notes/subscribe"' in page
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


async def test_module_filter_keeps_only_that_api(client: httpx.AsyncClient) -> None:
    r = await client.get("/release-notes", params={"module": "timesheets"})
    assert r.status_code == 200
    assert "ActivitiesControllers_GetList" in r.text
    assert "Customers_GetList" not in r.text
    # Timesheets did not exist in 2022: that release is not shown for it.
    assert "2022-04-18 snapshot" not in r.text
    assert (await client.get("/release-notes", params={"module": "nope"})).status_code == 404


async def test_permalink_per_release(client: httpx.AsyncClient) -> None:
    newest = load_history()[0]
    r = await client.get(f"/release-notes/{newest.id}")
    assert r.status_code == 200 and newest.label in r.text
    others = [x.label for x in load_history()[1:]]
    assert not any(label in r.text for label in others)
    missing = await client.get("/release-notes/no-such-release")
    assert missing.status_code == 404 and "no release" in missing.text


def _parse(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())  # noqa: S314 - our own feed, in a test
    assert root.tag == f"{ATOM}feed"
    return root


async def test_atom_feed_parses_with_one_entry_per_release(client: httpx.AsyncClient) -> None:
    r = await client.get("/release-notes/feed.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = _parse(r.text)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [x.label for x in load_history()]
    first = entries[0]
    link = first.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").startswith("http://testserver/release-notes/")
    assert first.findtext(f"{ATOM}updated", "").endswith("T00:00:00Z")
    # The HTML content is escaped text, not XML elements.
    content = first.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html" and "<h3>" in (content.text or "")


async def test_per_module_feed_only_has_that_api(client: httpx.AsyncClient) -> None:
    r = await client.get("/release-notes/timesheets/feed.atom")
    assert r.status_code == 200
    root = _parse(r.text)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    content = entries[0].findtext(f"{ATOM}content", "")
    assert "ActivitiesControllers_GetList" in content and "Customers_GetList" not in content
    assert (await client.get("/release-notes/nope/feed.atom")).status_code == 404
