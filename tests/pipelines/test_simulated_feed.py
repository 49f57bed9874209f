"""The simulated market: its stylized facts, determinism and labels, and the feed that serves it
to the assets with the same frames as the live one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa
from scipy import stats

from pipelines import health, loads, simulated
from pipelines.coingecko import POINTS
from pipelines.prices import END_OF_DAY
from pipelines.simulated.feed import SimulatedFeed
from warehouse.engine import get_engine, transaction
from warehouse.queries.assets import tracked_coins

D0, D1 = dt.date(2022, 1, 1), dt.date(2024, 1, 1)
UTC = dt.UTC


def _returns(frame: pl.DataFrame) -> pl.DataFrame:
    wide = frame.pivot(on="symbol", index="time", values="price").sort("time")
    return wide.select(pl.exclude("time").log().diff()).drop_nulls()


def test_simulated_universe_and_labels():
    prices = simulated.prices(None, D0, D0 + dt.timedelta(days=3))
    assert prices.get_column("symbol").n_unique() >= 30
    assert {"BTC", "ETH", "USDT", "USDC", "DAI"} <= set(prices.get_column("symbol"))
    assert set(prices.get_column("source")) == {"simulated"}
    for frame in (simulated.markets(), simulated.trending(), simulated.global_market()):
        assert set(frame.get_column("source")) == {"simulated"}


def test_simulated_is_deterministic_and_range_independent():
    whole = simulated.prices(["BTC", "ETH"], D0, D1)
    part = simulated.prices(["ETH", "BTC"], dt.date(2023, 5, 1), dt.date(2023, 5, 3))
    joined = part.join(whole, on=["symbol", "time"], suffix="_whole")
    assert joined.height == 4
    assert (joined.get_column("price") == joined.get_column("price_whole")).all()
    assert simulated.prices(["BTC"], D0, D1).equals(whole.filter(pl.col("symbol") == "BTC"))


def test_the_feed_keys_by_coin_id_and_skips_coins_it_does_not_list(db_url):
    with transaction(db_url) as conn:
        coins = tracked_coins(conn)
    feed = SimulatedFeed(42)
    with feed.history(coins, dt.datetime(2023, 1, 1, tzinfo=UTC), dt.datetime(2023, 1, 4, tzinfo=UTC)) as harvest:
        points = harvest.frame(POINTS, {})
    listed = {a.coingecko_id for a in simulated.UNIVERSE}
    assert set(harvest.skipped) == {c.coingecko_id for c in coins} - listed
    assert points["asset_id"].n_unique() == len([c for c in coins if c.coingecko_id in listed])
    assert set(points["time"].to_list()) == {dt.datetime(2023, 1, d, tzinfo=UTC) + END_OF_DAY for d in (1, 2, 3)}


def test_loads_write_simulated_frames_idempotently(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))
    with transaction(db_url) as conn:
        coins = [c for c in tracked_coins(conn) if c.symbol in ("BTC", "ETH", "USDT")]
    feed = SimulatedFeed(42)
    window = (dt.datetime(2022, 1, 1, tzinfo=UTC), dt.datetime(2022, 1, 11, tzinfo=UTC))
    first = loads.load_prices(db_url, feed, coins, *window)
    again = loads.load_prices(db_url, feed, coins, *window)
    assert (first.rows, again.rows) == (30, 30) and first.complete
    at = dt.datetime.now(UTC)
    snapshot = loads.load_market_snapshot(db_url, feed, coins, at)
    assert snapshot.rows == 3 and loads.load_market_snapshot(db_url, feed, coins, at).rows == 0
    assert loads.load_table(db_url, feed, "trending", at).rows == 7
    assert loads.load_table(db_url, feed, "global", at).rows == 1
    with get_engine(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM price_history")).scalar_one() == 30
        assert conn.execute(sa.text("SELECT count(DISTINCT asset_id) FROM market_snapshots")).scalar_one() == 3


def test_simulated_stylized_facts():
    r = _returns(simulated.prices(None, D0, D1))
    btc = r.get_column("BTC").to_numpy()
    assert stats.kurtosis(btc) > 2  # fat tails (a normal has 0)
    abs_acf = np.corrcoef(np.abs(btc[1:]), np.abs(btc[:-1]))[0, 1]
    assert abs_acf > 0.05  # volatility clustering
    corr = {s: np.corrcoef(btc, r.get_column(s).to_numpy())[0, 1] for s in ("ETH", "SOL", "DOGE", "LINK")}
    assert all(0.4 < c < 0.95 for c in corr.values()), corr
    stables = simulated.prices(["USDT", "USDC", "DAI"], D0, D1).get_column("price")
    assert stables.min() > 0.97 and stables.max() < 1.03


def test_simulated_intraday_and_no_future():
    now = dt.datetime.now(dt.UTC)
    hourly = simulated.prices(["BTC"], now - dt.timedelta(hours=5), now + dt.timedelta(days=3), interval="1h")
    assert hourly.height in (4, 5) and hourly.get_column("time").max() <= now
    # A day's 5-minute path runs from the previous close (its 00:00 price) to its own close (the
    # next 00:00), so the day's last price is its close, stored at its last microsecond.
    march = simulated.prices(["BTC"], dt.date(2023, 3, 1), dt.date(2023, 3, 3), interval="5m")
    daily = simulated.prices(["BTC"], dt.date(2023, 2, 28), dt.date(2023, 3, 3))
    assert daily.get_column("time").to_list() == [dt.datetime(2023, 2, d, tzinfo=dt.UTC) + END_OF_DAY for d in (28,)] + [
        dt.datetime(2023, 3, d, tzinfo=dt.UTC) + END_OF_DAY for d in (1, 2)]
    first = march.filter(pl.col("time") == dt.datetime(2023, 3, 2, tzinfo=dt.UTC)).get_column("price")[0]
    assert first == pytest.approx(daily.get_column("price")[1], rel=1e-12)  # 00:00 of Mar 2 = close of Mar 1
    assert march.get_column("time").dt.date().n_unique() == 2


def test_simulated_wallets_balances_match_transactions():
    addresses = [simulated.wallet_address(42, i) for i in range(2)]
    at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    balances = simulated.wallet_balances(addresses, at)
    txs = simulated.wallet_transactions(addresses, dt.datetime(2015, 1, 1, tzinfo=dt.UTC), at)
    for row in balances.iter_rows(named=True):
        mine = txs.filter(pl.col("address") == row["address"], pl.col("token_address") == row["token_address"])
        incoming = sum(mine.filter(pl.col("to_address") == row["address"]).get_column("value").to_list())
        outgoing = sum(mine.filter(pl.col("from_address") == row["address"]).get_column("value").to_list())
        assert row["balance"] == incoming - outgoing


def test_simulated_news_sentiment_follows_moves():
    articles, sentiment = simulated.news(D0, D1, symbols=["BTC", "ETH", "SOL", "DOGE"])
    assert articles.height > 700 and set(articles.get_column("provider")) == {"simulated"}
    prices = simulated.prices(["BTC", "ETH", "SOL", "DOGE"], D0 - dt.timedelta(days=1), D1)
    moves = prices.sort("time").with_columns(pl.col("price").log().diff().over("symbol").alias("move"),
                                             pl.col("time").dt.truncate("1d").alias("day"))
    joined = sentiment.with_columns(pl.col("published_at").dt.truncate("1d").alias("day")).join(
        moves.select("symbol", "day", "move"), on=["symbol", "day"])
    assert np.corrcoef(joined.get_column("score"), joined.get_column("move"))[0, 1] > 0.5


def test_unknown_simulated_symbol_is_named():
    with pytest.raises(ValueError, match="no asset\\(s\\) NOPE"):
        simulated.prices(["BTC", "NOPE"], D0, D1)


def test_health_probes_name_each_provider(server, coingecko, etherscan, alphavantage):
    server.fault("etherscan", "stats/ethprice", "500", times=3)
    by = {h.provider: h for h in (health.probe_coingecko(coingecko), health.probe_etherscan(etherscan),
                                  health.probe_alphavantage(alphavantage), health.probe_simulated())}
    assert by["coingecko"].ok and by["alphavantage"].ok and by["simulated"].ok
    assert by["coingecko"].quota_used == 1 and by["coingecko"].quota_limit == 10_000
    assert not by["etherscan"].ok and by["etherscan"].status_code == 500 and by["etherscan"].error_rate == 1.0
