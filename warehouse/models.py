"""The warehouse schema as SQLAlchemy Core metadata.

Alembic migrations create exactly these tables (a test compares them); TimescaleDB specifics
(hypertables, compression, continuous aggregates, policies) live in ``warehouse.timescale`` and
are applied by migrations only when the extension is available.

Conventions:
- time columns are ``timestamptz`` named ``time`` in time-series tables (Timescale's habit);
- prices and metrics are ``double precision`` (the math is float64); quantities and cost basis are
  ``numeric`` because users type them and expect them back exactly;
- ON DELETE is deliberate: user-owned rows cascade from the user, portfolio rows from the
  portfolio; reference data (``crypto_assets``) is RESTRICTed so history is never orphaned.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")
QUANTITY = sa.Numeric(38, 18)
MONEY = sa.Numeric(38, 10)
F = sa.Float(precision=53)


def _created() -> sa.Column:
    return sa.Column("created_at", TZ, nullable=False, server_default=NOW)


def _updated() -> sa.Column:
    return sa.Column("updated_at", TZ, nullable=False, server_default=NOW)


def _user_fk(nullable: bool = False) -> sa.Column:
    return sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


def _portfolio_fk(nullable: bool = False) -> sa.Column:
    return sa.Column(
        "portfolio_id",
        sa.BigInteger,
        sa.ForeignKey("portfolios.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def _asset_fk(nullable: bool = False) -> sa.Column:
    return sa.Column("asset_id", sa.Integer, sa.ForeignKey("crypto_assets.id", ondelete="RESTRICT"), nullable=nullable)


# --- users and what they own -------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("display_name", sa.Text),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    _updated(),
    sa.CheckConstraint("email = lower(email) AND position('@' in email) > 1", name="email_normalized"),
    sa.UniqueConstraint("email"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _user_fk(),
    sa.Column("token_hash", sa.Text, nullable=False),
    # The login this token descends from (rotation keeps it); access tokens carry it as ``sid``.
    sa.Column("family", sa.Text, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
    sa.Column("revoked_at", TZ),
    _created(),
    sa.UniqueConstraint("token_hash"),
    sa.Index("ix_refresh_tokens_user_id", "user_id"),
    sa.Index("ix_refresh_tokens_family", "family"),
)

user_settings = sa.Table(
    "user_settings",
    metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("risk_tolerance", sa.Text, nullable=False, server_default="moderate"),
    sa.Column("base_currency", sa.Text, nullable=False, server_default="USD"),
    sa.Column("alert_channels", JSONB, nullable=False, server_default=sa.text("""'["in_app"]'::jsonb""")),
    sa.Column("max_weight", F, nullable=False, server_default=sa.text("0.4")),
    sa.Column("stablecoin_floor", F, nullable=False, server_default=sa.text("0.0")),
    sa.Column("turnover_limit", F, nullable=False, server_default=sa.text("1.0")),
    _updated(),
    sa.CheckConstraint("risk_tolerance IN ('conservative', 'moderate', 'aggressive')", name="risk_tolerance"),
    sa.CheckConstraint("base_currency ~ '^[A-Z]{3,5}$'", name="base_currency"),
    sa.CheckConstraint("max_weight > 0 AND max_weight <= 1", name="max_weight"),
    sa.CheckConstraint("stablecoin_floor >= 0 AND stablecoin_floor <= 1", name="stablecoin_floor"),
    sa.CheckConstraint("turnover_limit >= 0 AND turnover_limit <= 2", name="turnover_limit"),
)

# --- reference data ------------------------------------------------------------------------------

crypto_assets = sa.Table(
    "crypto_assets",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("coingecko_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("is_stablecoin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("category", sa.Text),
    sa.Column("market_cap_rank", sa.Integer),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    _updated(),
    sa.CheckConstraint("symbol = upper(symbol) AND symbol ~ '^[A-Z0-9.]{1,15}$'", name="symbol_format"),
    sa.CheckConstraint("market_cap_rank IS NULL OR market_cap_rank > 0", name="rank_positive"),
    sa.UniqueConstraint("symbol"),
    sa.UniqueConstraint("coingecko_id"),
)

# --- portfolios ------------------------------------------------------------------------------------

portfolios = sa.Table(
    "portfolios",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _user_fk(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("base_currency", sa.Text, nullable=False, server_default="USD"),
    _created(),
    _updated(),
    sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 100", name="name_length"),
    sa.UniqueConstraint("user_id", "name"),
)

portfolio_holdings = sa.Table(
    "portfolio_holdings",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _portfolio_fk(),
    _asset_fk(),
    sa.Column("quantity", QUANTITY, nullable=False),
    sa.Column("cost_basis", MONEY, comment="total cost of the position in the base currency"),
    sa.Column("source", sa.Text, nullable=False, server_default="manual"),
    _created(),
    _updated(),
    sa.CheckConstraint("quantity >= 0", name="quantity_non_negative"),
    sa.CheckConstraint("cost_basis IS NULL OR cost_basis >= 0", name="cost_basis_non_negative"),
    sa.CheckConstraint("source IN ('manual', 'csv', 'wallet')", name="source"),
    sa.UniqueConstraint("portfolio_id", "asset_id"),
    sa.Index("ix_portfolio_holdings_asset_id", "asset_id"),
)

wallets = sa.Table(
    "wallets",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _portfolio_fk(),
    sa.Column("chain_id", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("last_synced_at", TZ),
    _created(),
    sa.CheckConstraint("address ~ '^0x[0-9a-f]{40}$'", name="address_format"),
    sa.UniqueConstraint("portfolio_id", "chain_id", "address"),
    sa.Index("ix_wallets_chain_id_address", "chain_id", "address"),
)

# --- market time series ------------------------------------------------------------------------------

# price_history is the hot COPY target (backfills of millions of rows). A declared foreign key
# costs a trigger call and an index probe per row, which more than halves COPY throughput, so the
# same rule (asset_id must exist in crypto_assets; deleting a priced asset is refused) is kept by:
# - writers (warehouse.writes) locking the batch's assets FOR KEY SHARE once per batch, exactly
#   the lock the foreign key would take per row, and refusing ids that do not exist;
# - a BEFORE DELETE / UPDATE OF id trigger on crypto_assets (below) that RESTRICTs.
PRICE_HISTORY_REFERENCE = ("asset_id", "crypto_assets", "id")
PRICE_HISTORY_RESTRICT_FUNCTION = """
CREATE OR REPLACE FUNCTION crypto_assets_restrict_price_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM price_history WHERE asset_id = OLD.id) THEN
        RAISE EXCEPTION 'crypto asset % (%) still has price history', OLD.id, OLD.symbol
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
"""
PRICE_HISTORY_RESTRICT_TRIGGER = """
CREATE TRIGGER crypto_assets_restrict_price_history
BEFORE DELETE OR UPDATE OF id ON crypto_assets
FOR EACH ROW EXECUTE FUNCTION crypto_assets_restrict_price_history();
"""

price_history = sa.Table(
    "price_history",
    metadata,
    sa.Column("asset_id", sa.Integer, nullable=False),  # crypto_assets.id, checked per batch (above)
    sa.Column("time", TZ, nullable=False),
    sa.Column("price", F, nullable=False, comment="USD"),
    sa.Column("market_cap", F, comment="USD"),
    sa.Column("volume_24h", F, comment="USD"),
    sa.Column("source", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("asset_id", "time"),
    sa.CheckConstraint("price > 0 AND price < 'Infinity'::float8", name="price_positive"),
    sa.CheckConstraint("market_cap IS NULL OR market_cap >= 0", name="market_cap_non_negative"),
    sa.CheckConstraint("volume_24h IS NULL OR volume_24h >= 0", name="volume_non_negative"),
    sa.CheckConstraint("source IN ('coingecko', 'simulated', 'alphavantage', 'import')", name="source"),
    # Cross-asset reads by time ("every price of day D") for partition rewrites and exports.
    sa.Index("ix_price_history_time", "time"),
)

# Provider points refused as closes (non-positive, absurdly small, or an isolated jump against
# their neighbours): kept for review with the reason, never read as prices.
price_quarantine = sa.Table(
    "price_quarantine",
    metadata,
    sa.Column("asset_id", sa.Integer, nullable=False),
    sa.Column("time", TZ, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("price", F, nullable=False, comment="USD, as sent"),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detected_at", TZ, nullable=False, server_default=NOW),
    sa.PrimaryKeyConstraint("asset_id", "time", "source"),
    sa.Index("ix_price_quarantine_time", "time"),
)

market_snapshots = sa.Table(
    "market_snapshots",
    metadata,
    _asset_fk(),
    sa.Column("time", TZ, nullable=False),
    sa.Column("price", F, nullable=False),
    sa.Column("market_cap", F),
    sa.Column("market_cap_rank", sa.Integer),
    sa.Column("total_volume", F),
    sa.Column("price_change_pct_24h", F),
    sa.Column("circulating_supply", F),
    sa.Column("ath", F),
    sa.Column("source", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("asset_id", "time"),
    sa.CheckConstraint("price > 0", name="price_positive"),
    sa.Index("ix_market_snapshots_time", "time"),
)

global_market = sa.Table(
    "global_market",
    metadata,
    sa.Column("time", TZ, primary_key=True),
    sa.Column("total_market_cap_usd", F),
    sa.Column("total_volume_usd", F),
    sa.Column("btc_dominance_pct", F),
    sa.Column("eth_dominance_pct", F),
    sa.Column("market_cap_change_pct_24h", F),
    sa.Column("active_cryptocurrencies", sa.Integer),
    sa.Column("source", sa.Text, nullable=False),
)

trending_coins = sa.Table(
    "trending_coins",
    metadata,
    sa.Column("time", TZ, nullable=False),
    sa.Column("rank", sa.SmallInteger, nullable=False),
    sa.Column("coingecko_id", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("market_cap_rank", sa.Integer),
    sa.Column("price_btc", F),
    sa.Column("score", F),
    sa.Column("source", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("time", "rank"),
    sa.CheckConstraint("rank >= 0", name="rank_non_negative"),
)

# --- on-chain ------------------------------------------------------------------------------------------

wallet_balances = sa.Table(
    "wallet_balances",
    metadata,
    sa.Column("chain_id", sa.Integer, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("token_address", sa.Text, nullable=False, comment="'' for the chain's native coin"),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("balance", QUANTITY, nullable=False, comment="in whole tokens (decimals applied)"),
    sa.Column("time", TZ, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("chain_id", "address", "token_address", "time"),
    sa.CheckConstraint("balance >= 0", name="balance_non_negative"),
)

wallet_transactions = sa.Table(
    "wallet_transactions",
    metadata,
    sa.Column("chain_id", sa.Integer, nullable=False),
    sa.Column("address", sa.Text, nullable=False, comment="the tracked wallet"),
    sa.Column("tx_hash", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("log_index", sa.Integer, nullable=False, server_default=sa.text("-1")),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("time", TZ, nullable=False),
    sa.Column("from_address", sa.Text, nullable=False),
    sa.Column("to_address", sa.Text, nullable=False, server_default=""),
    sa.Column("value", QUANTITY, nullable=False, comment="whole tokens (decimals applied)"),
    sa.Column("token_address", sa.Text, nullable=False, server_default=""),
    sa.Column("token_symbol", sa.Text),
    sa.Column("token_decimals", sa.SmallInteger),
    sa.Column("gas_used", sa.BigInteger),
    sa.Column("is_error", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("chain_id", "address", "tx_hash", "kind", "log_index"),
    sa.CheckConstraint("kind IN ('normal', 'internal', 'erc20')", name="kind"),
    sa.CheckConstraint("value >= 0", name="value_non_negative"),
    sa.Index("ix_wallet_transactions_address_block", "chain_id", "address", "block_number"),
)

# --- news sentiment ------------------------------------------------------------------------------------

news_articles = sa.Table(
    "news_articles",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("published_at", TZ, nullable=False),
    sa.Column("overall_score", F),
    sa.Column("overall_label", sa.Text),
    sa.Column("topics", JSONB),
    sa.Column("provider", sa.Text, nullable=False),
    _created(),
    sa.UniqueConstraint("url"),
    sa.Index("ix_news_articles_published_at", "published_at"),
)

news_sentiment = sa.Table(
    "news_sentiment",
    metadata,
    sa.Column("article_id", sa.BigInteger, sa.ForeignKey("news_articles.id", ondelete="CASCADE"), nullable=False),
    _asset_fk(),
    sa.Column("published_at", TZ, nullable=False),
    sa.Column("relevance", F, nullable=False),
    sa.Column("score", F, nullable=False),
    sa.Column("label", sa.Text),
    sa.PrimaryKeyConstraint("article_id", "asset_id"),
    sa.CheckConstraint("relevance >= 0 AND relevance <= 1", name="relevance_range"),
    sa.CheckConstraint("score >= -1 AND score <= 1", name="score_range"),
    sa.Index("ix_news_sentiment_asset_published", "asset_id", "published_at"),
)

# --- provider resilience -------------------------------------------------------------------------------

provider_health = sa.Table(
    "provider_health",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("checked_at", TZ, nullable=False, server_default=NOW),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", F),
    sa.Column("error_rate", F, comment="share of failed calls over the recent window, 0..1"),
    sa.Column("error", sa.Text),
    sa.Column("quota_used", sa.Integer, comment="calls counted this quota period (month)"),
    sa.Column("quota_limit", sa.Integer, comment="calls the plan allows in the period; NULL: unlimited"),
    sa.Column("quota_period", sa.Text, comment="the period counted, e.g. 2026-12"),
    sa.Index("ix_provider_health_provider_checked_at", "provider", sa.text("checked_at DESC")),
)

# Calls per provider credential and month, counted before each call is sent (logged: a month's
# count must survive a restart, or a restart would reset the budget).
provider_quota = sa.Table(
    "provider_quota",
    metadata,
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
    sa.PrimaryKeyConstraint("key", "period"),
    sa.CheckConstraint("calls >= 0", name="calls_non_negative"),
)

# Both are UNLOGGED (set in the migration): losing them in a crash costs only a refetch.
response_cache = sa.Table(
    "response_cache",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("provider", sa.Text, nullable=False),
    sa.Column("endpoint", sa.Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
    _created(),
    sa.Index("ix_response_cache_expires_at", "expires_at"),
)

rate_limit_buckets = sa.Table(
    "rate_limit_buckets",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("tokens", F, nullable=False),
    sa.Column("updated_at", TZ, nullable=False, server_default=NOW),
)

# --- risk -----------------------------------------------------------------------------------------------

#: Metric columns shared by risk_metrics and portfolio_risk_metrics (the risk engine's keys).
METRIC_COLUMNS: tuple[str, ...] = (
    "volatility_30d",
    "volatility_90d",
    "volatility_365d",
    "sharpe",
    "sortino",
    "max_drawdown",
    "current_drawdown",
    "var_95",
    "var_99",
    "es_95",
    "es_99",
    "var_95_parametric",
    "var_95_cornish_fisher",
    "beta_btc",
    "beta_market",
)


def _metric_columns() -> list[sa.Column]:
    return [sa.Column(name, F) for name in METRIC_COLUMNS]


risk_metrics = sa.Table(
    "risk_metrics",
    metadata,
    _asset_fk(),
    sa.Column("time", TZ, nullable=False, comment="as-of: end of the day the metrics describe"),
    sa.Column("window_days", sa.Integer, nullable=False),
    *_metric_columns(),
    sa.Column("null_reasons", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("computed_at", TZ, nullable=False, server_default=NOW),
    sa.PrimaryKeyConstraint("asset_id", "time"),
    sa.CheckConstraint("window_days > 1", name="window_positive"),
)

portfolio_risk_metrics = sa.Table(
    "portfolio_risk_metrics",
    metadata,
    _portfolio_fk(),
    sa.Column("time", TZ, nullable=False),
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("value_usd", F),
    *_metric_columns(),
    sa.Column("hhi", F),
    sa.Column("effective_holdings", F),
    sa.Column("risk_score", F, comment="1 (lowest risk) .. 10, two decimals; components in score_components"),
    sa.Column("score_components", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("contributions", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("stress", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("backtest", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("null_reasons", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("computed_at", TZ, nullable=False, server_default=NOW),
    sa.PrimaryKeyConstraint("portfolio_id", "time"),
    sa.CheckConstraint("risk_score IS NULL OR risk_score BETWEEN 1 AND 10", name="risk_score_range"),
    sa.CheckConstraint("hhi IS NULL OR (hhi > 0 AND hhi <= 1)", name="hhi_range"),
    sa.CheckConstraint("window_days > 1", name="window_positive"),
)

correlation_matrices = sa.Table(
    "correlation_matrices",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _portfolio_fk(nullable=True),
    sa.Column("time", TZ, nullable=False),
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("symbols", ARRAY(sa.Text), nullable=False),
    sa.Column("matrix", JSONB, nullable=False, comment="row-major Pearson coefficients; null where undefined"),
    sa.Column("computed_at", TZ, nullable=False, server_default=NOW),
    # NULL portfolio = the market universe; one matrix per scope, day and window.
    sa.UniqueConstraint("portfolio_id", "time", "window_days", postgresql_nulls_not_distinct=True),
)

# --- insights and alerts ---------------------------------------------------------------------------------

INSIGHT_KINDS = (
    "weekly_analysis",
    "rebalancing",
    "market_sentiment",
    "risk_alert_explanation",
    "personalized_recommendation",
)

ai_insights = sa.Table(
    "ai_insights",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _user_fk(nullable=True),
    _portfolio_fk(nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("as_of", TZ, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("structured", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("facts_hash", sa.Text, nullable=False),
    sa.Column("provider", sa.Text, nullable=False, comment="'openai' (any compatible server) or 'offline'"),
    sa.Column("model", sa.Text),
    sa.Column("prompt_version", sa.Text, nullable=False),
    sa.Column("prompt_tokens", sa.Integer),
    sa.Column("completion_tokens", sa.Integer),
    sa.Column("fallback_reason", sa.Text),
    _created(),
    sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in INSIGHT_KINDS) + ")", name="kind"),
    sa.UniqueConstraint("portfolio_id", "kind", "as_of", postgresql_nulls_not_distinct=True),
    sa.Index("ix_ai_insights_portfolio_created", "portfolio_id", sa.text("created_at DESC")),
)

ALERT_RULE_KINDS = (
    "price_move",
    "price_above",
    "price_below",
    "var_breach",
    "drawdown",
    "concentration",
    "volatility_regime",
)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _user_fk(),
    _portfolio_fk(nullable=True),
    _asset_fk(nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("threshold", F, nullable=False),
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column(
        "is_triggered",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
        comment="state for fire-once-per-crossing",
    ),
    sa.Column("last_evaluated_at", TZ),
    _created(),
    _updated(),
    sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in ALERT_RULE_KINDS) + ")", name="kind"),
    sa.CheckConstraint("portfolio_id IS NOT NULL OR asset_id IS NOT NULL", name="has_subject"),
    sa.Index("ix_alert_rules_user_id", "user_id"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _user_fk(nullable=True),
    sa.Column("rule_id", sa.BigInteger, sa.ForeignKey("alert_rules.id", ondelete="SET NULL")),
    _portfolio_fk(nullable=True),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("triggered_at", TZ, nullable=False, server_default=NOW),
    sa.Column("acknowledged_at", TZ),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    # user_id NULL = an operator alert (run failures), shown to admins.
    sa.Index("ix_alerts_user_triggered", "user_id", sa.text("triggered_at DESC")),
)

# --- reports --------------------------------------------------------------------------------------------

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    _portfolio_fk(),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("pdf", sa.LargeBinary),
    _created(),
    sa.CheckConstraint("period_end >= period_start", name="period_order"),
    sa.UniqueConstraint("portfolio_id", "period_end"),
)

# --- streaming ------------------------------------------------------------------------------------------

# ``sessions``: revoked login families (internal to the serving processes, never sent to clients).
OUTBOX_CHANNELS = (
    "price_updates",
    "portfolio_updates",
    "risk_metrics_updates",
    "alerts",
    "holdings_changed",
    "sessions",
)

event_outbox = sa.Table(
    "event_outbox",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("partition_key", sa.Text),
    sa.Column("user_id", sa.BigInteger, comment="set for user-scoped channels; NULL = public"),
    sa.Column("payload", JSONB, nullable=False),
    _created(),
    sa.CheckConstraint("channel IN (" + ", ".join(f"'{c}'" for c in OUTBOX_CHANNELS) + ")", name="channel"),
    sa.CheckConstraint("pg_column_size(payload) <= 8000", name="payload_small"),
    sa.Index("ix_event_outbox_created_at", "created_at"),
)

TIME_SERIES_TABLES = ("price_history", "risk_metrics", "portfolio_risk_metrics")
