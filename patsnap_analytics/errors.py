"""The exception tree of patsnap-analytics.

Everything the toolkit raises on purpose is a :class:`PatsnapError`::

    PatsnapError
    ├── ValidationError (also ValueError)      bad input, caught before any call is made
    │   └── InvalidImageError                  not a JPG/PNG, too large, undecodable, missing file
    ├── OfflineCacheMiss                       offline mode and the answer is not in the cache
    ├── BudgetExceeded                         a call would exceed a ``max_calls=`` budget
    ├── BatchStopped                           a batch stopped spending; this call was not sent
    ├── CacheStorageError                      the cache (file or Redis) cannot be used (names it, cause, remedy)
    ├── TransportError                         no usable HTTP answer (connection, timeout, redirect, too large)
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
        │   └── TokenExpiredError              67200003 67200009 (refreshed once before raising)
        ├── PermissionDeniedError              67200004
        └── QuotaExhaustedError                67200005 67200007: stop spending, nothing to retry
            ├── BalanceExhaustedError          67200005
            └── DailyQuotaExceededError        67200007

:func:`error_for_code` maps an ``error_code`` to its class through the API's code table
(:data:`patsnap_analytics.api.ERROR_CODES`, which says what each code means and what to do about it). Every :class:`APIError` carries
``error_code``, ``error_msg``, ``http_status`` and ``endpoint``; none of them ever carries a secret
(messages are built from the envelope and the endpoint path, never from the request URL).

Example:
    >>> err = error_for_code(67200002)("slow down", http_status=200, endpoint="/image-search/search-id")
    >>> isinstance(err, RateLimitError), err.retryable
    (True, True)
"""

from __future__ import annotations

from .api import ERROR_CODES

__all__ = [
    "ERROR_CLASSES",
    "APIError",
    "AnswerTooLarge",
    "AuthError",
    "BalanceExhaustedError",
    "BatchStopped",
    "BudgetExceeded",
    "CacheStorageError",
    "CacheStorageWarning",
    "DailyQuotaExceededError",
    "DeadlineExceeded",
    "InvalidImageError",
    "OfflineCacheMiss",
    "PatsnapError",
    "PermissionDeniedError",
    "ProtocolError",
    "QuotaExhaustedError",
    "RateLimitError",
    "RedirectRefused",
    "RequestRejectedError",
    "RetryableError",
    "ServiceError",
    "TokenExpiredError",
    "TransportError",
    "UploadRejectedError",
    "ValidationError",
    "ZeroHitsWarning",
    "error_for_code",
    "error_from_envelope",
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


class TransportError(PatsnapError):
    """No usable HTTP answer: connection refused or dropped, timeout, or a body that is not an envelope.

    Example:
        >>> TransportError("connection refused").args[0]
        'connection refused'
    """


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
    documents (missing or null, a wrong type, a missing id). Never stored; names the endpoint and the field;
    retried at most twice (:class:`~patsnap_analytics.retry.RetryPolicy`), and a batch stops after a few
    in a row.

    Example:
        >>> e = ProtocolError("/image-search/search-id", "data.total_search_result_count", "must be integer")
        >>> e.endpoint, e.field
        ('/image-search/search-id', 'data.total_search_result_count')
    """

    def __init__(self, endpoint: str, field: str, rule: str) -> None:
        self.endpoint, self.field, self.rule = endpoint, field, rule
        super().__init__(f"{endpoint} answered a malformed {field}: {rule}")

    def __reduce__(self):
        return (type(self), (self.endpoint, self.field, self.rule))


class APIError(PatsnapError):
    """The API answered with an error envelope (``status: false``) or an HTTP error status.

    Attributes: ``error_code`` (int or None for a bare HTTP error), ``error_msg``, ``http_status``,
    ``endpoint`` (the path, never the full URL, which would carry the api key) and ``retryable``.

    Example:
        >>> e = APIError("boom", error_code=123, http_status=200, endpoint="/x")
        >>> (e.error_code, e.http_status, e.endpoint)
        (123, 200, '/x')
    """

    retryable = False

    def __init__(
        self,
        error_msg: str = "",
        *,
        error_code: int | None = None,
        http_status: int | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.error_code = error_code
        self.error_msg = error_msg
        self.http_status = http_status
        self.endpoint = endpoint
        where = f" from {endpoint}" if endpoint else ""
        code = f"error_code {error_code}" if error_code is not None else f"HTTP {http_status}"
        super().__init__(f"{code}{where}: {error_msg or type(self).__name__}")

    def __reduce__(self):
        kw = {"error_code": self.error_code, "http_status": self.http_status, "endpoint": self.endpoint}
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

    The client refreshes the token once on these before raising.

    Example:
        >>> error_for_code(67200009) is TokenExpiredError
        True
    """


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


def error_from_envelope(envelope: dict, *, http_status: int, endpoint: str) -> APIError:
    """Build the exception for an error envelope ``{"status": false, "error_code": ..., "error_msg": ...}``.

    Example:
        >>> e = error_from_envelope({"status": False, "error_code": 67200007, "error_msg": "quota"},
        ...                         http_status=200, endpoint="/image-search/search-id")
        >>> type(e).__name__, e.error_code
        ('DailyQuotaExceededError', 67200007)
    """
    raw = envelope.get("error_code")
    try:
        code = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        code = None
    cls = error_for_code(code, http_status)
    return cls(str(envelope.get("error_msg") or ""), error_code=code, http_status=http_status, endpoint=endpoint)
