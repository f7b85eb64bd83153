"""Single flight: one holder per key at a time, so identical work in flight at once is done once.

Threads searching the same image with the same filters (or uploading the same image) queue on one key:
the first sends the call, the others then find its answer in the cache (or the upload ledger). With a
``shared`` lock (:class:`FileKeyLocks`: a lock file per key beside the cache file) the same holds across the
processes of one machine: three notebooks searching the same 60 images pay 120 calls, not 347. A team
shares the same across machines through its Redis (:class:`RedisKeyLocks`: a redis-py lock per key, with a
timeout, so a crashed holder does not block the key), behind the same :class:`KeyLocks` interface.

Example:
    >>> flight = SingleFlight()
    >>> with flight.hold("search:abc"):
    ...     flight.holders("search:abc")
    1
    >>> flight.holders("search:abc")
    0
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .team import Team

__all__ = ["FileKeyLocks", "KeyLocks", "RedisKeyLocks", "SingleFlight"]


class KeyLocks(Protocol):
    """A lock per key shared beyond this process: ``lock(key)`` is a context manager held across processes
    (or machines) for the duration of the ``with`` block.

    Example:
        >>> locks: KeyLocks = FileKeyLocks("/tmp/patsnap-doc-locks")
    """

    def lock(self, key: str) -> AbstractContextManager[object]: ...


class FileKeyLocks:
    """One lock file per key in ``folder`` (``filelock``: fcntl on POSIX, msvcrt on Windows): the processes of
    one machine sharing a cache file take turns per key. Lock files are empty; a key's file stays for the next
    holder (deleting it while another process waits on it would let two hold the key at once).

    Example:
        >>> import tempfile
        >>> locks = FileKeyLocks(tempfile.mkdtemp())
        >>> with locks.lock("search:abc"):
        ...     len(list(locks.folder.iterdir()))
        1
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold ``key``'s lock file; where the folder cannot be written (a read-only cache, where nothing is
        stored either) the process goes on alone."""
        from filelock import FileLock

        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        held = FileLock(self.folder / f"{name}.lock", thread_local=False)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            held.acquire()
        except OSError:
            yield
            return
        try:
            yield
        finally:
            held.release()

    def __repr__(self) -> str:
        return f"FileKeyLocks({str(self.folder)!r})"


class RedisKeyLocks:
    """One Redis lock per key (redis-py's ``Lock``), shared by every process and machine of a team.

    A lock lives ``team.lock_timeout`` seconds and its holder renews it every third of that (one renewing
    thread per process, for all the locks it holds), so a search may take as long as it needs while a holder
    that was killed, frozen or cut off blocks its key at most ``lock_timeout``. Waiters poll every 50 ms. When
    Redis stops answering (said once, :meth:`~patsnap_analytics.store.team.Team.fail`) the process goes on alone:
    its own threads still queue per key, and nothing more goes to Redis — no release, no renewal (a held lock
    frees itself after ``lock_timeout``), so a frozen Redis costs one timeout, not one per lock.

    Example:
        >>> from patsnap_analytics.store.team import Team
        >>> locks = RedisKeyLocks(Team("redis://localhost:6379/0", lock_timeout=9))
        >>> locks, locks.name("search:abc").startswith("patsnap-analytics:flight:")
        (RedisKeyLocks('redis://localhost:6379/0', timeout=9.0), True)
    """

    POLL = 0.05  # seconds between a waiter's tries

    def __init__(self, team: Team) -> None:
        self.team = team
        self._held: set[Any] = set()
        self._guard = threading.Lock()
        self._renewer: threading.Thread | None = None

    def name(self, key: str) -> str:
        """The Redis key of ``key``'s lock."""
        return self.team.key("flight", self.team.digest(key))

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold ``key``'s lock across the team (waiting while another process holds it)."""
        from redis import RedisError
        from redis.exceptions import LockError
        from redis.lock import Lock

        if self.team.down:
            yield
            return
        held = Lock(self.team.redis, self.name(key), timeout=self.team.lock_timeout, sleep=self.POLL,
                    thread_local=False)
        try:
            held.acquire()
        except (RedisError, OSError) as exc:
            self.team.fail(exc, "waiting for another process's search")
            yield
            return
        self._renew(held)
        try:
            yield
        finally:
            with self._guard:
                self._held.discard(held)
            # a lock that expired (the process froze past lock_timeout) or whose Redis is gone frees itself
            if not self.team.down:
                try:
                    held.release()
                except LockError:
                    pass  # expired meanwhile: it freed itself
                except (RedisError, OSError) as exc:
                    self.team.fail(exc, "releasing a search's lock")

    def _renew(self, held: Any) -> None:
        with self._guard:
            self._held.add(held)
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_forever, name="patsnap-lock-renewer", daemon=True)
                self._renewer.start()

    def _renew_forever(self) -> None:
        """Every third of the lock timeout, reset the TTL of every lock this process holds."""
        from redis import RedisError
        from redis.exceptions import LockError

        pause = threading.Event()
        while not pause.wait(self.team.lock_timeout / 3):
            with self._guard:
                held = list(self._held)
            for lock in held:
                if self.team.down:
                    return
                try:
                    lock.reacquire()
                except LockError:
                    pass  # released meanwhile, or expired while this process was frozen
                except (RedisError, OSError) as exc:
                    self.team.fail(exc, "renewing a search's lock")
                    return

    def __repr__(self) -> str:
        return f"RedisKeyLocks({self.team.url!r}, timeout={self.team.lock_timeout})"


class SingleFlight:
    """Per-key locks for the threads of one process, then (``shared``) for every process sharing the cache.

    A key's thread lock is dropped when nobody holds or awaits it. Threads queue on the thread lock first,
    so one process holds at most one shared lock per key (and only while a thread of it works on the key).

    Example:
        >>> SingleFlight().holders("k")
        0
    """

    def __init__(self, shared: KeyLocks | None = None) -> None:
        self.shared = shared
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold ``key`` for the duration of the ``with`` block (waiting while another thread or process holds it)."""
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock, (self.shared.lock(key) if self.shared is not None else nullcontext()):
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)

    def holders(self, key: str) -> int:
        """Threads holding or awaiting ``key`` (for tests and diagnostics)."""
        with self._guard:
            return self._locks.get(key, (None, 0))[1]
