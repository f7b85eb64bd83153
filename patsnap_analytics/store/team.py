"""A team's Redis: one server that every process (and machine) of a team shares — and what happens when it stops.

Analysts in a team share one PatSnap account: one QPS limit, one daily quota, one bill. Pointing every client
at the same Redis (``Client(cache="redis://host:6379/0")`` or ``PATSNAP_CACHE_URL``) makes the team pay once:

* the answers, the upload ledger and the enrichment records live in Redis (:mod:`~patsnap_analytics.store.session`
  chooses the backend; requests-cache's Redis backend through redis-py), each with a Redis TTL of its kind;
* one search, upload or enrichment batch per key at a time across every process
  (:class:`~patsnap_analytics.store.flight.RedisKeyLocks`);
* one ``qps`` limit and one call budget for the account (:mod:`~patsnap_analytics.wire.gates`).

:class:`Team` is the connection those parts share, and its health. At start, a Redis that cannot be used is a
:class:`~patsnap_analytics.errors.CacheStorageError` naming the URL (never its password); a URL whose database is
not a number (``redis://host:6379/abc``, which redis-py silently reads as database 0) is a
:class:`~patsnap_analytics.errors.ValidationError`. Mid-run, the first failure is said once (a
:class:`~patsnap_analytics.errors.CacheStorageWarning`) and the client goes on alone: a local limiter at the same
``qps``, answers kept in this process only (:class:`FailoverStorage`) and counted (``unstored``), so no answer
that was paid for is lost silently. Redis is then left alone: no lock release, renewal or slot rest goes to it
(a frozen Redis costs one :data:`CONNECT_TIMEOUT`, not one per operation), and the client does not rejoin the
team until it is created again (a half-shared client would be harder to reason about than one that is plainly
alone).

A Redis that restarts empty (no persistence) is noticed (:meth:`Team.check_epoch`: the team's epoch key is gone)
and said once: the team's call counts are restored from what this process had seen (a floor: the budget is never
reset by a restart, see :class:`~patsnap_analytics.wire.gates.SpendGate`), and the answers, upload URLs and records
this process stored or read before are served from its own copy (:data:`MIRROR_BYTES` at most), not paid again.

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
import re
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from redis import RedisError
from requests_cache.backends.base import BaseStorage
from requests_cache.backends.redis import RedisDict

from ..errors import CacheStorageError, CacheStorageWarning, ValidationError
from ..redact import Secret, blank, mask_url
from ..settings import is_redis_url

__all__ = ["CONNECT_TIMEOUT", "LOCK_TIMEOUT", "MIRROR_BYTES", "NAMESPACE", "REDIS_ERRORS", "SLOT_HOLD",
           "FailoverStorage", "RedisRecords", "Team", "check_redis_url"]

#: Seconds a search's lock outlives a holder that stopped renewing it (killed, frozen, cut off): the longest
#: a crashed process can hold up the others on one key.
LOCK_TIMEOUT = 15.0
#: Seconds a call keeps its QPS slot, at most, before its answer frees it (see :class:`~.gates.SharedRateLimiter`).
SLOT_HOLD = 2.0
#: Seconds to connect to Redis, and to wait for any one of its answers, before it counts as gone.
CONNECT_TIMEOUT = 5.0
#: The prefix of every key the toolkit writes, so a team's Redis can serve other work too.
NAMESPACE = "patsnap-analytics"
#: Bytes of answers and records a process keeps a copy of, at most, to serve them again after Redis restarted empty.
MIRROR_BYTES = 64 * 2**20
_DATABASE = re.compile(r"(0|[1-9][0-9]{0,4})")


def check_redis_url(url: str) -> str:
    """``url`` when its database is a number (or absent: 0); raises a ``ValidationError`` naming the masked URL
    otherwise (redis-py reads ``redis://host:6379/abc`` as database 0 without a word).

    Example:
        >>> check_redis_url("redis://h:6379/2"), check_redis_url("unix:///run/redis.sock?db=1")
        ('redis://h:6379/2', 'unix:///run/redis.sock?db=1')
        >>> check_redis_url("redis://:p@ss@h:6379/abc")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: cache: the Redis database must be a number from 0, got 'abc' in 'redis://***@h:6379/abc'; write redis://host:6379/0 (the number after the last /)
    """
    parts = urlsplit(url)
    databases = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() == "db"]
    if parts.scheme.lower() != "unix" and parts.path.strip("/"):
        databases.append(parts.path.strip("/"))
    for database in databases:
        if not _DATABASE.fullmatch(unquote(database)):
            raise ValidationError("cache", f"the Redis database must be a number from 0, got {database!r} in "
                                           f"{mask_url(url)!r}; write redis://host:6379/0 (the number after the last /)")
    return url


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise ValidationError(name, f"must be a positive number of seconds, got {value!r}")
    return float(value)


class Team:
    """The Redis a team shares, and its health: one connection for the cache, the locks and the gates.

    ``url``: ``redis://[user:password@]host:port/db``, ``rediss://…`` (TLS) or ``unix:///path?db=N``; it is kept
    as a masked :class:`~patsnap_analytics.redact.Secret` and shown as :attr:`url` (no credentials).
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
        self._url = Secret(check_redis_url(url))
        #: The URL without its credentials: what reprs, logs, warnings and errors show.
        self.url = mask_url(url)
        self.lock_timeout = _positive("lock_timeout", lock_timeout)
        self.slot_hold = _positive("slot_hold", slot_hold)
        self.timeout = _positive("timeout", timeout)
        self.namespace = namespace
        self.down = False
        self.failures = 0
        self.unstored = 0
        self.restarts = 0
        self.problem: str | None = None
        self.epoch: str | None = None  # the team's epoch as this process last saw it (see check_epoch)
        self._redis: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    def connect(self) -> Team:
        """Connect and check the server (a ``PING``); raises :class:`CacheStorageError` naming the masked URL.

        redis-py retries a command once, at once, when its connection was closed (a pooled connection the
        server dropped, or a Redis that restarted); a command that gets no answer within :data:`CONNECT_TIMEOUT`
        is not retried: a Redis that is gone or frozen is noticed in seconds, not after a long backoff.
        """
        if self._redis is not None:
            return self
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.retry import Retry

        try:
            client = Redis.from_url(self._url.reveal(), socket_timeout=self.timeout,
                                    socket_connect_timeout=self.timeout,
                                    retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
            client.ping()
            self.epoch = self._join_epoch(client)
        except (*REDIS_ERRORS, ValueError) as exc:
            raise CacheStorageError(self.url, f"Redis cannot be used ({self.scrub(exc)})",
                                    "start it, or check the URL (cache=..., PATSNAP_CACHE_URL)") from None
        self._redis = client
        return self

    def _join_epoch(self, redis: Any) -> str:
        """The team's epoch: a random id set once in Redis, without expiry; its absence means Redis lost its
        data (restarted empty, or flushed)."""
        key = self.key("epoch")
        redis.set(key, secrets.token_hex(8), nx=True)
        value = redis.get(key)
        return value.decode() if isinstance(value, bytes) else str(value)

    def check_epoch(self) -> bool:
        """Whether Redis lost the team's data since this process last looked (one round trip): said once per
        loss (a :class:`CacheStorageWarning`), counted (``restarts``); the new epoch is adopted. ``False`` when
        Redis is down (nothing is asked of it then)."""
        if self.down or self._redis is None:
            return False
        try:
            seen = self._join_epoch(self._redis)
        except REDIS_ERRORS as exc:
            self.fail(exc, "checking whether Redis restarted")
            return False
        with self._lock:
            lost = seen != self.epoch
            self.epoch = seen
            if lost:
                self.restarts += 1
        if lost:
            warnings.warn(
                f"cache {self.url}: Redis lost the team's data (it restarted empty, or was flushed). The team's call "
                "counts were restored from what this process had seen, so no budget starts again from zero; the "
                "answers and upload URLs this process had stored or read are served from its own copy; what only "
                "other processes had will be paid again when asked. Give Redis persistence (appendonly yes) to "
                "keep the team's cache across restarts.", CacheStorageWarning, stacklevel=3)
        return lost

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
        return blank(text, {parts.password, parts.username} - {None, ""})

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
                    "failures": self.failures, "unstored": self.unstored, "restarts": self.restarts,
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

    What this process stores in Redis or reads from it is also kept in a copy of its own (:data:`MIRROR_BYTES`
    at most, the oldest dropped first), tagged with the team's epoch: a value Redis no longer has because it
    restarted empty (:meth:`Team.check_epoch`) — or, once Redis stopped answering, any value — is served from
    that copy instead of being paid for again, and written back to Redis for the team when its expiry is known
    (an answer's; a record this process wrote). A value the team's Redis dropped on purpose (expired,
    cleared) is dropped here too.

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
        # key -> (value, the team's epoch then, when it expires (epoch seconds) if known)
        self.mirror: OrderedDict[Any, tuple[Any, str | None, float | None]] = OrderedDict()
        self._mirror_bytes = 0
        self._mirror_lock = threading.Lock()

    def _shared(self, operation: Callable[[], Any]) -> tuple[bool, Any]:
        """``(True, result)`` of an operation on Redis, or ``(False, None)`` once Redis is gone."""
        if not self.team.down:
            try:
                return True, operation()
            except REDIS_ERRORS as exc:
                self.team.fail(exc, self.doing)
        return False, None

    def _keep(self, key: Any, value: Any, expires: float | None = None) -> None:
        """Keep this process's copy of a value Redis holds (the oldest copies go past :data:`MIRROR_BYTES`)."""
        expiry = getattr(value, "expires", None)  # an answer knows when it expires
        if expires is None and expiry is not None:
            expires = expiry.timestamp()
        with self._mirror_lock:
            self._drop(key)
            self.mirror[key] = (value, self.team.epoch, expires)
            self._mirror_bytes += _size(value)
            while self._mirror_bytes > MIRROR_BYTES and len(self.mirror) > 1:
                self._drop(next(iter(self.mirror)))

    def _drop(self, key: Any) -> None:
        kept = self.mirror.pop(key, None)
        if kept is not None:
            self._mirror_bytes -= _size(kept[0])

    def _kept(self, key: Any) -> Any:
        """This process's copy of ``key`` when Redis lost it (restarted empty or gone), else ``None``."""
        with self._mirror_lock:
            kept = self.mirror.get(key)
        if kept is None:
            return None
        value, epoch, expires = kept
        if self.team.down:
            return value
        self.team.check_epoch()  # one round trip, only for a key this process had: was it lost or dropped?
        if epoch == self.team.epoch:
            with self._mirror_lock:
                self._drop(key)  # expired or cleared for the whole team: for this process too
            return None
        left = None if expires is None else expires - time.time()
        if left is not None and left > 0:  # the team gets it back, with what is left of its life
            if hasattr(value, "expires"):
                self[key] = value
            else:
                self.put_many({key: value}, left)
        return value

    def __getitem__(self, key: Any) -> Any:
        shared, value = self._shared(lambda: self.primary.get(key))
        if shared and value is not None:
            self._keep(key, value)
            return value
        if not shared and key in self.local:
            return self.local[key]
        kept = self._kept(key)
        if kept is None:
            raise KeyError(key)
        return kept

    def __setitem__(self, key: Any, value: Any) -> None:
        shared, _ = self._shared(lambda: self.primary.__setitem__(key, value))
        if shared:
            self._keep(key, value)
        else:
            self.local[key] = value
            self.team.count_unstored()

    def put_many(self, records: Mapping[str, str], ttl: float | None) -> None:
        """Write text records with a TTL, or none (see :meth:`RedisRecords.put_many`)."""
        shared, _ = self._shared(lambda: self.primary.put_many(records, ttl))
        if shared and (ttl is None or ttl > 0):  # this process's copy, for a Redis that restarts empty
            for key, value in records.items():
                self._keep(key, value, None if ttl is None else time.time() + ttl)
        elif not shared and (ttl is None or ttl > 0):
            self.local.update(records)
            self.team.count_unstored(len(records))

    def __delitem__(self, key: Any) -> None:
        with self._mirror_lock:
            self._drop(key)
        shared, _ = self._shared(lambda: self.primary.__delitem__(key))
        if not shared:
            del self.local[key]

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

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
        with self._mirror_lock:
            self.mirror.clear()
            self._mirror_bytes = 0

    def bulk_delete(self, keys: Any) -> None:
        keys = list(keys)
        self._shared(lambda: self.primary.bulk_delete(keys))
        for key in keys:
            self.local.pop(key, None)
            with self._mirror_lock:
                self._drop(key)

    def close(self) -> None:
        self._shared(self.primary.close)


def _size(value: Any) -> int:
    """About how many bytes a stored value holds (an answer's body, a record's text)."""
    content = getattr(value, "content", None)
    if isinstance(content, bytes):
        return len(content) + 1024
    return len(value) if isinstance(value, str | bytes) else 1024
