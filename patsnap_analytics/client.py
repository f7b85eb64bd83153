"""Client: image-search endpoints -> envelopes -> typed DataFrames.

The client owns the HTTP session (injected or built with a cache), the auth mode and the retries.
Every answer's envelope is checked; an error code becomes its exception class (``errors.py``); transient
failures are retried with backoff (``retry.py``); a cache hit is never sent, throttled or paid for.

Example:
    >>> import patsnap_analytics as pa                           # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox            # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                         # doctest: +SKIP
    ...     client = pa.connect(sandbox=sb, cache=False)
    ...     df = client.search_designs("data/queries/query-1-10-02-watch.png", country=["US", "CN"], limit=20)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import requests

from .auth import ApiKeyAuth, OAuthAuth
from .cache import (
    IMAGE_TTL,
    SEARCH_PATH,
    SearchKeyer,
    UploadLedger,
    cache_file,
    configure_session,
    image_placeholder,
    make_session,
)
from .errors import (
    OfflineCacheMiss,
    PatsnapError,
    RequestRejectedError,
    TokenExpiredError,
    TransportError,
    ValidationError,
    error_for_code,
    error_from_envelope,
)
from .frames import results_frame
from .images import ImageRef, ImageSource
from .query import DesignQuery
from .redact import install as install_redaction
from .retry import RetryPolicy
from .stats import ClientStats
from .throttle import CallGate, RateLimiter

__all__ = ["CHINA_BASE_URL", "INTERNATIONAL_BASE_URL", "Client", "UploadedImage"]

INTERNATIONAL_BASE_URL = "https://connect.patsnap.com"
CHINA_BASE_URL = "https://connect.zhihuiya.com"
UPLOAD_PATH = "/image-search/image-upload"
TOKEN_PATH = "/oauth/token"
SANDBOX_HEADER = "X-PatSnap-Sandbox"


@dataclass(frozen=True)
class UploadedImage:
    """An uploaded image: its temporary public ``url``, when that expires, and the image's sha256.

    ``reused`` is True when the URL came from the ledger instead of a new upload call.

    Example:
        >>> u = UploadedImage("https://img/1.png", datetime(2030, 1, 1, tzinfo=UTC), "ab" * 32)
        >>> u.expired
        False
    """

    url: str
    expires_at: datetime
    sha256: str
    reused: bool = False

    @property
    def expired(self) -> bool:
        """Whether the API has deleted (or is about to delete) the file behind ``url``."""
        return datetime.now(UTC) >= self.expires_at


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class Client:
    """A PatSnap image-search client that returns DataFrames and never pays twice for the same call.

    Auth: ``api_key`` (``sk-…``), or ``client_id`` + ``client_secret`` (OAuth). ``base_url``: the
    international host (default), :data:`CHINA_BASE_URL`, or a sandbox's URL. ``session``: bring your own
    ``requests``/``requests_cache`` session (a ``CachedSession`` is configured so that it never stores a secret
    or an error); otherwise ``cache`` decides: ``True`` (default) the user cache file, a path, or ``False``.
    ``offline=True`` (or ``PATSNAP_OFFLINE=1``) answers only from the cache and raises
    :class:`~patsnap_analytics.errors.OfflineCacheMiss` otherwise; no credentials are needed then.

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
        base_url: str = INTERNATIONAL_BASE_URL,
        session: requests.Session | None = None,
        cache: bool | str | os.PathLike | None = True,
        offline: bool | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        version: str = "1.0",
        qps: float | None = None,
        source: str | None = None,
    ) -> None:
        if not _is_url(base_url):
            raise ValidationError("base_url", f"must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.offline = _env_flag("PATSNAP_OFFLINE") if offline is None else bool(offline)
        install_redaction()  # urllib3 logs request lines, apikey included, at DEBUG
        self.session = session if session is not None else make_session(cache)
        self.keyer = SearchKeyer()
        configure_session(self.session, self.keyer)
        self.ledger = UploadLedger(self.session)
        self.stats = ClientStats()
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.version = version
        self.limiter = RateLimiter(qps) if qps else None
        self._source = source
        self._inflight: dict[str, threading.Lock] = {}
        self._inflight_lock = threading.Lock()
        self.owned_sandbox: Any = None  # set by connect() when it started an embedded sandbox
        # images searched in this session, by sha256, so that label() can re-run a query after its upload expired
        self._images: dict[str, ImageRef] = {}
        if api_key:
            self.auth: ApiKeyAuth | OAuthAuth | None = ApiKeyAuth(api_key)
        elif client_id or client_secret:
            self.auth = OAuthAuth(
                client_id or "", client_secret or "", token_url=self.base_url + TOKEN_PATH, timeout=timeout,
                on_token_call=lambda: self.stats.count_call(TOKEN_PATH),
            )
        elif self.offline:
            self.auth = None
        else:
            raise ValidationError(
                "api_key",
                "no credentials: give api_key, or client_id and client_secret (or set PATSNAP_API_KEY / "
                "PATSNAP_CLIENT_ID + PATSNAP_CLIENT_SECRET), or use offline=True",
            )

    # ------------------------------------------------------------------ public API

    @property
    def cached(self) -> bool:
        """Whether this client's session caches (a requests-cache session)."""
        return hasattr(self.session, "cache")

    @property
    def source(self) -> str:
        """``"sandbox"`` when talking to the embedded sandbox, else ``"patsnap"``."""
        return self._source or "patsnap"

    def upload_image(self, image: ImageSource | ImageRef, *, refresh: bool = False) -> UploadedImage:
        """Upload a JPG/PNG (path, bytes or binary file object) and get its temporary URL.

        The same bytes uploaded again while their URL is still valid cost nothing (``reused=True``).

        Example:
            >>> Client(api_key="sk-x", cache=False).upload_image(b"not an image")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.InvalidImageError: image: the content is neither JPG nor PNG: the API takes JPG or PNG only
        """
        ref = ImageRef.from_any(image)
        return self._upload(ref, refresh=refresh)

    def search_designs(
        self,
        image: ImageSource | ImageRef,
        *,
        refresh: bool = False,
        name: str | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """Registered designs similar to ``image`` (a path, bytes, file object or an http(s) image URL).

        ``filters`` are the API's parameter names with Python values (see :class:`DesignQuery`).
        ``refresh=True`` asks the API again and replaces the cached answer. ``name`` labels the ``query``
        column (default: the file name, the URL, or ``sha256:<first 12>`` for bytes).

        Example:
            >>> Client(api_key="sk-x", cache=False).search_designs("https://img/x.png", limit=101)
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: limit: must be an integer from 1 to 100, got 101
        """
        query = DesignQuery.from_filters(**filters)
        target = self.resolve_image(image)
        return self._search(target, query, refresh=refresh, name=name)

    def search_many(self, images: Any, **kwargs: Any) -> pd.DataFrame:
        """Search many images (list, folder or DataFrame column); see :func:`patsnap_analytics.batch.search_many`."""
        from .batch import search_many

        return search_many(self, images, **kwargs)

    def label(self, df: pd.DataFrame, by: str = "simple_legal_status", **kwargs: Any) -> pd.DataFrame | int:
        """Label results by legal status, office or LOC class; see :func:`patsnap_analytics.facets.label`.

        Returns the labelled frame, or with ``dry_run=True`` the number of calls labelling would spend.
        """
        from .facets import label

        return label(self, df, by=by, **kwargs)

    def fetch_image(self, url: str) -> bytes | None:
        """A result thumbnail's bytes through the cache (kept 7 days), or ``None`` when unavailable.

        Example:
            >>> Client(api_key="sk-x", cache=False).fetch_image("file:///etc/passwd") is None
            True
        """
        if not _is_url(url):
            return None
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        if self.cached:
            kwargs["expire_after"] = IMAGE_TTL
            if self.offline:
                kwargs["only_if_cached"] = True
        elif self.offline:
            return None
        try:
            resp = self.session.get(url, **kwargs)
        except requests.RequestException:
            return None
        if resp.status_code != 200 or not resp.headers.get("Content-Type", "").startswith("image/"):
            return None
        if getattr(resp, "from_cache", False):
            self.stats.count_saved("image_cache_hits")
        else:
            self.stats.count_image_download()  # a plain image URL: not an API call, not billed
        return resp.content

    def cache_info(self) -> dict[str, Any]:
        """Where the cache is and what it holds.

        Example:
            >>> Client(api_key="sk-x", cache=False).cache_info()["enabled"]
            False
        """
        if not self.cached:
            return {"enabled": False, "path": None, "responses": 0, "uploads": len(self.ledger)}
        cache = self.session.cache  # type: ignore[attr-defined]
        path = cache_file(self.session)
        size = path.stat().st_size if path and path.exists() else 0
        return {
            "enabled": True,
            "path": str(path) if path else None,
            "size_bytes": size,
            "responses": len(cache.responses),
            "uploads": len(self.ledger),
        }

    def clear_cache(self) -> None:
        """Forget every cached answer and remembered upload."""
        if self.cached:
            self.session.cache.clear()  # type: ignore[attr-defined]
        self.ledger.clear()

    def close(self) -> None:
        """Close the session (and stop the embedded sandbox, if :func:`connect` started one)."""
        self.session.close()
        if self.owned_sandbox is not None:
            self.owned_sandbox.stop()
            self.owned_sandbox = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        cache = self.cache_info()["path"] if self.cached else None
        return (f"Client(base_url={self.base_url!r}, auth={self.auth!r}, cache={cache!r}, "
                f"offline={self.offline})")

    # ------------------------------------------------------------------ internals used by batch/facets

    def resolve_image(self, image: ImageSource | ImageRef) -> ImageRef | str:
        """Validate what the user passed as the query image: an http(s) URL, or image bytes (``ImageRef``)."""
        if isinstance(image, str) and "://" in image and not _is_url(image):
            raise ValidationError("image", f"only http(s) URLs can be searched, got {image.split('://')[0]}://…")
        return image if _is_url(image) else ImageRef.from_any(image)  # type: ignore[arg-type]

    def _search(
        self,
        target: ImageRef | str,
        query: DesignQuery,
        *,
        refresh: bool = False,
        name: str | None = None,
        gates: Sequence[CallGate] = (),
    ) -> pd.DataFrame:
        """One search; ``gates`` (rate limits, budgets) see every call that goes out, never a cache hit."""
        if isinstance(target, ImageRef):
            label = name or target.label
            params = self.search_params(query, image_sha256=target.sha256)
            self._images.setdefault(target.sha256, target)
        else:
            label = name or target
            params = self.search_params(query, url=target)
        # one search per cache key at a time: concurrent identical searches pay once
        with self._key_lock(params):
            hit = None if refresh else self._from_cache(SEARCH_PATH, params)
            if hit is not None:
                self.stats.count_saved("search_cache_hits")
                data, headers, from_cache = hit[0], hit[1], True
            else:
                if self.offline:
                    raise OfflineCacheMiss(
                        f"offline: no cached answer for this search of {label!r} with {query.describe()}; "
                        "run it once online (or unset PATSNAP_OFFLINE)"
                    )
                data, headers = self._search_call(target, params, refresh=refresh, gates=gates)
                from_cache = False
        frame = results_frame(data, query=label, sorted_by_similarity=query.sorted_by_similarity)
        sandbox = headers.get(SANDBOX_HEADER) == "1" or self.source == "sandbox"
        sha256 = target.sha256 if isinstance(target, ImageRef) else None
        filters = query.filters()  # fresh dicts: the two attrs entries must not share mutable state
        frame.attrs.update({
            "source": "sandbox" if sandbox else "patsnap",
            "base_url": self.base_url,
            "endpoint": SEARCH_PATH,
            "query": label,
            "filters": filters,
            "image_sha256": sha256,
            "search_id": data.get("search_id"),
            "total_count": data.get("total_search_result_count"),
            "from_cache": from_cache,
            # per query: what was searched, so facets can re-run it with one more filter
            "queries": {label: {"image_sha256": sha256, "image_url": None if sha256 else target,
                                "filters": query.filters()}},
        })
        return frame

    def _search_call(self, target: ImageRef | str, params: dict[str, str], *, refresh: bool,
                     gates: Sequence[CallGate]) -> tuple[dict, Any]:
        if not isinstance(target, ImageRef):
            return self._call("GET", SEARCH_PATH, params, refresh=refresh, gates=gates)
        upload = self._upload(target, gates=gates)
        try:
            return self._call("GET", SEARCH_PATH, {**params, "url": upload.url}, refresh=refresh, gates=gates)
        except RequestRejectedError as exc:
            if not upload.reused or exc.error_code != 68300004:
                raise
            # the server no longer knows a URL our ledger still trusted (clocks differ): upload once more
            self.ledger.forget(self._ledger_key(target.sha256))
            upload = self._upload(target, refresh=True, gates=gates)
            return self._call("GET", SEARCH_PATH, {**params, "url": upload.url}, refresh=refresh, gates=gates)

    def search_params(self, query: DesignQuery, *, image_sha256: str | None = None,
                      url: str | None = None) -> dict[str, str]:
        """The parameters a search is cached under: the image by its hash (never its upload URL), or the URL."""
        key_url = image_placeholder(image_sha256) if image_sha256 else (url or "")
        return {"url": key_url, **query.to_api_params()}

    def cached_search_data(self, query: DesignQuery, *, image_sha256: str | None = None,
                           url: str | None = None, count_hit: bool = False) -> dict | None:
        """The cached answer (``data`` of the envelope) of a search, or ``None``; never sends a call."""
        hit = self._from_cache(SEARCH_PATH, self.search_params(query, image_sha256=image_sha256, url=url))
        if hit is None:
            return None
        if count_hit:
            self.stats.count_saved("search_cache_hits")
        return hit[0]

    def has_valid_upload(self, sha256: str) -> bool:
        """Whether the image with this hash has an upload URL still valid (so a search needs no upload)."""
        return self.ledger.entry(self._ledger_key(sha256)) is not None

    def ensure_uploaded(self, ref: ImageRef, *, gates: Sequence[CallGate] = ()) -> UploadedImage:
        """A valid upload URL for ``ref``: the remembered one, or one new upload (through ``gates``)."""
        return self._upload(ref, gates=gates)

    def _ledger_key(self, sha256: str) -> str:
        return f"{self.base_url}|{sha256}"

    def image_for(self, sha256: str) -> ImageRef | None:
        """An image searched earlier in this session, by its sha256 (``None`` if this client never saw it)."""
        return self._images.get(sha256)

    def _upload(self, ref: ImageRef, *, refresh: bool = False, gates: Sequence[CallGate] = ()) -> UploadedImage:
        # one upload per image at a time: threads searching the same new image wait for its URL
        with self._lock_for("upload:" + ref.sha256):
            return self._upload_once(ref, refresh=refresh, gates=gates)

    def _upload_once(self, ref: ImageRef, *, refresh: bool, gates: Sequence[CallGate]) -> UploadedImage:
        ledger_key = self._ledger_key(ref.sha256)
        entry = None if refresh else self.ledger.entry(ledger_key)
        if entry is not None:
            url, expires_at = entry
            self.keyer.register(url, f"sha256:{ref.sha256}")
            self.stats.count_saved("upload_reuses")
            return UploadedImage(url, datetime.fromtimestamp(expires_at, UTC), ref.sha256, reused=True)
        if self.offline:
            raise OfflineCacheMiss(f"offline: {ref.name!r} has no valid upload URL and uploading needs the API")
        files = {"image": (ref.filename, ref.data, ref.mime_type)}
        data, _ = self._call("POST", UPLOAD_PATH, {}, files=files, gates=gates)
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise TransportError(f"{UPLOAD_PATH} answered without a url")
        try:
            expire = float(data.get("expire") or 32400)
        except (TypeError, ValueError):
            expire = 32400.0
        expires_at = self.ledger.put(ledger_key, url, expire_in=expire)
        self.keyer.register(url, f"sha256:{ref.sha256}")
        return UploadedImage(url, datetime.fromtimestamp(expires_at, UTC), ref.sha256)

    def _key_lock(self, params: dict[str, str]) -> threading.Lock:
        return self._lock_for(self.keyer(requests.Request("GET", self.base_url + SEARCH_PATH, params=params).prepare()))

    def _lock_for(self, key: str) -> threading.Lock:
        with self._inflight_lock:
            return self._inflight.setdefault(key, threading.Lock())

    def _from_cache(self, path: str, params: dict[str, str]) -> tuple[dict, Any] | None:
        if not self.cached:
            return None
        resp = self.session.get(self.base_url + path, params=params, only_if_cached=True,  # type: ignore[call-arg]
                                timeout=self.timeout)
        if resp.status_code == 504:
            return None
        return self._envelope_data(resp, path), resp.headers

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        *,
        files: dict | None = None,
        refresh: bool = False,
        gates: Sequence[CallGate] = (),
    ) -> tuple[dict, Any]:
        """Send one API call with auth, throttling and retries; return the envelope's ``data`` and headers."""
        extra: dict[str, Any] = {}
        if self.cached:
            from requests_cache import DO_NOT_CACHE

            extra = {"force_refresh": True} if method == "GET" else {"expire_after": DO_NOT_CACHE}
        attempt, waited, token_refreshed = 0, 0.0, False
        while True:
            attempt += 1
            try:
                send_params, headers = dict(params), {"X-PatSnap-Version": self.version}
                if self.auth is not None:
                    self.auth.apply(send_params, headers, self.session)
                for gate in (*gates, *([self.limiter] if self.limiter else [])):
                    gate.acquire()
                self.stats.count_call(path)
                resp = self._send(method, path, send_params, headers, files, extra)
                return self._envelope_data(resp, path), resp.headers
            except PatsnapError as exc:
                error = exc
            if isinstance(error, TokenExpiredError) and not token_refreshed and self.auth and self.auth.invalidate():
                token_refreshed = True  # the vendor's advice: refresh once, then give up
                attempt -= 1
                continue
            delay = self.retry.delay(attempt, getattr(error, "retry_after", None))
            if not self.retry.should_retry(error, attempt=attempt, waited=waited, next_delay=delay):
                raise error
            self.stats.count_retry()
            time.sleep(delay)
            waited += delay

    def _send(self, method: str, path: str, params: dict, headers: dict, files: dict | None,
              extra: dict) -> requests.Response:
        try:
            return self.session.request(method, self.base_url + path, params=params, headers=headers,
                                        files=files, timeout=self.timeout, **extra)
        except requests.RequestException as exc:
            failure = type(exc).__name__
        # raised outside the except block: requests' exception holds the full URL (apikey included) and the
        # Authorization header, and even "from None" would keep it reachable as __context__
        raise TransportError(f"{failure} calling {path} on {self.base_url}")

    def _envelope_data(self, resp: requests.Response, path: str) -> dict:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200 and isinstance(body, dict) and body.get("status") is True:
            data = body.get("data")
            return data if isinstance(data, dict) else {}
        if isinstance(body, dict) and body.get("error_code") not in (None, 0):
            error = error_from_envelope(body, http_status=resp.status_code, endpoint=path)
        elif resp.status_code != 200:
            error = error_for_code(None, resp.status_code)(
                f"HTTP {resp.status_code} {resp.reason or ''}".strip(), http_status=resp.status_code, endpoint=path
            )
        else:
            raise TransportError(f"{path} answered HTTP 200 without a valid envelope")
        retry_after = resp.headers.get("Retry-After")
        if retry_after and retry_after.isdigit():
            error.retry_after = float(retry_after)  # type: ignore[attr-defined]
        raise error

