"""The live price road against a local CoinGecko look-alike that follows CoinGecko's real contract
(granularity rules, plan limits, 404s, empty answers, quotas): exact closes, nothing stored lost
to a bad answer, one bad coin never blocking the rest, calls within the plan."""

from __future__ import annotations

import datetime as dt
import threading
import time

import polars as pl
import psycopg
import pytest
import sqlalchemy as sa

from pipelines import loads
from pipelines.coingecko.feed import CoinGeckoFeed
from pipelines.coingecko.settings import CoinGeckoSettings
from pipelines.errors import HistoryLimit, ProviderError, QuotaExhausted
from pipelines.http import MemoryStore, PostgresStore
from tests.pipelines.conftest import fast_policy
from tests.support.coingecko_server import CoinGeckoLookalike
from warehouse.engine import get_engine, transaction
from warehouse.queries.assets import tracked_coins

DAY = dt.timedelta(days=1)
COINS = ("bitcoin", "ethereum", "solana", "chainlink")


def midnight(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def lookalike(shared_data):
    with CoinGeckoLookalike(shared_data) as srv:
        yield srv


def feed_for(server: CoinGeckoLookalike, db_url, *, plan="public", key="", store=None, timeout_s=0.5,
             **settings) -> CoinGeckoFeed:
    cg = CoinGeckoSettings(api_key=key, plan=plan, base_url=server.coingecko_url, calls_per_minute=6000.0, **settings)
    return CoinGeckoFeed(cg, db_url, store=store if store is not None else MemoryStore(),
                         policy=fast_policy(timeout_s=timeout_s))


def coins(db_url, ids=COINS):
    with transaction(db_url) as conn:
        return [c for c in tracked_coins(conn) if c.coingecko_id in ids]


def closes(db_url) -> dict[tuple[str, dt.date], float]:
    """Each stored (coin, day)'s close: the last price of the day."""
    with get_engine(db_url).connect() as conn:
        found = conn.execute(sa.text(
            "SELECT DISTINCT ON (a.coingecko_id, (p.time AT TIME ZONE 'UTC')::date) a.coingecko_id, "
            "(p.time AT TIME ZONE 'UTC')::date, p.price FROM price_history p JOIN crypto_assets a ON a.id = p.asset_id "
            "ORDER BY a.coingecko_id, (p.time AT TIME ZONE 'UTC')::date, p.time DESC")).all()
    return {(c, d): p for c, d, p in found}


def stored(db_url, sql: str, **params):
    with get_engine(db_url).connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def test_a_long_backfill_stores_each_days_own_close(lookalike, db_url, home):
    """Over 90 days CoinGecko answers one point per day stamped 00:00 UTC: the close of the day
    before. Day D must hold D's close (the price at D+1 00:00), not D-1's."""
    today = dt.datetime.now(dt.UTC).date()
    start, end = midnight(today - 120 * DAY), midnight(today - 10 * DAY)
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), start, end)
    assert load.complete and load.fetched_coins == len(COINS)
    got = closes(db_url)
    for coin in COINS:
        for d in (today - 120 * DAY, today - 60 * DAY, today - 11 * DAY):
            assert got[(coin, d)] == pytest.approx(lookalike.close(coin, d), rel=1e-12)
            assert got[(coin, d)] != pytest.approx(lookalike.close(coin, d - DAY), rel=1e-6)
    # The close is stored at the day's last microsecond; nothing of the window's edges leaks out.
    times = stored(db_url, "SELECT min(time), max(time), count(DISTINCT time) FROM price_history")[0]
    assert times[0] == start + DAY - dt.timedelta(microseconds=1) and times[1] == end - dt.timedelta(microseconds=1)
    assert times[2] == 110


def test_a_backfilled_day_and_the_same_day_alone_agree_within_granularity(lookalike, db_url, home):
    today = dt.datetime.now(dt.UTC).date()
    day = today - 30 * DAY
    feed = feed_for(lookalike, db_url)
    loads.load_prices(db_url, feed, coins(db_url), midnight(day - 100 * DAY), midnight(day + DAY))
    from_backfill = closes(db_url)
    loads.load_prices(db_url, feed, coins(db_url), midnight(day), midnight(day + DAY))  # hourly points
    alone = closes(db_url)
    hours = stored(db_url, "SELECT count(*) FROM price_history WHERE time >= :s AND time < :e",
                   s=midnight(day), e=midnight(day + DAY))[0][0]
    assert hours == 24 * len(COINS)  # the one-day answer is hourly, and it replaced the day's close
    for coin in COINS:
        # Within the data's granularity: the last hourly point is inside the day's last hour, so the
        # two closes differ by at most that hour's move, measured on the server's own path.
        last_hour = [lookalike.price_at(coin, midnight(day + DAY) - dt.timedelta(minutes=m)) for m in range(0, 61)]
        assert from_backfill[(coin, day)] == pytest.approx(lookalike.close(coin, day), rel=1e-12)
        assert min(last_hour) <= alone[(coin, day)] <= max(last_hour)
        # Days outside the one-day window kept the backfill's closes.
        assert alone[(coin, day - DAY)] == from_backfill[(coin, day - DAY)]


def test_the_running_day_holds_the_latest_price(lookalike, db_url, home):
    now = dt.datetime.now(dt.UTC)
    today = midnight(now.date())
    loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), today - 200 * DAY, today + DAY)
    newest = stored(db_url, "SELECT a.coingecko_id, p.time, p.price FROM price_history p JOIN crypto_assets a "
                            "ON a.id = p.asset_id WHERE p.time >= :t ORDER BY p.time DESC LIMIT 1", t=today)[0]
    assert now - newest[1] < dt.timedelta(minutes=1)
    assert newest[2] == pytest.approx(lookalike.price_at(newest[0], newest[1]), rel=1e-9)


def test_a_rerun_of_any_range_changes_nothing(lookalike, db_url, home):
    today = dt.datetime.now(dt.UTC).date()
    feed = feed_for(lookalike, db_url)
    digest = "SELECT md5(string_agg(asset_id || ':' || time || ':' || price, ',' ORDER BY asset_id, time)) FROM price_history"
    for start, end in ((today - 100 * DAY, today - 2 * DAY), (today - 5 * DAY, today - 4 * DAY)):
        loads.load_prices(db_url, feed, coins(db_url), midnight(start), midnight(end))
        first = stored(db_url, digest)[0][0]
        loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), midnight(start), midnight(end))
        assert stored(db_url, digest)[0][0] == first


def test_a_delisted_coin_is_skipped_and_named_while_the_others_land(lookalike, db_url, home):
    lookalike.coin_faults["solana"].add("delisted")
    today = dt.datetime.now(dt.UTC).date()
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), midnight(today - 3 * DAY),
                             midnight(today - DAY))
    assert set(load.missing) == {"solana"} and "coin not found" in load.missing["solana"]
    assert "HTTP 404" in load.missing["solana"] and not load.complete
    landed = {c for c, _ in closes(db_url)}
    assert landed == set(COINS) - {"solana"}


def test_an_empty_answer_keeps_the_stored_days_of_that_coin(lookalike, db_url, home):
    today = dt.datetime.now(dt.UTC).date()
    start, end = midnight(today - 40 * DAY), midnight(today - 11 * DAY)  # 29 days
    loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), start, end)
    before = closes(db_url)
    lookalike.coin_faults["ethereum"].add("empty")
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), start, end)
    after = closes(db_url)
    eth_days = [k for k in before if k[0] == "ethereum"]
    assert len(eth_days) == 29 and all(after[k] == before[k] for k in eth_days)
    assert load.missing == {"ethereum": "empty answer: no price points in the range"}
    eth_id = next(c.asset_id for c in coins(db_url) if c.coingecko_id == "ethereum")
    assert len(load.kept) == 29 and {a for a, _ in load.kept} == {eth_id}


def test_all_empty_fails_before_any_write(lookalike, db_url, home):
    today = dt.datetime.now(dt.UTC).date()
    window = (midnight(today - 3 * DAY), midnight(today - 2 * DAY))
    loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), *window)
    before = stored(db_url, "SELECT count(*), sum(price) FROM price_history")[0]
    events = stored(db_url, "SELECT count(*) FROM event_outbox")[0][0]
    for coin in COINS:
        lookalike.coin_faults[coin].add("empty")
    with pytest.raises(ProviderError, match="no coin could be fetched"):
        loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), *window)
    assert stored(db_url, "SELECT count(*), sum(price) FROM price_history")[0] == before
    assert stored(db_url, "SELECT count(*) FROM event_outbox")[0][0] == events  # no event for a non-write


def test_a_bad_body_is_never_served_from_the_cache(lookalike, db_url, home):
    """A negative price in the answer: its point is quarantined, and the body is not cached, so
    once the provider recovers the next run sees the good answer (not an hour of the bad one)."""
    store = PostgresStore(db_url)
    today = dt.datetime.now(dt.UTC).date()
    window = (midnight(today - 6 * DAY), midnight(today - 5 * DAY))
    lookalike.coin_faults["bitcoin"].add("negative")
    bad = loads.load_prices(db_url, feed_for(lookalike, db_url, store=store), coins(db_url), *window)
    assert set(bad.quarantined["reason"].to_list()) == {"not a positive finite price"}
    assert stored(db_url, "SELECT count(*) FROM response_cache WHERE endpoint = 'coins/market_chart/range'")[0][0] == 3
    lookalike.coin_faults["bitcoin"].clear()
    calls = lookalike.endpoint_calls["coins/market_chart/range"]
    good = loads.load_prices(db_url, feed_for(lookalike, db_url, store=store), coins(db_url), *window)
    # Bitcoin was fetched again (its bad body was not cached); the three good bodies were cached.
    assert lookalike.endpoint_calls["coins/market_chart/range"] - calls == 1
    assert good.complete
    assert stored(db_url, "SELECT count(*) FROM price_history WHERE price <= 0")[0][0] == 0


def test_a_cached_body_that_no_longer_validates_is_evicted(lookalike, db_url, home):
    store = MemoryStore()
    feed = feed_for(lookalike, db_url, store=store)
    today = dt.datetime.now(dt.UTC).date()
    window = (midnight(today - 8 * DAY), midnight(today - 7 * DAY))
    loads.load_prices(db_url, feed, coins(db_url, ["bitcoin"]), *window)
    (key,) = [k for k in store._cache if "market_chart" in k]
    store.cache_put(key, "coingecko", "coins/market_chart/range", b'{"prices": [[1, "x"]]}', 3600)
    calls = lookalike.endpoint_calls["coins/market_chart/range"]
    again = loads.load_prices(db_url, feed, coins(db_url, ["bitcoin"]), *window)
    assert again.complete and lookalike.endpoint_calls["coins/market_chart/range"] == calls + 1
    assert b'"x"' not in store.cache_get(key)


@pytest.mark.parametrize("fault,reason", [("spike", "jump beyond 5x"), ("tiny", "below 1e-12 USD")])
def test_implausible_points_are_quarantined_not_stored(lookalike, db_url, home, fault, reason):
    lookalike.coin_faults["chainlink"].add(fault)
    today = dt.datetime.now(dt.UTC).date()
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), midnight(today - 20 * DAY),
                             midnight(today - 19 * DAY))
    assert load.quarantined.height == 1 and reason in load.quarantined["reason"][0]
    q = stored(db_url, "SELECT price, reason FROM price_quarantine")
    assert len(q) == 1 and reason in q[0][1]
    link = stored(db_url, "SELECT max(price) / min(price) FROM price_history p JOIN crypto_assets a "
                          "ON a.id = p.asset_id WHERE a.coingecko_id = 'chainlink'")[0][0]
    assert link < 1.5  # the rest of the day, minus the bad point


def test_conflicting_duplicate_timestamps_reject_that_coin(lookalike, db_url, home):
    lookalike.coin_faults["ethereum"].add("duplicate")
    today = dt.datetime.now(dt.UTC).date()
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), midnight(today - 4 * DAY),
                             midnight(today - 3 * DAY))
    assert "two different prices" in load.missing["ethereum"]
    assert {c for c, _ in closes(db_url)} == set(COINS) - {"ethereum"}


def test_a_range_older_than_the_plan_serves_fails_before_any_call(lookalike, db_url, home):
    today = dt.datetime.now(dt.UTC).date()
    with pytest.raises(HistoryLimit, match=r"public plan serves the past 365 days only .*COINGECKO_PLAN=pro"):
        loads.load_prices(db_url, feed_for(lookalike, db_url), coins(db_url), midnight(today - 3 * 365 * DAY),
                          midnight(today - 2 * 365 * DAY))
    assert lookalike.endpoint_calls["coins/market_chart/range"] == 0
    assert stored(db_url, "SELECT count(*) FROM price_history")[0][0] == 0


def test_the_server_refuses_old_ranges_as_coingecko_does(lookalike, db_url, home):
    """The look-alike itself answers 401 / error_code 10012 past a year (the real contract)."""
    import httpx

    start = int((dt.datetime.now(dt.UTC) - 400 * DAY).timestamp())
    answer = httpx.get(f"{lookalike.coingecko_url}/coins/bitcoin/market_chart/range",
                       params={"vs_currency": "usd", "from": start, "to": start + 86_400})
    assert answer.status_code == 401 and answer.json()["error"]["status"]["error_code"] == 10012


def test_a_bad_key_fails_the_run_and_writes_nothing(shared_data, db_url, home):
    with CoinGeckoLookalike(shared_data, plan="demo", key="right") as srv:
        today = dt.datetime.now(dt.UTC).date()
        with pytest.raises(ProviderError, match="HTTP 401"):
            loads.load_prices(db_url, feed_for(srv, db_url, plan="demo", key="wrong"), coins(db_url),
                              midnight(today - 3 * DAY), midnight(today - 2 * DAY))
    assert stored(db_url, "SELECT count(*) FROM price_history")[0][0] == 0


def test_the_monthly_budget_is_shared_and_work_past_it_is_deferred(lookalike, db_url, home):
    store = PostgresStore(db_url)  # two processes' clients share it through the warehouse
    today = dt.datetime.now(dt.UTC).date()
    window = (midnight(today - 3 * DAY), midnight(today - 2 * DAY))
    first = feed_for(lookalike, db_url, store=store, calls_per_month=5)
    loads.load_prices(db_url, first, coins(db_url), *window)  # 4 calls
    second = feed_for(lookalike, db_url, store=PostgresStore(db_url), calls_per_month=5)
    assert second.quota().used == 4 and second.quota().remaining == 1
    with pytest.raises(QuotaExhausted, match=r"needs 4 call\(s\) but only 1 of 5 remain .* deferred"):
        loads.load_prices(db_url, second, coins(db_url), midnight(today - 9 * DAY), midnight(today - 8 * DAY))
    assert lookalike.endpoint_calls["coins/market_chart/range"] == 4


def test_the_tick_prices_every_coin_with_one_call(lookalike, db_url, home):
    tracked = coins(db_url, [c.coingecko_id for c in coins(db_url, set(lookalike.listed))])
    assert len(tracked) > 50
    today = midnight(dt.datetime.now(dt.UTC).date())
    feed = feed_for(lookalike, db_url)
    load = loads.load_prices(db_url, feed, tracked, today, today + DAY, mode="tick")
    assert lookalike.endpoint_calls["coins/markets"] == 1 and load.rows == len(tracked)
    row = stored(db_url, "SELECT a.coingecko_id, p.time, p.price FROM price_history p JOIN crypto_assets a "
                         "ON a.id = p.asset_id WHERE a.coingecko_id = 'bitcoin'")[0]
    assert row[2] == pytest.approx(lookalike.price_at("bitcoin", row[1]), rel=1e-9)
    # The same answer again (from the cache) writes nothing and deletes nothing.
    again = loads.load_prices(db_url, feed, tracked, today, today + DAY, mode="tick")
    assert again.rows == 0
    assert stored(db_url, "SELECT count(*) FROM price_history")[0][0] == len(tracked)


def test_the_nightly_close_fetches_only_days_the_ticks_left_open(lookalike, db_url, home):
    yesterday = dt.datetime.now(dt.UTC).date() - DAY
    window = (midnight(yesterday), midnight(yesterday + DAY))
    tracked = coins(db_url)
    with transaction(db_url) as conn:  # ticks covered bitcoin to 23:58; the others stopped at noon
        for c in tracked:
            t = window[1] - (dt.timedelta(minutes=2) if c.coingecko_id == "bitcoin" else dt.timedelta(hours=12))
            conn.execute(sa.text("INSERT INTO price_history (asset_id, time, price, source) VALUES (:a, :t, 1, 'coingecko')"),
                         {"a": c.asset_id, "t": t})
    load = loads.load_prices(db_url, feed_for(lookalike, db_url), tracked, *window, mode="close")
    assert load.coins == len(COINS) - 1 and lookalike.endpoint_calls["coins/market_chart/range"] == len(COINS) - 1
    got = closes(db_url)
    assert got[("bitcoin", yesterday)] == 1.0  # untouched
    assert got[("ethereum", yesterday)] == pytest.approx(
        lookalike.price_at("ethereum", max(t for t in lookalike.series_times(*window) if t < window[1])), rel=1e-9)


def test_no_transaction_is_open_while_the_provider_answers(lookalike, db_url, home):
    """Fetch first, then one short transaction: while a slow answer is pending, the run holds no
    warehouse transaction, and another writer to price_history is not blocked."""
    lookalike.delays["bitcoin"] = 2.0
    today = dt.datetime.now(dt.UTC).date()
    done: list[object] = []
    run = threading.Thread(target=lambda: done.append(loads.load_prices(
        db_url, feed_for(lookalike, db_url, timeout_s=10), coins(db_url), midnight(today - 3 * DAY),
        midnight(today - 2 * DAY))))
    run.start()
    time.sleep(0.8)  # the bitcoin answer is pending now
    with psycopg.connect(db_url.libpq, autocommit=True) as conn:
        idle = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND state = 'idle in transaction'").fetchone()[0]
        conn.execute("SET lock_timeout = '500ms'")
        with conn.transaction():
            conn.execute("LOCK TABLE price_history IN EXCLUSIVE MODE")  # a writer that conflicts with any other writer
    run.join(timeout=30)
    assert idle == 0
    assert done and done[0].complete


def test_raw_loads_exist_for_every_live_run(lookalike, db_url, home):
    feed = feed_for(lookalike, db_url)
    today = dt.datetime.now(dt.UTC).date()
    history = loads.load_prices(db_url, feed, coins(db_url), midnight(today - 3 * DAY), midnight(today - 2 * DAY))
    tick = loads.load_prices(db_url, feed, coins(db_url), midnight(today), midnight(today + DAY), mode="tick")
    trending = loads.load_table(db_url, feed, "trending", dt.datetime.now(dt.UTC))
    totals = loads.load_table(db_url, feed, "global", dt.datetime.now(dt.UTC))
    found = dict(stored(db_url, "SELECT load_id, status FROM raw._dlt_loads"))
    for load in (history, tick, trending, totals):
        assert load.load_id in found and found[load.load_id] == 0
    raw_points = stored(db_url, "SELECT count(*) FROM raw.coingecko_market_chart WHERE _dlt_load_id = :l",
                        l=history.load_id)[0][0]
    assert raw_points == history.rows
    assert stored(db_url, "SELECT count(*) FROM raw.coingecko_markets WHERE _dlt_load_id = :l", l=tick.load_id)[0][0] == len(COINS)
    assert totals.rows == 1 and trending.rows == 7


def test_the_quota_planner_keeps_a_demo_month_within_budget():
    from pipelines.coingecko.budget import MONTH_DAYS, plan

    demo = plan(10_000, 100)
    assert demo.calls_per_day * MONTH_DAYS <= 10_000 * 0.9
    assert demo.cadence["tick"] == 10 and demo.cadence["tick"] < demo.cadence["ping"]
    full = plan(500_000, 100)
    assert full.cadence == {"tick": 5, "global": 10, "trending": 10, "ping": 5}
    slots = [dt.datetime(2026, 12, 4, 13, m, tzinfo=dt.UTC) for m in range(0, 60, 5)]
    assert [s.minute for s in slots if demo.due("tick", s)] == [0, 10, 20, 30, 40, 50]
    assert pl.Series([demo.due("tick", s) for s in slots]).sum() == 6
