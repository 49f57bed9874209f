"""sessions: refresh tokens carry their login's family id; the outbox gets a ``sessions`` channel

A login starts a family of refresh tokens (each rotation keeps it) and every access token names
its family (``sid``). Logout and password change revoke whole families and publish them on the
``sessions`` channel, so every serving process refuses those access tokens at once instead of
when they expire.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BEFORE = ("price_updates", "portfolio_updates", "risk_metrics_updates", "alerts", "holdings_changed")
_AFTER = (*_BEFORE, "sessions")


def _channel_check(channels: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_event_outbox_channel"), "event_outbox", type_="check")
    op.create_check_constraint(
        op.f("ck_event_outbox_channel"), "event_outbox", "channel IN (" + ", ".join(f"'{c}'" for c in channels) + ")"
    )


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("family", sa.Text(), nullable=True))
    # Tokens issued before this revision: each is a family of its own.
    op.execute("UPDATE refresh_tokens SET family = 'legacy-' || id::text")
    op.alter_column("refresh_tokens", "family", nullable=False)
    op.create_index("ix_refresh_tokens_family", "refresh_tokens", ["family"], unique=False)
    _channel_check(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM event_outbox WHERE channel = 'sessions'")
    _channel_check(_BEFORE)
    op.drop_index("ix_refresh_tokens_family", table_name="refresh_tokens")
    op.drop_column("refresh_tokens", "family")
