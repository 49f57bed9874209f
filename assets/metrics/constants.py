"""Every number the risk engine is parameterised by, in one place.

Conventions (see ARCHITECTURE.md, "Risk metric definitions"): daily simple returns, crypto trades
every calendar day so a year is 365 periods, and VaR / ES are reported as positive loss fractions.
"""

from __future__ import annotations

#: Periods per year for daily crypto returns (markets never close).
ANNUALIZATION: int = 365

#: Trailing windows (in daily returns) of the reported annualized volatilities.
VOLATILITY_WINDOWS: tuple[int, ...] = (30, 90, 365)

#: Default trailing window (daily returns) of Sharpe, Sortino, drawdown, VaR, ES, betas, correlation.
DEFAULT_WINDOW: int = 365

#: The smallest window we report statistics for: below it historical VaR99 and Sharpe are noise.
MIN_WINDOW: int = 30

#: Confidence levels of the reported VaR / ES (loss not exceeded with this probability).
VAR_LEVELS: tuple[float, ...] = (0.95, 0.99)

#: Benchmark asset of ``beta_btc`` and of the BTC stress scenario.
DEFAULT_BENCHMARK: str = "BTC"

#: Fewest backtest days for a Kupiec test we are willing to report.
MIN_BACKTEST_DAYS: int = 100

#: Significance level at which the Kupiec test says the VaR model is rejected.
KUPIEC_SIGNIFICANCE: float = 0.05

#: Symbols treated as USD stablecoins by the depeg scenario.
STABLECOINS: frozenset[str] = frozenset(
    {"USDT", "USDC", "DAI", "BUSD", "TUSD", "USDP", "GUSD", "FRAX", "LUSD", "USDD", "PYUSD", "FDUSD", "USDE"}
)

#: BTC move of the beta stress scenario (decimal).
BTC_SHOCK: float = -0.30

#: Stablecoin price move of the depeg scenario (USDC traded at 0.88 in March 2023).
STABLECOIN_DEPEG: float = -0.12

#: Historical windows replayed on current holdings: name -> (first date, last date), ISO, inclusive.
HISTORICAL_WINDOWS: dict[str, tuple[str, str]] = {
    "2018_bear_market": ("2018-01-06", "2018-12-15"),
    "covid_crash_2020": ("2020-03-08", "2020-03-16"),
    "china_mining_ban_2021": ("2021-05-09", "2021-05-23"),
    "luna_collapse_2022": ("2022-05-05", "2022-05-18"),
    "ftx_collapse_2022": ("2022-11-06", "2022-11-21"),
}

#: Worst rolling N-day replays of the stored history on current holdings.
WORST_WINDOW_DAYS: tuple[int, ...] = (7, 30)

#: Risk score: each component maps a metric linearly onto [0, 1] between ``low`` and ``high``
#: (``log`` maps log(value) instead, so that 10% -> 20% volatility counts like 60% -> 120%).
#: Values chosen so that a fully collateralised stablecoin sits at 0 and a lone small-cap coin at 1.
RISK_SCORE_COMPONENTS: dict[str, dict[str, float | bool | str]] = {
    "volatility": {"metric": "volatility", "low": 0.05, "high": 1.20, "log": True, "weight": 0.45},
    "drawdown": {"metric": "max_drawdown", "low": 0.05, "high": 0.90, "log": False, "weight": 0.30},
    "tail_loss": {"metric": "es_99", "low": 0.01, "high": 0.25, "log": True, "weight": 0.25},
}

#: Share of the risk score driven by concentration: the market-risk level is scaled by
#: ``1 - CONCENTRATION_SHARE * (1 - hhi)``, so a single holding keeps its full level.
CONCENTRATION_SHARE: float = 0.30

#: Score range.
RISK_SCORE_MIN: float = 1.0
RISK_SCORE_MAX: float = 10.0

#: RiskMetrics decay of the EWMA variance (J.P. Morgan, 1996: 0.94 for daily data).
EWMA_LAMBDA: float = 0.94

#: Multi-day horizon of the model forecasts (days): the Basel 10-day VaR.
MODEL_HORIZON_DAYS: int = 10

#: Simulated paths of the 10-day filtered historical simulation and of the Monte Carlo VaR; the
#: standard error of a simulated VaR95 is about 1.5% of it with 10,000 paths, 3% with 2,000.
FHS_SIMULATIONS: int = 2_000
MC_SIMULATIONS: int = 10_000

#: Seed of every simulation: the same prices and holdings give the same numbers.
SIMULATION_SEED: int = 20_240_517

#: The Monte Carlo model's multivariate Student-t is re-fitted every this many days in its backtest.
MC_REFIT_DAYS: int = 30

#: Basel traffic light: test days (the last 250) and the binomial cumulative probabilities of the
#: breach count at which the zone turns yellow and red (Basel Committee 1996; at 99% VaR these
#: give its table: green 0-4, yellow 5-9, red 10+ breaches).
TRAFFIC_LIGHT_DAYS: int = 250
TRAFFIC_LIGHT_YELLOW: float = 0.95
TRAFFIC_LIGHT_RED: float = 0.9999

#: Significance of the Christoffersen tests' "rejected" verdict.
CHRISTOFFERSEN_SIGNIFICANCE: float = 0.05

#: Empirical lower-tail dependence is measured at this quantile.
TAIL_QUANTILE: float = 0.05

#: Days of the rolling correlation to the benchmark and of the correlation regime's recent window.
CORRELATION_DAYS: int = 30

#: Correlation regime: "stressed" when the holdings' value-weighted average pairwise correlation
#: over the last CORRELATION_DAYS exceeds its average over the whole window by this much or more
#: (assets moving together more than usual: diversification is failing); "calm" otherwise.
REGIME_MARGIN: float = 0.10
