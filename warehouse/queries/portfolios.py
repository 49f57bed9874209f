"""Portfolios, their holdings and linked wallets: the rows users own and change.

Every write publishes an outbox event in the same transaction (last, as ``publish`` asks), so a
listener hears of it exactly when it commits: ``portfolio_updates`` for the owner's live view and
``holdings_changed`` for the Dagster sensor that recomputes the portfolio's risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import crypto_assets, portfolio_holdings, portfolios, price_history, wallets
from warehouse.outbox import publish
from warehouse.queries import Page, one, paged, rows


class Conflict(ValueError):
    """A unique rule would be broken; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownSymbols(ValueError):
    def __init__(self, symbols: list[str]) -> None:
        super().__init__("unknown symbol(s): " + ", ".join(symbols))
        self.symbols = symbols


PORTFOLIO_COLUMNS = (
    portfolios.c.id,
    portfolios.c.name,
    portfolios.c.description,
    portfolios.c.base_currency,
    portfolios.c.created_at,
    portfolios.c.updated_at,
)
HOLDING_COLUMNS = (
    portfolio_holdings.c.id,
    portfolio_holdings.c.portfolio_id,
    crypto_assets.c.symbol,
    # trim_scale: 0.5 comes back as "0.5", not "0.500000000000000000"
    sa.func.trim_scale(portfolio_holdings.c.quantity).label("quantity"),
    sa.func.trim_scale(portfolio_holdings.c.cost_basis).label("cost_basis"),
    portfolio_holdings.c.source,
    portfolio_holdings.c.created_at,
    portfolio_holdings.c.updated_at,
)
WALLET_COLUMNS = (
    wallets.c.id,
    wallets.c.portfolio_id,
    wallets.c.chain_id,
    wallets.c.address,
    wallets.c.label,
    wallets.c.last_synced_at,
    wallets.c.created_at,
)


def _changed(conn: Connection, user_id: int, portfolio_id: int, kind: str, *, holdings: bool, **extra) -> None:
    payload = {"type": kind, "portfolio_id": portfolio_id, **extra}
    if holdings:
        publish(conn, "holdings_changed", payload, partition_key=str(portfolio_id), user_id=user_id)
    publish(conn, "portfolio_updates", payload, partition_key=str(portfolio_id), user_id=user_id)


def owns(conn: Connection, user_id: int, portfolio_id: int) -> bool:
    stmt = sa.select(portfolios.c.id).where(portfolios.c.id == portfolio_id, portfolios.c.user_id == user_id)
    return conn.execute(stmt).scalar() is not None


def asset_ids(conn: Connection, symbols: list[str]) -> dict[str, int]:
    """Active symbols -> crypto_assets.id; raises ``UnknownSymbols`` naming the rest."""
    wanted = sorted(set(symbols))
    found = dict(
        conn.execute(
            sa.select(crypto_assets.c.symbol, crypto_assets.c.id).where(
                crypto_assets.c.symbol.in_(wanted), crypto_assets.c.is_active
            )
        ).all()
    )
    missing = [s for s in wanted if s not in found]
    if missing:
        raise UnknownSymbols(missing)
    return found


# --- portfolios -----------------------------------------------------------------------------------


def list_portfolios(conn: Connection, user_id: int, *, limit: int, offset: int) -> Page:
    query = sa.select(*PORTFOLIO_COLUMNS).where(portfolios.c.user_id == user_id).order_by(portfolios.c.id)
    return paged(conn, query, limit=limit, offset=offset)


def get_portfolio(conn: Connection, user_id: int, portfolio_id: int) -> dict[str, Any] | None:
    stmt = sa.select(*PORTFOLIO_COLUMNS).where(portfolios.c.id == portfolio_id, portfolios.c.user_id == user_id)
    return one(conn.execute(stmt))


def _name_taken(conn: Connection, user_id: int, name: str, *, other_than: int | None = None) -> bool:
    stmt = sa.select(portfolios.c.id).where(portfolios.c.user_id == user_id, portfolios.c.name == name)
    if other_than is not None:
        stmt = stmt.where(portfolios.c.id != other_than)
    return conn.execute(stmt).scalar() is not None


def create_portfolio(conn: Connection, user_id: int, values: dict[str, Any]) -> dict[str, Any]:
    if _name_taken(conn, user_id, values["name"]):
        raise Conflict("name", f"you already have a portfolio named {values['name']!r}")
    row = one(conn.execute(portfolios.insert().values(user_id=user_id, **values).returning(*PORTFOLIO_COLUMNS)))
    assert row is not None
    _changed(conn, user_id, row["id"], "portfolio_created", holdings=False)
    return row


def update_portfolio(
    conn: Connection, user_id: int, portfolio_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    if "name" in values and _name_taken(conn, user_id, values["name"], other_than=portfolio_id):
        raise Conflict("name", f"you already have a portfolio named {values['name']!r}")
    stmt = (
        portfolios.update()
        .where(portfolios.c.id == portfolio_id, portfolios.c.user_id == user_id)
        .values(**values, updated_at=sa.func.now())
        .returning(*PORTFOLIO_COLUMNS)
    )
    row = one(conn.execute(stmt))
    if row is not None:
        _changed(conn, user_id, portfolio_id, "portfolio_updated", holdings=False)
    return row


def delete_portfolio(conn: Connection, user_id: int, portfolio_id: int) -> bool:
    stmt = portfolios.delete().where(portfolios.c.id == portfolio_id, portfolios.c.user_id == user_id)
    if conn.execute(stmt).rowcount == 0:
        return False
    _changed(conn, user_id, portfolio_id, "portfolio_deleted", holdings=True)
    return True


# --- holdings ---------------------------------------------------------------------------------------


def _holdings_query(user_id: int, portfolio_id: int) -> sa.Select:
    return (
        sa.select(*HOLDING_COLUMNS)
        .select_from(
            portfolio_holdings.join(portfolios, portfolios.c.id == portfolio_holdings.c.portfolio_id).join(
                crypto_assets, crypto_assets.c.id == portfolio_holdings.c.asset_id
            )
        )
        .where(portfolios.c.user_id == user_id, portfolios.c.id == portfolio_id)
    )


def list_holdings(conn: Connection, user_id: int, portfolio_id: int, *, limit: int, offset: int) -> Page | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    query = _holdings_query(user_id, portfolio_id).order_by(crypto_assets.c.symbol)
    return paged(conn, query, limit=limit, offset=offset)


def get_holding(conn: Connection, user_id: int, portfolio_id: int, holding_id: int) -> dict[str, Any] | None:
    query = _holdings_query(user_id, portfolio_id).where(portfolio_holdings.c.id == holding_id)
    return one(conn.execute(query))


def add_holding(
    conn: Connection,
    user_id: int,
    portfolio_id: int,
    symbol: str,
    quantity: Decimal,
    cost_basis: Decimal | None,
) -> dict[str, Any] | None:
    """None when the portfolio is not the user's; ``Conflict`` when the symbol is already held."""
    if not owns(conn, user_id, portfolio_id):
        return None
    asset_id = asset_ids(conn, [symbol])[symbol]
    stmt = (
        insert(portfolio_holdings)
        .values(portfolio_id=portfolio_id, asset_id=asset_id, quantity=quantity, cost_basis=cost_basis)
        .on_conflict_do_nothing(index_elements=["portfolio_id", "asset_id"])
        .returning(portfolio_holdings.c.id)
    )
    holding_id = conn.execute(stmt).scalar()
    if holding_id is None:
        raise Conflict("symbol", f"{symbol} is already held in this portfolio; PATCH that holding instead")
    _changed(conn, user_id, portfolio_id, "holding_added", holdings=True, symbol=symbol)
    return get_holding(conn, user_id, portfolio_id, holding_id)


def update_holding(
    conn: Connection, user_id: int, portfolio_id: int, holding_id: int, values: dict[str, Any]
) -> dict[str, Any] | None:
    current = get_holding(conn, user_id, portfolio_id, holding_id)
    if current is None:
        return None
    conn.execute(
        portfolio_holdings.update()
        .where(portfolio_holdings.c.id == holding_id)
        .values(**values, updated_at=sa.func.now())
    )
    _changed(conn, user_id, portfolio_id, "holding_updated", holdings=True, symbol=current["symbol"])
    return get_holding(conn, user_id, portfolio_id, holding_id)


def delete_holding(conn: Connection, user_id: int, portfolio_id: int, holding_id: int) -> bool:
    current = get_holding(conn, user_id, portfolio_id, holding_id)
    if current is None:
        return False
    conn.execute(portfolio_holdings.delete().where(portfolio_holdings.c.id == holding_id))
    _changed(conn, user_id, portfolio_id, "holding_deleted", holdings=True, symbol=current["symbol"])
    return True


def import_holdings(
    conn: Connection, user_id: int, portfolio_id: int, entries: list[tuple[str, Decimal, Decimal | None]]
) -> dict[str, int] | None:
    """Upsert ``(symbol, quantity, cost_basis)`` rows (already validated) in one statement.

    Returns counts of created and updated holdings; None when the portfolio is not the user's.
    """
    if not owns(conn, user_id, portfolio_id):
        return None
    ids = asset_ids(conn, [e[0] for e in entries])
    stmt = insert(portfolio_holdings).values(
        [
            {
                "portfolio_id": portfolio_id,
                "asset_id": ids[s],
                "quantity": q,
                "cost_basis": c,
                "source": "csv",
            }
            for s, q, c in entries
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["portfolio_id", "asset_id"],
        set_={
            "quantity": stmt.excluded.quantity,
            "cost_basis": stmt.excluded.cost_basis,
            "source": stmt.excluded.source,
            "updated_at": sa.func.now(),
        },
    ).returning(sa.literal_column("xmax = 0").label("created"))
    created = sum(1 for (c,) in conn.execute(stmt) if c)
    _changed(conn, user_id, portfolio_id, "holdings_imported", holdings=True, rows=len(entries))
    return {"created": created, "updated": len(entries) - created}


# --- wallets -----------------------------------------------------------------------------------------


def list_wallets(conn: Connection, user_id: int, portfolio_id: int, *, limit: int, offset: int) -> Page | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    query = sa.select(*WALLET_COLUMNS).where(wallets.c.portfolio_id == portfolio_id).order_by(wallets.c.id)
    return paged(conn, query, limit=limit, offset=offset)


def link_wallet(
    conn: Connection, user_id: int, portfolio_id: int, address: str, chain_id: int, label: str | None
) -> dict[str, Any] | None:
    if not owns(conn, user_id, portfolio_id):
        return None
    stmt = (
        insert(wallets)
        .values(portfolio_id=portfolio_id, address=address, chain_id=chain_id, label=label)
        .on_conflict_do_nothing(index_elements=["portfolio_id", "chain_id", "address"])
        .returning(*WALLET_COLUMNS)
    )
    row = one(conn.execute(stmt))
    if row is None:
        raise Conflict("address", f"wallet {address} is already linked to this portfolio")
    _changed(conn, user_id, portfolio_id, "wallet_linked", holdings=True, address=address, chain_id=chain_id)
    return row


def unlink_wallet(conn: Connection, user_id: int, portfolio_id: int, wallet_id: int) -> bool:
    if not owns(conn, user_id, portfolio_id):
        return False
    stmt = wallets.delete().where(wallets.c.id == wallet_id, wallets.c.portfolio_id == portfolio_id)
    address = conn.execute(stmt.returning(wallets.c.address)).scalar()
    if address is None:
        return False
    _changed(conn, user_id, portfolio_id, "wallet_unlinked", holdings=True, address=address)
    return True


# --- summary ------------------------------------------------------------------------------------------


def summary(conn: Connection, user_id: int, portfolio_id: int) -> dict[str, Any] | None:
    """Value at the latest known price of each asset, P&L against cost basis, allocation.

    A holding without any price has ``value = None`` and is left out of the total (its symbol is
    listed in ``unpriced``); P&L covers only holdings with both a price and a cost basis.
    """
    portfolio = get_portfolio(conn, user_id, portfolio_id)
    if portfolio is None:
        return None
    latest = (
        sa.select(price_history.c.price, price_history.c.time)
        .where(price_history.c.asset_id == portfolio_holdings.c.asset_id)
        .order_by(price_history.c.time.desc())
        .limit(1)
        .lateral("latest")
    )
    stmt = (
        sa.select(
            crypto_assets.c.symbol,
            sa.func.trim_scale(portfolio_holdings.c.quantity).label("quantity"),
            sa.func.trim_scale(portfolio_holdings.c.cost_basis).label("cost_basis"),
            latest.c.price,
            latest.c.time.label("price_time"),
        )
        .select_from(
            portfolio_holdings.join(crypto_assets, crypto_assets.c.id == portfolio_holdings.c.asset_id).outerjoin(
                latest, sa.true()
            )
        )
        .where(portfolio_holdings.c.portfolio_id == portfolio_id)
        .order_by(crypto_assets.c.symbol)
    )
    positions = rows(conn.execute(stmt))
    for p in positions:
        p["value"] = float(p["quantity"]) * p["price"] if p["price"] is not None else None
    priced = [p for p in positions if p["value"] is not None]
    total = sum(p["value"] for p in priced)
    costed = [p for p in priced if p["cost_basis"] is not None]
    cost = sum(float(p["cost_basis"]) for p in costed)
    for p in positions:
        p["weight"] = p["value"] / total if p["value"] is not None and total > 0 else None
        costed_here = p["value"] is not None and p["cost_basis"] is not None
        p["pnl"] = p["value"] - float(p["cost_basis"]) if costed_here else None
    return {
        "portfolio_id": portfolio_id,
        "base_currency": portfolio["base_currency"],
        "value": total if priced or not positions else None,
        "cost_basis": cost if costed else None,
        "pnl": sum(p["value"] for p in costed) - cost if costed else None,
        "pnl_pct": (sum(p["value"] for p in costed) - cost) / cost if costed and cost > 0 else None,
        "as_of": max((p["price_time"] for p in priced), default=None),
        "positions": positions,
        "unpriced": [p["symbol"] for p in positions if p["value"] is None],
    }


def owners(conn: Connection, portfolio_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(portfolio id, owner's user id) of ``portfolio_ids``, in id order."""
    if not portfolio_ids:
        return []
    query = sa.select(portfolios.c.id, portfolios.c.user_id).where(portfolios.c.id.in_(list(portfolio_ids)))
    return [tuple(r) for r in conn.execute(query.order_by(portfolios.c.id))]
