"""CoinGecko end to end into PostgreSQL: raw tables with load ids, curated upserts, incremental cursors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from pipelines import coingecko as cg_source
from pipelines import raw
from pipelines.errors import InvalidBatch, MalformedResponse
from warehouse.engine import get_engine


def _scalar(url, sql: str, **params):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def _source(client, start=dt.datetime(2021, 2, 1, tzinfo=dt.UTC)):
    return cg_source.coingecko_source(client, {"bitcoin": "BTC"}, start=start, top=10)


def test_incremental_run_end_to_end(coingecko, server, db_url, tmp_path, shared_data):
    pipeline = raw.make_pipeline("coingecko", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    first = raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    chart = json.loads((shared_data / "api/coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json").read_text())
    assert first.raw_rows["coingecko_market_chart"] == len(chart["prices"])
    assert first.load_id
    schema = pipeline.dataset_name
    assert _scalar(db_url, f'SELECT count(DISTINCT _dlt_load_id) FROM "{schema}".coingecko_market_chart') == 1
    assert _scalar(db_url, f'SELECT count(*) FROM "{schema}".coingecko_markets') == 1
    btc_rows = _scalar(db_url, "SELECT count(*) FROM price_history p JOIN crypto_assets a ON a.id = p.asset_id "
                               "WHERE a.symbol = 'BTC' AND p.source = 'coingecko'")
    assert btc_rows == len(chart["prices"]) + 1  # the chart plus the market snapshot's price
    assert _scalar(db_url, "SELECT count(*) FROM trending_coins") == 7
    assert _scalar(db_url, "SELECT active_cryptocurrencies FROM global_market") == 7362
    assert _scalar(db_url, "SELECT count(*) FROM event_outbox WHERE channel = 'price_updates'") >= 1

    # The second run asks only for points after the last loaded one ...
    coingecko.http.store = type(coingecko.http.store)()  # a cold cache, so the provider is really asked
    second = raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    chart_calls = [p for prov, e, p, _ in server.requests if e == "coins/market_chart/range"]
    last_ms = chart["prices"][-1][0]
    assert int(chart_calls[-1]["from"]) == last_ms // 1000
    # ... and the boundary point it gets again is dropped by the cursor: nothing new is written.
    assert second.raw_rows.get("coingecko_market_chart", 0) == 0
    assert second.rows("price_history") == 0


def test_renamed_field_rejects_the_run_and_keeps_the_cursor(coingecko, server, db_url, tmp_path):
    server.fault("coingecko", "coins/market_chart/range", "rename:total_volumes:volumes")
    pipeline = raw.make_pipeline("coingecko", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    with pytest.raises(Exception, match=r"coingecko coins/market_chart/range: field 'total_volumes': missing") as info:
        raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    assert isinstance(info.value, MalformedResponse) and info.value.field == "total_volumes"
    assert _scalar(db_url, "SELECT count(*) FROM price_history") == 0
    assert _scalar(db_url, "SELECT count(*) FROM market_snapshots") == 0
    retry = raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    assert retry.raw_rows["coingecko_market_chart"] == 91  # the cursor did not move past the failure


def test_invalid_rows_reject_the_whole_batch(coingecko, server, db_url, tmp_path):
    bad = dict(server.markets_rows[0], id="ethereum", symbol="eth", name="Ethereum", current_price=-1)
    server.markets_rows = server.markets_rows + [bad]
    pipeline = raw.make_pipeline("coingecko", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    with pytest.raises(InvalidBatch, match=r"coingecko coins/markets: MarketFrame batch rejected.*price: greater_than\(0\)") as info:
        raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    assert [r["symbol"] for r in info.value.rows] == ["ETH"]
    assert _scalar(db_url, "SELECT count(*) FROM price_history") == 0
    assert _scalar(db_url, "SELECT count(*) FROM trending_coins") == 0
    # The chart was extracted before the markets batch failed: its cursor is rolled back with it.
    server.markets_rows = server.markets_rows[:1]
    coingecko.http.store = type(coingecko.http.store)()
    retry = raw.run("coingecko", pipeline, _source(coingecko), db_url, cg_source.curate)
    assert retry.raw_rows["coingecko_market_chart"] == 91
    assert retry.rows("price_history") == 92


def test_a_fresh_process_resumes_from_the_loaded_cursor(coingecko, server, db_url, tmp_path, shared_data):
    """Production mode: no dev_mode, and the second run has an empty working folder (a new Dagster
    process): the cursor comes back from the raw dataset."""
    first = raw.make_pipeline("coingecko", db_url, pipelines_dir=str(tmp_path / "run1"))
    raw.run("coingecko", first, _source(coingecko), db_url, cg_source.curate)
    assert first.dataset_name == "raw"
    coingecko.http.store = type(coingecko.http.store)()
    second = raw.make_pipeline("coingecko", db_url, pipelines_dir=str(tmp_path / "run2"))
    result = raw.run("coingecko", second, _source(coingecko), db_url, cg_source.curate)
    chart = json.loads((shared_data / "api/coingecko/market_chart_bitcoin_usd_90d_daily_2021-05-15.json").read_text())
    asked = [p for _, e, p, _ in server.requests if e == "coins/market_chart/range"]
    assert int(asked[-1]["from"]) == chart["prices"][-1][0] // 1000
    assert result.rows("price_history") == 0
    assert _scalar(db_url, 'SELECT count(*) FROM "raw"._dlt_loads WHERE status = 0') == 2
