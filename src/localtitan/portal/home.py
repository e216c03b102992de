"""Home (``/``): what localtitan is, the two environments, the two-step call, coverage, news."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.operations import implemented_operations
from localtitan.portal import samples
from localtitan.portal.templating import render

__all__ = ["NewsItem", "module_coverage", "register_news", "routes"]


@dataclass(frozen=True, slots=True)
class NewsItem:
    """One line of "What's new" on Home: a release note, newest first."""

    title: str
    date: str
    href: str
    summary: str = ""


_news: list[Callable[[int], Sequence[NewsItem]]] = []


def register_news(provider: Callable[[int], Sequence[NewsItem]]) -> None:
    """Let an area (release notes) show its newest entries on Home: ``provider(limit)``."""
    _news.append(provider)


@dataclass(frozen=True, slots=True)
class ModuleCoverage:
    key: str
    name: str
    base: str
    total: int
    implemented: int

    @property
    def percent(self) -> int:
        return round(100 * self.implemented / self.total) if self.total else 0


def module_coverage(request: Request) -> list[ModuleCoverage]:
    manifest = request.app.state.runtime.manifest
    done = implemented_operations(manifest.operations)
    rows: dict[str, list[int]] = {}
    for op in manifest.operations:
        counts = rows.setdefault(op.module, [0, 0])
        counts[0] += 1
        counts[1] += op.id in done
    return [
        ModuleCoverage(key, m.name, m.base, rows.get(key, [0, 0])[0], rows.get(key, [0, 0])[1])
        for key, m in sorted(manifest.modules.items(), key=lambda kv: kv[1].name.lower())
    ]


async def home_page(request: Request) -> Response:
    coverage = module_coverage(request)
    news: list[NewsItem] = []
    for provider in _news:
        news.extend(provider(5))
    news.sort(key=lambda n: n.date, reverse=True)
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "coverage": coverage,
            "implemented": sum(c.implemented for c in coverage),
            "total": sum(c.total for c in coverage),
            "two_step": samples.render_sample(request, "first-call"),
            "news": news[:5],
        },
    )


routes: list[BaseRoute] = [Route("/", home_page, methods=["GET", "HEAD"], name="home")]
