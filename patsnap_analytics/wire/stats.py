"""What a client spent and saved: calls per endpoint, cache hits, reused uploads, retries.

Example:
    >>> s = ClientStats()
    >>> s.count_call("/image-search/search-id"); s.count_saved("search_cache_hits")
    >>> s.as_dict()["calls"], s.calls_saved
    ({'/image-search/search-id': 1}, 1)
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["ClientStats"]

#: What the cache saves that would have been an API call (and billed): ``calls_saved`` sums these only.
_CALLS_SAVED = ("search_cache_hits", "upload_reuses", "refusals_remembered")
#: Thumbnail re-reads: result images are plain links, never API calls, so they are counted apart.
_SAVINGS = (*_CALLS_SAVED, "image_cache_hits")


class ClientStats:
    """Thread-safe counters of one client.

    * ``calls`` — requests actually sent, per endpoint path (retries and token requests included): what
      the account is charged for, as far as the client can know.
    * ``search_cache_hits`` (one per page), ``upload_reuses`` — API calls the cache saved;
      ``refusals_remembered`` — calls not sent to an endpoint that already refused this client (67200004);
      ``calls_saved`` is their sum: API calls only.
    * ``image_cache_hits`` — result thumbnails read again from the cache: image links, not API calls, so they
      are not in ``calls_saved``.
    * ``retries`` — attempts that were repeated after a transient failure.
    * ``image_downloads`` — result thumbnails fetched from their (unbilled) image URLs; not API calls.

    Example:
        >>> ClientStats().to_frame().columns.tolist()
        ['what', 'count']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._saved: Counter[str] = Counter()
        self.retries = 0
        self.image_downloads = 0

    def count_image_download(self) -> None:
        with self._lock:
            self.image_downloads += 1

    def count_call(self, path: str) -> None:
        with self._lock:
            self._calls[path] += 1

    def count_saved(self, kind: str) -> None:
        if kind not in _SAVINGS:
            raise ValueError(f"kind: one of {_SAVINGS}, got {kind!r}")
        with self._lock:
            self._saved[kind] += 1

    def count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def calls(self) -> dict[str, int]:
        """Requests sent per endpoint path."""
        with self._lock:
            return dict(self._calls)

    @property
    def total_calls(self) -> int:
        """All requests sent."""
        with self._lock:
            return sum(self._calls.values())

    @property
    def calls_saved(self) -> int:
        """API calls the cache and the upload ledger made unnecessary (thumbnail re-reads are not calls).

        Example:
            >>> s = ClientStats(); s.count_saved("image_cache_hits"); s.count_saved("upload_reuses")
            >>> s.calls_saved, s.as_dict()["image_cache_hits"]
            (1, 1)
        """
        with self._lock:
            return sum(self._saved[k] for k in _CALLS_SAVED)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly snapshot.

        Example:
            >>> sorted(ClientStats().as_dict())
            ['calls', 'calls_saved', 'image_cache_hits', 'image_downloads', 'refusals_remembered', 'retries', 'search_cache_hits', 'total_calls', 'upload_reuses']
        """
        with self._lock:
            saved = {k: self._saved.get(k, 0) for k in _SAVINGS}
            return {
                "calls": dict(self._calls),
                "total_calls": sum(self._calls.values()),
                **saved,
                "calls_saved": sum(saved[k] for k in _CALLS_SAVED),
                "retries": self.retries,
                "image_downloads": self.image_downloads,
            }

    def to_frame(self):
        """The snapshot as a two-column DataFrame (one row per counter), for notebooks.

        Example:
            >>> s = ClientStats(); s.count_call("/oauth/token")
            >>> row = s.to_frame().iloc[0]
            >>> row["what"], int(row["count"])
            ('calls /oauth/token', 1)
        """
        import pandas as pd

        d = self.as_dict()
        rows = [(f"calls {k}", v) for k, v in sorted(d.pop("calls").items())]
        rows += [(k, v) for k, v in d.items()]
        return pd.DataFrame(rows, columns=["what", "count"])

    def __repr__(self) -> str:
        d = self.as_dict()
        return (f"ClientStats(total_calls={d['total_calls']}, calls_saved={d['calls_saved']}, "
                f"retries={d['retries']}, calls={d['calls']})")
