"""The risk-alert sensor: user alert rules on prices and portfolio risk, firing once per crossing."""

import datetime as dt

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from assets.resources import WarehouseResource
from assets.risk.alerting import PRICE_KINDS, evaluate, severity
from warehouse import outbox
from warehouse.queries import batch


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def risk_alert_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SkipReason:
    """Evaluate every active rule on the newest prices and portfolio risk; a rule whose condition
    turns true writes one ``alerts`` row and an ``alerts`` outbox event for its owner, and fires
    again only after its condition has been false (``alert_rules.is_triggered`` holds the state)."""
    now = dt.datetime.now(dt.UTC)
    fired = rearmed = 0
    with warehouse.transaction() as conn:
        rules = batch.active_alert_rules(conn)
        prices = batch.latest_prices_24h(conn, sorted({r["asset_id"] for r in rules if r["asset_id"]}))
        risk = batch.latest_portfolio_risk(conn)
        for rule in rules:
            if rule["kind"] in PRICE_KINDS:
                result = evaluate(rule, prices.get(rule["asset_id"]), None)
            else:
                result = evaluate(rule, None, risk.get(rule["portfolio_id"]))
            if result.crossed is None:
                continue
            if result.crossed and not rule["is_triggered"]:
                subject = rule["symbol"] or f"portfolio {rule['portfolio_id']}"
                level = "warning" if rule["kind"] in ("price_above", "price_below") else severity(rule, result.value)
                alert_id = batch.insert_alert(
                    conn, user_id=rule["user_id"], rule_id=rule["id"], portfolio_id=rule["portfolio_id"],
                    severity=level, kind=rule["kind"], title=f"{rule['kind'].replace('_', ' ')}: {subject}",
                    message=result.describe, data={"value": result.value, "threshold": rule["threshold"]},
                )
                outbox.publish(conn, "alerts", {"type": "alert", "alert_id": alert_id, "rule_id": rule["id"],
                                                "kind": rule["kind"], "severity": level, "message": result.describe},
                               user_id=rule["user_id"])
                fired += 1
            elif not result.crossed and rule["is_triggered"]:
                rearmed += 1
            batch.set_rule_state(conn, rule["id"], triggered=result.crossed, at=now)
    context.log.info(f"{len(rules)} rule(s): {fired} fired, {rearmed} re-armed")
    return SkipReason(f"{len(rules)} rule(s) evaluated: {fired} fired, {rearmed} re-armed")
