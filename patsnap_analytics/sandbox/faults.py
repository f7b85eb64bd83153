"""Fault and quota simulation for the sandbox: what can go wrong with the real API, on demand.

Everything is OFF by default. :class:`FaultSettings` is the one typed object holding the knobs;
:class:`Faults` holds the settings plus the state they act on (a seeded random generator, per-credential
QPS windows, the daily quota counter and the remaining balance) and answers, per business call,
"what goes wrong with this one?". :class:`Clock` is the sandbox's notion of time, which tests can move
forward instead of sleeping (token lifetime, upload expiry and QPS windows all read it).

Random faults are drawn with ONE uniform number per call against consecutive bands
(drop, HTTP 503, 67200002, 68300008), so the kinds are mutually exclusive and each occurs at exactly its
configured rate in expectation; the same ``seed`` and call order give the same outcomes.

Example:
    >>> faults = Faults(FaultSettings(rate_limit_fraction=1.0), seed=1)
    >>> faults.draw()
    'rate_limited'
    >>> _ = faults.update(rate_limit_fraction=0.0); faults.draw() is None
    True
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["DEFAULT_TOKEN_LIFETIME", "DEFAULT_UPLOAD_EXPIRE", "Clock", "FaultSettings", "Faults"]

#: The vendor's tokens live ~30 minutes; their answer says ``expires_in: 1799``.
DEFAULT_TOKEN_LIFETIME = 1799
#: The vendor's upload URLs are valid for 9 hours.
DEFAULT_UPLOAD_EXPIRE = 32400

# the refusals reserve_call() answers with
DAILY_QUOTA = 67200007
BALANCE = 67200005


class Clock:
    """Monotonic seconds that tests can move forward with :meth:`advance` (no sleeping in tests), and the
    calendar they run on: :meth:`calendar` starts at ``start`` (default: now, UTC) and moves with them.

    The calendar is the vendor's own wall clock, as the sandbox plays it: designs published after
    :meth:`today` are not found yet, and overnight jobs run in its night (22:00-08:00).

    Example:
        >>> clock = Clock(start=datetime(2026, 11, 1, 12, 0)); t0 = clock.now(); clock.advance(3600)
        >>> clock.now() - t0 >= 3600, clock.calendar().hour, str(clock.today())
        (True, 13, '2026-11-01')
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._origin = time.monotonic()
        # naive: the vendor's local wall clock (its night window is in its own hours)
        self._start = (start or datetime.now(UTC)).replace(tzinfo=None)

    def now(self) -> float:
        """The current time in seconds (monotonic plus every :meth:`advance` so far)."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward: tokens and upload URLs age by ``seconds`` at once, and the calendar moves on."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def calendar(self) -> datetime:
        """The date and time on the sandbox's calendar (naive: the vendor's local time)."""
        return self._start + timedelta(seconds=self.now() - self._origin)

    def today(self) -> date:
        """The day on the sandbox's calendar."""
        return self.calendar().date()


@dataclass
class FaultSettings:
    """The simulation knobs (all off by default); :meth:`validate` checks them.

    - ``latency``: seconds added to every business call.
    - ``qps_limit``: calls per credential in any sliding 1 s window; beyond it -> 67200002.
    - ``rate_limit_fraction`` / ``service_error_fraction``: share of calls answered 67200002 / 68300008.
    - ``http_503_fraction``: share answered with a bare HTTP 503.
    - ``drop_fraction``: share whose connection is dropped before any answer (a connection error).
    - ``daily_quota``: successful business calls per day; beyond it -> 67200007 until ``advance_day()``.
    - ``balance``: successful business calls the account can still pay for; then 67200005.
    - ``token_lifetime``: seconds an OAuth token lives; ``upload_expire``: seconds an upload URL lives.
    - ``unlicensed``: endpoint paths the account's package does not include: calls get 67200004.
    - ``no_drawing``: patent numbers whose abstract drawing the abstract-image endpoint (P021) lacks, as old
      records scanned without one do.

    Example:
        >>> FaultSettings(drop_fraction=0.6, http_503_fraction=0.6).validate()
        Traceback (most recent call last):
        ...
        ValueError: the fault fractions add up to 1.2; they must add up to at most 1
    """

    latency: float = 0.0
    qps_limit: int | None = None
    rate_limit_fraction: float = 0.0
    service_error_fraction: float = 0.0
    http_503_fraction: float = 0.0
    drop_fraction: float = 0.0
    daily_quota: int | None = None
    balance: int | None = None
    token_lifetime: float = DEFAULT_TOKEN_LIFETIME
    upload_expire: int = DEFAULT_UPLOAD_EXPIRE
    unlicensed: tuple[str, ...] = ()
    no_drawing: tuple[str, ...] = ()

    FRACTIONS = ("drop_fraction", "http_503_fraction", "rate_limit_fraction", "service_error_fraction")

    def validate(self) -> FaultSettings:
        """Raise ``ValueError`` for an impossible setting; return ``self``."""
        for name in self.FRACTIONS:
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must lie between 0 and 1, got {value!r}")
        total = sum(float(getattr(self, name)) for name in self.FRACTIONS)
        if total > 1.0 + 1e-9:
            raise ValueError(f"the fault fractions add up to {total:.3g}; they must add up to at most 1")
        if self.latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {self.latency!r}")
        for name in ("qps_limit", "daily_quota", "balance"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 0):
                raise ValueError(f"{name} must be None or an integer >= 0, got {value!r}")
        if self.token_lifetime <= 0 or self.upload_expire <= 0:
            raise ValueError("token_lifetime and upload_expire must be > 0 seconds")
        if isinstance(self.unlicensed, str) or not all(isinstance(p, str) for p in self.unlicensed):
            raise ValueError(f"unlicensed must be a tuple of endpoint paths, got {self.unlicensed!r}")
        if isinstance(self.no_drawing, str) or not all(isinstance(p, str) for p in self.no_drawing):
            raise ValueError(f"no_drawing must be a tuple of patent numbers, got {self.no_drawing!r}")
        self.unlicensed = tuple(self.unlicensed)
        self.no_drawing = tuple(p.upper() for p in self.no_drawing)
        return self

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The knob names, e.g. for ``Sandbox(**faults)`` and CLI flags.

        Example:
            >>> "qps_limit" in FaultSettings.names()
            True
        """
        return tuple(f.name for f in dataclasses.fields(cls))


class Faults:
    """Settings plus state: decides which fault (if any) hits each business call.

    Thread-safe: the server calls it from its event loop while a test or notebook changes settings.

    Example:
        >>> faults = Faults(FaultSettings(daily_quota=1))
        >>> faults.reserve_call(), faults.commit_call(), faults.reserve_call()
        (None, None, 67200007)
        >>> faults.advance_day(); faults.reserve_call() is None
        True
    """

    def __init__(self, settings: FaultSettings | None = None, *, seed: int = 0, clock: Clock | None = None) -> None:
        self.settings = (settings or FaultSettings()).validate()
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self.calls_today = 0          # successful business calls since the last advance_day()
        self._reserved = 0            # calls admitted but not finished yet
        self.balance_left = self.settings.balance
        self._scripted: deque[int] = deque()

    def fail_next(self, *error_codes: int) -> None:
        """Answer the next business calls with these error codes, one each, in order (after auth).

        This is how a test meets every documented code over real HTTP, including those no other knob produces.

        Example:
            >>> f = Faults(); f.fail_next(67200004, 68300005)
            >>> f.next_scripted(), f.next_scripted(), f.next_scripted()
            (67200004, 68300005, None)
        """
        with self._lock:
            self._scripted.extend(int(c) for c in error_codes)

    def next_scripted(self) -> int | None:
        """The next scripted error code, or ``None`` when the script is empty."""
        with self._lock:
            return self._scripted.popleft() if self._scripted else None

    def update(self, **changes: Any) -> FaultSettings:
        """Change knobs at runtime (validated as a whole); ``seed=`` restarts the random sequence.

        Setting ``balance`` refills the account to that many calls.

        Example:
            >>> Faults().update(latency=0.5).latency
            0.5
        """
        seed = changes.pop("seed", None)
        unknown = set(changes) - set(FaultSettings.names())
        if unknown:
            raise TypeError(f"unknown fault setting(s) {sorted(unknown)}; known: {', '.join(FaultSettings.names())}")
        with self._lock:
            new = dataclasses.replace(self.settings, **changes).validate()
            self.settings = new
            if "balance" in changes:
                self.balance_left = new.balance
            if "qps_limit" in changes:
                self._windows.clear()
            if seed is not None:
                self._seed = seed
                self._rng = random.Random(seed)
        return self.settings

    def draw(self) -> str | None:
        """The random fault for one call: ``'drop'``, ``'http_503'``, ``'rate_limited'``, ``'service_error'``
        or ``None``."""
        s = self.settings
        bands = (("drop", s.drop_fraction), ("http_503", s.http_503_fraction),
                 ("rate_limited", s.rate_limit_fraction), ("service_error", s.service_error_fraction))
        if not any(share for _, share in bands):
            return None  # draw nothing when off, so turning faults on later starts the sequence fresh
        with self._lock:
            u = self._rng.random()
        edge = 0.0
        for kind, share in bands:
            edge += share
            if u < edge:
                return kind
        return None

    def over_qps(self, credential: str) -> bool:
        """True when ``credential`` already made ``qps_limit`` admitted calls in the last second.

        A refused call does not enter the window (the vendor counts admitted calls).
        """
        limit = self.settings.qps_limit
        if limit is None:
            return False
        now = self.clock.now()
        with self._lock:
            window = self._windows[credential]
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                return True
            window.append(now)
            return False

    def reserve_call(self) -> int | None:
        """Admit one business call against the daily quota and the balance, or return the refusal code.

        An admitted call must be finished with :meth:`commit_call` (it succeeded: it counts and costs)
        or :meth:`release_call` (it failed: free of charge).
        """
        s = self.settings
        with self._lock:
            if s.daily_quota is not None and self.calls_today + self._reserved >= s.daily_quota:
                return DAILY_QUOTA
            if self.balance_left is not None and self.balance_left - self._reserved <= 0:
                return BALANCE
            self._reserved += 1
            return None

    def commit_call(self) -> None:
        """The admitted call succeeded: count it against today's quota and the balance."""
        with self._lock:
            self._reserved = max(0, self._reserved - 1)
            self.calls_today += 1
            if self.balance_left is not None:
                self.balance_left = max(0, self.balance_left - 1)

    def release_call(self) -> None:
        """The admitted call failed: it costs nothing."""
        with self._lock:
            self._reserved = max(0, self._reserved - 1)

    def advance_day(self) -> None:
        """Midnight: the daily quota starts again (the balance does not)."""
        with self._lock:
            self.calls_today = 0
