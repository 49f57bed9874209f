"""Pandera contracts for the curated frames the pipelines hand out.

Frames are keyed by ``symbol`` (the warehouse maps symbols to ``asset_id`` when writing) and
carry tz-aware UTC timestamps in microseconds. Every contract refuses NaN, prices <= 0 and
timestamps in the future, and enforces its key's uniqueness. ``validate`` checks a collected
frame and raises ``InvalidBatch`` naming the provider, endpoint and offending rows.
"""

from __future__ import annotations

import datetime as dt

import pandera.errors
import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from pipelines.errors import InvalidBatch

UTC_US = pl.Datetime("us", "UTC")
SOURCES = ["coingecko", "simulated", "alphavantage", "etherscan"]
FUTURE_SLACK = dt.timedelta(minutes=5)
# Asset symbols as the curated frames key them.
SYMBOL_PATTERN = r"^[A-Z0-9.]{1,15}$"
_TZ = {"dtype_kwargs": {"time_unit": "us", "time_zone": "UTC"}}


class _Curated(pa.DataFrameModel):
    class Config:
        coerce = True
        strict = True

    @pa.dataframe_check(name="no_nan")
    def no_nan(cls, data: pa.PolarsData) -> pl.LazyFrame:
        floats = data.lazyframe.select(pl.col(pl.Float32, pl.Float64).is_nan().fill_null(False))
        return floats.select(~pl.any_horizontal(pl.all()) if floats.collect_schema().len() else pl.lit(True))


def _not_future(column: str):
    def check(cls, data: pa.PolarsData) -> pl.LazyFrame:
        limit = dt.datetime.now(dt.UTC) + FUTURE_SLACK
        return data.lazyframe.select(pl.col(column) <= pl.lit(limit, dtype=UTC_US))

    check.__name__ = f"{column}_not_in_future"
    return pa.dataframe_check(name=f"{column}_not_in_future")(check)


_POSITIVE = {"gt": 0, "lt": float("inf")}
_NON_NEGATIVE = {"ge": 0, "lt": float("inf"), "nullable": True}


class PriceFrame(_Curated):
    """One price observation per asset and time (USD) — feeds ``price_history``."""

    symbol: pl.String = pa.Field(str_matches=r"^[A-Z0-9.]{1,15}$")
    time: DateTime = pa.Field(**_TZ)
    price: pl.Float64 = pa.Field(**_POSITIVE)
    market_cap: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    volume_24h: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    source: pl.String = pa.Field(isin=SOURCES)

    class Config:
        unique = ["symbol", "time"]

    time_not_in_future = _not_future("time")


class MarketFrame(_Curated):
    """A market snapshot per asset (``/coins/markets``) — feeds ``market_snapshots``."""

    symbol: pl.String = pa.Field(str_matches=r"^[A-Z0-9.]{1,15}$")
    coingecko_id: pl.String
    name: pl.String
    time: DateTime = pa.Field(**_TZ)
    price: pl.Float64 = pa.Field(**_POSITIVE)
    market_cap: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    market_cap_rank: pl.Int32 = pa.Field(gt=0, nullable=True)
    total_volume: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    price_change_pct_24h: pl.Float64 = pa.Field(nullable=True)
    circulating_supply: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    ath: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    source: pl.String = pa.Field(isin=SOURCES)

    class Config:
        unique = ["symbol", "time"]

    time_not_in_future = _not_future("time")


class TrendingFrame(_Curated):
    """The trending list at one time — feeds ``trending_coins``."""

    time: DateTime = pa.Field(**_TZ)
    rank: pl.Int16 = pa.Field(ge=0)
    coingecko_id: pl.String
    symbol: pl.String
    name: pl.String
    market_cap_rank: pl.Int32 = pa.Field(gt=0, nullable=True)
    price_btc: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    score: pl.Float64 = pa.Field(nullable=True)
    source: pl.String = pa.Field(isin=SOURCES)

    class Config:
        unique = ["time", "rank"]

    time_not_in_future = _not_future("time")


class GlobalFrame(_Curated):
    """Whole-market totals — feeds ``global_market``."""

    time: DateTime = pa.Field(unique=True, **_TZ)
    total_market_cap_usd: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    total_volume_usd: pl.Float64 = pa.Field(**_NON_NEGATIVE)
    btc_dominance_pct: pl.Float64 = pa.Field(ge=0, le=100, nullable=True)
    eth_dominance_pct: pl.Float64 = pa.Field(ge=0, le=100, nullable=True)
    market_cap_change_pct_24h: pl.Float64 = pa.Field(nullable=True)
    active_cryptocurrencies: pl.Int32 = pa.Field(ge=0, nullable=True)
    source: pl.String = pa.Field(isin=SOURCES)

    time_not_in_future = _not_future("time")


_ADDRESS = r"^0x[0-9a-f]{40}$"
QUANTITY = pl.Decimal(38, 18)


class WalletBalanceFrame(_Curated):
    """Balances in whole tokens (decimals applied); ``token_address`` '' is the native coin."""

    chain_id: pl.Int32 = pa.Field(gt=0)
    address: pl.String = pa.Field(str_matches=_ADDRESS)
    token_address: pl.String = pa.Field(str_matches=r"^(0x[0-9a-f]{40})?$")
    symbol: pl.String
    balance: QUANTITY = pa.Field(ge=0)
    time: DateTime = pa.Field(**_TZ)
    source: pl.String = pa.Field(isin=SOURCES)

    class Config:
        unique = ["chain_id", "address", "token_address", "time"]

    time_not_in_future = _not_future("time")


class WalletTransactionFrame(_Curated):
    """Transactions touching a tracked wallet, values in whole tokens."""

    chain_id: pl.Int32 = pa.Field(gt=0)
    address: pl.String = pa.Field(str_matches=_ADDRESS)
    tx_hash: pl.String
    kind: pl.String = pa.Field(isin=["normal", "internal", "erc20"])
    log_index: pl.Int32
    block_number: pl.Int64 = pa.Field(ge=0)
    time: DateTime = pa.Field(**_TZ)
    from_address: pl.String
    to_address: pl.String
    value: QUANTITY = pa.Field(ge=0)
    token_address: pl.String
    token_symbol: pl.String = pa.Field(nullable=True)
    token_decimals: pl.Int16 = pa.Field(ge=0, nullable=True)
    gas_used: pl.Int64 = pa.Field(ge=0, nullable=True)
    is_error: pl.Boolean

    class Config:
        unique = ["chain_id", "address", "tx_hash", "kind", "log_index"]

    time_not_in_future = _not_future("time")


class NewsArticleFrame(_Curated):
    """One row per article (keyed by URL); ``topics`` is a JSON array as text."""

    url: pl.String = pa.Field(unique=True, str_matches=r"^https?://")
    title: pl.String
    summary: pl.String = pa.Field(nullable=True)
    source: pl.String = pa.Field(nullable=True)
    published_at: DateTime = pa.Field(**_TZ)
    overall_score: pl.Float64 = pa.Field(ge=-1, le=1, nullable=True)
    overall_label: pl.String = pa.Field(nullable=True)
    topics: pl.String = pa.Field(nullable=True)
    provider: pl.String = pa.Field(isin=SOURCES)

    published_at_not_in_future = _not_future("published_at")


class NewsSentimentFrame(_Curated):
    """Per-article, per-asset sentiment (``score`` in [-1, 1], ``relevance`` in [0, 1])."""

    url: pl.String
    symbol: pl.String = pa.Field(str_matches=SYMBOL_PATTERN)
    published_at: DateTime = pa.Field(**_TZ)
    relevance: pl.Float64 = pa.Field(ge=0, le=1)
    score: pl.Float64 = pa.Field(ge=-1, le=1)
    label: pl.String = pa.Field(nullable=True)

    class Config:
        unique = ["url", "symbol"]

    published_at_not_in_future = _not_future("published_at")


def empty(model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """A frame with no rows and the model's columns and types."""
    return pl.DataFrame(schema=schema(model))


def schema(model: type[pa.DataFrameModel]) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for name, column in model.to_schema().columns.items():
        out[name] = UTC_US if isinstance(column.dtype, DateTime) else column.dtype.type
    return out


def validate(frame: pl.DataFrame, model: type[pa.DataFrameModel], *, provider: str, endpoint: str) -> pl.DataFrame:
    """``frame`` coerced to ``model``; ``InvalidBatch`` naming the failing checks and rows otherwise."""
    try:
        return model.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        checks = sorted({f"{r['column'] or 'frame'}: {r['check']}" for r in cases.select("column", "check").to_dicts()})
        indexes = sorted({i for i in cases.get_column("index").to_list() if i is not None})
        rows = frame.with_row_index("row").filter(pl.col("row").is_in(indexes)).to_dicts() if indexes else []
        raise InvalidBatch(provider, endpoint, model.__name__, f"{len(indexes) or 'some'} row(s) fail {'; '.join(checks)}", rows) from None
