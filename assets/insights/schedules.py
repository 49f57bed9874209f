"""Insights cadence: weekly on Monday 06:00 UTC for every portfolio; on demand per portfolio by
launching ``insights_job`` with ``{"ops": {"ai_insights": {"config": {"portfolio_ids": [ID]}}}}``."""

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from assets.insights.assets import ai_insights, rebalancing_suggestions

insights_job = define_asset_job(
    "insights_job",
    selection=AssetSelection.assets(ai_insights, rebalancing_suggestions),
    description="AI insights and rebalancing suggestions (all portfolios, or those in the run config)",
)


def portfolio_run_config(portfolio_ids: list[int]) -> dict:
    """Run config of ``insights_job`` for some portfolios (the on-demand request)."""
    config = {"config": {"portfolio_ids": list(portfolio_ids)}}
    return {"ops": {"ai_insights": config, "rebalancing_suggestions": config}}


@schedule(
    cron_schedule="0 6 * * 1",
    job=insights_job,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
def insights_weekly(context: ScheduleEvaluationContext) -> RunRequest:
    """Every portfolio's weekly insights and rebalancing suggestion, Monday 06:00 UTC."""
    return RunRequest(run_key=f"insights-{context.scheduled_execution_time.date().isoformat()}")
