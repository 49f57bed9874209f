"""Risk metrics of portfolios and assets, correlation and AI insights."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class MetricsOut(msgspec.Struct):
    """Risk metrics as of ``time`` (annualized, decimal fractions; VaR/ES are positive losses).
    A metric that could not be computed is null, with its reason in ``null_reasons``."""

    time: datetime
    window_days: int
    volatility_30d: float | None
    volatility_90d: float | None
    volatility_365d: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    current_drawdown: float | None
    var_95: float | None
    var_99: float | None
    es_95: float | None
    es_99: float | None
    var_95_parametric: float | None
    var_95_cornish_fisher: float | None
    beta_btc: float | None
    beta_market: float | None
    null_reasons: dict[str, Any] = {}
    computed_at: datetime | None = None


class PortfolioMetricsOut(MetricsOut):
    value_usd: float | None = None
    hhi: float | None = None
    effective_holdings: float | None = None
    risk_score: float | None = None  # 1 (lowest risk) .. 10, two decimals
    score_components: dict[str, Any] = {}
    contributions: dict[str, Any] = {}
    stress: dict[str, Any] = {}
    backtest: dict[str, Any] = {}


class PortfolioRiskOut(msgspec.Struct):
    portfolio_id: int
    metrics: PortfolioMetricsOut | None
    reason: str | None = None


class AssetRiskOut(msgspec.Struct):
    symbol: str
    metrics: MetricsOut | None
    reason: str | None = None


class CorrelationMatrixOut(msgspec.Struct):
    time: datetime
    window_days: int
    symbols: list[str]
    matrix: list[list[float | None]]
    computed_at: datetime


class CorrelationOut(msgspec.Struct):
    portfolio_id: int
    correlation: CorrelationMatrixOut | None
    reason: str | None = None


class InsightOut(msgspec.Struct):
    id: int
    kind: str
    as_of: datetime
    title: str
    body: str
    structured: dict[str, Any]
    provider: str
    model: str | None
    fallback_reason: str | None
    created_at: datetime
    facts: dict[str, Any] = {}  # the figures the insight was written from (what it cites)
