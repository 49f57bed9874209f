"""The run-failure sensor: any failed run becomes an operator alert (``alerts.user_id`` NULL)."""

from dagster import DefaultSensorStatus, RunFailureSensorContext, run_failure_sensor

from assets.resources import WarehouseResource
from warehouse.queries import batch


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)
def run_failure_alert(context: RunFailureSensorContext, warehouse: WarehouseResource) -> None:
    """Write a critical operator alert naming the job, run and error, for the admins' view."""
    run = context.dagster_run
    error = context.failure_event.message or "run failed"
    with warehouse.transaction() as conn:
        batch.insert_alert(
            conn, user_id=None, rule_id=None, portfolio_id=None, severity="critical", kind="run_failure",
            title=f"Dagster run failed: {run.job_name}", message=error[:2000],
            data={"run_id": run.run_id, "job": run.job_name, "partition": run.tags.get("dagster/partition"),
                  "tags": {k: v for k, v in run.tags.items() if not k.startswith(".")}},
        )
