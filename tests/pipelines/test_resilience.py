"""Retries, Retry-After, the circuit breaker, the response cache and the shared rate limiter,
exercised through the real clients against the local provider server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pipelines.coingecko import helpers as cg
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.errors import CircuitOpen, MalformedResponse, RateLimited, TransientError, TruncatedResponse
from pipelines.http import Endpoint, MemoryStore, PostgresStore, ProviderHttp, RedisStore
from tests.conftest import ROOT
from tests.pipelines.conftest import fast_policy

MARKETS = "coins/markets"


def _markets(client):
    return [r for page in client.top_markets(5) for r in page]


def test_429_retry_after_is_honoured(coingecko, server, sleeps):
    server.fault("coingecko", MARKETS, "429", times=2, retry_after=0.2)
    assert _markets(coingecko)[0].id == "bitcoin"
    assert server.calls("coingecko", MARKETS) == 3
    assert [s for s in sleeps if s >= 0.2][:2] == pytest.approx([0.2, 0.2], abs=0.06)


def test_500_and_timeout_are_retried_with_backoff(coingecko, server, sleeps):
    server.fault("coingecko", MARKETS, "500")
    server.fault("coingecko", MARKETS, "timeout")
    assert _markets(coingecko)[0].id == "bitcoin"
    assert server.calls("coingecko", MARKETS) == 3
    assert len(sleeps) == 2 and all(0 < s <= 0.05 + 0.01 for s in sleeps)


def test_retries_give_up_with_provider_and_endpoint_named(coingecko, server):
    server.fault("coingecko", MARKETS, "500", times=3)
    with pytest.raises(TransientError, match=r"coingecko coins/markets: server error Internal Server Error \(HTTP 500\)"):
        _markets(coingecko)
    assert server.calls("coingecko", MARKETS) == 3


def test_retry_after_beyond_the_limit_fails_fast(coingecko, server):
    server.fault("coingecko", MARKETS, "429", retry_after=3600)
    with pytest.raises(RateLimited) as info:
        _markets(coingecko)
    assert info.value.retry_after == pytest.approx(3600)
    assert server.calls("coingecko", MARKETS) == 1


def test_truncated_json_is_retried_then_named(coingecko, server):
    server.fault("coingecko", MARKETS, "truncate")
    assert _markets(coingecko)[0].id == "bitcoin"
    server.fault("coingecko", "global", "truncate", times=3)
    with pytest.raises(TruncatedResponse, match=r"coingecko global: JSON body ends early"):
        coingecko.global_market()


def test_renamed_field_is_a_clear_error_and_not_retried(coingecko, server):
    server.fault("coingecko", MARKETS, "rename:id:coin")
    with pytest.raises(MalformedResponse, match=r"coingecko coins/markets: field '\[0\].id': missing"):
        _markets(coingecko)
    assert server.calls("coingecko", MARKETS) == 1
    server.fault("coingecko", "coins/market_chart/range", "rename:prices:price")
    import datetime as dt

    with pytest.raises(MalformedResponse, match=r"field 'prices': missing") as info:
        coingecko.market_chart_range("bitcoin", dt.datetime(2021, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 6, 1, tzinfo=dt.UTC))
    assert (info.value.provider, info.value.endpoint, info.value.field) == ("coingecko", "coins/market_chart/range", "prices")


def test_breaker_opens_then_half_open_probe_closes_it(coingecko, server):
    server.fault("coingecko", "global", "500", times=9)  # three calls x three attempts
    for _ in range(3):
        with pytest.raises(TransientError):
            coingecko.http.get(Endpoint("global", "/global"), use_cache=False)
    calls = server.calls("coingecko")
    with pytest.raises(CircuitOpen, match="coingecko global: circuit open"):
        coingecko.global_market()
    assert server.calls("coingecko") == calls  # refused without touching the provider
    time.sleep(0.35)
    assert cg.global_row(coingecko.global_market()).height == 1  # the probe succeeds
    assert coingecko.http.breaker.state == "closed"


def test_failed_probe_reopens_and_other_providers_are_unaffected(coingecko, etherscan, server):
    server.fault("coingecko", "global", "500", times=12)
    for _ in range(3):
        with pytest.raises(TransientError):
            coingecko.global_market()
    time.sleep(0.35)
    with pytest.raises(TransientError):
        coingecko.global_market()  # the half-open probe fails ...
    with pytest.raises(CircuitOpen):
        coingecko.global_market()  # ... and the circuit is open again
    assert etherscan.ethprice()["ethusd"] == "2149.18"


def test_cache_serves_repeats_and_counts_hit_rate(coingecko, server):
    first = coingecko.global_market()
    second = coingecko.global_market()
    assert first == second
    assert server.calls("coingecko", "global") == 1
    assert coingecko.http.cache_stats.hit_rate == 0.5
    assert coingecko.http.cache_stats.hits["global"] == 1


def test_cache_entries_expire_after_their_ttl(server):
    http = ProviderHttp("coingecko", server.coingecko_url, fast_policy(), store=MemoryStore())
    short = Endpoint("global", "/global", ttl_s=0.2)
    http.get(short)
    http.get(short)
    time.sleep(0.25)
    http.get(short)
    assert server.calls("coingecko", "global") == 2
    http.close()


def test_errors_are_never_cached(coingecko, server):
    server.fault("coingecko", "global", "rename:data:payload")
    with pytest.raises(MalformedResponse, match="field 'data': missing"):
        coingecko.global_market()
    assert cg.global_row(coingecko.global_market()).height == 1  # the renamed body was not cached
    server.fault("coingecko", "search/trending", "500", times=3)
    with pytest.raises(TransientError):
        coingecko.trending()
    assert len(coingecko.trending().coins) == 7
    assert server.calls("coingecko", "search/trending") == 4


def test_postgres_cache_is_shared_across_processes(server, db_url):
    script = (
        "import sys; from pipelines.coingecko.helpers import CoinGeckoClient; "
        "from pipelines.coingecko.settings import CoinGeckoSettings; from pipelines.http import PostgresStore; "
        "from warehouse.settings import DatabaseUrl; "
        "c = CoinGeckoClient(CoinGeckoSettings(api_key='', plan='public', base_url=sys.argv[1]), store=PostgresStore(DatabaseUrl(sys.argv[2]))); "
        "print(c.global_market().data.active_cryptocurrencies)"
    )
    out = subprocess.run([sys.executable, "-c", script, server.coingecko_url, db_url.url], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "7362"
    client = CoinGeckoClient(CoinGeckoSettings(api_key="", plan="public", base_url=server.coingecko_url),
                             store=PostgresStore(db_url), policy=fast_policy())
    assert client.global_market().data.active_cryptocurrencies == 7362
    assert server.calls("coingecko", "global") == 1
    assert client.http.cache_stats.hit_rate == 1.0
    client.close()


def _bucket_waits(store, key: str) -> list[float]:
    return [store.take_token(key, 10.0, 2.0) for _ in range(5)]


def test_postgres_token_bucket_budget_is_shared(db_url):
    first, second = PostgresStore(db_url), PostgresStore(db_url)  # two "processes", one budget
    waits = [first.take_token("cg:test", 1.0, 2.0), second.take_token("cg:test", 1.0, 2.0),
             first.take_token("cg:test", 1.0, 2.0), second.take_token("cg:test", 1.0, 2.0)]
    assert waits[:2] == [0.0, 0.0]
    # Each later caller waits one more token's refill (1 s), less the time the calls took.
    assert waits[2] == pytest.approx(1.0, abs=0.2) and waits[3] == pytest.approx(2.0, abs=0.2)


def test_redis_token_bucket_and_cache():
    redis = pytest.importorskip("redis")
    url = os.environ.get("CRYPTO_RISK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    store = RedisStore(url)
    key = f"test:{os.getpid()}:{time.time_ns()}"
    waits = _bucket_waits(store, key)
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == pytest.approx([0.1, 0.2, 0.3], abs=0.03)
    store.cache_put(key, "coingecko", "global", b"{}", 0.2)
    assert store.cache_get(key) == b"{}"
    time.sleep(0.25)
    assert store.cache_get(key) is None


def test_limiter_paces_calls(server, sleeps):
    waits: list[float] = []
    client = CoinGeckoClient(CoinGeckoSettings(api_key="", plan="public", base_url=server.coingecko_url),
                             store=MemoryStore(), policy=fast_policy(rate_per_s=20.0, burst=1.0), sleep=waits.append)
    for _ in range(4):
        client.http.get(Endpoint("ping", "/ping"))
    assert len(waits) == 3 and all(w == pytest.approx(0.05, abs=0.02) for w in waits)
    client.close()
