"""TimescaleDB: hypertables, compression, retention, OHLCV continuous aggregates (or plain views)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from warehouse import timescale

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if timescale.should_enable(conn):
        timescale.enable(conn)
    else:
        timescale.create_plain_rollups(conn)


def downgrade() -> None:
    # Hypertables stay hypertables (Timescale cannot convert back in place); 0001's downgrade
    # drops them. Policies and rollups go, so a re-upgrade recreates them cleanly.
    conn = op.get_bind()
    timescale.drop_rollups(conn)
    if timescale.features_enabled(conn):
        timescale.remove_policies(conn)
