"""Gates every outgoing call passes: a calls-per-second limit, a calls budget and a stop switch.

They sit *after* the cache: a cache hit is never throttled, charged to a budget or stopped. The client's
own gates (:func:`client_gates`: ``qps=``, ``max_calls=``, ``max_calls_per_day=``) and the gates of one batch
or labelling run (:func:`call_gates`) are all :class:`CallGate` s; the transport passes every one of them
(:func:`passing`) right before each call goes out.

A team (a client whose cache is a :class:`~patsnap_analytics.store.team.Team`'s Redis) shares its client gates
with every process of the team: one QPS limit (:class:`SharedRateLimiter`) and one count of calls against
``max_calls`` and ``max_calls_per_day`` (:class:`SpendGate`). When Redis stops answering, each goes on in
this process: a local :class:`RateLimiter` at the same ``qps``, the budgets from the last counts seen.

Example:
    >>> limiter = RateLimiter(qps=1000)
    >>> for _ in range(3):
    ...     limiter.acquire()
    >>> limiter.acquired
    3
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import BatchStopped, BudgetExceeded, ValidationError

if TYPE_CHECKING:
    from ..store.team import Team

__all__ = ["CallBudget", "CallGate", "GateChain", "RateLimiter", "SharedRateLimiter", "SpendGate", "StopGate",
           "announce_cost", "call_gates", "check_workers", "client_gates", "passing"]


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


@contextmanager
def passing(gates: Iterable[CallGate]) -> Iterator[None]:
    """Pass every gate, in order, for one call; a gate that keeps a slot while the call is out (one with a
    ``hold()`` context manager: :class:`SharedRateLimiter`) gets it back when the ``with`` block ends, i.e.
    when the call has been answered (or failed).

    Example:
        >>> budget = CallBudget(1)
        >>> with passing([budget, RateLimiter(qps=100)]):
        ...     budget.remaining
        0
    """
    with ExitStack() as held:
        for gate in gates:
            hold = getattr(gate, "hold", None)
            if hold is None:
                gate.acquire()
            else:
                held.enter_context(hold())
        yield


class GateChain:
    """Several gates passed as one, in order (the client's own gates, as the transport's ``limiter``).

    Example:
        >>> chain = GateChain([CallBudget(1), RateLimiter(qps=100)])
        >>> chain.acquire(); chain.acquire()
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.BudgetExceeded: max_calls=1 reached: the next call would exceed the budget
    """

    def __init__(self, gates: Iterable[CallGate]) -> None:
        self.gates = list(gates)

    def acquire(self) -> None:
        """Pass every gate (a slot-keeping gate gives its slot back at once)."""
        with self.hold():
            pass

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Pass every gate for the duration of the ``with`` block (see :func:`passing`)."""
        with passing(self.gates):
            yield

    def __iter__(self) -> Iterator[CallGate]:
        return iter(self.gates)


def _utc_day() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def _check_count(name: str, value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValidationError(name, f"must be a non-negative integer (or None for no limit), got {value!r}")
    return value  # type: ignore[return-value]


class SpendGate:
    """Counts every call of an account and holds the count to ``max_calls`` (in all) and ``max_calls_per_day``
    (per UTC day; the day's count is kept two days). With a ``team`` the counts live in its Redis, so every
    process of the team counts into the same two numbers; without one, in this process. A call over either
    limit raises :class:`~patsnap_analytics.errors.BudgetExceeded` and is not counted.

    A restart of Redis never resets the budget: each process keeps the last counts Redis gave it as a floor,
    and a count that comes back below it (Redis restarted empty) is raised to it, in the same atomic step, and
    said once (:meth:`~patsnap_analytics.store.team.Team.check_epoch`). The floor is the highest count a living
    process of the team saw, so calls made since then by a process that has ended are the only ones a restart
    can forget.

    Cost: one Redis round trip per call (no API call).

    Example:
        >>> gate = SpendGate(max_calls_per_day=1)
        >>> gate.acquire(); gate.spent()["calls_today"]
        1
        >>> gate.acquire()
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.BudgetExceeded: max_calls_per_day=1 reached today (UTC): the next call would exceed the daily budget
    """

    DAY_KEPT = 2 * 86400  # seconds a day's count is kept (a client in another time zone may still read it)

    def __init__(self, max_calls: int | None = None, max_calls_per_day: int | None = None, *,
                 team: Team | None = None, scope: str = "", today: Callable[[], str] = _utc_day) -> None:
        self.max_calls = _check_count("max_calls", max_calls)
        self.max_calls_per_day = _check_count("max_calls_per_day", max_calls_per_day)
        self.team = team
        self._today = today
        self._prefix = team.key("spent", team.digest(scope)) if team is not None else ""
        self._lock = threading.Lock()
        self._total = 0
        self._days: dict[str, int] = {}
        self._script: Any = None  # the counting script (_COUNT), registered on first use

    def acquire(self) -> None:
        """Count this call, or raise when it would exceed a limit."""
        day = self._today()
        total, today = self._add(day, 1)
        if self.max_calls is not None and total > self.max_calls:
            self._add(day, -1)
            raise BudgetExceeded(f"max_calls={self.max_calls} reached: the next call would exceed the budget"
                                 f"{' of the team' if self.team is not None else ''}")
        if self.max_calls_per_day is not None and today > self.max_calls_per_day:
            self._add(day, -1)
            raise BudgetExceeded(f"max_calls_per_day={self.max_calls_per_day} reached today (UTC): the next call "
                                 f"would exceed the daily budget{' of the team' if self.team is not None else ''}")

    def _add(self, day: str, step: int) -> tuple[int, int]:
        """Add ``step`` to both counts; returns them. Shared in Redis while it answers — never below the counts
        this process saw last (:data:`_COUNT`) — else in this process (continuing from the last counts Redis
        gave)."""
        team = self.team
        if team is not None and not team.down:
            with self._lock:
                floor_total, floor_day = self._total + step, self._days.get(day, 0) + step
            try:
                if self._script is None:
                    self._script = team.redis.register_script(_COUNT)  # EVALSHA, loaded again after a restart
                total, today, raised = self._script(keys=list(self._count_keys(day)),
                                                    args=[step, floor_total, floor_day, self.DAY_KEPT])
            except _redis_errors() as exc:
                team.fail(exc, "counting a call against the team's budget")
            else:
                with self._lock:
                    self._total, self._days[day] = int(total), int(today)
                if raised:
                    team.check_epoch()  # say once that Redis lost the team's data
                return int(total), int(today)
        with self._lock:
            self._total += step
            self._days[day] = self._days.get(day, 0) + step
            return self._total, self._days[day]

    def _count_keys(self, day: str) -> tuple[str, str]:
        """The Redis keys of the total and of ``day``'s count."""
        return f"{self._prefix}:total", f"{self._prefix}:day:{day}"

    def spent(self) -> dict[str, int]:
        """``{"calls_today": …, "calls_total": …}`` as counted (by the whole team, with a team)."""
        day = self._today()
        team = self.team
        if team is not None and not team.down:
            try:
                total, today = team.redis.mget(*self._count_keys(day))
                return {"calls_today": int(today or 0), "calls_total": int(total or 0)}
            except _redis_errors() as exc:
                team.fail(exc, "reading the team's call counts")
        with self._lock:
            return {"calls_today": self._days.get(day, 0), "calls_total": self._total}

    def reset(self) -> None:
        """Start counting again from zero (the team's counts too): a new budget period."""
        team = self.team
        if team is not None and not team.down:
            try:
                keys = list(team.redis.scan_iter(match=self._prefix + ":*"))
                if keys:
                    team.redis.delete(*keys)
            except _redis_errors() as exc:
                team.fail(exc, "resetting the team's call counts")
        with self._lock:
            self._total, self._days = 0, {}


#: Add ARGV[1] to the total (KEYS[1]) and the day's count (KEYS[2], kept ARGV[4] s), in one atomic step; a
#: count that comes back below this process's floor (ARGV[2], ARGV[3]: what it saw last, plus this step) —
#: Redis restarted empty — is raised to it. Returns both counts and whether one was raised.
_COUNT = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local today = redis.call('INCRBY', KEYS[2], ARGV[1])
local raised = 0
if total < tonumber(ARGV[2]) then
    total = tonumber(ARGV[2]); redis.call('SET', KEYS[1], total); raised = 1
end
if today < tonumber(ARGV[3]) then
    today = tonumber(ARGV[3]); redis.call('SET', KEYS[2], today); raised = 1
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {total, today, raised}
"""


def _redis_errors() -> tuple[type[BaseException], ...]:
    from ..store.team import REDIS_ERRORS  # only reached with a team, whose module is loaded already

    return REDIS_ERRORS


class SharedRateLimiter:
    """``qps`` for every process of a team: at most ``qps`` calls in any one second, counted by the API's
    own clock, whatever the network does.

    The account's limit is counted where a call *arrives*, which is some time after it left and before its
    answer came back. So a limiter that only spaces departures (a moving window of departures, as in
    ``limits``) lets two calls that left a second apart arrive closer together whenever the network or the
    server delays the first more than the second: measured against the sandbox on a busy machine, 31-62 of
    240 calls were refused at a shared ``qps=10`` that way, and still 4-6 with a 5 % margin.

    Here the limit is ``qps`` slots, each a redis-py ``Lock`` in the team's Redis. A call takes a free slot
    before it is sent and keeps it until one second after its answer came back (``hold()``); so two calls
    through one slot arrive more than a second apart, and ``qps + 1`` arrivals within one second would need
    ``qps + 1`` slots. A call keeps its slot at most ``slot_hold`` seconds before its answer frees it (a 5 s
    search frees its slot after ``slot_hold + 1`` s: an API counts a call when it arrives, long before that),
    and a slot whose holder died frees itself then too. Times are Redis's own (key TTLs), so machines with
    different clocks share one limit. A ``qps`` below 1 is one slot resting ``1/qps`` seconds; a fraction
    above 1 is rounded down (whole calls per second).

    Cost: three Redis round trips per call when a slot is free; waiters poll the slots' TTLs.

    Example:
        >>> from patsnap_analytics.store.team import Team
        >>> limiter = SharedRateLimiter(Team("redis://localhost:6379/0"), "https://connect.patsnap.com", qps=2.5)
        >>> limiter.slots, limiter.rest
        (2, 1.0)
        >>> SharedRateLimiter(Team("redis://localhost:6379/0"), "", qps=0.5).rest
        2.0
    """

    def __init__(self, team: Team, scope: str, qps: float) -> None:
        self.local = RateLimiter(qps)  # validates qps; what paces calls once Redis stops answering
        self.team = team
        self.qps = float(qps)
        self.slots = max(1, int(self.qps))
        self.rest = max(1.0, self.slots / self.qps)
        self.names = [team.key("qps", team.digest(scope), str(i)) for i in range(self.slots)]
        self.acquired = 0

    def acquire(self) -> None:
        """Take a slot and give it back at once (its rest starts now)."""
        with self.hold():
            pass

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep a slot for the duration of the ``with`` block (the call), then let it rest :attr:`rest` s."""
        slot = self._take() if not self.team.down else None
        if slot is None:
            self.local.acquire()
        self.acquired += 1
        try:
            yield
        finally:
            if slot is not None:
                self._rest(slot)

    def _take(self) -> Any:
        """A free slot's lock (waiting for one), or ``None`` when Redis stopped answering."""
        from redis.lock import Lock

        redis = self.team.redis
        try:
            while not self.team.down:  # another thread may find Redis gone while this one waits for a slot
                with redis.pipeline(transaction=False) as pipe:
                    for name in self.names:
                        pipe.pttl(name)
                    ttls = pipe.execute()
                free = [name for name, ttl in zip(self.names, ttls, strict=True) if ttl == -2]
                random.shuffle(free)  # processes waking together try different slots first
                for name in free:
                    lock = Lock(redis, name, timeout=self.team.slot_hold + self.rest, thread_local=False)
                    if lock.acquire(blocking=False):
                        return lock
                busy = [ttl for ttl in ttls if ttl > 0]
                # sleep until the first slot frees, but look again within a rest: an answer can shorten a TTL
                time.sleep(min(min(busy, default=1) / 1000, self.rest) + 0.001)
        except _redis_errors() as exc:
            self.team.fail(exc, "pacing a call")
        return None

    def _rest(self, lock: Any) -> None:
        """The call is answered: the slot frees :attr:`rest` seconds from now."""
        from redis.exceptions import LockError

        if self.team.down:
            return  # no round trip to a Redis that stopped answering: the slot frees itself
        try:
            lock.extend(self.rest, replace_ttl=True)
        except LockError:
            pass  # the call outlived slot_hold + rest: the slot freed itself already
        except _redis_errors() as exc:
            self.team.fail(exc, "pacing a call")


def client_gates(qps: float | None = None, max_calls: int | None = None, max_calls_per_day: int | None = None,
                 *, team: Team | None = None, scope: str = "") -> GateChain | None:
    """The gates of a client (``scope``: its host): budgets first (they fail fast), then the rate. With a
    ``team`` they are shared by every process of the team, and the team's calls are counted even without a
    budget (``cache_info()["team"]``).

    Example:
        >>> [type(g).__name__ for g in client_gates(qps=5, max_calls=100)]
        ['SpendGate', 'RateLimiter']
        >>> client_gates() is None
        True
    """
    gates: list[CallGate] = []
    if team is not None or max_calls is not None or max_calls_per_day is not None:
        gates.append(SpendGate(max_calls, max_calls_per_day, team=team, scope=scope))
    if qps is not None:
        gates.append(SharedRateLimiter(team, scope, qps) if team is not None else RateLimiter(qps))
    return GateChain(gates) if gates else None


def announce_cost(line: str, calls: int, max_calls: int | None, *, progress: bool) -> None:
    """Before a plan spends anything: say what it costs (``line``, on stderr when ``progress``), and refuse it
    with nothing spent when it needs more than ``max_calls`` (enrichment and labelling alike).

    Example:
        >>> announce_cost("label by country: 3 calls", 3, 2, progress=False)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.BudgetExceeded: label by country: 3 calls: more than max_calls=2; nothing was spent
    """
    if progress:
        print(line, file=sys.stderr)
    if max_calls is not None and calls > max_calls:
        raise BudgetExceeded(f"{line}: more than max_calls={max_calls}; nothing was spent")


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
