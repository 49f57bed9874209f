"""The response cache: Litestar's response cache over a memory store that counts hits and misses.

Public market and price reads are cached by URL and flushed whole as soon as the outbox announces
new public market data. A user's portfolio risk reads are cached under keys carrying the user's id
and a generation number, bumped by that user's outbox events and by their own writes. Entries
also expire after the configured TTL."""

from __future__ import annotations

from datetime import timedelta

from litestar import Request
from litestar.config.response_cache import default_cache_key_builder
from litestar.stores.memory import MemoryStore
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import CACHE_INVALIDATIONS, CACHE_REQUESTS

# Outbox channels whose public events (no user) change what the cached routes return.
INVALIDATING_CHANNELS = frozenset({"price_updates", "risk_metrics_updates"})
STORE_NAME = "response_cache"


class CountingStore(MemoryStore):
    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        value = await super().get(key, renew_for)
        CACHE_REQUESTS.labels("miss" if value is None else "hit").inc()
        return value

    async def invalidate(self) -> None:
        CACHE_INVALIDATIONS.inc()
        await self.delete_all()


# --- per-user entries -------------------------------------------------------------------------------

# Outbox channels whose events change a user's cached portfolio reads.
USER_CHANNELS = frozenset({"portfolio_updates", "risk_metrics_updates", "holdings_changed"})


class Generations:
    """Version numbers in the keys of per-user cache entries: bumping a user's number makes all
    their entries unreachable at once (they then expire by TTL), without scanning the store."""

    def __init__(self) -> None:
        self.everyone = 0
        self.users: dict[int, int] = {}

    def bump(self, user_id: int | None) -> None:
        if user_id is None:
            self.everyone += 1
        else:
            self.users[user_id] = self.users.get(user_id, 0) + 1

    def key(self, request: Request) -> str:
        user_id = request.user.id
        generation = f"{self.everyone}.{self.users.get(user_id, 0)}"
        return f"user:{user_id}:{generation}:{default_cache_key_builder(request)}"


def user_cache_key(request: Request) -> str:
    """Cache key builder for user-scoped GETs: the owner's id and generation are part of it."""
    return request.app.state.generations.key(request)


class FreshAfterWrites:
    """ASGI middleware: a user's own successful write (any non-GET) bumps their generation just
    before its response starts, i.e. after the transaction committed, so the writer's next read
    is fresh in this process. Other processes catch up from the outbox event (milliseconds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def bump_then_send(message: Message) -> None:
            user = scope.get("user")
            if message["type"] == "http.response.start" and user is not None and message["status"] < 400:
                scope["app"].state.generations.bump(user.id)
            await send(message)

        await self.app(scope, receive, bump_then_send)
