"""Fixtures for the Dagster code location: resources on a fresh database, a user with a
portfolio, and helpers to materialize partition ranges on the simulated market."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from dagster import load_asset_checks_from_modules, load_assets_from_modules, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.definitions import ASSET_MODULES, CHECK_MODULES
from assets.resources import (
    LanguageModelResource,
    SimulatedMarketResource,
    SimulatedNewsResource,
    SimulatedWalletsResource,
    WarehouseResource,
)
from pipelines.simulated import wallet_address
from warehouse.engine import transaction
from warehouse.queries import batch
from warehouse.settings import DatabaseUrl

ALL_ASSETS = load_assets_from_modules(ASSET_MODULES)
ALL_CHECKS = load_asset_checks_from_modules(CHECK_MODULES)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def key(days_ago: int) -> str:
    return (today() - dt.timedelta(days=days_ago)).isoformat()


def make_resources(url: DatabaseUrl) -> dict:
    return {
        "warehouse": WarehouseResource(database_url=url.url),
        "market": SimulatedMarketResource(),
        "etherscan": SimulatedWalletsResource(),
        "alphavantage": SimulatedNewsResource(),
        "llm": LanguageModelResource(),
    }


@pytest.fixture
def resources(db_url: DatabaseUrl) -> dict:
    return make_resources(db_url)


@pytest.fixture
def portfolio(db_url: DatabaseUrl) -> dict:
    """A user with one portfolio (BTC, ETH, SOL, USDC) and a linked simulated wallet."""
    with transaction(db_url) as conn:
        uid, _ = batch.ensure_user(conn, "analyst@example.com", "not-a-real-hash")
        pid, _ = batch.ensure_portfolio(conn, uid, "Core", {"BTC": 0.5, "ETH": 4, "SOL": 30, "USDC": 2000})
        conn.execute(sa.text("INSERT INTO wallets (portfolio_id, address) VALUES (:p, :a)"),
                     {"p": pid, "a": wallet_address(42, 0)})
    return {"user_id": uid, "portfolio_id": pid}


def materialize_range(selection, resources: dict, start: str, end: str, **kwargs):
    """One run over the partition range [start, end] (the single-run backfill policy's shape)."""
    return materialize(
        ALL_ASSETS + ALL_CHECKS,
        selection=selection,
        resources=resources,
        tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end},
        **kwargs,
    )


def rows(url: DatabaseUrl, query: str, **params) -> list[tuple]:
    with transaction(url) as conn:
        return [tuple(r) for r in conn.execute(sa.text(query), params)]
