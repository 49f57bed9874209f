"""``/api/v1/market``: the global market overview and trending coins (cached public data)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.pagination import OffsetPagination

from serving.deps import DB, Pages
from serving.pagination import to_page
from serving.schemas.market import MarketOverviewOut, TrendingOut
from warehouse.queries import market


class MarketController(Controller):
    path = "/market"
    tags = ["market"]

    @get("/overview", cache=True)
    async def overview(self, db: DB) -> MarketOverviewOut:
        """Latest global figures (null before the first sync) and the top 10 assets by market cap."""
        return msgspec.convert(await db.run(market.overview), MarketOverviewOut)

    @get("/trending", cache=True)
    async def trending(self, db: DB, paging: Pages) -> OffsetPagination[TrendingOut]:
        """The latest trending list, by rank."""
        return to_page(await db.run(market.trending, limit=paging.limit, offset=paging.offset), paging, TrendingOut)
