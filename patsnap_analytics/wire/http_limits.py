"""Limits on one HTTP exchange: a deadline for the whole call, a cap on the answer's decoded size, and no
redirect followed.

``requests`` applies ``timeout`` to each socket read, so a server that drips one byte every half second holds
a ``timeout=1`` call for as long as it likes, and it reads a body whole, so a 200 MB answer (or a small gzip
bomb) lands in memory at once. :func:`exchange` sends one prepared request and returns it fully read, or
raises:

1. **No redirect is followed.** The API never redirects; a redirect would re-send the api key (in the query
   string) or the image (a 307 on upload) to wherever ``Location`` points. A 3xx answer is an error naming
   the host it pointed to.
2. **A deadline for the whole call.** A watchdog shuts the connection's socket down when ``timeout`` has
   passed since the call began, whatever is being read (the answer's head or its body); the blocked read then
   fails at once and the call raises :class:`~patsnap_analytics.errors.DeadlineExceeded`. Connections of
   sessions the client creates are known from the moment the request goes out (:class:`DeadlineAdapter`);
   on a session you bring, the watchdog takes over once the head has arrived.
3. **A size cap.** The body is read in chunks, decoded as it streams (urllib3 inflates gzip/deflate
   chunk by chunk), and reading stops at :data:`MAX_ANSWER_BYTES`: a bomb never expands past the cap.

On a session the client made, what the environment says about a host (proxies, a CA bundle, a netrc login:
:class:`HostEnvironment`) is read on the first call to that host and kept, as the client reads its own settings
once; requests reads it on every call. A session you bring is left to requests.

Example:
    >>> session = requests.Session(); mount(session)
    >>> type(session.get_adapter("https://connect.patsnap.com")).__name__
    'DeadlineAdapter'
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from requests.utils import get_auth_from_url, get_environ_proxies, get_netrc_auth
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import AnswerTooLarge, DeadlineExceeded, RedirectRefused, TransportError, network_failure

__all__ = ["MAX_ANSWER_BYTES", "DeadlineAdapter", "HostEnvironment", "exchange", "mount", "prepare"]

#: Largest decoded answer read: a search answer of 100 rows is about 40 KB; a few MB is far above any.
MAX_ANSWER_BYTES = 8 * 2**20
_CHUNK = 64 * 1024

# thread id -> the urllib3 connection that thread is sending on (set as each request goes out)
_sending: dict[int, Any] = {}
_sending_lock = threading.Lock()


class _Registered:
    """Mixin for urllib3 connections: publish the connection a thread is about to use."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with _sending_lock:
            _sending[threading.get_ident()] = self
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Registered, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Registered, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


@dataclass(frozen=True)
class HostEnvironment:
    """What the environment says about one ``scheme://host``, as requests reads it when ``trust_env`` is on:
    proxies (``HTTPS_PROXY``, ``NO_PROXY``, ...), a CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) and a
    ``~/.netrc`` login. Its repr shows neither the proxies (they may carry a login) nor the login.

    Example:
        >>> HostEnvironment({"https": "http://me:pw@proxy:3128"}, None, ("me", "netrc-pw"))
        HostEnvironment(ca_bundle=None)
    """

    proxies: dict[str, str] = field(repr=False)
    ca_bundle: str | None
    login: tuple[str, str] | None = field(repr=False)

    @classmethod
    def read(cls, url: str) -> HostEnvironment:
        """Read it (the environment variables, and the netrc file when there is one)."""
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        return cls(get_environ_proxies(url, no_proxy=None), bundle, get_netrc_auth(url))


class _NoLogin(requests.auth.AuthBase):
    """No login: what a host without a netrc entry gets (said, so that requests does not look it up again)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_LOGIN = _NoLogin()


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections the deadline watchdog can find before the answer's head arrives;
    it also keeps each host's :class:`HostEnvironment`, read on the first call to the host (requests reads the
    environment and the netrc file on every call: about 0.1 ms of a 4 ms loopback call).

    Example:
        >>> DeadlineAdapter().poolmanager.pool_classes_by_scheme["https"].__name__
        '_HTTPSPool'
    """

    def environment(self, url: str) -> HostEnvironment:
        """The environment of the URL's ``scheme://host:port``, read once."""
        environments = self._environments()
        host = _host_key(url)
        found = environments.get(host)
        if found is None:
            found = environments[host] = HostEnvironment.read(url)
        return found

    def forget_environment(self, url: str) -> None:
        """Read the host's environment again on its next call (after a network failure: the proxy or the CA
        bundle may be what the user is changing)."""
        self._environments().pop(_host_key(url), None)

    def _environments(self) -> dict[str, HostEnvironment]:
        # in the instance's dict, made on first use: a copied or unpickled adapter (requests keeps only its
        # own attributes) starts with none
        return self.__dict__.setdefault("_host_environments", {})

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def _host_key(url: str) -> str:
    """``scheme://host:port`` of a URL, without any login in it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


def _environment_of(session: requests.Session, url: str) -> HostEnvironment | None:
    """The host's environment kept by the session's :class:`DeadlineAdapter` (sessions the client made), or
    ``None`` when requests is to read it itself (a session brought by the caller, or one not trusting it)."""
    if not session.trust_env:
        return None
    adapter = _deadline_adapter(session, url)
    return adapter.environment(url) if adapter is not None else None


def _deadline_adapter(session: requests.Session, url: str) -> DeadlineAdapter | None:
    """The session's :class:`DeadlineAdapter` for ``url``, or ``None`` (another adapter, or none: then the send
    says so, as a network failure)."""
    try:
        adapter = session.get_adapter(url)
    except requests.exceptions.InvalidSchema:
        return None
    return adapter if isinstance(adapter, DeadlineAdapter) else None


def prepare(session: requests.Session, request: requests.Request) -> requests.PreparedRequest:
    """``session.prepare_request(request)``, with the netrc login requests would look up for it (a file read
    per call) taken from the host's environment, read once, on a session the client made.

    Example:
        >>> s = requests.Session(); mount(s)
        >>> prepare(s, requests.Request("GET", "http://127.0.0.1:9/x", params={"a": "1"})).url
        'http://127.0.0.1:9/x?a=1'
    """
    environment = _environment_of(session, request.url)
    if environment is not None and not request.auth and not session.auth:
        # what requests does without a netrc entry: a login written in the URL, else none
        request.auth = environment.login or _url_login(request.url) or _NO_LOGIN
    return session.prepare_request(request)


def _url_login(url: str) -> tuple[str, str] | None:
    login = get_auth_from_url(url)
    return login if any(login) else None


def _forget_environment(session: requests.Session, url: str) -> None:
    adapter = _deadline_adapter(session, url)
    if adapter is not None:
        adapter.forget_environment(url)


def _send_settings(session: requests.Session, url: str) -> dict[str, Any]:
    """What ``session.send`` takes besides the request (proxies, stream, verify, cert): requests'
    ``merge_environment_settings``, with the environment's part read once per host on a session the client made."""
    environment = _environment_of(session, url)
    if environment is None:
        return session.merge_environment_settings(url, {}, True, None, None)
    # the rest of merge_environment_settings, as it runs once the environment is read
    return {"proxies": merge_setting(dict(environment.proxies), session.proxies),
            "stream": merge_setting(True, session.stream),
            "verify": merge_setting(environment.ca_bundle, session.verify),
            "cert": merge_setting(None, session.cert)}


def mount(session: requests.Session) -> None:
    """Mount :class:`DeadlineAdapter` for http and https on a session the client created.

    Example:
        >>> s = requests.Session(); mount(s); isinstance(s.get_adapter("http://x"), DeadlineAdapter)
        True
    """
    adapter = DeadlineAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)


class _Watchdog:
    """Shuts the calling thread's connection down at the deadline (fired by the one :class:`_Alarms` thread)."""

    def __init__(self, seconds: float) -> None:
        self.thread = threading.get_ident()
        self.fired = False
        self.done = False
        self.response: requests.Response | None = None
        self._deadline = time.monotonic() + max(0.0, seconds)

    def __enter__(self) -> _Watchdog:
        with _sending_lock:
            _sending.pop(self.thread, None)
        _ALARMS.add(self._deadline, self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _sending_lock:  # once done (said under the lock fire() holds), a finished call is never cut
            self.done = True
            _sending.pop(self.thread, None)
        self.response = None  # the alarms forget a finished watchdog later: it must not keep the answer alive

    def fire(self) -> None:
        with _sending_lock:
            if self.done:
                return
            self.fired = True
            sock = getattr(_sending.get(self.thread), "sock", None)
            if sock is None and self.response is not None:  # a session we did not create: known once the head is in
                sock = getattr(getattr(self.response.raw, "_connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # unblocks a read in progress at once (close() would not)
                    sock.shutdown(socket.SHUT_RDWR)


class _Alarms:
    """One daemon thread for every watchdog of the process (a timer thread per call would cost more than a
    loopback call): it sleeps until the earliest deadline, fires the watchdogs whose call is still out, and
    forgets the finished ones. A call adds its deadline without waking it, unless that deadline is earlier
    than the one it sleeps until."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        self._due: list[tuple[float, int, _Watchdog]] = []  # a heap by deadline
        self._count = itertools.count()
        self._sleeps_until = math.inf
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, watchdog: _Watchdog) -> None:
        with self._wake:
            # finished calls at the head go now (calls share one timeout, so the earliest deadlines are the
            # oldest calls): the heap holds the calls still out, not every call of the last `timeout` seconds
            while self._due and self._due[0][2].done:
                heapq.heappop(self._due)
            heapq.heappush(self._due, (deadline, next(self._count), watchdog))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="patsnap-deadlines", daemon=True)
                self._thread.start()
            elif deadline < self._sleeps_until:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                fire = [w for d, _, w in self._due if d <= now and not w.done]
                self._due = [e for e in self._due if e[0] > now and not e[2].done]
                heapq.heapify(self._due)
                self._sleeps_until = self._due[0][0] if self._due else math.inf
                if not fire:
                    self._wake.wait(None if not self._due else self._sleeps_until - now)
            for watchdog in fire:
                watchdog.fire()


_ALARMS = _Alarms()
os.register_at_fork(after_in_child=_ALARMS._reset)  # a forked child has no alarm thread (and a fresh lock)


def exchange(session: requests.Session, prepared: requests.PreparedRequest, *, where: str, timeout: float,
             max_bytes: int = MAX_ANSWER_BYTES, doing: str | None = None, **send_kwargs: Any) -> requests.Response:
    """Send ``prepared`` through ``session`` and return the answer fully read, within ``timeout`` seconds in
    all and at most ``max_bytes`` decoded. ``where`` (the path) and the host name the call in errors, never
    the URL (which may carry a credential); ``doing`` says what the call was for in a network failure
    (default ``calling <where>``).

    Example:
        >>> prepared = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
        >>> exchange(requests.Session(), prepared, where="/x", timeout=5)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.TransportError: 127.0.0.1:9 refused the connection calling /x: nothing listens there (check PATSNAP_BASE_URL / base_url=; a stopped sandbox answers like this)
    """
    settings = _send_settings(session, prepared.url or "")
    host = _host(prepared.url)
    failure: TransportError | None = None
    with _Watchdog(timeout) as watchdog:
        try:
            response = session.send(prepared, allow_redirects=False, timeout=timeout, **settings, **send_kwargs)
            watchdog.response = response
            _refuse_redirect(response, f"{where} on {host}")
            _read_capped(response, f"{where} on {host}", max_bytes, time.monotonic() + timeout)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # the cause named (DNS, refused, TLS, timeout, ...), never the exception's text: it holds the URL
            failure = network_failure(exc, doing=doing or f"calling {where}", host=host)
    # raised outside the except block: requests' exceptions hold the full URL (the api key) and the headers
    if failure is not None:
        _forget_environment(session, prepared.url or "")
    if failure is not None and watchdog.fired:
        raise DeadlineExceeded(f"{host} did not answer in time {doing or f'calling {where}'}: no complete answer "
                               f"within timeout={timeout:g} s (the network or the API is slow)", cause="timeout")
    if failure is not None:
        raise failure
    return response


def _host(url: str | None) -> str:
    """``host:port`` of a URL, without any userinfo."""
    parts = requests.utils.urlparse(url or "")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _refuse_redirect(response: requests.Response, where: str) -> None:
    if not response.is_redirect:
        return
    target = requests.utils.urlparse(response.headers.get("Location", "")).netloc or "the same host"
    response.close()
    raise RedirectRefused(f"{where} answered HTTP {response.status_code}, a redirect to {target}: not followed, "
                         "so neither your key nor your image goes there (the API never redirects; check "
                         "base_url, e.g. https:// instead of http://)")


def _decoded_chunks(response: requests.Response, max_bytes: int) -> Iterator[bytes]:
    """The body decoded chunk by chunk, each inflation bounded (``max_length``): 16 KB of a gzip bomb never
    becomes 16 MB in one step. Encodings other than gzip/deflate are left to urllib3."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.raw.stream(_CHUNK, decode_content=True)
        return
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    for raw in response.raw.stream(16 * 1024, decode_content=False):
        pending = raw
        while pending:
            out = inflater.decompress(pending, max_length=max_bytes + 1)
            pending = inflater.unconsumed_tail
            if out:
                yield out


def _read_capped(response: requests.Response, where: str, max_bytes: int, deadline: float) -> None:
    """Read the body, decoded as it streams, stopping at ``max_bytes``; sets ``response._content``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes and not response.headers.get("Content-Encoding"):
        response.close()
        raise AnswerTooLarge(f"{where} answered {int(declared) / 2**20:.1f} MB, over the cap of "
                             f"{max_bytes / 2**20:g} MB; not read")
    body = bytearray()
    for chunk in _decoded_chunks(response, max_bytes):
        body += chunk
        if len(body) > max_bytes:
            response.close()
            raise AnswerTooLarge(f"{where} answered more than {max_bytes / 2**20:g} MB (decoded); reading "
                                 "stopped there and nothing was stored")
        if time.monotonic() > deadline:
            response.close()
            raise DeadlineExceeded(f"{where} did not answer in full within the deadline")
    response._content = bytes(body)
    response._content_consumed = True
    response.close()
