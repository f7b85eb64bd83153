"""Gates every outgoing call passes: a calls-per-second limit, a calls budget and a stop switch.

They sit *after* the cache: a cache hit is never throttled, charged to a budget or stopped. The client's
own ``qps=`` limiter and the gates of one batch or labelling run (:func:`call_gates`) are all
:class:`CallGate` s; the transport acquires every one of them right before each call goes out.

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

from .errors import BatchStopped, BudgetExceeded, ValidationError

__all__ = ["CallBudget", "CallGate", "RateLimiter", "StopGate", "call_gates", "check_workers"]


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
        with self._lock:
            if self.spent >= self.max_calls:
                raise BudgetExceeded(f"max_calls={self.max_calls} reached: the next call would exceed the budget")
            self.spent += 1


class StopGate:
    """A gate that lets calls through until :meth:`close`; then every call that would go out raises
    :class:`~patsnap_analytics.errors.BatchStopped` (cache hits never reach a gate, so they are still served).

    Example:
        >>> gate = StopGate(); gate.acquire()
        >>> gate.close("daily quota used up"); gate.acquire()
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.BatchStopped: not sent: daily quota used up
    """

    def __init__(self) -> None:
        self._reason: str | None = None
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        """Whether calls are refused."""
        return self._reason is not None

    def close(self, reason: str) -> None:
        """Refuse every further call (the first reason is kept)."""
        with self._lock:
            if self._reason is None:
                self._reason = reason

    def acquire(self) -> None:
        """Raise :class:`BatchStopped` once closed."""
        if self._reason is not None:
            raise BatchStopped(f"not sent: {self._reason}")


def call_gates(max_calls: int | None, qps: float | None) -> tuple[list[CallGate], StopGate]:
    """The gates every outgoing call of a batch passes, and the stop gate that ends the batch.

    Budget first (it fails fast), then the rate slot, then the stop check right before the call goes out.

    Example:
        >>> gates, stop = call_gates(max_calls=5, qps=None)
        >>> [type(g).__name__ for g in gates]
        ['CallBudget', 'StopGate']
    """
    budget = CallBudget(max_calls) if max_calls is not None else None  # validates max_calls
    limiter = RateLimiter(qps) if qps is not None else None  # validates qps
    stop = StopGate()
    return [g for g in (budget, limiter) if g is not None] + [stop], stop


def check_workers(workers: object) -> int:
    """``workers`` (searches in flight at once) validated: a positive integer.

    Example:
        >>> check_workers(0)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: workers: must be a positive integer, got 0
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError("workers", f"must be a positive integer, got {workers!r}")
    return workers
