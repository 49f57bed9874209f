"""Revoked login families, known to every serving process without a lookup per request.

Access tokens are stateless JWTs; to refuse one before it expires, each process keeps the families
(``sid``) revoked within the last access-token lifetime: read from the outbox's ``sessions``
channel at startup, then kept current by the outbox hub as revocations commit anywhere. An entry
is forgotten once every access token issued before its revocation has expired.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from warehouse.outbox import OutboxEvent
from warehouse.queries.users import SESSIONS_CHANNEL

# Tokens are checked against the clock of the process that issued them; allow for skew.
CLOCK_SKEW_SECONDS = 30.0


class Revocations:
    def __init__(self, access_token_seconds: float, on_revoke: Callable[[set[str]], None]) -> None:
        self.keep = access_token_seconds + CLOCK_SKEW_SECONDS
        self.on_revoke = on_revoke  # ends what else the sessions hold open (live subscriptions)
        self._until: dict[str, float] = {}  # sid -> wall time after which it can be forgotten

    def add(self, sids: Iterable[str], revoked_at: datetime) -> None:
        sids = set(sids)
        until = revoked_at.timestamp() + self.keep
        now = time.time()
        for sid, old in list(self._until.items()):  # revocations are rare: prune as they come
            if old < now:
                del self._until[sid]
        for sid in sids:
            self._until[sid] = max(until, self._until.get(sid, 0.0))
        if sids:
            self.on_revoke(sids)

    def revoked(self, sid: str | None) -> bool:
        until = self._until.get(sid) if sid is not None else None
        return until is not None and until >= time.time()

    async def apply(self, events: Iterable[OutboxEvent]) -> None:
        """The outbox hub's listener: take the revocations among its events."""
        for event in events:
            if event.channel == SESSIONS_CHANNEL:
                self.add((str(s) for s in event.payload.get("sids", [])), event.created_at)
