"""The cache's health: what went wrong with its storage, said once per cause and counted.

Storage trouble (a full disk, a corrupt or truncated file, a read-only folder) never fails a search: the search
goes on without the cache, ``cache_info()`` counts the failures, and ``patsnap-analytics cache clear`` starts a
new file; a read-only cache is still read (offline works).
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import CacheStorageError, CacheStorageWarning

__all__ = ["CacheHealth"]


class CacheHealth:
    """What went wrong with the cache file: each cause said once (a :class:`~patsnap_analytics.errors.CacheStorageWarning` naming the
    file, the cause and the remedy), every failure counted (``cache_info()["storage_errors"]``).

    Example:
        >>> import warnings
        >>> health = CacheHealth(Path("/c/http_cache.sqlite"))
        >>> with warnings.catch_warnings(record=True) as seen:
        ...     warnings.simplefilter("always")
        ...     _ = health.report("database or disk is full", "free some disk space")
        ...     _ = health.report("database or disk is full", "free some disk space")
        >>> len(seen), health.failures, health.problem
        (1, 2, 'cache file /c/http_cache.sqlite: database or disk is full; free some disk space')
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.read_only = False
        #: What the file is when it is not this toolkit's cache (then nothing is written to it, nor cleared).
        self.foreign: str | None = None
        self.failures = 0
        self.causes: Counter[str] = Counter()
        self.problem: str | None = None
        self._lock = threading.Lock()

    def report(self, cause: str, remedy: str) -> CacheStorageError:
        """Count one failure; warn the first time this cause is seen. Returns the error (to raise if needed)."""
        error = CacheStorageError(str(self.path or "(memory)"), cause, remedy)
        with self._lock:
            self.failures += 1
            first = self.causes[cause] == 0
            self.causes[cause] += 1
            self.problem = str(error)
        if first:
            warnings.warn(f"{error}. The search goes on without the cache.", CacheStorageWarning, stacklevel=4)
        return error

    def as_dict(self) -> dict[str, Any]:
        """What ``cache_info()`` shows of it."""
        with self._lock:
            return {"read_only": self.read_only, "storage_errors": self.failures, "storage_problem": self.problem}

