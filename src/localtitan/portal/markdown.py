"""Markdown to safe HTML: markdown-it-py (CommonMark + tables), then nh3 (Ammonia) sanitising.

Raw HTML in a page is not rendered (markdown-it's ``html`` option is off) and whatever the
renderer produces passes nh3's allow-list, so a docs file, or anything a user types that is
rendered as Markdown, cannot inject script. A fenced block whose info string is
``sample <name>`` becomes a placeholder that ``localtitan.portal.docs`` swaps for the tabbed
code sample after sanitising.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape, unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["SAMPLE_MARK", "Heading", "Rendered", "render_markdown"]

SAMPLE_MARK = re.compile(r"<p>@@sample:([a-z0-9:._-]+)@@</p>")

_TAGS = {
    "a", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
    "code", "em", "strong", "del", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
    "img", "kbd",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "h2": {"id"},
    "h3": {"id"},
}


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    html: str
    headings: tuple[Heading, ...]
    text: str  # plain text, for the search index


def _slug(text: str, seen: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in seen:
        slug, n = f"{base}-{n}", n + 1
    seen.add(slug)
    return slug


def _fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    info = token.info.strip().split()
    if len(info) == 2 and info[0] == "sample":
        return f"<p>@@sample:{escape(info[1])}@@</p>\n"
    lang = f' class="language-{escape(info[0])}"' if info else ""
    return f"<pre><code{lang}>{escape(token.content)}</code></pre>\n"


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("fence", _fence)
    return md


_MD = _parser()


def render_markdown(source: str) -> Rendered:
    """Render a page; its first line ``# Title`` is the title and is not repeated in the body."""
    lines = source.lstrip("\ufeff").splitlines()
    title = ""
    if lines and lines[0].startswith("# "):
        title = lines[0][2:].strip()
        lines = lines[1:]
    tokens = _MD.parse("\n".join(lines))
    seen: set[str] = set()
    headings: list[Heading] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3"):
            inline = tokens[i + 1]
            parts = inline.children or []
            text = "".join(c.content for c in parts if c.type in ("text", "code_inline"))
            anchor = _slug(text, seen)
            token.attrSet("id", anchor)
            headings.append(Heading(int(token.tag[1]), text, anchor))
    raw = _MD.renderer.render(tokens, _MD.options, {})
    clean = nh3.clean(
        raw,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Rendered(title, clean, tuple(headings), plain_text(title, clean))


_TAG = re.compile(r"<[^>]+>")
_MARK = re.compile(r"@@[a-z_]+(:[a-z0-9:._-]+)?@@")


def plain_text(title: str, clean_html: str) -> str:
    """What a reader sees of a page, as text: tags, URL placeholders and sample marks gone."""
    text = _MARK.sub(" ", _TAG.sub(" ", clean_html))
    return title + "\n" + " ".join(unescape(text).split())
