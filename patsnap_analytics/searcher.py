"""One similar-design search, through any endpoint of the family: decide what to do, then do it.

:meth:`Searcher.search` works in this order:

1. **Key.** The search is keyed by (host, endpoint, image sha256 — or the URL searched; for image-multiple
   every view in order —, normalised filters), never by the temporary upload URL, so the same image and
   filters find their stored answer a week later. Each page's request is built by one function,
   :func:`page_request`: with each image by its hash for the cache key, with its upload URL for the call, so the
   key a page is looked up under and the key its answer is stored under cannot drift apart.
2. **Single flight.** One search per key at a time in this process: identical searches in flight at once
   are sent once; the others find the first one's answer in the cache. A search the cache answers whole
   (or that can send nothing) is decided without the lock: a cache hit waits for nobody.
3. **Decide** (:meth:`Searcher.decide`, no call is made): the **pages** the ranks asked for need
   (:func:`page_plan`: one call per 100 ranks; search-id's ranks past 100 come through
   ``/image-search/results`` with its ``search_id``), which pages the cache holds (each page is its own
   entry), and a :class:`SearchStep` saying what the rest needs — nothing (``cache_hit``); nothing
   possible (``offline_miss``, or ``refused``: the endpoint answered this account 67200004 within the day,
   remembered beside the cache as :class:`~patsnap_analytics.records.Refusals`); the
   URL(s) given (``search_url``); the images' still-valid upload URLs (``reuse_upload``); or uploads
   first (``upload``). A stored search-id page whose ``search_id`` is older than its 20 minutes is asked
   again (a new search) before deeper pages are fetched. ``refresh=True`` skips the cache look-ups.
4. **Act** (:meth:`Searcher.act`): a flat dispatch on that step, then the missing pages in rank order.
   Paging stops as soon as the results end. A reused upload URL the server no longer knows (68300004) is
   renewed once, and so is a ``search_id`` the server has forgotten. When a page after the first fails,
   the pages before it are kept (and cached) and the frame says which ranks are missing
   (``ResultInfo.missing_ranks``). The first page's total is the search's: a page that comes back short of
   it (later pages counting fewer results) is *cut short* — the missing ranks are said the same way, and
   the page is never taken from the cache as complete, so a later run asks for it again.
5. **Frame.** The pages become one typed frame (:func:`~patsnap_analytics.frames.results_frame`); each row
   keeps the server's rank (its page's offset + its position); a patent a later page repeats (overlapping
   pages) is listed once, at its first rank, and said (``ResultInfo.repeated_ranks``, each page's own total
   in ``page_totals``), with its :class:`~patsnap_analytics.frames.ResultInfo` in ``df.attrs``.

Cost: one call per page of 100 ranks not in the cache (search-id: its first page is a search-id call, the
others ``results`` calls), plus one upload per image without a valid upload URL; nothing when cached.

Example:
    >>> from patsnap_analytics.sandbox import Sandbox                          # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                                        # doctest: +SKIP
    ...     searcher = pa.connect(sandbox=sb).searcher
    ...     searcher.decide(searcher.resolve_image("watch.png"), DesignQuery()).action
    'upload'
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeGuard

import pandas as pd

from .api import (
    IMAGE_MULTIPLE,
    INVALID_PARAMETER,
    MAX_VIEWS,
    PAGE_SIZE,
    PERMISSION_DENIED,
    SEARCH_ENDPOINTS,
    SEARCH_ID,
    SEARCH_ID_LIFETIME,
    SEARCH_RESULTS,
    Endpoint,
)
from .errors import (
    APIError,
    OfflineCacheMiss,
    PermissionDeniedError,
    RequestRejectedError,
    TransportError,
    ValidationError,
    ZeroHitsWarning,
)
from .frames import ResultInfo, SearchSpec, results_frame
from .images import ImageRef, ImageSource
from .query import DEFAULT_ENDPOINT, DesignQuery
from .records import Refusals
from .renames import warn_renamed
from .store.flight import SingleFlight
from .store.keys import SearchKeyer, image_placeholder
from .uploads import UploadedImage, Uploader
from .wire.gates import CallGate
from .wire.stats import ClientStats
from .wire.transport import Answer, Transport

__all__ = ["MAX_KEPT_IMAGE_BYTES", "IncompleteSearchWarning", "Page", "PageRequest", "PageStep", "SearchStep",
           "Searcher", "Target", "design_query_for", "is_url", "page_plan", "page_request", "search_query"]

#: Bytes of images given as bytes (not files) a client remembers for label(); files cost only their path.
MAX_KEPT_IMAGE_BYTES = 64 * 2**20

Action = Literal["cache_hit", "offline_miss", "refused", "search_url", "reuse_upload", "upload"]
#: The actions that send no call, and so need no single-flight lock.
_SENDS_NOTHING = frozenset({"cache_hit", "offline_miss", "refused"})
#: What a search looks at: one image (bytes known by hash, or an http(s) URL), or 1-4 views of one design.
Target = ImageRef | str | tuple[ImageRef | str, ...]
#: A stored search_id is trusted this long (its 20 minutes less a margin for the clocks and the call).
_SEARCH_ID_TRUST = SEARCH_ID_LIFETIME - 120


class IncompleteSearchWarning(UserWarning):
    """A search did not deliver every rank asked for: a page after the first failed, or came back short of the
    first page's total (``ResultInfo.missing_ranks``), or repeated patents of earlier pages
    (``ResultInfo.repeated_ranks``).

    Example:
        >>> issubclass(IncompleteSearchWarning, UserWarning)
        True
    """


def is_url(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an http(s) URL (the only kind of address the API can search).

    Example:
        >>> is_url("https://x/y.png"), is_url("file:///etc/passwd"), is_url(b"...")
        (True, False, False)
    """
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def design_query_for(image_or_views: Any = None, *, endpoint: str | None = None, default: str = DEFAULT_ENDPOINT,
                     design_query: DesignQuery | None = None, **filters: Any) -> DesignQuery:
    """The one place a search's endpoint is decided and its filters checked against it: ``endpoint`` when
    given; else one design's views (a list or tuple) go to image-multiple; else ``default`` — a client's own
    (``Client(endpoint=...)``, :attr:`Searcher.default_endpoint`), search-id unless told. Every entry point
    (``search_designs``, ``search_many``, the command line, the app) comes through here. A ``design_query``
    given is searched as it is (its own endpoint), with ``endpoint`` and any filters given beside it changed.

    Example:
        >>> design_query_for(design_query=DesignQuery(country="US"), limit=5).to_api_params()
        {'country': 'US', 'limit': '5', 'order': 'desc'}
        >>> design_query_for("https://a/1.png", default="image-single", limit=5).endpoint
        'image-single'
        >>> design_query_for(["https://a/1.png", "https://a/2.png"], default="image-single").endpoint
        'image-multiple'
        >>> design_query_for(default="image-single", endpoint="search-id", model=2)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: model: the search-id endpoint does not take model; use endpoint= image-single, image-single-beta, image-multiple
    """
    if design_query is not None:
        if not isinstance(design_query, DesignQuery):
            raise ValidationError("design_query", f"must be a DesignQuery, got {type(design_query).__name__}; "
                                                  "pass filters as keywords (country=..., limit=...) instead")
        changes = {**filters, **({"endpoint": endpoint} if endpoint is not None else {})}
        return design_query.replace(**changes) if changes else design_query
    if endpoint is None:
        endpoint = IMAGE_MULTIPLE.name if isinstance(image_or_views, (list, tuple)) else default
    return DesignQuery.from_filters(endpoint=endpoint, **filters)


def search_query(image_or_views: Any = None, **kwargs: Any) -> DesignQuery:
    """Deprecated spelling of :func:`design_query_for` (``query`` is a query's name, as in the ``query`` column)."""
    warn_renamed("searcher.search_query()", "searcher.design_query_for()")
    return design_query_for(image_or_views, **kwargs)


@dataclass(frozen=True)
class Page:
    """One call's worth of ranks: the endpoint it goes to (its table entry, ``operation``), its ``offset`` and
    ``limit``.

    Example:
        >>> Page(SEARCH_RESULTS, 100, 100).ranks
        (101, 200)
    """

    operation: Endpoint
    offset: int
    limit: int

    @property
    def ranks(self) -> tuple[int, int]:
        """The first and last rank this page can hold."""
        return self.offset + 1, self.offset + self.limit


def page_plan(design_query: DesignQuery) -> list[Page]:
    """The calls that the ranks ``offset + 1 .. offset + limit`` of ``design_query`` take, in rank order.

    Up to 100 ranks are one call. More are pages of 100 on 100-rank boundaries (so a later, longer search
    reuses the stored pages), at most offset 1,000. search-id always starts with its own call (it issues
    the ``search_id``); its deeper pages are ``results`` calls.

    Example:
        >>> [(p.operation.name, p.offset, p.limit) for p in page_plan(DesignQuery(limit=250))]
        [('search-id', 0, 100), ('results', 100, 100), ('results', 200, 100)]
        >>> [(p.operation.name, p.offset, p.limit) for p in page_plan(DesignQuery(endpoint="image-single", limit=20))]
        [('image-single', 0, 20)]
    """
    start, limit = design_query.offset or 0, design_query.limit
    operation = SEARCH_ENDPOINTS[design_query.endpoint]
    if limit <= PAGE_SIZE and (start == 0 or design_query.uses_json):
        return [Page(operation, start, limit)]
    first = start // PAGE_SIZE * PAGE_SIZE
    offsets = range(first, math.ceil((start + limit) / PAGE_SIZE) * PAGE_SIZE, PAGE_SIZE)
    if design_query.uses_json:
        return [Page(operation, o, PAGE_SIZE) for o in offsets]
    return [Page(SEARCH_ID, 0, PAGE_SIZE), *(Page(SEARCH_RESULTS, o, PAGE_SIZE) for o in offsets if o > 0)]


@dataclass(frozen=True)
class PageRequest:
    """One page's call as the transport takes it: the endpoint's table entry, the query string and the JSON body.

    Made only by :func:`page_request`, twice per page: with each image by its hash (the key the page is looked up
    and stored under) and with its upload URL (what is sent); the cache's keyer reads an upload URL as the hash
    it was registered with, so both forms name one cache entry.

    Example:
        >>> PageRequest(SEARCH_ID, {"url": "x"}).body is None
        True
    """

    operation: Endpoint
    params: dict[str, Any]
    body: dict[str, Any] | None = None


def page_request(page: Page, design_query: DesignQuery, images: Sequence[str], *,
                 search_id: str | None = None) -> PageRequest:
    """The request of ``page``: the page's ranks and ``design_query``'s filters in the endpoint's wire form, each
    image named by the strings ``images`` (:func:`~patsnap_analytics.store.keys.image_placeholder` for the key, the
    upload URL for the call; image-multiple sends them all as ``urls``, the others the first as ``url``). A
    ``results`` page names its search by ``search_id`` (what is sent), or without one by the search's image (the
    key: a search id lives 20 minutes, the stored page lives on).

    Example:
        >>> query = DesignQuery(endpoint="image-multiple", limit=5)
        >>> page_request(page_plan(query)[0], query, ["a", "b"]).body["urls"]
        ['a', 'b']
        >>> page_request(Page(SEARCH_RESULTS, 100, 100), DesignQuery(limit=200), ["img"], search_id="S1").params
        {'search_id': 'S1', 'limit': '100', 'offset': '100', 'order': 'desc'}
    """
    operation = page.operation
    wire = design_query.to_wire(operation.name, offset=page.offset, limit=page.limit)
    if operation.params_in == "json":
        views = {"urls": list(images)} if operation is IMAGE_MULTIPLE else {"url": images[0]}
        return PageRequest(operation, {}, {**views, **wire})
    if operation is SEARCH_RESULTS:
        return PageRequest(operation, {"search_id": search_id or images[0], **wire})
    return PageRequest(operation, {"url": images[0], **wire})


@dataclass(frozen=True)
class PageStep:
    """A page of the plan, the request it is stored under and what the cache holds for it (``None``: it must
    be sent).

    Example:
        >>> PageStep(Page(SEARCH_ID, 0, 10), PageRequest(SEARCH_ID, {"url": "x"})).cached is None
        True
    """

    page: Page
    key: PageRequest
    cached: Answer | None = None


@dataclass(frozen=True)
class SearchStep:
    """What one search will do, decided before anything is sent: the action for the pages the cache does
    not hold, and every page with its cached answer (if any).

    Example:
        >>> SearchStep("cache_hit").action
        'cache_hit'
    """

    action: Action
    cached: Answer | None = None
    upload: UploadedImage | None = None
    pages: tuple[PageStep, ...] = ()
    #: search-id: the stored first page's ``search_id`` is too old to page on: ask that page again
    renew_search_id: bool = False


@dataclass
class _Run:
    """What acting on a step has got so far: the answers in rank order and the URLs searched."""

    answers: list[tuple[Page, Answer]] = field(default_factory=list)
    urls: list[str] | None = None
    search_id: str | None = None
    sent: int = 0  # pages sent
    uploaded: int = 0  # upload calls made for this search
    missing: tuple[int, int] | None = None
    missing_reason: str | None = None

    @property
    def total(self) -> int | None:
        """The search's total: what its first page counted (later pages may disagree)."""
        return _total(self.answers[0][1]) if self.answers else None


def _views(target: Target) -> tuple[ImageRef | str, ...]:
    return target if isinstance(target, tuple) else (target,)


def _image_key(view: ImageRef | str) -> str:
    """How a view stands in a cache key: its hash (never its short-lived upload URL), or its URL."""
    return image_placeholder(view.sha256) if isinstance(view, ImageRef) else view


def _rows(answer: Answer) -> int:
    return len((answer.data or {}).get("patent_messages") or [])


def _total(answer: Answer) -> int | None:
    total = (answer.data or {}).get("total_search_result_count")
    return total if isinstance(total, int) else None


def _ended(page: Page, answer: Answer, total: int | None) -> bool:
    """Whether the results end within this page (fewer rows than asked, or the search's ``total`` reached)."""
    return _rows(answer) < page.limit or (total is not None and total <= page.offset + page.limit)


def _short_by(page: Page, answer: Answer, total: int | None, design_query: DesignQuery) -> int:
    """How many of the ranks this search asked for a page lacks although the search's ``total`` (its first
    page's count) promises them: 0 for a page that holds them, or when no total is known. Such a page is
    *cut short*: never taken from the cache as complete, so a later run asks for it again."""
    if total is None:
        return 0
    stop = min(page.offset + page.limit, total, (design_query.offset or 0) + design_query.limit)
    return max(0, stop - page.offset - _rows(answer))


class Searcher:
    """Runs searches for a client: the transport to send, the uploader, the cache keyer and the counters.

    ``source`` marks the frames (``"sandbox"`` or ``"patsnap"``); an answer carrying the sandbox header is
    marked ``"sandbox"`` whatever the client was told. Endpoints that refused the account (67200004) are
    remembered in ``refusals`` (:class:`~patsnap_analytics.records.Refusals`: the client's, beside its cache; in
    this process only without one) and not asked again that day. ``default_endpoint``: where a search goes when
    nobody names an endpoint (:func:`design_query_for`).

    Example:
        >>> import requests
        >>> from patsnap_analytics.store.ledger import UploadLedger
        >>> t = Transport(requests.Session(), base_url="https://h", auth=None, stats=ClientStats())
        >>> s = Searcher(t, Uploader(t, UploadLedger(None), SearchKeyer(), SingleFlight()), SearchKeyer(),
        ...              SingleFlight())
        >>> s.key_params(DesignQuery(limit=5), url="https://img/1.png")
        {'url': 'https://img/1.png', 'limit': '5', 'order': 'desc'}
    """

    def __init__(self, transport: Transport, uploads: Uploader, keyer: SearchKeyer, flight: SingleFlight, *,
                 offline: bool = False, source: str = "patsnap", default_endpoint: str = DEFAULT_ENDPOINT,
                 refusals: Refusals | None = None) -> None:
        self.transport = transport
        self.default_endpoint = default_endpoint
        self.uploads = uploads
        self.keyer = keyer
        self.flight = flight
        self.offline = offline
        self.source = source
        #: the endpoints that refused the account (67200004): never paid for twice the same day
        self.refusals = refusals or Refusals({})
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
    def design_query_for(self, image_or_views: Any = None, **filters: Any) -> DesignQuery:
        """The :class:`DesignQuery` a search of ``image_or_views`` with these keywords (``endpoint`` and the
        filters) runs, this searcher's default endpoint applied (:func:`design_query_for`)."""
        return design_query_for(image_or_views, default=self.default_endpoint, **filters)

    def query_for(self, image_or_views: Any = None, **filters: Any) -> DesignQuery:
        """Deprecated spelling of :meth:`design_query_for`."""
        warn_renamed("Searcher.query_for()", "Searcher.design_query_for()")
        return self.design_query_for(image_or_views, **filters)

    def resolve(self, image_or_views: Any, **filters: Any) -> tuple[Target, DesignQuery]:
        """What a search of ``image_or_views`` looks at and the design query it runs: every default applied, the
        image(s) and the filters checked, nothing sent."""
        design_query = self.design_query_for(image_or_views, **filters)
        return self.resolve_target(image_or_views, design_query.endpoint), design_query

    def resolve_image(self, image: ImageSource | ImageRef) -> ImageRef | str:
        """Validate what the user passed as the query image: an http(s) URL, or image bytes (``ImageRef``)."""
        if isinstance(image, str) and "://" in image and not is_url(image):
            raise ValidationError("image", f"only http(s) URLs can be searched, got {image.split('://')[0]}://…")
        return image if is_url(image) else ImageRef.from_any(image)  # type: ignore[arg-type]

    def resolve_target(self, image_or_views: Any, endpoint: str) -> Target:
        """The searched target for ``endpoint`` (decided by :func:`design_query_for`): a list/tuple of 1-4 images
        is one design's views (image-multiple only); one image searched through image-multiple is one view.

        Example:
            >>> s = Searcher.__new__(Searcher)
            >>> s.resolve_target(("https://a/1.png", "https://a/2.png"), "image-multiple")
            ('https://a/1.png', 'https://a/2.png')
            >>> s.resolve_target(["https://a/1.png"] * 5, "image-multiple")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: image_or_views: image-multiple takes 1 to 4 views of one design, got 5
        """
        if isinstance(image_or_views, (list, tuple)):
            views = list(image_or_views)
            if not 1 <= len(views) <= MAX_VIEWS:
                raise ValidationError("image_or_views", f"image-multiple takes 1 to {MAX_VIEWS} views of one design, "
                                                        f"got {len(views)}")
            if endpoint != IMAGE_MULTIPLE.name:
                raise ValidationError("endpoint", f"several views go to image-multiple, not {endpoint}; pass one "
                                                  "image, or endpoint='image-multiple'")
            return tuple(self.resolve_image(v) for v in views)
        target = self.resolve_image(image_or_views)
        return (target,) if endpoint == IMAGE_MULTIPLE.name else target

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

    def key_params(self, design_query: DesignQuery, *, image_sha256: str | None = None,
                   url: str | None = None) -> dict[str, str]:
        """The query string the first page of a search-id search is cached under: the image by its hash (never
        its upload URL), or the URL (:func:`page_request`)."""
        image = image_placeholder(image_sha256) if image_sha256 else (url or "")
        return page_request(page_plan(design_query)[0], design_query, [image]).params

    def cached_answer(self, design_query: DesignQuery, *, image_sha256: str | None = None,
                      url: str | None = None, views: Sequence[str] = ()) -> dict | None:
        """The stored answer (``data``, pages joined) of a search, or ``None`` when a page is not stored;
        never sends a call. ``views``: image-multiple's views as ``sha256:<hex>`` or ``url:<address>``.
        """
        if views:
            keys = [image_placeholder(v[7:]) if v.startswith("sha256:") else v.removeprefix("url:") for v in views]
        else:
            keys = [image_placeholder(image_sha256) if image_sha256 else (url or "")]
        steps = self._look_up_pages(design_query, keys)
        if any(step.cached is None for step in steps):
            return None
        return _joined([(s.page, s.cached) for s in steps], design_query).data  # type: ignore[misc]

    def _look_up_pages(self, design_query: DesignQuery, keys: list[str], *, refresh: bool = False) -> list[PageStep]:
        """Every page of the plan with its stored answer; pages past the end of a stored answer are dropped.

        A stored page that is cut short of the first page's total (:func:`_short_by`) counts as not stored."""
        steps: list[PageStep] = []
        total: int | None = None
        for page in page_plan(design_query):
            key = page_request(page, design_query, keys)
            cached = None if refresh else self.transport.lookup(key.operation, key.params, body=key.body)
            if not steps and cached is not None:
                total = _total(cached)
            if cached is not None and _short_by(page, cached, total, design_query):
                cached = None
            steps.append(PageStep(page, key, cached))
            if cached is not None and _ended(page, cached, total):
                break
        return steps

    # ------------------------------------------------------------------ one search
    def search(self, target: Target, design_query: DesignQuery, *, name: str | None = None,
               refresh: bool = False, gates: Sequence[CallGate] = ()) -> pd.DataFrame:
        """One search (see the module's numbered steps); ``gates`` see every call that goes out."""
        for view in _views(target):
            if isinstance(view, ImageRef):
                self._remember(view)
        # a step that sends nothing (every page stored, or nothing possible) needs no lock: that is every cache
        # hit, which then costs neither a lock file nor a team's Redis round trip (without a cache there is none:
        # the decision is made once, under the lock)
        step = None if refresh or not self.transport.cached else self.decide(target, design_query)
        if step is not None and step.action in _SENDS_NOTHING:
            return self._frame(self.act(step, target, design_query, gates=gates), target, design_query, name)
        keys = [_image_key(v) for v in _views(target)]
        flight_key = "|".join([design_query.endpoint, *keys, repr(sorted(design_query.to_api_params().items()))])
        with self.flight.hold("search:" + flight_key):
            step = self.decide(target, design_query, refresh=refresh)  # again: another holder may have stored it
            run = self.act(step, target, design_query, gates=gates)
        return self._frame(run, target, design_query, name)

    def cost(self, target: Target, design_query: DesignQuery) -> int:
        """The calls this search would send now (nothing is sent): the pages the cache lacks and the uploads of
        query images without a still-valid upload URL; 0 for a search the cache answers whole (or that is
        refused or offline, which sends nothing)."""
        step = self.decide(target, design_query)
        if step.action in _SENDS_NOTHING:
            return 0
        uploads = [v for v in _views(target) if isinstance(v, ImageRef) and self.uploads.remembered(v.sha256) is None]
        return sum(s.cached is None for s in step.pages) + len(uploads)

    def decide(self, target: Target, design_query: DesignQuery, *, refresh: bool = False) -> SearchStep:
        """What this search needs, without sending anything (the cache and the ledger are read)."""
        views = _views(target)
        steps = self._look_up_pages(design_query, [_image_key(v) for v in views], refresh=refresh)
        first = steps[0]
        renew = (not design_query.uses_json and first.cached is not None
                 and any(s.cached is None for s in steps[1:]) and self._search_id_too_old(first.cached))
        upload = None
        if all(s.cached is not None for s in steps):
            action: Action = "cache_hit"
        elif self.offline:
            action = "offline_miss"
        elif not refresh and self._refusing_endpoint(steps) is not None:  # refresh=True asks again
            action = "refused"
        elif not any(isinstance(v, ImageRef) for v in views):
            action = "search_url"
        else:
            known = [self.uploads.remembered(v.sha256) for v in views if isinstance(v, ImageRef)]
            action, upload = ("reuse_upload", known[0]) if all(k is not None for k in known) else ("upload", None)
        return SearchStep(action, first.cached, upload, tuple(steps), renew)

    def _refusing_endpoint(self, steps: Sequence[PageStep]) -> tuple[Endpoint, str] | None:
        """The first endpoint a page still to send would go to that refused the account within the day, and
        what it said."""
        to_send = dict.fromkeys(step.page.operation for step in steps if step.cached is None)  # each asked once
        for operation in to_send:
            refusal = self.refusals.get(self.base_url, operation)
            if refusal is not None:
                return operation, refusal["message"]
        return None

    @staticmethod
    def _search_id_too_old(answer: Answer) -> bool:
        if answer.created_at is None:
            return False
        created = answer.created_at if answer.created_at.tzinfo else answer.created_at.replace(tzinfo=UTC)
        return (datetime.now(UTC) - created).total_seconds() > _SEARCH_ID_TRUST

    def act(self, step: SearchStep, target: Target, design_query: DesignQuery, *,
            gates: Sequence[CallGate] = ()) -> _Run:
        """Carry out a :class:`SearchStep`: serve it, refuse it, or get the image URL(s) and send the pages."""
        run = _Run()
        if step.action == "cache_hit":
            for page_step in step.pages:
                self.stats.count_saved("search_cache_hits")
                run.answers.append((page_step.page, page_step.cached))  # type: ignore[arg-type]
            return run
        if step.action == "offline_miss":
            raise OfflineCacheMiss(f"offline: no cached answer for this search of {_display(target)!r} with "
                                   f"{design_query.describe()}; run it once online (or unset PATSNAP_OFFLINE)")
        if step.action == "refused":
            self.stats.count_saved("refusals_remembered")
            operation, message = self._refusing_endpoint(step.pages) or (page_plan(design_query)[0].operation, "")
            raise self._refusal(operation, message, remembered=True)
        for index, page_step in enumerate(step.pages):
            if page_step.cached is not None and not (index == 0 and step.renew_search_id):
                self.stats.count_saved("search_cache_hits")
                answer = page_step.cached
            else:
                try:
                    answer = self._send_page(page_step.page, step, target, design_query, run, gates)
                except (APIError, TransportError) as exc:
                    if not run.answers:
                        raise
                    self._note_missing(run, page_step.page, design_query, exc)
                    break
            run.answers.append((page_step.page, answer))
            if page_step.page.operation is SEARCH_ID:
                self._use_search_id(run, target, (answer.data or {}).get("search_id"))
            if _short_by(page_step.page, answer, run.total, design_query):
                self._note_cut_short(run, page_step.page, answer, design_query)
                break
            if _ended(page_step.page, answer, run.total):
                break
        return run

    def _note_missing(self, run: _Run, page: Page, design_query: DesignQuery, exc: Exception) -> None:
        first = max(page.offset, design_query.offset or 0) + 1
        self._missing(run, first, (design_query.offset or 0) + design_query.limit, f"{type(exc).__name__}: {exc}",
                      "the ranks before them are kept and cached, so searching again pays only for the rest")

    def _note_cut_short(self, run: _Run, page: Page, answer: Answer, design_query: DesignQuery) -> None:
        """A page ended before the ranks the first page's total promises: say so; a later run asks again."""
        first = page.offset + _rows(answer) + 1
        last = min((design_query.offset or 0) + design_query.limit, run.total or 0)
        self._missing(run, first, last,
                      f"{page.operation.path} answered {_rows(answer)} rows at ranks {page.ranks[0]}-{page.ranks[1]} "
                      f"and a total of {_total(answer)}, but the first page counted {run.total} results",
                      "the answer is not taken as complete: searching again asks for those ranks again")

    @staticmethod
    def _missing(run: _Run, first: int, last: int, reason: str, remedy: str) -> None:
        run.missing, run.missing_reason = (first, last), reason
        warnings.warn(f"ranks {first}-{last} are missing ({reason}); {remedy}", IncompleteSearchWarning,
                      stacklevel=6)

    # ------------------------------------------------------------------ sending
    def _send_page(self, page: Page, step: SearchStep, target: Target, design_query: DesignQuery, run: _Run,
                   gates: Sequence[CallGate]) -> Answer:
        """Send one page; a reused upload URL or a search_id the server no longer knows is renewed once."""
        if page.operation is SEARCH_RESULTS and run.search_id is None:
            run.search_id = self._fresh_search_id(step, target, design_query, run, gates)
        try:
            return self._send(page, target, design_query, run, gates)
        except RequestRejectedError as exc:
            if exc.error_code != INVALID_PARAMETER:
                raise
            if page.operation is SEARCH_RESULTS:  # the search_id expired on the server's clock: search again
                run.search_id = self._fresh_search_id(step, target, design_query, run, gates)
            elif step.action == "reuse_upload" and run.sent <= 1:
                # the server no longer knows a URL our ledger still trusted (clocks differ): upload once more
                for view in _views(target):
                    if isinstance(view, ImageRef):
                        self.uploads.forget(view.sha256)
                run.urls = None
            else:
                raise
            return self._send(page, target, design_query, run, gates)

    def _fresh_search_id(self, step: SearchStep, target: Target, design_query: DesignQuery, run: _Run,
                         gates: Sequence[CallGate]) -> str:
        first = step.pages[0].page
        answer = self._send(first, target, design_query, run, gates)
        search_id = self._use_search_id(run, target, (answer.data or {}).get("search_id"))
        if not search_id:
            raise TransportError(f"{SEARCH_ID.path} answered without a search_id: ranks past "
                                 f"{first.limit} cannot be fetched")
        return search_id

    def _use_search_id(self, run: _Run, target: Target, search_id: str | None) -> str | None:
        """Page on ``search_id`` from now on; the keyer reads it as the search's image, so its results pages are
        stored under the image (the key :func:`page_request` gives them), never under the short-lived id."""
        run.search_id = search_id
        if search_id:
            self.keyer.register(search_id, self.keyer.image_key(_image_key(_views(target)[0])))
        return search_id

    def _urls(self, target: Target, run: _Run, gates: Sequence[CallGate]) -> list[str]:
        """The URL of every view: a URL as given, an image's remembered upload URL, or one upload."""
        if run.urls is None:
            got = [v if isinstance(v, str) else self.uploads.upload(v, gates=gates) for v in _views(target)]
            run.uploaded += sum(not u.reused for u in got if isinstance(u, UploadedImage))
            run.urls = [u.url if isinstance(u, UploadedImage) else u for u in got]
        return run.urls

    def _send(self, page: Page, target: Target, design_query: DesignQuery, run: _Run,
              gates: Sequence[CallGate]) -> Answer:
        # what is sent is the key's request with each image's upload URL (a results page: the search id)
        images = () if page.operation is SEARCH_RESULTS else self._urls(target, run, gates)
        request = page_request(page, design_query, images, search_id=run.search_id)
        try:
            return self.transport.call(request.operation, request.params, body=request.body, gates=gates)
        except PermissionDeniedError as exc:
            message = exc.error_msg or "no permission"
            self.refusals.remember(self.base_url, page.operation, message)
            raise self._refusal(page.operation, message, remembered=False) from None
        finally:
            run.sent += 1

    @staticmethod
    def _refusal(operation: Endpoint, reason: str, *, remembered: bool) -> PermissionDeniedError:
        name = operation.name
        others = [e for e in SEARCH_ENDPOINTS if e != name and not (name == SEARCH_RESULTS.name and e == "search-id")]
        when = ("earlier, remembered a day beside the cache: no call was sent; refresh=True asks again" if remembered
                else "now")
        return PermissionDeniedError(
            f"this account has no licence for the {name} endpoint (refused {when}: {reason}); endpoints are "
            f"licensed separately: try endpoint= {', '.join(repr(o) for o in others)}",
            error_code=PERMISSION_DENIED, http_status=200, path=operation.path)

    # ------------------------------------------------------------------ the frame
    def _frame(self, run: _Run, target: Target, design_query: DesignQuery, name: str | None) -> pd.DataFrame:
        views = _views(target)
        first = views[0]
        sha256 = first.sha256 if isinstance(first, ImageRef) else None
        query_name = name or _display(target)
        spec_views = [f"sha256:{v.sha256}" if isinstance(v, ImageRef) else f"url:{v}" for v in views] \
            if isinstance(target, tuple) else []
        spec = SearchSpec(sha256, None if sha256 else str(first), design_query.filters(), spec_views)
        joined = _joined(run.answers, design_query)
        frame = results_frame(joined.data, query=query_name, sorted_by_similarity=design_query.sorted_by_similarity,
                              ranks=joined.ranks, query_key=spec.query_key)
        data = joined.data
        if joined.repeated_ranks:
            warnings.warn(f"{query_name!r}: ranks {_spans(joined.repeated_ranks)} repeated patents already listed at "
                          f"earlier ranks (the pages overlap: the ranking moved between calls); each is kept once, "
                          f"the other rows keep the server's ranks, and a patent may be missing",
                          IncompleteSearchWarning, stacklevel=4)
        kept_until = next((a.kept_until for _, a in run.answers if a.kept_until), None)
        if run.answers and all(a.data == {} for _, a in run.answers) and run.sent:
            warnings.warn(f"{SEARCH_ENDPOINTS[design_query.endpoint].path} answered no data for {query_name!r} "
                          f"({design_query.describe()}): zero hits; kept in the cache until "
                          f"{kept_until or 'never (not stored)'} only, then asked again (refresh=True asks now)",
                          ZeroHitsWarning, stacklevel=3)
        info = ResultInfo(
            source="sandbox" if joined.from_sandbox or self.source == "sandbox" else "patsnap",
            base_url=self.base_url,
            endpoint=design_query.endpoint,
            query=query_name,
            filters=design_query.filters(),
            image_sha256=sha256,
            search_id=data.get("search_id"),
            total_count=data.get("total_search_result_count"),
            from_cache=run.sent == 0,
            kept_until=kept_until,
            missing_ranks=[list(run.missing)] if run.missing else [],
            missing_reason=run.missing_reason,
            repeated_ranks=joined.repeated_ranks,
            page_totals=joined.page_totals,
            calls_spent=run.sent + run.uploaded,
            queries={query_name: spec},
        )
        return info.attach(frame)



def _spans(ranks: Sequence[int]) -> str:
    """Ranks as short spans: ``[101, 102, 103, 110]`` -> ``'101-103, 110'``.

    Example:
        >>> _spans([101, 102, 103, 110])
        '101-103, 110'
    """
    spans: list[list[int]] = []
    for rank in ranks:
        if spans and rank == spans[-1][1] + 1:
            spans[-1][1] = rank
        else:
            spans.append([rank, rank])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


def _display(target: Target) -> str:
    """How results name a query: the image's display name or URL; views joined with ``+``."""
    return " + ".join(v.display_name if isinstance(v, ImageRef) else v for v in _views(target))


@dataclass
class _Joined:
    """A search's pages as one answer: ``data`` (the first page's totals, the rows asked for), each row's rank
    as the server gave it (page offset + position), and what the pages got wrong."""

    data: dict[str, Any]
    ranks: list[int]
    repeated_ranks: list[int]
    page_totals: list[int | None]
    from_sandbox: bool


def _joined(answers: Sequence[tuple[Page, Answer]], design_query: DesignQuery) -> _Joined:
    """The pages' rows in rank order, trimmed to the ranks asked for. A patent a page repeats from an earlier
    rank (pages that overlap: the ranking moved between calls) is listed once, at its first rank; the others
    keep their server ranks, so the repeated ranks show as a gap, and are listed in ``repeated_ranks``."""
    start, stop = design_query.offset or 0, (design_query.offset or 0) + design_query.limit
    rows: list[Any] = []
    ranks: list[int] = []
    repeated: list[int] = []
    data: dict[str, Any] = {}
    seen: set[str] = set()
    for page, answer in answers:
        page_data = answer.data or {}
        if not data:
            data = {k: v for k, v in page_data.items() if k != "patent_messages"}
        # the rows at ranks start+1 .. stop, and none past the page's own ranks (those are not its)
        first, last = max(start, page.offset) + 1, min(stop, page.ranks[1])
        messages = (page_data.get("patent_messages") or [])[first - page.offset - 1:max(0, last - page.offset)]
        ids = [str(message.get("patent_id")) for message in messages]
        if seen.isdisjoint(ids) and len(set(ids)) == len(ids):  # no patent repeated (every page, nearly): as is
            seen.update(ids)
            rows += messages
            ranks += range(first, first + len(messages))
            continue
        for rank, (message, pid) in enumerate(zip(messages, ids, strict=True), start=first):
            if pid in seen:
                repeated.append(rank)
                continue
            seen.add(pid)
            rows.append(message)
            ranks.append(rank)
    return _Joined({**data, "patent_messages": rows}, ranks, repeated, [_total(a) for _, a in answers],
                   any(answer.from_sandbox for _, answer in answers))
