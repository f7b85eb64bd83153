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

_SAVINGS = ("search_cache_hits", "upload_reuses", "image_cache_hits", "refusals_remembered")


class ClientStats:
    """Thread-safe counters of one client.

    * ``calls`` — requests actually sent, per endpoint path (retries and token requests included): what
      the account is charged for, as far as the client can know.
    * ``search_cache_hits`` (one per page), ``upload_reuses``, ``image_cache_hits`` — calls the cache saved;
      ``refusals_remembered`` — calls not sent to an endpoint that already refused this client (67200004).
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

    def count_call(self, endpoint: str) -> None:
        with self._lock:
            self._calls[endpoint] += 1

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
        """Requests the cache and the upload ledger made unnecessary."""
        with self._lock:
            return sum(self._saved.values())

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
                "calls_saved": sum(saved.values()),
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
