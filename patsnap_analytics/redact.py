"""Keep api keys, tokens and client secrets out of log output.

The client never logs a secret itself, but the libraries under it do, at DEBUG: urllib3 logs every request
line *with its query string* (``"GET /image-search/search-id?apikey=sk-…&limit=10 HTTP/1.1" 200``), and
requests-cache logs full request URLs. An analyst who turns on ``logging.basicConfig(level=logging.DEBUG)``
to see what a notebook is doing would paste their key into a bug report. :func:`install` attaches a
:class:`RedactingFilter` that rewrites such records before any handler sees them.

Why on those loggers, by name: a filter on a *logger* runs only for records logged directly on that logger,
not for records that propagate up from its children, so a filter on ``'urllib3'`` would never see the
``'urllib3.connectionpool'`` request lines. Handler filters would see everything, but the handlers belong to
the user (or to Jupyter, or to pytest) and may be added after us. So the filter goes on every logger that is
known to write URLs or headers (:data:`LOGGERS`, plus any already-created child of ``urllib3`` and
``requests_cache``). ``logging.getLogger(name)`` returns the same object before and after the library creates
it, so installing early works. Installing is idempotent and cheap; the client does it once per process.

Example:
    >>> redact("GET /image-search/search-id?apikey=sk-0123456789abcdef&limit=10")
    'GET /image-search/search-id?apikey=***&limit=10'
    >>> redact('Authorization: Bearer sandbox-token-9f8e7d6c5b4a')
    'Authorization: Bearer ***'
    >>> redact("connecting to redis://analyst:hunter2@cache.example:6379/0")
    'connecting to redis://***@cache.example:6379/0'
    >>> redact("connecting to redis://analyst:p@ss@cache.example:6379/0")   # an "@" left unencoded
    'connecting to redis://***@cache.example:6379/0'
"""

from __future__ import annotations

import logging
import re

from .api import SECRET_NAMES

__all__ = ["LOGGERS", "RedactingFilter", "install", "installed", "redact", "uninstall"]

#: Loggers known to write request URLs, headers or bodies (at DEBUG), and our own.
LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests_cache.session",
    "requests_cache.policy.actions",
    "requests_cache.policy.expiration",
    "requests_cache.backends.base",
    "redis.client",
    "redis.connection",
    "redis.lock",
    "patsnap_analytics",
)
_PREFIXES = ("urllib3.", "requests_cache.", "redis.")
MASK = "***"

# the longest first, so that access_token is read whole rather than as its tail, token
_SECRET_NAMES = "|".join(sorted(map(re.escape, SECRET_NAMES), key=len, reverse=True))
_PATTERNS = (
    # query strings and form bodies: apikey=sk-…, token=…, client_secret=…
    (re.compile(rf"(?i)\b({_SECRET_NAMES})=([^&\s\"'#;,)]+)"), rf"\1={MASK}"),
    # headers: Authorization: Bearer …, Basic …
    (re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}"), rf"\1 {MASK}"),
    # JSON and reprs: "token": "…", 'client_secret': '…'
    (re.compile(rf"(?i)([\"']({_SECRET_NAMES})[\"']\s*:\s*[\"'])[^\"']+([\"'])"), rf"\1{MASK}\3"),
    # a bare api key anywhere (the vendor's keys start with sk-)
    (re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"), f"sk-{MASK}"),
    # credentials in a URL (a team's redis://user:password@host): the whole user part, up to the last "@" before
    # the path (a password may hold an "@" the user did not percent-encode)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s'\"]*@"), rf"\1{MASK}@"),
)


def redact(text: str) -> str:
    """``text`` with every api key, token and secret value replaced by ``***``.

    Example:
        >>> redact('{"token": "abc123", "expires_in": 1799}')
        '{"token": "***", "expires_in": 1799}'
        >>> redact("nothing secret here")
        'nothing secret here'
    """
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message (and its traceback text) in place; drops nothing.

    Example:
        >>> record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
        ...                            '"%s %s"', ("GET", "/x?apikey=sk-secret123"), None)
        >>> RedactingFilter().filter(record), record.getMessage()
        (True, '"GET /x?apikey=***"')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's problem to report, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # formatters reuse a cached exc_text; fill it with the redacted traceback
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def _targets() -> list[logging.Logger]:
    names = set(LOGGERS)
    names.update(name for name in logging.root.manager.loggerDict if name.startswith(_PREFIXES))
    return [logging.getLogger(name) for name in sorted(names)]


def install() -> RedactingFilter:
    """Attach the redacting filter to every logger that may write a secret; safe to call many times.

    Example:
        >>> f = install(); f is install() and installed()
        True
    """
    for logger in _targets():
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    return _FILTER


def installed() -> bool:
    """Whether the filter is on urllib3's request-line logger (the one that matters most).

    Example:
        >>> _ = install(); installed()
        True
    """
    return _FILTER in logging.getLogger("urllib3.connectionpool").filters


def uninstall() -> None:
    """Remove the filter everywhere (for tests that show what leaks without it).

    Example:
        >>> uninstall(); installed()
        False
        >>> _ = install()
    """
    for logger in _targets():
        logger.removeFilter(_FILTER)
