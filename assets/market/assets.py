"""Market-wide views: the tracked coins' snapshot, the trending list and global totals."""

import datetime as dt

from dagster import AssetKey, MaterializeResult, asset

from assets.partitions import MARKET_DATA
from assets.resources import MarketDataResource, WarehouseResource
from pipelines import loads
from warehouse.queries.assets import tracked_coins


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@asset(pool=MARKET_DATA, group_name="market", kinds={"postgres", "dlt"}, tags={"domain": "market"},
       deps=[AssetKey("price_history")])
def market_overview(warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """Per tracked coin: price, cap, rank, 24h volume and change, supply, ATH (``market_snapshots``,
    keyed by coin and the provider's update time); ranks are copied to ``crypto_assets``.

    Built from the same ``/coins/markets`` answer as the price tick that runs just before it (one
    call serves both), so it adds no calls to the plan's quota.
    """
    with warehouse.transaction() as conn:
        coins = tracked_coins(conn)
    at = _now()
    load = loads.load_market_snapshot(warehouse.url, market.feed(warehouse.url), coins, at)
    return MaterializeResult(metadata={
        "rows": load.rows, "window": at.isoformat(), "coins": len(coins), "source": load.source,
        "skipped_coins": "; ".join(f"{k}: {v}" for k, v in sorted(load.missing.items()))[:2000] or "none",
        "raw_load_id": load.load_id or "none",
    })


@asset(pool=MARKET_DATA, group_name="market", kinds={"postgres", "dlt"}, tags={"domain": "market"})
def trending_coins(warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """The trending list (rank, coin, price in BTC) in ``trending_coins``, one list per fetch time."""
    at = _now()
    load = loads.load_table(warehouse.url, market.feed(warehouse.url), "trending", at)
    return MaterializeResult(metadata={"rows": load.rows, "window": at.isoformat(), "source": load.source,
                                       "raw_load_id": load.load_id or "none"})


@asset(pool=MARKET_DATA, group_name="market", kinds={"postgres", "dlt"}, tags={"domain": "market"})
def global_market(warehouse: WarehouseResource, market: MarketDataResource) -> MaterializeResult:
    """Whole-market totals (``global_market``): total cap and volume, BTC and ETH dominance, 24h change."""
    at = _now()
    load = loads.load_table(warehouse.url, market.feed(warehouse.url), "global", at)
    return MaterializeResult(metadata={"rows": load.rows, "window": at.isoformat(), "source": load.source,
                                       "raw_load_id": load.load_id or "none"})
