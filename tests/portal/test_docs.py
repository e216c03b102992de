"""Docs and FAQs: ServiceTitan's slugs and order, every page renders, module pages' tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from localtitan.app import LocalTitan
from localtitan.operations import implemented_operations
from localtitan.portal import docs, samples
from localtitan.spec import load_manifest

SERVICETITAN_SLUGS = [
    "welcome",
    "overview",
    "get-going-getting-access",
    "get-going-create-a-user",
    "get-going-create-an-app",
    "get-going-manage-client-id-and-secret",
    "get-going-environments",
    "get-going-first-api-call",
    "get-going-going-live",
    "oauth20",
    "transactional-and-export-apis",
]
FAQ_SLUGS = [
    "faqs-environments",
    "faqs-apis-app-keys-client-keys",
    "faqs-customers",
    "faqs-developers",
    "faqs-developers-3rd-party-app-migration",
    "faqs-support",
    "faqs-v2-webhooks",
]


def test_sidebar_keeps_servicetitans_order() -> None:
    flat = [s for g in docs.docs_sidebar() for s in g.slugs]
    positions = [flat.index(s) for s in SERVICETITAN_SLUGS]
    assert positions == sorted(positions)
    modules = [s for s in flat if s.startswith("api-resources-")]
    manifest = load_manifest()
    assert len(modules) == len(manifest.modules) == 24
    names = [manifest.modules[s[len("api-resources-") :]].name.lower() for s in modules]
    assert names == sorted(names)  # ServiceTitan lists them alphabetically
    assert [s for g in docs.faq_sidebar() for s in g.slugs] == FAQ_SLUGS


@pytest.fixture
def with_hosts_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if the hosts work's point-an-existing-client.md were in the package."""
    real = docs._files()
    docs.docs_sidebar.cache_clear()
    monkeypatch.setattr(docs, "_files", lambda: real | {"point-an-existing-client"})
    yield
    docs.docs_sidebar.cache_clear()


def test_point_an_existing_client_follows_get_going_when_present(with_hosts_page: None) -> None:
    get_going = next(g for g in docs.docs_sidebar() if g.title == "Get Going")
    assert get_going.slugs[-2:] == ("get-going-going-live", "point-an-existing-client")


def test_a_missing_page_file_is_left_out_of_the_sidebar() -> None:
    flat = [s for g in docs.docs_sidebar() for s in g.slugs]
    assert ("point-an-existing-client" in flat) == ("point-an-existing-client" in docs._files())


async def test_every_page_renders_with_its_sidebar(client: httpx.AsyncClient) -> None:
    pages = docs.all_pages()
    assert len(pages) >= len(SERVICETITAN_SLUGS) + 24 + len(FAQ_SLUGS)
    for page in pages:
        r = await client.get(page.href)
        assert r.status_code == 200, page.href
        text = unescape(r.text)
        assert f"<h1>{page.title}</h1>" in text, page.href
        assert f'href="{page.href}" aria-current="page"' in r.text, page.href
        assert "@@" not in text, page.href  # every placeholder and sample filled
        assert "{{" not in text and "{%" not in text, page.href


async def test_every_module_page_tables_every_operation(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    manifest = app.runtime.manifest
    done = implemented_operations(manifest.operations)
    for key, module in manifest.modules.items():
        r = await client.get(f"/docs/api-resources-{key}")
        assert r.status_code == 200
        ops = [op for op in manifest.operations if op.module == key]
        rows = re.findall(r'<a href="/apis/' + re.escape(key) + r'#operation/([^"]+)">', r.text)
        assert sorted(rows) == sorted(op.operation_id for op in ops), key
        assert f"{sum(op.id in done for op in ops)} of them behaviour" in r.text
        assert f"/apis/{key}" in r.text
        if module.scope_prefix:
            assert module.scope_prefix in r.text
    r = await client.get("/docs/api-resources-crm")
    row = re.search(r"<tr>\s*<td><span class=\"method method-get\">GET</span></td>\s*"
                    r"<td><code>/crm/v2/tenant/\{tenant\}/customers</code></td>.*?</tr>",
                    r.text, re.DOTALL)  # fmt: skip
    assert row is not None
    assert "tn.crm.customers:r" in row.group(0) and "Yes" in row.group(0)


async def test_unknown_module_page_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs/api-resources-nothing")).status_code == 404


def test_every_sample_a_page_names_exists() -> None:
    manifest = load_manifest()
    for page in docs.all_pages():
        for name in re.findall(r"@@sample:([^@]+)@@", page.rendered.html):
            if name.startswith("module:"):
                assert samples.module_sample(manifest, name[7:]) is not None, page.slug
            else:
                assert name in samples.SAMPLES, (page.slug, name)
    # And every module has a first call to show.
    for key in manifest.modules:
        assert samples.module_sample(manifest, key) is not None, key
