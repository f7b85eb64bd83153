"""One API call, in layers: auth (a rejected token is refreshed once) -> retries (backoff) -> one send.

:meth:`Transport.call` sends one call and returns its :class:`Answer`; the order of operations is

1. **auth layer** — on 67200003/67200009 the OAuth token is dropped and fetched again, once (the vendor's
   advice); an api key cannot be refreshed, so the error is raised.
2. **retry layer** — transient failures (rate limits, service errors, HTTP 429/5xx, dropped connections)
   are retried with backoff and jitter, bounded in attempts and total time (:class:`RetryPolicy`).
3. **one send** — credentials are added, every gate is passed (the client's ``qps`` limiter, a batch's
   budget, rate and stop gates), the call is counted, the request goes out, and the envelope is checked:
   only HTTP 200 with ``status: true`` returns; anything else raises its class from
   :mod:`patsnap_analytics.errors`.

:meth:`Transport.lookup` answers from the cache only and never sends. Secrets never reach an exception:
errors name the endpoint path and the host, never the request URL (which carries ``apikey``).

Example:
    >>> from patsnap_analytics.api import SEARCH_ID
    >>> t = Transport(requests.Session(), base_url="http://127.0.0.1:9", auth=None, stats=ClientStats())
    >>> t.lookup(SEARCH_ID, {"url": "x"}) is None        # an uncached session has nothing stored
    True
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from .answers import check_data
from .api import SANDBOX_HEADER, VERSION_HEADER, Endpoint
from .auth import ApiKeyAuth, OAuthAuth
from .errors import PatsnapError, TokenExpiredError, TransportError, error_for_code, error_from_envelope
from .gates import CallGate
from .retry import RetryPolicy
from .stats import ClientStats

__all__ = ["Answer", "Transport", "read_envelope"]


@dataclass(frozen=True)
class Answer:
    """A successful answer: the envelope's ``data``, the response headers, and whether the cache gave it.

    Example:
        >>> Answer({"x": 1}, {"X-PatSnap-Sandbox": "1"}).from_sandbox
        True
    """

    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    from_cache: bool = False
    #: when a cached answer was received (UTC, naive, as requests-cache keeps it); ``None`` for a fresh one
    created_at: datetime | None = None

    @property
    def from_sandbox(self) -> bool:
        """True when the embedded sandbox answered (its data is generated, not real patents)."""
        return self.headers.get(SANDBOX_HEADER) == "1"


def read_envelope(resp: requests.Response, endpoint: Endpoint) -> Any:
    """The ``data`` of an HTTP 200 ``status: true`` envelope; any other answer raises its error class.

    Example:
        >>> from patsnap_analytics.api import SEARCH_ID
        >>> r = requests.Response(); r.status_code = 200; r._content = b'{"status": false, "error_code": 67200007}'
        >>> read_envelope(r, SEARCH_ID)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.DailyQuotaExceededError: error_code 67200007 from /image-search/search-id: DailyQuotaExceededError
    """
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code == 200 and isinstance(body, dict) and body.get("status") is True:
        return check_data(endpoint, body.get("data"))
    if isinstance(body, dict) and body.get("error_code") not in (None, 0):
        error = error_from_envelope(body, http_status=resp.status_code, endpoint=endpoint.path)
    elif resp.status_code != 200:
        error = error_for_code(None, resp.status_code)(
            f"HTTP {resp.status_code} {resp.reason or ''}".strip(), http_status=resp.status_code,
            endpoint=endpoint.path)
    else:
        raise TransportError(f"{endpoint.path} answered HTTP 200 without a valid envelope")
    retry_after = resp.headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        error.retry_after = float(retry_after)  # type: ignore[attr-defined]
    raise error


class Transport:
    """Sends API calls for one client: its session, host, auth mode, retry policy and call counters.

    ``limiter`` (the client's own ``qps=``) is a gate every call passes besides the ``gates`` of the call.

    Example:
        >>> Transport(requests.Session(), base_url="https://connect.patsnap.com", auth=None,
        ...           stats=ClientStats()).base_url
        'https://connect.patsnap.com'
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        auth: ApiKeyAuth | OAuthAuth | None,
        stats: ClientStats,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        version: str = "1.0",
        limiter: CallGate | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.auth = auth
        self.stats = stats
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.version = version
        self.limiter = limiter

    @property
    def cached(self) -> bool:
        """Whether the session caches (a requests-cache session)."""
        return hasattr(self.session, "cache")

    def lookup(self, endpoint: Endpoint, params: dict[str, str], *, body: Any = None) -> Answer | None:
        """The stored answer of a call with these (cache-key) parameters — a query string, or for a JSON
        endpoint the ``body`` — or ``None``; never sends a call."""
        if not self.cached:
            return None
        resp = self.session.request(endpoint.method, self.base_url + endpoint.path, params=params, json=body,
                                    only_if_cached=True, timeout=self.timeout)  # type: ignore[call-arg]
        if resp.status_code == 504:  # requests-cache's "not in the cache"
            return None
        return Answer(read_envelope(resp, endpoint), resp.headers, from_cache=True,
                      created_at=getattr(resp, "created_at", None))

    def call(self, endpoint: Endpoint, params: dict[str, str], *, files: dict | None = None, body: Any = None,
             refresh: bool = False, gates: Sequence[CallGate] = ()) -> Answer:
        """Send one call (see the module's numbered steps) and return its answer.

        A search's answer is stored by the cache (when it is a complete ``status: true`` answer); ``body`` is
        a JSON endpoint's request body. ``refresh`` only says the caller skipped the look-up on purpose. An
        upload or a token request is never stored.
        """
        refreshed = False
        while True:
            try:
                return self._with_retries(endpoint, params, files, gates, body)
            except TokenExpiredError:
                # the vendor's advice: refresh the token once, then give up
                if refreshed or self.auth is None or not self.auth.invalidate():
                    raise
                refreshed = True

    def _with_retries(self, endpoint: Endpoint, params: dict[str, str], files: dict | None,
                      gates: Sequence[CallGate], body: Any = None) -> Answer:
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                return self._send_once(endpoint, params, files, gates, body)
            except PatsnapError as exc:
                error = exc
            delay = self.retry.delay(attempt, getattr(error, "retry_after", None))
            if not self.retry.should_retry(error, attempt=attempt, waited=waited, next_delay=delay):
                raise error
            self.stats.count_retry()
            time.sleep(delay)
            waited += delay

    def _send_once(self, endpoint: Endpoint, params: dict[str, str], files: dict | None,
                   gates: Sequence[CallGate], body: Any = None) -> Answer:
        send_params, headers = dict(params), {VERSION_HEADER: self.version}
        if self.auth is not None:
            self.auth.apply(send_params, headers, self.session)
        for gate in (*gates, *([self.limiter] if self.limiter else [])):
            gate.acquire()
        self.stats.count_call(endpoint.path)
        resp = self._request(endpoint, send_params, headers, files, body)
        return Answer(read_envelope(resp, endpoint), resp.headers)

    def _request(self, endpoint: Endpoint, params: dict, headers: dict, files: dict | None,
                 body: Any = None) -> requests.Response:
        extra: dict[str, Any] = {}
        if self.cached:
            from requests_cache import DO_NOT_CACHE

            # a search that goes out replaces what is stored; an upload or a token request is never stored
            stored = endpoint.method == "GET" or endpoint.params_in == "json"
            extra = {"force_refresh": True} if stored else {"expire_after": DO_NOT_CACHE}
        if body is not None:
            extra["json"] = body
        try:
            return self.session.request(endpoint.method, self.base_url + endpoint.path, params=params,
                                        headers=headers, files=files, timeout=self.timeout, **extra)
        except requests.RequestException as exc:
            failure = type(exc).__name__
        # raised outside the except block: requests' exception holds the full URL (apikey included) and the
        # Authorization header, and even "from None" would keep it reachable as __context__
        raise TransportError(f"{failure} calling {endpoint.path} on {self.base_url}")
