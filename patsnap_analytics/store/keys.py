"""Cache keys: what an answer is stored under, and what the requests-cache session may store itself.

A search is keyed by the host, the path, the normalised filters (with the page's ``offset``/``limit``) and the
*image* — its sha256 when the client uploaded it, never the temporary upload URL, which changes on every upload;
the pages of ``/image-search/results`` by their search's image, never the short-lived ``search_id``; a JSON search
(image-single, its beta, image-multiple) by its body, each image by its hash and the keys sorted. No secret ever
enters a key (:data:`SECRET_PARAMS`, the API's one list).

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

import hashlib
import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from ..api import JSON_SEARCH_ENDPOINTS, SEARCH_ID, SEARCH_RESULTS, SECRET_NAMES, endpoint_for_path
from .answers import SEARCH_TTL

__all__ = ["SECRET_PARAMS", "SearchKeyer", "cache_settings", "cacheable", "image_placeholder"]

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
    requests-cache itself stores only thumbnails (API answers are stored by :class:`~patsnap_analytics.store.answers.AnswerStore`) and that no
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

