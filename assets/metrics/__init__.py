"""Pure risk math: numpy, scipy and polars only (no Dagster, database or web imports).

Low-level functions follow empyrical's API on ``(T,)`` / ``(T, N)`` return arrays (and equal its
values with ``annualization=365``); :func:`analyze` runs the whole engine on many portfolios at
once and :func:`risk_report` builds the ``crypto-risk risk`` document.
"""

from assets.metrics.backtest import BacktestResult, historical_var_forecasts, kupiec_test, var_backtest
from assets.metrics.beta import beta, roll_beta
from assets.metrics.concentration import effective_number, herfindahl_index, value_weights
from assets.metrics.contribution import component_var, volatility_contributions
from assets.metrics.correlation import annualized_covariance, correlation_matrix, covariance_matrix
from assets.metrics.drawdown import (
    current_drawdown,
    drawdown_series,
    max_drawdown,
    max_drawdown_duration,
    roll_max_drawdown,
)
from assets.metrics.engine import METRIC_KEYS, RiskAnalysis, analyze, series_metrics
from assets.metrics.prices import PriceDataError, PriceMatrix
from assets.metrics.ratios import roll_sharpe_ratio, roll_sortino_ratio, sharpe_ratio, sortino_ratio
from assets.metrics.report import holdings_vector, risk_report
from assets.metrics.returns import daily_risk_free, market_index_returns, portfolio_values, simple_returns
from assets.metrics.score import RiskScore, risk_score
from assets.metrics.stress import (
    Scenario,
    apply_scenario,
    beta_shock,
    historical_replay,
    historical_replays,
    stablecoin_depeg,
    worst_windows,
)
from assets.metrics.table import MetricTable
from assets.metrics.var import (
    conditional_value_at_risk,
    cornish_fisher_value_at_risk,
    parametric_value_at_risk,
    value_at_risk,
)
from assets.metrics.volatility import annual_volatility, downside_risk, roll_annual_volatility, roll_downside_risk

__all__ = [
    "BacktestResult",
    "METRIC_KEYS",
    "MetricTable",
    "PriceDataError",
    "PriceMatrix",
    "RiskAnalysis",
    "RiskScore",
    "Scenario",
    "analyze",
    "annual_volatility",
    "annualized_covariance",
    "apply_scenario",
    "beta",
    "beta_shock",
    "component_var",
    "conditional_value_at_risk",
    "cornish_fisher_value_at_risk",
    "correlation_matrix",
    "covariance_matrix",
    "current_drawdown",
    "daily_risk_free",
    "downside_risk",
    "drawdown_series",
    "effective_number",
    "herfindahl_index",
    "historical_replay",
    "historical_replays",
    "historical_var_forecasts",
    "holdings_vector",
    "kupiec_test",
    "market_index_returns",
    "max_drawdown",
    "max_drawdown_duration",
    "parametric_value_at_risk",
    "portfolio_values",
    "risk_report",
    "risk_score",
    "roll_annual_volatility",
    "roll_beta",
    "roll_downside_risk",
    "roll_max_drawdown",
    "roll_sharpe_ratio",
    "roll_sortino_ratio",
    "series_metrics",
    "sharpe_ratio",
    "simple_returns",
    "sortino_ratio",
    "stablecoin_depeg",
    "value_at_risk",
    "value_weights",
    "var_backtest",
    "volatility_contributions",
    "worst_windows",
]
