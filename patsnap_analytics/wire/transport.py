"""One API call, in layers: auth (a rejected token is renewed once) -> retries (backoff) -> one send.

:meth:`Transport.call` sends one call and returns its :class:`Answer`; the order of operations is

1. **auth layer** — on 67200003/67200009 the OAuth token is dropped and fetched again, once (the vendor's
   advice); an api key cannot be renewed, so the error is raised. A refusal that reaches the caller says
   which credential was refused (:meth:`~patsnap_analytics.wire.auth.ApiKeyAuth.refused`).
2. **retry layer** — transient failures (rate limits, service errors, HTTP 429/5xx, dropped connections)
   are retried with backoff and jitter, bounded in attempts and total time (:class:`RetryPolicy`); a
   network failure a retry cannot fix (DNS, refused, TLS) is raised at once, naming its cause.
3. **one send** — credentials are added, every gate is passed (the client's ``qps`` limiter and budgets, a
   batch's budget, rate and stop gates; a team's shared ``qps`` slot is kept until the answer is in), the
   call is counted, the request goes out with a deadline for the whole
   call, a cap on the answer's size and no redirect followed (:mod:`patsnap_analytics.wire.http_limits`), any
   credential the server echoes is blanked out of the answer, and the envelope and the data are checked:
   only HTTP 200 with ``status: true`` and well-formed ``data`` returns; anything else raises its class from
   :mod:`patsnap_analytics.errors`.
4. **store** — only then, a GET's answer is stored (:class:`~patsnap_analytics.store.answers.AnswerStore`; a
   zero-hit ``data: {}`` for a day only). A failed call stores nothing and deletes nothing, so a failed
   ``refresh`` keeps the answer stored before.

:meth:`Transport.lookup` answers from the cache only and never sends; a stored answer that does not pass
the checks is a miss (and is dropped). Secrets never reach an exception: errors name the endpoint path and
the host, never the request URL (which carries ``apikey``); credentials stay
:class:`~patsnap_analytics.redact.Secret` values until the request is built.

Example:
    >>> from patsnap_analytics.api import SEARCH_ID
    >>> t = Transport(requests.Session(), base_url="http://127.0.0.1:9", auth=None, stats=ClientStats())
    >>> t.lookup(SEARCH_ID, {"url": "x"}) is None        # an uncached session has nothing stored
    True
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from ..api import RETRY_AFTER_HEADER, SANDBOX_HEADER, VERSION_HEADER, Endpoint
from ..errors import (
    AuthError,
    PatsnapError,
    ProtocolError,
    TokenExpiredError,
    error_for_code,
    error_from_envelope,
)
from ..redact import blank_echoes, redact, reveal
from ..store.answers import IMAGE_TTL, SEARCH_TTL, ZERO_HITS_TTL, AnswerStore
from ..store.health import CacheHealth
from .auth import ApiKeyAuth, OAuthAuth
from .checks import check_data
from .gates import CallGate, passing
from .http_limits import MAX_ANSWER_BYTES, exchange, prepare
from .retry import RetryPolicy
from .stats import ClientStats

__all__ = ["Answer", "Transport", "parse_json", "read_envelope"]


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
    #: When the cache forgets this answer (ISO 8601, UTC), or ``None`` when it is not stored.
    kept_until: str | None = None
    #: when a cached answer was received (UTC, naive, as requests-cache keeps it); ``None`` for a fresh one
    created_at: datetime | None = None

    @property
    def from_sandbox(self) -> bool:
        """True when the embedded sandbox answered (its data is generated, not real patents)."""
        return self.headers.get(SANDBOX_HEADER) == "1"


def read_envelope(resp: requests.Response, operation: Endpoint) -> Any:
    """The ``data`` of an HTTP 200 ``status: true`` envelope; any other answer raises its error class.

    A body that is not a JSON envelope (an HTML maintenance page, an empty or invalid body) is a
    :class:`~patsnap_analytics.errors.ProtocolError`; text the server wrote into an error is redacted.

    Example:
        >>> from patsnap_analytics.api import SEARCH_ID
        >>> r = requests.Response(); r.status_code = 200; r._content = b'{"status": false, "error_code": 67200007}'
        >>> read_envelope(r, SEARCH_ID)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.DailyQuotaExceededError: error_code 67200007 from /image-search/search-id: DailyQuotaExceededError
        >>> r._content = b"<html>down for maintenance</html>"; read_envelope(r, SEARCH_ID)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /image-search/search-id answered a malformed body: is not a JSON envelope (an HTML maintenance page, an empty or cut-off body?)
    """
    try:
        body = parse_json(resp.content or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):  # not JSON; nested past any parser's depth
        body = None
    if resp.status_code == 200 and isinstance(body, dict) and body.get("status") is True:
        if "data" not in body:
            raise ProtocolError(operation.path, "data", "is missing from a status: true answer")
        return check_data(operation, body["data"])
    if isinstance(body, dict) and body.get("error_code") not in (None, 0):
        clean = {**body, "error_msg": redact(str(body.get("error_msg") or ""))}
        error = error_from_envelope(clean, http_status=resp.status_code, path=operation.path)
    elif resp.status_code != 200:
        error = error_for_code(None, resp.status_code)(
            redact(f"HTTP {resp.status_code} {resp.reason or ''}".strip()), http_status=resp.status_code,
            path=operation.path)
    else:
        raise ProtocolError(operation.path, "body", "is not a JSON envelope (an HTML maintenance page, an empty "
                                                   "or cut-off body?)")
    retry_after = resp.headers.get(RETRY_AFTER_HEADER)
    if retry_after and retry_after.isdigit():
        error.retry_after = float(retry_after)  # type: ignore[attr-defined]
    raise error


def parse_json(content: bytes) -> Any:
    """A JSON body as Python values: orjson first (about 3x faster than the standard library on a 40 KB
    answer: 80 us instead of 220), the standard library for anything orjson refuses (``NaN``, a lone
    surrogate, nesting past 1,024), so that what a body means never depends on which parser read it. The one
    reading that differs, an integer past 64 bits (orjson: a float), is past the bounds (2**53) the answer schemas
    set on every integer ``data`` holds, so such an answer is refused either way. A lone surrogate (``"\\ud800"``:
    JSON, but no Unicode text) is read as U+FFFD, as a UTF-8 decoder reads bytes that are no text: kept as it
    came, it passed every check and crashed whatever wrote the text (Arrow, the frame, a record) later.

    Example:
        >>> parse_json(b'{"score": 0.93, "total_search_result_count": 40}'), parse_json(b'[NaN]')
        ({'score': 0.93, 'total_search_result_count': 40}, [nan])
        >>> parse_json(b'{"title": "a\\\\ud800b"}') == {"title": "a\\ufffdb"}
        True
    """
    import orjson  # a C extension: loaded with the first answer, not with the package

    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:  # rare (NaN, a lone surrogate, deep nesting): its text is walked then
        return _as_unicode(json.loads(content))


def _as_unicode(value: Any) -> Any:
    """``value`` with every lone surrogate of its text (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_as_unicode(v) for v in value]
    if isinstance(value, dict):
        return {_as_unicode(k): _as_unicode(v) for k, v in value.items()}
    return value


def _kept_until(expires: datetime | None) -> str | None:
    return None if expires is None else expires.astimezone(UTC).isoformat(timespec="seconds")


class Transport:
    """Sends API calls for one client: its session, host, auth mode, retry policy and call counters.

    ``limiter`` (the client's own gates: ``qps=``, budgets) is a gate every call passes besides the ``gates``
    of the call.

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
        health: CacheHealth | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.auth = auth
        self.stats = stats
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.version = version
        self.limiter = limiter
        self.max_answer_bytes = max_answer_bytes
        #: how long a zero-hit answer (``data: {}``) is kept; settable, e.g. ``timedelta(hours=1)``
        self.zero_hits_ttl = ZERO_HITS_TTL
        self.answers = AnswerStore(session, health or CacheHealth()) if self.cached else None

    @property
    def cached(self) -> bool:
        """Whether the session caches (a requests-cache session)."""
        return hasattr(self.session, "cache")

    def key_request(self, operation: Endpoint, params: dict[str, str], body: Any = None) -> requests.PreparedRequest:
        """The request an answer is stored under: the call's parameters (and JSON body) without any credential."""
        return requests.Request(operation.method, self.base_url + operation.path, params=params, json=body).prepare()

    def fetch_image(self, url: str, *, offline: bool = False) -> tuple[bytes, bool] | None:
        """A result image's bytes, and whether the cache gave them; ``None`` when it is unavailable.

        A result image is a plain link (not an API call, not billed), fetched with an API call's limits: no
        credential, no redirect followed, the whole call within ``timeout``, at most :data:`MAX_ANSWER_BYTES`
        (a hostile host cannot hold the client or fill its memory). A fetched image is stored, checked, for
        :data:`~patsnap_analytics.store.answers.IMAGE_TTL` (the API's signed links live about 7 days).
        """
        request = requests.Request("GET", url, headers={"Cache-Control": "no-store"}).prepare()
        stored = self.answers.get(request) if self.answers is not None else None
        if stored is not None and _is_image(stored):
            return stored.content, True
        if offline:
            return None
        try:
            resp = exchange(self.session, request, where="a result image", timeout=self.timeout,
                            max_bytes=self.max_answer_bytes)
        except PatsnapError:
            return None
        if not _is_image(resp):
            return None
        if self.answers is not None:
            self.answers.put(request, resp, ttl=IMAGE_TTL)
        return resp.content, False

    def lookup(self, operation: Endpoint, params: dict[str, str], *, body: Any = None) -> Answer | None:
        """The stored answer of a call with these (cache-key) parameters — a query string, or for a JSON
        endpoint the ``body`` — or ``None``; never sends a call.

        A stored answer that does not pass today's checks (stored by an older version, or tampered) is a
        miss, and is dropped."""
        if self.answers is None:
            return None
        request = self.key_request(operation, params, body)
        stored = self.answers.get(request)
        if stored is None:
            return None
        try:
            data = read_envelope(stored, operation)
        except PatsnapError:
            self.answers.discard(request)
            return None
        return Answer(data, stored.headers, from_cache=True, kept_until=_kept_until(stored.expires),
                      created_at=getattr(stored, "created_at", None))

    def call(self, operation: Endpoint, params: dict[str, str], *, files: dict | None = None, body: Any = None,
             gates: Sequence[CallGate] = ()) -> Answer:
        """Send one call (see the module's numbered steps) and return its answer.

        A search's answer is stored by the cache (when it is a complete ``status: true`` answer); ``body`` is
        a JSON endpoint's request body. An upload or a token request is never stored.
        """
        renewed = False
        while True:
            try:
                return self._with_retries(operation, params, files, gates, body)
            except AuthError as exc:
                # the vendor's advice: renew the token once, then give up, saying which credential was refused
                if isinstance(exc, TokenExpiredError) and not renewed and self.auth is not None \
                        and self.auth.invalidate():
                    renewed = True
                    continue
                if self.auth is None:
                    raise
                explained = self.auth.refused(exc)
                if explained is exc:
                    raise
                raise explained from exc

    def _with_retries(self, operation: Endpoint, params: dict[str, str], files: dict | None,
                      gates: Sequence[CallGate], body: Any = None) -> Answer:
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                return self._send_once(operation, params, files, gates, body)
            except PatsnapError as exc:
                error = exc
            delay = self.retry.delay(attempt, getattr(error, "retry_after", None))
            if not self.retry.should_retry(error, attempt=attempt, waited=waited, next_delay=delay):
                raise error
            self.stats.count_retry()
            time.sleep(delay)
            waited += delay

    def _send_once(self, operation: Endpoint, params: dict[str, str], files: dict | None,
                   gates: Sequence[CallGate], body: Any = None) -> Answer:
        send_params: dict[str, Any] = dict(params)
        headers: dict[str, Any] = {VERSION_HEADER: self.version}
        if self.auth is not None:
            self.auth.apply(send_params, headers, self.session)  # Secret values: masked in any frame's locals
        # a gate that keeps a slot while the call is out (a team's shared qps) gets it back once answered
        with passing((*gates, *([self.limiter] if self.limiter else []))):
            self.stats.count_call(operation.path)
            resp = self._exchange(operation, send_params, headers, files, body)
        blank_echoes(resp, getattr(self.auth, "secrets", ()))  # a credential echoed back is blanked first
        data = read_envelope(resp, operation)
        return Answer(data, resp.headers, kept_until=self._store(operation, params, body, resp, data))

    def _exchange(self, operation: Endpoint, params: dict[str, Any], headers: dict[str, Any],
                  files: dict | None, body: Any = None) -> requests.Response:
        """One HTTP exchange: the credentials are revealed only into the prepared request built here."""
        if self.cached:
            # requests-cache neither reads nor writes this call (its filter never deletes): _store decides.
            # ("no-store" is what skips its write; its DO_NOT_CACHE only skips the read.)
            headers = {**headers, "Cache-Control": "no-store"}
        prepared = prepare(self.session, requests.Request(
            operation.method, self.base_url + operation.path, params=reveal(params), headers=reveal(headers),
            files=files, json=body))
        return exchange(self.session, prepared, where=operation.path, timeout=self.timeout,
                        max_bytes=self.max_answer_bytes)

    def _store(self, operation: Endpoint, params: dict[str, str], body: Any, resp: requests.Response,
               data: Any) -> str | None:
        """Store a checked search answer (a zero-hit one briefly); returns when it expires, or ``None``."""
        # a search (a GET, or a JSON search's POST) is stored; an upload or a token request never, nor an
        # enrichment answer (records.py keeps those per patent)
        searched = operation.method == "GET" or operation.params_in == "json"
        if self.answers is None or not searched or not operation.http_cached:
            return None
        ttl = self.zero_hits_ttl if data == {} else SEARCH_TTL
        if not self.answers.put(self.key_request(operation, params, body), resp, ttl=ttl):
            return None
        return _kept_until(datetime.now(UTC) + ttl)


def _is_image(resp: Any) -> bool:
    """An HTTP 200 answer that says it is an image (what a result image link must answer)."""
    return resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith("image/")
