"""A client-side calls-per-second limit, shared by threads.

It sits *after* the cache in the client: a cache hit is never throttled, only calls that go out.

Example:
    >>> limiter = RateLimiter(qps=1000)
    >>> for _ in range(3):
    ...     limiter.acquire()
    >>> limiter.acquired
    3
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces calls at least ``1/qps`` seconds apart (a leaky bucket with no burst), across threads.

    Spacing rather than a burst window keeps the server's sliding one-second window from ever seeing
    more than ``qps`` calls, whatever the phase of its window.

    Example:
        >>> RateLimiter(qps=0)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: qps: must be a positive number, got 0
    """

    def __init__(
        self,
        qps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from .errors import ValidationError

        if isinstance(qps, bool) or not isinstance(qps, (int, float)) or qps <= 0:
            raise ValidationError("qps", f"must be a positive number, got {qps!r}")
        self.interval = 1.0 / float(qps)
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()
        self.acquired = 0

    def acquire(self) -> None:
        """Block until the next call may go out."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            self.acquired += 1
        if slot > now:
            self._sleep(slot - now)
