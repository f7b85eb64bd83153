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
* **Never stored**: the ``apikey`` parameter, the ``Authorization`` header, tokens, client ids and secrets
  (requests-cache redacts ``ignored_parameters`` from what it saves), the token endpoint's and the upload's
  answers (the only POSTs stored are the JSON searches'), and any answer that is not HTTP 200 with
  ``status: true``.
* **Thumbnails** (result image URLs) go through the same cache with their own expiry.

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

import copy
import hashlib
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from .api import JSON_SEARCH_ENDPOINTS, SEARCH_ID, SEARCH_RESULTS
from .settings import Settings

__all__ = [
    "IMAGE_TTL",
    "SEARCH_TTL",
    "SECRET_PARAMS",
    "SearchKeyer",
    "UploadLedger",
    "cache_file",
    "cache_settings",
    "image_placeholder",
    "make_session",
    "wrap_session",
]

#: How long a search answer is served from the cache (legal status changes slowly; ``refresh=True`` re-asks).
SEARCH_TTL = timedelta(days=30)
#: Result thumbnails: the API's presigned image links live about 7 days.
IMAGE_TTL = timedelta(days=7)
#: An upload URL is reused until this many seconds before the API says it expires.
UPLOAD_MARGIN = 60.0
#: Request parameters and headers that must never reach a cache key or the cache file.
SECRET_PARAMS = (
    "apikey",
    "Authorization",
    "access_token",
    "token",
    "client_id",
    "client_secret",
    "X-API-KEY",
    "Cookie",
)
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
    """requests-cache ``filter_fn``: store only HTTP 200 with a ``status: true`` envelope, or an image; of
    the POSTs, only the JSON searches' (never an upload's or a token's).

    Example:
        >>> r = requests.Response(); r.status_code = 200; r._content = b'{"status": false, "error_code": 1}'
        >>> cacheable(r)
        False
    """
    if response.status_code != 200:
        return False
    request = response.request
    if request is not None and request.method == "POST" and _api_path(urlsplit(request.url or "").path) not in _JSON_PATHS:
        return False
    ctype = response.headers.get("Content-Type", "")
    if ctype.startswith("image/"):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") is True


def cache_settings(keyer: SearchKeyer) -> dict[str, Any]:
    """The requests-cache settings of every session the client caches with: how answers are keyed,
    which are stored (HTTP 200 ``status: true`` searches and images only) and that no secret is ever kept.

    Example:
        >>> settings = cache_settings(SearchKeyer())
        >>> settings["allowable_methods"], "apikey" in settings["ignored_parameters"]
        (('GET', 'POST'), True)
    """
    return {
        "key_fn": keyer,
        "filter_fn": cacheable,
        "allowable_codes": (200,),
        # POST for the JSON searches; cacheable() refuses every other POST (uploads, tokens)
        "allowable_methods": ("GET", "POST"),
        "ignored_parameters": SECRET_PARAMS,
        "stale_if_error": False,
        "expire_after": SEARCH_TTL,
    }


def make_session(cache: bool | str | os.PathLike | None, keyer: SearchKeyer, *,
                 default_path: Path | None = None) -> requests.Session:
    """A requests-cache ``CachedSession`` configured by :func:`cache_settings`, or a plain session.

    ``cache``: ``True`` (the file at ``default_path``, by default the user cache directory), a path,
    ``":memory:"`` (kept in this process only) or ``False``/``None`` (no caching).

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
    path = (default_path or Settings.from_env().cache_file) if cache is True else Path(cache).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout: many threads (and a second notebook) share one file without "database is locked"
    return CachedSession(str(path), backend="sqlite", wal=True, busy_timeout=30_000, **settings)


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
        (('GET', 'HEAD'), ('GET', 'POST'), True)
    """
    if not hasattr(session, "cache"):
        return session
    from requests_cache import CachedSession

    # a shallow copy of the backend shares its storage but not its settings (requests-cache keeps the
    # settings on the backend object, so passing the caller's backend itself would rewrite theirs)
    return CachedSession.wrap(session, backend=copy.copy(session.cache), **cache_settings(keyer))


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


class UploadLedger:
    """sha256 -> (upload url, expiry as epoch seconds), kept in the cache file (or in memory without one).

    Example:
        >>> ledger = UploadLedger(None)
        >>> expires_at = ledger.put("ab", "https://img/1.png", expire_in=32400)
        >>> ledger.get("ab")
        'https://img/1.png'
        >>> _ = ledger.put("cd", "https://img/2.png", expire_in=30)   # within the safety margin: never handed out
        >>> ledger.get("cd") is None
        True
    """

    def __init__(self, session: requests.Session | None, clock: Any = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        db_path = cache_file(session)
        if db_path is not None:
            from requests_cache.backends.sqlite import SQLiteDict

            self._store: Any = SQLiteDict(db_path, table_name="uploads", serializer=None, wal=True,
                                          busy_timeout=30_000)
        else:
            self._store = {}

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
        record = json.loads(raw)
        if record["expires_at"] - UPLOAD_MARGIN <= self._clock():
            return None
        return record["url"], record["expires_at"]

    def put(self, sha256: str, url: str, *, expire_in: float) -> float:
        """Remember an upload; returns its expiry (epoch seconds)."""
        expires_at = self._clock() + float(expire_in)
        with self._lock:
            self._store[sha256] = json.dumps({"url": url, "expires_at": expires_at})
        return expires_at

    def forget(self, sha256: str) -> None:
        """Drop an entry (the API said the URL is no longer valid)."""
        with self._lock:
            self._store.pop(sha256, None)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._store.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)
