"""Circuit breaker: after ``threshold`` consecutive failures a provider is left alone for
``reset_after_s``; then one probe call is let through (half-open) and its outcome closes or
re-opens the circuit. One breaker per provider and base URL, so a provider that is down never
slows the others.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
_OUTCOME_WINDOW = 100


@dataclass
class CircuitBreaker:
    threshold: int = 5
    reset_after_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    _probing: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Recent call outcomes (True = ok) for the health table's error rate.
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=_OUTCOME_WINDOW), repr=False)

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one probe at a time may."""
        with self._lock:
            if self.state == CLOSED:
                return True
            if self.state == OPEN and self.clock() - self.opened_at >= self.reset_after_s:
                self.state = HALF_OPEN
                self._probing = False
            if self.state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def retry_in(self) -> float:
        with self._lock:
            return max(0.0, self.reset_after_s - (self.clock() - self.opened_at))

    def record_success(self) -> None:
        with self._lock:
            self.outcomes.append(True)
            self.state, self.failures, self._probing = CLOSED, 0, False

    def record_failure(self) -> None:
        with self._lock:
            self.outcomes.append(False)
            self.failures += 1
            if self.state == HALF_OPEN or self.failures >= self.threshold:
                self.state, self.opened_at, self._probing = OPEN, self.clock(), False

    def release_probe(self) -> None:
        """A half-open probe ended without a verdict on the provider (e.g. a bad request)."""
        with self._lock:
            self._probing = False

    @property
    def error_rate(self) -> float | None:
        with self._lock:
            if not self.outcomes:
                return None
            return self.outcomes.count(False) / len(self.outcomes)


_registry: dict[tuple[str, str], CircuitBreaker] = {}
_registry_lock = threading.Lock()


def breaker_for(provider: str, base_url: str, *, threshold: int, reset_after_s: float) -> CircuitBreaker:
    """The process-wide breaker of one provider endpoint (shared by every client of it)."""
    with _registry_lock:
        breaker = _registry.get((provider, base_url))
        if breaker is None:
            breaker = CircuitBreaker(threshold=threshold, reset_after_s=reset_after_s)
            _registry[(provider, base_url)] = breaker
        return breaker
