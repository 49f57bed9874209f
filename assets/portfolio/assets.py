"""Portfolio holdings: the positions users enter through the API, plus those their linked wallets hold."""

import polars as pl
import sqlalchemy as sa
from dagster import AssetKey, MaterializeResult, asset

from assets.onchain.assets import wallet_positions
from assets.partitions import MONITORING
from assets.resources import WarehouseResource
from warehouse import outbox
from warehouse.queries import batch
from warehouse.queries import wallets as wallet_queries
from warehouse.queries.prices import latest_prices

_BALANCES = sa.text(
    "SELECT DISTINCT ON (address, token_address) address, symbol, balance "
    "FROM wallet_balances ORDER BY address, token_address, time DESC"
)


@asset(deps=[AssetKey("wallet_analysis")], pool=MONITORING, group_name="portfolio", kinds={"postgres"},
       tags={"domain": "portfolio"})
def portfolio_holdings(warehouse: WarehouseResource) -> MaterializeResult:
    """Each portfolio's positions (``portfolio_holdings``): manual and CSV positions as users wrote
    them, wallet positions (``source='wallet'``) set to the linked wallets' newest balances.

    A portfolio whose positions change gets ``holdings_changed`` and ``portfolio_updates`` events,
    so the holdings sensor recomputes its risk.
    """
    with warehouse.transaction() as conn:
        linked = wallet_queries.linked_wallets(conn)
        balances = pl.DataFrame([tuple(r) for r in conn.execute(_BALANCES)], orient="row",
                                schema={"address": pl.String, "symbol": pl.String, "balance": pl.Decimal(38, 18)})
        positions = wallet_positions(linked, balances, batch.asset_table(conn))
        changed = batch.sync_wallet_holdings(conn, positions)
        held = batch.holdings(conn)
        for pid in changed:
            owner = held.filter(pl.col("portfolio_id") == pid)["user_id"][0]
            payload = {"type": "wallet_holdings_synced", "portfolio_id": pid}
            outbox.publish(conn, "holdings_changed", payload, partition_key=str(pid), user_id=owner)
            outbox.publish(conn, "portfolio_updates", payload, partition_key=str(pid), user_id=owner)
        assets = batch.asset_table(conn)
        prices = pl.DataFrame([(r.asset_id, r.price) for r in latest_prices(conn, assets["asset_id"].to_list())],
                              schema={"asset_id": pl.Int32, "price": pl.Float64}, orient="row")
    valued = (held.drop_nulls("symbol").join(assets, on="symbol", how="left").join(prices, on="asset_id", how="left")
              .with_columns((pl.col("quantity") * pl.col("price")).alias("value")))
    return MaterializeResult(metadata={
        "rows": valued.height, "portfolios": held["portfolio_id"].n_unique(), "wallet_positions": positions.height,
        "changed_portfolios": len(changed), "value_usd": float(valued["value"].sum() or 0.0),
        "nulls": int(valued["value"].null_count()), "window": "current", "source": "warehouse",
    })
