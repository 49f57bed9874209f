"""On-chain: balances, transfers and token holdings of the wallets users link to portfolios."""

import datetime as dt

import polars as pl
from dagster import MaterializeResult, asset

from assets.partitions import BLOCKCHAIN_DATA
from assets.resources import WalletDataResource, WarehouseResource
from pipelines import loads


@asset(pool=BLOCKCHAIN_DATA, group_name="onchain", kinds={"postgres", "dlt"}, tags={"domain": "onchain"})
def wallet_analysis(warehouse: WarehouseResource, etherscan: WalletDataResource) -> MaterializeResult:
    """Every linked wallet's native and token balances (``wallet_balances``, one snapshot per run)
    and its transfers since the last sync (``wallet_transactions``, upserted by hash and log index).

    Each wallet is fetched once per run: balances and transfers in one pass, transfers from the
    block after the last loaded one (a dlt cursor per wallet). A wallet whose answer fails
    validation is skipped and named; the others land. These balances feed the wallet-sourced
    positions of ``portfolio_holdings``.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load = loads.load_wallets(warehouse.url, etherscan.feed(warehouse.url), now)
    return MaterializeResult(metadata={
        "rows": load.transactions + load.balances, "transactions": load.transactions, "balances": load.balances,
        "window": now.isoformat(), "wallets": load.wallets, "source": load.source,
        "skipped_wallets": "; ".join(f"{k}: {v}" for k, v in sorted(load.skipped.items()))[:2000] or "none",
        "raw_load_id": load.load_id or "none",
    })


def wallet_positions(linked, balances: pl.DataFrame, assets: pl.DataFrame) -> pl.DataFrame:
    """Per portfolio and tracked asset, the summed balance of its linked wallets."""
    links = pl.DataFrame(
        [(w.portfolio_id, w.address) for w in linked], schema={"portfolio_id": pl.Int64, "address": pl.String},
        orient="row",
    )
    return (
        links.join(balances, on="address")
        .join(assets, on="symbol")
        .group_by("portfolio_id", "asset_id")
        .agg(pl.col("balance").sum().alias("quantity"))
        .filter(pl.col("quantity") > 0)
        .sort("portfolio_id", "asset_id")
    )
