"""Alpha Vantage end to end: news sentiment and daily closes into PostgreSQL, cursors, limits."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from pipelines import alphavantage as av_source
from pipelines import raw
from pipelines.errors import RateLimited
from warehouse.engine import get_engine


def _scalar(url, sql: str):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


START = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def test_news_and_daily_prices_load_incrementally(alphavantage, server, db_url, tmp_path):
    pipeline = raw.make_pipeline("alphavantage", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    source = av_source.alphavantage_source(alphavantage, ["CRYPTO:BTC"], daily=[("BTC", "CNY")], start=START)
    first = raw.run("alphavantage", pipeline, source, db_url, av_source.curate)
    assert _scalar(db_url, "SELECT count(*) FROM news_articles") == 21
    assert _scalar(db_url, "SELECT jsonb_typeof(topics) FROM news_articles LIMIT 1") == "array"
    btc = _scalar(db_url, "SELECT count(*) FROM news_sentiment s JOIN crypto_assets a ON a.id = s.asset_id WHERE a.symbol = 'BTC'")
    assert btc == 21
    assert first.rows("price_history") == 0  # the recorded daily series is from 2020, before START
    alphavantage.http.store = type(alphavantage.http.store)()
    second = raw.run("alphavantage", pipeline,
                     av_source.alphavantage_source(alphavantage, ["CRYPTO:BTC"], start=START), db_url, av_source.curate)
    news_calls = [p for prov, e, p, _ in server.requests if e == "NEWS_SENTIMENT"]
    assert news_calls[-1]["time_from"] == "20240506T2032"  # the newest loaded article's minute
    assert second.rows("news_sentiment") == 0


def test_daily_closes_in_usd(alphavantage, db_url, tmp_path):
    pipeline = raw.make_pipeline("alphavantage", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    source = av_source.alphavantage_source(alphavantage, [], daily=[("BTC", "CNY")], start=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    raw.run("alphavantage", pipeline, source, db_url, av_source.curate)
    assert _scalar(db_url, "SELECT price FROM price_history WHERE source = 'alphavantage' AND time = '2020-05-04'") == 8822.38


def test_daily_quota_exhausted_is_rate_limited_and_writes_nothing(shared_data, db_url, tmp_path):
    from pipelines.alphavantage.helpers import AlphaVantageClient
    from pipelines.alphavantage.settings import AlphaVantageSettings
    from pipelines.http import MemoryStore
    from tests.pipelines.conftest import fast_policy
    from tests.support.provider_server import ProviderServer

    with ProviderServer(shared_data, alphavantage_daily_limit=0) as srv:
        client = AlphaVantageClient(AlphaVantageSettings(api_key="test-av-key", base_url=srv.alphavantage_url),
                                    store=MemoryStore(), policy=fast_policy())
        pipeline = raw.make_pipeline("alphavantage", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
        with pytest.raises(RateLimited, match="25 requests per day"):
            raw.run("alphavantage", pipeline, av_source.alphavantage_source(client, ["CRYPTO:BTC"], start=START),
                    db_url, av_source.curate)
        assert srv.calls("alphavantage") == 1  # a daily quota is not retried
    assert _scalar(db_url, "SELECT count(*) FROM news_articles") == 0
