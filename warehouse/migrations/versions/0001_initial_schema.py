"""initial schema: every table of the product (plain PostgreSQL; Timescale comes in 0003)

Revision ID: 0001
Revises:
Create Date: 2026-11-24 01:28:17.102474
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from warehouse.models import PRICE_HISTORY_RESTRICT_FUNCTION, PRICE_HISTORY_RESTRICT_TRIGGER

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crypto_assets",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("coingecko_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_stablecoin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("market_cap_rank", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "symbol = upper(symbol) AND symbol ~ '^[A-Z0-9.]{1,15}$'",
            name=op.f("ck_crypto_assets_symbol_format"),
        ),
        sa.CheckConstraint(
            "market_cap_rank IS NULL OR market_cap_rank > 0", name=op.f("ck_crypto_assets_rank_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crypto_assets")),
        sa.UniqueConstraint("coingecko_id", name=op.f("uq_crypto_assets_coingecko_id")),
        sa.UniqueConstraint("symbol", name=op.f("uq_crypto_assets_symbol")),
    )
    op.create_table(
        "event_outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("partition_key", sa.Text(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True, comment="set for user-scoped channels; NULL = public"),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('price_updates', 'portfolio_updates', 'risk_metrics_updates', 'alerts', 'holdings_changed')",
            name=op.f("ck_event_outbox_channel"),
        ),
        sa.CheckConstraint("pg_column_size(payload) <= 8000", name=op.f("ck_event_outbox_payload_small")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_outbox")),
    )
    op.create_index("ix_event_outbox_created_at", "event_outbox", ["created_at"], unique=False)
    op.create_table(
        "global_market",
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_market_cap_usd", sa.Float(precision=53), nullable=True),
        sa.Column("total_volume_usd", sa.Float(precision=53), nullable=True),
        sa.Column("btc_dominance_pct", sa.Float(precision=53), nullable=True),
        sa.Column("eth_dominance_pct", sa.Float(precision=53), nullable=True),
        sa.Column("market_cap_change_pct_24h", sa.Float(precision=53), nullable=True),
        sa.Column("active_cryptocurrencies", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("time", name=op.f("pk_global_market")),
    )
    op.create_table(
        "news_articles",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overall_score", sa.Float(precision=53), nullable=True),
        sa.Column("overall_label", sa.Text(), nullable=True),
        sa.Column("topics", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_news_articles_url")),
    )
    op.create_index("ix_news_articles_published_at", "news_articles", ["published_at"], unique=False)
    op.create_table(
        "provider_health",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(precision=53), nullable=True),
        sa.Column(
            "error_rate",
            sa.Float(precision=53),
            nullable=True,
            comment="share of failed calls over the recent window, 0..1",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_health")),
    )
    op.create_index(
        "ix_provider_health_provider_checked_at",
        "provider_health",
        ["provider", sa.literal_column("checked_at DESC")],
        unique=False,
    )
    op.create_table(
        "rate_limit_buckets",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Float(precision=53), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_buckets")),
    )
    op.create_table(
        "response_cache",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_response_cache")),
    )
    op.create_index("ix_response_cache_expires_at", "response_cache", ["expires_at"], unique=False)
    op.create_table(
        "trending_coins",
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("coingecko_id", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("market_cap_rank", sa.Integer(), nullable=True),
        sa.Column("price_btc", sa.Float(precision=53), nullable=True),
        sa.Column("score", sa.Float(precision=53), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("rank >= 0", name=op.f("ck_trending_coins_rank_non_negative")),
        sa.PrimaryKeyConstraint("time", "rank", name=op.f("pk_trending_coins")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "email = lower(email) AND position('@' in email) > 1", name=op.f("ck_users_email_normalized")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "wallet_balances",
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("token_address", sa.Text(), nullable=False, comment="'' for the chain's native coin"),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column(
            "balance",
            sa.Numeric(precision=38, scale=18),
            nullable=False,
            comment="in whole tokens (decimals applied)",
        ),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_wallet_balances_balance_non_negative")),
        sa.PrimaryKeyConstraint("chain_id", "address", "token_address", "time", name=op.f("pk_wallet_balances")),
    )
    op.create_table(
        "wallet_transactions",
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False, comment="the tracked wallet"),
        sa.Column("tx_hash", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("log_index", sa.Integer(), server_default=sa.text("-1"), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_address", sa.Text(), nullable=False),
        sa.Column("to_address", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "value",
            sa.Numeric(precision=38, scale=18),
            nullable=False,
            comment="whole tokens (decimals applied)",
        ),
        sa.Column("token_address", sa.Text(), server_default="", nullable=False),
        sa.Column("token_symbol", sa.Text(), nullable=True),
        sa.Column("token_decimals", sa.SmallInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("is_error", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint("kind IN ('normal', 'internal', 'erc20')", name=op.f("ck_wallet_transactions_kind")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_wallet_transactions_value_non_negative")),
        sa.PrimaryKeyConstraint(
            "chain_id", "address", "tx_hash", "kind", "log_index", name=op.f("pk_wallet_transactions")
        ),
    )
    op.create_index(
        "ix_wallet_transactions_address_block",
        "wallet_transactions",
        ["chain_id", "address", "block_number"],
        unique=False,
    )
    op.create_table(
        "market_snapshots",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price", sa.Float(precision=53), nullable=False),
        sa.Column("market_cap", sa.Float(precision=53), nullable=True),
        sa.Column("market_cap_rank", sa.Integer(), nullable=True),
        sa.Column("total_volume", sa.Float(precision=53), nullable=True),
        sa.Column("price_change_pct_24h", sa.Float(precision=53), nullable=True),
        sa.Column("circulating_supply", sa.Float(precision=53), nullable=True),
        sa.Column("ath", sa.Float(precision=53), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_market_snapshots_price_positive")),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["crypto_assets.id"],
            name=op.f("fk_market_snapshots_asset_id_crypto_assets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("asset_id", "time", name=op.f("pk_market_snapshots")),
    )
    op.create_index("ix_market_snapshots_time", "market_snapshots", ["time"], unique=False)
    op.create_table(
        "news_sentiment",
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relevance", sa.Float(precision=53), nullable=False),
        sa.Column("score", sa.Float(precision=53), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.CheckConstraint("relevance >= 0 AND relevance <= 1", name=op.f("ck_news_sentiment_relevance_range")),
        sa.CheckConstraint("score >= -1 AND score <= 1", name=op.f("ck_news_sentiment_score_range")),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["news_articles.id"],
            name=op.f("fk_news_sentiment_article_id_news_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["crypto_assets.id"],
            name=op.f("fk_news_sentiment_asset_id_crypto_assets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("article_id", "asset_id", name=op.f("pk_news_sentiment")),
    )
    op.create_index("ix_news_sentiment_asset_published", "news_sentiment", ["asset_id", "published_at"], unique=False)
    op.create_table(
        "portfolios",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("base_currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 100", name=op.f("ck_portfolios_name_length")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portfolios_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolios")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_portfolios_user_id_name")),
    )
    op.create_table(
        "price_history",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price", sa.Float(precision=53), nullable=False, comment="USD"),
        sa.Column("market_cap", sa.Float(precision=53), nullable=True, comment="USD"),
        sa.Column("volume_24h", sa.Float(precision=53), nullable=True, comment="USD"),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("price > 0 AND price < 'Infinity'::float8", name=op.f("ck_price_history_price_positive")),
        sa.CheckConstraint(
            "source IN ('coingecko', 'simulated', 'alphavantage', 'import')",
            name=op.f("ck_price_history_source"),
        ),
        sa.CheckConstraint(
            "market_cap IS NULL OR market_cap >= 0", name=op.f("ck_price_history_market_cap_non_negative")
        ),
        sa.CheckConstraint("volume_24h IS NULL OR volume_24h >= 0", name=op.f("ck_price_history_volume_non_negative")),
        sa.PrimaryKeyConstraint("asset_id", "time", name=op.f("pk_price_history")),
    )
    op.create_index("ix_price_history_time", "price_history", ["time"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "risk_metrics",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column(
            "time",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="as-of: end of the day the metrics describe",
        ),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("volatility_30d", sa.Float(precision=53), nullable=True),
        sa.Column("volatility_90d", sa.Float(precision=53), nullable=True),
        sa.Column("volatility_365d", sa.Float(precision=53), nullable=True),
        sa.Column("sharpe", sa.Float(precision=53), nullable=True),
        sa.Column("sortino", sa.Float(precision=53), nullable=True),
        sa.Column("max_drawdown", sa.Float(precision=53), nullable=True),
        sa.Column("current_drawdown", sa.Float(precision=53), nullable=True),
        sa.Column("var_95", sa.Float(precision=53), nullable=True),
        sa.Column("var_99", sa.Float(precision=53), nullable=True),
        sa.Column("es_95", sa.Float(precision=53), nullable=True),
        sa.Column("es_99", sa.Float(precision=53), nullable=True),
        sa.Column("var_95_parametric", sa.Float(precision=53), nullable=True),
        sa.Column("var_95_cornish_fisher", sa.Float(precision=53), nullable=True),
        sa.Column("beta_btc", sa.Float(precision=53), nullable=True),
        sa.Column("beta_market", sa.Float(precision=53), nullable=True),
        sa.Column(
            "null_reasons",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("window_days > 1", name=op.f("ck_risk_metrics_window_positive")),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["crypto_assets.id"],
            name=op.f("fk_risk_metrics_asset_id_crypto_assets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("asset_id", "time", name=op.f("pk_risk_metrics")),
    )
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("risk_tolerance", sa.Text(), server_default="moderate", nullable=False),
        sa.Column("base_currency", sa.Text(), server_default="USD", nullable=False),
        sa.Column(
            "alert_channels",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[\"in_app\"]'::jsonb"),
            nullable=False,
        ),
        sa.Column("max_weight", sa.Float(precision=53), server_default=sa.text("0.4"), nullable=False),
        sa.Column("stablecoin_floor", sa.Float(precision=53), server_default=sa.text("0.0"), nullable=False),
        sa.Column("turnover_limit", sa.Float(precision=53), server_default=sa.text("1.0"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("base_currency ~ '^[A-Z]{3,5}$'", name=op.f("ck_user_settings_base_currency")),
        sa.CheckConstraint(
            "risk_tolerance IN ('conservative', 'moderate', 'aggressive')",
            name=op.f("ck_user_settings_risk_tolerance"),
        ),
        sa.CheckConstraint("max_weight > 0 AND max_weight <= 1", name=op.f("ck_user_settings_max_weight")),
        sa.CheckConstraint(
            "stablecoin_floor >= 0 AND stablecoin_floor <= 1", name=op.f("ck_user_settings_stablecoin_floor")
        ),
        sa.CheckConstraint("turnover_limit >= 0 AND turnover_limit <= 2", name=op.f("ck_user_settings_turnover_limit")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_settings")),
    )
    op.create_table(
        "ai_insights",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "structured",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "facts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("facts_hash", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False, comment="'openai' (any compatible server) or 'offline'"),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("prompt_version", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('weekly_analysis', 'rebalancing', 'market_sentiment', 'risk_alert_explanation', 'personalized_recommendation')",
            name=op.f("ck_ai_insights_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_ai_insights_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_insights_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_insights")),
        sa.UniqueConstraint(
            "portfolio_id",
            "kind",
            "as_of",
            name=op.f("uq_ai_insights_portfolio_id_kind_as_of"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        "ix_ai_insights_portfolio_created",
        "ai_insights",
        ["portfolio_id", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=True),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Float(precision=53), nullable=False),
        sa.Column(
            "params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "is_triggered",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
            comment="state for fire-once-per-crossing",
        ),
        sa.Column("last_evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('price_move', 'price_above', 'price_below', 'var_breach', 'drawdown', 'concentration', 'volatility_regime')",
            name=op.f("ck_alert_rules_kind"),
        ),
        sa.CheckConstraint("portfolio_id IS NOT NULL OR asset_id IS NOT NULL", name=op.f("ck_alert_rules_has_subject")),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["crypto_assets.id"],
            name=op.f("fk_alert_rules_asset_id_crypto_assets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_alert_rules_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_rules_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_index("ix_alert_rules_user_id", "alert_rules", ["user_id"], unique=False)
    op.create_table(
        "correlation_matrices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("symbols", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "matrix",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="row-major Pearson coefficients; null where undefined",
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_correlation_matrices_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_matrices")),
        sa.UniqueConstraint(
            "portfolio_id",
            "time",
            "window_days",
            name=op.f("uq_correlation_matrices_portfolio_id_time_window_days"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "portfolio_holdings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=38, scale=18), nullable=False),
        sa.Column(
            "cost_basis",
            sa.Numeric(precision=38, scale=10),
            nullable=True,
            comment="total cost of the position in the base currency",
        ),
        sa.Column("source", sa.Text(), server_default="manual", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("source IN ('manual', 'csv', 'wallet')", name=op.f("ck_portfolio_holdings_source")),
        sa.CheckConstraint(
            "cost_basis IS NULL OR cost_basis >= 0",
            name=op.f("ck_portfolio_holdings_cost_basis_non_negative"),
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_portfolio_holdings_quantity_non_negative")),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["crypto_assets.id"],
            name=op.f("fk_portfolio_holdings_asset_id_crypto_assets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_holdings_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_holdings")),
        sa.UniqueConstraint("portfolio_id", "asset_id", name=op.f("uq_portfolio_holdings_portfolio_id_asset_id")),
    )
    op.create_index("ix_portfolio_holdings_asset_id", "portfolio_holdings", ["asset_id"], unique=False)
    op.create_table(
        "portfolio_risk_metrics",
        sa.Column("portfolio_id", sa.BigInteger(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("value_usd", sa.Float(precision=53), nullable=True),
        sa.Column("volatility_30d", sa.Float(precision=53), nullable=True),
        sa.Column("volatility_90d", sa.Float(precision=53), nullable=True),
        sa.Column("volatility_365d", sa.Float(precision=53), nullable=True),
        sa.Column("sharpe", sa.Float(precision=53), nullable=True),
        sa.Column("sortino", sa.Float(precision=53), nullable=True),
        sa.Column("max_drawdown", sa.Float(precision=53), nullable=True),
        sa.Column("current_drawdown", sa.Float(precision=53), nullable=True),
        sa.Column("var_95", sa.Float(precision=53), nullable=True),
        sa.Column("var_99", sa.Float(precision=53), nullable=True),
        sa.Column("es_95", sa.Float(precision=53), nullable=True),
        sa.Column("es_99", sa.Float(precision=53), nullable=True),
        sa.Column("var_95_parametric", sa.Float(precision=53), nullable=True),
        sa.Column("var_95_cornish_fisher", sa.Float(precision=53), nullable=True),
        sa.Column("beta_btc", sa.Float(precision=53), nullable=True),
        sa.Column("beta_market", sa.Float(precision=53), nullable=True),
        sa.Column("hhi", sa.Float(precision=53), nullable=True),
        sa.Column("effective_holdings", sa.Float(precision=53), nullable=True),
        sa.Column(
            "risk_score",
            sa.Float(precision=53),
            nullable=True,
            comment="1 (lowest risk) .. 10, two decimals; components in score_components",
        ),
        sa.Column(
            "score_components",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "contributions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "stress",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "backtest",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "null_reasons",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("hhi IS NULL OR (hhi > 0 AND hhi <= 1)", name=op.f("ck_portfolio_risk_metrics_hhi_range")),
        sa.CheckConstraint(
            "risk_score IS NULL OR risk_score BETWEEN 1 AND 10",
            name=op.f("ck_portfolio_risk_metrics_risk_score_range"),
        ),
        sa.CheckConstraint("window_days > 1", name=op.f("ck_portfolio_risk_metrics_window_positive")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_risk_metrics_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("portfolio_id", "time", name=op.f("pk_portfolio_risk_metrics")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_reports_period_order")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_reports_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("portfolio_id", "period_end", name=op.f("uq_reports_portfolio_id_period_end")),
    )
    op.create_table(
        "wallets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("address ~ '^0x[0-9a-f]{40}$'", name=op.f("ck_wallets_address_format")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_wallets_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallets")),
        sa.UniqueConstraint(
            "portfolio_id", "chain_id", "address", name=op.f("uq_wallets_portfolio_id_chain_id_address")
        ),
    )
    op.create_index("ix_wallets_chain_id_address", "wallets", ["chain_id", "address"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("rule_id", sa.BigInteger(), nullable=True),
        sa.Column("portfolio_id", sa.BigInteger(), nullable=True),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("triggered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f("ck_alerts_severity")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_alerts_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_alerts_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        "ix_alerts_user_triggered",
        "alerts",
        ["user_id", sa.literal_column("triggered_at DESC")],
        unique=False,
    )

    # price_history.asset_id -> crypto_assets.id, RESTRICT, without a per-row FK trigger (see
    # warehouse.models.PRICE_HISTORY_REFERENCE): writers check each batch once; deletes check here.
    op.execute(PRICE_HISTORY_RESTRICT_FUNCTION)
    op.execute(PRICE_HISTORY_RESTRICT_TRIGGER)
    # Cache and rate-limit state are disposable: skip the WAL.
    op.execute("ALTER TABLE response_cache SET UNLOGGED")
    op.execute("ALTER TABLE rate_limit_buckets SET UNLOGGED")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS crypto_assets_restrict_price_history ON crypto_assets")
    op.execute("DROP FUNCTION IF EXISTS crypto_assets_restrict_price_history()")
    op.drop_index("ix_alerts_user_triggered", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_wallets_chain_id_address", table_name="wallets")
    op.drop_table("wallets")
    op.drop_table("reports")
    op.drop_table("portfolio_risk_metrics")
    op.drop_index("ix_portfolio_holdings_asset_id", table_name="portfolio_holdings")
    op.drop_table("portfolio_holdings")
    op.drop_table("correlation_matrices")
    op.drop_index("ix_alert_rules_user_id", table_name="alert_rules")
    op.drop_table("alert_rules")
    op.drop_index("ix_ai_insights_portfolio_created", table_name="ai_insights")
    op.drop_table("ai_insights")
    op.drop_table("user_settings")
    op.drop_table("risk_metrics")
    op.drop_index("ix_refresh_tokens_user_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index("ix_price_history_time", table_name="price_history")
    op.drop_table("price_history")
    op.drop_table("portfolios")
    op.drop_index("ix_news_sentiment_asset_published", table_name="news_sentiment")
    op.drop_table("news_sentiment")
    op.drop_index("ix_market_snapshots_time", table_name="market_snapshots")
    op.drop_table("market_snapshots")
    op.drop_index("ix_wallet_transactions_address_block", table_name="wallet_transactions")
    op.drop_table("wallet_transactions")
    op.drop_table("wallet_balances")
    op.drop_table("users")
    op.drop_table("trending_coins")
    op.drop_index("ix_response_cache_expires_at", table_name="response_cache")
    op.drop_table("response_cache")
    op.drop_table("rate_limit_buckets")
    op.drop_index("ix_provider_health_provider_checked_at", table_name="provider_health")
    op.drop_table("provider_health")
    op.drop_index("ix_news_articles_published_at", table_name="news_articles")
    op.drop_table("news_articles")
    op.drop_table("global_market")
    op.drop_index("ix_event_outbox_created_at", table_name="event_outbox")
    op.drop_table("event_outbox")
    op.drop_table("crypto_assets")
