"""Sandbox: the local PatSnap-compatible server, run by uvicorn in a background thread.

Clients connect to it like to the real API, with its URL and credentials; the toolkit's own client with
``patsnap_analytics.connect(sandbox=sb)`` (the sandbox imports nothing of the client).

Example:
    >>> import patsnap_analytics as pa
    >>> with Sandbox(designs=300) as sb:                           # doctest: +SKIP
    ...     df = pa.connect(sandbox=sb).search_designs("chair.png", limit=5)
    ...     sb.stats["/image-search/search-id"]
    1
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .faults import Clock, Faults, FaultSettings
from .protocol import BUSINESS_ENDPOINTS
from .sample import DEFAULT_DESIGNS
from .state import SandboxState

__all__ = ["Sandbox", "connection_room"]


def _calendar_start(today: date | datetime | str | None) -> datetime | None:
    """Where the sandbox's calendar starts: a datetime as given; a day at noon (its night is then hours away).

    Example:
        >>> _calendar_start("2024-06-01"), _calendar_start(None)
        (datetime.datetime(2024, 6, 1, 12, 0), None)
    """
    if today is None or isinstance(today, datetime):
        return today
    day = date.fromisoformat(today) if isinstance(today, str) else today
    if not isinstance(day, date):
        raise TypeError(f"today must be a date, a datetime or 'YYYY-MM-DD', got {type(today).__name__}")
    return datetime(day.year, day.month, day.day, 12)

_LOOPBACK_NAMES = {"localhost"}
START_TIMEOUT = 15.0


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: Seconds a connection may stay open without a complete request head (idle, or a request half sent).
IDLE_TIMEOUT = 10.0
#: Connections served at once; beyond, the oldest idle one is closed, else the slowest still sending its body
#: (else the new one). Fewer when the process may not open that many files (``RLIMIT_NOFILE``).
MAX_CONNECTIONS = 100
#: Connections taken from the kernel's queue in one go: few, so the files they use are counted (and idle ones
#: closed) before more are taken; the queue itself stays long (:data:`LISTEN_BACKLOG`).
ACCEPT_BATCH = 16
#: Connections the kernel may hold for the sandbox before it takes them (a flood waits there, not in our files).
LISTEN_BACKLOG = 2048
#: Files kept free beyond the connections (the corpus, logs, a client's upload being read).
FD_MARGIN = 32


def connection_room(requested: int) -> int:
    """``requested`` connections, or fewer when this process may not open files for that many (plus a batch being
    accepted and a margin): a server out of file descriptors stops accepting for a second at a time, and a
    legitimate client behind 300 idle sockets waited 5 s.

    Example:
        >>> 1 <= connection_room(100) <= 100
        True
    """
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # no rlimits (Windows): nothing to fit into
        return requested
    if soft == resource.RLIM_INFINITY:
        return requested
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 64
    return max(1, min(requested, soft - in_use - ACCEPT_BATCH - FD_MARGIN))


def _protocol_class(transports: dict[tuple[str, int], Any], *, idle_timeout: float = IDLE_TIMEOUT,
                    max_connections: int = MAX_CONNECTIONS) -> type[H11Protocol]:
    """uvicorn's h11 protocol that registers each connection's transport by client address, closes idle
    and half-sent connections, and bounds how many are open.

    The "dropped connection" fault needs to abort the TCP connection before any answer; ASGI offers no
    handle on the transport, so this subclass publishes it (one registry per sandbox). uvicorn closes a
    keep-alive connection only after a response and restarts that timer on every byte received, so a client
    that connects and sends nothing, or drips a request head, would hold a file descriptor for ever: here a
    complete request head must arrive within ``idle_timeout`` of the connection (or of the last response).
    Beyond ``max_connections`` the oldest idle connection makes room, else the one sending its request body
    the slowest (100 connections dripping an upload body locked every legitimate request out for 25-30 s,
    until the gateway's body timeout); only when every connection is busy answering is the new one refused.
    """

    class GuardedH11Protocol(H11Protocol):
        _head_timer: Any = None
        _body_since: float | None = None  # when the request head was complete (its body started)
        _body_bytes = 0

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if self.client:
                transports[tuple(self.client)] = transport
            self._arm_head_timer()
            if len(self._open_others()) >= max_connections:
                self._make_room()

        def _busy(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def _open_others(self) -> list[GuardedH11Protocol]:
            """The other connections not already closing (a closed one leaves the set a moment later)."""
            return [c for c in self.connections if c is not self and not c.transport.is_closing()]

        def _make_room(self) -> None:
            others = self._open_others()
            idle = [c for c in others if not c._busy()]
            sending = [c for c in others if c._sending_body()]
            if idle:
                victim = min(idle, key=lambda c: c._opened)
            elif sending:
                victim = min(sending, key=lambda c: c._body_rate())
            else:
                victim = self
            victim.transport.abort()

        def _sending_body(self) -> bool:
            """A request head arrived and its body is still coming (no answer can start before it is in)."""
            return self._busy() and self._body_since is not None and self.cycle.more_body

        def _body_rate(self) -> float:
            """Bytes a second this connection has sent since its request head (a dripper: a few)."""
            return self._body_bytes / max(self.loop.time() - (self._body_since or 0.0), 1e-3)

        def _arm_head_timer(self) -> None:
            self._opened = self.loop.time()
            self._cancel_head_timer()
            self._head_timer = self.loop.call_later(idle_timeout, self._close_if_idle)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _close_if_idle(self) -> None:
            if not self._busy() and not self.transport.is_closing():
                self.transport.abort()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._busy():  # a whole request head arrived: the route and the gateway take it from here
                self._cancel_head_timer()
                if self._body_since is None:
                    self._body_since = self.loop.time()
                self._body_bytes += len(data)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._body_since, self._body_bytes = None, 0
            self._arm_head_timer()  # the next request head must come as promptly

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            if self.client and transports.get(tuple(self.client)) is self.transport:
                del transports[tuple(self.client)]
            super().connection_lost(exc)

    return GuardedH11Protocol


class Sandbox:
    """A PatSnap-compatible server on 127.0.0.1 with a generated corpus, fresh credentials and fault knobs.

    ``corpus``: ``None`` (the generated sample corpus of ``designs`` designs, cached on disk), a ``Corpus``
    or the path of a corpus directory. ``port=0`` picks a free port. ``seed`` makes the random faults
    reproducible. ``idle_timeout``: seconds a connection may stay open without a complete request head;
    ``max_connections``: connections served at once (the oldest idle one is closed to make room, else the
    slowest sending a request body; fewer when the process may not open that many files).
    Fault knobs (all off by default) are those of :class:`~.faults.FaultSettings`:
    ``latency, qps_limit, rate_limit_fraction, service_error_fraction, http_503_fraction, drop_fraction,
    daily_quota, balance, token_lifetime, upload_expire``; change them at runtime with :meth:`configure`.

    Example:
        >>> sb = Sandbox(designs=300, qps_limit=5)                  # doctest: +SKIP
        >>> with sb:                                                 # doctest: +SKIP
        ...     sb.url.startswith("http://127.0.0.1:"), sb.api_key.startswith("sk-sandbox-")
        (True, True)
    """

    def __init__(
        self,
        *,
        corpus: Any = None,
        designs: int = DEFAULT_DESIGNS,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        corpus_seed: int = 0,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        today: date | datetime | str | None = None,
        **faults: Any,
    ) -> None:
        unknown = set(faults) - set(FaultSettings.names())
        if unknown:
            raise TypeError(f"unknown Sandbox option(s) {sorted(unknown)}; fault knobs: "
                            f"{', '.join(FaultSettings.names())}")
        if not _is_loopback(host):
            warnings.warn(f"the sandbox will listen on {host}, beyond loopback: other machines can reach it",
                          stacklevel=2)
        self.host = host
        self.port = port
        self._corpus_arg = corpus
        self.idle_timeout, self.max_connections = float(idle_timeout), int(max_connections)
        self._designs = designs
        self._corpus_seed = corpus_seed
        self._clock = Clock(start=_calendar_start(today))
        self.faults = Faults(FaultSettings(**faults), seed=seed, clock=self._clock)
        self._state: SandboxState | None = None
        self._engine: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url: str | None = None
        self._build_state()

    # ------------------------------------------------------------------ credentials and state
    def _build_state(self) -> None:
        # the engine is loaded by start() (or the first .engine access); requests only come after start()
        self._state = SandboxState(engine=None, faults=self.faults, clock=self._clock,
                                   body_timeout=3 * self.idle_timeout)
        self.client_id, self.client_secret = self._state.credentials.add_client()

    @property
    def api_key(self) -> str:
        """The sandbox's api key (``sk-sandbox-`` + random hex, new for every Sandbox)."""
        return self._state.credentials.api_key

    @property
    def engine(self) -> Any:
        """The search engine (loads the corpus and its feature index on first use)."""
        if self._engine is None:
            from .corpus import Corpus, load_corpus
            from .engine import Engine
            from .sample import sample_corpus

            arg = self._corpus_arg
            if arg is None:
                corpus = sample_corpus(self._designs, seed=self._corpus_seed)
            elif isinstance(arg, Corpus):
                corpus = arg
            elif isinstance(arg, (str, Path)):
                corpus = load_corpus(arg)
            else:
                raise TypeError(f"corpus must be None, a Corpus or a directory path, got {type(arg).__name__}")
            self._engine = Engine(corpus)
        return self._engine

    @property
    def corpus(self) -> Any:
        """The corpus served (its ``meta`` DataFrame holds one row per design)."""
        return self.engine.corpus

    # ------------------------------------------------------------------ the synthetic truth
    def study_queries(self, n: int = 40, *, seed: int = 0) -> Any:
        """``n`` study queries made from the corpus's design families, and their graded synthetic truth
        (a :class:`~.truth.StudySet`: ``names``, ``images``, ``keys``, ``truth``). Query ``k`` of a seed is the
        same whatever ``n``; the sandbox remembers their keys, so ``GET /_sandbox/truth`` answers for them.

        Example:
            >>> study = sb.study_queries(40, seed=0)                     # doctest: +SKIP
            >>> study.truth.groupby("verdict").size()                    # doctest: +SKIP
        """
        from .truth import StudySet, truth_frame

        queries = self._state.study.generate(self.corpus, n, seed)
        return StudySet(queries, truth_frame(self.corpus, queries))

    def truth(self, query_keys: Any, *, patent_ids: Any = None) -> Any:
        """The synthetic verdicts (a DataFrame, :data:`~.truth.TRUTH_COLUMNS`) of study queries this sandbox
        generated, by query key; ``patent_ids`` (e.g. a search's hits) adds a ``different`` row for each one
        outside the query's family. A key it did not generate raises :class:`~.truth.UnknownQuery`.

        Example:
            >>> sb.truth(study.keys[:2], patent_ids=hits.patent_id)      # doctest: +SKIP
        """
        keys = [query_keys] if isinstance(query_keys, str) else list(query_keys)
        return self._state.study.truth(self.corpus, keys, patent_ids=patent_ids)

    def add_client(self) -> tuple[str, str]:
        """Register another OAuth client (e.g. to test a token used with the wrong client id).

        Example:
            >>> cid, secret = Sandbox(designs=300).add_client()         # doctest: +SKIP
        """
        return self._state.credentials.add_client()

    # ------------------------------------------------------------------ runtime knobs
    def configure(self, **changes: Any) -> FaultSettings:
        """Change fault knobs while running, e.g. ``sb.configure(rate_limit_fraction=0.2)``; ``seed=`` too."""
        return self.faults.update(**changes)

    def fail_next(self, *error_codes: int) -> None:
        """Answer the next business calls (after auth) with these error codes, one call each, in order.

        Example:
            >>> sb.fail_next(67200004)                                   # doctest: +SKIP
        """
        self.faults.fail_next(*error_codes)

    def advance_day(self) -> None:
        """Start a new day: the daily quota is available again."""
        self.faults.advance_day()

    def advance_clock(self, seconds: float) -> None:
        """Move the sandbox's clock forward: tokens and upload URLs age without sleeping, the calendar moves
        on (designs published meanwhile appear; overnight jobs whose night passed are done)."""
        self._clock.advance(seconds)

    def now(self) -> datetime:
        """The date and time on the sandbox's calendar (the vendor's local time, naive).

        Example:
            >>> Sandbox(designs=300, today="2026-11-01").now().isoformat()[:13]     # doctest: +SKIP
            '2026-11-01T12'
        """
        return self._clock.calendar()

    def today(self) -> date:
        """The day on the sandbox's calendar: what its searches are "as of"."""
        return self._clock.today()

    @property
    def stats(self) -> dict[str, int]:
        """Requests received per business endpoint (zeros included), failed ones too."""
        return self._state.stats.snapshot()["calls"]

    def stats_detail(self) -> dict[str, dict[str, int]]:
        """``{"calls": ..., "errors": ..., "by_error_code": ..., "delayed": ...}``, as ``GET /_sandbox/stats``."""
        return self._state.stats.snapshot()

    def reset_stats(self) -> None:
        """Set every count back to zero."""
        self._state.stats.reset()

    # ------------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        """True while the server thread serves."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Sandbox:
        """Load the corpus, bind, and serve in a daemon thread; returns once it accepts connections."""
        if self.running:
            return self
        self._state.engine = self.engine  # load before listening, so the first request is not slow
        sock = self._bind()
        port = sock.getsockname()[1]
        url_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if url_host == "::":
            url_host = "::1"
        if ":" in url_host:
            url_host = f"[{url_host}]"
        self.url = f"http://{url_host}:{port}"
        self._state.base_url = self.url
        config = uvicorn.Config(
            create_app(self._state),
            http=_protocol_class(self._state.transports, idle_timeout=self.idle_timeout,
                                 max_connections=connection_room(self.max_connections)),
            ws="none",
            backlog=ACCEPT_BATCH,  # asyncio accepts this many per wake-up (and listens with it: see below)
            lifespan="off",
            log_config=None,       # never reconfigure the host process's logging (notebooks)
            log_level="warning",
            access_log=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                  name=f"patsnap-sandbox-{port}")
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox failed to start on {self.url}")
            time.sleep(0.01)
        sock.listen(LISTEN_BACKLOG)  # a long kernel queue again: only the batch taken per wake-up stays small
        return self

    def _bind(self) -> socket.socket:
        infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        family, socktype, proto, _, address = infos[0]
        sock = socket.socket(family, socktype, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        return sock

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, thread, sock = self._server, self._thread, self._socket
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout=5)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._socket = None
        self._state.transports.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:  # no secrets in reprs
        where = self.url or "not running"
        return f"Sandbox({where}, endpoints={len(BUSINESS_ENDPOINTS)})"

