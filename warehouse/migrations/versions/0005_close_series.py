"""the monthly close series (``price_closes_1mo``): each asset's daily closes of a month, packed

A continuous aggregate over ``price_ohlcv_1d`` with TimescaleDB, a plain view without; see
``warehouse.timescale.create_close_series``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from warehouse import timescale

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    timescale.create_close_series(op.get_bind())


def downgrade() -> None:
    timescale.drop_close_series(op.get_bind())
