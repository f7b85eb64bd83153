"""Gates every outgoing call passes: a calls-per-second limit and a calls budget, shared by threads.

They sit *after* the cache in the client: a cache hit is never throttled or charged to a budget.

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
from typing import Protocol

__all__ = ["CallBudget", "CallGate", "RateLimiter"]


class CallGate(Protocol):
    """Anything the client passes every outgoing call through: ``acquire()`` blocks or raises.

    Example:
        >>> gates: list[CallGate] = [RateLimiter(qps=100), CallBudget(10)]
        >>> for gate in gates:
        ...     gate.acquire()
    """

    def acquire(self) -> None: ...


class RateLimiter:
    """Spaces calls ``(1 + margin)/qps`` seconds apart (a leaky bucket with no burst), across threads.

    Spacing rather than a burst window keeps the server's sliding one-second window from ever seeing
    more than ``qps`` calls, whatever the phase of its window. At exactly ``1/qps`` call k and call k+qps
    land exactly one second apart and any network jitter trips the server's limit; the 5 % ``margin``
    absorbs that jitter for 5 % of throughput.

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
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from .errors import ValidationError

        if isinstance(qps, bool) or not isinstance(qps, (int, float)) or qps <= 0:
            raise ValidationError("qps", f"must be a positive number, got {qps!r}")
        self.interval = (1.0 + margin) / float(qps)
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


class CallBudget:
    """A hard cap on calls sent: ``acquire`` raises :class:`~patsnap_analytics.errors.BudgetExceeded` past it.

    Retries count too: each attempt is a call the account may be charged for.

    Example:
        >>> budget = CallBudget(2)
        >>> budget.acquire(); budget.acquire()
        >>> budget.acquire()
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.BudgetExceeded: max_calls=2 reached: the next call would exceed the budget
    """

    def __init__(self, max_calls: int) -> None:
        from .errors import ValidationError

        if isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 0:
            raise ValidationError("max_calls", f"must be a non-negative integer, got {max_calls!r}")
        self.max_calls = max_calls
        self.spent = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        """Calls still allowed."""
        with self._lock:
            return self.max_calls - self.spent

    def acquire(self) -> None:
        """Take one call from the budget, or raise when none is left."""
        from .errors import BudgetExceeded

        with self._lock:
            if self.spent >= self.max_calls:
                raise BudgetExceeded(f"max_calls={self.max_calls} reached: the next call would exceed the budget")
            self.spent += 1
