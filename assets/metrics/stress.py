"""Stress scenarios on current holdings: a BTC shock carried by betas, a stablecoin depeg, and
replays of historical windows from the stored prices.

Each scenario is a vector of asset price moves ``m`` (decimal); a portfolio with value weights
``w`` and value ``V`` moves by :math:`R = w^\\top m` and gains :math:`V R` (negative = loss).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from assets.metrics.constants import BTC_SHOCK, HISTORICAL_WINDOWS, STABLECOIN_DEPEG, STABLECOINS
from assets.metrics.prices import PriceMatrix


@dataclass(frozen=True)
class Scenario:
    """One scenario: asset moves (NaN where unknown) and why a move is unknown.

    Attributes
    ----------
    name, description : str
    moves : np.ndarray
        ``(N,)`` price move of each asset, decimal (>= -1).
    null_reasons : dict[str, str]
        Symbol -> why its move is unknown (a portfolio holding it gets no result).
    """

    name: str
    description: str
    moves: np.ndarray
    null_reasons: dict[str, str] = field(default_factory=dict)


def beta_shock(symbols, betas: np.ndarray, benchmark: str = "BTC", shock: float = BTC_SHOCK) -> Scenario:
    """Benchmark falls by ``shock``; every other asset moves by its beta times that (CAPM-style).

    .. math:: m_j = \\max(\\beta_j \\, s, -1), \\quad m_{BTC} = s
    """
    betas = np.asarray(betas, dtype=np.float64)
    moves = np.maximum(betas * shock, -1.0)
    reasons = {}
    for j, sym in enumerate(symbols):
        if sym == benchmark:
            moves[j] = shock
        elif np.isnan(moves[j]):
            reasons[sym] = f"no beta to {benchmark} over the window"
    return Scenario(
        name=f"{benchmark.lower()}_{round(shock * 100):+d}pct",
        description=f"{benchmark} {shock:+.0%}, other assets moved by their beta to {benchmark}",
        moves=moves,
        null_reasons=reasons,
    )


def stablecoin_depeg(symbols, move: float = STABLECOIN_DEPEG, stablecoins=STABLECOINS) -> Scenario:
    """Every USD stablecoin loses its peg by ``move``; other assets are unchanged."""
    moves = np.array([move if s.upper() in stablecoins else 0.0 for s in symbols], dtype=np.float64)
    return Scenario(
        name="stablecoin_depeg",
        description=f"USD stablecoins depeg by {move:+.0%}, other assets unchanged",
        moves=moves,
    )


def historical_replay(prices: PriceMatrix, name: str, start: dt.date, end: dt.date) -> Scenario:
    """Each asset's close-to-close move from ``start`` to ``end`` in the stored prices.

    .. math:: m_j = p_{end, j} / p_{start, j} - 1
    """
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    desc = f"replay of {start.isoformat()} .. {end.isoformat()}"
    n = len(prices.symbols)
    i = int(np.searchsorted(prices.dates, lo))
    k = int(np.searchsorted(prices.dates, hi))
    if i >= len(prices.dates) or prices.dates[i] != lo or k >= len(prices.dates) or prices.dates[k] != hi:
        span = f"{prices.date_of(0).isoformat()} .. {prices.as_of.isoformat()}"
        reason = f"prices ({span}) do not cover {start.isoformat()} .. {end.isoformat()}"
        return Scenario(name, desc, np.full(n, np.nan), {s: reason for s in prices.symbols})
    with np.errstate(invalid="ignore"):
        moves = prices.values[k] / prices.values[i] - 1.0
    reasons = {
        s: f"{s} was not trading on {start.isoformat()}" for j, s in enumerate(prices.symbols) if np.isnan(moves[j])
    }
    return Scenario(name, desc, moves, reasons)


def historical_replays(prices: PriceMatrix, windows=None) -> list[Scenario]:
    """:func:`historical_replay` of every named window (default :data:`HISTORICAL_WINDOWS`)."""
    windows = HISTORICAL_WINDOWS if windows is None else windows
    return [
        historical_replay(prices, name, dt.date.fromisoformat(a), dt.date.fromisoformat(b))
        for name, (a, b) in windows.items()
    ]


def apply_scenario(scenario: Scenario, weights: np.ndarray) -> np.ndarray:
    """Portfolio return :math:`R = \\sum_j w_j m_j` under the scenario (NaN if a held asset's move is unknown).

    ``weights`` is ``(N,)`` or ``(K, N)``; assets with weight 0 never matter.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    m = scenario.moves
    known = np.where(np.isnan(m), 0.0, m)
    out = w @ known
    unknown = (w != 0) & np.isnan(m)[None, :]
    out[unknown.any(axis=1)] = np.nan
    return out if np.ndim(weights) == 2 else out[0]


def worst_windows(values: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Worst ``days``-day return of each value series over its whole history.

    .. math:: R^{worst} = \\min_t \\; V_{t + d} / V_t - 1

    Parameters
    ----------
    values : np.ndarray
        ``(T,)`` or ``(T, K)`` portfolio values (NaN before all holdings traded).

    Returns
    -------
    (worst, start_index) : tuple of np.ndarray
        NaN / -1 where the series is shorter than ``days + 1`` valid values.
    """
    v = np.asarray(values, dtype=np.float64)
    v2 = v[:, None] if v.ndim == 1 else v
    if v2.shape[0] <= days:
        return np.full(v2.shape[1], np.nan), np.full(v2.shape[1], -1)
    with np.errstate(invalid="ignore"):
        change = v2[days:] / v2[:-days] - 1.0
    valid = ~np.isnan(change)
    filled = np.where(valid, change, np.inf)
    idx = np.argmin(filled, axis=0)
    worst = filled[idx, np.arange(v2.shape[1])]
    ok = valid.any(axis=0)
    return np.where(ok, worst, np.nan), np.where(ok, idx, -1)
