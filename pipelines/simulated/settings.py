"""The simulated market's universe and parameters.

Anchor prices and circulating supplies are rounded early-2025 figures, so the simulated market
looks like the real one in scale; the paths themselves are generated, never real data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SOURCE = "simulated"
EPOCH = dt.date(2015, 1, 1)
HORIZON_END = dt.date(2040, 12, 31)
ANCHOR = dt.date(2025, 1, 1)  # prices equal the anchor prices on this day

# BTC: GARCH(1,1) with Student-t shocks; alpha + beta < 1 keeps the variance stationary.
BTC_DAILY_VOL = 0.032
GARCH_ALPHA = 0.08
GARCH_BETA = 0.90
STUDENT_DF = 4.0
STABLE_NOISE = 0.0008  # daily deviation from the peg
STABLE_REVERSION = 0.6  # share of yesterday's deviation that survives
INTRADAY_STEPS = 288  # 5-minute points between two daily closes
UNIVERSE_SHARE = 0.9  # share of the whole market's cap the universe stands for (global totals)
ACTIVE_CRYPTOCURRENCIES = 10_500


@dataclass(frozen=True)
class SimAsset:
    symbol: str
    coingecko_id: str
    name: str
    anchor_price: float
    supply: float
    beta: float = 1.0  # sensitivity to BTC's return
    idio_vol: float = 0.03  # daily idiosyncratic volatility
    turnover: float = 0.04  # daily volume / market cap
    stable: bool = False
    tracks: str | None = None  # wrapped/staked assets follow their underlying


UNIVERSE: tuple[SimAsset, ...] = (
    SimAsset("BTC", "bitcoin", "Bitcoin", 94_000, 19.8e6, beta=1.0, idio_vol=0.0, turnover=0.03),
    SimAsset("ETH", "ethereum", "Ethereum", 3_350, 120.5e6, beta=1.15, idio_vol=0.022),
    SimAsset("USDT", "tether", "Tether", 1.0, 137e9, stable=True, turnover=0.4),
    SimAsset("XRP", "ripple", "XRP", 2.4, 57e9, beta=1.1, idio_vol=0.04),
    SimAsset("BNB", "binancecoin", "BNB", 700, 144e6, beta=0.8, idio_vol=0.02),
    SimAsset("SOL", "solana", "Solana", 190, 480e6, beta=1.4, idio_vol=0.035),
    SimAsset("USDC", "usd-coin", "USDC", 1.0, 44e9, stable=True, turnover=0.15),
    SimAsset("DOGE", "dogecoin", "Dogecoin", 0.32, 147e9, beta=1.5, idio_vol=0.045),
    SimAsset("TRX", "tron", "TRON", 0.25, 86e9, beta=0.6, idio_vol=0.025),
    SimAsset("ADA", "cardano", "Cardano", 0.9, 35e9, beta=1.3, idio_vol=0.035),
    SimAsset("STETH", "staked-ether", "Lido Staked Ether", 3_350, 9.5e6, tracks="ETH", turnover=0.005),
    SimAsset("WBTC", "wrapped-bitcoin", "Wrapped Bitcoin", 94_000, 0.13e6, tracks="BTC", turnover=0.02),
    SimAsset("LINK", "chainlink", "Chainlink", 20, 630e6, beta=1.3, idio_vol=0.035),
    SimAsset("XLM", "stellar", "Stellar", 0.43, 30e9, beta=1.1, idio_vol=0.035),
    SimAsset("SUI", "sui", "Sui", 4.5, 3e9, beta=1.6, idio_vol=0.05),
    SimAsset("BCH", "bitcoin-cash", "Bitcoin Cash", 430, 19.8e6, beta=1.2, idio_vol=0.03),
    SimAsset("AVAX", "avalanche-2", "Avalanche", 36, 410e6, beta=1.4, idio_vol=0.035),
    SimAsset("HBAR", "hedera-hashgraph", "Hedera", 0.28, 38e9, beta=1.3, idio_vol=0.045),
    SimAsset("LEO", "leo-token", "LEO Token", 9.0, 925e6, beta=0.3, idio_vol=0.015, turnover=0.001),
    SimAsset("LTC", "litecoin", "Litecoin", 100, 75e6, beta=1.1, idio_vol=0.028),
    SimAsset("TON", "the-open-network", "Toncoin", 5.5, 2.5e9, beta=0.9, idio_vol=0.035),
    SimAsset("SHIB", "shiba-inu", "Shiba Inu", 0.000021, 589e12, beta=1.5, idio_vol=0.045),
    SimAsset("USDE", "ethena-usde", "Ethena USDe", 1.0, 5.8e9, stable=True, turnover=0.03),
    SimAsset("DOT", "polkadot", "Polkadot", 6.7, 1.5e9, beta=1.3, idio_vol=0.032),
    SimAsset("XMR", "monero", "Monero", 190, 18.4e6, beta=0.8, idio_vol=0.03),
    SimAsset("DAI", "dai", "Dai", 1.0, 3.4e9, stable=True, turnover=0.05),
    SimAsset("UNI", "uniswap", "Uniswap", 13, 600e6, beta=1.35, idio_vol=0.04),
    SimAsset("CRO", "crypto-com-chain", "Cronos", 0.14, 27e9, beta=1.1, idio_vol=0.035),
    SimAsset("AAVE", "aave", "Aave", 330, 15e6, beta=1.4, idio_vol=0.04),
    SimAsset("PEPE", "pepe", "Pepe", 0.000018, 420e12, beta=1.8, idio_vol=0.06),
    SimAsset("NEAR", "near", "NEAR Protocol", 5.0, 1.2e9, beta=1.4, idio_vol=0.04),
    SimAsset("APT", "aptos", "Aptos", 9.0, 560e6, beta=1.4, idio_vol=0.045),
    SimAsset("ICP", "internet-computer", "Internet Computer", 10, 480e6, beta=1.3, idio_vol=0.04),
    SimAsset("ETC", "ethereum-classic", "Ethereum Classic", 26, 150e6, beta=1.2, idio_vol=0.032),
    SimAsset("MKR", "maker", "Maker", 1_500, 0.88e6, beta=1.2, idio_vol=0.04),
    SimAsset("ATOM", "cosmos", "Cosmos Hub", 6.5, 390e6, beta=1.3, idio_vol=0.035),
)

# Real ERC-20 contracts (Ethereum mainnet) for simulated wallets' token holdings.
TOKEN_CONTRACTS = {
    "USDC": ("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 6),
    "USDT": ("0xdac17f958d2ee523a2206206994597c13d831ec7", 6),
    "LINK": ("0x514910771af9ca656af840dff83e8264ecf986ca", 18),
    "UNI": ("0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", 18),
    "DAI": ("0x6b175474e89094c44da98b954eedeac495271d0f", 18),
    "WBTC": ("0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", 8),
    "AAVE": ("0x7fc66500c84a76ad7e9c93437bfc5ac33e2ddae9", 18),
}
