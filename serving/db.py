"""The API's door to the warehouse: run a query function in a worker thread, in one transaction.

Handlers stay async and short; the blocking SQLAlchemy work happens off the event loop with a
pooled connection held only for that call (never for a WebSocket's life).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy.engine import Engine

T = TypeVar("T")


class Db:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(conn, *args, **kwargs)`` in a transaction (commit on success, rollback on error)."""
        return await anyio.to_thread.run_sync(partial(self.run_sync, fn, *args, **kwargs))
