"""Search: one in-process index over docs, FAQs, operations and registered sources."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from localtitan.portal import search
from localtitan.spec import load_manifest


async def test_export_is_found_in_docs_and_operations(client: httpx.AsyncClient) -> None:
    r = await client.get("/search", params={"q": "export"})
    assert r.status_code == 200
    text = r.text
    docs_at, ops_at = text.index('id="kind-docs"'), text.index('id="kind-operations"')
    assert docs_at < ops_at  # grouped by kind, docs first
    assert 'href="/docs/transactional-and-export-apis"' in text[docs_at:ops_at]
    exports = sum(1 for op in load_manifest().operations if "/export/" in op.path)
    # 20 a kind, then a link to all of them.
    # Up to the next group (release notes that mention exports come after operations).
    ops_end = text.find('id="kind-', ops_at + 1)
    ops_html = text[ops_at : ops_end if ops_end != -1 else len(text)]
    assert ops_html.count('class="hit-title"') == search.PER_KIND
    shown = re.search(r"Show all (\d+) operations", text)
    assert shown is not None and int(shown.group(1)) >= exports  # and MarkAsExported, ...
    r = await client.get("/search", params={"q": "export", "kind": "operations"})
    assert r.text.count('class="hit-where">GET /') >= exports
    assert "/apis/memberships#operation/Export_LocationRecurringServices" in r.text


def test_operations_match_by_id_path_and_scope() -> None:
    index = search.current_index()
    by_id = index.search("Customers_GetList")["operations"].hits
    assert by_id[0].document.title == "Customers_GetList"
    by_path = index.search("/crm/v2/tenant/{tenant}/export/customers")["operations"].hits
    assert by_path[0].document.title == "ExportCustomers_GetCustomers"
    by_scope = index.search("tn.jpm.jobs:w")["operations"].hits
    assert by_scope and all("tn.jpm.jobs:w" in h.document.where for h in by_scope[:5])
    # Camel case is split: "export customers" finds the export of customers first.
    assert index.search("export customers")["operations"].hits[0].document.title == (
        "ExportCustomers_GetCustomers"
    )


def test_all_terms_must_match() -> None:
    index = search.current_index()
    assert index.search("customers zzzznothing") == {}
    assert index.search("") == {}
    assert index.search("!!! ???") == {}


async def test_query_is_escaped_and_bounded(client: httpx.AsyncClient) -> None:
    r = await client.get("/search", params={"q": "<script>alert(1)</script> token"})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;" in r.text
    r = await client.get("/search", params={"q": "a" * 10_000})
    assert r.status_code == 200
    assert "a" * 201 not in r.text


async def test_htmx_asks_for_the_results_alone(client: httpx.AsyncClient) -> None:
    r = await client.get("/search", params={"q": "token"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and 'class="results"' in r.text
    assert 'href="/docs/oauth20"' in r.text
    full = await client.get("/search", params={"q": "token"})
    assert "<html" in full.text and "/static/htmx/htmx.min.js" in full.text


@pytest.fixture
def release_notes() -> Iterator[None]:
    notes = [
        search.Document(
            "release-notes", "ST-99.1: Added bookings", "/release-notes#st-99-1", "zebrafish"
        )
    ]
    search.register_source("release-notes", "Release notes", lambda: notes)
    yield
    search._sources[:] = [s for s in search._sources if s.kind != "release-notes"]
    search.invalidate()


async def test_areas_register_their_own_documents(
    release_notes: None, client: httpx.AsyncClient
) -> None:
    r = await client.get("/search", params={"q": "zebrafish"})
    assert "Release notes" in r.text
    assert 'href="/release-notes#st-99-1"' in r.text
    assert "<mark>zebrafish</mark>" in r.text


def test_index_is_fast() -> None:
    """Generous bounds for a busy machine; see docs/portal.md for what was measured."""
    search.current_index()  # the docs are rendered once per process, outside the timing
    began = time.perf_counter()
    index = search.build_index()
    built = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(20):
        index.search("customers export")
    per_query = (time.perf_counter() - began) / 20
    assert len(index.documents) > 600
    assert built < 2.0, built
    assert per_query < 0.05, per_query
