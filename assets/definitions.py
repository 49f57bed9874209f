"""The one Dagster code location (``workspace.yaml`` -> ``assets.definitions``).

Resources come from the environment when a run starts (``EnvVar``), never at import time:
``CRYPTO_RISK_DATABASE_URL`` (the warehouse) and ``CRYPTO_RISK_MARKET_SOURCE`` (``coingecko`` or
``simulated``, which also selects the simulated Etherscan and Alpha Vantage). API keys and base
URLs are read by the provider settings when a live client is built; ``OPENAI_API_KEY``,
``OPENAI_BASE_URL`` and ``CRYPTO_RISK_LLM_MODEL`` when an insights run builds its model client.
"""

from dagster import Definitions, EnvVar, load_asset_checks_from_modules, load_assets_from_modules

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
    EtherscanResource,
    LanguageModelResource,
    MarketDataResource,
    WarehouseResource,
)
from assets.risk import assets as risk_assets
from assets.risk import checks as risk_checks
from assets.risk import schedules as risk_schedules
from assets.risk import sensors as risk_sensors
from assets.sentiment import assets as sentiment_assets
from assets.sentiment import checks as sentiment_checks
from assets.sentiment import schedules as sentiment_schedules

ASSET_MODULES = [ingest_assets, market_assets, onchain_assets, sentiment_assets, portfolio_assets, risk_assets,
                 reports_assets, insights_assets]
CHECK_MODULES = [ingest_checks, market_checks, onchain_checks, sentiment_checks, portfolio_checks, risk_checks]


def resources() -> dict:
    source = EnvVar("CRYPTO_RISK_MARKET_SOURCE")
    return {
        "warehouse": WarehouseResource(database_url=EnvVar("CRYPTO_RISK_DATABASE_URL")),
        "market": MarketDataResource(source=source),
        "etherscan": EtherscanResource(source=source),
        "alphavantage": AlphaVantageResource(source=source),
        "llm": LanguageModelResource(),
    }


defs = Definitions(
    assets=load_assets_from_modules(ASSET_MODULES),
    asset_checks=load_asset_checks_from_modules(CHECK_MODULES),
    jobs=[
        ingest_schedules.prices_job,
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
    sensors=[portfolio_sensors.holdings_changed_sensor, risk_sensors.risk_alert_sensor, reports_sensors.run_failure_alert],
    resources=resources(),
)
