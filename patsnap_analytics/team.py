"""A team's Redis: one server that every process (and machine) of a team shares — and what happens when it stops.

Analysts in a team share one PatSnap account: one QPS limit, one daily quota, one bill. Pointing every client
at the same Redis (``Client(cache="redis://host:6379/0")`` or ``PATSNAP_CACHE_URL``) makes the team pay once:

* the answers, the upload ledger and the enrichment records live in Redis (:mod:`~patsnap_analytics.cache`
  chooses the backend; requests-cache's Redis backend through redis-py), each with a Redis TTL of its kind;
* one search, upload or enrichment batch per key at a time across every process
  (:class:`~patsnap_analytics.flight.RedisKeyLocks`);
* one ``qps`` limit and one call budget for the account (:mod:`~patsnap_analytics.gates`).

:class:`Team` is the connection those parts share, and its health. At start, a Redis that cannot be used is a
:class:`~patsnap_analytics.errors.CacheStorageError` naming the URL (never its password). Mid-run, the first
failure is said once (a :class:`~patsnap_analytics.errors.CacheStorageWarning`) and the client goes on alone:
a local limiter at the same ``qps``, answers kept in this process only (:class:`FailoverStorage`) and counted
(``unstored``), so no answer that was paid for is lost silently. It does not rejoin the team until it is
created again (a half-shared client would be harder to reason about than one that is plainly alone).

Example:
    >>> team = Team("redis://analyst:hunter2@127.0.0.1:6379/0", lock_timeout=10)
    >>> team
    Team('redis://***@127.0.0.1:6379/0', lock_timeout=10.0, slot_hold=2.0)
    >>> team.key("flight", "abc")
    'patsnap-analytics:flight:abc'
"""

from __future__ import annotations

import hashlib
import math
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from redis import RedisError
from requests_cache.backends.base import BaseStorage
from requests_cache.backends.redis import RedisDict

from .auth import Secret
from .errors import CacheStorageError, CacheStorageWarning, ValidationError
from .settings import is_redis_url, mask_url

__all__ = ["CONNECT_TIMEOUT", "LOCK_TIMEOUT", "NAMESPACE", "REDIS_ERRORS", "SLOT_HOLD", "FailoverStorage",
           "RedisRecords", "Team"]

#: Seconds a search's lock outlives a holder that stopped renewing it (killed, frozen, cut off): the longest
#: a crashed process can hold up the others on one key.
LOCK_TIMEOUT = 15.0
#: Seconds a call keeps its QPS slot, at most, before its answer frees it (see :class:`~.gates.SharedRateLimiter`).
SLOT_HOLD = 2.0
#: Seconds to connect to Redis, and to wait for any one of its answers, before it counts as gone.
CONNECT_TIMEOUT = 5.0
#: The prefix of every key the toolkit writes, so a team's Redis can serve other work too.
NAMESPACE = "patsnap-analytics"


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise ValidationError(name, f"must be a positive number of seconds, got {value!r}")
    return float(value)


class Team:
    """The Redis a team shares, and its health: one connection for the cache, the locks and the gates.

    ``url``: ``redis://[user:password@]host:port/db``, ``rediss://…`` (TLS) or ``unix:///path?db=N``; it is kept
    as a masked :class:`~patsnap_analytics.auth.Secret` and shown as :attr:`url` (no credentials).
    ``lock_timeout``: see :data:`LOCK_TIMEOUT`; ``slot_hold``: see :data:`SLOT_HOLD`.

    Example:
        >>> Team("/tmp/cache.sqlite")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: cache: a team's cache is a Redis URL (redis://host:6379/0, rediss://…, unix:///path), got '/tmp/cache.sqlite'
    """

    def __init__(self, url: str, *, lock_timeout: float = LOCK_TIMEOUT, slot_hold: float = SLOT_HOLD,
                 namespace: str = NAMESPACE, timeout: float = CONNECT_TIMEOUT) -> None:
        if not is_redis_url(url):
            shown = mask_url(url) if isinstance(url, str) and "://" in url else url
            raise ValidationError("cache", "a team's cache is a Redis URL (redis://host:6379/0, rediss://…, "
                                           f"unix:///path), got {shown!r}")
        self._url = Secret(url)
        #: The URL without its credentials: what reprs, logs, warnings and errors show.
        self.url = mask_url(url)
        self.lock_timeout = _positive("lock_timeout", lock_timeout)
        self.slot_hold = _positive("slot_hold", slot_hold)
        self.timeout = _positive("timeout", timeout)
        self.namespace = namespace
        self.down = False
        self.failures = 0
        self.unstored = 0
        self.problem: str | None = None
        self._redis: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    def connect(self) -> Team:
        """Connect and check the server (a ``PING``); raises :class:`CacheStorageError` naming the masked URL.

        redis-py retries a command once, at once (a pooled connection the server closed), and gives up after
        :data:`CONNECT_TIMEOUT`: a Redis that is gone is noticed in seconds, not after a long backoff.
        """
        if self._redis is not None:
            return self
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            client = Redis.from_url(self._url.reveal(), socket_timeout=self.timeout,
                                    socket_connect_timeout=self.timeout, retry=Retry(NoBackoff(), 1))
            client.ping()
        except (*REDIS_ERRORS, ValueError) as exc:
            raise CacheStorageError(self.url, f"Redis cannot be used ({self.scrub(exc)})",
                                    "start it, or check the URL (cache=..., PATSNAP_CACHE_URL)") from None
        self._redis = client
        return self

    @property
    def redis(self) -> Any:
        """The redis-py client (connected on first use)."""
        return self.connect()._redis

    def key(self, *parts: str) -> str:
        """A Redis key in the toolkit's namespace.

        Example:
            >>> Team("redis://localhost/0").key("spent", "total")
            'patsnap-analytics:spent:total'
        """
        return ":".join((self.namespace, *parts))

    @staticmethod
    def digest(text: str) -> str:
        """A short, stable digest for a key part that may be long or hold any character (a host, a search key).

        Example:
            >>> len(Team.digest("https://connect.patsnap.com")), Team.digest("a") == Team.digest("a")
            (32, True)
        """
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    # ------------------------------------------------------------------ health
    def scrub(self, exc: BaseException | str) -> str:
        """An error's text with the URL's user and password blanked (redis-py's own messages carry neither,
        but a malformed URL can end up in a parse error)."""
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        parts = urlsplit(self._url.reveal())
        for secret in {parts.password, parts.username} - {None, ""}:
            for form in {secret, unquote(secret)}:
                text = text.replace(form, "***")
        return text

    def fail(self, exc: BaseException, doing: str) -> None:
        """Redis stopped answering while ``doing``: count it; the first time, say so once and go on alone."""
        with self._lock:
            self.failures += 1
            first = not self.down
            self.down = True
            if first:
                self.problem = f"Redis stopped answering while {doing} ({self.scrub(exc)})"
        if first:
            warnings.warn(
                f"cache {self.url}: {self.problem}. This client goes on alone: its calls are paced by a local "
                "limiter at the same qps, its answers are kept in this process only (counted in "
                "cache_info()['team']['unstored']) and other processes no longer share its work; create the "
                "client again to rejoin the team.", CacheStorageWarning, stacklevel=3)

    def count_unstored(self, n: int = 1) -> None:
        """Count writes kept in this process only because Redis is gone."""
        with self._lock:
            self.unstored += n

    def info(self) -> dict[str, Any]:
        """What ``cache_info()["team"]`` shows of it.

        Example:
            >>> Team("redis://localhost/0").info()["connected"]
            True
        """
        with self._lock:
            return {"url": self.url, "connected": not self.down, "problem": self.problem,
                    "failures": self.failures, "unstored": self.unstored,
                    "lock_timeout": self.lock_timeout, "slot_hold": self.slot_hold}

    def table(self, name: str) -> FailoverStorage:
        """A table of text records (the upload ledger, the enrichment records) in Redis, each record with its
        own TTL, falling back to this process's memory when Redis stops answering."""
        return FailoverStorage(self, RedisRecords(self.key(name), connection=self.redis), f"using the {name} table")

    def __repr__(self) -> str:
        return f"Team({self.url!r}, lock_timeout={self.lock_timeout}, slot_hold={self.slot_hold})"


#: What a Redis that stopped answering raises (redis-py's errors; a socket error it did not wrap).
REDIS_ERRORS = (RedisError, OSError)


class RedisRecords(RedisDict):
    """requests-cache's ``RedisDict`` for text records (JSON the caller wrote, never a pickle), one Redis key
    each, each with its own expiry: :meth:`put_many` writes a batch in one round trip, every record with a TTL.

    Example:
        >>> RedisRecords("patsnap-analytics:uploads", connection=object()).namespace
        'patsnap-analytics:uploads'
    """

    def __init__(self, namespace: str, connection: Any) -> None:
        super().__init__(namespace, connection=connection, serializer=None, ttl=True)

    def __getitem__(self, key: str) -> str:
        value = super().__getitem__(key)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

    def put_many(self, records: Mapping[str, str], ttl: float | None) -> None:
        """Write ``records``, each kept ``ttl`` seconds (a record that would live no time is not written), or
        with ``ttl=None`` without any expiry (kept until deleted)."""
        if (ttl is not None and ttl <= 0) or not records:
            return
        pipe = self.connection.pipeline(transaction=False)
        for key, value in records.items():
            pipe.set(self._bkey(key), value, px=None if ttl is None else max(1, int(ttl * 1000)))
        pipe.execute()


class FailoverStorage(BaseStorage):
    """A requests-cache storage that uses the team's Redis while it answers, then this process's memory.

    Every Redis error is caught here, said once through :meth:`Team.fail`, and the operation is done in
    memory instead; each write that could only be kept in memory is counted (:attr:`Team.unstored`).

    Example:
        >>> team = Team("redis://localhost/0"); team.down = True    # as after Redis stopped answering
        >>> table = FailoverStorage(team, RedisRecords("ns:t", connection=None), "testing")
        >>> table["k"] = "v"; table["k"], len(table), team.unstored
        ('v', 1, 1)
    """

    def __init__(self, team: Team, primary: Any, doing: str) -> None:
        super().__init__()
        self.team = team
        self.primary = primary
        self.serializer = primary.serializer
        self.doing = doing
        self.local: dict[Any, Any] = {}

    def _shared(self, operation: Callable[[], Any]) -> tuple[bool, Any]:
        """``(True, result)`` of an operation on Redis, or ``(False, None)`` once Redis is gone."""
        if not self.team.down:
            try:
                return True, operation()
            except REDIS_ERRORS as exc:
                self.team.fail(exc, self.doing)
        return False, None

    def __getitem__(self, key: Any) -> Any:
        shared, value = self._shared(lambda: self.primary.get(key))
        if shared:
            if value is None:
                raise KeyError(key)
            return value
        return self.local[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        shared, _ = self._shared(lambda: self.primary.__setitem__(key, value))
        if not shared:
            self.local[key] = value
            self.team.count_unstored()

    def put_many(self, records: Mapping[str, str], ttl: float | None) -> None:
        """Write text records with a TTL, or none (see :meth:`RedisRecords.put_many`)."""
        shared, _ = self._shared(lambda: self.primary.put_many(records, ttl))
        if not shared and (ttl is None or ttl > 0):
            self.local.update(records)
            self.team.count_unstored(len(records))

    def __delitem__(self, key: Any) -> None:
        shared, _ = self._shared(lambda: self.primary.__delitem__(key))
        if not shared:
            del self.local[key]

    def __contains__(self, key: object) -> bool:
        shared, found = self._shared(lambda: key in self.primary)
        return bool(found) if shared else key in self.local

    def keys(self) -> Any:
        shared, keys = self._shared(lambda: list(self.primary.keys()))
        return keys if shared else list(self.local)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def clear(self) -> None:
        self._shared(self.primary.clear)
        self.local.clear()

    def bulk_delete(self, keys: Any) -> None:
        keys = list(keys)
        self._shared(lambda: self.primary.bulk_delete(keys))
        for key in keys:
            self.local.pop(key, None)

    def close(self) -> None:
        self._shared(self.primary.close)
