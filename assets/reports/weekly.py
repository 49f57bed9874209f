"""The weekly portfolio report: one self-contained HTML page (inline CSS and SVG, no scripts, no
external requests) from the plain data of ``warehouse.queries.reports.report_inputs``.

Pure: the same inputs and ``generated_at`` give the same bytes. A figure that was not computed is
shown as "n/a" with the stored reason, never filled in.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from html import escape
from typing import Any

from assets.reports.svg import bar_chart, line_chart

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#0f172a;max-width:920px;margin:24px auto;padding:0 16px;line-height:1.45}
h1{font-size:1.6rem;margin:0}h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.sub{color:#475569}.na{color:#92400e}table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e2e8f0}td.n{text-align:right}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.kpi{border:1px solid #e2e8f0;border-radius:8px;padding:10px}.kpi b{display:block;font-size:1.3rem}
.up{color:#15803d}.down{color:#b91c1c}svg{width:100%;height:auto}.badge{border:1px solid #d97706;color:#92400e;border-radius:99px;padding:1px 8px;font-size:.8rem}
@media print{h2{break-after:avoid}svg{break-inside:avoid}}
"""


def _pct(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v * 100:.{digits}f}%"


def _usd(v: float | None) -> str:
    if v is None:
        return "n/a"
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.0f}" if abs(v) >= 1000 else f"{sign}${abs(v):,.2f}"


def _num(v: float | None, digits: int = 2) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _series(history: list[Mapping[str, Any]], key: str, scale: float = 1.0) -> list[tuple[dt.datetime, float]]:
    return [(r["time"], r[key] * scale) for r in history if r.get(key) is not None]


def _na(reasons: Mapping[str, Any], key: str) -> str:
    reason = reasons.get(key)
    return f' <span class="na">({escape(str(reason))})</span>' if reason else ""


def _kpis(inputs: Mapping[str, Any]) -> str:
    latest, history = inputs["latest"], inputs["history"]
    start = dt.datetime.combine(inputs["period_start"], dt.time(), dt.UTC)
    before = [r for r in history if r["time"] < start and r.get("value_usd") is not None]
    value = latest.get("value_usd")
    change = None if not before or value is None or not before[-1]["value_usd"] else value / before[-1]["value_usd"] - 1
    cells = [
        ("Value at week end", _usd(value), ""),
        ("Change over the week", _pct(change), "" if change is None else "up" if change >= 0 else "down"),
        ("Risk score (1-10)", _num(latest.get("risk_score"), 1), ""),
        ("VaR 95% (1-day)", _pct(latest.get("var_95")), ""),
        ("Expected shortfall 95%", _pct(latest.get("es_95")), ""),
        ("Volatility 30d (ann.)", _pct(latest.get("volatility_30d"), 1), ""),
        ("Max drawdown", _pct(latest.get("max_drawdown"), 1), ""),
        ("Effective holdings", _num(latest.get("effective_holdings"), 1), ""),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><span class="sub">{escape(k)}</span><b class="{cls}">{escape(v)}</b></div>'
            for k, v, cls in cells
        )
        + "</div>"
    )


def _allocation(latest: Mapping[str, Any]) -> str:
    holdings = (latest.get("contributions") or {}).get("holdings") or {}
    items = sorted(
        ((s, h["weight"]) for s, h in holdings.items() if h.get("weight") is not None), key=lambda kv: -kv[1]
    )
    return bar_chart("Allocation by value weight", [(s, w * 100) for s, w in items], lambda v: f"{v:.1f}%")


def _contributions(latest: Mapping[str, Any]) -> str:
    c = latest.get("contributions") or {}
    holdings = c.get("holdings") or {}
    items = [(s, h["volatility"] * 100) for s, h in holdings.items() if h.get("volatility") is not None]
    note = f'<p class="na">{escape(c["null_reason"])}</p>' if c.get("null_reason") else ""
    rows = "".join(
        f"<tr><td>{escape(s)}</td><td class=n>{_pct(h.get('weight'), 1)}</td><td class=n>{_pct(h.get('volatility'))}</td>"
        f"<td class=n>{_pct(h.get('component_var_95'))}</td></tr>"
        for s, h in holdings.items()
    )
    table = (
        "<table><tr><th>Asset</th><th>Weight</th><th>Volatility contribution</th><th>Component VaR 95</th></tr>"
        f"{rows}</table>"
        if rows
        else ""
    )
    return (
        bar_chart("Contribution to portfolio volatility (percentage points)", items, lambda v: f"{v:.2f} pp")
        + table
        + note
    )


def _stress(latest: Mapping[str, Any]) -> str:
    stress = latest.get("stress") or {}
    items = [
        (k.replace("_", " "), s["portfolio_return"] * 100)
        for k, s in stress.items()
        if s.get("portfolio_return") is not None
    ]
    rows = "".join(
        f"<tr><td><b>{escape(k.replace('_', ' '))}</b><br><span class=sub>{escape(s.get('description') or '')}</span></td>"
        f"<td class=n>{_pct(s.get('portfolio_return'))}</td><td class=n>{_usd(s.get('pnl'))}</td>"
        f"<td class=na>{escape(s.get('null_reason') or '')}</td></tr>"
        for k, s in stress.items()
    )
    if not rows:
        return '<p class="na">Stress scenarios were not computed for this week.</p>'
    return (
        bar_chart("Portfolio return under each scenario", items, lambda v: f"{v:.1f}%")
        + f"<table><tr><th>Scenario</th><th>Return</th><th>P&amp;L</th><th></th></tr>{rows}</table>"
    )


def _insights(insights: list[Mapping[str, Any]]) -> str:
    if not insights:
        return '<p class="sub">No insights were written this week.</p>'
    out = []
    for i in insights:
        who = (
            "offline rules engine" if i["provider"] == "offline" else f"{i['provider']} {i.get('model') or ''}".strip()
        )
        facts = i.get("facts") or {}
        cited = "".join(
            f"<li><code>{escape(str(k))}</code>: {escape(json.dumps(v, default=str))}</li>" for k, v in facts.items()
        )
        out.append(
            f"<article><h3>{escape(i['title'])}</h3><p class=sub>{escape(i['kind'].replace('_', ' '))} · "
            f"as of {i['as_of']:%Y-%m-%d} · {escape(who)}</p><p>{escape(i['body'])}</p>"
            + (f"<details open><summary>Facts cited</summary><ul>{cited}</ul></details>" if cited else "")
            + "</article>"
        )
    return "".join(out)


def render_weekly_report(inputs: Mapping[str, Any], generated_at: dt.datetime, *, simulated: bool = False) -> str:
    """The report as one HTML document. ``inputs``: see ``warehouse.queries.reports.report_inputs``."""
    p = inputs["portfolio"]
    start, end = inputs["period_start"], inputs["period_end"]
    history, latest = inputs["history"], inputs["latest"]
    week = (
        dt.datetime.combine(start, dt.time(), dt.UTC),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC),
    )
    head = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{escape(p['name'])}: weekly risk report {start:%Y-%m-%d} to {end:%Y-%m-%d}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(p['name'])} · weekly risk report</h1>"
        f"<p class=sub>Week {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC) · generated {generated_at:%Y-%m-%d %H:%M} UTC · "
        f"values in USD{' · <span class=badge>simulated market data</span>' if simulated else ''}</p>"
    )
    if latest is None:
        body = '<p class="na">No risk metrics were computed for this portfolio during the week, so there is nothing to report.</p>'
        return head + body + _insights(inputs["insights"]) + "</body></html>"
    reasons = latest.get("null_reasons") or {}
    sections = [
        "<h2>Summary</h2>",
        _kpis(inputs),
        "".join(f'<p class="na">{escape(k)}: {escape(str(v))}</p>' for k, v in reasons.items()),
        "<h2>Value</h2>",
        line_chart("Portfolio value (USD), week shaded", [("value", _series(history, "value_usd"))], _usd, shade=week),
        "<h2>Drawdown</h2>" + _na(reasons, "current_drawdown"),
        line_chart(
            "Drawdown from running peak",
            [("drawdown", _series(history, "current_drawdown"))],
            lambda v: _pct(v, 0),
            shade=week,
            fill=True,
        ),
        "<h2>Volatility (annualized)</h2>",
        line_chart(
            "Rolling volatility",
            [(f"{w}d", _series(history, f"volatility_{w}d")) for w in (30, 90, 365)],
            lambda v: _pct(v, 0),
            shade=week,
        ),
        "<h2>Allocation</h2>",
        _allocation(latest),
        "<h2>Risk contributions</h2>",
        _contributions(latest),
        "<h2>Stress scenarios</h2>",
        _stress(latest),
        "<h2>Insights</h2>",
        _insights(inputs["insights"]),
        f"<h2>Method</h2><p class=sub>Daily simple returns, annualization 365, metrics over a {latest['window_days']}-day "
        "window ending on the last day of the week. VaR and expected shortfall are one-day historical losses as positive "
        "fractions. The risk score runs from 1 (lowest) to 10.</p>",
    ]
    return head + "".join(sections) + "</body></html>"
