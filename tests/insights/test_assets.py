"""The Dagster assets: thin adapters writing ai_insights rows (offline or through the model),
on demand per portfolio, idempotently; the weekly schedule."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from dagster import DagsterInstance, build_schedule_context, materialize

from assets.definitions import defs
from assets.insights.assets import ai_insights, rebalancing_suggestions
from assets.insights.schedules import insights_job, insights_weekly, portfolio_run_config
from assets.resources import LanguageModelResource, WarehouseResource
from tests.insights.conftest import HOLDINGS, add_portfolio, add_user, store_risk
from warehouse.engine import get_engine, transaction

ASSETS = [ai_insights, rebalancing_suggestions]


def resources(url, **llm) -> dict:
    return {"warehouse": WarehouseResource(database_url=url.url), "llm": LanguageModelResource(**llm)}


def stored(url) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT portfolio_id, kind, provider, id FROM ai_insights ORDER BY portfolio_id, kind")
            )
        ]


def metadata(result, key: str) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def messages(error) -> str:
    out = []
    while error is not None:
        out.append(error.message)
        error = error.cause
    return " | ".join(out)


def test_both_assets_write_offline_rows_idempotently(seeded, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    url, pid = seeded["url"], seeded["portfolio_id"]
    result = materialize(ASSETS, resources=resources(url))
    assert result.success
    meta = metadata(result, "ai_insights")
    assert meta["insights"] == 4 and meta["offline"] == 4 and meta["model"] == "offline" and meta["fallbacks"] == 0
    assert metadata(result, "rebalancing_suggestions")["insights"] == 1
    first = stored(url)
    assert sorted(k for _, k, _, _ in first) == sorted(
        ["market_sentiment", "personalized_recommendation", "rebalancing", "risk_alert_explanation", "weekly_analysis"]
    )
    assert all(p == pid and provider == "offline" for p, _, provider, _ in first)
    assert materialize(ASSETS, resources=resources(url)).success
    assert stored(url) == first


def test_model_written_through_the_resource(seeded, llm_env):
    result = materialize([ai_insights], resources=resources(seeded["url"], timeout_s=5.0, max_retries=0))
    meta = metadata(result, "ai_insights")
    assert meta["model"] == "local-test-model" and meta["model_written"] == 4 and meta["tokens"] > 0
    assert llm_env.calls() == 4
    assert {provider for _, _, provider, _ in stored(seeded["url"])} == {"openai"}


def test_on_demand_for_one_portfolio(seeded, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    url = seeded["url"]
    with transaction(url) as conn:
        uid = add_user(conn, "second@example.com", "aggressive")
        other = add_portfolio(conn, uid, "Second", HOLDINGS)
        store_risk(conn, other, HOLDINGS)
    result = materialize(ASSETS, resources=resources(url), run_config=portfolio_run_config([other]))
    assert result.success
    assert {p for p, *_ in stored(url)} == {other}
    bad = materialize(ASSETS, resources=resources(url), run_config=portfolio_run_config([424242]), raise_on_error=False)
    assert not bad.success
    assert any(
        "unknown portfolio id(s) 424242" in messages(e.event_specific_data.error)
        for e in bad.all_events
        if e.is_step_failure
    )
    assert {p for p, *_ in stored(url)} == {other}


def test_weekly_schedule_monday_0600_utc():
    assert insights_weekly.cron_schedule == "0 6 * * 1" and insights_weekly.execution_timezone == "UTC"
    monday = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    with DagsterInstance.ephemeral() as instance:
        request = insights_weekly.evaluate_tick(build_schedule_context(instance, scheduled_execution_time=monday))
    (run,) = request.run_requests
    assert run.run_key == "insights-2026-11-23"
    assert defs().get_schedule_def("insights_weekly").job_name == insights_job.name
    job = defs().resolve_job_def("insights_job")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "ai_insights",
        "rebalancing_suggestions",
    }
