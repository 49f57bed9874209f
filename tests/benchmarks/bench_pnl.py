"""``crypto-risk bench pnl``: a 10,000-transaction ledger over 3 years -> positions, P&L and returns.

Times :func:`assets.portfolio.lib.pnl_statement` (currency resolution, the lot ledger, daily valuation,
TWR / MWR / simple returns for every period, the benchmark comparison and ex-post risk) on
generated transactions of 20 coins: deposits, buys, sells, staking rewards, transfers between
venues, fees and withdrawals, every one valid. ``seconds`` is the median of ``--repeat`` runs of
the whole document; ``parse_seconds`` the median time to read the same ledger from our CSV format.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import time

import numpy as np


def _universe(n_assets: int, days: int, seed: int):
    from assets.metrics import PriceMatrix

    rng = np.random.default_rng(seed)
    r = rng.standard_t(4, (days, n_assets)) * rng.uniform(0.02, 0.06, n_assets)
    closes = np.exp(np.cumsum(np.clip(r, -0.5, 0.5), axis=0)) * rng.uniform(1.0, 3e4, n_assets)
    symbols = ["BTC", "ETH", *(f"C{i:02d}" for i in range(2, n_assets))]
    start = dt.date(2022, 1, 1)
    dates = np.datetime64(start, "D") + np.arange(days)
    return PriceMatrix.build(dates, symbols, closes), symbols, closes, start


def _ledger(n: int, symbols, closes, start: dt.date, seed: int) -> list[str]:
    """CSV lines (our format) of ``n`` valid transactions spread over the price file's days."""
    rng = np.random.default_rng(seed + 1)
    days = closes.shape[0]
    held = np.zeros(len(symbols))
    cash = 0.0
    lines = ["time,type,symbol,quantity,price_usd,fee_usd,venue"]
    when = np.sort(rng.integers(0, days, n))
    kinds = rng.choice(["deposit", "buy", "sell", "staking_reward", "transfer", "fee", "withdrawal"], n,
                       p=[0.08, 0.42, 0.25, 0.12, 0.05, 0.04, 0.04])  # fmt: skip
    for d, kind in zip(when, kinds, strict=True):
        t = dt.datetime.combine(start + dt.timedelta(days=int(d)), dt.time(12), tzinfo=dt.UTC).isoformat()
        j = int(rng.integers(0, len(symbols)))
        price = float(closes[d, j] * rng.uniform(0.98, 1.02))
        sym = symbols[j]
        if kind == "deposit" or (kind == "withdrawal" and cash <= 10):
            amount = float(rng.uniform(100, 5000))
            cash += amount
            lines.append(f"{t},deposit,USD,{amount!r},,,bank")
        elif kind == "withdrawal":
            amount = float(cash * 0.3)
            cash -= amount
            lines.append(f"{t},withdrawal,USD,{amount!r},,,bank")
        elif kind == "buy" or held[j] <= 0:
            q = float(rng.uniform(50, 2000)) / price
            fee = q * price * 0.001
            cash = max(cash - q * price - fee, 0.0)
            held[j] += q
            lines.append(f"{t},buy,{sym},{q!r},{price!r},{fee!r},exchange")
        elif kind == "sell":
            q = float(held[j] * rng.uniform(0.1, 0.9))
            fee = q * price * 0.001
            held[j] -= q
            cash += q * price - fee
            lines.append(f"{t},sell,{sym},{q!r},{price!r},{fee!r},exchange")
        elif kind == "staking_reward":
            q = float(held[j] * 0.001)
            held[j] += q
            lines.append(f"{t},staking_reward,{sym},{q!r},,,exchange")
        elif kind == "transfer":
            q = float(held[j] * 0.5)
            lines.append(f"{t},transfer_out,{sym},{q!r},,1.0,exchange")
            lines.append(f"{t},transfer_in,{sym},{q!r},,,wallet")
        else:
            q = float(held[j] * 0.0005)
            held[j] -= q
            lines.append(f"{t},fee,{sym},{q!r},,,exchange")
    return lines[: n + 1]


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="crypto-risk bench pnl", description=__doc__)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=3.0)
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--method", default="fifo", choices=["fifo", "lifo", "hifo", "average"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from assets.portfolio.lib import pnl_statement
    from assets.portfolio.lib.imports import parse_transactions

    days = int(round(args.years * 365)) + 1
    prices, symbols, closes, start = _universe(args.assets, days, args.seed)
    text = "\n".join(_ledger(args.transactions, symbols, closes, start, args.seed)) + "\n"
    parsed = parse_transactions(text)
    assert not parsed.errors, parsed.errors[:3]
    txs = parsed.transactions
    pnl_statement(txs, prices, method=args.method)  # warm-up (imports, first calls)

    parse_runs, runs, doc = [], [], None
    for _ in range(args.repeat):
        gc.collect()  # each timing pays for its own garbage, not the previous step's
        t0 = time.perf_counter()
        parse_transactions(text)
        parse_runs.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        doc = pnl_statement(txs, prices, method=args.method)
        runs.append(time.perf_counter() - t0)
    assert doc is not None and doc["portfolio"]["twr"]["all"] is not None
    return {
        "transactions": len(txs),
        "assets": args.assets,
        "days": days,
        "method": args.method,
        "seconds": round(statistics.median(runs), 4),
        "seconds_runs": [round(r, 4) for r in runs],
        "parse_seconds": round(statistics.median(parse_runs), 4),
        "open_lots": sum(len(p["lots"]) for p in doc["positions"].values()),
        "twr_all": round(doc["portfolio"]["twr"]["all"], 6),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(main(sys.argv[1:])))
