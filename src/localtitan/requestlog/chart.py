"""The usage report's chart, drawn on the server as SVG: stacked bars of successful, failed
and rate-limited calls per time bucket. No script and no chart library; every text is escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from localtitan.requestlog.usage import UsageReport

__all__ = ["usage_svg"]

_W, _H = 720, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 28, 36
_COLOURS = (("successful", "#2f855a"), ("failed", "#c53030"), ("rate_limited", "#d69e2e"))
_DATED_BUCKET_MS = 6 * 3_600_000
_LABELS = {"successful": "Successful", "failed": "Failed", "rate_limited": "Rate-limited (429)"}


def _tick(ms: int, bucket_ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    # Ranges of several days label one bar a day, all at the same time of day: the date tells
    # them apart, the time would not.
    return moment.strftime("%H:%M" if bucket_ms < _DATED_BUCKET_MS else "%b %d")


def usage_svg(report: UsageReport, title: str = "API calls") -> str:
    buckets = report.buckets
    peak = max((b.total for b in buckets), default=0)
    scale = max(peak, 1)
    plot_w = _W - _LEFT - _RIGHT
    plot_h = _H - _TOP - _BOTTOM
    step = plot_w / max(len(buckets), 1)
    bar = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" role="img" aria-label="{escape(title)}, {escape(report.range.label)}">',
        f"<title>{escape(title)}: {escape(report.range.label)}</title>",
        f'<text x="{_LEFT}" y="16" font-size="13" font-family="sans-serif">'
        f"{escape(title)} ({escape(report.range.label)}), peak {peak:,} per bar</text>",
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - _RIGHT}" y2="{_TOP + plot_h}" '
        'stroke="#999"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 4}" font-size="10" text-anchor="end" '
        f'font-family="sans-serif">{peak:,}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" font-size="10" text-anchor="end" '
        'font-family="sans-serif">0</text>',
    ]
    every = max(1, len(buckets) // 6)
    for i, b in enumerate(buckets):
        x = _LEFT + i * step + (step - bar) / 2
        y = float(_TOP + plot_h)
        for name, colour in _COLOURS:
            count = int(getattr(b, name))
            if not count:
                continue
            height = plot_h * count / scale
            y -= height
            parts.append(
                f'<rect class="{name}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}"><title>{_LABELS[name]}: {count:,}'
                "</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{_TOP + plot_h + 14}" font-size="10" '
                f'text-anchor="middle" font-family="sans-serif">'
                f"{escape(_tick(b.start_ms, report.range.bucket_ms))}</text>"
            )
    legend_x = _LEFT
    for name, colour in _COLOURS:
        parts.append(
            f'<rect x="{legend_x}" y="{_H - 12}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{_H - 3}" font-size="11" font-family="sans-serif">'
            f"{_LABELS[name]}</text>"
        )
        legend_x += 150
    parts.append("</svg>")
    return "".join(parts)
