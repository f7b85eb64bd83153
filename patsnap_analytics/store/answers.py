"""The API answers a cached session holds: written only by the transport after checking them, read by key.

* **Only checked answers are stored, by the transport, after it checked them** (:class:`AnswerStore`):
  HTTP 200, ``status: true``, ``data`` as the endpoint's schema says. requests-cache never writes an API
  answer on its own, and never deletes one: a refused or failed refresh leaves the stored answer in place.
  A zero-hit answer (``data: {}``) is kept :data:`ZERO_HITS_TTL` only.
* **Never stored**: the ``apikey`` parameter, the ``Authorization`` header, tokens, client ids and secrets,
  in any field: a stored answer is a clean copy whose request is rebuilt from the key parameters alone
  (no redirect history, no raw connection), keeping a few headers that hold no secret.
* **A storage that refuses an answer** (a full disk) is said once through
  :class:`~patsnap_analytics.store.health.CacheHealth`, and the answer is kept in this process's memory
  (:data:`SPARE_BYTES` at most), so the same search is not paid again and again.

Example:
    >>> SEARCH_TTL.days, ZERO_HITS_TTL.days, IMAGE_TTL.days
    (30, 1, 7)
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from ..api import CORRELATION_HEADER, SANDBOX_HEADER
from ..redact import holds_secret
from .file import CLEAR_REMEDY, space_remedy, write_remedy
from .health import CacheHealth

__all__ = ["IMAGE_TTL", "SEARCH_TTL", "SPARE_BYTES", "ZERO_HITS_TTL", "AnswerStore"]

#: How long a search answer is served from the cache (legal status changes slowly; ``refresh=True`` re-asks).
SEARCH_TTL = timedelta(days=30)
#: A zero-hit answer (``data: {}``) is genuine but may be a passing state of the server: kept a day only.
ZERO_HITS_TTL = timedelta(days=1)
#: Bytes of answers kept in memory when the storage refuses them (a full disk), at most.
SPARE_BYTES = 64 * 2**20
#: Result thumbnails: the API's presigned image links live about 7 days.
IMAGE_TTL = timedelta(days=7)


#: The answer headers a stored answer keeps: its type, the sandbox's mark, the vendor's trace id (for a support
#: ticket) and its date.
_RESPONSE_HEADERS = ("Content-Type", SANDBOX_HEADER, CORRELATION_HEADER, "Date")


def _kept_headers(response: requests.Response) -> dict[str, str]:
    """The headers of :data:`_RESPONSE_HEADERS` an answer carries, each only while it holds no secret: one the
    transport blanked (a server echoing the key into ``x-correlation-id``) or that looks like a credential is
    left out, so neither the cache file, its WAL nor Redis ever holds it.

    Example:
        >>> r = requests.Response(); r.headers.update({"x-correlation-id": "corr-***", "Content-Type": "a/b"})
        >>> _kept_headers(r)
        {'Content-Type': 'a/b'}
    """
    kept = {}
    for name in _RESPONSE_HEADERS:
        value = response.headers.get(name)
        if value is not None and not holds_secret(value):
            kept[name] = value
    return kept


def _clean_copy(response: requests.Response, request: requests.PreparedRequest) -> requests.Response:
    """The answer as it may be stored: body, status, a few headers holding no secret, and the request rebuilt
    from the key parameters — no credential in any field (no redirect history, no connection, no original URL)."""
    import urllib3

    clean = requests.Response()
    clean.status_code, clean.reason, clean.encoding = response.status_code, response.reason, "utf-8"
    clean.headers.update(_kept_headers(response))
    clean._content = response.content
    clean.url = request.url or ""
    clean.request = request
    clean.raw = urllib3.HTTPResponse(body=io.BytesIO(b""), headers=dict(clean.headers), status=clean.status_code,
                                     preload_content=False, request_url=request.url)
    return clean


class AnswerStore:
    """The API answers of a cached session: read by key, written only by the transport after checking them.

    Every storage failure is caught here and reported through :class:`~patsnap_analytics.store.health.CacheHealth` (a search never fails
    because the cache did); a write is read back, because requests-cache's SQLite backend rolls a failed
    write back silently (a full disk would otherwise stop caching without a word). An answer the storage
    refused is kept in this process's memory (:data:`SPARE_BYTES` at most, the oldest forgotten first), so a
    full disk does not make the same search paid again and again.

    Example:
        >>> from requests_cache import CachedSession
        >>> store = AnswerStore(CachedSession(backend="memory"), CacheHealth())
        >>> key = requests.Request("GET", "https://h/image-search/search-id", params={"url": "u"}).prepare()
        >>> r = requests.Response(); r.status_code = 200; r._content = b'{"status": true, "data": {}}'
        >>> store.put(key, r, ttl=SEARCH_TTL), store.get(key).json()["status"]
        (True, True)
    """

    def __init__(self, session: Any, health: CacheHealth) -> None:
        self.cache = session.cache
        self.health = health
        self._spare: OrderedDict[str, Any] = OrderedDict()  # key -> answer the storage refused (newest last)
        self._spare_bytes = 0
        self._spare_lock = threading.Lock()

    def get(self, request: requests.PreparedRequest) -> Any:
        """The stored, unexpired answer for ``request``, or ``None`` (also when the file cannot be read)."""
        key = self.cache.create_key(request)
        with self._spare_lock:
            stored = self._spare.get(key)  # refused by the storage, so newer than anything in it
        if stored is None:
            try:
                stored = self.cache.get_response(key)
            except (sqlite3.Error, OSError) as exc:
                self.health.report(f"it cannot be read ({exc})", CLEAR_REMEDY)
                return None
        if stored is None or stored.is_expired:
            return None
        return stored

    def put(self, request: requests.PreparedRequest, response: requests.Response, *, ttl: timedelta) -> bool:
        """Store a checked answer for ``ttl``; True when it is stored (read back), else reported."""
        if self.health.read_only:
            return False
        key = self.cache.create_key(request)
        clean, expires = _clean_copy(response, request), datetime.now(UTC) + ttl
        try:
            self.cache.save_response(clean, key, expires)
            kept = self.cache.responses.get(key) is not None
        except (sqlite3.Error, OSError) as exc:
            self.health.report(f"an answer could not be written ({exc})", write_remedy(exc, self.health.path))
            kept = False
        else:
            if not kept:
                self.health.report("an answer could not be written (the disk may be full)",
                                   space_remedy(self.health.path))
        self._keep_spare(key, clean, expires, kept)
        return kept

    def _keep_spare(self, key: str, clean: requests.Response, expires: datetime, stored: bool) -> None:
        """Hold an answer the storage refused in memory (or drop the spare copy of one it now holds)."""
        from requests_cache.models import CachedResponse

        with self._spare_lock:
            self._drop_spare(key)
            if stored:
                return
            self._spare[key] = CachedResponse.from_response(clean, expires=expires)
            self._spare_bytes += len(clean.content or b"")
            while self._spare_bytes > SPARE_BYTES and len(self._spare) > 1:
                self._drop_spare(next(iter(self._spare)))

    def _drop_spare(self, key: str) -> None:
        dropped = self._spare.pop(key, None)
        if dropped is not None:
            self._spare_bytes -= len(dropped.content or b"")

    def discard(self, request: requests.PreparedRequest) -> None:
        """Forget a stored answer that turned out unusable (malformed, or from an older format)."""
        key = self.cache.create_key(request)
        with self._spare_lock:
            self._drop_spare(key)
        with contextlib.suppress(sqlite3.Error, OSError, KeyError):
            self.cache.delete(key)

    def clear(self) -> None:
        """Forget the answers kept in memory (the storage itself is cleared by :func:`~patsnap_analytics.store.session.clear_storage`)."""
        with self._spare_lock:
            self._spare.clear()
            self._spare_bytes = 0


