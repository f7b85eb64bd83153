"""Single flight: one holder per key at a time, so identical work in flight at once is done once.

Threads searching the same image with the same filters (or uploading the same image) queue on one key:
the first sends the call, the others then find its answer in the cache (or the upload ledger).

Example:
    >>> flight = SingleFlight()
    >>> with flight.hold("search:abc"):
    ...     flight.holders("search:abc")
    1
    >>> flight.holders("search:abc")
    0
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SingleFlight"]


class SingleFlight:
    """Per-key locks for the threads of one process; a key's lock is dropped when nobody holds or awaits it.

    Example:
        >>> SingleFlight().holders("k")
        0
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold ``key`` for the duration of the ``with`` block (waiting while another thread holds it)."""
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
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
