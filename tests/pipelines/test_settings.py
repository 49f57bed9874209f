"""Settings are read from the environment when constructed; keys travel the way each plan wants."""

from __future__ import annotations

import pytest

from pipelines.coingecko import helpers as cg
from pipelines.coingecko.settings import PRO_BASE_URL, PUBLIC_BASE_URL, CoinGeckoSettings
from pipelines.errors import ApiError
from pipelines.etherscan.settings import EtherscanSettings
from pipelines.http import MemoryStore
from tests.pipelines.conftest import fast_policy
from tests.support.provider_server import ProviderServer
from warehouse.settings import ConfigError


def test_coingecko_plans_from_environment(monkeypatch):
    monkeypatch.delenv("COINGECKO_BASE_URL", raising=False)
    monkeypatch.delenv("COINGECKO_PLAN", raising=False)
    monkeypatch.delenv("COINGECKO_API_KEY", raising=False)
    assert (CoinGeckoSettings().plan, CoinGeckoSettings().base_url, CoinGeckoSettings().headers) == ("public", PUBLIC_BASE_URL, {})
    monkeypatch.setenv("COINGECKO_API_KEY", "k1")
    assert CoinGeckoSettings().headers == {"x-cg-demo-api-key": "k1"}
    monkeypatch.setenv("COINGECKO_PLAN", "pro")
    assert (CoinGeckoSettings().base_url, CoinGeckoSettings().headers) == (PRO_BASE_URL, {"x-cg-pro-api-key": "k1"})
    assert "k1" not in repr(CoinGeckoSettings())
    monkeypatch.setenv("COINGECKO_PLAN", "enterprise")
    with pytest.raises(ConfigError, match="COINGECKO_PLAN must be public, demo or pro"):
        CoinGeckoSettings()


def test_etherscan_numbers_are_checked(monkeypatch):
    monkeypatch.setenv("ETHERSCAN_CALLS_PER_SECOND", "fast")
    with pytest.raises(ConfigError, match="ETHERSCAN_CALLS_PER_SECOND must be a number"):
        EtherscanSettings()


@pytest.mark.parametrize("plan,header", [("demo", "x-cg-demo-api-key"), ("pro", "x-cg-pro-api-key")])
def test_coingecko_key_header_reaches_the_server(shared_data, plan, header):
    with ProviderServer(shared_data, coingecko_key=(header, "secret")) as srv:
        good = cg.CoinGeckoClient(CoinGeckoSettings(api_key="secret", plan=plan, base_url=srv.coingecko_url),
                                  store=MemoryStore(), policy=fast_policy())
        assert cg.global_row(good.global_market()).height == 1
        wrong = "pro" if plan == "demo" else "demo"
        bad = cg.CoinGeckoClient(CoinGeckoSettings(api_key="secret", plan=wrong, base_url=srv.coingecko_url + "/"),
                                 store=MemoryStore(), policy=fast_policy())
        with pytest.raises(ApiError, match=r"coingecko global: request refused.*\(HTTP 401\)"):
            bad.global_market()
        assert all("secret" not in str(p) for _, _, p, _ in srv.requests)  # never in the URL


def test_etherscan_sends_chainid_and_key(etherscan, server):
    etherscan.balance("0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a")
    params = server.requests[-1][2]
    assert (params["chainid"], params["apikey"], params["module"], params["action"]) == ("1", "test-es-key", "account", "balance")


def test_keys_never_reach_the_logs(etherscan, alphavantage, caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        etherscan.ethprice(use_cache=False)
        alphavantage.exchange_rate("BTC", "CNY", use_cache=False)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "apikey=***" in logged
    assert "test-es-key" not in logged and "test-av-key" not in logged


def test_state_store_follows_the_environment(monkeypatch, db_url):
    from pipelines.http import PostgresStore, RedisStore, store_from_env

    monkeypatch.delenv("CRYPTO_RISK_REDIS_URL", raising=False)
    assert isinstance(store_from_env(), MemoryStore)
    assert isinstance(store_from_env(db_url), PostgresStore)
    monkeypatch.setenv("CRYPTO_RISK_REDIS_URL", "redis://127.0.0.1:6379/15")
    assert isinstance(store_from_env(db_url), RedisStore)
