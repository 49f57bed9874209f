"""Inline SVG charts for self-contained HTML reports (stdlib only, no JavaScript).

Every function returns an ``<svg>`` string with a ``<title>`` for screen readers; text is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#0369a1", "#d97706", "#15803d", "#be185d", "#6d28d9", "#b91c1c", "#0f766e", "#a16207")
Point = tuple[dt.datetime, float]


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi == lo:
        return [lo]
    return [lo + (hi - lo) * k / n for k in range(n + 1)]


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[Point]]],
    fmt: Callable[[float], str],
    *,
    shade: tuple[dt.datetime, dt.datetime] | None = None,
    fill: bool = False,
    width: int = 640,
    height: int = 220,
) -> str:
    """Lines over time; ``shade`` marks a time span (the report's week)."""
    points = [p for _, s in series for p in s]
    if len(points) < 2:
        return f'<p class="na">{escape(title)}: not enough data for a chart.</p>'
    left, right, top, bottom = 70, 40, 24, 28
    xs = [p[0].timestamp() for p in points]
    ys = [p[1] for p in points] + ([0.0] if fill else [])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    sx = lambda t: left + (t - x0) / ((x1 - x0) or 1) * (width - left - right)  # noqa: E731
    sy = lambda v: top + (y1 - v) / (y1 - y0) * (height - top - bottom)  # noqa: E731
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    if shade:
        a, b = sx(max(shade[0].timestamp(), x0)), sx(min(shade[1].timestamp(), x1))
        out.append(
            f'<rect x="{a:.1f}" y="{top}" width="{max(b - a, 1):.1f}" height="{height - top - bottom}" fill="#e0f2fe"/>'
        )
    for v in _ticks(y0, y1):
        y = sy(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#334155">{escape(fmt(v))}</text>'
        )
    for t in _ticks(x0, x1, 3):
        label = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d")
        out.append(
            f'<text x="{sx(t):.1f}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#334155">{label}</text>'
        )
    for i, (label, s) in enumerate(series):
        if not s:
            continue
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(p[0].timestamp()):.1f},{sy(p[1]):.1f}" for p in s)
        if fill:
            base = sy(0.0)
            first, last = sx(s[0][0].timestamp()), sx(s[-1][0].timestamp())
            out.append(
                f'<polygon points="{first:.1f},{base:.1f} {path} {last:.1f},{base:.1f}" fill="{color}" fill-opacity="0.18"/>'
            )
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{left + 8 + 90 * i}" y="14" font-size="12" fill="{color}">■ {escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(title: str, items: Sequence[tuple[str, float]], fmt: Callable[[float], str], *, width: int = 640) -> str:
    """Horizontal bars (negative values to the left of zero, in red)."""
    if not items:
        return f'<p class="na">{escape(title)}: nothing to show.</p>'
    row, left, right, top = 24, 170, 80, 8
    height = top * 2 + row * len(items)
    lo, hi = min(0.0, *(v for _, v in items)), max(0.0, *(v for _, v in items))
    span = (hi - lo) or 1.0
    sx = lambda v: left + (v - lo) / span * (width - left - right)  # noqa: E731
    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    zero = sx(0.0)
    for k, (label, v) in enumerate(items):
        y = top + k * row
        a, b = sorted((zero, sx(v)))
        color = "#b91c1c" if v < 0 else "#0369a1"
        out.append(
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="12" fill="#0f172a">{escape(label)}</text>'
        )
        out.append(f'<rect x="{a:.1f}" y="{y + 4}" width="{max(b - a, 1):.1f}" height="{row - 8}" fill="{color}"/>')
        out.append(
            f'<text x="{max(b, zero) + 6:.1f}" y="{y + 16}" font-size="12" fill="#0f172a">{escape(fmt(v))}</text>'
        )
    out.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - top}" stroke="#64748b"/>')
    out.append("</svg>")
    return "".join(out)
