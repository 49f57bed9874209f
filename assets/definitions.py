"""The one Dagster code location (``workspace.yaml`` -> ``assets.definitions``).

``defs`` is loaded lazily (``@dagster.definitions``): when the code location loads, never at
import time. That is where the live or the simulated set of resources is chosen, once, from
``CRYPTO_RISK_MARKET_SOURCE`` (``coingecko`` for CoinGecko, Etherscan and Alpha Vantage;
``simulated``, the default, for the offline market, wallets and news). Every resource field comes
from an ``EnvVar`` (resolved when a run starts): the warehouse URL, provider keys, base URLs,
plans and limits, the simulated seed. Variables that are not set keep the field's default.
"""

import os

from dagster import Definitions, EnvVar, definitions, load_asset_checks_from_modules, load_assets_from_modules

from assets.ingest import assets as ingest_assets
from assets.ingest import checks as ingest_checks
from assets.ingest import schedules as ingest_schedules
from assets.insights import assets as insights_assets
from assets.insights import schedules as insights_schedules
from assets.market import assets as market_assets
from assets.market import checks as market_checks
from assets.market import schedules as market_schedules
from assets.onchain import assets as onchain_assets
from assets.onchain import checks as onchain_checks
from assets.onchain import schedules as onchain_schedules
from assets.portfolio import assets as portfolio_assets
from assets.portfolio import checks as portfolio_checks
from assets.portfolio import sensors as portfolio_sensors
from assets.reports import assets as reports_assets
from assets.reports import schedules as reports_schedules
from assets.reports import sensors as reports_sensors
from assets.resources import (
    AlphaVantageResource,
    CoinGeckoResource,
    EtherscanResource,
    LanguageModelResource,
    SimulatedMarketResource,
    SimulatedNewsResource,
    SimulatedWalletsResource,
    WarehouseResource,
)
from assets.risk import assets as risk_assets
from assets.risk import checks as risk_checks
from assets.risk import schedules as risk_schedules
from assets.risk import sensors as risk_sensors
from assets.sentiment import assets as sentiment_assets
from assets.sentiment import checks as sentiment_checks
from assets.sentiment import schedules as sentiment_schedules
from warehouse.settings import ConfigError

ASSET_MODULES = [ingest_assets, market_assets, onchain_assets, sentiment_assets, portfolio_assets, risk_assets,
                 reports_assets, insights_assets]
CHECK_MODULES = [ingest_checks, market_checks, onchain_checks, sentiment_checks, portfolio_checks, risk_checks]
SOURCE_ENV = "CRYPTO_RISK_MARKET_SOURCE"
SOURCES = ("coingecko", "simulated")

# resource field -> environment variable, for the variables that are set (EnvVar.int for ints).
_COINGECKO = {"api_key": "COINGECKO_API_KEY", "plan_name": "COINGECKO_PLAN", "base_url": "COINGECKO_BASE_URL",
              "calls_per_minute": "COINGECKO_CALLS_PER_MINUTE", "monthly_calls": "COINGECKO_MONTHLY_CALLS"}
_ETHERSCAN = {"api_key": "ETHERSCAN_API_KEY", "base_url": "ETHERSCAN_BASE_URL",
              "calls_per_second": "ETHERSCAN_CALLS_PER_SECOND"}
_ALPHAVANTAGE = {"api_key": "ALPHAVANTAGE_API_KEY", "base_url": "ALPHAVANTAGE_BASE_URL",
                 "daily_limit": "ALPHAVANTAGE_DAILY_LIMIT"}
_SEED = {"seed": "CRYPTO_RISK_SIM_SEED"}
_INTS = {"monthly_calls", "seed"}


def _env(fields: dict[str, str]) -> dict:
    return {f: (EnvVar.int(name) if f in _INTS else EnvVar(name)) for f, name in fields.items() if os.environ.get(name)}


def market_source() -> str:
    """``CRYPTO_RISK_MARKET_SOURCE`` (default ``simulated``), checked."""
    value = (os.environ.get(SOURCE_ENV) or "simulated").strip().lower()
    if value not in SOURCES:
        raise ConfigError(f"{SOURCE_ENV} must be one of {', '.join(SOURCES)}, got {value!r}")
    return value


def resources(source: str | None = None) -> dict:
    """The resources of one market source: the decision between live and simulated, made here only."""
    live = (source or market_source()) == "coingecko"
    data = {
        "market": CoinGeckoResource(**_env(_COINGECKO)) if live else SimulatedMarketResource(**_env(_SEED)),
        "etherscan": EtherscanResource(**_env(_ETHERSCAN)) if live else SimulatedWalletsResource(**_env(_SEED)),
        "alphavantage": AlphaVantageResource(**_env(_ALPHAVANTAGE)) if live else SimulatedNewsResource(**_env(_SEED)),
    }
    return {"warehouse": WarehouseResource(database_url=EnvVar("CRYPTO_RISK_DATABASE_URL")), **data,
            "llm": LanguageModelResource()}


def build(resource_defs: dict | None = None) -> Definitions:
    """The code location's Definitions with ``resource_defs`` (default: from the environment)."""
    return Definitions(
        assets=load_assets_from_modules(ASSET_MODULES),
        asset_checks=load_asset_checks_from_modules(CHECK_MODULES),
        jobs=[
            ingest_schedules.prices_job,
            ingest_schedules.tick_job,
            ingest_schedules.provider_health_job,
            ingest_schedules.cleanup_job,
            market_schedules.market_job,
            sentiment_schedules.sentiment_job,
            onchain_schedules.wallet_job,
            risk_schedules.risk_job,
            risk_schedules.portfolio_risk_job,
            reports_schedules.export_job,
            reports_schedules.weekly_reports_job,
            insights_schedules.insights_job,
        ],
        schedules=[
            ingest_schedules.prices_every_5_minutes,
            ingest_schedules.prices_daily_close,
            ingest_schedules.provider_health_every_5_minutes,
            ingest_schedules.cleanup_daily,
            market_schedules.market_every_10_minutes,
            sentiment_schedules.sentiment_every_2_hours,
            onchain_schedules.wallets_hourly,
            risk_schedules.risk_daily,
            reports_schedules.export_daily,
            reports_schedules.weekly_reports_monday,
            insights_schedules.insights_weekly,
        ],
        sensors=[portfolio_sensors.holdings_changed_sensor, risk_sensors.risk_alert_sensor,
                 reports_sensors.run_failure_alert],
        resources=resource_defs if resource_defs is not None else resources(),
    )


@definitions
def defs() -> Definitions:
    return build()
