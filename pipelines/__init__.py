"""Ingestion: provider clients, dlt sources and the offline simulated market. No Dagster here.

``pipelines.feeds`` — the interfaces the Dagster assets call (``MarketFeed``, ``WalletFeed``,
    ``NewsFeed``), each a context manager around one fetch that yields a ``raw.Harvest`` of
    warehouse-shaped frames. Live: ``coingecko.feed``, ``etherscan.feed``, ``alphavantage.feed``
    (each through its dlt source into the ``raw`` dataset); offline: ``simulated.feed``.
``pipelines.loads`` — one fetch into the curated tables: fetch first, screen, write rows and the
    outbox event in one short transaction, land raw (``load_prices``, ``load_market_snapshot``,
    ``load_table``, ``load_wallets``, ``load_news``).
``pipelines.prices`` — the close convention and the screen that quarantines implausible points.
``pipelines.coingecko.budget`` — the quota planner: which schedule slots a plan's month pays for.
``pipelines.health`` — one probe per provider.

Errors: ``pipelines.errors`` (ProviderError and subclasses name provider, endpoint and field).
Resilience: ``pipelines.http`` (rate limits, monthly quotas, retries, circuit breaker, a response
cache shared through the warehouse or Redis that only ever holds validated answers).
"""
