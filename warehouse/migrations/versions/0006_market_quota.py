"""live market data: monthly provider call counters, quarantined price points, quota in health

- ``provider_quota``: calls per provider credential and month, counted before each call;
- ``price_quarantine``: provider points refused as prices, with the reason;
- ``provider_health`` gains the quota figures of each probe.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "provider_quota",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("calls >= 0", name=op.f("ck_provider_quota_calls_non_negative")),
        sa.PrimaryKeyConstraint("key", "period", name=op.f("pk_provider_quota")),
    )
    op.create_table(
        "price_quarantine",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("time", TZ, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("price", sa.Float(precision=53), nullable=False, comment="USD, as sent"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detected_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "time", "source", name=op.f("pk_price_quarantine")),
    )
    op.create_index(op.f("ix_price_quarantine_time"), "price_quarantine", ["time"], unique=False)
    op.add_column("provider_health", sa.Column("quota_used", sa.Integer(), nullable=True,
                                               comment="calls counted this quota period (month)"))
    op.add_column("provider_health", sa.Column("quota_limit", sa.Integer(), nullable=True,
                                               comment="calls the plan allows in the period; NULL: unlimited"))
    op.add_column("provider_health", sa.Column("quota_period", sa.Text(), nullable=True,
                                               comment="the period counted, e.g. 2026-12"))


def downgrade() -> None:
    for column in ("quota_period", "quota_limit", "quota_used"):
        op.drop_column("provider_health", column)
    op.drop_index(op.f("ix_price_quarantine_time"), table_name="price_quarantine")
    op.drop_table("price_quarantine")
    op.drop_table("provider_quota")
