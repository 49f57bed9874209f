"""``/api/v1/portfolios``: the user's portfolios and their summary."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, JSONBody

from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.portfolios import PortfolioIn, PortfolioOut, PortfolioPatch, SummaryOut
from warehouse.queries import portfolios


class PortfolioController(Controller):
    path = "/portfolios"
    tags = ["portfolios"]

    @get("/")
    async def list_portfolios(self, db: DB, user_id: UserId, paging: Pages) -> OffsetPagination[PortfolioOut]:
        page = await db.run(portfolios.list_portfolios, user_id, limit=paging.limit, offset=paging.offset)
        return to_page(page, paging, PortfolioOut)

    @post("/")
    async def create_portfolio(self, db: DB, user_id: UserId, data: JSONBody[PortfolioIn]) -> PortfolioOut:
        """409 when the user already has a portfolio of that name."""
        row = await db.run(portfolios.create_portfolio, user_id, msgspec.structs.asdict(data))
        return msgspec.convert(row, PortfolioOut)

    @get("/{portfolio_id:int}")
    async def get_portfolio(self, db: DB, user_id: UserId, portfolio_id: FromPath[int]) -> PortfolioOut:
        return found(await db.run(portfolios.get_portfolio, user_id, portfolio_id), "portfolio", PortfolioOut)

    @patch("/{portfolio_id:int}")
    async def update_portfolio(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], data: JSONBody[PortfolioPatch]
    ) -> PortfolioOut:
        values = msgspec.to_builtins(data)
        row = await db.run(portfolios.update_portfolio, user_id, portfolio_id, values)
        return found(row, "portfolio", PortfolioOut)

    @delete("/{portfolio_id:int}")
    async def delete_portfolio(self, db: DB, user_id: UserId, portfolio_id: FromPath[int]) -> None:
        found(await db.run(portfolios.delete_portfolio, user_id, portfolio_id), "portfolio")

    @get("/{portfolio_id:int}/summary")
    async def summary(self, db: DB, user_id: UserId, portfolio_id: FromPath[int]) -> SummaryOut:
        """Value at the latest prices, P&L against cost basis, allocation weights."""
        return found(await db.run(portfolios.summary, user_id, portfolio_id), "portfolio", SummaryOut)
