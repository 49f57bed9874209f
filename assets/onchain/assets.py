"""On-chain: balances, transfers and token holdings of the wallets users link to portfolios."""

import datetime as dt

import polars as pl
from dagster import MaterializeResult, asset

from assets.partitions import BLOCKCHAIN_DATA
from assets.resources import EtherscanResource, WarehouseResource
from pipelines.store import write_table
from warehouse import outbox
from warehouse.queries import batch

FIRST_SYNC = dt.timedelta(days=365)  # history fetched for a newly linked wallet


@asset(pool=BLOCKCHAIN_DATA, group_name="onchain", kinds={"postgres"}, tags={"domain": "onchain"})
def wallet_analysis(warehouse: WarehouseResource, etherscan: EtherscanResource) -> MaterializeResult:
    """Every linked wallet's native and token balances (``wallet_balances``, one snapshot per run)
    and its transfers since the last sync (``wallet_transactions``, upserted by hash and log index).

    These balances feed the wallet-sourced positions of ``portfolio_holdings``.
    """
    client = etherscan.client(warehouse.url)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with warehouse.transaction() as conn:
        linked = batch.linked_wallets(conn)
        addresses = sorted({w.address for w in linked})
        since = min((w.last_synced_at or now - FIRST_SYNC for w in linked), default=now - FIRST_SYNC)
        balances = client.balances(addresses, now) if addresses else None
        transfers = client.transactions(addresses, since, now) if addresses else None
        rows = 0
        if addresses:
            rows += write_table(conn, "wallet_balances", balances).rows
            rows += write_table(conn, "wallet_transactions", transfers).rows
            batch.mark_wallets_synced(conn, [w.id for w in linked], now)
        owners = batch.holdings(conn, sorted({w.portfolio_id for w in linked})).unique("portfolio_id")
        for r in owners.iter_rows(named=True):
            outbox.publish(conn, "portfolio_updates", {"type": "wallets_synced", "portfolio_id": r["portfolio_id"]},
                           partition_key=str(r["portfolio_id"]), user_id=r["user_id"])
    return MaterializeResult(metadata={
        "rows": rows, "window": f"[{since.isoformat()}, {now.isoformat()})", "wallets": len(addresses),
        "nulls": int(balances.null_count().sum_horizontal()[0]) if balances is not None else 0,
        "source": client.source,
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
