"""Secrets kept out of everything shown: reprs, logs, exceptions, stored answers. The one module of secret helpers.

* **Held masked** (:class:`Secret`): a credential's ``str``, ``repr`` and ``format`` show its first four
  characters (:func:`mask`), and it refuses to pickle, until a request is built (:func:`reveal`), so error
  reporters that record the local variables of a traceback's frames find no credential there. A team's Redis URL
  is shown without its user and password (:func:`mask_url`).
* **Blanked when echoed** (:func:`blank_echoes`): a server that writes a credential back into an answer (its
  body, a header) has it replaced by :data:`MASK` before anything reads the answer; an answer header that holds
  a secret (:func:`holds_secret`) is never stored; a value we know (a team's Redis password) is blanked out of
  an error's text (:func:`blank`).
* **Redacted from logs** (:func:`redact`, :func:`install`). The client never logs a secret itself, but the
  libraries under it do, at DEBUG: urllib3 logs every request line *with its query string*
  (``"GET /image-search/search-id?apikey=sk-…&limit=10 HTTP/1.1" 200``), and requests-cache logs full request
  URLs. An analyst who turns on ``logging.basicConfig(level=logging.DEBUG)`` to see what a notebook is doing
  would paste their key into a bug report. :func:`install` attaches a :class:`RedactingFilter` that rewrites
  such records before any handler sees them.

The names a credential travels under are ``api.py``'s (:data:`~patsnap_analytics.api.SECRET_NAMES`); this module
only reads them. It sits on the bottom floor because every floor above masks something (``settings``' repr,
``wire/``'s auth and transport, ``store/``'s team URL and kept headers).

Why the log filter goes on those loggers, by name: a filter on a *logger* runs only for records logged directly
on that logger, not for records that propagate up from its children, so a filter on ``'urllib3'`` would never
see the ``'urllib3.connectionpool'`` request lines. Handler filters would see everything, but the handlers
belong to the user (or to Jupyter, or to pytest) and may be added after us. So the filter goes on every logger
that is known to write URLs or headers (:data:`LOGGERS`, plus any already-created child of ``urllib3`` and
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
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .api import SECRET_NAMES

__all__ = ["LOGGERS", "MASK", "MIN_ECHOED", "RedactingFilter", "Secret", "blank", "blank_echoes", "holds_secret",
           "install", "installed", "mask", "mask_url", "redact", "reveal", "uninstall"]

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
#: What a secret's value is replaced by.
MASK = "***"
#: Shorter credentials are not blanked out of answers: they would blank ordinary words.
MIN_ECHOED = 6

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


def mask(secret: str | None) -> str:
    """The first four characters of a secret and an ellipsis, for reprs and logs.

    Example:
        >>> mask("sk-0123456789"), mask(None)
        ('sk-0…', '<none>')
    """
    return f"{secret[:4]}…" if secret else "<none>"


def mask_url(url: str) -> str:
    """``url`` without its credentials (user, password, a ``password=`` parameter), for reprs, logs and errors.

    Example:
        >>> mask_url("redis://analyst:hunter2@cache.example:6379/0")
        'redis://***@cache.example:6379/0'
        >>> mask_url("unix:///run/redis.sock?db=1&password=hunter2")
        'unix:///run/redis.sock?db=1&password=***'
        >>> mask_url("redis://localhost:6379/0")
        'redis://localhost:6379/0'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@" + netloc.rsplit("@", 1)[1]
    query = urlencode([(k, MASK if k.lower() in ("password", "username", "user") else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    # written out rather than urlunsplit(), which drops the empty host of unix:///path
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


class Secret:
    """A credential whose ``str`` and ``repr`` are masked; :meth:`reveal` gives the value to the one place
    that builds a request.

    Example:
        >>> key = Secret("sk-0123456789")
        >>> str(key), repr(key), f"{key}", key.reveal()
        ('sk-0…', "Secret('sk-0…')", 'sk-0…', 'sk-0123456789')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself (only where a request is built)."""
        return self._value

    def __str__(self) -> str:
        return mask(self._value)

    def __format__(self, spec: str) -> str:
        return mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # never pickled with its value (worker processes, caches)
        raise TypeError("a Secret is not picklable")


def reveal(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every :class:`Secret` replaced by its value (for the request being built).

    Example:
        >>> reveal({"apikey": Secret("sk-1"), "limit": "5"})
        {'apikey': 'sk-1', 'limit': '5'}
    """
    return {k: v.reveal() if isinstance(v, Secret) else v for k, v in values.items()}


def holds_secret(text: str) -> bool:
    """Whether ``text`` holds a secret: one already blanked (:data:`MASK`) or one :func:`redact` would change.

    Example:
        >>> holds_secret("corr-***"), holds_secret("apikey=sk-0123456789"), holds_secret("image/png")
        (True, True, False)
    """
    return MASK in text or redact(text) != text


def _forms(secret: str) -> set[str]:
    """A secret as given, percent-encoded (in a URL or a form) and percent-decoded (from a URL)."""
    return {secret, quote(secret, safe=""), quote(secret), unquote(secret)} - {""}


def blank(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` (as given, percent-encoded or -decoded) replaced by :data:`MASK`: for
    text that may hold a value we know (a team's Redis password in an error), where :func:`redact`'s patterns
    would not recognise it.

    Example:
        >>> blank("cannot parse redis://analyst:p%40ss@host", ["p@ss", "analyst"])
        'cannot parse redis://***:***@host'
    """
    return _blanked(text, [form for secret in secrets for form in _forms(secret)])


def _blanked(text: str, forms: Iterable[str]) -> str:
    for form in forms:
        text = text.replace(form, MASK)
    return text


def blank_echoes(response: Any, secrets: Iterable[str]) -> None:
    """Blank every secret a server echoed into ``response`` (in ``error_msg``, a title, a header such as
    ``x-correlation-id``, anywhere; as given or percent-encoded) before anything reads the answer: exceptions,
    frames, reports and the cache never see it. Secrets shorter than :data:`MIN_ECHOED` are left alone.

    Example:
        >>> import requests
        >>> r = requests.Response(); r._content = b'{"error_msg": "bad key sk-0123456789"}'
        >>> r.headers["x-correlation-id"] = "sk-0123456789"
        >>> blank_echoes(r, ["sk-0123456789", "abc"]); r.content, r.headers["x-correlation-id"]
        (b'{"error_msg": "bad key ***"}', '***')
    """
    forms = [form for secret in secrets if len(secret) >= MIN_ECHOED for form in _forms(secret)]  # once per answer
    content = response.content or b""
    for form in forms:
        content = content.replace(form.encode(), MASK.encode())
    response._content = content
    for name, value in list(response.headers.items()):
        blanked = _blanked(value, forms)
        if blanked != value:
            response.headers[name] = blanked


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
