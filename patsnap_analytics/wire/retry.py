"""When and how long to wait before retrying a call that failed transiently.

Retried: :class:`~patsnap_analytics.errors.RetryableError` (rate limits 67200001/67200002 and HTTP 429,
service failures 68300005/68300006/68300008 and HTTP 5xx) and
:class:`~patsnap_analytics.errors.TransportError` (dropped connections, timeouts). Never retried: bad
requests, auth, permission and quota errors, redirects and oversized answers, and network failures a retry
cannot fix (a host name that does not resolve, a refused or unreachable address, a failed TLS handshake) —
retrying those only burns calls or time. An answer that is not the API's
(:class:`~patsnap_analytics.errors.ProtocolError`: an HTML maintenance page, an empty or invalid body,
malformed data) is retried at most twice: a server in maintenance answers the same for minutes, and each
retry is a call.

Example:
    >>> policy = RetryPolicy(max_attempts=4, backoff=0.5, max_backoff=4.0, jitter=False)
    >>> [policy.delay(n) for n in (1, 2, 3, 4)]
    [0.5, 1.0, 2.0, 4.0]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import (
    AnswerTooLarge,
    PatsnapError,
    ProtocolError,
    RedirectRefused,
    RetryableError,
    TransportError,
)

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded both in attempts and in total time.

    ``max_attempts`` counts the first try; ``max_total`` caps the seconds spent waiting across retries;
    a ``Retry-After`` from the server is honoured when it is larger than the computed delay (still capped).

    Example:
        >>> RetryPolicy().should_retry(RetryableError("x"), attempt=1, waited=0.0)
        True
        >>> RetryPolicy(max_attempts=1).should_retry(RetryableError("x"), attempt=1, waited=0.0)
        False
        >>> RetryPolicy().should_retry(ProtocolError("/x", "body", "not JSON"), attempt=3, waited=0.0)
        False
    """

    max_attempts: int = 6
    max_protocol_attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_total: float = 60.0
    jitter: bool = True

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        # full jitter spreads many workers' retries apart instead of having them hit the limit together
        wait = random.uniform(base / 2, base) if self.jitter else base
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff))
        return wait

    def should_retry(self, error: PatsnapError, *, attempt: int, waited: float, next_delay: float = 0.0) -> bool:
        """Whether to try again after ``error`` on attempt ``attempt`` having waited ``waited`` s so far."""
        if not isinstance(error, (RetryableError, TransportError)) or isinstance(error, (AnswerTooLarge,
                                                                                          RedirectRefused)):
            return False
        if not error.retryable:
            return False  # a DNS failure or a refused connection stays so: raised at once, not after 11 s
        limit = min(self.max_attempts, self.max_protocol_attempts) if isinstance(error, ProtocolError) \
            else self.max_attempts
        return attempt < limit and waited + next_delay <= self.max_total


#: No retries at all (tests that want to see the first error).
NO_RETRY = RetryPolicy(max_attempts=1)
