"""AI insights of every portfolio (or some, on demand): the math decides, the model explains.

The work is :func:`assets.insights.build.run`: fact sheets from the warehouse, the model through
``LanguageModelResource`` (or the offline engine), grounding checks, ``ai_insights`` rows
(idempotent per portfolio, kind and as-of) and one ``portfolio_updates`` event per portfolio.
"""

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, asset
from pydantic import Field

from assets.insights import build
from assets.partitions import MONITORING
from assets.resources import LanguageModelResource, WarehouseResource


class InsightsConfig(Config):
    portfolio_ids: list[int] = Field(default=[], description="only these portfolios (empty: all)")


def _run(context: AssetExecutionContext, kinds, config: InsightsConfig, warehouse, llm) -> MaterializeResult:
    chat = llm.chat()
    result = build.run(warehouse.url, kinds, portfolio_ids=config.portfolio_ids or None, chat=chat, budget=llm.budget())
    for w in result.written:
        if w.fallback_reason:
            context.log.warning(f"portfolio {w.portfolio_id} {w.kind}: offline engine used ({w.fallback_reason})")
    return MaterializeResult(
        metadata={**result.metadata(), "model": chat.model if chat else "offline", "kinds": ", ".join(kinds)}
    )


@asset(
    deps=[AssetKey("portfolio_risk_metrics"), AssetKey("news_sentiment")],
    group_name="insights",
    pool=MONITORING,
    kinds={"postgres", "openai"},
    tags={"domain": "insights"},
)
def ai_insights(
    context: AssetExecutionContext, config: InsightsConfig, warehouse: WarehouseResource, llm: LanguageModelResource
) -> MaterializeResult:
    """Per portfolio, from its newest risk metrics (``ai_insights``): the weekly risk analysis,
    news sentiment of its assets (24h and 7d, relevance-weighted, with driving headlines), an
    explanation of the week's risk alerts, and a recommendation fitted to the owner's risk
    tolerance. Every number is a cited warehouse fact; rows say whether a model or the offline
    engine wrote them, and why an item fell back."""
    return _run(context, build.WEEKLY_KINDS, config, warehouse, llm)


@asset(
    deps=[AssetKey("portfolio_risk_metrics")],
    group_name="insights",
    pool=MONITORING,
    kinds={"postgres", "scipy", "openai"},
    tags={"domain": "insights"},
)
def rebalancing_suggestions(
    context: AssetExecutionContext, config: InsightsConfig, warehouse: WarehouseResource, llm: LanguageModelResource
) -> MaterializeResult:
    """Per portfolio (``ai_insights`` kind ``rebalancing``): minimum-variance and risk-parity target
    weights under the owner's max weight, stablecoin floor and turnover limit (scipy), with the
    trades and the expected change in volatility, VaR 95, HHI and risk score, explained in text."""
    return _run(context, build.REBALANCING_KINDS, config, warehouse, llm)
