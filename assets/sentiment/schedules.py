"""Sentiment cadence: every two hours (Alpha Vantage's free tier allows 25 calls a day)."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from assets.sentiment.assets import news_sentiment

sentiment_job = define_asset_job("sentiment_job", selection=AssetSelection.assets(news_sentiment))

sentiment_every_2_hours = ScheduleDefinition(
    name="sentiment_every_2_hours", cron_schedule="0 */2 * * *", job=sentiment_job, execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
