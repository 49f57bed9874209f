"""Insights of portfolios from the warehouse: read, compute, generate, write (no Dagster here).

Per portfolio: read the newest risk row, holdings, prices, news and alerts in one short connection;
generate each insight (model calls happen outside any transaction); then write all of the
portfolio's rows and one ``portfolio_updates`` outbox event in one transaction. Rows are keyed
by (portfolio, kind, as-of) with the as-of of the risk row, so rerunning on unchanged data
rewrites the same rows, and the answer cache makes that free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy.engine import Connection

from assets.insights import sheets
from assets.insights.engine import Insight, generate
from assets.insights.facts import FactSheet
from assets.insights.llm import ChatModel, TokenBudget
from assets.insights.personalize import profile
from assets.insights.rebalance import METHODS, Constraints, Rebalance, optimize_weights
from assets.insights.sentiment import aggregate
from assets.metrics import simple_returns
from assets.metrics.constants import DEFAULT_WINDOW
from warehouse import outbox
from warehouse.engine import get_engine, transaction
from warehouse.models import INSIGHT_KINDS
from warehouse.queries import insights as q
from warehouse.queries.prices import close_matrix
from warehouse.settings import DatabaseUrl

#: What the weekly schedule writes (rebalancing comes from its own asset).
WEEKLY_KINDS = ("weekly_analysis", "market_sentiment", "risk_alert_explanation", "personalized_recommendation")
REBALANCING_KINDS = ("rebalancing",)

#: How far back alerts and news are explained.
LOOKBACK = dt.timedelta(days=7)

#: Stablecoins offered to a portfolio holding none when its stablecoin floor needs some.
STABLECOIN_CANDIDATES = 3


@dataclass(frozen=True)
class Written:
    portfolio_id: int
    kind: str
    insight_id: int
    provider: str
    fallback_reason: str | None
    tokens: int


@dataclass
class RunResult:
    written: list[Written] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    events: list[int] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        providers = [w.provider for w in self.written]
        return {
            "insights": len(self.written),
            "model_written": providers.count("openai"),
            "offline": providers.count("offline"),
            "fallbacks": sum(w.fallback_reason is not None for w in self.written),
            "tokens": sum(w.tokens for w in self.written),
            "portfolios_skipped": len(self.skipped),
        }


# --- rebalancing inputs (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class RebalanceInputs:
    symbols: tuple[str, ...]
    returns: np.ndarray
    current: np.ndarray
    stable: np.ndarray
    prices: np.ndarray
    value_usd: float


def rebalance_inputs(
    closes: pl.DataFrame,
    positions: Sequence[Mapping[str, Any]],
    stable_assets: Sequence[Mapping[str, Any]],
    *,
    window: int,
    needs_stablecoins: bool,
) -> RebalanceInputs | str:
    """The optimizer's inputs, or why there are none.

    ``closes`` is the wide frame of ``warehouse.queries.prices.close_matrix`` (``time``, then one
    column per asset id as text) ending on the as-of day; ``positions`` the holdings (``asset_id,
    symbol, quantity, is_stablecoin``). Held assets need a close on each of the last ``window + 1``
    days; stablecoins are added (up to :data:`STABLECOIN_CANDIDATES`) when the floor needs them.
    """
    if not positions:
        return "the portfolio holds nothing"
    tail = closes.tail(window + 1)
    if tail.height < window + 1:
        return f"needs {window + 1} daily closes for a {window}-day window, {tail.height} stored"

    def full(asset_id: int) -> bool:
        col = str(asset_id)
        return col in tail.columns and tail.get_column(col).null_count() == 0

    short = [p["symbol"] for p in positions if not full(p["asset_id"])]
    if short:
        return f"holding(s) {', '.join(short)} lack daily closes over the {window}-day window"
    chosen = [(p["asset_id"], p["symbol"], p["quantity"], bool(p["is_stablecoin"])) for p in positions]
    if needs_stablecoins and not any(s for *_, s in chosen):
        extra = [s for s in stable_assets if full(s["asset_id"])][:STABLECOIN_CANDIDATES]
        chosen += [(s["asset_id"], s["symbol"], 0.0, True) for s in extra]
    prices = tail.select([str(a) for a, *_ in chosen]).to_numpy()
    quantities = np.array([qty for _, _, qty, _ in chosen])
    values = quantities * prices[-1]
    total = float(values.sum())
    if not total > 0:
        return "the portfolio has no value on the as-of day"
    return RebalanceInputs(
        symbols=tuple(sym for _, sym, _, _ in chosen),
        returns=simple_returns(prices)[1:],
        current=values / total,
        stable=np.array([s for *_, s in chosen]),
        prices=prices[-1],
        value_usd=total,
    )


def rebalance_extra(results: Mapping[str, Rebalance], inputs: RebalanceInputs | None, recommended: str) -> dict:
    """The computed suggestion stored beside the text (``structured.rebalance``)."""
    methods = {}
    for method, rb in results.items():
        methods[method] = {
            "null_reason": rb.null_reason,
            "target_weights": None if rb.target is None else dict(zip(rb.symbols, map(float, rb.target), strict=True)),
            "current_weights": dict(zip(rb.symbols, map(float, rb.current), strict=True)),
            "trades": rb.trades(inputs.value_usd if inputs else None, inputs.prices if inputs else None),
            "turnover": rb.turnover,
            "before": rb.before.as_dict(),
            "after": None if rb.after is None else rb.after.as_dict(),
        }
    return {"rebalance": {"recommended_method": recommended, "methods": methods}}


# --- per portfolio ----------------------------------------------------------------------------------


def _rebalance(
    conn: Connection, ctx: Mapping, risk: Mapping, positions: list[dict]
) -> tuple[dict[str, Rebalance], RebalanceInputs | str]:
    window = int(risk.get("window_days") or DEFAULT_WINDOW)
    as_of: dt.datetime = risk["time"]
    stable_assets = q.stablecoins(conn) if ctx["stablecoin_floor"] > 0 else []
    ids = [p["asset_id"] for p in positions] + [s["asset_id"] for s in stable_assets]
    day = as_of.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    closes = (
        close_matrix(conn, ids, day - dt.timedelta(days=window + 1), day + dt.timedelta(days=1))
        if ids
        else pl.DataFrame()
    )
    inputs = rebalance_inputs(
        closes, positions, stable_assets, window=window, needs_stablecoins=ctx["stablecoin_floor"] > 0
    )
    if isinstance(inputs, str):
        return {}, inputs
    constraints = Constraints(ctx["max_weight"], ctx["stablecoin_floor"], ctx["turnover_limit"])
    results = {
        m: optimize_weights(inputs.symbols, inputs.returns, inputs.current, inputs.stable, constraints, m)
        for m in METHODS
    }
    return results, inputs


def period_end(as_of: dt.datetime) -> dt.datetime:
    """End of the as-of day: risk rows are stamped with the UTC day whose close they use, so news and
    alerts are read up to that day's end (a running day simply has no later rows yet)."""
    return as_of.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def _items(conn: Connection, ctx: Mapping, risk: Mapping, kinds: Iterable[str]) -> list[tuple[FactSheet, dict]]:
    """The fact sheet and computed extras of each wanted kind (alerts only when there are some)."""
    kinds = set(kinds)
    end = period_end(risk["time"])
    p = profile(ctx["risk_tolerance"])
    positions = q.holdings(conn, ctx["portfolio_id"])
    out: list[tuple[FactSheet, dict]] = []
    if "weekly_analysis" in kinds:
        out.append((sheets.weekly_analysis(risk), {}))
    if kinds & {"rebalancing", "personalized_recommendation"}:
        results, inputs = _rebalance(conn, ctx, risk, positions)
        note = {"rebalance_null_reason": inputs} if isinstance(inputs, str) else {}
        extra = {**rebalance_extra(results, None if isinstance(inputs, str) else inputs, p.method), **note}
        if "rebalancing" in kinds:
            out.append((sheets.rebalancing(risk, ctx, p, results), extra))
        if "personalized_recommendation" in kinds:
            out.append(
                (sheets.personalized_recommendation(risk, ctx, p, results), {"risk_tolerance": p.tolerance, **extra})
            )
    if "market_sentiment" in kinds:
        rows = q.sentiment_rows(conn, [h["asset_id"] for h in positions], end - LOOKBACK, end)
        per_asset = aggregate(rows, end, [h["symbol"] for h in positions])
        extra = {
            "sentiment": {
                s.symbol: {
                    "scores": s.scores,
                    "articles": s.articles,
                    "label_7d": s.label_7d,
                    "null_reasons": s.null_reasons,
                    "headlines": [dict(h, published_at=sheets.iso(h["published_at"])) for h in s.headlines],
                }
                for s in per_asset
            }
        }
        out.append((sheets.market_sentiment(per_asset, end), extra))
    if "risk_alert_explanation" in kinds:
        recent = q.recent_alerts(conn, ctx["portfolio_id"], end - LOOKBACK, end)
        if recent:
            out.append((sheets.risk_alert_explanation(risk, recent), {}))
    return out


def run(
    url: DatabaseUrl,
    kinds: Sequence[str],
    *,
    portfolio_ids: Sequence[int] | None = None,
    chat: ChatModel | None = None,
    budget: TokenBudget | None = None,
    at: dt.datetime | None = None,
) -> RunResult:
    """Write the ``kinds`` of insights of every portfolio (or ``portfolio_ids``) with a risk row.

    Raises ``ValueError`` for an unknown kind or portfolio id (nothing is written).
    """
    bad = [k for k in kinds if k not in INSIGHT_KINDS]
    if bad:
        raise ValueError(f"unknown insight kind(s) {', '.join(bad)}; expected {', '.join(INSIGHT_KINDS)}")
    budget = budget or TokenBudget()
    engine = get_engine(url)
    with engine.connect() as conn:
        contexts = q.portfolio_contexts(conn, portfolio_ids)
    if portfolio_ids is not None:
        missing = sorted(set(portfolio_ids) - {c["portfolio_id"] for c in contexts})
        if missing:
            raise ValueError(f"unknown portfolio id(s) {', '.join(map(str, missing))}")

    def cached(kind: str, facts_hash: str, prompt_version: str, model: str):
        with engine.connect() as c:
            return q.cached_answer(c, kind, facts_hash, prompt_version, model)

    result = RunResult()
    for ctx in contexts:
        pid = ctx["portfolio_id"]
        with engine.connect() as conn:
            risk = q.latest_risk(conn, pid, at)
            if risk is None:
                result.skipped[pid] = "no portfolio risk metrics yet"
                continue
            items = _items(conn, ctx, risk, kinds)
        made: list[Insight] = [generate(s, chat=chat, budget=budget, cached=cached, extra=e) for s, e in items]
        with transaction(url) as conn:
            ids = [save_insight_row(conn, ins, ctx, risk["time"]) for ins in made]
            if made:
                seq = outbox.publish(
                    conn,
                    "portfolio_updates",
                    {
                        "type": "insights",
                        "portfolio_id": pid,
                        "as_of": sheets.iso(risk["time"]),
                        "insights": [
                            {"id": i, "kind": m.kind, "provider": m.provider} for i, m in zip(ids, made, strict=True)
                        ],
                    },
                    partition_key=risk["time"].astimezone(dt.UTC).date().isoformat(),
                    user_id=ctx["user_id"],
                )
                result.events.append(seq)
        result.written += [
            Written(pid, m.kind, i, m.provider, m.fallback_reason, (m.prompt_tokens or 0) + (m.completion_tokens or 0))
            for i, m in zip(ids, made, strict=True)
        ]
    return result


def save_insight_row(conn: Connection, insight: Insight, ctx: Mapping, as_of: dt.datetime) -> int:
    """Upsert the row; a cache hit on the very row it would replace leaves that row as it is (its
    original token usage stays on record)."""
    cached_from = (insight.structured.get("cache") or {}).get("insight_id")
    if cached_from is not None and cached_from == q.insight_id(conn, ctx["portfolio_id"], insight.kind, as_of):
        return cached_from
    return q.save_insight(conn, insight.row(user_id=ctx["user_id"], portfolio_id=ctx["portfolio_id"], as_of=as_of))
