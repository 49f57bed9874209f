"""Ingestion cadence: the price tick every 5 minutes, the nightly close of the day that ended,
provider health every 5 minutes, cleanup at 02:00.

Schedules that call a quota-limited provider ask the market resource's plan
(``pipelines.coingecko.budget``) whether their slot is due; a slot the plan cannot pay for is
skipped with the reason, shown on the schedule's tick in the Dagster UI.
"""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    job,
    op,
    schedule,
)

from assets.ingest.assets import price_history
from assets.partitions import MAINTENANCE, MONITORING
from assets.resources import MarketDataResource, NewsDataResource, WalletDataResource, WarehouseResource, market_plan
from warehouse import outbox
from warehouse.queries import batch

OUTBOX_RETENTION = dt.timedelta(days=7)
RAW_RETENTION = dt.timedelta(days=30)
HEALTH_RETENTION = dt.timedelta(days=14)
SLOT_TAG = "crypto_risk/slot"  # the schedule slot a run was started for (its plan decides what is due)

prices_job = define_asset_job(
    "prices_job", selection=AssetSelection.assets(price_history),
    description="price_history for one day (or a range, as one run)",
)
tick_job = define_asset_job(
    # The market snapshot (market domain) is built from the tick's own answer, right after it.
    "tick_job", selection=AssetSelection.assets(price_history, "market_overview"),
    description="today's prices and the market snapshot, from one batched provider call",
)


@schedule(cron_schedule="*/5 * * * *", job=tick_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def prices_every_5_minutes(context: ScheduleEvaluationContext, warehouse: WarehouseResource,
                           market: MarketDataResource):
    """Today's current prices (every coin in one batched call, added to today's partition) and the
    market snapshot from the same answer."""
    at = context.scheduled_execution_time.astimezone(dt.UTC)
    plan = market_plan(warehouse, market)
    if not plan.due("tick", at):
        return SkipReason(f"prices deferred to the next due slot: the plan runs them {plan.describe('tick')}")
    return RunRequest(
        run_key=f"prices-{at.isoformat()}",
        partition_key=at.date().isoformat(),
        run_config={"ops": {"price_history": {"config": {"mode": "tick"}}}},
    )


@schedule(cron_schedule="5 0 * * *", job=prices_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def prices_daily_close(context: ScheduleEvaluationContext) -> RunRequest:
    """The day that just closed, fetched again only for coins whose ticks missed its last
    half hour (usually none: then it costs no provider call)."""
    day = context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return RunRequest(run_key=f"close-{day.isoformat()}", partition_key=day.isoformat(),
                      run_config={"ops": {"price_history": {"config": {"mode": "close"}}}})


@op(pool=MONITORING)
def check_providers(context: OpExecutionContext, warehouse: WarehouseResource, market: MarketDataResource,
                    etherscan: WalletDataResource, alphavantage: NewsDataResource) -> int:
    """Probe each provider once and record the answer (and the month's quota) in ``provider_health``;
    the market probe only in the slots its plan can pay for."""
    url = warehouse.url
    at = context.run.tags.get(SLOT_TAG)
    at = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC)
    feeds = [etherscan.feed(url), alphavantage.feed(url)]
    plan = market_plan(warehouse, market)
    if plan.due("ping", at):
        feeds.insert(0, market.feed(url))
    else:
        context.log.info(f"market probe skipped: the plan probes {plan.describe('ping')}")
    probes = [f.health() for f in feeds]
    with warehouse.transaction() as conn:
        written = batch.record_health(conn, [
            {"provider": p.provider, "ok": p.ok, "status_code": p.status_code, "latency_ms": p.latency_ms,
             "error_rate": p.error_rate, "error": p.error[:1000] if p.error else None, "quota_used": p.quota_used,
             "quota_limit": p.quota_limit, "quota_period": p.quota_period} for p in probes])
    for p in probes:
        (context.log.info if p.ok else context.log.warning)(f"{p.provider}: ok={p.ok} {p.latency_ms or 0:.0f} ms {p.error or ''}")
    return written


@job(description="Probe CoinGecko, Etherscan and Alpha Vantage (or their simulated twins).")
def provider_health_job():
    check_providers()


@schedule(cron_schedule="*/5 * * * *", job=provider_health_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def provider_health_every_5_minutes(context: ScheduleEvaluationContext) -> RunRequest:
    at = context.scheduled_execution_time.astimezone(dt.UTC)
    return RunRequest(run_key=f"health-{at.isoformat()}", tags={SLOT_TAG: at.isoformat()})


@op(pool=MAINTENANCE)
def cleanup_warehouse(context: OpExecutionContext, warehouse: WarehouseResource) -> dict:
    """Expired response-cache entries, outbox events older than a week (the newest 1,000 always
    stay for reconnecting clients), raw provider rows older than 30 days, old health probes."""
    with warehouse.transaction() as conn:
        counts = {
            "response_cache": batch.expire_response_cache(conn),
            "event_outbox": outbox.cleanup(conn, OUTBOX_RETENTION),
            "provider_health": batch.prune_provider_health(conn, HEALTH_RETENTION),
            **{f"raw.{t}": n for t, n in batch.prune_raw(conn, RAW_RETENTION).items()},
        }
    context.log.info(f"cleanup: {counts}")
    return counts


@job(description="Daily retention: response cache, outbox, raw tables, provider health.")
def cleanup_job():
    cleanup_warehouse()


@schedule(cron_schedule="0 2 * * *", job=cleanup_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def cleanup_daily(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=f"cleanup-{context.scheduled_execution_time.date().isoformat()}")
