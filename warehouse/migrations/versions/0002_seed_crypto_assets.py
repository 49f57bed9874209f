"""seed crypto_assets with the top coins so a fresh database accepts common symbols

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A frozen copy would drift from warehouse.seed; the seed list only ever grows, and the insert
# skips symbols already present, so re-running it on newer code is harmless.
from warehouse.seed import TOP_ASSETS  # noqa: E402


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "INSERT INTO crypto_assets (symbol, coingecko_id, name, is_stablecoin, category, market_cap_rank) "
            "VALUES (:symbol, :cg, :name, :stable, :category, :rank) ON CONFLICT DO NOTHING"
        ),
        [
            {"symbol": s, "cg": cg, "name": n, "stable": st, "category": c, "rank": i + 1}
            for i, (s, cg, n, st, c) in enumerate(TOP_ASSETS)
        ],
    )


def downgrade() -> None:
    op.get_bind().execute(
        sa.text("DELETE FROM crypto_assets WHERE symbol = ANY(:symbols)"),
        {"symbols": [row[0] for row in TOP_ASSETS]},
    )
