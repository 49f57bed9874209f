"""Ingestion: provider clients, dlt sources and the offline simulated market. No Dagster here.

Entry API (stable; the Dagster assets wrap these):

``pipelines.market`` — curated, pandera-validated polars frames, keyed by ``symbol``:
    fetch_prices(source, symbols, start, end, *, interval="1d") -> PriceFrame
    fetch_latest_prices(source=None, symbols=None) -> PriceFrame
    fetch_markets(source=None, *, top=100) -> MarketFrame
    fetch_trending(source=None) -> TrendingFrame
    fetch_global(source=None) -> GlobalFrame
    fetch_wallets(addresses, *, source=None, start=None, end=None) -> (WalletBalanceFrame, WalletTransactionFrame)
    fetch_news(symbols, start, end, *, source=None) -> (NewsArticleFrame, NewsSentimentFrame)
  ``source`` is ``"coingecko"`` or ``"simulated"``; None reads ``CRYPTO_RISK_MARKET_SOURCE``
  (default ``simulated``). Real wallets come from Etherscan, real news from Alpha Vantage.
  Frame contracts: ``pipelines.contracts`` (price > 0, no NaN, no future timestamps, unique keys).

``pipelines.store`` — write curated frames in the caller's transaction via ``warehouse.writes``:
    write_prices(conn, frame), write_markets(conn, frame), write_table(conn, table, frame),
    write_news(conn, articles, sentiment)  -> Written(table, rows, skipped_symbols)

``pipelines.raw`` + provider sources — raw landing with dlt (dataset ``raw``, load ids) and
incremental cursors, then curated upserts:
    run(provider, make_pipeline(provider, url), <provider>.<provider>_source(client, ...), url,
        <provider>.curate) -> RunResult
  with ``pipelines.coingecko.coingecko_source``, ``pipelines.etherscan.etherscan_source``,
  ``pipelines.alphavantage.alphavantage_source``.

``pipelines.health.check_providers(url)`` — probes every provider, records ``provider_health``.

Errors: ``pipelines.errors`` (ProviderError and subclasses name provider, endpoint and field;
InvalidBatch names the offending rows). Resilience: ``pipelines.http`` (rate limits, retries,
circuit breaker, response cache shared through the warehouse or Redis).
"""
