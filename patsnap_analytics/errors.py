"""The exception tree of patsnap-analytics.

Everything the toolkit raises on purpose is a :class:`PatsnapError`::

    PatsnapError
    ├── ValidationError (also ValueError)      bad input, caught before any call is made
    │   └── InvalidImageError                  not a JPG/PNG, too large, undecodable, missing file
    ├── OfflineCacheMiss                       offline mode and the answer is not in the cache
    ├── BudgetExceeded                         a call would exceed a ``max_calls=`` budget
    ├── BatchStopped                           a batch stopped spending; this call was not sent
    ├── TooFewVerdictsError                    a study figure needs more verdicts than there are (never a guess)
    ├── SourcePatentError                      a patent number cannot start a search (search_like, a watch)
    │   ├── UnknownPatentError                 the API knows no patent by that number (or it names several)
    │   ├── PatentTypeError                    the patent is of another type than the search's (D / U)
    │   └── NoDrawingError                     the patent has no abstract drawing to search with
    ├── CacheStorageError                      the cache (file or Redis) cannot be used (names it, cause, remedy)
    ├── ExportError                            a result file could not be written (names it and the cause)
    ├── TransportError                         no usable HTTP answer; ``cause`` names what failed on the
    │   │                                      network (dns, refused, unreachable, tls, timeout, dropped)
    │   ├── DeadlineExceeded                   the whole call took longer than ``timeout``
    │   ├── AnswerTooLarge                     the decoded answer passed the size cap (never read in full)
    │   ├── RedirectRefused                    the server redirected; never followed (it would carry the key)
    │   └── ProtocolError                      not the API's answer: HTML, empty, not JSON, malformed data
    └── APIError                               the API answered ``status: false`` or HTTP 429/5xx
        ├── RetryableError                     worth retrying with backoff (the client already did)
        │   ├── ServiceError                   67200000 68300005 68300006 68300008, HTTP 5xx
        │   └── RateLimitError                 67200001 67200002, HTTP 429
        ├── RequestRejectedError               68300004 68300007 67200101: fix the request
        │   └── UploadRejectedError            68300010
        ├── AuthError                          67200006 67200008 67200015 67200202, HTTP 401/403
        │   ├── TokenExpiredError              67200003 67200009 (renewed once before raising)
        │   └── CredentialsRejectedError       says WHICH credential was refused: the api key, the client
        │                                      id/secret (at the token call) or a fresh token
        ├── PermissionDeniedError              67200004
        └── QuotaExhaustedError                67200005 67200007: stop spending, nothing to retry
            ├── BalanceExhaustedError          67200005
            └── DailyQuotaExceededError        67200007

:func:`error_for_code` maps an ``error_code`` to its class through the API's code table
(:data:`patsnap_analytics.api.ERROR_CODES`, which says what each code means and what to do about it). Every :class:`APIError` carries
``error_code``, ``error_msg``, ``http_status`` and ``path`` (the endpoint's path); none of them ever carries a
secret (messages are built from the envelope and the path, never from the request URL).

Example:
    >>> err = error_for_code(67200002)("slow down", http_status=200, path="/image-search/search-id")
    >>> isinstance(err, RateLimitError), err.retryable
    (True, True)
"""

from __future__ import annotations

import errno

from .api import ERROR_CODES
from .renames import renamed_keyword, warn_renamed

__all__ = [
    "ERROR_CLASSES",
    "STOPPING",
    "STOP_SPENDING",
    "APIError",
    "AnswerTooLarge",
    "AuthError",
    "BalanceExhaustedError",
    "BatchStopped",
    "BudgetExceeded",
    "CacheStorageError",
    "CacheStorageWarning",
    "CredentialsRejectedError",
    "DailyQuotaExceededError",
    "DeadlineExceeded",
    "ExportError",
    "InvalidImageError",
    "NoDrawingError",
    "OfflineCacheMiss",
    "PatentTypeError",
    "PatsnapError",
    "PermissionDeniedError",
    "ProtocolError",
    "QuotaExhaustedError",
    "RateLimitError",
    "RedirectRefused",
    "RequestRejectedError",
    "RetryableError",
    "ServiceError",
    "SourcePatentError",
    "StudyWarning",
    "TokenExpiredError",
    "TooFewVerdictsError",
    "TransportError",
    "UnknownPatentError",
    "UploadRejectedError",
    "ValidationError",
    "ZeroHitsWarning",
    "error_for_code",
    "error_from_envelope",
    "network_cause",
    "network_failure",
]


class PatsnapError(Exception):
    """Base class of every error the toolkit raises on purpose.

    Example:
        >>> issubclass(ValidationError, PatsnapError)
        True
    """


class ValidationError(PatsnapError, ValueError):
    """Bad input, detected before any call is made. ``parameter`` names the offending argument.

    Example:
        >>> str(ValidationError("limit", "must be an integer from 1 to 100, got 0"))
        'limit: must be an integer from 1 to 100, got 0'
    """

    def __init__(self, parameter: str, rule: str) -> None:
        self.parameter = parameter
        self.rule = rule
        super().__init__(f"{parameter}: {rule}")

    def __reduce__(self):  # keep picklable across worker processes
        return (type(self), (self.parameter, self.rule))


class InvalidImageError(ValidationError):
    """The image is not a JPG/PNG the API accepts (type by magic bytes, <= 4096 KB, decodable).

    Example:
        >>> raise InvalidImageError("image", "empty file")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.InvalidImageError: image: empty file
    """


class OfflineCacheMiss(PatsnapError):
    """Offline mode is on and the answer to this call is not in the cache.

    Example:
        >>> OfflineCacheMiss("search-id not cached").args[0]
        'search-id not cached'
    """


class BudgetExceeded(PatsnapError):
    """Making the next call would exceed the caller's ``max_calls=`` budget.

    Example:
        >>> BudgetExceeded("budget of 5 calls reached").args[0]
        'budget of 5 calls reached'
    """


class BatchStopped(PatsnapError):
    """A batch (or labelling run) stopped spending — quota, auth error, interrupt — so this call was not sent.

    Example:
        >>> issubclass(BatchStopped, PatsnapError)
        True
    """


class TooFewVerdictsError(PatsnapError):
    """A study figure (a calibration, a cut-off) needs more reviewers' verdicts than there are: a refusal, never
    a number. Says how many there are, how many it needs and why.

    Example:
        >>> issubclass(TooFewVerdictsError, PatsnapError)
        True
    """



class StudyWarning(UserWarning):
    """A study left something out and says how much: queries without any verdict, unsure verdicts, a
    configuration that lacks a query.

    Example:
        >>> issubclass(StudyWarning, UserWarning)
        True
    """



class SourcePatentError(PatsnapError):
    """A patent number cannot start a search: ``number`` names it (as given). In a batch it is that row's
    failure, never the batch's.

    Example:
        >>> e = NoDrawingError("USD0435025S", "P021 answered no abstract drawing; search one of its drawings "
        ...                    "as an image instead")
        >>> e.number, str(e)
        ('USD0435025S', 'USD0435025S: P021 answered no abstract drawing; search one of its drawings as an image instead')
    """

    def __init__(self, number: str, reason: str) -> None:
        self.number, self.reason = number, reason
        super().__init__(f"{number}: {reason}")

    def __reduce__(self):
        return (type(self), (self.number, self.reason))


class UnknownPatentError(SourcePatentError):
    """The API knows no patent by this number (or the number names several, and which one is meant is unclear).

    Example:
        >>> issubclass(UnknownPatentError, SourcePatentError)
        True
    """


class PatentTypeError(SourcePatentError):
    """The patent is of another type than the search looks for (a utility model, an invention).

    Example:
        >>> issubclass(PatentTypeError, SourcePatentError)
        True
    """


class NoDrawingError(SourcePatentError):
    """The patent has no abstract drawing (P021 answered none), so there is no image to search with.

    Example:
        >>> issubclass(NoDrawingError, SourcePatentError)
        True
    """


class TransportError(PatsnapError):
    """No usable HTTP answer: connection refused or dropped, timeout, or a body that is not an envelope.

    ``cause`` names what failed on the network when that is known (see :func:`network_cause`);
    ``retryable`` is False for the causes a retry a few seconds later cannot fix (a name that does not resolve,
    a refused or unreachable address, a failed TLS handshake), so they are raised at once, not after 11 s.

    Example:
        >>> e = TransportError("cannot find the host x.invalid", cause="dns")
        >>> e.args[0], e.cause, e.retryable
        ('cannot find the host x.invalid', 'dns', False)
    """

    def __init__(self, message: str = "", *, cause: str | None = None) -> None:
        self.cause = cause
        super().__init__(message)

    @property
    def retryable(self) -> bool:
        """Whether trying again can help (a timeout or a dropped connection can; a DNS failure cannot)."""
        return self.cause not in _FINAL_CAUSES

    def __reduce__(self):
        return (_rebuild_transport_error, (type(self), self.args[0] if self.args else "", self.cause))


def _rebuild_transport_error(cls: type[TransportError], message: str, cause: str | None) -> TransportError:
    return cls(message, cause=cause)


class DeadlineExceeded(TransportError):
    """The whole call (connecting, the answer's head and every byte of its body) took longer than the
    client's ``timeout``: a server dripping its answer cannot hold a call longer than that.

    Example:
        >>> issubclass(DeadlineExceeded, TransportError)
        True
    """


class AnswerTooLarge(TransportError):
    """The answer's decoded body passed the size cap; reading stopped there (it is never stored).

    Example:
        >>> AnswerTooLarge("/image-search/search-id answered more than 8 MB").args[0]
        '/image-search/search-id answered more than 8 MB'
    """


class RedirectRefused(TransportError):
    """The server answered a redirect. The API never redirects, and following one would send the api key
    (or the uploaded image) wherever ``Location`` points, so it is never followed, nor retried.

    Example:
        >>> issubclass(RedirectRefused, TransportError)
        True
    """


class CacheStorageError(PatsnapError):
    """The cache file (or a team's Redis) cannot be read or written: names it, the cause and what to do about it.

    Example:
        >>> str(CacheStorageError("/c/http_cache.sqlite", "file is not a database", "run `cache clear`"))
        'cache file /c/http_cache.sqlite: file is not a database; run `cache clear`'
        >>> str(CacheStorageError("redis://cache:6379/0", "Redis cannot be used (refused)", "start it"))
        'cache redis://cache:6379/0: Redis cannot be used (refused); start it'
    """

    def __init__(self, path: str, cause: str, remedy: str) -> None:
        self.path, self.cause, self.remedy = path, cause, remedy
        super().__init__(f"cache {'' if '://' in path else 'file '}{path}: {cause}; {remedy}")

    def __reduce__(self):
        return (type(self), (self.path, self.cause, self.remedy))


class ExportError(PatsnapError):
    """A result file (CSV, Parquet, Excel, JSON, a reviewer workbook) could not be written: names the file and the
    cause. Nothing was left half-written: a file already at that path is as it was.

    Example:
        >>> str(ExportError("/out/hits.csv", "No space left on device"))
        '/out/hits.csv could not be written: No space left on device; nothing was replaced'
    """

    def __init__(self, path: str, cause: str) -> None:
        self.path, self.cause = path, cause
        super().__init__(f"{path} could not be written: {cause}; nothing was replaced")

    def __reduce__(self):
        return (type(self), (self.path, self.cause))


class CacheStorageWarning(UserWarning):
    """The cache could not keep (or read) an answer; the search went on without it. Said once per cause.

    Example:
        >>> issubclass(CacheStorageWarning, UserWarning)
        True
    """


class ZeroHitsWarning(UserWarning):
    """The API answered ``data: {}``: no similar design. Genuine (seen live), but possibly a passing state of
    the server, so it is kept in the cache a day only (``df.attrs["kept_until"]``).

    Example:
        >>> issubclass(ZeroHitsWarning, UserWarning)
        True
    """


class ProtocolError(TransportError):
    """An answer that is not the API's: a body that is not a JSON envelope (an HTML maintenance page, an
    empty or invalid body with HTTP 200), or ``status: true`` with ``data`` that is not what the API
    documents (missing or null, a wrong type, a missing id). Never stored; names the endpoint's ``path`` and the
    ``field``; retried at most twice (:class:`~patsnap_analytics.wire.retry.RetryPolicy`), and a batch stops after a
    few in a row.

    Example:
        >>> e = ProtocolError("/image-search/search-id", "data.total_search_result_count", "must be integer")
        >>> e.path, e.field
        ('/image-search/search-id', 'data.total_search_result_count')
    """

    def __init__(self, path: str, field: str, rule: str) -> None:
        self.path, self.field, self.rule = path, field, rule
        super().__init__(f"{path} answered a malformed {field}: {rule}")

    @property
    def endpoint(self) -> str:
        """Deprecated spelling of :attr:`path` (``endpoint`` is an endpoint's name, such as ``image-single``)."""
        warn_renamed("ProtocolError.endpoint", "ProtocolError.path")
        return self.path

    def __reduce__(self):
        return (type(self), (self.path, self.field, self.rule))


class APIError(PatsnapError):
    """The API answered with an error envelope (``status: false``) or an HTTP error status.

    Attributes: ``error_code`` (int or None for a bare HTTP error), ``error_msg``, ``http_status``,
    ``path`` (the endpoint's path, never the full URL, which would carry the api key) and ``retryable``.
    ``endpoint=`` / ``.endpoint``, the old spellings of ``path``, work until 0.2 with a ``DeprecationWarning``.

    Example:
        >>> e = APIError("boom", error_code=123, http_status=200, path="/x")
        >>> (e.error_code, e.http_status, e.path)
        (123, 200, '/x')
    """

    retryable = False

    def __init__(
        self,
        error_msg: str = "",
        *,
        error_code: int | None = None,
        http_status: int | None = None,
        path: str | None = None,
        **old: str | None,
    ) -> None:
        path = renamed_keyword(old, "endpoint", "path", where=type(self).__name__, default=path)
        if old:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {next(iter(old))!r}")
        self.error_code = error_code
        self.error_msg = error_msg
        self.http_status = http_status
        self.path = path
        where = f" from {path}" if path else ""
        code = f"error_code {error_code}" if error_code is not None else f"HTTP {http_status}"
        super().__init__(f"{code}{where}: {error_msg or type(self).__name__}")

    @property
    def endpoint(self) -> str | None:
        """Deprecated spelling of :attr:`path` (``endpoint`` is an endpoint's name, such as ``image-single``)."""
        warn_renamed(f"{type(self).__name__}.endpoint", f"{type(self).__name__}.path")
        return self.path

    def __reduce__(self):
        kw = {"error_code": self.error_code, "http_status": self.http_status, "path": self.path}
        return (_rebuild_api_error, (type(self), self.error_msg, kw))


def _rebuild_api_error(cls: type[APIError], msg: str, kw: dict) -> APIError:
    return cls(msg, **kw)


class RetryableError(APIError):
    """A transient failure: the client retries these with backoff before raising.

    Example:
        >>> RetryableError.retryable
        True
    """

    retryable = True


class ServiceError(RetryableError):
    """The service failed (68300005 search back-end, 68300006 access error, 68300008 interrupted, HTTP 5xx).

    Example:
        >>> error_for_code(68300008) is ServiceError
        True
    """


class RateLimitError(RetryableError):
    """A rate limit was hit (67200001 platform-wide, 67200002 per-user QPS, HTTP 429).

    Example:
        >>> error_for_code(67200002) is RateLimitError
        True
    """


class RequestRejectedError(APIError):
    """The request itself is wrong (68300004 invalid parameter, 68300007 bad request); never retried.

    Example:
        >>> error_for_code(68300004) is RequestRejectedError
        True
    """


class UploadRejectedError(RequestRejectedError):
    """68300010: the file does not meet the upload rules (JPG/PNG, at most 4096 KB).

    Example:
        >>> error_for_code(68300010) is UploadRejectedError
        True
    """


class AuthError(APIError):
    """Authentication failed (67200006 client expired, 67200008 apikey missing, and the token family).

    Example:
        >>> error_for_code(67200008) is AuthError
        True
    """


class TokenExpiredError(AuthError):
    """67200003 token expired or wrong key/secret, 67200009 apikey and token do not match.

    The client renews the token once on these before raising.

    Example:
        >>> error_for_code(67200009) is TokenExpiredError
        True
    """


class CredentialsRejectedError(AuthError):
    """The API refused a credential; ``credential`` says which, and the message says what to check.

    ``credential`` is ``"api_key"`` (the key sent as ``apikey``), ``"client_credentials"`` (the OAuth client
    id and secret, refused at the token call) or ``"token"`` (an access token refused even fresh from the
    token call). The API's own code, message, HTTP status and path are kept. Never retried.

    Example:
        >>> e = CredentialsRejectedError("unknown api key", credential="api_key", error_code=67200003,
        ...     http_status=200, path="/image-search/search-id", advice="the API refused the api key sk-s…")
        >>> str(e)
        'the API refused the api key sk-s… (error_code 67200003 from /image-search/search-id: unknown api key)'
        >>> e.credential, isinstance(e, AuthError)
        ('api_key', True)
    """

    def __init__(self, error_msg: str = "", *, credential: str = "api_key", advice: str = "",
                 error_code: int | None = None, http_status: int | None = None, path: str | None = None,
                 **old: str | None) -> None:
        super().__init__(error_msg, error_code=error_code, http_status=http_status, path=path, **old)
        self.credential, self.advice = credential, advice
        if advice:
            self.args = (f"{advice} ({self.args[0]})",)

    @classmethod
    def of(cls, error: APIError, *, credential: str, advice: str) -> CredentialsRejectedError:
        """The refusal ``error`` (as the API answered it), explained: which credential, what to check."""
        return cls(error.error_msg, credential=credential, advice=advice, error_code=error.error_code,
                   http_status=error.http_status, path=error.path)

    def __reduce__(self):
        kw = {"credential": self.credential, "advice": self.advice, "error_code": self.error_code,
              "http_status": self.http_status, "path": self.path}
        return (_rebuild_api_error, (type(self), self.error_msg, kw))


class PermissionDeniedError(APIError):
    """67200004: no permission for this endpoint, or the package limit is reached.

    Example:
        >>> error_for_code(67200004) is PermissionDeniedError
        True
    """


class QuotaExhaustedError(APIError):
    """Money or quota ran out: stop spending; retrying cannot help today.

    Example:
        >>> issubclass(DailyQuotaExceededError, QuotaExhaustedError)
        True
    """


class BalanceExhaustedError(QuotaExhaustedError):
    """67200005: the account balance is exhausted.

    Example:
        >>> error_for_code(67200005) is BalanceExhaustedError
        True
    """


class DailyQuotaExceededError(QuotaExhaustedError):
    """67200007: the daily call quota is exhausted.

    Example:
        >>> error_for_code(67200007) is DailyQuotaExceededError
        True
    """


#: The API's answers after which every further call would fail, or must not be made (quota or balance spent, a
#: credential refused, an endpoint not licensed): a batch or a workflow that meets one sends nothing more.
STOP_SPENDING: tuple[type[APIError], ...] = (QuotaExhaustedError, AuthError, PermissionDeniedError)
#: :data:`STOP_SPENDING` and the toolkit's own stops (a budget reached, a batch's stop gate closed): what a
#: workflow ends on, leaving the rest pending.
STOPPING: tuple[type[PatsnapError], ...] = (*STOP_SPENDING, BudgetExceeded, BatchStopped)

# an error-code family of the API's table (api.ERROR_CODES) -> the class that stands for it
_FAMILY_CLASSES: dict[str, type[APIError]] = {
    "service": ServiceError,
    "rate": RateLimitError,
    "token": TokenExpiredError,
    "auth": AuthError,
    "permission": PermissionDeniedError,
    "balance": BalanceExhaustedError,
    "daily": DailyQuotaExceededError,
    "rejected": RequestRejectedError,
    "upload": UploadRejectedError,
}
#: error_code -> exception class, for every code of :data:`patsnap_analytics.api.ERROR_CODES`.
ERROR_CLASSES: dict[int, type[APIError]] = {code: _FAMILY_CLASSES[row.family] for code, row in ERROR_CODES.items()}


def error_for_code(error_code: int | None, http_status: int | None = None) -> type[APIError]:
    """The exception class for an ``error_code`` (or, without one, for an HTTP status).

    Unknown codes map to :class:`APIError` (not retried).

    Example:
        >>> error_for_code(None, http_status=503).__name__
        'ServiceError'
    """
    if error_code in ERROR_CLASSES:
        return ERROR_CLASSES[error_code]
    if http_status == 429:
        return RateLimitError
    if http_status is not None and http_status >= 500:
        return ServiceError
    if http_status in (401, 403):
        return AuthError
    return APIError


def error_from_envelope(envelope: dict, *, http_status: int, path: str | None = None, **old: str) -> APIError:
    """Build the exception for an error envelope ``{"status": false, "error_code": ..., "error_msg": ...}`` that
    the endpoint at ``path`` answered (``endpoint=``, the old spelling of ``path``, warns).

    Example:
        >>> e = error_from_envelope({"status": False, "error_code": 67200007, "error_msg": "quota"},
        ...                         http_status=200, path="/image-search/search-id")
        >>> type(e).__name__, e.error_code
        ('DailyQuotaExceededError', 67200007)
    """
    raw = envelope.get("error_code")
    try:
        code = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        code = None
    path = renamed_keyword(old, "endpoint", "path", where="error_from_envelope", default=path)
    if old:  # a mistyped keyword is a mistake, as it was before the old spelling was kept
        raise TypeError(f"error_from_envelope() got an unexpected keyword argument {next(iter(old))!r}")
    cls = error_for_code(code, http_status)
    return cls(str(envelope.get("error_msg") or ""), error_code=code, http_status=http_status, path=path)


# ---------------------------------------------------------------------------------------------- the network

#: Network causes a retry a few seconds later cannot fix: raised at once.
_FINAL_CAUSES = frozenset({"dns", "refused", "unreachable", "tls"})
_UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})


def _chain(exc: BaseException, limit: int = 24) -> list[BaseException]:
    """``exc`` and every exception it wraps (``__cause__``, ``__context__``, urllib3's ``reason``, args)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < limit:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        todo.extend(e for e in inner if isinstance(e, BaseException))
    return seen


def network_cause(exc: BaseException) -> str:
    """What failed on the network, from a ``requests`` (or socket) exception: ``dns``, ``refused``,
    ``unreachable``, ``tls``, ``timeout`` or ``dropped`` (anything else that broke the connection).

    Example:
        >>> import socket
        >>> network_cause(ConnectionRefusedError()), network_cause(socket.gaierror(-2, "Name unknown"))
        ('refused', 'dns')
        >>> network_cause(TimeoutError()), network_cause(ConnectionResetError())
        ('timeout', 'dropped')
    """
    import socket
    import ssl

    chain = _chain(exc)

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    def named(name: str) -> bool:  # urllib3 / requests classes, matched without importing them here
        return any(cls.__name__ == name for e in chain for cls in type(e).__mro__)

    if has(ssl.SSLError) or named("SSLError"):
        return "tls"
    if has(socket.gaierror) or named("NameResolutionError"):
        return "dns"
    if has(ConnectionRefusedError):
        return "refused"
    if any(isinstance(e, OSError) and e.errno in _UNREACHABLE_ERRNOS for e in chain):
        return "unreachable"
    # requests' ConnectTimeout/ReadTimeout; not urllib3's NewConnectionError, which subclasses its timeout
    if has(TimeoutError, socket.timeout) or named("ConnectTimeout") or named("ReadTimeout"):
        return "timeout"
    return "dropped"


def network_failure(exc: BaseException, *, doing: str, host: str) -> TransportError:
    """A :class:`TransportError` that names the network cause of ``exc`` and what to check.

    ``doing`` says what was being done (``calling /image-search/search-id``), ``host`` where. The message is
    built from these and the cause only, never from ``exc`` (its text holds the URL with the api key).

    Example:
        >>> str(network_failure(ConnectionRefusedError(), doing="calling /x", host="127.0.0.1:9"))
        '127.0.0.1:9 refused the connection calling /x: nothing listens there (check PATSNAP_BASE_URL / base_url=; a stopped sandbox answers like this)'
    """
    cause = network_cause(exc)
    text = {
        "dns": f"cannot find the host {host} (DNS lookup failed) {doing}: check the network connection or "
               "proxy, and the host name (PATSNAP_BASE_URL / base_url=)",
        "refused": f"{host} refused the connection {doing}: nothing listens there (check PATSNAP_BASE_URL / "
                   "base_url=; a stopped sandbox answers like this)",
        "unreachable": f"the network cannot reach {host} {doing}: this computer looks offline, or a firewall "
                       "blocks the way",
        "tls": f"the secure (TLS) connection to {host} failed {doing}: a proxy or firewall may intercept HTTPS, "
               "or the server speaks plain http:// at an https:// address",
        "timeout": f"{host} did not answer in time {doing}: the network or the API is slow",
        "dropped": f"the connection to {host} broke {doing} ({type(exc).__name__})",
    }[cause]
    return TransportError(text, cause=cause)
