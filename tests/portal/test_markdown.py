"""Markdown rendering is sanitised: nothing a page (or anyone's text) holds can run script."""

from __future__ import annotations

from localtitan.portal.markdown import render_markdown


def test_raw_html_and_script_links_do_not_survive() -> None:
    page = render_markdown(
        "# T\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [ok](https://example.test/a) "
        '![x](data:text/html,<script>) <a href="/x" onclick="evil()">a</a>\n'
    )
    html = page.html
    assert "<script" not in html
    # Raw HTML is shown as text, never as elements.
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="/x"' not in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")
    assert 'src="data:' not in html
    assert 'href="https://example.test/a"' in html
    assert 'rel="noopener noreferrer"' in html


def test_title_headings_and_tables() -> None:
    page = render_markdown(
        "# Limits\n\nIntro.\n\n## Rate limits\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "## Rate limits\n"
    )
    assert page.title == "Limits"
    assert "<h1" not in page.html  # the layout shows the title
    assert '<h2 id="rate-limits">' in page.html and '<h2 id="rate-limits-2">' in page.html
    assert "<table>" in page.html and "<td>2</td>" in page.html
    assert [h.anchor for h in page.headings] == ["rate-limits", "rate-limits-2"]


def test_code_is_escaped_and_samples_become_marks() -> None:
    page = render_markdown('# C\n\n```python\nprint("<b>")\n```\n\n```sample token\n```\n')
    assert "&lt;b&gt;" in page.html and "<b>" not in page.html
    assert "<p>@@sample:token@@</p>" in page.html
    # The search text is what a reader sees: no marks, no tags.
    assert "@@" not in page.text and "<" not in page.text.replace('"<b>"', "")
