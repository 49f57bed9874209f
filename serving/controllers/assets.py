"""``/api/v1/assets``: the asset universe, price candles and per-asset risk (cached public data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, FromQuery, Parameter

from serving.deps import DB, Pages
from serving.errors import found, invalid
from serving.pagination import to_page
from serving.schemas.market import AssetDetailOut, AssetOut, CandleOut
from serving.schemas.risk import AssetRiskOut
from warehouse.queries import market

Symbol = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9.]{1,15}$", description="asset symbol, e.g. BTC")]
NOT_YET = "not computed yet: the risk assets have not run for this asset"


class AssetController(Controller):
    path = "/assets"
    tags = ["assets"]

    @get("/", cache=True)
    async def list_assets(
        self, db: DB, paging: Pages, category: FromQuery[str | None] = None
    ) -> OffsetPagination[AssetOut]:
        page = await db.run(market.list_assets, limit=paging.limit, offset=paging.offset, category=category)
        return to_page(page, paging, AssetOut)

    @get("/{symbol:str}", cache=True)
    async def get_asset(self, db: DB, symbol: FromPath[Symbol]) -> AssetDetailOut:
        """The asset with its latest price and market snapshot."""
        return found(await db.run(market.get_asset, symbol.upper()), "asset", AssetDetailOut)

    @get("/{symbol:str}/prices", cache=True)
    async def prices(
        self,
        db: DB,
        symbol: FromPath[Symbol],
        paging: Pages,
        interval: FromQuery[Literal["1h", "1d"]] = "1d",
        start: FromQuery[datetime | None] = None,
        end: FromQuery[datetime | None] = None,
    ) -> OffsetPagination[CandleOut]:
        """OHLCV candles (USD), oldest first, ``start <= time < end``."""
        if start is not None and end is not None and start >= end:
            raise invalid("end", "must be after start", source="query")
        page = await db.run(
            market.prices,
            symbol.upper(),
            interval,
            start=start,
            end=end,
            limit=paging.limit,
            offset=paging.offset,
        )
        return to_page(found(page, "asset"), paging, CandleOut)

    @get("/{symbol:str}/risk", cache=True)
    async def asset_risk(self, db: DB, symbol: FromPath[Symbol]) -> AssetRiskOut:
        """Latest risk metrics of the asset."""
        out = found(await db.run(market.asset_risk, symbol.upper()), "asset", AssetRiskOut)
        return out if out.metrics else msgspec.structs.replace(out, reason=NOT_YET)
