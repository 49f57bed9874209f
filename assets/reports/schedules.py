"""Reports cadence: the Parquet export of the closed day at 01:00 UTC, after the daily risk; the
weekly reports of the closed week (Monday to Sunday) on Mondays at 07:00 UTC, after the weekly
insights (06:00) they include."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    build_schedule_from_partitioned_job,
    define_asset_job,
    schedule,
)

from assets.reports.assets import warehouse_export, weekly_reports
from assets.risk.schedules import closed_day

export_job = define_asset_job("export_job", selection=AssetSelection.assets(warehouse_export))


@schedule(cron_schedule="0 1 * * *", job=export_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def export_daily(context: ScheduleEvaluationContext) -> RunRequest:
    key = closed_day(context)
    return RunRequest(run_key=f"export-{key}", partition_key=key)


weekly_reports_job = define_asset_job("weekly_reports_job", selection=AssetSelection.assets(weekly_reports))

# The schedule of a weekly-partitioned job requests the partition of the week that just closed.
weekly_reports_monday = build_schedule_from_partitioned_job(
    weekly_reports_job, hour_of_day=7, name="weekly_reports_monday", default_status=DefaultScheduleStatus.RUNNING
)
