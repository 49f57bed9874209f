"""Alert rules (user-owned), alerts (read and acknowledge) and user settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import alert_rules, alerts, crypto_assets, user_settings
from warehouse.queries import Page, one, paged
from warehouse.queries.portfolios import asset_ids, owns


class UnknownPortfolio(ValueError):
    """A rule names a portfolio the user does not own (or that does not exist)."""


RULE_COLUMNS = (
    alert_rules.c.id,
    alert_rules.c.portfolio_id,
    crypto_assets.c.symbol,
    alert_rules.c.kind,
    alert_rules.c.threshold,
    alert_rules.c.params,
    alert_rules.c.is_active,
    alert_rules.c.is_triggered,
    alert_rules.c.last_evaluated_at,
    alert_rules.c.created_at,
    alert_rules.c.updated_at,
)
ALERT_COLUMNS = (
    alerts.c.id,
    alerts.c.rule_id,
    alerts.c.portfolio_id,
    alerts.c.severity,
    alerts.c.kind,
    alerts.c.title,
    alerts.c.message,
    alerts.c.data,
    alerts.c.triggered_at,
    alerts.c.acknowledged_at,
)
SETTINGS_COLUMNS = (
    user_settings.c.risk_tolerance,
    user_settings.c.base_currency,
    user_settings.c.alert_channels,
    user_settings.c.max_weight,
    user_settings.c.stablecoin_floor,
    user_settings.c.turnover_limit,
    user_settings.c.updated_at,
)


def _rules(user_id: int) -> sa.Select:
    return (
        sa.select(*RULE_COLUMNS)
        .select_from(alert_rules.outerjoin(crypto_assets, crypto_assets.c.id == alert_rules.c.asset_id))
        .where(alert_rules.c.user_id == user_id)
    )


def list_rules(conn: Connection, user_id: int, *, limit: int, offset: int) -> Page:
    return paged(conn, _rules(user_id).order_by(alert_rules.c.id), limit=limit, offset=offset)


def get_rule(conn: Connection, user_id: int, rule_id: int) -> dict[str, Any] | None:
    return one(conn.execute(_rules(user_id).where(alert_rules.c.id == rule_id)))


def _subject(conn: Connection, user_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Resolve ``symbol`` to ``asset_id`` and check the portfolio is the user's."""
    values = dict(values)
    if values.get("portfolio_id") is not None and not owns(conn, user_id, values["portfolio_id"]):
        raise UnknownPortfolio(values["portfolio_id"])
    if "symbol" in values:
        symbol = values.pop("symbol")
        values["asset_id"] = asset_ids(conn, [symbol])[symbol] if symbol is not None else None
    return values


def create_rule(conn: Connection, user_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Raises ``UnknownPortfolio`` / ``UnknownSymbols`` for a subject the user cannot use."""
    rule_id = conn.execute(
        alert_rules.insert().values(user_id=user_id, **_subject(conn, user_id, values)).returning(alert_rules.c.id)
    ).scalar_one()
    row = get_rule(conn, user_id, rule_id)
    assert row is not None
    return row


def update_rule(conn: Connection, user_id: int, rule_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
    if get_rule(conn, user_id, rule_id) is None:
        return None
    conn.execute(
        alert_rules.update()
        .where(alert_rules.c.id == rule_id, alert_rules.c.user_id == user_id)
        .values(**_subject(conn, user_id, values), updated_at=sa.func.now())
    )
    return get_rule(conn, user_id, rule_id)


def delete_rule(conn: Connection, user_id: int, rule_id: int) -> bool:
    stmt = alert_rules.delete().where(alert_rules.c.id == rule_id, alert_rules.c.user_id == user_id)
    return conn.execute(stmt).rowcount > 0


def list_alerts(conn: Connection, user_id: int, *, acknowledged: bool | None, limit: int, offset: int) -> Page:
    query = (
        sa.select(*ALERT_COLUMNS)
        .where(alerts.c.user_id == user_id)
        .order_by(alerts.c.triggered_at.desc(), alerts.c.id.desc())
    )
    if acknowledged is not None:
        query = query.where(
            alerts.c.acknowledged_at.isnot(None) if acknowledged else alerts.c.acknowledged_at.is_(None)
        )
    return paged(conn, query, limit=limit, offset=offset)


def acknowledge(conn: Connection, user_id: int, alert_id: int) -> dict[str, Any] | None:
    """Mark acknowledged (the first acknowledgement's time is kept)."""
    conn.execute(
        alerts.update()
        .where(alerts.c.id == alert_id, alerts.c.user_id == user_id, alerts.c.acknowledged_at.is_(None))
        .values(acknowledged_at=sa.func.now())
    )
    return one(conn.execute(sa.select(*ALERT_COLUMNS).where(alerts.c.id == alert_id, alerts.c.user_id == user_id)))


def get_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    """The user's settings; the column defaults when never saved."""
    row = one(conn.execute(sa.select(*SETTINGS_COLUMNS).where(user_settings.c.user_id == user_id)))
    if row is not None:
        return row
    # Insert the defaults so the answer comes from one place (the schema), then read them back.
    conn.execute(insert(user_settings).values(user_id=user_id).on_conflict_do_nothing())
    row = one(conn.execute(sa.select(*SETTINGS_COLUMNS).where(user_settings.c.user_id == user_id)))
    assert row is not None
    return row


def put_settings(conn: Connection, user_id: int, values: dict[str, Any]) -> dict[str, Any]:
    stmt = insert(user_settings).values(user_id=user_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_={**values, "updated_at": sa.func.now()})
    conn.execute(stmt)
    return get_settings(conn, user_id)
