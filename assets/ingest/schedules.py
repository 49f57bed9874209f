"""Ingestion cadence: prices every 5 minutes, provider health every 5 minutes, cleanup at 02:00."""

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    OpExecutionContext,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    job,
    op,
    schedule,
)

from assets.ingest.assets import price_history
from assets.partitions import MAINTENANCE, MONITORING
from assets.resources import (
    AlphaVantageResource,
    EtherscanResource,
    MarketDataResource,
    WarehouseResource,
)
from warehouse import outbox
from warehouse.queries import batch

OUTBOX_RETENTION = dt.timedelta(days=7)
RAW_RETENTION = dt.timedelta(days=30)
HEALTH_RETENTION = dt.timedelta(days=14)

prices_job = define_asset_job(
    "prices_job", selection=AssetSelection.assets(price_history),
    description="price_history for one day (or a range, as one run)",
)


@schedule(cron_schedule="*/5 * * * *", job=prices_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def prices_every_5_minutes(context: ScheduleEvaluationContext) -> RunRequest:
    """Today's price partition at 5-minute resolution (rewritten whole each time: idempotent)."""
    key = context.scheduled_execution_time.astimezone(dt.UTC).date().isoformat()
    return RunRequest(
        run_key=f"prices-{context.scheduled_execution_time.isoformat()}",
        partition_key=key,
        run_config={"ops": {"price_history": {"config": {"interval": "5m"}}}},
    )


@op(pool=MONITORING)
def check_providers(context: OpExecutionContext, warehouse: WarehouseResource, market: MarketDataResource,
                    etherscan: EtherscanResource, alphavantage: AlphaVantageResource) -> int:
    """Probe each provider once and record the answer in ``provider_health``."""
    url = warehouse.url
    probes = [market.client(url).health(), etherscan.client(url).health(), alphavantage.client(url).health()]
    with warehouse.transaction() as conn:
        written = batch.record_health(conn, [
            {"provider": p.provider, "ok": p.ok, "status_code": p.status_code, "latency_ms": p.latency_ms,
             "error_rate": p.error_rate, "error": p.error} for p in probes])
    for p in probes:
        (context.log.info if p.ok else context.log.warning)(f"{p.provider}: ok={p.ok} {p.latency_ms or 0:.0f} ms {p.error or ''}")
    return written


@job(description="Probe CoinGecko, Etherscan and Alpha Vantage (or their simulated twins).")
def provider_health_job():
    check_providers()


@schedule(cron_schedule="*/5 * * * *", job=provider_health_job, execution_timezone="UTC",
          default_status=DefaultScheduleStatus.RUNNING)
def provider_health_every_5_minutes(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=f"health-{context.scheduled_execution_time.isoformat()}")


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
