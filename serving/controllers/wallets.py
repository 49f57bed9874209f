"""``/api/v1/portfolios/{portfolio_id}/wallets``: Ethereum wallets linked to a portfolio."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, JSONBody

from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.portfolios import WalletIn, WalletOut
from warehouse.queries import portfolios


class WalletController(Controller):
    path = "/portfolios/{portfolio_id:int}/wallets"
    tags = ["wallets"]

    @get("/")
    async def list_wallets(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], paging: Pages
    ) -> OffsetPagination[WalletOut]:
        page = await db.run(portfolios.list_wallets, user_id, portfolio_id, limit=paging.limit, offset=paging.offset)
        return to_page(found(page, "portfolio"), paging, WalletOut)

    @post("/")
    async def link_wallet(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], data: JSONBody[WalletIn]
    ) -> WalletOut:
        """Link an address (stored lower-case); the on-chain assets pick it up on their next run."""
        row = await db.run(portfolios.link_wallet, user_id, portfolio_id, data.address, data.chain_id, data.label)
        return found(row, "portfolio", WalletOut)

    @delete("/{wallet_id:int}")
    async def unlink_wallet(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], wallet_id: FromPath[int]
    ) -> None:
        found(await db.run(portfolios.unlink_wallet, user_id, portfolio_id, wallet_id), "wallet")
