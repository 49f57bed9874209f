"""Market cadence: trending and global totals every 10 minutes (2 minutes past the price tick),
each in the slots its plan can pay for. The snapshot itself runs with the price tick."""

import datetime as dt

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, SkipReason, define_asset_job, schedule

from assets.market.assets import global_market, trending_coins
from assets.resources import MarketDataResource, WarehouseResource, market_plan

OFFSET_MINUTES = 2
WORKLOADS = {"trending": trending_coins, "global": global_market}

market_job = define_asset_job("market_job", selection=[trending_coins, global_market])


@schedule(cron_schedule=f"{OFFSET_MINUTES}-59/10 * * * *", job=market_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def market_every_10_minutes(context: ScheduleEvaluationContext, warehouse: WarehouseResource,
                            market: MarketDataResource):
    at = context.scheduled_execution_time.astimezone(dt.UTC)
    plan = market_plan(warehouse, market)
    due = [asset.key for name, asset in WORKLOADS.items() if plan.due(name, at, offset_minutes=OFFSET_MINUTES)]
    if not due:
        return SkipReason(f"deferred by the plan: trending {plan.describe('trending')}, global {plan.describe('global')}")
    return RunRequest(run_key=f"market-{at.isoformat()}", asset_selection=due)
