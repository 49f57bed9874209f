"""Process-level tuning of a serving process, applied for the app's lifetime (lifespan).

The garbage collector: a process holding thousands of WebSocket connections keeps millions of
long-lived objects (tasks, queues, protocol state) and allocates a few short-lived ones per event
per connection. With CPython's default thresholds (a young collection every 700 allocations) a
fan-out to 10,000 clients triggers many collections, and the older ones walk the whole heap:
measured at about a third of the server's CPU in a 10,000-client fan-out. Freezing what startup
built and collecting the young generation less often takes that to a few percent; reference
counting still frees almost everything at once, the thresholds only space out the cycle detector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLDS = (50_000, 20, 20)

# Apps alive in this process (tests run several, overlapping): the first applies, the last restores.
_users = 0
_previous: tuple[int, int, int] | None = None
_lock = threading.Lock()  # test servers start and stop their apps on their own threads


@contextmanager
def tuned_gc() -> Iterator[None]:
    global _users, _previous
    with _lock:
        if _users == 0:
            _previous = gc.get_threshold()
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _previous is not None:
                gc.set_threshold(*_previous)
                gc.unfreeze()
