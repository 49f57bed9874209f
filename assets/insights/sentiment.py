"""News sentiment per asset: relevance-weighted mean scores over 24 hours and 7 days.

.. math:: S_a = \\frac{\\sum_i r_{ia} s_{ia}}{\\sum_i r_{ia}}

over the articles ``i`` mentioning asset ``a`` published in ``(as_of - window, as_of]``, with
Alpha Vantage's per-ticker relevance ``r`` in [0, 1] and sentiment ``s`` in [-1, 1]. The
headlines that drove the 7-day score are those with the largest :math:`r |s|`. Labels use Alpha
Vantage's thresholds. Pure polars: no database, no framework.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.simulated.helpers import sentiment_label

WINDOWS: dict[str, dt.timedelta] = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7)}

#: Driving headlines kept per asset.
TOP_HEADLINES = 3

COLUMNS = ("symbol", "article_id", "title", "url", "source", "published_at", "relevance", "score")


def label(score: float | None) -> str | None:
    """Alpha Vantage's label of a sentiment score (None for None)."""
    return None if score is None else sentiment_label(score)


@dataclass(frozen=True)
class AssetSentiment:
    """Sentiment of one asset. Scores are None with a reason when no relevant article exists."""

    symbol: str
    scores: dict[str, float | None]
    articles: dict[str, int]
    null_reasons: dict[str, str]
    headlines: tuple[dict, ...]

    @property
    def label_7d(self) -> str | None:
        return label(self.scores["7d"])


def aggregate(rows: pl.DataFrame, as_of: dt.datetime, symbols: list[str]) -> list[AssetSentiment]:
    """Per symbol (in ``symbols`` order), the 24h and 7d relevance-weighted sentiment and headlines.

    Parameters
    ----------
    rows : pl.DataFrame
        One row per (article, asset): :data:`COLUMNS`, ``published_at`` timezone-aware.
    as_of : datetime
        End of both windows (inclusive), timezone-aware.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of = as_of.astimezone(dt.UTC)
    lazy = (
        rows.lazy()
        .with_columns(pl.col("published_at").dt.convert_time_zone("UTC"))
        .filter(pl.col("published_at") <= as_of)
    )
    weighted = {
        name: lazy.filter(pl.col("published_at") > as_of - span)
        .group_by("symbol")
        .agg(
            (pl.col("relevance") * pl.col("score")).sum().alias("num"),
            pl.col("relevance").sum().alias("den"),
            pl.len().alias("n"),
        )
        .collect()
        for name, span in WINDOWS.items()
    }
    drivers = (
        lazy.filter(pl.col("published_at") > as_of - WINDOWS["7d"])
        .with_columns((pl.col("relevance") * pl.col("score").abs()).alias("impact"))
        .sort(["symbol", "impact", "published_at", "article_id"], descending=[False, True, True, False])
        .group_by("symbol", maintain_order=True)
        .head(TOP_HEADLINES)
        .collect()
    )
    out = []
    for symbol in symbols:
        scores: dict[str, float | None] = {}
        counts: dict[str, int] = {}
        reasons: dict[str, str] = {}
        for name, frame in weighted.items():
            row = frame.filter(pl.col("symbol") == symbol)
            n = int(row["n"][0]) if row.height else 0
            den = float(row["den"][0]) if row.height else 0.0
            counts[name] = n
            if n == 0:
                scores[name] = None
                reasons[name] = f"no news mentioning {symbol} in the {name} before {as_of.isoformat()}"
            elif den <= 0:
                scores[name] = None
                reasons[name] = f"every {name} article has relevance 0 for {symbol}"
            else:
                scores[name] = float(row["num"][0]) / den
        heads = tuple(
            {k: r[k] for k in ("article_id", "title", "url", "source", "published_at", "relevance", "score")}
            for r in drivers.filter(pl.col("symbol") == symbol).iter_rows(named=True)
        )
        out.append(AssetSentiment(symbol, scores, counts, reasons, heads))
    return out
