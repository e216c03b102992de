"""Docs and FAQs at ``/docs/<slug>``: Markdown pages in the package, in ServiceTitan's order.

Pages are ``localtitan/portal/content/docs/<slug>.md`` (first line ``# Title``). Module pages
(``api-resources-<module>``) add, generated from the manifest, the module's records and its
operations table, and a code sample; their Markdown file (an introduction) is optional.
Pages write this server's URLs as ``@@integration_api@@``, ``@@integration_token_url@@``,
``@@production_api@@``, ``@@production_token_url@@`` and ``@@base@@``; they are filled per request.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from localtitan.portal import modules, samples
from localtitan.portal.markdown import SAMPLE_MARK, Rendered, render_markdown
from localtitan.portal.site import error_page
from localtitan.portal.templating import render, server_urls
from localtitan.spec import load_manifest

__all__ = ["DocPage", "Group", "all_pages", "docs_sidebar", "faq_sidebar", "page", "routes"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
MODULE_PREFIX = "api-resources-"


@dataclass(frozen=True, slots=True)
class Group:
    title: str
    slugs: tuple[str, ...]
    nested: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DocPage:
    slug: str
    title: str
    rendered: Rendered
    module: str | None  # manifest module key of an API Resources page

    @property
    def href(self) -> str:
        return f"/docs/{self.slug}"

    @property
    def is_faq(self) -> bool:
        return self.slug.startswith("faqs-")


_GET_GOING = (
    "get-going-getting-access",
    "get-going-create-a-user",
    "get-going-create-an-app",
    "get-going-manage-client-id-and-secret",
    "get-going-environments",
    "get-going-first-api-call",
    "get-going-going-live",
    # Written by the `hosts` work; listed when its file is in the package.
    "point-an-existing-client",
)

_FAQS = Group(
    "FAQs",
    (
        "faqs-environments",
        "faqs-apis-app-keys-client-keys",
        "faqs-customers",
        "faqs-developers",
        "faqs-developers-3rd-party-app-migration",
        "faqs-support",
        "faqs-v2-webhooks",
    ),
    nested=frozenset({"faqs-developers-3rd-party-app-migration"}),
)


def _content() -> resources.abc.Traversable:
    return resources.files("localtitan.portal").joinpath("content", "docs")


@functools.cache
def _files() -> frozenset[str]:
    return frozenset(
        entry.name[: -len(".md")] for entry in _content().iterdir() if entry.name.endswith(".md")
    )


@functools.cache
def docs_sidebar() -> tuple[Group, ...]:
    manifest = load_manifest()
    ordered = sorted(manifest.modules.values(), key=lambda m: m.name.lower())
    have = _files()
    return tuple(
        Group(g.title, tuple(s for s in g.slugs if s in have or s.startswith(MODULE_PREFIX)))
        for g in (
            Group("Introduction", ("welcome", "overview")),
            Group("Get Going", _GET_GOING),
            Group("Concepts", ("oauth20", "transactional-and-export-apis", "limits-and-paging")),
            Group("Your localtitan", ("localtitan-tenants",)),
            Group("API Resources", tuple(MODULE_PREFIX + m.key for m in ordered)),
            Group("This deployment", ("about", "licence", "api-terms")),
        )
    )


def faq_sidebar() -> tuple[Group, ...]:
    have = _files()
    return (Group(_FAQS.title, tuple(s for s in _FAQS.slugs if s in have), _FAQS.nested),)


@functools.cache
def page(slug: str) -> DocPage | None:
    """A page by slug, rendered once per process; None when there is no such page."""
    if not _SLUG.match(slug):
        return None
    module = slug[len(MODULE_PREFIX) :] if slug.startswith(MODULE_PREFIX) else None
    manifest = load_manifest()
    if module is not None and module not in manifest.modules:
        return None
    if slug not in _files():
        if module is None:
            return None
        name = manifest.modules[module].name
        return DocPage(slug, f"{name} APIs", render_markdown(f"# {name} APIs\n"), module)
    source = _content().joinpath(f"{slug}.md").read_text(encoding="utf-8")
    rendered = render_markdown(source)
    return DocPage(slug, rendered.title or slug, rendered, module)


def all_pages() -> list[DocPage]:
    """Every page in sidebar order (docs, then FAQs), for the search index and the tests."""
    found = []
    for group in (*docs_sidebar(), *faq_sidebar()):
        for slug in group.slugs:
            p = page(slug)
            if p is not None:
                found.append(p)
    return found


def fill(html: str, request: Request) -> Markup:
    """Swap the URL placeholders and sample marks for this request's values."""
    urls = {u.environment.value: u for u in server_urls(request)}
    values = {
        "integration_api": urls["integration"].api_base,
        "integration_token_url": urls["integration"].token_url,
        "production_api": urls["production"].api_base,
        "production_token_url": urls["production"].token_url,
        "base": urls["integration"].api_base.rsplit("/", 1)[0],
    }
    out = SAMPLE_MARK.sub(lambda m: str(samples.render_sample(request, m.group(1))), html)
    for key, value in values.items():
        out = out.replace(f"@@{key}@@", Markup.escape(value))
    return Markup(out)  # noqa: S704 - sanitised by nh3 in render_markdown; samples escape


def _neighbours(groups: tuple[Group, ...], slug: str) -> tuple[DocPage | None, DocPage | None]:
    flat = [s for g in groups for s in g.slugs]
    if slug not in flat:
        return None, None
    i = flat.index(slug)
    before = page(flat[i - 1]) if i > 0 else None
    after = page(flat[i + 1]) if i + 1 < len(flat) else None
    return before, after


async def doc_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    found = page(slug)
    if found is None:
        return error_page(request, 404, f"There is no docs page called “{slug[:80]}”.")
    groups = faq_sidebar() if found.is_faq else docs_sidebar()
    before, after = _neighbours(groups, slug)
    context = {
        "title": found.title,
        "doc": found,
        "body": fill(found.rendered.html, request),
        "groups": groups,
        "page_of": page,
        "before": before,
        "after": after,
        "module": None,
    }
    if found.module is not None:
        context["module"] = modules.overview(request, found.module)
    return render(request, "doc.html", context)


async def docs_index(request: Request) -> Response:
    return RedirectResponse("/docs/welcome", status_code=307)


routes: list[BaseRoute] = [
    Route("/docs", docs_index, methods=["GET", "HEAD"]),
    Route("/docs/", docs_index, methods=["GET", "HEAD"]),
    Route("/docs/{slug}", doc_page, methods=["GET", "HEAD"], name="doc"),
]
