"""The upload ledger: an uploaded image's URL, kept beside the cache until a minute before it expires.

Uploads are not HTTP-cached (a multipart body, with a random boundary, is a poor key): the ledger remembers
sha256 -> (url, expiry) in a record table (the cache file, the team's Redis, or memory) and hands the URL out
until :data:`UPLOAD_MARGIN` seconds before it expires.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import requests

from .health import CacheHealth
from .tables import LockedRecords, put_records

__all__ = ["UPLOAD_MARGIN", "UploadLedger"]

#: An upload URL is reused until this many seconds before the API says it expires.
UPLOAD_MARGIN = 60.0


class UploadLedger(LockedRecords):
    """sha256 -> (upload url, expiry as epoch seconds), kept in the cache file (or in memory without one).

    A record that is not what this class writes (tampered, or an expiry that is not a finite number) is
    treated as absent and dropped, never handed out; storage failures are reported through ``health`` (the
    table is a :func:`~patsnap_analytics.store.tables.record_table`: it never fails, and keeps in memory what the file refuses).

    Example:
        >>> ledger = UploadLedger(None)
        >>> expires_at = ledger.put("ab", "https://img/1.png", expire_in=32400)
        >>> ledger.get("ab")
        'https://img/1.png'
        >>> _ = ledger.put("cd", "https://img/2.png", expire_in=30)   # within the safety margin: never handed out
        >>> ledger.get("cd") is None
        True
    """

    def __init__(self, session: requests.Session | None, clock: Any = time.time,
                 health: CacheHealth | None = None) -> None:
        self._clock = clock
        self.health = health or CacheHealth()
        super().__init__(session, "uploads", self.health)

    def get(self, sha256: str) -> str | None:
        """A still-valid URL for these bytes, or ``None``."""
        entry = self.entry(sha256)
        return entry[0] if entry else None

    def entry(self, sha256: str) -> tuple[str, float] | None:
        """``(url, expires_at)`` while valid (with the safety margin), else ``None``."""
        with self._lock:
            raw = self._store.get(sha256)
        if raw is None:
            return None
        record = _ledger_record(raw)
        if record is None:
            self.forget(sha256)
            return None
        url, expires_at = record
        if expires_at - UPLOAD_MARGIN <= self._clock():
            return None
        return url, expires_at

    def put(self, sha256: str, url: str, *, expire_in: float) -> float:
        """Remember an upload; returns its expiry (epoch seconds). A ledger the disk refuses keeps it in memory
        (:func:`~patsnap_analytics.store.tables.record_table`), so the same image is not uploaded again by this process."""
        expires_at = self._clock() + float(expire_in)
        with self._lock:
            put_records(self._store, {sha256: json.dumps({"url": url, "expires_at": expires_at}, allow_nan=False)},
                        ttl=timedelta(seconds=float(expire_in)))
        return expires_at

    def forget(self, sha256: str) -> None:
        """Drop an entry (the API said the URL is no longer valid)."""
        with self._lock:
            self._store.pop(sha256, None)


def _ledger_record(raw: Any) -> tuple[str, float] | None:
    """``(url, expires_at)`` from a stored record, or ``None`` when it is not one we wrote."""
    try:
        record = json.loads(raw)
        url, expires_at = record["url"], float(record["expires_at"])
    except (TypeError, ValueError, KeyError):
        return None
    if not isinstance(url, str) or not url or not (0 < expires_at < 1e11):  # finite, before the year 5000
        return None
    return url, expires_at
