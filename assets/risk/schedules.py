"""Risk cadence: once a day, 15 minutes after the UTC day's close, for the day that closed."""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from assets.risk.assets import asset_risk_metrics, correlation_matrix, portfolio_risk_metrics

risk_job = define_asset_job(
    "risk_job", selection=AssetSelection.assets(asset_risk_metrics, portfolio_risk_metrics, correlation_matrix)
)
portfolio_risk_job = define_asset_job(
    "portfolio_risk_job", selection=AssetSelection.assets(portfolio_risk_metrics),
    description="portfolio risk of some portfolios (the holdings sensor's target)",
    # One step: running it in the run's own process saves a process start (seconds) per change.
    executor_def=in_process_executor,
)


def closed_day(context: ScheduleEvaluationContext) -> str:
    """The partition of the UTC day before the tick (the newest partition is the running day)."""
    return (context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)).isoformat()


@schedule(cron_schedule="15 0 * * *", job=risk_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def risk_daily(context: ScheduleEvaluationContext) -> RunRequest:
    """Asset risk, portfolio risk and correlations of the day that just closed."""
    key = closed_day(context)
    return RunRequest(run_key=f"risk-{key}", partition_key=key)
