"""Reports cadence: the Parquet export of the closed day at 01:00 UTC, after the daily risk."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from assets.reports.assets import warehouse_export
from assets.risk.schedules import closed_day

export_job = define_asset_job("export_job", selection=AssetSelection.assets(warehouse_export))


@schedule(cron_schedule="0 1 * * *", job=export_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def export_daily(context: ScheduleEvaluationContext) -> RunRequest:
    key = closed_day(context)
    return RunRequest(run_key=f"export-{key}", partition_key=key)
