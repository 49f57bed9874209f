"""Schedules and sensors evaluated with Dagster's test contexts against a real database."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from dagster import (
    DagsterEventType,
    DagsterInstance,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
    materialize,
)

from assets.ingest.schedules import prices_daily_close, prices_every_5_minutes
from assets.portfolio.sensors import holdings_changed_sensor
from assets.reports.schedules import export_daily
from assets.reports.sensors import run_failure_alert
from assets.resources import CoinGeckoResource, WarehouseResource
from assets.risk.schedules import risk_daily
from assets.risk.sensors import risk_alert_sensor
from tests.assets.conftest import key, materialize_range, rows
from warehouse import outbox
from warehouse.engine import transaction


def _api_write(url, portfolio_id: int, user_id: int, symbol: str, quantity: float) -> None:
    """What the API does: change a holding and publish holdings_changed in the same transaction."""
    with transaction(url) as conn:
        conn.execute(sa.text(
            "UPDATE portfolio_holdings SET quantity = :q WHERE portfolio_id = :p AND asset_id = "
            "(SELECT id FROM crypto_assets WHERE symbol = :s)"), {"q": quantity, "p": portfolio_id, "s": symbol})
        outbox.publish(conn, "holdings_changed", {"type": "holding_updated", "portfolio_id": portfolio_id},
                       partition_key=str(portfolio_id), user_id=user_id)


def test_holdings_sensor_picks_up_a_change_exactly_once(db_url, portfolio):
    warehouse = WarehouseResource(database_url=db_url.url)
    with transaction(db_url) as conn:  # unrelated traffic the sensor must ignore
        outbox.publish(conn, "price_updates", {"type": "price_history"})

    first = holdings_changed_sensor(build_sensor_context(cursor=None, resources={"warehouse": warehouse}))
    assert not first.run_requests and first.cursor is not None

    _api_write(db_url, portfolio["portfolio_id"], portfolio["user_id"], "BTC", 2.0)
    with transaction(db_url) as conn:
        outbox.publish(conn, "price_updates", {"type": "price_history"})
    second = holdings_changed_sensor(build_sensor_context(cursor=first.cursor, resources={"warehouse": warehouse}))
    assert len(second.run_requests) == 1
    request = second.run_requests[0]
    assert request.partition_key == key(0)
    assert request.run_config["ops"]["portfolio_risk_metrics"]["config"]["portfolio_ids"] == [portfolio["portfolio_id"]]

    third = holdings_changed_sensor(build_sensor_context(cursor=second.cursor, resources={"warehouse": warehouse}))
    assert isinstance(third, SkipReason)


def test_holdings_sensor_run_writes_the_new_risk_row(db_url, portfolio, resources):
    assert materialize_range(["price_history"], resources, key(400), key(0)).success
    warehouse = resources["warehouse"]
    cursor = holdings_changed_sensor(build_sensor_context(cursor=None, resources={"warehouse": warehouse})).cursor
    _api_write(db_url, portfolio["portfolio_id"], portfolio["user_id"], "BTC", 3.0)
    result = holdings_changed_sensor(build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}))
    request = result.run_requests[0]
    from tests.assets.conftest import ALL_ASSETS, ALL_CHECKS

    run = materialize(ALL_ASSETS + ALL_CHECKS, selection=["portfolio_risk_metrics"], resources=resources,
                      partition_key=request.partition_key, run_config=request.run_config)
    assert run.success
    (value,) = rows(db_url, "SELECT value_usd FROM portfolio_risk_metrics WHERE portfolio_id = :p",
                    p=portfolio["portfolio_id"])[0]
    btc = rows(db_url, "SELECT close FROM price_ohlcv_1d WHERE asset_id = (SELECT id FROM crypto_assets "
                       "WHERE symbol = 'BTC') AND bucket = CAST(:d AS date)", d=key(0))[0][0]
    assert value > 3.0 * btc  # the new quantity is in the value


def _alert_rule(url, user_id: int, kind: str, threshold: float, symbol: str = "BTC") -> int:
    with transaction(url) as conn:
        return conn.execute(sa.text(
            "INSERT INTO alert_rules (user_id, asset_id, kind, threshold) "
            "SELECT :u, id, :k, :t FROM crypto_assets WHERE symbol = :s RETURNING id"),
            {"u": user_id, "k": kind, "t": threshold, "s": symbol}).scalar_one()


def test_alert_rule_fires_once_per_crossing(db_url, portfolio, resources):
    assert materialize_range(["price_history"], resources, key(3), key(0)).success
    btc = rows(db_url, "SELECT price FROM price_history WHERE asset_id = (SELECT id FROM crypto_assets "
                       "WHERE symbol = 'BTC') ORDER BY time DESC LIMIT 1")[0][0]
    rule = _alert_rule(db_url, portfolio["user_id"], "price_above", btc * 0.9)
    context = build_sensor_context(resources={"warehouse": resources["warehouse"]})

    def tick() -> int:
        risk_alert_sensor(context)
        return rows(db_url, "SELECT count(*) FROM alerts WHERE rule_id = :r", r=rule)[0][0]

    assert tick() == 1  # crossed
    assert tick() == 1  # still above: no new alert
    rows(db_url, "UPDATE alert_rules SET threshold = :t WHERE id = :r RETURNING 1", t=btc * 1.1, r=rule)
    assert tick() == 1  # below again: re-armed, nothing fired
    assert rows(db_url, "SELECT is_triggered FROM alert_rules WHERE id = :r", r=rule)[0][0] is False
    rows(db_url, "UPDATE alert_rules SET threshold = :t WHERE id = :r RETURNING 1", t=btc * 0.9, r=rule)
    assert tick() == 2  # the second crossing fires again

    (user_id, severity, kind), *_ = rows(db_url, "SELECT user_id, severity, kind FROM alerts WHERE rule_id = :r", r=rule)
    assert (user_id, kind) == (portfolio["user_id"], "price_above")
    events = rows(db_url, "SELECT user_id, payload FROM event_outbox WHERE channel = 'alerts' ORDER BY seq")
    assert [e[0] for e in events] == [portfolio["user_id"]] * 2 and events[0][1]["rule_id"] == rule


def test_portfolio_rules_read_the_newest_risk_row(db_url, portfolio, resources):
    assert materialize_range(["price_history"], resources, key(400), key(0)).success
    assert materialize_range(["portfolio_risk_metrics"], resources, key(0), key(0)).success
    var95, hhi = rows(db_url, "SELECT var_95, hhi FROM portfolio_risk_metrics")[0]
    with transaction(db_url) as conn:
        for kind, threshold in (("var_breach", var95 / 2), ("concentration", min(1.0, hhi * 2))):
            conn.execute(sa.text("INSERT INTO alert_rules (user_id, portfolio_id, kind, threshold) VALUES (:u, :p, :k, :t)"),
                         {"u": portfolio["user_id"], "p": portfolio["portfolio_id"], "k": kind, "t": threshold})
    risk_alert_sensor(build_sensor_context(resources={"warehouse": resources["warehouse"]}))
    fired = rows(db_url, "SELECT kind FROM alerts")
    assert fired == [("var_breach",)]  # VaR is above half of itself; HHI is below twice itself


def test_run_failure_sensor_writes_an_operator_alert(db_url, resources):
    instance = DagsterInstance.ephemeral()
    broken = {**resources, "market": CoinGeckoResource(plan_name="nasdaq")}  # a misconfigured plan
    result = materialize_range(["price_history"], broken, key(0), key(0), instance=instance, raise_on_error=False)
    assert not result.success
    (failure,) = [e.dagster_event for e in instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_FAILURE)]
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=failure, dagster_instance=instance,
        dagster_run=result.dagster_run, resources={"warehouse": resources["warehouse"]},
    ).for_run_failure()
    run_failure_alert(context)
    (user_id, severity, kind, data), = rows(db_url, "SELECT user_id, severity, kind, data FROM alerts")
    assert (user_id, severity, kind) == (None, "critical", "run_failure")
    assert data["run_id"] == result.run_id


def test_schedules_target_the_right_partitions(resources):
    at = dt.datetime(2026, 3, 10, 0, 15, tzinfo=dt.UTC)
    with build_schedule_context(scheduled_execution_time=at, resources=resources) as context:
        prices = prices_every_5_minutes(context)
    assert isinstance(prices, RunRequest) and prices.partition_key == "2026-03-10"
    assert prices.run_config["ops"]["price_history"]["config"]["mode"] == "tick"
    close = prices_daily_close(build_schedule_context(scheduled_execution_time=at.replace(minute=5)))
    assert close.partition_key == "2026-03-09" and close.run_config["ops"]["price_history"]["config"]["mode"] == "close"
    assert risk_daily(build_schedule_context(scheduled_execution_time=at)).partition_key == "2026-03-09"
    assert export_daily(build_schedule_context(scheduled_execution_time=at.replace(hour=1, minute=0))).partition_key == "2026-03-09"
