"""The cached HTTP session: what is keyed how, what is never stored, and the upload ledger.

Analysts pay per call, so an identical call must never be paid twice. The rules:

* **Searches** are cached by requests-cache, one entry per page, under a key made of the host, the path, the
  normalised filters (with the page's ``offset``/``limit``) and the *image* — its sha256 when the client
  uploaded it, never the temporary upload URL, which changes on every upload. The same image and filters
  cost nothing a week later. search-id travels as a query string; image-single, its beta and image-multiple
  as a JSON body (``POST``), whose key reads the body (``url``/``urls`` by image, keys sorted); the pages of
  ``/image-search/results`` stand in their search's image for the short-lived ``search_id``.
* **Uploads** are not HTTP-cached (a multipart body is a poor key). The :class:`UploadLedger` remembers
  sha256 -> (url, expiry) in the same SQLite file and hands the URL out until a minute before it expires.
* **Only checked answers are stored, by the transport, after it checked them** (:class:`AnswerStore`):
  HTTP 200, ``status: true``, ``data`` as the endpoint's schema says. requests-cache never writes an API
  answer on its own, and never deletes one: a refused or failed refresh leaves the stored answer in place.
  A zero-hit answer (``data: {}``) is kept :data:`ZERO_HITS_TTL` only.
* **Never stored**: the ``apikey`` parameter, the ``Authorization`` header, tokens, client ids and secrets,
  in any field: a stored answer is a clean copy whose request is rebuilt from the key parameters alone
  (no redirect history, no raw connection), and POSTs (uploads, tokens) are never stored.
* **Not executable**: the SQLite file holds JSON (requests-cache's ``json`` serializer), never pickles, so
  a tampered row cannot run code when it is read.
* **Storage trouble is said, once** (:class:`CacheHealth`): a full disk, a corrupt or truncated file, a
  read-only folder. The search goes on without the cache, ``cache_info()`` counts the failures, and
  ``patsnap-analytics cache clear`` starts a new file; a read-only cache is still read (offline works).
* **Searches by JSON body** (image-single, its beta, image-multiple) are keyed by the body with each image
  by its hash and the keys sorted; result pages of search-id by their search's image, never the search id.
* **Thumbnails** (result image URLs) go through the same cache with their own expiry.
* **A team shares one Redis** (``cache="redis://host:6379/0"`` or ``PATSNAP_CACHE_URL``): the same rules, the
  same JSON, stored through requests-cache's Redis backend (redis-py) instead of the SQLite file; answers,
  thumbnails, upload URLs and enrichment records each expire with a Redis TTL of their kind
  (:func:`make_session`, :func:`record_table`, :func:`put_records`; the connection and its health:
  :class:`~patsnap_analytics.team.Team`). SQLite stays the default for one person.

Example:
    >>> keyer = SearchKeyer()
    >>> keyer.register("https://img.example/u/1.png", "sha256:abc")
    >>> import requests
    >>> a = requests.Request("GET", "https://h/image-search/search-id",
    ...                      params={"url": "https://img.example/u/1.png", "limit": "10", "apikey": "k1"}).prepare()
    >>> b = requests.Request("GET", "https://h/image-search/search-id",
    ...                      params={"limit": "10", "url": image_placeholder("abc"), "apikey": "k2"}).prepare()
    >>> keyer(a) == keyer(b)
    True
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import sqlite3
import threading
import time
import warnings
from collections import Counter, OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from . import cachefile
from .api import (
    CORRELATION_HEADER,
    JSON_SEARCH_ENDPOINTS,
    SANDBOX_HEADER,
    SEARCH_ID,
    SEARCH_RESULTS,
    SECRET_NAMES,
    endpoint_for_path,
)
from .errors import CacheStorageError, CacheStorageWarning, ValidationError
from .redact import MASK, redact
from .settings import Settings, is_redis_url

__all__ = [
    "IMAGE_TTL",
    "SEARCH_TTL",
    "SECRET_PARAMS",
    "SPARE_BYTES",
    "ZERO_HITS_TTL",
    "AnswerStore",
    "CacheHealth",
    "LockedRecords",
    "SearchKeyer",
    "UploadLedger",
    "cache_file",
    "cache_settings",
    "image_placeholder",
    "make_session",
    "put_records",
    "record_table",
    "team_of",
    "wrap_session",
]

#: How long a search answer is served from the cache (legal status changes slowly; ``refresh=True`` re-asks).
SEARCH_TTL = timedelta(days=30)
#: A zero-hit answer (``data: {}``) is genuine but may be a passing state of the server: kept a day only.
ZERO_HITS_TTL = timedelta(days=1)
#: Bytes of answers kept in memory when the storage refuses them (a full disk), at most.
SPARE_BYTES = 64 * 2**20
#: Result thumbnails: the API's presigned image links live about 7 days.
IMAGE_TTL = timedelta(days=7)
#: An upload URL is reused until this many seconds before the API says it expires.
UPLOAD_MARGIN = 60.0
#: Seconds Redis keeps an answer past its expiry (requests-cache's ``ttl_offset``): an answer read just before it
#: expires is still there to read; nothing is ever served past its expiry.
REDIS_TTL_OFFSET = 60
#: Request parameters and headers that must never reach a cache key or the cache file (the API's one list).
SECRET_PARAMS = SECRET_NAMES
_PLACEHOLDER = "patsnap-analytics:sha256:"


def image_placeholder(sha256: str) -> str:
    """The stand-in ``url`` value for an image known only by its hash (cache look-ups, offline mode).

    Example:
        >>> image_placeholder("ab12")
        'patsnap-analytics:sha256:ab12'
    """
    return _PLACEHOLDER + sha256


class SearchKeyer:
    """requests-cache ``key_fn``: searches keyed by image hash + normalised filters; everything else by URL.

    Secrets never enter a key. Thread-safe; the client registers each upload URL with its image's hash.

    Example:
        >>> k = SearchKeyer()
        >>> r = requests.Request("GET", "https://h/x.png", params={"apikey": "s"}).prepare()
        >>> k(r) == k(requests.Request("GET", "https://h/x.png").prepare())
        True
    """

    def __init__(self) -> None:
        self._aliases: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, url: str, image_key: str) -> None:
        """Remember that search requests for ``url`` are about the image ``image_key`` (``sha256:…``)."""
        with self._lock:
            self._aliases[url] = image_key

    def image_key(self, url: str) -> str:
        """The key part for a searched ``url``: its image hash when known, else the URL itself."""
        if url.startswith(_PLACEHOLDER):
            return "sha256:" + url[len(_PLACEHOLDER):]
        with self._lock:
            return self._aliases.get(url, "url:" + url)

    def __call__(self, request: Any, **_: Any) -> str:
        parts = urlsplit(request.url or "")
        params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                  if k.lower() not in _SECRET_LOWER]
        # the image stands in for what names it briefly: an upload URL, or the search_id of a search
        aliased = _ALIASED_PARAMS.get(_api_path(parts.path), ())
        params = [(k, self.image_key(v)) if k in aliased else (k, v) for k, v in params]
        body = self._body_key(request) if request.method == "POST" and _api_path(parts.path) in _JSON_PATHS else None
        parts_of_key = [request.method, parts.scheme, parts.netloc, parts.path, sorted(params)]
        if body is not None:  # GET keys stay what they were: caches written before the family still hit
            parts_of_key.append(body)
        material = json.dumps(parts_of_key, ensure_ascii=False, sort_keys=True)  # a body's keys in any order
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    def _body_key(self, request: Any) -> Any:
        """A JSON search's body as a key part: images by hash, secrets dropped, keys sorted (by json.dumps)."""
        raw = request.body or b""
        try:
            body = json.loads(raw)
        except (TypeError, ValueError):
            return hashlib.sha256(raw if isinstance(raw, bytes) else str(raw).encode()).hexdigest()
        if not isinstance(body, dict):
            return body
        body = {k: v for k, v in body.items() if k.lower() not in _SECRET_LOWER}
        if isinstance(body.get("url"), str):
            body["url"] = self.image_key(body["url"])
        if isinstance(body.get("urls"), list):
            body["urls"] = [self.image_key(u) if isinstance(u, str) else u for u in body["urls"]]
        return body


_SECRET_LOWER = {p.lower() for p in SECRET_PARAMS}
_JSON_PATHS = frozenset(e.path for e in JSON_SEARCH_ENDPOINTS.values())
_ALIASED_PARAMS = {SEARCH_ID.path: ("url",), SEARCH_RESULTS.path: ("search_id",)}


def _api_path(path: str) -> str:
    """The API path a request goes to, also under a base URL with a path prefix."""
    for known in (*_JSON_PATHS, *_ALIASED_PARAMS):
        if path.endswith(known):
            return known
    return path


def cacheable(response: requests.Response) -> bool:
    """requests-cache ``filter_fn``: answers of the API's own paths always pass (the transport stores those
    itself, after checking them, and requests-cache deletes a stored answer whose refresh does not pass);
    any other URL (a thumbnail) is stored only as an HTTP 200 image.

    Example:
        >>> r = requests.Response(); r.status_code = 200; r.url = "https://img.example/a.html"
        >>> r.headers["Content-Type"] = "text/html"; cacheable(r)
        False
        >>> r.url = "https://connect.patsnap.com/image-search/search-id?url=x"; cacheable(r)
        True
    """
    if endpoint_for_path(urlsplit(response.url or "").path) is not None:
        return True
    return response.status_code == 200 and response.headers.get("Content-Type", "").startswith("image/")


def cache_settings(keyer: SearchKeyer) -> dict[str, Any]:
    """The requests-cache settings of every session the client caches with: how answers are keyed, that
    requests-cache itself stores only thumbnails (API answers are stored by :class:`AnswerStore`) and that no
    secret is ever kept.

    Example:
        >>> settings = cache_settings(SearchKeyer())
        >>> settings["allowable_methods"], "apikey" in settings["ignored_parameters"]
        (('GET',), True)
    """
    return {
        "key_fn": keyer,
        "filter_fn": cacheable,
        "allowable_codes": (200,),
        # requests-cache stores only GETs (thumbnails); the JSON searches' POST answers are stored by the
        # transport through AnswerStore after checking them, and uploads and tokens never
        "allowable_methods": ("GET",),
        "ignored_parameters": SECRET_PARAMS,
        "stale_if_error": False,
        "expire_after": SEARCH_TTL,
    }


def make_session(cache: Any, keyer: SearchKeyer, *, default_path: Path | None = None,
                 default_url: str | None = None, health: CacheHealth | None = None) -> requests.Session:
    """A requests-cache ``CachedSession`` configured by :func:`cache_settings`, or a plain session.

    ``cache`` chooses the storage: ``True`` (the team's Redis when ``default_url`` — ``PATSNAP_CACHE_URL`` — is
    set, else the file at ``default_path``, by default in the user cache directory), a path, a Redis URL
    (``redis://host:6379/0``) or a :class:`~patsnap_analytics.team.Team`, ``":memory:"`` (kept in this process
    only) or ``False``/``None`` (no caching). Files and Redis hold JSON. A file in a folder the user cannot
    write is opened read-only (answers are read, none stored); a file that is not a usable SQLite database is
    reported once through ``health`` and the session caches in memory instead (``patsnap-analytics cache
    clear`` starts a new file). A Redis that cannot be reached raises
    :class:`~patsnap_analytics.errors.CacheStorageError` naming its URL (without credentials).

    Example:
        >>> type(make_session(False, SearchKeyer())).__name__, type(make_session(":memory:", SearchKeyer())).__name__
        ('Session', 'CachedSession')
    """
    if cache is False or cache is None:
        return requests.Session()
    from requests_cache import CachedSession

    settings = cache_settings(keyer)
    if cache == ":memory:":
        return CachedSession(backend="memory", **settings)
    if cache is True and default_url is None and default_path is None:
        default_url = Settings.from_env().cache_url
    team = default_url if cache is True else cache
    if _is_team(team):
        return CachedSession(backend=_team_backend(team), **settings)
    path = (default_path or Settings.from_env().cache_file) if cache is True else Path(cache).expanduser()
    return _file_session(path, settings, health or CacheHealth(path))


def _is_team(cache: Any) -> bool:
    """Whether ``cache`` names a team's Redis: a Redis URL or a :class:`~patsnap_analytics.team.Team`."""
    if is_redis_url(cache):
        return True
    if isinstance(cache, (bool, str, os.PathLike)) or cache is None:
        return False
    from .team import Team

    return isinstance(cache, Team)


def _team_backend(team: Any) -> Any:
    """requests-cache's Redis backend on the team's connection, JSON-serialised, each answer expiring with a
    Redis TTL; its two tables fall back to this process's memory if Redis stops answering mid-run."""
    from requests_cache.backends.redis import RedisCache

    from .team import FailoverStorage, Team

    team = (team if isinstance(team, Team) else Team(team)).connect()
    backend = RedisCache(namespace=team.key("responses"), connection=team.redis, serializer="json", ttl=True,
                         ttl_offset=REDIS_TTL_OFFSET)
    backend.responses = FailoverStorage(team, backend.responses, "reading or storing an answer")
    backend.redirects = FailoverStorage(team, backend.redirects, "reading or storing an answer")
    backend.team = team
    return backend


def team_of(session: Any) -> Any:
    """The :class:`~patsnap_analytics.team.Team` whose Redis holds ``session``'s cache, or ``None``.

    Example:
        >>> team_of(requests.Session()) is None
        True
    """
    return getattr(getattr(session, "cache", None), "team", None)


def _file_session(path: Path, settings: dict[str, Any], health: CacheHealth) -> requests.Session:
    """The cached session on the SQLite file at ``path`` (read-only, or in memory, when it cannot be used; a file
    that is not recognisably this toolkit's cache is never opened for writing)."""
    from requests_cache import CachedSession

    health.path = path
    what = None if _is_default_file(path) else cachefile.foreign(path)  # only the toolkit writes the default
    if what is not None:
        health.foreign = what
        health.report(f"it is not a patsnap-analytics cache but {what}, so nothing is written to it",
                      "give the cache a file of its own (cache=..., PATSNAP_CACHE_DIR); answers are kept in memory "
                      "until then")
        return CachedSession(backend="memory", **settings)
    if not _writable(path):
        if path.is_file():
            health.read_only = True
            try:
                return CachedSession(backend=_read_only_backend(path), read_only=True, **settings)
            except sqlite3.Error as exc:
                health.report(f"it cannot be read ({exc})", _CLEAR_REMEDY)
                return CachedSession(backend="memory", **settings)
        health.report("the cache folder cannot be written", "give a writable folder (cache=... or "
                      "PATSNAP_CACHE_DIR); answers are kept in memory until then")
        return CachedSession(backend="memory", **settings)
    try:
        # WAL + a bounded busy wait: many threads (and a second notebook) share one file without "database is
        # locked", and a damaged or held file is reported after seconds, not waited for without end
        session = CachedSession(backend=cachefile.SQLiteFileCache(path), **settings)
    except sqlite3.Error as exc:
        health.report(f"it is not a usable SQLite database ({exc})", _CLEAR_REMEDY)
        return CachedSession(backend="memory", **settings)
    cachefile.mark(path)
    return session


_CLEAR_REMEDY = cachefile.CLEAR_REMEDY


def _writable(path: Path) -> bool:
    """Whether the cache file can be created or written (tried, not guessed from permission bits)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab"):
            pass
        probe = path.with_name(path.name + ".probe")
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def _read_only_backend(path: Path) -> Any:
    """A requests-cache backend reading ``path`` through a read-only, immutable SQLite connection (a WAL
    file in a folder one cannot write cannot be opened the usual way; nothing is ever written)."""
    from requests_cache.backends.base import BaseCache, BaseStorage
    from requests_cache.serializers import init_serializer

    def connect() -> sqlite3.Connection:
        db = cachefile.read_only_connection(path)
        try:
            db.execute("SELECT COUNT(*) FROM responses").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    class ReadOnlyTable(BaseStorage):
        def __init__(self, table: str, serializer: Any) -> None:
            super().__init__(serializer=serializer)
            self.table = table
            self.db = connect()

        def __getitem__(self, key: str) -> Any:
            try:
                row = self.db.execute(f"SELECT value FROM {self.table} WHERE key=?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
            if row is None:
                raise KeyError(key)
            return self.deserialize(key, row[0])

        def __setitem__(self, key: str, value: Any) -> None:
            pass  # read-only: nothing is stored (the transport says so once)

        def __delitem__(self, key: str) -> None:
            raise KeyError(key)

        def __iter__(self):
            return iter([r[0] for r in self.db.execute(f"SELECT key FROM {self.table}")])

        def __len__(self) -> int:
            return self.db.execute(f"SELECT COUNT(*) FROM {self.table}").fetchone()[0]

        def clear(self) -> None:
            pass

    class ReadOnlyCache(BaseCache):
        db_path = path

        def __init__(self) -> None:
            super().__init__(cache_name=str(path))
            self.responses = ReadOnlyTable("responses", init_serializer("json", decode_content=False))
            self.redirects = ReadOnlyTable("redirects", None)

    return ReadOnlyCache()


class CacheHealth:
    """What went wrong with the cache file: each cause said once (a :class:`CacheStorageWarning` naming the
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
        if value is not None and MASK not in value and redact(value) == value:
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

    Every storage failure is caught here and reported through :class:`CacheHealth` (a search never fails
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
                self.health.report(f"it cannot be read ({exc})", _CLEAR_REMEDY)
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
            self.health.report(f"an answer could not be written ({exc})", _space_remedy(self.health.path))
            kept = False
        else:
            if not kept:
                self.health.report("an answer could not be written (the disk may be full)",
                                   _space_remedy(self.health.path))
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
        """Forget the answers kept in memory (the storage itself is cleared by :func:`clear_storage`)."""
        with self._spare_lock:
            self._spare.clear()
            self._spare_bytes = 0


_space_remedy = cachefile.space_remedy


def clear_storage(session: Any, path: Path | None) -> None:
    """Empty the cache; a file that cannot be emptied (corrupt, truncated) is deleted, WAL files included.

    Only what is recognisably this toolkit's cache is cleared (:func:`~patsnap_analytics.cachefile.foreign`;
    the default cache file in the user cache directory always is): anything else — a text file, a CSV,
    another application's database — raises :class:`~patsnap_analytics.errors.ValidationError` naming it,
    with nothing touched.

    Example:
        >>> clear_storage(requests.Session(), None)   # no cache: nothing to do
        >>> import tempfile
        >>> notes = Path(tempfile.mkdtemp()) / "notes.txt"; _ = notes.write_text("keep me")
        >>> clear_storage(requests.Session(), notes)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: cache: ... is not a patsnap-analytics cache but a file that is not an SQLite database (7 bytes); nothing was cleared. Give the path of a cache file (`patsnap-analytics cache info` shows the default one)
    """
    what = cachefile.foreign(path) if path is not None and not _is_default_file(path) else None
    if what is not None:
        raise ValidationError("cache", f"{path} is not a patsnap-analytics cache but {what}; nothing was cleared. "
                                       "Give the path of a cache file (`patsnap-analytics cache info` shows the "
                                       "default one)")
    cache = getattr(session, "cache", None)
    try:
        if cache is not None and cache_file(session) == path:
            cache.clear()
            return
    except (sqlite3.Error, OSError):
        pass
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def wrap_session(session: requests.Session, keyer: SearchKeyer) -> requests.Session:
    """A session the caller brought, made safe without changing it.

    A requests-cache session is *wrapped*: a new ``CachedSession`` shares its adapters, headers and storage
    but has its own settings (:func:`cache_settings`), so even a session that would store POSTs or errors
    never stores a secret or a failed answer through us, and the caller's own session keeps its settings.
    A plain ``requests.Session`` is used as it is: the caller chose not to cache.

    Example:
        >>> from requests_cache import CachedSession
        >>> own = CachedSession(backend="memory", allowable_methods=("GET", "HEAD"))
        >>> ours = wrap_session(own, SearchKeyer())
        >>> own.settings.allowable_methods, ours.settings.allowable_methods, ours.cache.responses is own.cache.responses
        (('GET', 'HEAD'), ('GET',), True)
    """
    if not hasattr(session, "cache"):
        return session
    from requests_cache import CachedSession

    # a shallow copy of the backend shares its storage but not its settings (requests-cache keeps the
    # settings on the backend object, so passing the caller's backend itself would rewrite theirs)
    return CachedSession.wrap(session, backend=copy.copy(session.cache), **cache_settings(keyer))


def _is_default_file(path: Path) -> bool:
    """Whether ``path`` is the default cache file (in the user cache directory: only this toolkit writes there)."""
    try:
        return path.resolve() == Settings.from_env().cache_file.resolve()
    except OSError:
        return False


def cache_file(session: Any) -> Path | None:
    """The SQLite file behind a requests-cache session, or ``None`` (no cache, or a non-file backend).

    Example:
        >>> cache_file(requests.Session()) is None
        True
    """
    try:
        path = getattr(getattr(session, "cache", None), "db_path", None)
    except NotImplementedError:  # requests-cache's in-memory backend has no file
        return None
    return Path(path) if path and str(path) != ":memory:" else None


def record_table(session: Any, table_name: str, health: CacheHealth | None = None) -> Any:
    """A table of JSON text records kept beside the session's answers: in the cache file, shared by threads
    and processes (WAL, a bounded busy wait); in the team's Redis (one key per record, each with its own TTL:
    write with :func:`put_records`); or a plain dict when the session has no file (no cache, ``":memory:"``)
    or the file is read-only. Values are stored as given: callers store JSON text, never anything executable
    such as a pickle. A table in the file never fails its caller
    (:class:`~patsnap_analytics.cachefile.GuardedTable`): what the file refuses (a full disk, a damaged or
    held file) is reported through ``health`` and kept in this process's memory.

    Example:
        >>> table = record_table(None, "uploads"); table["k"] = '{"x": 1}'; dict(table)
        {'k': '{"x": 1}'}
    """
    team = team_of(session)
    if team is not None:
        return team.table(table_name)
    db_path = cache_file(session)
    if db_path is None or (health is not None and health.read_only):
        return {}
    health = health or CacheHealth(db_path)
    try:
        primary = cachefile.record_dict(db_path, table_name)
    except sqlite3.Error as exc:
        health.report(f"the {table_name} table cannot be opened ({exc})", _CLEAR_REMEDY)
        primary = None
    return cachefile.GuardedTable(primary, health, table_name)


def put_records(table: Any, records: Mapping[str, str], *, ttl: timedelta | None) -> None:
    """Write text records kept ``ttl``: in one transaction in the cache file (where readers check the age
    themselves), in one round trip to Redis (where each record also expires on its own), or into a dict.
    ``ttl=None`` keeps them until they are deleted: what a user must never lose by expiry (reviewers' verdicts).

    Example:
        >>> table = {}; put_records(table, {"a": "1", "b": "2"}, ttl=timedelta(days=1)); table
        {'a': '1', 'b': '2'}
    """
    put_many = getattr(table, "put_many", None)
    if put_many is not None:
        put_many(records, None if ttl is None else ttl.total_seconds())
        return
    bulk = getattr(table, "bulk_commit", None)
    with bulk() if bulk else contextlib.nullcontext():
        for key, value in records.items():
            table[key] = value


class LockedRecords:
    """A :func:`record_table` behind a lock, forgotten whole by :meth:`clear`, counted by ``len``: what the upload
    ledger and the patent records keep their records in.

    Example:
        >>> table = LockedRecords(None, "uploads"); len(table)
        0
    """

    def __init__(self, session: Any, table_name: str, health: CacheHealth | None = None) -> None:
        self._lock = threading.Lock()
        self._store: Any = record_table(session, table_name, health)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._store.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)


class UploadLedger(LockedRecords):
    """sha256 -> (upload url, expiry as epoch seconds), kept in the cache file (or in memory without one).

    A record that is not what this class writes (tampered, or an expiry that is not a finite number) is
    treated as absent and dropped, never handed out; storage failures are reported through ``health`` (the
    table is a :func:`record_table`: it never fails, and keeps in memory what the file refuses).

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
        (:func:`record_table`), so the same image is not uploaded again by this process."""
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
