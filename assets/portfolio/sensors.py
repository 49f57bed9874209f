"""The holdings sensor: a portfolio or holding written through the API -> that portfolio's risk.

The API writes holdings and a ``holdings_changed`` outbox event in one transaction; this sensor
reads events after its cursor (the last seen ``seq``), so each change is picked up exactly once,
and asks for one run recomputing the newest daily partition of exactly those portfolios.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.partitions import daily_partitions
from assets.resources import WarehouseResource
from assets.risk.schedules import portfolio_risk_job
from warehouse import outbox

CHANNEL = "holdings_changed"


@sensor(job=portfolio_risk_job, minimum_interval_seconds=5, default_status=DefaultSensorStatus.RUNNING)
def holdings_changed_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    """Recompute portfolio risk for portfolios whose holdings changed (target: new risk row < 30 s)."""
    after = int(context.cursor or 0)
    with warehouse.transaction() as conn:
        if not context.cursor:
            # First tick: start from now; portfolios that existed before are covered by the daily run.
            return SensorResult(skip_reason=SkipReason("cursor initialised"), cursor=str(outbox.latest_seq(conn)))
        events = outbox.events_after(conn, after, channels=[CHANNEL], limit=5000)
    if not events:
        return SkipReason(f"no holdings change after seq {after}")
    ids = sorted({int(e.payload["portfolio_id"]) for e in events if "portfolio_id" in e.payload})
    last = events[-1].seq
    request = RunRequest(
        run_key=f"holdings-{after}-{last}",
        partition_key=daily_partitions.get_last_partition_key(),
        run_config={"ops": {"portfolio_risk_metrics": {"config": {"portfolio_ids": ids}}}},
        tags={"crypto_risk/trigger": "holdings_changed", "crypto_risk/outbox_seq": str(last)},
    )
    return SensorResult(run_requests=[request] if ids else [], cursor=str(last))
