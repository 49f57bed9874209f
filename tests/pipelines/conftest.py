"""Fixtures for provider tests: the local provider server and clients pointed at it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.alphavantage.helpers import AlphaVantageClient
from pipelines.alphavantage.settings import AlphaVantageSettings
from pipelines.coingecko.helpers import CoinGeckoClient
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.etherscan.helpers import EtherscanClient
from pipelines.etherscan.settings import EtherscanSettings
from pipelines.http import MemoryStore, Policy
from tests.support.provider_server import ProviderServer

# Fast limits for tests: retries wait milliseconds, not seconds.
FAST = dict(rate_per_s=1000.0, burst=1000.0, max_attempts=3, backoff_initial_s=0.01, backoff_max_s=0.05,
            timeout_s=0.5, breaker_threshold=3, breaker_reset_s=0.3)


def fast_policy(**overrides: float) -> Policy:
    return Policy(**{**FAST, **overrides})


@pytest.fixture
def server(shared_data: Path) -> Iterator[ProviderServer]:
    with ProviderServer(shared_data, etherscan_key="test-es-key") as srv:
        yield srv


@pytest.fixture
def sleeps() -> list[float]:
    """Every pause the clients took (they sleep for real, briefly; the list proves how long)."""
    return []


def _sleeper(sleeps: list[float]):
    import time

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(min(seconds, 0.05))

    return sleep


#: When the recorded CoinGecko answers were taken: the plan's year of history counts from then.
RECORDED_AT = dt.datetime(2021, 5, 18, 14, 1, tzinfo=dt.UTC)


@pytest.fixture
def coingecko(server: ProviderServer, sleeps: list[float]) -> Iterator[CoinGeckoClient]:
    with CoinGeckoClient(CoinGeckoSettings(api_key="", plan="public", base_url=server.coingecko_url),
                         store=MemoryStore(), policy=fast_policy(), sleep=_sleeper(sleeps),
                         clock=lambda: RECORDED_AT) as client:
        yield client


@pytest.fixture
def etherscan(server: ProviderServer, sleeps: list[float]) -> Iterator[EtherscanClient]:
    with EtherscanClient(EtherscanSettings(api_key="test-es-key", base_url=server.etherscan_url, chain_id=1),
                         store=MemoryStore(), policy=fast_policy(), sleep=_sleeper(sleeps)) as client:
        yield client


@pytest.fixture
def alphavantage(server: ProviderServer, sleeps: list[float]) -> Iterator[AlphaVantageClient]:
    with AlphaVantageClient(AlphaVantageSettings(api_key="test-av-key", base_url=server.alphavantage_url),
                            store=MemoryStore(), policy=fast_policy(), sleep=_sleeper(sleeps)) as client:
        yield client
