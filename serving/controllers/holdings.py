"""``/api/v1/portfolios/{portfolio_id}/holdings``: positions, edited one by one or imported as CSV."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.exceptions import HTTPException
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, JSONBody
from sqlalchemy.engine import Connection

from serving.csv_import import parse_holdings_csv, unknown_symbol_errors
from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.portfolios import HoldingIn, HoldingOut, HoldingPatch, ImportResult
from warehouse.queries import portfolios


class HoldingController(Controller):
    path = "/portfolios/{portfolio_id:int}/holdings"
    tags = ["holdings"]

    @get("/")
    async def list_holdings(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], paging: Pages
    ) -> OffsetPagination[HoldingOut]:
        page = await db.run(portfolios.list_holdings, user_id, portfolio_id, limit=paging.limit, offset=paging.offset)
        return to_page(found(page, "portfolio"), paging, HoldingOut)

    @post("/")
    async def add_holding(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], data: JSONBody[HoldingIn]
    ) -> HoldingOut:
        """422 for a symbol not in crypto_assets; 409 when the symbol is already held."""
        row = await db.run(portfolios.add_holding, user_id, portfolio_id, data.symbol, data.quantity, data.cost_basis)
        return found(row, "portfolio", HoldingOut)

    @patch("/{holding_id:int}")
    async def update_holding(
        self,
        db: DB,
        user_id: UserId,
        portfolio_id: FromPath[int],
        holding_id: FromPath[int],
        data: JSONBody[HoldingPatch],
    ) -> HoldingOut:
        values = msgspec.structs.asdict(data)
        values = {k: v for k, v in values.items() if v is not msgspec.UNSET}
        row = await db.run(portfolios.update_holding, user_id, portfolio_id, holding_id, values)
        return found(row, "holding", HoldingOut)

    @delete("/{holding_id:int}")
    async def delete_holding(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], holding_id: FromPath[int]
    ) -> None:
        found(await db.run(portfolios.delete_holding, user_id, portfolio_id, holding_id), "holding")

    @post("/import", status_code=200)
    async def import_holdings(
        self, request: Request, db: DB, user_id: UserId, portfolio_id: FromPath[int]
    ) -> ImportResult:
        """Body: CSV (``text/csv``) with header ``symbol,quantity[,cost_basis]``; a symbol already
        held is overwritten. Any bad row rejects the whole file (422 listing every row's errors)."""
        result = await db.run(_import, user_id, portfolio_id, await request.body())
        return ImportResult(**found(result, "portfolio"))


def _import(conn: Connection, user_id: int, portfolio_id: int, body: bytes) -> dict[str, int] | None:
    if not portfolios.owns(conn, user_id, portfolio_id):
        return None
    entries, errors = parse_holdings_csv(body)
    if not errors:
        try:
            return {"rows": len(entries), **portfolios.import_holdings(conn, user_id, portfolio_id, entries)}
        except portfolios.UnknownSymbols as exc:
            errors = unknown_symbol_errors(entries, exc.symbols)
    raise HTTPException(status_code=422, detail=f"{len(errors)} row error(s); nothing imported", extra=errors)
