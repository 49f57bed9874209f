"""A local HTTP server on loopback that speaks CoinGecko v3, Etherscan API V2 and Alpha Vantage.

It serves the real recorded responses in ``../shared/data/api`` with the providers' paths,
parameters, auth, pagination and error/rate-limit bodies, and injects faults on demand:
``server.fault("coingecko", "coins/markets", "429", retry_after=1)`` makes the next such call
fail. Fault kinds: ``429``, ``500``, ``timeout``, ``truncate``, ``rename:OLD:NEW`` (a field renamed
everywhere in the body), ``file:NAME`` (serve a recorded body, e.g. an Alpha Vantage ``Note``).

Endpoint names match the clients' ``Endpoint.name`` (``coins/markets``, ``account/txlist``,
``NEWS_SENTIMENT``), so tests name faults the way errors name endpoints.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.loopback import LoopbackServer

CG_PREFIX = "/api/v3"
ES_PATH = "/v2/api"
AV_PATH = "/query"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def _json(status: int, data: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(data).encode(), headers)


class ProviderServer(LoopbackServer):
    def __init__(self, data_dir: Path, *, coingecko_key: tuple[str, str] | None = None,
                 etherscan_key: str | None = None, alphavantage_key: str = "test-av-key",
                 alphavantage_daily_limit: int | None = None, timeout_delay_s: float = 2.0) -> None:
        self.api = data_dir / "api"
        self.coingecko_key = coingecko_key  # (header, value)
        self.etherscan_key = etherscan_key
        self.alphavantage_key = alphavantage_key
        self.alphavantage_daily_limit = alphavantage_daily_limit
        self.timeout_delay_s = timeout_delay_s
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self._faults: dict[tuple[str, str], deque[tuple[str, float | None]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._av_calls = 0
        self.markets_rows: list[dict] = self.load("coingecko/coins_markets_bitcoin_usd_2021-05-15.json")
        self.charts: dict[str, dict] = {"bitcoin": self.load("coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json")}

    @property
    def coingecko_url(self) -> str:
        return self.root + CG_PREFIX

    @property
    def etherscan_url(self) -> str:
        return self.root + ES_PATH

    @property
    def alphavantage_url(self) -> str:
        return self.root + AV_PATH

    def fault(self, provider: str, endpoint: str, kind: str, *, times: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            for _ in range(times):
                self._faults[(provider, endpoint)].append((kind, retry_after))

    def calls(self, provider: str, endpoint: str | None = None) -> int:
        return sum(1 for p, e, _, _ in self.requests if p == provider and (endpoint is None or e == endpoint))

    def load(self, name: str) -> Any:
        """A recorded response, decoded."""
        return json.loads((self.api / name).read_bytes())

    def _file(self, name: str, status: int = 200) -> Reply:
        return Reply(status, (self.api / name).read_bytes())

    # --- dispatch ---------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in h.headers.items()}
        if parts.path.startswith(CG_PREFIX):
            provider, endpoint, reply = "coingecko", *self._coingecko(parts.path[len(CG_PREFIX):], params, headers)
        elif parts.path == ES_PATH:
            provider, endpoint, reply = "etherscan", *self._etherscan(params)
        elif parts.path == AV_PATH:
            provider, endpoint, reply = "alphavantage", *self._alphavantage(params)
        else:
            provider, endpoint, reply = "?", parts.path, _json(404, {"error": "not found"})
        with self._lock:
            self.requests.append((provider, endpoint, params, headers))
            pending = self._faults.get((provider, endpoint))
            fault = pending.popleft() if pending else None
        if fault:
            reply = self._apply(fault, reply)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        try:
            h.send_response(reply.status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(reply.body)))
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _apply(self, fault: tuple[str, float | None], reply: Reply) -> Reply:
        kind, retry_after = fault
        extra = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        if kind == "429":
            return _json(429, {"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}}, **extra)
        if kind == "500":
            return Reply(500, (self.api / "coingecko/error_500_ohlc_missing_params_2021-07-19.json").read_bytes(), extra)
        if kind == "timeout":
            return Reply(reply.status, reply.body, reply.headers, delay_s=self.timeout_delay_s)
        if kind == "truncate":
            return Reply(reply.status, reply.body[: max(1, len(reply.body) // 2)], reply.headers)
        if kind.startswith("rename:"):
            _, old, new = kind.split(":", 2)
            return Reply(reply.status, json.dumps(_rename(json.loads(reply.body), old, new)).encode(), reply.headers)
        if kind.startswith("file:"):
            return self._file(kind[5:])
        raise ValueError(f"unknown fault {kind!r}")

    # --- CoinGecko ----------------------------------------------------------------------------------
    def _coingecko(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[str, Reply]:
        coin = re.fullmatch(r"/coins/([^/]+)/(market_chart/range|ohlc)", path)
        endpoint = f"coins/{coin.group(2)}" if coin else path.strip("/")
        if self.coingecko_key:
            header, value = self.coingecko_key
            if headers.get(header) != value:
                return endpoint, _json(401, {"status": {"error_code": 10002, "error_message": f"API Key Missing ({header})"}})
        if endpoint == "ping":
            return endpoint, _json(200, {"gecko_says": "(V3) To the Moon!"})
        if endpoint == "simple/price":
            if "ids" not in params:
                return endpoint, self._file("coingecko/error_422_simple_price_missing_params_2021-07-19.json", 422)
            return endpoint, self._simple_price(params)
        if endpoint == "coins/markets":
            if "vs_currency" not in params:
                return endpoint, self._file("coingecko/error_422_coins_markets_missing_vs_currency_2021-07-19.json", 422)
            rows = self.markets_rows
            if params.get("ids"):
                wanted = {i.strip() for i in params["ids"].split(",")}
                rows = [r for r in rows if r["id"] in wanted]
            per_page, page = int(params.get("per_page", 100)), int(params.get("page", 1))
            return endpoint, _json(200, rows[(page - 1) * per_page : page * per_page])
        if endpoint == "coins/market_chart/range":
            if "vs_currency" not in params or "from" not in params or "to" not in params:
                return endpoint, self._file("coingecko/error_422_market_chart_missing_params_2021-07-19.json", 422)
            chart = self.charts.get(coin.group(1))
            if chart is None:
                return endpoint, _json(404, {"error": "coin not found"})
            lo, hi = float(params["from"]) * 1000, float(params["to"]) * 1000
            return endpoint, _json(200, {k: [p for p in v if lo <= p[0] <= hi] for k, v in chart.items()})
        if endpoint == "coins/ohlc":
            if "vs_currency" not in params or "days" not in params:
                return endpoint, self._file("coingecko/error_500_ohlc_missing_params_2021-07-19.json", 500)
            currency = params["vs_currency"]
            return endpoint, self._file(f"coingecko/ohlc_bitcoin_{currency}_{'7d' if currency == 'usd' else '30d'}_2021-05-15.json")
        if endpoint == "search/trending":
            return endpoint, self._file("coingecko/search_trending_2021-05-18.json")
        if endpoint == "global":
            return endpoint, self._file("coingecko/global_2021-05-18.json")
        return endpoint, _json(404, {"error": "Incorrect path. Please check https://www.coingecko.com/api/"})

    def _simple_price(self, params: dict[str, str]) -> Reply:
        ids = [i for i in params["ids"].split(",") if i]
        currencies = params.get("vs_currencies", "").split(",")
        out: dict[str, dict] = {}
        for row in self.markets_rows:
            if row["id"] not in ids:
                continue
            quote: dict[str, Any] = {}
            for cur in currencies:
                if cur != "usd":
                    continue  # the recorded market rows are in USD; other currencies answer {}
                quote[cur] = row["current_price"]
                if params.get("include_market_cap") == "true":
                    quote[f"{cur}_market_cap"] = row["market_cap"]
                if params.get("include_24hr_vol") == "true":
                    quote[f"{cur}_24h_vol"] = row["total_volume"]
            if params.get("include_last_updated_at") == "true" and quote:
                quote["last_updated_at"] = int(_iso_epoch(row["last_updated"]))
            out[row["id"]] = quote
        return _json(200, out)

    # --- Etherscan ------------------------------------------------------------------------------------
    def _etherscan(self, params: dict[str, str]) -> tuple[str, Reply]:
        endpoint = f"{params.get('module', '')}/{params.get('action', '')}"
        if "chainid" not in params:
            return endpoint, _json(200, {"status": "0", "message": "NOTOK", "result": "Missing or invalid chainid parameter"})
        if self.etherscan_key is not None and params.get("apikey") != self.etherscan_key:
            return endpoint, self._file("etherscan/error_invalid_api_key.json")
        address = params.get("address", "").lower()
        if endpoint == "account/balance":
            balances = {r["account"]: r["balance"] for r in self.load("etherscan/ryanc414_account_balancemulti.json")["result"]}
            return endpoint, _json(200, {"status": "1", "message": "OK", "result": balances.get(address, "0")})
        if endpoint == "account/balancemulti":
            wanted = address.split(",")
            known = {r["account"]: r["balance"] for r in self.load("etherscan/ryanc414_account_balancemulti.json")["result"]}
            return endpoint, _json(200, {"status": "1", "message": "OK",
                                         "result": [{"account": a, "balance": known.get(a, "0")} for a in wanted]})
        if endpoint == "stats/ethprice":
            return endpoint, self._file("etherscan/ryanc414_stats_ethprice.json")
        sources = {
            "account/txlist": "etherscan/pcko1_log_get_normal_txs_by_address.json",
            "account/tokentx": "etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json",
            "account/txlistinternal": "etherscan/pcko1_log_get_internal_txs_by_address.json",
        }
        if endpoint in sources:
            log = self.load(sources[endpoint])
            rows = log["res"] if log["kwargs"]["address"].lower() == address else []
            if params.get("contractaddress"):
                rows = [r for r in rows if r.get("contractAddress", "").lower() == params["contractaddress"].lower()]
            lo, hi = int(params.get("startblock", 0)), int(params.get("endblock", 99_999_999))
            rows = [r for r in rows if lo <= int(r["blockNumber"]) <= hi]
            rows.sort(key=lambda r: int(r["blockNumber"]), reverse=params.get("sort") == "desc")
            if "page" in params:
                page, offset = int(params["page"]), int(params.get("offset", 10))
                if page * offset > 10_000:
                    return endpoint, _json(200, {"status": "0", "message": "NOTOK",
                                                 "result": "Result window is too large, PageNo x Offset size must be less than or equal to 10000"})
                rows = rows[(page - 1) * offset : page * offset]
            if not rows:
                return endpoint, _json(200, {"status": "0", "message": "No transactions found", "result": []})
            return endpoint, _json(200, {"status": "1", "message": "OK", "result": rows})
        return endpoint, _json(200, {"status": "0", "message": "NOTOK", "result": "Error! Missing Or invalid Module name"})

    # --- Alpha Vantage -----------------------------------------------------------------------------------
    def _alphavantage(self, params: dict[str, str]) -> tuple[str, Reply]:
        function = params.get("function", "")
        if params.get("apikey") != self.alphavantage_key:
            return function, _json(200, {"Error Message": "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key)."})
        with self._lock:
            self._av_calls += 1
            over = self.alphavantage_daily_limit is not None and self._av_calls > self.alphavantage_daily_limit
        if over:
            return function, self._file("alphavantage/rate_limit_Information_2024.json")
        if function == "NEWS_SENTIMENT":
            data = self.load("alphavantage/NEWS_SENTIMENT_tickers_COIN_CRYPTO-BTC_FOREX-USD_2024-05.json")
            tickers = set(filter(None, params.get("tickers", "").split(",")))
            feed = [a for a in data["feed"] if not tickers or tickers & {t["ticker"] for t in a["ticker_sentiment"]}]
            if params.get("time_from"):
                feed = [a for a in feed if a["time_published"][:13] >= params["time_from"][:13]]
            if params.get("sort") == "EARLIEST":
                feed.sort(key=lambda a: a["time_published"])
            feed = feed[: int(params.get("limit", 50))]
            return function, _json(200, {**{k: v for k, v in data.items() if k != "feed"}, "items": str(len(feed)), "feed": feed})
        if function == "DIGITAL_CURRENCY_DAILY":
            files = {
                ("BTC", "CNY"): "DIGITAL_CURRENCY_DAILY_BTC_CNY_2020-05-04_partial_legacy_format.json",
                ("BTC", "EUR"): "DIGITAL_CURRENCY_DAILY_BTC_EUR_2025-08-24_partial.json",
                ("BTC", "AUD"): "DIGITAL_CURRENCY_DAILY_BTC_AUD_2021_partial_legacy_format.json",
            }
            name = files.get((params.get("symbol", ""), params.get("market", "")))
            if name is None:
                return function, _json(200, {"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for DIGITAL_CURRENCY_DAILY."})
            return function, self._file(f"alphavantage/{name}")
        if function == "CURRENCY_EXCHANGE_RATE":
            pair = (params.get("from_currency"), params.get("to_currency"))
            if pair == ("USD", "JPY"):
                return function, self._file("alphavantage/CURRENCY_EXCHANGE_RATE_USD_JPY_2020-05-03_no_bid_ask.json")
            if pair == ("BTC", "CNY"):
                return function, self._file("alphavantage/CURRENCY_EXCHANGE_RATE_BTC_CNY_2020-05-03.json")
            return function, _json(200, {"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for CURRENCY_EXCHANGE_RATE."})
        if function == "CRYPTO_INTRADAY":
            return function, self._file("alphavantage/premium_endpoint_Information_2023.json")
        return function, _json(200, {"Error Message": "This API function does not exist."})


def _rename(data: Any, old: str, new: str) -> Any:
    if isinstance(data, dict):
        return {(new if k == old else k): _rename(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [_rename(v, old, new) for v in data]
    return copy.copy(data)


def _iso_epoch(value: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
