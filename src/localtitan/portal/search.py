"""Search (``/search?q=``): one in-process index over docs, FAQs, operations and whatever else
an area registers (release notes), results grouped by kind.

The index is built once per process on first use (the corpus is packaged: the manifest and the
docs) and rebuilt after ``invalidate()``, which an area calls when its documents change. An area
adds documents with ``register_source(kind, label, provider)``; ``provider()`` returns
``Document`` objects. docs/portal.md says why an in-process index (and what was measured).
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from localtitan.portal.templating import render

__all__ = [
    "Document",
    "Hit",
    "Index",
    "Results",
    "build_index",
    "current_index",
    "invalidate",
    "register_source",
    "routes",
]

MAX_QUERY = 200
MAX_TERMS = 8
PER_KIND = 20
MAX_EXPANDED = 600
_GENERIC_HEADINGS = {"Things to know", "What people build with it"}
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True, slots=True)
class Document:
    kind: str  # "docs", "faqs", "operations", "release-notes", ...
    title: str
    url: str
    text: str = ""
    # Short identifiers weighted above prose (path, scope, ...).
    keys: tuple[str, ...] = ()
    # One line shown under the title (say "GET /crm/v2/... · tn.crm.customers:r").
    where: str = ""
    # Whether the results show a piece of ``text`` around the match.
    show_snippet: bool = True


@dataclass(frozen=True, slots=True)
class Hit:
    document: Document
    score: float
    snippet: Markup


@dataclass(slots=True)
class Results:
    """The hits of one kind, best first, and how many matched in all."""

    hits: list[Hit]
    total: int


@dataclass(frozen=True, slots=True)
class _Source:
    kind: str
    label: str
    provider: Callable[[], Iterable[Document]]


_sources: list[_Source] = []


def register_source(kind: str, label: str, provider: Callable[[], Iterable[Document]]) -> None:
    """Add a kind of result (shown under ``label``, in registration order) to the index."""
    _sources[:] = [s for s in _sources if s.kind != kind]
    _sources.append(_Source(kind, label, provider))
    invalidate()


def _tokens(text: str) -> list[str]:
    """Words as they occur (camel case split), then any whole word that is not one of them
    (``exportcustomers``), so a query may name either."""
    parts = [w.lower() for w in _CAMEL.findall(text)]
    known = set(parts)
    return parts + [w for w in dict.fromkeys(_WORD.findall(text.lower())) if w not in known]


@dataclass
class Index:
    documents: list[Document]
    labels: dict[str, str]
    postings: dict[str, dict[int, float]] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)

    def add(self, doc_id: int, doc: Document) -> None:
        """A word in the title counts most, one in a key (path, scope) next; in the text, how
        often it appears counts, with diminishing weight (a long page does not win by length).
        """
        counts: dict[str, int] = {}
        for token in _tokens(doc.text):
            counts[token] = counts.get(token, 0) + 1
        score = {token: math.log1p(n) for token, n in counts.items()}
        for key in doc.keys:
            for token in set(_tokens(key)):
                score[token] = score.get(token, 0.0) + 4.0
        for token in set(_tokens(doc.title)):
            score[token] = score.get(token, 0.0) + 10.0
        for token, value in score.items():
            self.postings.setdefault(token, {})[doc_id] = value

    def _matching(self, term: str) -> dict[int, float]:
        """Per document, its best token starting with ``term`` (an exact match counts more)."""
        found: dict[int, float] = {}
        i = bisect.bisect_left(self.vocabulary, term)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(term):
            token = self.vocabulary[i]
            boost = 1.5 if token == term else 1.0
            for doc_id, weight in self.postings[token].items():
                found[doc_id] = max(found.get(doc_id, 0.0), weight * boost)
            i += 1
        return found

    def search(self, query: str, *, expand: str = "") -> dict[str, Results]:
        """Hits grouped by kind; ``expand`` names a kind whose hits are not cut at PER_KIND."""
        terms = list(dict.fromkeys(_WORD.findall(query.lower()[:MAX_QUERY])))[:MAX_TERMS]
        if not terms:
            return {}
        scores: dict[int, float] | None = None
        for term in terms:
            matched = self._matching(term)
            if scores is None:
                scores = matched
            else:
                scores = {d: s + matched[d] for d, s in scores.items() if d in matched}
            if not scores:
                return {}
        assert scores is not None
        grouped: dict[str, Results] = {}
        for doc_id, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])):
            doc = self.documents[doc_id]
            group = grouped.setdefault(doc.kind, Results([], 0))
            group.total += 1
            if len(group.hits) < (MAX_EXPANDED if doc.kind == expand else PER_KIND):
                group.hits.append(Hit(doc, score, snippet(doc.text, terms)))
        return {kind: grouped[kind] for kind in self.labels if kind in grouped}


def snippet(text: str, terms: list[str], width: int = 90) -> Markup:
    """A piece of ``text`` around the first matching term, terms marked, everything escaped."""
    flat = " ".join(text.split())
    if not flat:
        return Markup("")
    lower = flat.lower()
    hits = [lower.find(t) for t in terms if lower.find(t) >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    piece = flat[start : start + width * 2]
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[str] = ["…" if start else ""]
    last = 0
    for m in pattern.finditer(piece):
        out.append(str(escape(piece[last : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(str(escape(piece[last:])))
    if start + width * 2 < len(flat):
        out.append("…")
    return Markup("".join(out))  # noqa: S704 - every piece escaped above


def build_index(sources: Iterable[_Source] | None = None) -> Index:
    chosen = list(_sources if sources is None else sources)
    index = Index([], {s.kind: s.label for s in chosen})
    for source in chosen:
        for doc in source.provider():
            doc_id = len(index.documents)
            index.documents.append(doc)
            index.add(doc_id, doc)
    index.vocabulary = sorted(index.postings)
    return index


_lock = threading.Lock()
_built: Index | None = None
build_seconds = 0.0


def invalidate() -> None:
    global _built
    with _lock:
        _built = None


def current_index() -> Index:
    global _built, build_seconds
    with _lock:
        if _built is None:
            began = time.perf_counter()
            _built = build_index()
            build_seconds = time.perf_counter() - began
        return _built


def _pages(faqs: bool) -> Iterable[Document]:
    from localtitan.portal.docs import all_pages
    from localtitan.spec import load_manifest

    tags: dict[str, set[str]] = {}
    for op in load_manifest().operations:
        tags.setdefault(op.module, set()).add(op.tag or op.resource)
    for p in all_pages():
        if p.is_faq != faqs:
            continue
        # A page's headings, and a module page's records, say what it is about.
        keys = [h.text for h in p.rendered.headings if h.text not in _GENERIC_HEADINGS]
        keys += sorted(tags.get(p.module or "", ()))
        yield Document("faqs" if faqs else "docs", p.title, p.href, p.rendered.text, tuple(keys))


def _operation_documents() -> Iterable[Document]:
    from localtitan.portal.modules import reference_href
    from localtitan.spec import load_manifest

    manifest = load_manifest()
    for op in manifest.operations:
        module = manifest.modules[op.module].name
        yield Document(
            "operations",
            op.operation_id,
            reference_href(op),
            f"{op.method} {op.path} {op.scope} {module} {op.kind} {op.resource}",
            (op.path, op.scope, module),
            where=f"{op.method} {op.path} · {op.scope} · {module}",
            show_snippet=False,
        )


register_source("docs", "Docs", lambda: _pages(faqs=False))
register_source("faqs", "FAQs", lambda: _pages(faqs=True))
register_source("operations", "Operations", _operation_documents)


async def search_page(request: Request) -> Response:
    query = request.query_params.get("q", "")[:MAX_QUERY].strip()
    expand = request.query_params.get("kind", "")[:40]
    index = current_index()
    results = index.search(query, expand=expand) if query else {}
    context = {
        "title": f"Search: {query}" if query else "Search",
        "query": query,
        "results": results,
        "labels": index.labels,
        "total": sum(r.total for r in results.values()),
    }
    fragment = request.headers.get("hx-request") == "true"
    return render(request, "search_results.html" if fragment else "search.html", context)


routes: list[BaseRoute] = [Route("/search", search_page, methods=["GET", "HEAD"], name="search")]
