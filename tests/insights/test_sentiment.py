"""Relevance-weighted sentiment per asset over 24h and 7d, with the headlines that drove it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from assets.insights.sentiment import COLUMNS, aggregate, label

AS_OF = dt.datetime(2025, 6, 30, 23, 59, 59, tzinfo=dt.UTC)

# (symbol, hours before as_of, relevance, score, title)
ARTICLES = [
    ("BTC", 2, 0.9, 0.5, "ETF inflows"),
    ("BTC", 20, 0.3, -0.4, "Exchange hack"),
    ("BTC", 24 * 3, 0.8, -0.6, "Miners capitulate"),
    ("BTC", 24 * 8, 1.0, 0.9, "Too old to count"),
    ("ETH", 24 * 5, 0.5, 0.2, "Upgrade date set"),
    ("ETH", 24 * 6, 0.0, 0.9, "Barely about ETH"),
    ("SOL", -1, 1.0, 0.9, "Published after as_of"),
]


def frame(as_of: dt.datetime = AS_OF) -> pl.DataFrame:
    rows = [
        (sym, i, title, f"https://n.example/{i}", "Wire", as_of - dt.timedelta(hours=h), rel, score)
        for i, (sym, h, rel, score, title) in enumerate(ARTICLES)
    ]
    return pl.DataFrame(
        rows,
        schema=dict(
            zip(
                COLUMNS,
                [
                    pl.String,
                    pl.Int64,
                    pl.String,
                    pl.String,
                    pl.String,
                    pl.Datetime("us", "UTC"),
                    pl.Float64,
                    pl.Float64,
                ],
                strict=True,
            )
        ),
        orient="row",
    )


def expected(symbol: str, hours: float) -> tuple[float | None, int]:
    inside = [(r, s) for sym, h, r, s, _ in ARTICLES if sym == symbol and 0 <= h < hours]
    den = sum(r for r, _ in inside)
    return (sum(r * s for r, s in inside) / den if den else None), len(inside)


def test_relevance_weighted_scores_over_both_windows():
    got = {s.symbol: s for s in aggregate(frame(), AS_OF, ["BTC", "ETH", "SOL"])}
    for sym in ("BTC", "ETH"):
        for window, hours in (("24h", 24), ("7d", 24 * 7)):
            score, n = expected(sym, hours)
            assert got[sym].articles[window] == n
            assert got[sym].scores[window] == (None if score is None else pytest.approx(score, rel=1e-12))
    assert got["BTC"].scores["7d"] < 0 < got["BTC"].scores["24h"]
    assert got["ETH"].scores["24h"] is None and "no news mentioning ETH" in got["ETH"].null_reasons["24h"]


def test_news_after_as_of_or_absent_is_null_with_a_reason():
    sol = aggregate(frame(), AS_OF, ["SOL"])[0]
    assert sol.scores == {"24h": None, "7d": None} and sol.articles == {"24h": 0, "7d": 0}
    assert sol.headlines == () and set(sol.null_reasons) == {"24h", "7d"}


def test_driving_headlines_are_the_largest_relevance_times_score():
    btc = aggregate(frame(), AS_OF, ["BTC"])[0]
    assert [h["title"] for h in btc.headlines] == ["Miners capitulate", "ETF inflows", "Exchange hack"]


def test_labels_follow_alpha_vantage_bands():
    assert [label(x) for x in (-0.5, -0.35, -0.2, 0.0, 0.15, 0.34, 0.35, None)] == [
        "Bearish",
        "Bearish",
        "Somewhat-Bearish",
        "Neutral",
        "Somewhat-Bullish",
        "Somewhat-Bullish",
        "Bullish",
        None,
    ]


def test_input_is_not_mutated_and_naive_time_is_refused():
    f = frame()
    before = f.clone()
    aggregate(f, AS_OF, ["BTC"])
    assert f.equals(before)
    with pytest.raises(ValueError, match="timezone-aware"):
        aggregate(f, AS_OF.replace(tzinfo=None), ["BTC"])
