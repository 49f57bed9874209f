"""Alpha Vantage through its dlt source into PostgreSQL: news with per-asset sentiment, the
``time_published`` cursor kept in the raw dataset, the daily quota."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from pipelines import loads
from pipelines.alphavantage.feed import AlphaVantageFeed
from pipelines.errors import RateLimited
from tests.pipelines.conftest import fast_policy
from tests.support.provider_server import ProviderServer
from warehouse.engine import get_engine

START = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def _scalar(url, sql: str):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))


def _feed(server, db_url):
    return AlphaVantageFeed(db_url, api_key="test-av-key", base_url=server.alphavantage_url, policy=fast_policy())


def test_news_loads_incrementally(server, db_url):
    first = loads.load_news(db_url, _feed(server, db_url), ["BTC"], START, END)
    assert first.articles == 21 and first.sentiment == 21
    assert _scalar(db_url, "SELECT jsonb_typeof(topics) FROM news_articles LIMIT 1") == "array"
    btc = _scalar(db_url, "SELECT count(*) FROM news_sentiment s JOIN crypto_assets a ON a.id = s.asset_id "
                          "WHERE a.symbol = 'BTC'")
    assert btc == 21
    second = loads.load_news(db_url, _feed(server, db_url), ["BTC"], START, END)
    news_calls = [p for prov, e, p, _ in server.requests if e == "NEWS_SENTIMENT"]
    assert news_calls[-1]["time_from"] == "20240506T2032"  # the newest loaded article's minute
    assert second.sentiment == 0  # only the boundary article came again, unchanged
    assert _scalar(db_url, "SELECT count(*) FROM news_articles") == 21
    assert _scalar(db_url, "SELECT count(*) FROM raw.alphavantage_news") == 21  # dlt dropped the repeat


def test_the_daily_quota_is_not_retried_and_writes_nothing(shared_data, db_url):
    with ProviderServer(shared_data, alphavantage_daily_limit=0) as srv:
        with pytest.raises(RateLimited, match="25 requests per day"):
            loads.load_news(db_url, _feed(srv, db_url), ["BTC"], START, END)
        assert srv.calls("alphavantage") == 1
    assert _scalar(db_url, "SELECT count(*) FROM news_articles") == 0
