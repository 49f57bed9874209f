"""On-chain cadence: linked wallets and the holdings they feed, hourly."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from assets.onchain.assets import wallet_analysis
from assets.portfolio.assets import portfolio_holdings

wallet_job = define_asset_job("wallet_job", selection=AssetSelection.assets(wallet_analysis, portfolio_holdings))

wallets_hourly = ScheduleDefinition(
    name="wallets_hourly", cron_schedule="0 * * * *", job=wallet_job, execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
