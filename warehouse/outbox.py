"""The event outbox: every committed partition leaves an ordered, replayable event.

``publish`` inserts into ``event_outbox`` inside the writer's transaction and calls
``pg_notify``; PostgreSQL delivers the notification only if and when that transaction commits,
so listeners never hear of data they cannot read yet.

Ordering: ``seq`` comes from an identity column, but concurrent transactions can commit in another
order than they drew numbers, and a reader resuming "after seq N" would then skip a late commit.
``publish`` therefore takes a transaction-scoped advisory lock before drawing its number: seq order
is commit order. Publish last in a transaction, so the lock is held only for the commit.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warehouse.models import OUTBOX_CHANNELS, event_outbox

NOTIFY_CHANNEL = "crypto_risk_outbox"
_ORDER_LOCK = 0x6F7574626F78  # "outbox"
_MAX_PAYLOAD_BYTES = 7000


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    channel: str
    partition_key: str | None
    user_id: int | None
    payload: dict[str, Any]
    created_at: dt.datetime

    def message(self) -> dict[str, Any]:
        """The WebSocket wire form: ``{"channel", "seq", "type", "data"}``."""
        return {
            "channel": self.channel,
            "seq": self.seq,
            "type": self.payload.get("type", self.channel),
            "data": self.payload,
        }


def publish(
    conn: Connection,
    channel: str,
    payload: dict[str, Any],
    *,
    partition_key: str | None = None,
    user_id: int | None = None,
) -> int:
    """Record an event in the caller's transaction; return its sequence number."""
    if channel not in OUTBOX_CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}; expected one of {', '.join(OUTBOX_CHANNELS)}")
    body = json.dumps(payload, default=str, allow_nan=False)
    if len(body.encode()) > _MAX_PAYLOAD_BYTES:
        raise ValueError(f"outbox payload for {channel} is {len(body)} bytes; keep it small (ids, counts, window)")
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ORDER_LOCK})
    seq = conn.execute(
        sa.insert(event_outbox)
        .values(channel=channel, partition_key=partition_key, user_id=user_id, payload=json.loads(body))
        .returning(event_outbox.c.seq)
    ).scalar_one()
    conn.execute(sa.text("SELECT pg_notify(:ch, :seq)"), {"ch": NOTIFY_CHANNEL, "seq": str(seq)})
    return seq


def events_after(
    conn: Connection,
    seq: int,
    *,
    channels: Sequence[str] | None = None,
    user_id: int | None = None,
    include_public: bool = True,
    limit: int = 1000,
) -> list[OutboxEvent]:
    """Events with ``seq`` greater than the given one, oldest first.

    ``user_id`` limits user-scoped events to that user's (public events, ``user_id IS NULL``,
    are included unless ``include_public`` is False).
    """
    query = sa.select(event_outbox).where(event_outbox.c.seq > seq).order_by(event_outbox.c.seq).limit(limit)
    if channels:
        query = query.where(event_outbox.c.channel.in_(list(channels)))
    if user_id is not None:
        mine = event_outbox.c.user_id == user_id
        query = query.where(sa.or_(mine, event_outbox.c.user_id.is_(None)) if include_public else mine)
    return [OutboxEvent(**row._mapping) for row in conn.execute(query)]


def latest_seq(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(event_outbox.c.seq), 0))).scalar_one()


def cleanup(conn: Connection, older_than: dt.timedelta, *, keep_latest: int = 1000) -> int:
    """Delete events older than ``older_than``, always keeping the newest ``keep_latest`` (so a
    client reconnecting after a quiet spell still finds where it left off). Returns rows deleted."""
    cutoff = dt.datetime.now(dt.UTC) - older_than
    floor = conn.execute(
        sa.select(event_outbox.c.seq).order_by(event_outbox.c.seq.desc()).offset(keep_latest - 1).limit(1)
    ).scalar()
    if floor is None:
        return 0
    result = conn.execute(sa.delete(event_outbox).where(event_outbox.c.created_at < cutoff, event_outbox.c.seq < floor))
    return result.rowcount
