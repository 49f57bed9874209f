"""The live implementations behind the same assets: CoinGecko (and the provider health job)
against a local server speaking CoinGecko's real format with recorded responses."""

from __future__ import annotations

import pytest
from dagster import materialize

from assets.ingest.schedules import provider_health_job
from assets.resources import MarketDataResource
from tests.assets.conftest import ALL_ASSETS, ALL_CHECKS, rows
from tests.support.provider_server import ProviderServer


@pytest.fixture
def live(resources, shared_data, monkeypatch):
    with ProviderServer(shared_data) as srv:
        monkeypatch.setenv("COINGECKO_BASE_URL", srv.coingecko_url)
        monkeypatch.setenv("COINGECKO_CALLS_PER_MINUTE", "6000")
        monkeypatch.delenv("CRYPTO_RISK_REDIS_URL", raising=False)
        yield {**resources, "market": MarketDataResource(source="coingecko")}, srv


def test_market_assets_on_live_coingecko(live, db_url):
    resources, srv = live
    result = materialize(ALL_ASSETS + ALL_CHECKS, selection=["market_overview", "trending_coins"], resources=resources)
    assert result.success
    meta = {e.asset_key.path[-1]: e.event_specific_data.materialization.metadata
            for e in result.get_asset_materialization_events()}
    assert meta["market_overview"]["source"].value == "coingecko"
    stored = rows(db_url, "SELECT count(*) FROM market_snapshots WHERE source = 'coingecko'")[0][0]
    assert stored == len(srv.markets_rows)  # every recorded /coins/markets row
    btc = rows(db_url, "SELECT m.price FROM market_snapshots m JOIN crypto_assets a ON a.id = m.asset_id "
                       "WHERE a.symbol = 'BTC'")[0][0]
    recorded = next(r for r in srv.markets_rows if r["id"] == "bitcoin")["current_price"]
    assert btc == pytest.approx(recorded)
    trending = rows(db_url, "SELECT count(*) FROM trending_coins WHERE source = 'coingecko'")[0][0]
    assert trending == len(srv.load("coingecko/search_trending_2021-05-18.json")["coins"])
    assert srv.calls("coingecko", "coins/markets") >= 1


def test_provider_health_job_records_probes(live, db_url):
    resources, srv = live
    result = provider_health_job.execute_in_process(resources=resources)
    assert result.success
    stored = dict(rows(db_url, "SELECT provider, ok FROM provider_health"))
    assert stored["coingecko"] is True
    assert srv.calls("coingecko", "ping") == 1
