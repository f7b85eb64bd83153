"""One similar-design search: decide what to do, then do it.

:meth:`Searcher.search` works in this order:

1. **Key.** The search is keyed by (host, image sha256 — or the URL searched —, normalised filters), never by
   the temporary upload URL, so the same image and filters find their stored answer a week later.
2. **Single flight.** One search per key at a time in this process: identical searches in flight at once
   are sent once; the others find the first one's answer in the cache.
3. **Decide** (:meth:`Searcher.decide`, no call is made): a :class:`SearchStep` saying which of these
   applies — the cache holds the answer (``cache_hit``); offline and it does not (``offline_miss``);
   a URL was given (``search_url``); the image's upload URL is still valid (``reuse_upload``); or the image
   must be uploaded first (``upload``). ``refresh=True`` skips the cache look-up.
4. **Act** (:meth:`Searcher.act`): a flat dispatch on that step. A reused upload URL the server no longer
   knows (68300004, e.g. clocks differ) is renewed once, transparently.
5. **Frame.** The answer becomes a typed frame (:func:`~patsnap_analytics.frames.results_frame`) with its
   :class:`~patsnap_analytics.frames.ResultInfo` in ``df.attrs``.

Example:
    >>> from patsnap_analytics.sandbox import Sandbox                          # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                                        # doctest: +SKIP
    ...     searcher = pa.connect(sandbox=sb).searcher
    ...     searcher.decide(searcher.resolve_image("watch.png"), DesignQuery()).action
    'upload'
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import requests

from .api import INVALID_PARAMETER, SEARCH_ID
from .cache import SearchKeyer, image_placeholder
from .errors import OfflineCacheMiss, RequestRejectedError, ValidationError, ZeroHitsWarning
from .flight import SingleFlight
from .frames import ResultInfo, SearchSpec, results_frame
from .gates import CallGate
from .images import ImageRef, ImageSource
from .query import DesignQuery
from .stats import ClientStats
from .transport import Answer, Transport
from .uploads import UploadedImage, Uploader

__all__ = ["MAX_KEPT_IMAGE_BYTES", "SearchStep", "Searcher", "is_url"]

#: Bytes of images given as bytes (not files) a client remembers for label(); files cost only their path.
MAX_KEPT_IMAGE_BYTES = 64 * 2**20

Action = Literal["cache_hit", "offline_miss", "search_url", "reuse_upload", "upload"]


def is_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL (the only kind of address the API can search).

    Example:
        >>> is_url("https://x/y.png"), is_url("file:///etc/passwd"), is_url(b"...")
        (True, False, False)
    """
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class SearchStep:
    """What one search will do, decided before anything is sent.

    Example:
        >>> SearchStep("cache_hit", {"url": "x"}).action
        'cache_hit'
    """

    action: Action
    key_params: dict[str, str]
    cached: Answer | None = None
    upload: UploadedImage | None = None


class Searcher:
    """Runs searches for a client: the transport to send, the uploader, the cache keyer and the counters.

    ``source`` marks the frames (``"sandbox"`` or ``"patsnap"``); an answer carrying the sandbox header is
    marked ``"sandbox"`` whatever the client was told.

    Example:
        >>> from patsnap_analytics.cache import UploadLedger
        >>> t = Transport(requests.Session(), base_url="https://h", auth=None, stats=ClientStats())
        >>> s = Searcher(t, Uploader(t, UploadLedger(None), SearchKeyer(), SingleFlight()), SearchKeyer(),
        ...              SingleFlight())
        >>> s.key_params(DesignQuery(limit=5), url="https://img/1.png")
        {'url': 'https://img/1.png', 'limit': '5', 'order': 'desc'}
    """

    def __init__(self, transport: Transport, uploads: Uploader, keyer: SearchKeyer, flight: SingleFlight, *,
                 offline: bool = False, source: str = "patsnap") -> None:
        self.transport = transport
        self.uploads = uploads
        self.keyer = keyer
        self.flight = flight
        self.offline = offline
        self.source = source
        # images searched in this session, by sha256, so that label() can re-run a query after its upload expired:
        # files by their path (no bytes); images given as bytes up to MAX_KEPT_IMAGE_BYTES, the oldest forgotten
        self._images: OrderedDict[str, ImageRef] = OrderedDict()
        self._kept_bytes = 0

    @property
    def stats(self) -> ClientStats:
        """The client's call counters."""
        return self.transport.stats

    @property
    def base_url(self) -> str:
        """The host searched."""
        return self.transport.base_url

    # ------------------------------------------------------------------ inputs
    def resolve_image(self, image: ImageSource | ImageRef) -> ImageRef | str:
        """Validate what the user passed as the query image: an http(s) URL, or image bytes (``ImageRef``)."""
        if isinstance(image, str) and "://" in image and not is_url(image):
            raise ValidationError("image", f"only http(s) URLs can be searched, got {image.split('://')[0]}://…")
        return image if is_url(image) else ImageRef.from_any(image)  # type: ignore[arg-type]

    def image_for(self, sha256: str) -> ImageRef | None:
        """An image searched earlier in this session, by its sha256 (``None`` if this client never saw it, or
        forgot its bytes)."""
        return self._images.get(sha256)

    def _remember(self, image: ImageRef) -> None:
        """Remember a searched image without holding the bytes of every one (files are re-read by path)."""
        if image.sha256 in self._images:
            return
        self._images[image.sha256] = image
        if image.holds_bytes:
            self._kept_bytes += image.nbytes
        while self._kept_bytes > MAX_KEPT_IMAGE_BYTES:
            held = next((k for k, v in self._images.items() if v.holds_bytes), None)
            if held is None:
                break
            self._kept_bytes -= self._images.pop(held).nbytes

    def key_params(self, filters: DesignQuery, *, image_sha256: str | None = None,
                   url: str | None = None) -> dict[str, str]:
        """The parameters a search is cached under: the image by its hash (never its upload URL), or the URL."""
        return {"url": image_placeholder(image_sha256) if image_sha256 else (url or ""), **filters.to_api_params()}

    def _key_params_of(self, target: ImageRef | str, filters: DesignQuery) -> dict[str, str]:
        if isinstance(target, ImageRef):
            return self.key_params(filters, image_sha256=target.sha256)
        return self.key_params(filters, url=target)

    def cached_answer(self, filters: DesignQuery, *, image_sha256: str | None = None,
                      url: str | None = None) -> dict | None:
        """The stored answer (``data``) of a search, or ``None``; never sends a call."""
        answer = self.transport.lookup(SEARCH_ID, self.key_params(filters, image_sha256=image_sha256, url=url))
        return None if answer is None else answer.data

    # ------------------------------------------------------------------ one search
    def search(self, target: ImageRef | str, filters: DesignQuery, *, name: str | None = None,
               refresh: bool = False, gates: Sequence[CallGate] = ()) -> pd.DataFrame:
        """One search (see the module's numbered steps); ``gates`` see every call that goes out."""
        if isinstance(target, ImageRef):
            self._remember(target)
        key_params = self._key_params_of(target, filters)
        request = requests.Request("GET", self.base_url + SEARCH_ID.path, params=key_params).prepare()
        with self.flight.hold("search:" + self.keyer(request)):
            step = self.decide(target, filters, refresh=refresh)
            answer = self.act(step, target, filters, gates=gates)
        return self._frame(answer, target, filters, name)

    def decide(self, target: ImageRef | str, filters: DesignQuery, *, refresh: bool = False) -> SearchStep:
        """What this search needs, without sending anything (the cache and the ledger are read)."""
        key_params = self._key_params_of(target, filters)
        cached = None if refresh else self.transport.lookup(SEARCH_ID, key_params)
        if cached is not None:
            return SearchStep("cache_hit", key_params, cached=cached)
        if self.offline:
            return SearchStep("offline_miss", key_params)
        if not isinstance(target, ImageRef):
            return SearchStep("search_url", key_params)
        known = self.uploads.remembered(target.sha256)
        if known is not None:
            return SearchStep("reuse_upload", key_params, upload=known)
        return SearchStep("upload", key_params)

    def act(self, step: SearchStep, target: ImageRef | str, filters: DesignQuery, *,
            gates: Sequence[CallGate] = ()) -> Answer:
        """Carry out a :class:`SearchStep`: serve it, refuse it, or send the upload and the search."""
        if step.action == "cache_hit":
            self.stats.count_saved("search_cache_hits")
            return step.cached  # type: ignore[return-value]
        if step.action == "offline_miss":
            name = target.display_name if isinstance(target, ImageRef) else target
            raise OfflineCacheMiss(f"offline: no cached answer for this search of {name!r} with "
                                   f"{filters.describe()}; run it once online (or unset PATSNAP_OFFLINE)")
        if step.action == "search_url":
            return self._send(step, str(target), gates)
        assert isinstance(target, ImageRef)
        if step.action == "reuse_upload":
            self.stats.count_saved("upload_reuses")
            try:
                return self._send(step, step.upload.url, gates)  # type: ignore[union-attr]
            except RequestRejectedError as exc:
                if exc.error_code != INVALID_PARAMETER:
                    raise
                # the server no longer knows a URL our ledger still trusted (clocks differ): upload once more
                self.uploads.forget(target.sha256)
        upload = self.uploads.upload(target, refresh=step.action == "reuse_upload", gates=gates)
        return self._send(step, upload.url, gates)

    def _send(self, step: SearchStep, url: str, gates: Sequence[CallGate]) -> Answer:
        return self.transport.call(SEARCH_ID, {**step.key_params, "url": url}, gates=gates)

    def _frame(self, answer: Answer, target: ImageRef | str, filters: DesignQuery, name: str | None) -> pd.DataFrame:
        sha256 = target.sha256 if isinstance(target, ImageRef) else None
        query_name = name or (target.display_name if isinstance(target, ImageRef) else target)
        frame = results_frame(answer.data, query=query_name, sorted_by_similarity=filters.sorted_by_similarity)
        data = answer.data
        if data == {} and not answer.from_cache:
            warnings.warn(f"{SEARCH_ID.path} answered no data for {query_name!r} ({filters.describe()}): zero "
                          f"hits; kept in the cache until {answer.kept_until or 'never (not stored)'} only, then "
                          "asked again (refresh=True asks now)", ZeroHitsWarning, stacklevel=3)
        info = ResultInfo(
            source="sandbox" if answer.from_sandbox or self.source == "sandbox" else "patsnap",
            base_url=self.base_url,
            endpoint=SEARCH_ID.path,
            query=query_name,
            filters=filters.filters(),
            image_sha256=sha256,
            search_id=data.get("search_id"),
            total_count=data.get("total_search_result_count"),
            from_cache=answer.from_cache,
            kept_until=answer.kept_until,
            queries={query_name: SearchSpec(sha256, None if sha256 else str(target), filters.filters())},
        )
        return info.attach(frame)
