"""A local CoinGecko v3 look-alike on loopback that follows CoinGecko's real contract, read from
its documentation (docs.coingecko.com) and the recorded answers in ``../shared/data/api/coingecko``:

- ``/coins/{id}/market_chart/range`` with automatic granularity: 5-minute points when the range
  is one day ending now, hourly points for ranges up to 90 days, daily points stamped 00:00 UTC
  beyond (each the price at that midnight, i.e. the close of the day before); a range reaching
  now ends with the current point, as recorded (once with milliseconds, once cut to seconds).
  Point times of 5-minute and hourly series are jittered like the recordings' (07:04:13.863...).
- plans: keyless and Demo keys get 365 days of history (older ``from`` -> 401, error_code
  10012, CoinGecko's text); Demo/Pro keys in their headers (a wrong key -> 401, 10002);
  a per-minute limit (429 with ``retry-after``) and a monthly credit limit (429).
- 404 ``{"error": "coin not found"}`` for ids it does not list (a delisted or renamed coin),
  ``/coins/markets`` leaving out unknown ids as the real API does, empty series on demand.
- ``/coins/markets`` (ids, order, per_page <= 250, page), ``/simple/price``,
  ``/coins/list?include_platform=true``, and the recorded ``/search/trending``, ``/global``.

Prices come from the server's own deterministic path (a daily random walk per coin with a
Brownian bridge inside each day), so tests compare what was stored with ``close(coin, day)`` and
``price_at(coin, t)``, the server's truth, never with numbers from the code under test.

Data faults on demand, per coin: ``empty`` (valid, no points), ``delisted`` (404), ``negative``
(a negative price inside the series), ``spike`` (one point x10^6), ``tiny`` (one point at
1e-300), ``duplicate`` (the same timestamp twice with two prices). Transport faults use the
base server's ``fault(provider, endpoint, kind)``: 429, 500, timeout, truncate, rename, file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.provider_server import ProviderServer, Reply, _json

DAY = dt.timedelta(days=1)
EPOCH = dt.datetime(2013, 1, 1, tzinfo=dt.UTC)
STEPS = 288  # 5-minute points a day
HISTORY_LIMIT_TEXT = ("Your request exceeds the allowed time range. Public API users are limited to querying "
                      "historical data within the past 365 days. Upgrade to a paid plan to enjoy full historical "
                      "data access: https://www.coingecko.com/en/api/pricing. ")
RATE_LIMIT_TEXT = ("You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to "
                   "subscribe to our API plans for higher rate limits.")
MONTHLY_TEXT = ("You've exceeded the monthly call credits of your plan. Please visit "
                "https://www.coingecko.com/en/api/pricing to upgrade.")


@dataclass(frozen=True)
class ListedCoin:
    id: str
    symbol: str
    name: str
    start_price: float
    supply: float
    platforms: dict[str, str]


def _seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little")


def _ms(t: dt.datetime) -> int:
    return int(round(t.timestamp() * 1000))


class CoinGeckoLookalike(ProviderServer):
    """``with CoinGeckoLookalike(shared_data, plan="demo", key="k") as cg: cg.coingecko_url ...``"""

    def __init__(self, data_dir: Path, *, coins: list[ListedCoin] | None = None, plan: str = "public",
                 key: str | None = None, per_minute: int | None = None, monthly: int | None = None,
                 now: dt.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(data_dir, **kwargs)
        self.listed = {c.id: c for c in (coins or default_coins())}
        self.plan = plan
        self.key = key
        self.per_minute = per_minute
        self.monthly = monthly
        self.fixed_now = now
        self.coin_faults: dict[str, set[str]] = defaultdict(set)
        self.delays: dict[str, float] = {}
        self.endpoint_calls: Counter[str] = Counter()
        self._minute: tuple[int, int] = (0, 0)
        self._month_calls = 0
        self._paths: dict[str, np.ndarray] = {}
        self._path_lock = threading.Lock()

    # --- the truth ------------------------------------------------------------------------------
    @property
    def now(self) -> dt.datetime:
        return self.fixed_now or dt.datetime.now(dt.UTC)

    def _daily_log(self, coin_id: str) -> np.ndarray:
        """Log price at each midnight from EPOCH (index = days since EPOCH) up to a year from now."""
        with self._path_lock:
            path = self._paths.get(coin_id)
            if path is None:
                coin = self.listed[coin_id]
                days = (self.now - EPOCH).days + 400
                rng = np.random.default_rng(_seed("daily", coin_id))
                steps = rng.standard_t(5, size=days) * 0.03 * math.sqrt(3 / 5)
                path = math.log(coin.start_price) + np.concatenate([[0.0], np.cumsum(steps)])
                self._paths[coin_id] = path
            return path

    def _intraday_log(self, coin_id: str, day: int) -> np.ndarray:
        """Log price at the 289 5-minute marks of day ``day`` (from its 00:00 to the next 00:00)."""
        daily = self._daily_log(coin_id)
        rng = np.random.default_rng(_seed("intraday", coin_id, day))
        walk = np.concatenate([[0.0], np.cumsum(rng.standard_normal(STEPS))]) * (0.03 / math.sqrt(STEPS))
        frac = np.arange(STEPS + 1) / STEPS
        bridge = walk - frac * walk[-1]
        return daily[day] + frac * (daily[day + 1] - daily[day]) + bridge

    def price_at(self, coin_id: str, t: dt.datetime) -> float:
        """The coin's price at instant ``t`` (log-linear between 5-minute marks)."""
        seconds = (t - EPOCH).total_seconds()
        day, rest = divmod(seconds, 86_400)
        marks = self._intraday_log(coin_id, int(day))
        pos = rest / 300
        i = min(int(pos), STEPS - 1)
        return float(math.exp(marks[i] + (pos - i) * (marks[i + 1] - marks[i])))

    def close(self, coin_id: str, day: dt.date) -> float:
        """Day ``day``'s close: the price at the following midnight (UTC)."""
        return self.price_at(coin_id, dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + DAY)

    def cap(self, coin_id: str, price: float) -> float:
        return price * self.listed[coin_id].supply

    def volume(self, coin_id: str, t: dt.datetime) -> float:
        return self.cap(coin_id, self.price_at(coin_id, t)) * (0.03 + (_seed("vol", coin_id, t.date()) % 50) / 1000)

    def last_updated(self, coin_id: str) -> dt.datetime:
        """When the coin's price was last refreshed: once a minute at a coin's own phase, like the
        real API (the same answer within the minute)."""
        phase = (_seed("phase", coin_id) % 60_000) / 1000  # whole milliseconds past each minute
        now = self.now.timestamp()
        at = (now - phase) // 60 * 60 + phase
        return dt.datetime.fromtimestamp(round(at if at <= now - 1 else at - 60, 3), dt.UTC)

    # --- series at CoinGecko's granularity ------------------------------------------------------
    def series_times(self, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """The instants a range answer holds (see the module docstring)."""
        now = self.now
        end = min(end, now)
        if end < start:
            return []
        span = end - start
        times: list[dt.datetime] = []
        if span <= DAY + dt.timedelta(minutes=5) and now - end <= dt.timedelta(minutes=5):
            step = dt.timedelta(minutes=5)
            t = start
            while t <= end:
                times.append(t + dt.timedelta(seconds=_seed("j5", t) % 40, milliseconds=_seed("m5", t) % 1000))
                t += step
        elif span <= 90 * DAY:
            t = start.replace(minute=0, second=0, microsecond=0)
            while t <= end:
                times.append(t + dt.timedelta(minutes=_seed("jh", t) % 9, seconds=_seed("sh", t) % 60,
                                              milliseconds=_seed("mh", t) % 1000))
                t += dt.timedelta(hours=1)
        else:
            t = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
            if t < start:
                t += DAY
            while t <= end:
                times.append(t)
                t += DAY
        times = [x for x in times if start <= x <= end]
        if now - end <= dt.timedelta(minutes=5):
            times.append(now)  # the current point (repeated, cut to seconds, by ``chart``)
        return sorted({x.replace(microsecond=x.microsecond // 1000 * 1000) for x in times})

    def chart(self, coin_id: str, start: dt.datetime, end: dt.datetime) -> dict:
        faults = self.coin_faults.get(coin_id, set())
        if "empty" in faults:
            return {"prices": [], "market_caps": [], "total_volumes": []}
        times = self.series_times(start, end)
        prices = [[_ms(t), self.price_at(coin_id, t)] for t in times]
        if prices and self.now - min(end, self.now) <= dt.timedelta(minutes=5):
            # As recorded: the answer ends with the current price twice, once stamped to the second.
            prices.append([_ms(times[-1].replace(microsecond=0)), prices[-1][1]])
            times = [*times, times[-1].replace(microsecond=0)]
        if prices and "negative" in faults:
            prices[len(prices) // 2][1] = -abs(prices[len(prices) // 2][1])
        if prices and "spike" in faults:
            prices[len(prices) // 2][1] *= 1e6
        if prices and "tiny" in faults:
            prices[len(prices) // 2][1] = 1e-300
        if len(prices) > 1 and "duplicate" in faults:
            prices.insert(1, [prices[1][0], prices[1][1] * 1.07])
        return {
            "prices": prices,
            "market_caps": [[ms, self.cap(coin_id, abs(p))] for ms, p in prices],
            "total_volumes": [[_ms(t), self.volume(coin_id, t)] for t in times],
        }

    def market_row(self, coin_id: str, rank: int) -> dict:
        coin = self.listed[coin_id]
        at = self.last_updated(coin_id)
        price = self.price_at(coin_id, at)
        before = self.price_at(coin_id, at - DAY)
        return {
            "id": coin.id, "symbol": coin.symbol, "name": coin.name, "image": "", "current_price": price,
            "market_cap": self.cap(coin_id, price), "market_cap_rank": rank, "fully_diluted_valuation": None,
            "total_volume": self.volume(coin_id, at), "high_24h": price * 1.02, "low_24h": price * 0.98,
            "price_change_24h": price - before, "price_change_percentage_24h": (price / before - 1) * 100,
            "circulating_supply": coin.supply, "total_supply": coin.supply, "max_supply": None,
            "ath": price * 1.5, "ath_change_percentage": -33.3, "roi": None,
            "last_updated": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }

    def _ranked(self) -> list[str]:
        return sorted(self.listed, key=lambda c: -self.cap(c, self.price_at(c, self.now)))

    # --- the API --------------------------------------------------------------------------------
    def _limits(self, headers: dict[str, str]) -> Reply | None:
        if self.plan in ("demo", "pro"):
            header = "x-cg-demo-api-key" if self.plan == "demo" else "x-cg-pro-api-key"
            if headers.get(header) != self.key:
                return _json(401, {"status": {"error_code": 10002, "error_message": f"API Key Missing ({header})"}})
        minute = int(self.now.timestamp() // 60)
        with self._lock:
            count = self._minute[1] + 1 if self._minute[0] == minute else 1
            self._minute = (minute, count)
            self._month_calls += 1
            month_calls = self._month_calls
        if self.monthly is not None and month_calls > self.monthly:
            return _json(429, {"status": {"error_code": 429, "error_message": MONTHLY_TEXT}})
        if self.per_minute is not None and count > self.per_minute:
            return _json(429, {"status": {"error_code": 429, "error_message": RATE_LIMIT_TEXT}},
                         **{"retry-after": str(60 - int(self.now.timestamp()) % 60)})
        return None

    def _coingecko(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[str, Reply]:
        coin = re.fullmatch(r"/coins/([^/]+)/(market_chart/range|ohlc)", path)
        endpoint = f"coins/{coin.group(2)}" if coin else path.strip("/")
        with self._lock:
            self.endpoint_calls[endpoint] += 1
        limited = self._limits(headers)
        if limited is not None:
            return endpoint, limited
        if endpoint == "ping":
            return endpoint, _json(200, {"gecko_says": "(V3) To the Moon!"})
        if endpoint == "coins/market_chart/range":
            return endpoint, self._range(coin.group(1), params)
        if endpoint == "coins/markets":
            if "vs_currency" not in params:
                return endpoint, self._file("coingecko/error_422_coins_markets_missing_vs_currency_2021-07-19.json", 422)
            return endpoint, self._markets(params)
        if endpoint == "simple/price":
            if "ids" not in params:
                return endpoint, self._file("coingecko/error_422_simple_price_missing_params_2021-07-19.json", 422)
            return endpoint, self._simple(params)
        if endpoint == "coins/list":
            with_platforms = params.get("include_platform") == "true"
            return endpoint, _json(200, [{"id": c.id, "symbol": c.symbol, "name": c.name,
                                          **({"platforms": c.platforms} if with_platforms else {})}
                                         for c in sorted(self.listed.values(), key=lambda c: c.id)])
        if endpoint == "search/trending":
            return endpoint, self._file("coingecko/search_trending_2021-05-18.json")
        if endpoint == "global":
            return endpoint, self._file("coingecko/global_2021-05-18.json")
        return endpoint, _json(404, {"error": "Incorrect path. Please check https://www.coingecko.com/api/"})

    def _range(self, coin_id: str, params: dict[str, str]) -> Reply:
        if "vs_currency" not in params or "from" not in params or "to" not in params:
            return self._file("coingecko/error_422_market_chart_missing_params_2021-07-19.json", 422)
        if coin_id not in self.listed or "delisted" in self.coin_faults.get(coin_id, set()):
            return _json(404, {"error": "coin not found"})
        start = dt.datetime.fromtimestamp(float(params["from"]), dt.UTC)
        end = dt.datetime.fromtimestamp(float(params["to"]), dt.UTC)
        if self.plan in ("public", "demo") and start < self.now - 365 * DAY:
            return _json(401, {"error": {"status": {"timestamp": self.now.isoformat(), "error_code": 10012,
                                                    "error_message": HISTORY_LIMIT_TEXT}}})
        body = self.chart(coin_id, start, end)
        return Reply(200, json.dumps(body).encode(), delay_s=self.delays.get(coin_id, 0.0))

    def _markets(self, params: dict[str, str]) -> Reply:
        ranked = self._ranked()
        rank = {c: i + 1 for i, c in enumerate(ranked)}
        if params.get("ids"):
            wanted = {i.strip() for i in params["ids"].split(",")}
            rows = [c for c in ranked if c in wanted and "delisted" not in self.coin_faults.get(c, set())]
        else:
            rows = ranked
        per_page, page = min(int(params.get("per_page", 100)), 250), int(params.get("page", 1))
        return _json(200, [self.market_row(c, rank[c]) for c in rows[(page - 1) * per_page: page * per_page]])

    def _simple(self, params: dict[str, str]) -> Reply:
        out: dict[str, dict] = {}
        for coin_id in [i for i in params["ids"].split(",") if i]:
            if coin_id not in self.listed:
                continue  # unknown ids are silently left out, as the real API does
            quote: dict[str, Any] = {}
            if "usd" in params.get("vs_currencies", "").split(","):
                at = self.last_updated(coin_id)
                quote["usd"] = self.price_at(coin_id, at)
                if params.get("include_market_cap") == "true":
                    quote["usd_market_cap"] = self.cap(coin_id, quote["usd"])
                if params.get("include_24hr_vol") == "true":
                    quote["usd_24h_vol"] = self.volume(coin_id, at)
                if params.get("include_last_updated_at") == "true":
                    quote["last_updated_at"] = int(at.timestamp())
            out[coin_id] = quote
        return _json(200, out)


def default_coins(extra: int = 0) -> list[ListedCoin]:
    """The seeded coins of ``warehouse.seed`` (what a fresh warehouse tracks), plus ``extra``
    made-up long-tail coins."""
    from warehouse.seed import TOP_ASSETS

    coins = []
    for i, (symbol, coin_id, name, *_rest) in enumerate(TOP_ASSETS):
        start = 1.0 if symbol in {"USDT", "USDC", "DAI", "FDUSD", "USDE", "PYUSD", "USDS"} else 10.0 ** (3 - i % 6)
        coins.append(ListedCoin(coin_id, symbol.lower(), name, start, 1e9 / (i + 1),
                                {"ethereum": "0x" + hashlib.sha256(coin_id.encode()).hexdigest()[:40]}))
    for i in range(extra):
        coins.append(ListedCoin(f"longtail-{i}", f"lt{i}", f"Long Tail {i}", 0.5 + i % 7, 1e7, {}))
    return coins
