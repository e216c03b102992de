"""Home: what localtitan is, both environments, the two-step call, coverage, news."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from localtitan.app import LocalTitan
from localtitan.operations import implemented_operations
from localtitan.portal import home


async def test_home_shows_environments_call_and_coverage(
    client: httpx.AsyncClient, app: LocalTitan
) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    text = unescape(r.text)
    assert "http://testserver/auth-integration/connect/token" in text
    assert "http://testserver/api" in text
    ops = app.runtime.manifest.operations
    done = implemented_operations(ops)
    assert f"{len(done)} of {len(ops)} operations have behaviour across 24 APIs" in text
    # The two-step call, in four languages, each with a copy button once JS runs.
    for lang in ("curl", "python", "javascript", "csharp"):
        assert f'data-lang="{lang}"' in r.text
    assert "ST-App-Key" in text
    assert 'href="/docs/get-going-first-api-call"' in r.text
    assert 'href="/docs/api-resources-crm"' in r.text
    assert 'href="/release-notes"' in r.text


@pytest.fixture
def news() -> Iterator[None]:
    def provider(limit: int) -> list[home.NewsItem]:
        return [home.NewsItem("ST-88.2: new export", "2026-11-30", "/release-notes#st-88-2")]

    home.register_news(provider)
    yield
    home._news.remove(provider)


async def test_home_shows_the_newest_release_notes(news: None, client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert 'href="/release-notes#st-88-2"' in r.text
    assert "ST-88.2: new export" in r.text
