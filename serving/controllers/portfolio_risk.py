"""``/api/v1/portfolios/{portfolio_id}/risk|risk/history|correlation|insights``: what the risk and
insight assets computed for a portfolio (read-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, FromQuery, Parameter

from serving.cache import user_cache_key
from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.risk import CorrelationOut, InsightOut, PortfolioMetricsOut, PortfolioRiskOut
from warehouse.models import INSIGHT_KINDS
from warehouse.queries import risk

NOT_YET = "not computed yet: the risk assets have not run for this portfolio"
InsightKind = Annotated[str | None, Parameter(description="one of " + ", ".join(INSIGHT_KINDS))]


class PortfolioRiskController(Controller):
    path = "/portfolios/{portfolio_id:int}"
    tags = ["risk"]

    @get("/risk", cache=True, cache_key_builder=user_cache_key)
    async def latest_risk(self, db: DB, user_id: UserId, portfolio_id: FromPath[int]) -> PortfolioRiskOut:
        """Latest metrics with the risk score's components, contributions, stress and backtest."""
        out = found(await db.run(risk.latest_risk, user_id, portfolio_id), "portfolio", PortfolioRiskOut)
        return out if out.metrics else msgspec.structs.replace(out, reason=NOT_YET)

    @get("/risk/history", cache=True, cache_key_builder=user_cache_key)
    async def risk_history(
        self,
        db: DB,
        user_id: UserId,
        portfolio_id: FromPath[int],
        paging: Pages,
        start: FromQuery[datetime | None] = None,
        end: FromQuery[datetime | None] = None,
    ) -> OffsetPagination[PortfolioMetricsOut]:
        """Daily metrics, oldest first, ``start <= time < end``."""
        page = await db.run(
            risk.risk_history,
            user_id,
            portfolio_id,
            start=start,
            end=end,
            limit=paging.limit,
            offset=paging.offset,
        )
        return to_page(found(page, "portfolio"), paging, PortfolioMetricsOut)

    @get("/correlation", cache=True, cache_key_builder=user_cache_key)
    async def correlation(self, db: DB, user_id: UserId, portfolio_id: FromPath[int]) -> CorrelationOut:
        """Latest Pearson correlation matrix of the portfolio's assets (null where undefined)."""
        out = found(await db.run(risk.correlation, user_id, portfolio_id), "portfolio", CorrelationOut)
        return out if out.correlation else msgspec.structs.replace(out, reason=NOT_YET)

    @get("/insights")
    async def insights(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], paging: Pages, kind: FromQuery[InsightKind] = None
    ) -> OffsetPagination[InsightOut]:
        """AI insights, newest first."""
        page = await db.run(risk.insights, user_id, portfolio_id, kind=kind, limit=paging.limit, offset=paging.offset)
        return to_page(found(page, "portfolio"), paging, InsightOut)
