"""The real clients parse every recorded provider response served by the local server, or reject
the error bodies with errors naming provider and endpoint."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from pipelines.alphavantage import helpers as av
from pipelines.coingecko import helpers as cg
from pipelines.decoding import decode
from pipelines.errors import ApiError, MalformedResponse, RateLimited, TruncatedResponse
from pipelines.etherscan import helpers as es
from warehouse.queries.assets import Coin

BTC_ADDR = "0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a"
TOKEN_ADDR = "0x4e83362442b8d1bec281594cea3050c8eb01311c"
INTERNAL_ADDR = "0x2c1ba59d6f58433fb1eaee7d20b26ed83bda51a3"


def _decoded(shared_data, name: str, type_):
    return decode((shared_data / "api/coingecko" / name).read_bytes(), type_, provider="coingecko", endpoint="test",
                  strict=True)


def test_coingecko_markets_match_recorded_row(coingecko, shared_data):
    recorded = json.loads((shared_data / "api/coingecko/coins_markets_bitcoin_usd_2021-05-15.json").read_text())[0]
    rows = [row for page in coingecko.markets(["bitcoin"]) for row in page]
    at = dt.datetime(2021, 5, 15, 16, 1, 4, tzinfo=dt.UTC)
    snapshot, missing = cg.market_snapshot(rows, [Coin(1, "bitcoin", "BTC")], at=at)
    row = snapshot.row(0, named=True)
    assert (row["asset_id"], row["price"], row["market_cap"], row["market_cap_rank"]) == (
        1, recorded["current_price"], recorded["market_cap"], recorded["market_cap_rank"])
    assert row["time"] == dt.datetime(2021, 5, 15, 15, 59, 43, 867000, tzinfo=dt.UTC)  # the price's own time
    assert missing == {}


@pytest.mark.parametrize("name", ["coins_markets_bitcoin_myr_2021-05-15.json", "coins_markets_bitcoin_ethereum_eth_2021-05-15.json"])
def test_coingecko_markets_other_currencies_parse(shared_data, name):
    rows = _decoded(shared_data, name, list[cg.MarketRow])
    recorded = json.loads((shared_data / "api/coingecko" / name).read_text())
    assert [r.id for r in rows] == [r["id"] for r in recorded]
    assert [r.current_price for r in rows] == [float(r["current_price"]) for r in recorded]


def test_coingecko_market_chart_range_parses_recorded_series(coingecko, shared_data):
    recorded = json.loads((shared_data / "api/coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json").read_text())
    chart = coingecko.market_chart_range("bitcoin", dt.datetime(2021, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 5, 16, tzinfo=dt.UTC))
    frame = cg.chart_points(chart, Coin(1, "bitcoin", "BTC"))
    assert frame.height == len(recorded["prices"])
    assert frame.get_column("price").to_list() == [p[1] for p in recorded["prices"]]
    assert frame.get_column("volume_24h").to_list() == [p[1] for p in recorded["total_volumes"]]
    # Each 00:00 point is the close of the day before; the last point is the price when recorded.
    times = frame.get_column("time").to_list()
    assert times[0] == dt.datetime(2021, 2, 14, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert times[-1] == dt.datetime(2021, 5, 15, 14, 39, 54, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["market_chart_bitcoin_usd_30d_hourly_2021-05-15.json", "market_chart_bitcoin_usd_1d_5min_2021-05-15.json"])
def test_coingecko_intraday_charts_parse(shared_data, name):
    recorded = json.loads((shared_data / "api/coingecko" / name).read_text())
    frame = cg.chart_points(_decoded(shared_data, name, cg.MarketChart), Coin(1, "bitcoin", "BTC"))
    assert frame.height == len({p[0] for p in recorded["prices"]})  # intraday points keep their own times
    assert frame.get_column("price")[-1] == recorded["prices"][-1][1]


def test_coingecko_trending_and_global(coingecko):
    at = dt.datetime(2021, 5, 18, 14, 1, tzinfo=dt.UTC)
    trending = cg.trending_rows(coingecko.trending(), at=at)
    assert trending.get_column("symbol").to_list()[:3] == ["MATIC", "SHIB", "SAFEMOON"]
    assert trending.get_column("coingecko_id").to_list()[0] == "matic-network"
    glob = cg.global_row(coingecko.global_market())
    assert glob.get_column("active_cryptocurrencies")[0] == 7362


def test_coingecko_history_snapshot_is_refused_as_market_rows(shared_data):
    with pytest.raises(MalformedResponse, match=r"Expected `array`, got `object`"):
        _decoded(shared_data, "coins_bitcoin_history_30-12-2017.json", list[cg.MarketRow])


def test_coingecko_renamed_and_truncated_fields_name_their_path(shared_data):
    body = json.loads((shared_data / "api/coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json").read_text())
    renamed = json.dumps({**{k: v for k, v in body.items() if k != "total_volumes"}, "volumes": body["total_volumes"]})
    with pytest.raises(MalformedResponse) as info:
        decode(renamed.encode(), cg.MarketChart, provider="coingecko", endpoint="coins/market_chart/range", strict=True)
    assert info.value.field == "total_volumes"
    body["prices"][3][1] = "49000"
    with pytest.raises(MalformedResponse) as info:
        decode(json.dumps(body).encode(), cg.MarketChart, provider="coingecko", endpoint="coins/market_chart/range", strict=True)
    assert info.value.field == "prices[3][1]"
    raw = (shared_data / "api/coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json").read_bytes()
    with pytest.raises(TruncatedResponse):
        decode(raw[: len(raw) // 2], cg.MarketChart, provider="coingecko", endpoint="coins/market_chart/range", strict=True)


@pytest.mark.parametrize("path,params,message", [
    ("/simple/price", {}, "Missing parameter ids"),
    ("/coins/markets", {}, "Missing parameter vs_currency"),
])
def test_coingecko_422_bodies_are_api_errors(coingecko, path, params, message):
    from pipelines.http import Endpoint

    with pytest.raises(ApiError, match=message) as info:
        coingecko.http.get(Endpoint(path.strip("/"), path), params)
    assert info.value.status_code == 422


def test_etherscan_balances_and_histories(etherscan, shared_data):
    balances = es.parse_balances(etherscan.balances([BTC_ADDR, "0x63a9975ba31b0b9626b34300f7f627147df1f526"]))
    assert str(balances.get_column("balance")[0]) == "40891.626854930000000000"
    single = es.parse_balances(etherscan.balance(BTC_ADDR), address=BTC_ADDR)
    assert single.get_column("balance")[0] == balances.get_column("balance")[0]
    pages = list(etherscan.transactions(BTC_ADDR, page_size=10))
    recorded = json.loads((shared_data / "api/etherscan/pcko1_log_get_normal_txs_by_address.json").read_text())["res"]
    assert [len(p) for p in pages] == [10, 10, 10, 10, len(recorded) - 40]
    txs = es.parse_transactions([r for p in pages for r in p], BTC_ADDR, "normal")
    assert txs.get_column("tx_hash").to_list() == [r["hash"] for r in recorded]
    internal = es.parse_transactions([r for p in etherscan.internal_transactions(INTERNAL_ADDR) for r in p], INTERNAL_ADDR, "internal")
    assert internal.height == 66


def test_etherscan_token_transfers_derive_balances(etherscan, shared_data):
    rows = [r for p in etherscan.token_transfers(TOKEN_ADDR, contract="0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2") for r in p]
    transfers = es.parse_transactions(rows, TOKEN_ADDR, "erc20")
    assert set(transfers.get_column("token_symbol")) == {"MKR"}
    balance = es.token_balances(transfers)
    expected = sum(int(r["value"]) * (1 if r["to"] == TOKEN_ADDR else -1) for r in rows) / 10**18
    assert float(balance.get_column("balance")[0]) == pytest.approx(expected)


def test_etherscan_no_transactions_is_empty_not_error(etherscan):
    assert [r for p in etherscan.transactions("0x" + "1" * 40) for r in p] == []


@pytest.mark.parametrize("name,error", [
    ("error_invalid_api_key.json", ApiError),
    ("error_too_many_invalid_api_key_attempts.json", ApiError),
    ("error_rate_limit_max_rate_limit_reached.json", RateLimited),
    ("error_rate_limit_max_rate_limit_reached_use_api_key.json", RateLimited),
])
def test_etherscan_notok_bodies_are_errors(etherscan, server, name, error):
    server.fault("etherscan", "account/balance", f"file:etherscan/{name}", times=5)
    with pytest.raises(error, match="etherscan account/balance: NOTOK"):
        etherscan.balance(BTC_ADDR)


def test_etherscan_keyless_ok_body_is_data(etherscan, server):
    server.fault("etherscan", "account/balance", "file:etherscan/ok_missing_invalid_api_key_rate_limited_balance.json")
    assert etherscan.balance(BTC_ADDR) == "595623370144773018344492"


def test_alphavantage_news_and_series(alphavantage, shared_data):
    articles, sentiment = av.parse_news(alphavantage.news_sentiment(["CRYPTO:BTC"]))
    assert articles.height == 21
    assert set(sentiment.get_column("symbol")) >= {"BTC"}
    assert articles.get_column("published_at").is_sorted()
    legacy = av.usd_prices(av.parse_time_series(alphavantage.digital_currency_daily("BTC", "CNY")))
    assert legacy.sort("time").get_column("price").to_list() == [8894.16, 8822.38]
    with pytest.raises(ApiError, match="quoted in EUR, not USD"):
        av.usd_prices(av.parse_time_series(alphavantage.digital_currency_daily("BTC", "EUR")))
    rate = av.parse_exchange_rate(alphavantage.exchange_rate("USD", "JPY"))
    assert rate.row(0, named=True)["bid"] is None and rate.row(0, named=True)["rate"] == 106.89


@pytest.mark.parametrize("name", [
    "DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_EDITED_to_2024_format.json",
    "DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_legacy_format.json",
    "DIGITAL_CURRENCY_INTRADAY_BTC_CNY_2017-12-20_legacy.json",
    "CRYPTO_INTRADAY_ETH_USD_5min_2025-08-24_partial.json",
])
def test_alphavantage_series_layouts_parse(shared_data, name):
    data = json.loads((shared_data / "api/alphavantage" / name).read_text())
    candles = av.parse_time_series(data)
    series = next(v for k, v in data.items() if k.startswith("Time Series"))
    assert candles.get_column("time").n_unique() == len(series)
    assert (candles.get_column("high") >= candles.get_column("low")).all()


def test_alphavantage_2024_and_legacy_layouts_agree(shared_data):
    load = lambda n: json.loads((shared_data / "api/alphavantage" / n).read_text())  # noqa: E731
    new = av.parse_time_series(load("DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_EDITED_to_2024_format.json"))
    old = av.parse_time_series(load("DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_legacy_format.json"))
    assert new.equals(old.filter(pl.col("currency") == "AUD"))


@pytest.mark.parametrize("name,error,retryable", [
    ("rate_limit_Note_2021.json", RateLimited, True),
    ("rate_limit_Information_2024.json", RateLimited, False),
    ("premium_endpoint_Information_2023.json", ApiError, False),
])
def test_alphavantage_200_bodies_signal_limits(alphavantage, server, name, error, retryable):
    server.fault("alphavantage", "CURRENCY_EXCHANGE_RATE", f"file:alphavantage/{name}", times=5)
    with pytest.raises(error, match="alphavantage CURRENCY_EXCHANGE_RATE: Thank you for using Alpha Vantage") as info:
        alphavantage.exchange_rate("BTC", "CNY", use_cache=False)
    assert info.value.retryable is retryable


def test_etherscan_window_limit_moves_startblock_without_duplicates(etherscan, server, monkeypatch, shared_data):
    from pipelines.etherscan import settings as es_settings

    monkeypatch.setattr(es_settings, "MAX_WINDOW_ROWS", 300)  # the real API stops at 10,000 rows
    rows = [r for p in etherscan.token_transfers(TOKEN_ADDR, page_size=100) for r in p]
    recorded = json.loads((shared_data / "api/etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json").read_text())["res"]
    assert [r["hash"] for r in rows] == [r["hash"] for r in recorded]
    starts = {int(p["startblock"]) for _, e, p, _ in server.requests if e == "account/tokentx"}
    assert len(starts) > 3


def test_coingecko_markets_paginate(coingecko, server, shared_data):
    eth_rows = json.loads((shared_data / "api/coingecko/coins_markets_bitcoin_ethereum_eth_2021-05-15.json").read_text())
    server.markets_rows = server.markets_rows + eth_rows
    pages = list(coingecko.top_markets(3, per_page=2))
    assert [len(p) for p in pages] == [2, 1]
    assert [p["page"] for _, e, p, _ in server.requests if e == "coins/markets"] == ["1", "2"]
    assert len(list(coingecko.top_markets(2, per_page=2))) == 1  # stops at ``top``
    # By ids: 250 a call (the API's page size), the same sorted ids always the same URL.
    ids = [f"coin-{i:03d}" for i in range(300)]
    list(coingecko.markets(reversed(ids)))
    asked = [p["ids"].split(",") for _, e, p, _ in server.requests if e == "coins/markets" and "ids" in p]
    assert [len(a) for a in asked] == [250, 50] and asked[0] + asked[1] == ids
