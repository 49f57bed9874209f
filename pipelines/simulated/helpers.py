"""The simulated market: a deterministic, seeded generator with the stylized facts of crypto.

- BTC's daily log return is GARCH(1,1) with Student-t(4) shocks: fat tails and volatility
  clustering.
- Other assets load on BTC (``beta``) plus their own GARCH-t noise, which gives correlations to
  BTC of roughly 0.5-0.8; wrapped and staked assets track their underlying closely.
- Stablecoins follow a mean-reverting deviation from 1 (AR(1)), never far from the peg.
- Volumes scale with market cap and with the size of the day's move.

One path is drawn per seed from ``EPOCH`` to ``HORIZON_END`` and cached, so any date range
returns the same values for the same days: partitions fetched one by one agree with a backfill.
Intraday points (5 minutes) are Brownian bridges from the previous day's close (the price at
00:00) to the day's own close (the price at the next midnight), seeded per day: the last price
of a day is its close, as on a real market (``pipelines.prices`` states the convention).
Nothing is dated in the future: ranges are cut at "now".
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from pipelines.contracts import (
    UTC_US,
    GlobalFrame,
    MarketFrame,
    NewsArticleFrame,
    NewsSentimentFrame,
    PriceFrame,
    TrendingFrame,
    WalletBalanceFrame,
    WalletTransactionFrame,
    schema,
    validate,
)
from pipelines.prices import END_OF_DAY
from pipelines.simulated import settings as s
from pipelines.times import utc

PROVIDER = "simulated"
INTERVALS = {"1d": dt.timedelta(days=1), "1h": dt.timedelta(hours=1), "5m": dt.timedelta(minutes=5)}
_STEP = dt.timedelta(days=1) / s.INTRADAY_STEPS
_EPOCH = dt.datetime(s.EPOCH.year, s.EPOCH.month, s.EPOCH.day, tzinfo=dt.UTC)
_END = dt.datetime(s.HORIZON_END.year, s.HORIZON_END.month, s.HORIZON_END.day, tzinfo=dt.UTC)
SYMBOLS = tuple(a.symbol for a in s.UNIVERSE)
_INDEX = {a.symbol: i for i, a in enumerate(s.UNIVERSE)}


class UnknownSymbols(ValueError):
    def __init__(self, symbols: list[str]) -> None:
        self.symbols = symbols
        super().__init__(f"simulated market has no asset(s) {', '.join(symbols)}; it knows {', '.join(SYMBOLS)}")


@dataclass(frozen=True)
class _Paths:
    log_price: np.ndarray  # (days, assets), natural log of the daily close
    sigma: np.ndarray  # (days, assets), conditional daily volatility
    volume_noise: np.ndarray  # (days, assets), standard normal


def _student_t(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t shocks scaled to unit variance."""
    return rng.standard_t(s.STUDENT_DF, size=shape) / math.sqrt(s.STUDENT_DF / (s.STUDENT_DF - 2))


def _garch(shocks: np.ndarray, long_run_vol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns and conditional vols of GARCH(1,1) driven by ``shocks`` (days, k)."""
    var_long = long_run_vol**2
    omega = var_long * (1 - s.GARCH_ALPHA - s.GARCH_BETA)
    returns = np.empty_like(shocks)
    sigma = np.empty_like(shocks)
    var = var_long.copy()
    for t in range(shocks.shape[0]):
        sigma[t] = np.sqrt(var)
        returns[t] = sigma[t] * shocks[t]
        var = omega + s.GARCH_ALPHA * returns[t] ** 2 + s.GARCH_BETA * var
    return returns, sigma


@functools.lru_cache(maxsize=4)
def _paths(seed: int) -> _Paths:
    rng = np.random.default_rng([seed, 20150101])
    days = (s.HORIZON_END - s.EPOCH).days + 1
    n = len(s.UNIVERSE)
    shocks = _student_t(rng, (days, n))
    stable_noise = rng.standard_normal((days, n))
    volume_noise = rng.standard_normal((days, n))
    long_run = np.array([s.BTC_DAILY_VOL if a.symbol == "BTC" else max(a.idio_vol, 1e-4) for a in s.UNIVERSE])
    own, own_sigma = _garch(shocks, long_run)
    btc = _INDEX["BTC"]
    returns = np.empty((days, n))
    sigma = np.empty((days, n))
    for i, asset in enumerate(s.UNIVERSE):
        if asset.stable:
            dev = np.empty(days)
            prev = 0.0
            for t in range(days):
                prev = s.STABLE_REVERSION * prev + s.STABLE_NOISE * stable_noise[t, i]
                dev[t] = prev
            level = np.log1p(np.clip(dev, -0.02, 0.02))
            returns[:, i] = np.diff(level, prepend=0.0)
            sigma[:, i] = s.STABLE_NOISE
        elif asset.tracks:
            continue  # filled below, once the underlying exists
        elif i == btc:
            returns[:, i] = own[:, i] - own_sigma[:, i] ** 2 / 2
            sigma[:, i] = own_sigma[:, i]
        else:
            market = asset.beta * own[:, btc]
            total_var = asset.beta**2 * own_sigma[:, btc] ** 2 + own_sigma[:, i] ** 2
            returns[:, i] = market + own[:, i] - total_var / 2
            sigma[:, i] = np.sqrt(total_var)
    for i, asset in enumerate(s.UNIVERSE):
        if asset.tracks:
            j = _INDEX[asset.tracks]
            returns[:, i] = returns[:, j] + 0.001 * stable_noise[:, i]
            sigma[:, i] = sigma[:, j]
    cumulative = np.cumsum(returns, axis=0)
    anchor = (s.ANCHOR - s.EPOCH).days
    anchors = np.log(np.array([a.anchor_price for a in s.UNIVERSE]))
    log_price = cumulative - cumulative[anchor] + anchors
    for i, asset in enumerate(s.UNIVERSE):
        if asset.stable:
            log_price[:, i] = cumulative[:, i]  # the peg, not the anchor day's deviation
    return _Paths(log_price=log_price, sigma=sigma, volume_noise=volume_noise)


@functools.lru_cache(maxsize=64)
def _intraday(seed: int, day: int) -> np.ndarray:
    """Log prices at the 5-minute points of ``day`` (INTRADAY_STEPS, assets): a Brownian bridge
    from the previous day's close (at 00:00) towards the day's close (reached at the next 00:00)."""
    paths = _paths(seed)
    start, end = paths.log_price[max(day - 1, 0)], paths.log_price[day]
    rng = np.random.default_rng([seed, 5, day])
    steps = s.INTRADAY_STEPS
    walk = np.cumsum(rng.standard_normal((steps, len(s.UNIVERSE))), axis=0) * (paths.sigma[day] / math.sqrt(steps))
    frac = (np.arange(1, steps + 1) / steps)[:, None]
    bridge = walk - frac * walk[-1]
    points = start + frac * (end - start) + bridge
    return np.vstack([start, points[:-1]])


def _indices(symbols: list[str] | tuple[str, ...] | None) -> list[int]:
    wanted = [x.upper() for x in (symbols or SYMBOLS)]
    unknown = sorted({x for x in wanted if x not in _INDEX})
    if unknown:
        raise UnknownSymbols(unknown)
    return [_INDEX[x] for x in dict.fromkeys(wanted)]


def _clip_range(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    start, end = max(utc(start), _EPOCH), min(utc(end), now, _END)
    return start, end


def _day(t: dt.datetime) -> int:
    return (t - _EPOCH).days


def _grid(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    """Points of the ``step`` grid (aligned to midnight UTC) in [start, end)."""
    first = _EPOCH + math.ceil((start - _EPOCH) / step) * step
    out, t = [], first
    while t < end:
        out.append(t)
        t += step
    return out


def log_prices_at(seed: int, times: list[dt.datetime], idx: list[int]) -> np.ndarray:
    """Log prices (len(times), len(idx)) at 5-minute resolution (times are floored to it)."""
    out = np.empty((len(times), len(idx)))
    for k, t in enumerate(times):
        day = _day(t)
        step = int((t - (_EPOCH + dt.timedelta(days=day))) / _STEP)
        out[k] = _intraday(seed, day)[step, idx]
    return out


def _volumes(seed: int, days: np.ndarray, idx: list[int], prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    paths = _paths(seed)
    supply = np.array([s.UNIVERSE[i].supply for i in idx])
    turnover = np.array([s.UNIVERSE[i].turnover for i in idx])
    caps = prices * supply
    moves = np.abs(paths.log_price[days][:, idx] - paths.log_price[np.maximum(days - 1, 0)][:, idx])
    volumes = caps * turnover * np.exp(0.25 * paths.volume_noise[days][:, idx]) * (1 + 8 * moves)
    return caps, volumes


def prices(symbols: list[str] | tuple[str, ...] | None, start: dt.datetime | dt.date, end: dt.datetime | dt.date,
           *, interval: str = "1d", seed: int = 42) -> pl.DataFrame:
    """PriceFrame for ``symbols`` (default: the whole universe) on the ``interval`` grid in [start, end).

    Daily rows hold each closed day's close, stamped at the day's last microsecond (the price at
    the next midnight); intraday rows are the prices at their grid times. Caps and 24h volumes in USD.
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
    idx = _indices(symbols)
    start, end = _clip_range(utc(start), utc(end))
    if interval == "1d":
        times = [t + END_OF_DAY for t in _grid(start - END_OF_DAY, end - END_OF_DAY, INTERVALS["1d"])] if start < end else []
    else:
        times = _grid(start, end, INTERVALS[interval]) if start < end else []
    if not times:
        return validate(pl.DataFrame(schema=schema(PriceFrame)), PriceFrame, provider=PROVIDER, endpoint="prices")
    if interval == "1d":
        days = np.array([_day(t) for t in times])
        logp = _paths(seed).log_price[days][:, idx]
    else:
        days = np.array([_day(t) for t in times])
        logp = log_prices_at(seed, times, idx)
    price = np.exp(logp)
    caps, volumes = _volumes(seed, days, idx, price)
    n_t, n_a = price.shape
    frame = pl.DataFrame(
        {
            "symbol": np.tile(np.array([s.UNIVERSE[i].symbol for i in idx]), n_t),
            "time": pl.Series(times, dtype=UTC_US).gather(np.repeat(np.arange(n_t), n_a)),
            "price": price.ravel(),
            "market_cap": caps.ravel(),
            "volume_24h": volumes.ravel(),
            "source": s.SOURCE,
        }
    ).sort("symbol", "time")
    return validate(frame, PriceFrame, provider=PROVIDER, endpoint="prices")


def _snapshot_time(at: dt.datetime | None) -> dt.datetime:
    at = min(utc(at or dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC))
    return _EPOCH + ((at - _EPOCH) // _STEP) * _STEP


def markets(at: dt.datetime | None = None, *, symbols: list[str] | None = None, seed: int = 42) -> pl.DataFrame:
    """MarketFrame like ``/coins/markets`` at ``at`` (5-minute resolution, default now)."""
    t = _snapshot_time(at)
    idx = list(range(len(s.UNIVERSE)))
    now, before = np.exp(log_prices_at(seed, [t, t - dt.timedelta(days=1)], idx))
    day = _day(t)
    caps, volumes = _volumes(seed, np.array([day]), idx, now[None, :])
    ath = np.exp(_paths(seed).log_price[: day + 1].max(axis=0))
    ath = np.maximum(ath, now)
    ranks = np.empty(len(idx), dtype=np.int32)
    ranks[np.argsort(-caps[0])] = np.arange(1, len(idx) + 1)
    frame = pl.DataFrame({
        "symbol": list(SYMBOLS),
        "coingecko_id": [a.coingecko_id for a in s.UNIVERSE],
        "name": [a.name for a in s.UNIVERSE],
        "time": [t] * len(idx),
        "price": now,
        "market_cap": caps[0],
        "market_cap_rank": ranks,
        "total_volume": volumes[0],
        "price_change_pct_24h": (now / before - 1) * 100,
        "circulating_supply": [a.supply for a in s.UNIVERSE],
        "ath": ath,
        "source": s.SOURCE,
    }, schema=schema(MarketFrame))
    if symbols:
        wanted = {x.upper() for x in symbols}
        _indices(list(wanted))
        frame = frame.filter(pl.col("symbol").is_in(wanted))
    return validate(frame.sort("market_cap_rank"), MarketFrame, provider=PROVIDER, endpoint="markets")


def trending(at: dt.datetime | None = None, *, seed: int = 42, size: int = 7) -> pl.DataFrame:
    """TrendingFrame like ``/search/trending``: the biggest 24h movers (not stablecoins), hourly."""
    snap = markets(at, seed=seed)
    t = snap.get_column("time")[0].replace(minute=0)
    btc = snap.filter(pl.col("symbol") == "BTC").get_column("price")[0]
    stable = {a.symbol for a in s.UNIVERSE if a.stable or a.tracks}
    top = (
        snap.filter(~pl.col("symbol").is_in(stable))
        .with_columns((pl.col("price_change_pct_24h").abs() * pl.col("total_volume").log10()).alias("heat"))
        .sort("heat", descending=True)
        .head(size)
    )
    frame = top.select(
        pl.lit(t, dtype=UTC_US).alias("time"),
        pl.int_range(pl.len(), dtype=pl.Int16).alias("rank"),
        "coingecko_id",
        "symbol",
        "name",
        "market_cap_rank",
        (pl.col("price") / btc).alias("price_btc"),
        pl.int_range(pl.len()).cast(pl.Float64).alias("score"),
        pl.lit(s.SOURCE).alias("source"),
    )
    return validate(frame, TrendingFrame, provider=PROVIDER, endpoint="trending")


def global_market(at: dt.datetime | None = None, *, seed: int = 42) -> pl.DataFrame:
    """GlobalFrame like ``/global``: totals scaled from the universe (it stands for ~90% of the market)."""
    t = _snapshot_time(at)
    now = markets(t, seed=seed)
    before = markets(t - dt.timedelta(days=1), seed=seed)
    total = now.get_column("market_cap").sum() / s.UNIVERSE_SHARE
    total_before = before.get_column("market_cap").sum() / s.UNIVERSE_SHARE

    def share(symbol: str) -> float:
        return float(now.filter(pl.col("symbol") == symbol).get_column("market_cap")[0] / total * 100)

    frame = pl.DataFrame([{
        "time": t,
        "total_market_cap_usd": total,
        "total_volume_usd": now.get_column("total_volume").sum() / s.UNIVERSE_SHARE,
        "btc_dominance_pct": share("BTC"),
        "eth_dominance_pct": share("ETH"),
        "market_cap_change_pct_24h": (total / total_before - 1) * 100,
        "active_cryptocurrencies": s.ACTIVE_CRYPTOCURRENCIES,
        "source": s.SOURCE,
    }], schema=schema(GlobalFrame))
    return validate(frame, GlobalFrame, provider=PROVIDER, endpoint="global")


# --- wallets ---------------------------------------------------------------------------------------

_WALLET_TOKENS = ("ETH", "USDC", "LINK", "UNI", "WBTC")


def wallet_address(seed: int, n: int) -> str:
    """The ``n``-th simulated wallet address (deterministic, not a real account)."""
    return "0x" + hashlib.sha256(f"crypto-risk-sim-wallet:{seed}:{n}".encode()).hexdigest()[:40]


def _counterparty(seed: int, address: str, day: int, k: int) -> str:
    return "0x" + hashlib.sha256(f"cp:{seed}:{address}:{day}:{k}".encode()).hexdigest()[:40]


def _wallet_flows(seed: int, address: str, last_day: int) -> dict[str, list[tuple[int, Decimal, Decimal]]]:
    """Per token: (day, deposit, withdrawal) in whole tokens from EPOCH to ``last_day``; balances stay >= 0."""
    rng = np.random.default_rng([seed, int(address[2:18], 16)])
    days = last_day + 1
    out: dict[str, list[tuple[int, Decimal, Decimal]]] = {}
    for token in _WALLET_TOKENS:
        price = next(a.anchor_price for a in s.UNIVERSE if a.symbol == token)
        active = rng.random(days) < 0.04
        sizes = np.round(rng.lognormal(math.log(2_000 / price), 1.0, days), 6)
        withdraw_share = np.round(rng.uniform(0.05, 0.6, days), 3)
        is_withdrawal = rng.random(days) < 0.4
        balance = Decimal(0)
        rows: list[tuple[int, Decimal, Decimal]] = []
        for day in np.flatnonzero(active):
            if is_withdrawal[day] and balance > 0:
                amount = (balance * Decimal(str(withdraw_share[day]))).quantize(Decimal("0.000001"))
                balance -= amount
                rows.append((int(day), Decimal(0), amount))
            else:
                amount = Decimal(str(sizes[day]))
                balance += amount
                rows.append((int(day), amount, Decimal(0)))
        out[token] = rows
    return out


def _token_meta(token: str) -> tuple[str, int]:
    return ("", 18) if token == "ETH" else s.TOKEN_CONTRACTS[token]


def wallet_transactions(addresses: list[str], start: dt.datetime | dt.date, end: dt.datetime | dt.date,
                        *, seed: int = 42) -> pl.DataFrame:
    """WalletTransactionFrame of simulated transfers in [start, end) (native as 'normal', tokens as 'erc20')."""
    start, end = _clip_range(utc(start), utc(end))
    rows = []
    for address in addresses:
        address = address.lower()
        for token, flows in _wallet_flows(seed, address, _day(end)).items():
            contract, decimals = _token_meta(token)
            for day, deposit, withdrawal in flows:
                t = _EPOCH + dt.timedelta(days=day, hours=(day * 7) % 24, minutes=(day * 13) % 60)
                if not start <= t < end:
                    continue
                cp = _counterparty(seed, address, day, len(token))
                tx_hash = "0x" + hashlib.sha256(f"tx:{seed}:{address}:{token}:{day}".encode()).hexdigest()
                rows.append({
                    "chain_id": 1, "address": address, "tx_hash": tx_hash,
                    "kind": "normal" if token == "ETH" else "erc20",
                    "log_index": -1 if token == "ETH" else 0,
                    "block_number": 10_000_000 + day * 7_150,
                    "time": t,
                    "from_address": address if withdrawal else cp,
                    "to_address": cp if withdrawal else address,
                    "value": withdrawal or deposit,
                    "token_address": contract, "token_symbol": None if token == "ETH" else token,
                    "token_decimals": None if token == "ETH" else decimals,
                    "gas_used": 21_000 if token == "ETH" else 65_000, "is_error": False,
                })
    frame = pl.DataFrame(rows, schema=schema(WalletTransactionFrame)).sort("address", "time")
    return validate(frame, WalletTransactionFrame, provider=PROVIDER, endpoint="wallet_transactions")


def wallet_balances(addresses: list[str], at: dt.datetime | None = None, *, seed: int = 42) -> pl.DataFrame:
    """WalletBalanceFrame at ``at``: the sum of every simulated transfer up to then (consistent with
    ``wallet_transactions``)."""
    at = min(utc(at or dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC))
    txs = wallet_transactions(addresses, _EPOCH, at + dt.timedelta(microseconds=1), seed=seed)
    rows = []
    for address in addresses:
        address = address.lower()
        mine = txs.filter(pl.col("address") == address)
        for token in _WALLET_TOKENS:
            contract, _ = _token_meta(token)
            of_token = mine.filter(pl.col("token_address") == contract)
            incoming = sum(of_token.filter(pl.col("to_address") == address).get_column("value").to_list(), Decimal(0))
            outgoing = sum(of_token.filter(pl.col("from_address") == address).get_column("value").to_list(), Decimal(0))
            rows.append({"chain_id": 1, "address": address, "token_address": contract, "symbol": token,
                         "balance": incoming - outgoing, "time": at, "source": s.SOURCE})
    frame = pl.DataFrame(rows, schema=schema(WalletBalanceFrame))
    return validate(frame, WalletBalanceFrame, provider=PROVIDER, endpoint="wallet_balances")


# --- news ------------------------------------------------------------------------------------------

_LABEL_EDGES = ((-0.35, "Bearish"), (-0.15, "Somewhat-Bearish"), (0.15, "Neutral"), (0.35, "Somewhat-Bullish"))


def sentiment_label(score: float) -> str:
    """Alpha Vantage's bands: <= -0.35 Bearish ... >= 0.35 Bullish."""
    for edge, label in _LABEL_EDGES:
        if score < edge or (label == "Bearish" and score <= edge):
            return label
    return "Bullish"


def news(start: dt.datetime | dt.date, end: dt.datetime | dt.date, *, symbols: list[str] | None = None,
         seed: int = 42) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(NewsArticleFrame, NewsSentimentFrame) of simulated headlines in [start, end).

    Two to four articles a day, each about one to three assets; a ticker's sentiment follows
    that asset's move on the day (plus noise), like real coverage does.
    """
    idx = _indices(symbols)
    start, end = _clip_range(utc(start), utc(end))
    paths = _paths(seed)
    majors = [i for i in idx if not s.UNIVERSE[i].stable and not s.UNIVERSE[i].tracks] or idx
    articles, sentiment = [], []
    for day in range(_day(start), _day(end) + 1):
        rng = np.random.default_rng([seed, 7, day])
        for k in range(int(rng.integers(2, 5))):
            t = _EPOCH + dt.timedelta(days=day, minutes=int(rng.integers(0, 1440)))
            if not start <= t < end:
                continue
            about = rng.choice(majors, size=min(len(majors), int(rng.integers(1, 4))), replace=False)
            lead = s.UNIVERSE[int(about[0])]
            move = float(paths.log_price[day, about[0]] - paths.log_price[max(day - 1, 0), about[0]])
            url = f"https://news.simulated.invalid/{t:%Y/%m/%d}/{lead.symbol.lower()}-{k}"
            scores = []
            for j, i in enumerate(about):
                asset_move = float(paths.log_price[day, i] - paths.log_price[max(day - 1, 0), i])
                score = float(np.clip(np.tanh(6 * asset_move) + 0.15 * rng.standard_normal(), -1, 1))
                scores.append(score)
                sentiment.append({"url": url, "symbol": s.UNIVERSE[int(i)].symbol, "published_at": t,
                                  "relevance": round(float(rng.uniform(0.7, 1.0) if j == 0 else rng.uniform(0.1, 0.6)), 6),
                                  "score": round(score, 6), "label": sentiment_label(score)})
            overall = float(np.mean(scores))
            verb = "climbs" if move > 0.01 else "slides" if move < -0.01 else "holds steady"
            articles.append({
                "url": url,
                "title": f"[Simulated] {lead.name} {verb} {abs(move) * 100:.1f}% as traders weigh the market",
                "summary": f"Simulated coverage of {', '.join(s.UNIVERSE[int(i)].symbol for i in about)}.",
                "source": "Simulated Wire",
                "published_at": t,
                "overall_score": round(overall, 6),
                "overall_label": sentiment_label(overall),
                "topics": '[{"topic": "Blockchain", "relevance_score": "1.0"}]',
                "provider": s.SOURCE,
            })
    article_frame = validate(pl.DataFrame(articles, schema=schema(NewsArticleFrame)), NewsArticleFrame,
                             provider=PROVIDER, endpoint="news")
    sentiment_frame = validate(pl.DataFrame(sentiment, schema=schema(NewsSentimentFrame)), NewsSentimentFrame,
                               provider=PROVIDER, endpoint="news")
    return article_frame, sentiment_frame
