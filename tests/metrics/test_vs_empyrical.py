"""Every metric empyrical-reloaded defines equals it (annualization=365) to 1e-9 relative."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pytest

from assets import metrics as m
from assets.metrics.engine import Benchmark, series_metrics
from tests.metrics.series import close_prices, shapes

RTOL = 1e-9
A = 365
SHAPES = shapes()
RF = (1.04) ** (1 / 365) - 1


def columns(name):
    r = SHAPES[name]
    return [r[:, j] for j in range(r.shape[1])]


def close(ours, ref):
    """Equal where empyrical is finite; where it says +-inf (no dispersion, no downside) we say NaN."""
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    assert np.isnan(ours[np.isinf(ref)]).all()
    finite = ~np.isinf(ref)
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", list(SHAPES))
def test_point_metrics_equal_empyrical(name):
    r = SHAPES[name]
    cols = columns(name)
    close(m.annual_volatility(r), [ep.annual_volatility(c, annualization=A) for c in cols])
    close(m.sharpe_ratio(r, RF), [ep.sharpe_ratio(c, risk_free=RF, annualization=A) for c in cols])
    close(m.sortino_ratio(r, RF), [ep.sortino_ratio(c, required_return=RF, annualization=A) for c in cols])
    close(m.downside_risk(r, RF), [ep.downside_risk(c, required_return=RF, annualization=A) for c in cols])
    close(m.max_drawdown(r), [ep.max_drawdown(c) for c in cols])
    close(m.drawdown_series(r), np.column_stack([ep.stats.drawdown_series(c) for c in cols]))
    for level, cutoff in ((0.95, 0.05), (0.99, 0.01)):
        close(m.value_at_risk(r, level), [-ep.value_at_risk(c, cutoff) for c in cols])
        close(m.conditional_value_at_risk(r, level), [-ep.conditional_value_at_risk(c, cutoff) for c in cols])
    factor = cols[0]
    close(m.beta(r, factor), [ep.beta(c, factor) for c in cols])


@pytest.mark.parametrize("name", [n for n in SHAPES if not n.startswith("short")])
@pytest.mark.parametrize("window", [30, 90])
def test_rolling_metrics_equal_empyrical(name, window):
    r = SHAPES[name]
    cols = columns(name)
    stack = lambda f: np.column_stack([f(c) for c in cols])  # noqa: E731
    close(m.roll_annual_volatility(r, window), stack(lambda c: ep.roll_annual_volatility(c, window, annualization=A)))
    close(
        m.roll_sharpe_ratio(r, window, RF),
        stack(lambda c: ep.roll_sharpe_ratio(c, window, risk_free=RF, annualization=A)),
    )
    close(
        m.roll_sortino_ratio(r, window, RF),
        stack(lambda c: ep.roll_sortino_ratio(c, window, required_return=RF, annualization=A)),
    )
    close(
        m.roll_downside_risk(r, window, RF),
        stack(lambda c: ep.stats.roll_downside_risk(c, window, required_return=RF, annualization=A)),
    )
    close(m.roll_max_drawdown(r, window), stack(lambda c: ep.roll_max_drawdown(c, window)))
    close(m.roll_beta(r, cols[0], window), stack(lambda c: ep.roll_beta(c, cols[0], window)))


def test_one_dimensional_input_gives_floats():
    r = SHAPES["gaussian"][:, 0]
    assert isinstance(m.sharpe_ratio(r), float)
    assert m.sharpe_ratio(r) == pytest.approx(ep.sharpe_ratio(r, annualization=A), rel=RTOL)
    assert m.roll_annual_volatility(r, 30).shape == (len(r) - 29,)


def test_simple_returns_are_bit_identical():
    prices = np.cumprod(1 + SHAPES["fat_tails"], axis=0) * 100
    np.testing.assert_array_equal(m.simple_returns(prices), ep.simple_returns(prices))


def test_real_prices_every_asset(shared_data):
    """The real 2017-2021 closes of 14 coins: the engine's metric table against empyrical."""
    symbols, dates, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    r = ep.simple_returns(prices)
    window = 365
    btc = r[:, symbols.index("BTC")]
    rf_annual = 0.03
    rf = (1 + rf_annual) ** (1 / 365) - 1
    table = series_metrics(r, dates[1:], symbols, window=window, risk_free=rf, btc=Benchmark("BTC", btc))
    rw = r[-window:]
    for j, sym in enumerate(symbols):
        c, w = r[:, j], rw[:, j]
        got = table.record(j)
        expected = {
            "volatility_30d": ep.annual_volatility(c[-30:], annualization=A),
            "volatility_90d": ep.annual_volatility(c[-90:], annualization=A),
            "volatility_365d": ep.annual_volatility(c[-365:], annualization=A),
            "sharpe": ep.sharpe_ratio(w, risk_free=rf, annualization=A),
            "sortino": ep.sortino_ratio(w, required_return=rf, annualization=A),
            "max_drawdown": ep.max_drawdown(w),
            "var_95": -ep.value_at_risk(w, 0.05),
            "var_99": -ep.value_at_risk(w, 0.01),
            "es_95": -ep.conditional_value_at_risk(w, 0.05),
            "es_99": -ep.conditional_value_at_risk(w, 0.01),
            "beta_btc": ep.beta(w, btc[-window:]),
        }
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, rel=RTOL), (sym, key)
        assert got["null_reasons"] == {"beta_market": "no benchmark given"}


def test_real_prices_rolling_history(shared_data):
    symbols, _, prices = close_prices(shared_data / "prices" / "cmc_2017_2021_close.csv")
    r = ep.simple_returns(prices)
    for window in (30, 90, 365):
        ours = m.roll_annual_volatility(r, window)
        ref = np.column_stack(
            [ep.roll_annual_volatility(r[:, j], window, annualization=A) for j in range(len(symbols))]
        )
        close(ours, ref)
