"""Uploads: an image's bytes sent once, its temporary URL remembered until shortly before it expires.

The :class:`~patsnap_analytics.store.ledger.UploadLedger` keeps sha256 -> (url, expiry) beside the cached answers;
:class:`Uploader` hands a remembered URL out (``reused=True``, no call) or makes one upload, one per image
at a time (threads uploading the same new image wait for the first one's URL).

Example:
    >>> u = UploadedImage("https://img/1.png", datetime(2030, 1, 1, tzinfo=UTC), "ab" * 32)
    >>> u.expired
    False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .api import UPLOAD
from .errors import OfflineCacheMiss, ProtocolError
from .images import ImageRef
from .store.flight import SingleFlight
from .store.keys import SearchKeyer
from .store.ledger import UploadLedger
from .wire.gates import CallGate
from .wire.stats import ClientStats
from .wire.transport import Transport

__all__ = ["DEFAULT_UPLOAD_LIFETIME", "MAX_UPLOAD_LIFETIME", "UploadedImage", "Uploader", "upload_lifetime"]

#: What an upload URL lives when the answer does not say: the vendor documents 9 hours.
DEFAULT_UPLOAD_LIFETIME = 32400.0
#: The longest lifetime believed: an answer saying more (1e20 s) is clamped to the documented 9 hours.
MAX_UPLOAD_LIFETIME = DEFAULT_UPLOAD_LIFETIME


def upload_lifetime(expire: Any) -> float:
    """Seconds an upload URL lives, from the answer's ``expire``: missing -> the documented 9 h; more than
    that -> clamped to it; ``0`` means 0 (the URL is used now and never remembered). Anything else (a
    string, NaN, infinity, a negative number) is a :class:`~patsnap_analytics.errors.ProtocolError`, before
    anything is stored.

    Example:
        >>> upload_lifetime(None), upload_lifetime(0), upload_lifetime(1e20), upload_lifetime(600)
        (32400.0, 0.0, 32400.0, 600.0)
        >>> upload_lifetime(float("nan"))
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /image-search/image-upload answered a malformed data.expire: must be a finite number of seconds, at least 0
    """
    if expire is None:
        return DEFAULT_UPLOAD_LIFETIME
    if isinstance(expire, bool) or not isinstance(expire, (int, float)) or not math.isfinite(expire) or expire < 0:
        raise ProtocolError(UPLOAD.path, "data.expire", "must be a finite number of seconds, at least 0")
    return min(float(expire), MAX_UPLOAD_LIFETIME)


@dataclass(frozen=True)
class UploadedImage:
    """An uploaded image: its temporary public ``url``, when that expires, and the image's sha256.

    ``reused`` is True when the URL came from the ledger instead of a new upload call.

    Example:
        >>> UploadedImage("https://img/1.png", datetime(2000, 1, 1, tzinfo=UTC), "ab").expired
        True
    """

    url: str
    expires_at: datetime
    sha256: str
    reused: bool = False

    @property
    def expired(self) -> bool:
        """Whether the API has deleted (or is about to delete) the file behind ``url``."""
        return datetime.now(UTC) >= self.expires_at


class Uploader:
    """Upload images through ``transport``, remembering each URL in ``ledger`` (keyed by host and sha256).

    Every URL handed out is registered with ``keyer``, so a search sent with it is cached under the
    image's hash, not under the short-lived URL.

    Example:
        >>> import requests
        >>> from patsnap_analytics.store.ledger import UploadLedger
        >>> t = Transport(requests.Session(), base_url="https://h", auth=None, stats=ClientStats())
        >>> Uploader(t, UploadLedger(None), SearchKeyer(), SingleFlight()).remembered("ab" * 32) is None
        True
    """

    def __init__(self, transport: Transport, ledger: UploadLedger, keyer: SearchKeyer, flight: SingleFlight,
                 *, offline: bool = False) -> None:
        self.transport = transport
        self.ledger = ledger
        self.keyer = keyer
        self.flight = flight
        self.offline = offline

    @property
    def stats(self) -> ClientStats:
        return self.transport.stats

    def _key(self, sha256: str) -> str:
        return f"{self.transport.base_url}|{sha256}"

    def remembered(self, sha256: str) -> UploadedImage | None:
        """The still-valid URL of an earlier upload of these bytes (no call), or ``None``."""
        entry = self.ledger.entry(self._key(sha256))
        if entry is None:
            return None
        url, expires_at = entry
        self.keyer.register(url, f"sha256:{sha256}")
        return UploadedImage(url, datetime.fromtimestamp(expires_at, UTC), sha256, reused=True)

    def forget(self, sha256: str) -> None:
        """Drop a remembered URL (the API said it no longer knows it)."""
        self.ledger.forget(self._key(sha256))

    def upload(self, ref: ImageRef, *, refresh: bool = False, gates: Sequence[CallGate] = ()) -> UploadedImage:
        """A valid URL for ``ref``: the remembered one (``reused``), or one new upload call through ``gates``."""
        with self.flight.hold("upload:" + ref.sha256):
            known = None if refresh else self.remembered(ref.sha256)
            if known is not None:
                self.stats.count_saved("upload_reuses")
                return known
            if self.offline:
                raise OfflineCacheMiss(f"offline: {ref.name!r} has no valid upload URL and uploading needs the API")
            files = {"image": (ref.filename, ref.data, ref.mime_type)}
            data = self.transport.call(UPLOAD, {}, files=files, gates=gates).data  # url checked by its schema
            url, expire = data["url"], upload_lifetime(data.get("expire"))
            expires_at = self.ledger.put(self._key(ref.sha256), url, expire_in=expire)
            self.keyer.register(url, f"sha256:{ref.sha256}")
            return UploadedImage(url, datetime.fromtimestamp(expires_at, UTC), ref.sha256)
