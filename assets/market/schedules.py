"""Market cadence: the snapshot and trending list every 10 minutes."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from assets.market.assets import market_overview, trending_coins

market_job = define_asset_job("market_job", selection=AssetSelection.assets(market_overview, trending_coins))

market_every_10_minutes = ScheduleDefinition(
    name="market_every_10_minutes", cron_schedule="*/10 * * * *", job=market_job, execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
