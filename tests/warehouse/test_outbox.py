"""The outbox: events commit with their data, in commit order, replayable, and notified."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import psycopg
import pytest
import sqlalchemy as sa

from warehouse import outbox
from warehouse.engine import get_engine, transaction


def test_publish_commits_with_the_transaction(db_url):
    with transaction(db_url) as conn:
        seq = outbox.publish(conn, "price_updates", {"symbols": ["BTC"], "rows": 1}, partition_key="2024-01-01")
    with pytest.raises(RuntimeError), transaction(db_url) as conn:
        outbox.publish(conn, "price_updates", {"rows": 2})
        raise RuntimeError("writer failed after publishing")
    with get_engine(db_url).connect() as conn:
        events = outbox.events_after(conn, 0)
    assert [(e.seq, e.partition_key, e.payload) for e in events] == [
        (seq, "2024-01-01", {"symbols": ["BTC"], "rows": 1})
    ]
    assert events[0].message() == {
        "channel": "price_updates",
        "seq": seq,
        "type": "price_updates",
        "data": events[0].payload,
    }


def test_bad_channel_and_oversized_payload_are_refused(db_url):
    with transaction(db_url) as conn:
        with pytest.raises(ValueError, match="unknown outbox channel"):
            outbox.publish(conn, "nope", {})
        with pytest.raises(ValueError, match="keep it small"):
            outbox.publish(conn, "alerts", {"blob": "x" * 10_000})


def test_notify_arrives_only_after_commit(db_url):
    with psycopg.connect(db_url.libpq, autocommit=True) as listener:
        listener.execute(f"LISTEN {outbox.NOTIFY_CHANNEL}")
        with transaction(db_url) as conn:
            seq = outbox.publish(conn, "alerts", {"id": 1}, user_id=None)
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # not before commit
        got = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.payload for n in got] == [str(seq)]


def test_user_scoping_in_replay(db_url):
    with transaction(db_url) as conn:
        public = outbox.publish(conn, "price_updates", {"n": 0})
        mine = outbox.publish(conn, "alerts", {"n": 1}, user_id=1)
        outbox.publish(conn, "alerts", {"n": 2}, user_id=2)
    with get_engine(db_url).connect() as conn:
        assert [e.seq for e in outbox.events_after(conn, 0, user_id=1)] == [public, mine]
        assert [e.seq for e in outbox.events_after(conn, 0, user_id=1, include_public=False)] == [mine]
        assert [e.seq for e in outbox.events_after(conn, 0, channels=["price_updates"])] == [public]


def test_concurrent_writers_commit_in_sequence_order(db_url):
    """A reader that resumes after the last seq it saw never misses a late-committing writer."""
    writers, per_writer = 6, 15
    seen: list[int] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        rnd = random.Random(worker)
        for i in range(per_writer):
            with transaction(db_url) as conn:
                outbox.publish(conn, "price_updates", {"w": worker, "i": i})
                time.sleep(rnd.random() * 0.01)  # hold the transaction open a little, like real writes

    def read() -> None:
        last = 0
        while True:
            # Read "stopped" before querying: an empty answer then really means nothing is left.
            stopped = stop.is_set()
            with get_engine(db_url).connect() as conn:
                batch = outbox.events_after(conn, last)
            for event in batch:
                seen.append(event.seq)
                last = event.seq
            if stopped and not batch:
                break
            time.sleep(0.002)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    reader.join(timeout=30)
    with get_engine(db_url).connect() as conn:
        stored = [e.seq for e in outbox.events_after(conn, 0, limit=10_000)]
    assert len(stored) == writers * per_writer
    assert seen == stored  # incremental reads saw every event exactly once, in order


def test_cleanup_keeps_recent_and_the_newest(db_url):
    with transaction(db_url) as conn:
        seqs = [outbox.publish(conn, "price_updates", {"i": i}) for i in range(5)]
        conn.execute(
            sa.text("UPDATE event_outbox SET created_at = now() - interval '10 days' WHERE seq <= :s"),
            {"s": seqs[3]},
        )
    with transaction(db_url) as conn:
        assert outbox.cleanup(conn, dt.timedelta(days=7), keep_latest=2) == 3
    with get_engine(db_url).connect() as conn:
        assert [e.seq for e in outbox.events_after(conn, 0)] == seqs[3:]
        assert outbox.latest_seq(conn) == seqs[-1]
