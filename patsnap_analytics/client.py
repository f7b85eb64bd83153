"""Client: the public facade of the toolkit — one object an analyst holds.

It assembles the parts (session and cache, auth, transport, uploader, searcher) and offers the public
calls; the work happens in the modules below it: :mod:`~patsnap_analytics.searcher` (one search),
:mod:`~patsnap_analytics.batch` (many), :mod:`~patsnap_analytics.labels` (labelling results),
:mod:`~patsnap_analytics.wire.transport` (one API call) and :mod:`~patsnap_analytics.store.session`.

Example:
    >>> import patsnap_analytics as pa                           # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox            # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                         # doctest: +SKIP
    ...     client = pa.connect(sandbox=sb)
    ...     df = client.search_designs(pa.demo.sample_queries()[0], country=["US", "CN"], limit=20)
"""

from __future__ import annotations

import functools
import os
import warnings
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import requests

from .api import TOKEN
from .errors import ValidationError
from .images import ImageRef, ImageSource
from .query import DEFAULT_ENDPOINT, DesignQuery, check_endpoint
from .records import PatentRecords, RecordTTL
from .redact import install as install_redaction
from .renames import REMOVED_IN, outside_stacklevel, warn_renamed
from .searcher import Searcher, is_url
from .settings import Credentials, Settings, credentials
from .store.flight import FileKeyLocks, KeyLocks, RedisKeyLocks, SingleFlight
from .store.health import CacheHealth
from .store.keys import SearchKeyer
from .store.ledger import UploadLedger
from .store.session import cache_file, clear_storage, make_session, team_of, wrap_session
from .store.tables import record_table
from .uploads import UploadedImage, Uploader
from .verdicts import VerdictStore, with_verdicts
from .wire.auth import ApiKeyAuth, OAuthAuth
from .wire.gates import SpendGate, client_gates
from .wire.http_limits import mount as mount_deadline_adapter
from .wire.retry import RetryPolicy
from .wire.stats import ClientStats
from .wire.transport import Transport

if TYPE_CHECKING:
    import os

    from .enrich import Enricher
    from .store.team import Team
    from .workflows.sources import PatentSources

__all__ = ["Client"]


def _auth_for(creds: Credentials, *, offline: bool, token_url: str, timeout: float,
              stats: ClientStats) -> ApiKeyAuth | OAuthAuth | None:
    """The auth mode the credentials select (none is fine offline: nothing is sent)."""
    if creds.mode == "api_key":
        return ApiKeyAuth(creds.api_key or "", given_as=creds.name("api_key"))
    if creds.mode == "oauth":
        return OAuthAuth(creds.client_id or "", creds.client_secret or "", token_url=token_url, timeout=timeout,
                         on_token_call=lambda: stats.count_call(TOKEN.path),
                         given_as=(creds.name("client_id"), creds.name("client_secret")))
    if offline:
        return None
    raise ValidationError(
        "api_key",
        "no credentials: give api_key, or client_id and client_secret (or set PATSNAP_API_KEY / "
        "PATSNAP_CLIENT_ID + PATSNAP_CLIENT_SECRET), or use offline=True",
    )


class Client:
    """A PatSnap image-search client that returns DataFrames and never pays twice for the same call.

    Auth: ``api_key`` (``sk-…``), or ``client_id`` + ``client_secret`` (OAuth); without arguments, from
    ``PATSNAP_API_KEY`` / ``PATSNAP_CLIENT_ID`` + ``PATSNAP_CLIENT_SECRET``. Half an OAuth pair is refused
    before anything is built (:func:`~patsnap_analytics.settings.credentials`). ``base_url``: the international host
    (default, or ``PATSNAP_BASE_URL``), :data:`~patsnap_analytics.api.CHINA_BASE_URL`, or a sandbox's URL.
    ``record_ttl``: how long enrichment records are trusted (:class:`~patsnap_analytics.records.RecordTTL`:
    bibliography 90 days, legal status 7 days by default). ``session``: bring your own ``requests``/``requests_cache`` session — a ``CachedSession`` is wrapped (its
    storage shared, its settings untouched) so that nothing secret or failed is ever stored, a plain session
    is used as it is (no caching); a session you bring is never closed by the client. Otherwise ``cache``
    decides: ``True`` (default) the team's Redis named by ``PATSNAP_CACHE_URL`` if set, else the user cache
    file; a path; a Redis URL (``"redis://host:6379/0"``) or a :class:`~patsnap_analytics.store.team.Team` (to set
    its lock timeout); ``":memory:"``; or ``False``. ``offline=True`` (or ``PATSNAP_OFFLINE=1``) answers only
    from the cache and raises :class:`~patsnap_analytics.errors.OfflineCacheMiss` otherwise; no credentials
    are needed then.

    Gates every call passes (a cache hit passes none): ``qps`` (calls per second), ``max_calls`` (calls in
    all) and ``max_calls_per_day`` (per UTC day); over a budget a call raises
    :class:`~patsnap_analytics.errors.BudgetExceeded` unsent. With a team's Redis they hold for the whole team
    — every process and machine using the same Redis shares one QPS limit, one count of calls and one single
    flight per search (``docs/team.md``); ``client.team`` is that :class:`~patsnap_analytics.store.team.Team`.
    ``endpoint``: the search endpoint this client uses by default (``search-id``, ``image-single``,
    ``image-single-beta`` or ``image-multiple``; see ``docs/endpoints.md``).

    Example:
        >>> Client(api_key="sk-example", cache=False)
        Client(base_url='https://connect.patsnap.com', auth=ApiKeyAuth(key=sk-e…), cache=None, offline=False)
        >>> Client(cache=False)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: api_key: no credentials: give api_key, or client_id and client_secret (or set PATSNAP_API_KEY / PATSNAP_CLIENT_ID + PATSNAP_CLIENT_SECRET), or use offline=True
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        session: requests.Session | None = None,
        cache: bool | str | os.PathLike | Team | None = True,
        offline: bool | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        version: str = "1.0",
        qps: float | None = None,
        max_calls: int | None = None,
        max_calls_per_day: int | None = None,
        source: str | None = None,
        record_ttl: RecordTTL | None = None,
        endpoint: str | None = None,
    ) -> None:
        settings = Settings.from_env()
        if endpoint is not None:
            check_endpoint(endpoint)
        base_url = base_url or settings.base_url
        if not is_url(base_url):
            raise ValidationError("base_url", f"must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.offline = settings.offline if offline is None else bool(offline)
        creds = credentials(api_key, client_id, client_secret, settings=settings)  # half a pair is refused here
        install_redaction()  # urllib3 logs request lines, apikey included, at DEBUG
        self.stats = ClientStats()
        keyer = SearchKeyer()
        self._owns_session = session is None
        self.health = CacheHealth()
        if session is None:
            self.session = make_session(cache, keyer, default_path=settings.cache_file,
                                        default_url=settings.cache_url, health=self.health)
            mount_deadline_adapter(self.session)  # the whole-call deadline reaches the answer's head too
        else:
            self.session = wrap_session(session, keyer)
        install_redaction()  # again: the session's first use loaded requests-cache's (and redis-py's) loggers
        #: The team whose Redis this client shares (cache, locks, gates), or ``None``.
        self.team = team_of(self.session)
        self.ledger = UploadLedger(self.session, health=self.health)
        self.auth = _auth_for(creds, offline=self.offline, timeout=timeout,
                              token_url=self.base_url + TOKEN.path, stats=self.stats)
        gates = client_gates(qps, max_calls, max_calls_per_day, team=self.team, scope=self.base_url)
        self.transport = Transport(self.session, base_url=self.base_url, auth=self.auth, stats=self.stats,
                                   retry=retry, timeout=timeout, version=version, limiter=gates, health=self.health)
        #: The client's call counts and budgets (a :class:`~patsnap_analytics.wire.gates.SpendGate`: the team's, with a
        #: team), or ``None`` without a team or budget.
        self.spend = next((g for g in gates or () if isinstance(g, SpendGate)), None)
        self._flight = SingleFlight(self._shared_locks())
        self.uploads = Uploader(self.transport, self.ledger, keyer, self._flight, offline=self.offline)
        self.records = PatentRecords(self.session, ttl=record_ttl, health=self.health)
        self.searcher = Searcher(self.transport, self.uploads, keyer, self._flight, offline=self.offline,
                                 source=source or "patsnap", default_endpoint=endpoint or DEFAULT_ENDPOINT,
                                 refusals=self.records.refusals)
        #: Reviewers' verdicts beside the cache (the team's Redis with a team), never expiring: ``record``,
        #: ``add``, ``load("review.xlsx")``, ``frame()`` (:class:`~patsnap_analytics.verdicts.VerdictStore`).
        self.verdicts = VerdictStore(self.session, source=self.searcher.source, health=self.health)
        self.owned_sandbox: Any = None  # set by connect() when it started an embedded sandbox

    def _shared_locks(self) -> KeyLocks | None:
        """One search per key across the processes sharing the cache: a team's Redis locks, or a lock file per
        key beside the cache file; none for a cache in memory or a read-only file (nothing is stored there)."""
        if self.team is not None:
            return RedisKeyLocks(self.team)
        path = cache_file(self.session)
        if path is None or self.health.read_only:
            return None
        return FileKeyLocks(path.with_name(path.name + ".locks"))

    @functools.cached_property
    def enricher(self) -> Enricher:
        """Looks this client's patents up by id (:class:`~patsnap_analytics.enrich.Enricher`; built on first
        use, so that ``import patsnap_analytics`` does not load enrichment)."""
        from .enrich import Enricher

        return Enricher(self.transport, self.records, offline=self.offline, flight=self._flight)

    # ------------------------------------------------------------------ public API

    @property
    def cached(self) -> bool:
        """Whether this client's session caches (a requests-cache session)."""
        return self.transport.cached

    @property
    def endpoint(self) -> str:
        """The search endpoint every search of this client uses when not told (``search_designs``,
        ``search_many``, the app's form); search-id unless ``Client(endpoint=...)`` says. Settable.

        Example:
            >>> Client(api_key="sk-x", cache=False, endpoint="image-single").endpoint
            'image-single'
        """
        return self.searcher.default_endpoint

    @endpoint.setter
    def endpoint(self, endpoint: str) -> None:
        self.searcher.default_endpoint = check_endpoint(endpoint)

    def design_query(self, image_or_views: Any = None, **filters: Any) -> DesignQuery:
        """The validated :class:`~patsnap_analytics.query.DesignQuery` a search with these arguments would run —
        the client's defaults applied exactly as ``search_designs`` and ``search_many`` apply them; no call.

        Example:
            >>> client = Client(api_key="sk-x", cache=False, endpoint="image-single")
            >>> views = ["https://a/1.png", "https://a/2.png"]
            >>> client.design_query(limit=5).endpoint, client.design_query(views).endpoint
            ('image-single', 'image-multiple')
        """
        return self.searcher.design_query_for(image_or_views, **filters)

    def query(self, image_or_views: Any = None, **filters: Any) -> DesignQuery:
        """Deprecated spelling of :meth:`design_query` (``query`` names a query image, as the ``query`` column)."""
        warn_renamed("Client.query()", "Client.design_query()")
        return self.design_query(image_or_views, **filters)

    @property
    def source(self) -> str:
        """``"sandbox"`` when talking to the embedded sandbox, else ``"patsnap"``."""
        return self.searcher.source

    def upload_image(self, image: ImageSource | ImageRef, *, refresh: bool = False) -> UploadedImage:
        """Upload a JPG/PNG (path, bytes or binary file object) and get its temporary URL.

        The same bytes uploaded again while their URL is still valid cost nothing (``reused=True``).

        Example:
            >>> Client(api_key="sk-x", cache=False).upload_image(b"not an image")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.InvalidImageError: image: the content is neither JPG nor PNG: the API takes JPG or PNG only
        """
        return self.uploads.upload(ImageRef.from_any(image), refresh=refresh)

    def search_designs(
        self,
        image_or_views: ImageSource | ImageRef | list | tuple,
        *,
        endpoint: str | None = None,
        design_query: DesignQuery | None = None,
        refresh: bool = False,
        name: str | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """Registered designs similar to an image (a path, bytes, file object or an http(s) image URL), or to
        one design shown in 1-4 views (``pa.Views(front, side)``: image-multiple). Several different designs are
        several searches: :meth:`search_many`. A plain list or tuple is still read as views, with a
        ``DeprecationWarning`` unless ``endpoint="image-multiple"`` says so (in 0.2 it is refused: too easy to
        search a watch and a phone as one design).

        ``endpoint``: ``"search-id"`` (the default, unless the client was made with ``endpoint=``),
        ``"image-single"``, ``"image-single-beta"`` (the query becomes a line drawing first: photos, renderings)
        or ``"image-multiple"``. ``filters`` are the API's parameter names with Python values (see
        :data:`~patsnap_analytics.query.FILTERS`); one the endpoint does not take is a ``ValidationError``.
        ``design_query``: a :class:`~patsnap_analytics.query.DesignQuery` made beforehand (the app's form,
        ``client.design_query(...)``), searched as it is; ``endpoint`` and filters given beside it change it.
        ``limit`` counts ranks, up to 1,100 (``offset + limit`` at most 1,100). ``refresh=True`` asks the API
        again and replaces the cached pages. ``name`` names the query in the ``query`` column (default: the
        file name, the URL, or ``sha256:<first 12>`` for bytes; views joined with ``+``).

        Cost: one call per 100 ranks (search-id: the first 100 by search-id, each further 100 by
        ``/image-search/results``), plus one upload per image without a valid upload URL; nothing for pages
        the cache holds. An endpoint that answered 67200004 is not asked again by this client.

        Example:
            >>> Client(api_key="sk-x", cache=False).search_designs("https://img/x.png", limit=1101)
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: limit: must be an integer from 1 to 1100, got 1101
            >>> Client(api_key="sk-x", cache=False).search_designs("https://img/x.png", model=2)
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: model: the search-id endpoint does not take model; use endpoint= image-single, image-single-beta, image-multiple
        """
        target, chosen = self.searcher.resolve(image_or_views, endpoint=endpoint, design_query=design_query, **filters)
        if type(image_or_views) in (list, tuple) and endpoint is None and design_query is None:
            _warn_plain_list(image_or_views)  # only once it is valid: a refused search says just what is wrong
        return self.searcher.search(target, chosen, refresh=refresh, name=name)

    def search_many(self, images: Any, **kwargs: Any) -> pd.DataFrame:
        """Search many images (list, folder or DataFrame column); see :func:`patsnap_analytics.batch.search_many`.
        The client's default endpoint applies unless ``endpoint=`` says, as in :meth:`search_designs`.

        Example:
            >>> Client(api_key="sk-x", cache=False).search_many([], progress=False).shape[0]
            0
        """
        from .batch import search_many

        return search_many(self.searcher, images, **kwargs)

    def enrich(self, df: pd.DataFrame, fields: Any = None, *, max_calls: int | None = None,
               dry_run: bool = False, **kwargs: Any) -> pd.DataFrame | int:
        """The same rows plus bibliography, simple legal status and legal status columns (``fields``: all three
        unless named), looked up by patent id; see :meth:`patsnap_analytics.enrich.Enricher.enrich`.

        Cost: ceil(patents not yet cached / 100) calls per field (P011, P041, P013); a patent is paid for once
        per host across studies and processes (bibliography kept 90 days, legal status 7). ``dry_run=True``
        returns the exact number of calls; ``max_calls`` is never exceeded.

        Example:
            >>> Client(api_key="sk-x", cache=False).enrich(pd.DataFrame({"patent_id": ["p1", "p2"]}), dry_run=True)
            3
        """
        from .enrich import ENRICH_FIELDS

        fields = tuple(ENRICH_FIELDS) if fields is None else fields
        return self.enricher.enrich(df, fields, max_calls=max_calls, dry_run=dry_run, **kwargs)

    def label(self, df: pd.DataFrame, by: str = "simple_legal_status", **kwargs: Any) -> pd.DataFrame | int:
        """Label results by status, office, Locarno class, assignee or year through the cheapest exact route
        (the rows, the office, enrichment, filtered re-searches); see :func:`patsnap_analytics.labels.label`.

        Returns the labelled frame, or with ``dry_run=True`` the number of calls labelling would spend.

        Example:
            >>> Client(api_key="sk-x", cache=False).label(pd.DataFrame(), dry_run=True)
            0
        """
        from .labels import label

        return label(self.searcher, df, by=by, enricher=self.enricher, **kwargs)

    def with_verdicts(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the stored verdicts of its hits: ``verdict``, ``relevance`` and ``note`` (NA where no
        reviewer judged the hit); see :func:`patsnap_analytics.verdicts.with_verdicts`. Costs no call.

        Example:
            >>> client = Client(api_key="sk-x", cache=False)
            >>> hits = pd.DataFrame({"query_key": ["sha256:ab"], "patent_id": ["p1"]})
            >>> _ = client.verdicts.record(hits, "same design")
            >>> client.with_verdicts(hits)["relevance"].tolist()
            [2]
        """
        return with_verdicts(df, self.verdicts.frame())

    # ------------------------------------------------------------------ workflows (docs/workflows.md)
    def today(self) -> date:
        """The API's today (UTC): where a watch's window ends. A client of a sandbox started by
        :func:`~patsnap_analytics.connect.connect` uses the sandbox's calendar instead.

        Example:
            >>> Client(api_key="sk-x", cache=False).today() == datetime.now(UTC).date()
            True
        """
        return datetime.now(UTC).date()

    @functools.cached_property
    def source_patents(self) -> PatentSources:
        """Patent numbers -> source patents (P069) and their drawings (P021), each paid for once (records)."""
        from .workflows.sources import PatentSources

        return PatentSources(self.transport, self.records, offline=self.offline, flight=self.searcher.flight)

    @property
    def sources(self) -> PatentSources:
        """Deprecated spelling of :attr:`source_patents` (:attr:`source` says where the data come from)."""
        warn_renamed("Client.sources", "Client.source_patents")
        return self.source_patents

    def record_table(self, name: str) -> Any:
        """A table of JSON records beside this client's cache (one per name, kept for the client's life):
        see :func:`~patsnap_analytics.store.tables.record_table`."""
        tables = self.__dict__.setdefault("_record_tables", {})
        if name not in tables:
            tables[name] = record_table(self.session, name, self.health)
        return tables[name]

    def search_like(self, patent_numbers: Any, *, prior_art: bool = False, **kwargs: Any) -> pd.DataFrame | int:
        """Designs similar to registered designs, from their numbers (one, or many: one frame), through each
        one's drawing; ``prior_art=True``: only designs filed before each one, itself left out. See
        :func:`patsnap_analytics.workflows.like.search_like` (order, errors per row, ``dry_run``).

        Cost: one P069 call per number never looked up, ceil(patents / 100) P021 calls for those whose
        search is not cached (links kept 8 hours), one call per 100 ranks not cached; again: 0 calls.

        Example:
            >>> Client(api_key="sk-x", cache=False).search_like("chair.png")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: patent_numbers: 'chair.png' is not a patent number: an office prefix and digits, e.g. USD0435025S or CN305123456S
        """
        from .workflows.like import search_like

        return search_like(self, patent_numbers, prior_art=prior_art, **kwargs)

    def watch(self, name: str, images_or_numbers: Any, **kwargs: Any) -> pd.DataFrame:
        """Run the watch ``name``: the designs published since its last run, for images and patent numbers;
        the run is remembered beside the cache (a team shares it). See
        :func:`patsnap_analytics.workflows.watch.watch`.

        Cost per run: per image one upload (unless its URL is still valid) and one call per 100 ranks; per
        number one call per 100 ranks (+ its drawing link when older than 8 hours). The same day again: 0.

        Example:
            >>> Client(api_key="sk-x", cache=False).watch("ours", [], public_start_time="2026-01-01")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: public_start_time: a watch sets the publication window itself (from its last run to today); use since='YYYY-MM-DD' to look back from a date
        """
        from .workflows.watch import watch

        return watch(self, name, images_or_numbers, **kwargs)

    def watch_runs(self, name: str) -> pd.DataFrame:
        """The runs of the watch ``name`` so far (``run, at, since, until, items, searched, new, calls``).

        Example:
            >>> len(Client(api_key="sk-x", cache=False).watch_runs("never run"))
            0
        """
        from .workflows.watch import watch_runs

        return watch_runs(self, name)

    def submit_overnight(self, images: Any, **kwargs: Any) -> pd.DataFrame:
        """Submit images as overnight jobs (P062: ten a job, run 22:00-08:00), never twice for the same image
        and filters; the job ids are kept beside the cache. See
        :func:`patsnap_analytics.workflows.overnight.submit_overnight`.

        Cost: one call per job of up to 10 new images, plus one upload per local image without a valid URL.

        Example:
            >>> Client(api_key="sk-x", cache=False).submit_overnight([], limit=200)
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: limit: an overnight job answers at most 100 ranks an image (one page); got 200: ask for deeper ranks with offset in another job
        """
        from .workflows.overnight import submit_overnight

        return submit_overnight(self, images, **kwargs)

    def collect_overnight(self, job_ids: Any = None, **kwargs: Any) -> pd.DataFrame:
        """The results of the overnight jobs submitted from this cache: the finished jobs' rows, and which
        jobs are still waiting. See :func:`patsnap_analytics.workflows.overnight.collect_overnight`.

        Cost: one call per job not yet collected; a collected job costs nothing again.

        Example:
            >>> len(Client(api_key="sk-x", cache=False).collect_overnight())
            0
        """
        from .workflows.overnight import collect_overnight

        return collect_overnight(self, job_ids, **kwargs)

    def overnight_jobs(self) -> pd.DataFrame:
        """The overnight jobs submitted from this cache to this host (``job_id, submitted_at, images, state,
        status, collected_at``).

        Example:
            >>> list(Client(api_key="sk-x", cache=False).overnight_jobs().columns)[:2]
            ['job_id', 'submitted_at']
        """
        from .workflows.overnight import overnight_jobs

        return overnight_jobs(self)

    def fetch_image(self, url: str) -> bytes | None:
        """A result thumbnail's bytes through the cache (kept 7 days), or ``None`` when unavailable.

        Example:
            >>> Client(api_key="sk-x", cache=False).fetch_image("file:///etc/passwd") is None
            True
        """
        if not is_url(url):
            return None
        found = self.transport.fetch_image(self._own_scheme(url), offline=self.offline)
        if found is None:
            return None
        content, from_cache = found
        if from_cache:
            self.stats.count_saved("image_cache_hits")
        else:
            self.stats.count_image_download()  # a plain image URL: not an API call, not billed
        return content

    def _own_scheme(self, url: str) -> str:
        """A result image served by the API host itself is fetched with the host's own scheme: ``is_https=1``
        asks for https links, and a host reached over plain http (the sandbox on 127.0.0.1) has no TLS.

        Example:
            >>> Client(api_key="sk-x", base_url="http://127.0.0.1:8", cache=False)._own_scheme("https://127.0.0.1:8/a.png")
            'http://127.0.0.1:8/a.png'
        """
        base = urlsplit(self.base_url)
        parts = urlsplit(url)
        if parts.netloc == base.netloc and parts.scheme != base.scheme:
            return urlunsplit((base.scheme, *parts[1:]))
        return url

    def cache_info(self) -> dict[str, Any]:
        """Where the cache is, what it holds, and what went wrong with it (``storage_errors``: failures to
        read or write it, each cause also said once as a ``CacheStorageWarning``; ``read_only``).

        With a team's Redis, ``path`` is its URL (without credentials) and ``team`` says whether Redis still
        answers, how many answers this process could keep only in memory since it stopped (``unstored``), and
        the calls the team spent today and in all.

        Example:
            >>> Client(api_key="sk-x", cache=False).cache_info()["enabled"]
            False
        """
        if not self.cached:
            return {"enabled": False, "path": None, "responses": 0, "uploads": len(self.ledger),
                    "patent_records": len(self.records), "verdicts": len(self.verdicts), **self.health.as_dict()}
        if self.team is not None:
            return self._team_info()
        path = cache_file(self.session) or self.health.path
        try:
            responses = len(self.session.cache.responses)  # type: ignore[attr-defined]
        except Exception as exc:  # a corrupt file: say so instead of failing
            responses = 0
            self.health.report(f"it cannot be read ({type(exc).__name__}: {exc})",
                               "run `patsnap-analytics cache clear` to start a new cache file")
        return {
            "enabled": True,
            "path": str(path) if path else None,
            "size_bytes": path.stat().st_size if path and path.exists() else 0,
            "responses": responses,
            "uploads": len(self.ledger),
            "patent_records": len(self.records),
            "verdicts": len(self.verdicts),
            **self.health.as_dict(),
        }

    def _team_info(self) -> dict[str, Any]:
        """``cache_info()`` of a client whose cache is a team's Redis (``path`` is its URL, masked)."""
        team = self.team
        return {
            "enabled": True,
            "backend": "redis",
            "path": team.url,
            "responses": len(self.session.cache.responses),  # type: ignore[attr-defined]
            "uploads": len(self.ledger),
            "patent_records": len(self.records),
            "verdicts": len(self.verdicts),
            **self.health.as_dict(),
            "team": {**team.info(), **(self.spend.spent() if self.spend else {})},
        }

    def clear_cache(self) -> None:
        """Forget every cached answer, remembered upload and patent record; a corrupt cache file is deleted
        (the next client starts a new one). Reviewers' verdicts are kept: they are work, not a copy of an
        answer (``client.verdicts.forget`` deletes them). A file that is not recognisably this toolkit's cache
        (a text file, another application's database) is refused with a ``ValidationError`` and left untouched."""
        clear_storage(self.session, self.health.path if self._owns_session else cache_file(self.session))
        if self.transport.answers is not None:
            self.transport.answers.clear()
        self.ledger.clear()
        self.records.clear()

    def close(self) -> None:
        """Close the session if the client created it (a session you brought stays open), and stop the
        embedded sandbox if :func:`~patsnap_analytics.connect.connect` started one."""
        if self._owns_session:
            self.session.close()
        if self.owned_sandbox is not None:
            self.owned_sandbox.stop()
            self.owned_sandbox = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # a team's Redis is named by its (masked) URL: counting what it holds would scan it on every repr
        cache = self.team.url if self.team is not None else self.cache_info()["path"] if self.cached else None
        return (f"Client(base_url={self.base_url!r}, auth={self.auth!r}, cache={cache!r}, "
                f"offline={self.offline})")


def _warn_plain_list(images: list | tuple) -> None:
    """A plain list searched as ONE design's views is the mistake issue 23 found (a watch and a phone searched
    together scored 0.76): say what it does and the two explicit spellings. Points at the caller's line."""
    warnings.warn(f"search_designs() got a plain {type(images).__name__} of {len(images)} images and searches them as "
                  "the views of ONE design (image-multiple); say so with pa.Views(...), or search several designs "
                  f"with search_many([...]); a plain list stops working in patsnap-analytics {REMOVED_IN}",
                  DeprecationWarning, stacklevel=outside_stacklevel())
