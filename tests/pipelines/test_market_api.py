"""The entry API (``pipelines.market``) over both sources, the simulated market's stylized facts,
the writers in ``pipelines.store`` and the health probes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from scipy import stats

from pipelines import health, market, simulated, store
from pipelines.errors import InvalidBatch
from pipelines.settings import market_source
from warehouse.engine import get_engine, transaction
from warehouse.settings import ConfigError

D0, D1 = dt.date(2022, 1, 1), dt.date(2024, 1, 1)


def _returns(frame: pl.DataFrame) -> pl.DataFrame:
    wide = frame.pivot(on="symbol", index="time", values="price").sort("time")
    return wide.select(pl.exclude("time").log().diff()).drop_nulls()


def test_source_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("CRYPTO_RISK_MARKET_SOURCE", raising=False)
    assert market_source() == "simulated"
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "coingecko")
    assert market_source() == "coingecko"
    monkeypatch.setenv("CRYPTO_RISK_MARKET_SOURCE", "binance")
    with pytest.raises(ConfigError, match="CRYPTO_RISK_MARKET_SOURCE must be one of coingecko, simulated"):
        market.fetch_prices(None, ["BTC"], D0, D1)


def test_simulated_universe_and_labels():
    prices = market.fetch_prices("simulated", None, D0, D0 + dt.timedelta(days=3))
    assert prices.get_column("symbol").n_unique() >= 30
    assert {"BTC", "ETH", "USDT", "USDC", "DAI"} <= set(prices.get_column("symbol"))
    assert set(prices.get_column("source")) == {"simulated"}
    for frame in (market.fetch_markets("simulated"), market.fetch_trending("simulated"), market.fetch_global("simulated")):
        assert set(frame.get_column("source")) == {"simulated"}


def test_simulated_is_deterministic_and_range_independent():
    whole = market.fetch_prices("simulated", ["BTC", "ETH"], D0, D1)
    part = market.fetch_prices("simulated", ["ETH", "BTC"], dt.date(2023, 5, 1), dt.date(2023, 5, 3))
    joined = part.join(whole, on=["symbol", "time"], suffix="_whole")
    assert joined.height == 4
    assert (joined.get_column("price") == joined.get_column("price_whole")).all()
    assert market.fetch_prices("simulated", ["BTC"], D0, D1).equals(whole.filter(pl.col("symbol") == "BTC"))


def test_simulated_stylized_facts():
    r = _returns(market.fetch_prices("simulated", None, D0, D1))
    btc = r.get_column("BTC").to_numpy()
    assert stats.kurtosis(btc) > 2  # fat tails (a normal has 0)
    abs_acf = np.corrcoef(np.abs(btc[1:]), np.abs(btc[:-1]))[0, 1]
    assert abs_acf > 0.05  # volatility clustering
    corr = {s: np.corrcoef(btc, r.get_column(s).to_numpy())[0, 1] for s in ("ETH", "SOL", "DOGE", "LINK")}
    assert all(0.4 < c < 0.95 for c in corr.values()), corr
    stables = market.fetch_prices("simulated", ["USDT", "USDC", "DAI"], D0, D1).get_column("price")
    assert stables.min() > 0.97 and stables.max() < 1.03


def test_simulated_intraday_and_no_future():
    now = dt.datetime.now(dt.UTC)
    hourly = market.fetch_prices("simulated", ["BTC"], now - dt.timedelta(hours=5), now + dt.timedelta(days=3), interval="1h")
    assert hourly.height in (4, 5) and hourly.get_column("time").max() <= now
    day = market.fetch_prices("simulated", ["BTC"], dt.date(2023, 3, 1), dt.date(2023, 3, 2), interval="1h")
    daily = market.fetch_prices("simulated", ["BTC"], dt.date(2023, 3, 1), dt.date(2023, 3, 2))
    assert day.get_column("price")[0] == daily.get_column("price")[0]  # the bridge starts at the close


def test_simulated_wallets_balances_match_transactions():
    addresses = [simulated.wallet_address(42, i) for i in range(2)]
    balances, txs = market.fetch_wallets(addresses, source="simulated")
    for row in balances.iter_rows(named=True):
        mine = txs.filter(pl.col("address") == row["address"], pl.col("token_address") == row["token_address"])
        incoming = sum(mine.filter(pl.col("to_address") == row["address"]).get_column("value").to_list())
        outgoing = sum(mine.filter(pl.col("from_address") == row["address"]).get_column("value").to_list())
        assert row["balance"] == incoming - outgoing


def test_simulated_news_sentiment_follows_moves():
    articles, sentiment = market.fetch_news(["BTC", "ETH", "SOL", "DOGE"], D0, D1, source="simulated")
    assert articles.height > 700 and set(articles.get_column("provider")) == {"simulated"}
    prices = market.fetch_prices("simulated", ["BTC", "ETH", "SOL", "DOGE"], D0 - dt.timedelta(days=1), D1)
    moves = prices.sort("time").with_columns(pl.col("price").log().diff().over("symbol").alias("move"),
                                             pl.col("time").alias("day"))
    joined = sentiment.with_columns(pl.col("published_at").dt.truncate("1d").alias("day")).join(
        moves.select("symbol", "day", "move"), on=["symbol", "day"])
    assert np.corrcoef(joined.get_column("score"), joined.get_column("move"))[0, 1] > 0.5


def test_unknown_simulated_symbol_is_named():
    with pytest.raises(ValueError, match="no asset\\(s\\) NOPE"):
        market.fetch_prices("simulated", ["BTC", "NOPE"], D0, D1)


def test_coingecko_prices_through_the_entry_api(coingecko, shared_data):
    frame = market.fetch_prices("coingecko", ["BTC"], dt.date(2021, 3, 1), dt.date(2021, 3, 5), client=coingecko)
    assert frame.get_column("time").to_list() == [dt.datetime(2021, 3, d, tzinfo=dt.UTC) for d in range(1, 5)]
    assert set(frame.get_column("source")) == {"coingecko"}
    latest = market.fetch_latest_prices("coingecko", ["BTC"], client=coingecko)
    assert latest.get_column("price").to_list() == [49053.0]


def test_store_writes_simulated_frames_idempotently(db_url):
    prices = market.fetch_prices("simulated", ["BTC", "ETH", "USDT"], D0, D0 + dt.timedelta(days=10))
    with transaction(db_url) as conn:
        first = store.write_prices(conn, prices)
        store.write_markets(conn, market.fetch_markets("simulated"))
        store.write_table(conn, "trending_coins", market.fetch_trending("simulated"))
        store.write_table(conn, "global_market", market.fetch_global("simulated"))
        articles, sentiment = market.fetch_news(["BTC", "ETH"], D0, D0 + dt.timedelta(days=5), source="simulated")
        news = store.write_news(conn, articles, sentiment)
    with transaction(db_url) as conn:
        again = store.write_prices(conn, prices)
    assert (first.rows, again.rows) == (30, 0)
    assert news[1].rows == sentiment.height
    with get_engine(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM market_snapshots")).scalar_one() >= 30


def test_invalid_frame_is_rejected_before_writing(db_url):
    prices = market.fetch_prices("simulated", ["BTC"], D0, D0 + dt.timedelta(days=3))
    broken = prices.with_columns(pl.when(pl.int_range(pl.len()) == 1).then(float("nan")).otherwise(pl.col("price")).alias("price"))
    from pipelines.contracts import PriceFrame, validate

    with pytest.raises(InvalidBatch, match=r"simulated prices: PriceFrame batch rejected.*no_nan") as info:
        validate(broken, PriceFrame, provider="simulated", endpoint="prices")
    assert [r["row"] for r in info.value.rows] == [1]


def test_health_probes_record_each_provider(server, coingecko, etherscan, alphavantage, db_url):
    server.fault("etherscan", "stats/ethprice", "500", times=3)
    results = health.check_providers(db_url, {
        "coingecko": lambda: health.probe_coingecko(coingecko),
        "etherscan": lambda: health.probe_etherscan(etherscan),
        "alphavantage": lambda: health.probe_alphavantage(alphavantage),
        "simulated": health.probe_simulated,
    })
    by = {h.provider: h for h in results}
    assert by["coingecko"].ok and by["alphavantage"].ok and by["simulated"].ok
    assert not by["etherscan"].ok and by["etherscan"].status_code == 500 and by["etherscan"].error_rate == 1.0
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(sa.text("SELECT provider, ok FROM provider_health ORDER BY id")).all()
    assert rows == [("coingecko", True), ("etherscan", False), ("alphavantage", True), ("simulated", True)]
