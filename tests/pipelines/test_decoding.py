"""Etherscan and Alpha Vantage bodies through their msgspec shapes: a mistyped or missing field is
``MalformedResponse`` naming its JSON path, a body cut short is ``TruncatedResponse``, and a body
read from bytes parses like the same body decoded. Every case mutates a copy of a real recording."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from pipelines.alphavantage import helpers as av
from pipelines.errors import ApiError, MalformedResponse, RateLimited, TruncatedResponse
from pipelines.etherscan import helpers as es

TOKEN_ADDR = "0x4e83362442b8d1bec281594cea3050c8eb01311c"
INTERNAL_ADDR = "0x2c1ba59d6f58433fb1eaee7d20b26ed83bda51a3"
MKR_WALLET = "0x4e83362442b8d1bec281594cea3050c8eb01311c"
DAILY_LEGACY = "DIGITAL_CURRENCY_DAILY_BTC_CNY_2020-05-04_partial_legacy_format.json"
DAILY_2024 = "DIGITAL_CURRENCY_DAILY_BTC_EUR_2025-08-24_partial.json"
SERIES = [
    "DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_EDITED_to_2024_format.json",
    "DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_legacy_format.json",
    DAILY_LEGACY,
    DAILY_2024,
    "DIGITAL_CURRENCY_INTRADAY_BTC_CNY_2017-12-20_legacy.json",
    "CRYPTO_INTRADAY_ETH_USD_5min_2025-08-24_partial.json",
]


@pytest.fixture
def api(shared_data):
    def load(name: str, raw: bool = False):
        content = (shared_data / "api" / name).read_bytes()
        return content if raw else json.loads(content)

    return load


@pytest.fixture
def transfers(api) -> list[dict]:
    return api("etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json")["res"]


# --- Etherscan -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mutate,field,message", [
    (lambda r: r.update(blockNumber="2228258x"), "result[3].blockNumber", "Expected `int`, got `str`"),
    (lambda r: r.pop("value"), "result[3].value", "missing"),
    (lambda r: r.update(value="1.01e20"), "result[3].value", "matching regex"),
    (lambda r: r.update(value=None), "result[3].value", "got `null`"),
    (lambda r: r.update(timeStamp="99999999999999"), "result[3].timeStamp", "<= 253402300799"),
    (lambda r: r.pop("tokenDecimal"), "result[3].tokenDecimal", "missing"),
    (lambda r: r.update(hash=7), "result[3].hash", "Expected `str`, got `int`"),
])
def test_a_malformed_transfer_refuses_the_wallet_naming_it_and_the_path(transfers, mutate, field, message):
    rows = copy.deepcopy(transfers)
    mutate(rows[3])
    with pytest.raises(MalformedResponse) as info:
        es.parse_transactions(rows, TOKEN_ADDR, "erc20")
    error = info.value
    assert (error.provider, error.endpoint, error.field) == ("etherscan", "account/tokentx", field)
    assert message in error.reason and f"wallet {TOKEN_ADDR}" in str(error)
    assert not error.retryable


def test_transfer_bodies_from_bytes_parse_like_decoded_rows(api):
    content = api("etherscan/ryanc414_account_tokentx.json", raw=True)
    from_bytes = es.parse_transactions(content, MKR_WALLET, "erc20")
    from_rows = es.parse_transactions(json.loads(content)["result"], MKR_WALLET, "erc20")
    assert from_bytes.equals(from_rows) and from_bytes.height == len(json.loads(content)["result"])
    assert str(from_bytes.get_column("value")[0]) == "5901.522149285533025181"  # exact, from the integer string


def test_a_malformed_row_in_a_body_has_the_same_path(api):
    body = api("etherscan/ryanc414_account_tokentx.json")
    body["result"][1]["blockNumber"] = "4730207.5"
    with pytest.raises(MalformedResponse, match=r"field 'result\[1\]\.blockNumber'"):
        es.parse_transactions(json.dumps(body).encode(), MKR_WALLET, "erc20")


@pytest.mark.parametrize("name", ["etherscan/ryanc414_account_tokentx.json", "etherscan/ryanc414_account_balancemulti.json"])
def test_a_body_cut_short_is_truncated_and_retryable(api, name):
    content = api(name, raw=True)
    parse = es.parse_balances if "balance" in name else (lambda c: es.parse_transactions(c, MKR_WALLET, "erc20"))
    with pytest.raises(TruncatedResponse, match="JSON body ends early") as info:
        parse(content[: len(content) * 2 // 3])
    assert info.value.retryable
    with pytest.raises(MalformedResponse, match="body is not JSON") as info:
        parse(b"<html>502 Bad Gateway</html>")
    assert not isinstance(info.value, TruncatedResponse)


@pytest.mark.parametrize("name,error", [
    ("error_invalid_api_key.json", ApiError),
    ("error_rate_limit_max_rate_limit_reached.json", RateLimited),
])
def test_error_envelopes_read_from_bytes_raise_like_the_client(api, name, error):
    with pytest.raises(error, match="etherscan account/tokentx: NOTOK"):
        es.parse_transactions(api(f"etherscan/{name}", raw=True), MKR_WALLET, "erc20")


def test_no_transactions_found_from_bytes_is_empty():
    body = b'{"status":"0","message":"No transactions found","result":[]}'
    assert es.parse_transactions(body, MKR_WALLET, "erc20").height == 0


def test_balances_paths_and_bytes(api):
    content = api("etherscan/ryanc414_account_balancemulti.json", raw=True)
    at = dt.datetime(2020, 10, 28, tzinfo=dt.UTC)
    from_bytes = es.parse_balances(content, at=at)
    assert from_bytes.equals(es.parse_balances(json.loads(content)["result"], at=at))
    assert str(from_bytes.get_column("balance")[0]) == "40891.626854930000000000"
    body = json.loads(content)
    body["result"][0]["balance"] = "40891.6"
    with pytest.raises(MalformedResponse, match=r"etherscan account/balancemulti: field 'result\[0\]\.balance'"):
        es.parse_balances(body["result"])
    with pytest.raises(MalformedResponse, match=r"field 'result': Expected `str` matching regex"):
        es.parse_balances("-1", address=TOKEN_ADDR)


def test_call_tree_trace_ids_do_not_collide(api):
    """Newer answers send traceIds like "0_1_1": read as numbers they collided ("0_1_1" and "0_11" both
    became 11) and the wallet's batch was rejected; they take the row's position instead."""
    rows = api("etherscan/pcko1_log_get_internal_txs_by_address.json")["res"]
    twin = [dict(rows[0], traceId="0_1_1"), dict(rows[0], traceId="0_11", value="1")]
    frame = es.parse_transactions(twin + rows[1:], INTERNAL_ADDR, "internal")
    assert frame.height == len(rows) + 1
    assert frame.get_column("log_index").to_list()[:2] == [0, 1]


def test_client_names_the_path_and_the_wallet_of_a_renamed_field(etherscan, server):
    server.fault("etherscan", "account/tokentx", "rename:blockNumber:block")
    with pytest.raises(MalformedResponse) as info:
        list(etherscan.token_transfers(TOKEN_ADDR))
    assert info.value.field == "result[0].blockNumber" and TOKEN_ADDR in str(info.value)
    assert server.calls("etherscan", "account/tokentx") == 1  # a renamed field is not retried
    server.fault("etherscan", "stats/ethprice", "rename:ethusd:usd")
    with pytest.raises(MalformedResponse, match=r"etherscan stats/ethprice: field 'result\.ethusd': missing"):
        etherscan.ethprice(use_cache=False)


def test_client_truncated_pages_are_retried_then_named(etherscan, server):
    server.fault("etherscan", "account/txlist", "truncate")
    assert len([r for p in etherscan.transactions("0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a") for r in p]) > 0
    server.fault("etherscan", "account/txlist", "truncate", times=3)
    with pytest.raises(TruncatedResponse, match="etherscan account/txlist"):
        list(etherscan.transactions("0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a", page_size=7))


# --- Alpha Vantage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SERIES)
def test_series_from_bytes_parse_like_decoded(api, name):
    content = api(f"alphavantage/{name}", raw=True)
    assert av.parse_time_series(content).equals(av.parse_time_series(json.loads(content)))


@pytest.mark.parametrize("name,mutate,field,message", [
    (DAILY_LEGACY, lambda b: b["Time Series (Digital Currency Daily)"]["2020-05-04"].update({"4b. close (USD)": "-"}),
     "Time Series (Digital Currency Daily).2020-05-04.4b. close (USD)", "Expected `float`"),
    (DAILY_LEGACY, lambda b: b["Time Series (Digital Currency Daily)"]["2020-05-03"].pop("2a. high (CNY)"),
     "Time Series (Digital Currency Daily).2020-05-03.2a. high (CNY)", "missing"),
    (DAILY_2024, lambda b: b["Time Series (Digital Currency Daily)"]["2025-08-23"].pop("4. close"),
     "Time Series (Digital Currency Daily).2025-08-23.4. close", "missing"),
    (DAILY_2024, lambda b: b["Time Series (Digital Currency Daily)"]["2025-08-23"].update({"1. open": "0"}),
     "Time Series (Digital Currency Daily).2025-08-23.1. open", "> 0.0"),
    (DAILY_2024, lambda b: b["Time Series (Digital Currency Daily)"]["2025-08-23"].update({"5. volume": "NaN"}),
     "Time Series (Digital Currency Daily).2025-08-23.5. volume", ">= 0.0"),
    ("CRYPTO_INTRADAY_ETH_USD_5min_2025-08-24_partial.json",
     lambda b: b["Time Series Crypto (5min)"]["2025-08-24 15:35:00"].update({"2. high": "inf"}),
     "Time Series Crypto (5min).2025-08-24 15:35:00.2. high", "<= 1.79"),
    (DAILY_2024, lambda b: b["Meta Data"].pop("4. Market Code"), "Meta Data.4. Market Code", "missing"),
    (DAILY_2024, lambda b: b.pop("Time Series (Digital Currency Daily)"), "Time Series", "missing"),
])
def test_series_fields_are_named_by_path(api, name, mutate, field, message):
    body = api(f"alphavantage/{name}")
    mutate(body)
    for data in (body, json.dumps(body).encode()):
        with pytest.raises(MalformedResponse) as info:
            av.parse_time_series(data)
        assert (info.value.field, info.value.endpoint) == (field, "DIGITAL_CURRENCY_DAILY")
        assert message in info.value.reason


@pytest.mark.parametrize("name", [DAILY_LEGACY, "NEWS_SENTIMENT_tickers_COIN_CRYPTO-BTC_FOREX-USD_2024-05.json",
                                  "CURRENCY_EXCHANGE_RATE_BTC_CNY_2020-05-03.json"])
def test_alphavantage_bodies_cut_short_are_truncated(api, name):
    content = api(f"alphavantage/{name}", raw=True)
    parse = av.parse_news if "NEWS" in name else av.parse_exchange_rate if "EXCHANGE" in name else av.parse_time_series
    with pytest.raises(TruncatedResponse, match="JSON body ends early"):
        parse(content[: len(content) - 40])


def test_exchange_rates_dash_is_null_and_bad_rates_are_named(api):
    no_bid = av.parse_exchange_rate(api("alphavantage/CURRENCY_EXCHANGE_RATE_USD_JPY_2020-05-03_no_bid_ask.json", raw=True))
    assert no_bid.row(0, named=True)["bid"] is None and no_bid.row(0, named=True)["ask"] is None
    old = av.parse_exchange_rate(api("alphavantage/CURRENCY_EXCHANGE_RATE_BTC_CNY_2017-12-20.json"))
    assert old.row(0, named=True)["bid"] is None and old.row(0, named=True)["rate"] == 109631.430607  # no bid/ask sent
    body = api("alphavantage/CURRENCY_EXCHANGE_RATE_BTC_CNY_2020-05-03.json")
    for value, message in (("0", "> 0.0"), ("-", "Expected `float`")):
        body["Realtime Currency Exchange Rate"]["5. Exchange Rate"] = value
        with pytest.raises(MalformedResponse) as info:
            av.parse_exchange_rate(body)
        assert info.value.field == "Realtime Currency Exchange Rate.5. Exchange Rate" and message in info.value.reason


def test_a_feed_that_is_no_array_is_refused_whole(api):
    """Per-item problems cost the item (tests/pipelines/test_news_items.py); a broken feed, the batch."""
    body = api("alphavantage/NEWS_SENTIMENT_tickers_COIN_CRYPTO-BTC_FOREX-USD_2024-05.json")
    body["feed"] = "not a list"
    with pytest.raises(MalformedResponse, match=r"field 'feed': Expected `array`, got `str`"):
        av.parse_news(body)
