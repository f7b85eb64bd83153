"""The sandbox's server-side state: call statistics, uploaded files, credentials and tokens.

:class:`SandboxState` bundles them with the engine, the fault knobs and the clock; the gateway and the
routes read and change it, the :class:`~patsnap_analytics.sandbox.Sandbox` owns it. Nothing here speaks
HTTP: the credentials answer in the vendor's error codes (:class:`~.protocol.ApiFailure`).

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> state = SandboxState(engine=None, faults=Faults())
    >>> state.credentials.api_key.startswith("sk-sandbox-"), state.stats.snapshot()["calls"]["/oauth/token"]
    (True, 0)
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..api import SEARCH_ID_LIFETIME
from .decoding import DecodeBudget, decode_plan
from .faults import Clock, Faults
from .jobs import JobStore
from .protocol import BUSINESS_ENDPOINTS, TOKEN_PATH, ApiFailure
from .truth import StudyBook

__all__ = ["MAX_SEARCH_ID_BYTES", "MAX_STORED_UPLOADS", "MAX_STORED_UPLOAD_BYTES", "Credentials", "SandboxState",
           "SearchIds", "Stats", "Upload", "UploadStore"]

MAX_STORED_UPLOADS = 2000
#: Total bytes of stored uploads (a count alone would let 2,000 uploads of 4 MB hold 8 GB); oldest go first.
MAX_STORED_UPLOAD_BYTES = 256 * 2**20
#: Query features kept per image (a search of the same upload again does not decode it again).
MAX_CACHED_FEATURES = 256
#: Images decoded at once: a 50-megapixel drawing takes a few hundred MB while it is decoded.
MAX_CONCURRENT_DECODES = 2
#: Query images kept for live search ids, in bytes at most (the oldest searches are forgotten first).
MAX_SEARCH_ID_BYTES = 256 * 2**20


class Stats:
    """Requests received per business endpoint (failed ones included), errors per endpoint and per code.

    Example:
        >>> s = Stats(); s.record("/oauth/token", "67200003"); s.snapshot()["calls"]["/oauth/token"]
        1
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Back to zero."""
        with self._lock:
            self.calls: Counter[str] = Counter({path: 0 for path in BUSINESS_ENDPOINTS})
            self.errors: Counter[str] = Counter({path: 0 for path in BUSINESS_ENDPOINTS})
            self.by_error_code: Counter[str] = Counter()
            self.delayed: Counter[str] = Counter({path: 0 for path in BUSINESS_ENDPOINTS})

    def record_delay(self, path: str) -> None:
        """Count one call that the ``latency`` knob held back (tests read this instead of timing calls)."""
        with self._lock:
            self.delayed[path] += 1

    def record(self, path: str, error: str | None) -> None:
        """Count one request to ``path``; ``error`` is its error code, ``'http_503'``, ``'dropped'`` or None."""
        with self._lock:
            self.calls[path] += 1
            if error is not None:
                self.errors[path] += 1
                self.by_error_code[error] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Plain dicts (a copy)."""
        with self._lock:
            return {"calls": dict(self.calls), "errors": dict(self.errors),
                    "by_error_code": dict(sorted(self.by_error_code.items())), "delayed": dict(self.delayed)}


@dataclass
class Upload:
    """One uploaded image held by the sandbox until it expires.

    Example:
        >>> Upload(b"\\x89PNG...", "png", expires_at=32400.0).kind
        'png'
    """

    data: bytes
    kind: str
    expires_at: float


class UploadStore:
    """Uploaded images by random id; expired ones are swept on every access.

    Bounded in count (``max_count``) and in total bytes (``max_bytes``): beyond either, the oldest uploads
    are deleted first (their URLs then answer "expired", as after their lifetime).

    Example:
        >>> store = UploadStore(Clock(), max_bytes=5); name = store.add(b"...", "png", expire=60)
        >>> store.lookup(name.split(".")[0]).kind
        'png'
        >>> _ = store.add(b"....", "png", expire=60); store.lookup(name.split(".")[0]), store.stored_bytes
        ('expired', 4)
    """

    def __init__(self, clock: Clock, *, max_count: int = MAX_STORED_UPLOADS,
                 max_bytes: int = MAX_STORED_UPLOAD_BYTES) -> None:
        self.clock = clock
        self.max_count, self.max_bytes = max_count, max_bytes
        self.stored_bytes = 0
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Upload] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()  # remembered to say "expired", not "unknown"

    def add(self, data: bytes, kind: str, *, expire: float) -> str:
        """Store and return the file name ``<32 hex>.png|jpg``."""
        ident = secrets.token_hex(16)
        with self._lock:
            self._sweep()
            self._items[ident] = Upload(data, kind, self.clock.now() + expire)
            self.stored_bytes += len(data)
            # bound memory in a long-running `sandbox serve`: by count and by bytes, oldest first
            while len(self._items) > self.max_count or (self.stored_bytes > self.max_bytes and len(self._items) > 1):
                self._drop(next(iter(self._items)))
        return f"{ident}.{'jpg' if kind == 'jpeg' else 'png'}"

    def _drop(self, ident: str) -> None:
        self.stored_bytes -= len(self._items.pop(ident).data)
        self._remember_expired(ident)

    def lookup(self, ident: str) -> Upload | str | None:
        """The live upload with that id; ``"expired"`` when it was issued and has expired; else ``None``."""
        with self._lock:
            self._sweep()
            upload = self._items.get(ident)
            if upload is None and ident in self._expired:
                return "expired"
            return upload

    def _sweep(self) -> None:
        now = self.clock.now()
        for ident in [i for i, up in self._items.items() if up.expires_at <= now]:
            self._drop(ident)

    def _remember_expired(self, ident: str) -> None:
        self._expired[ident] = None
        while len(self._expired) > 10 * self.max_count:
            self._expired.popitem(last=False)


class SearchIds:
    """search-id searches that ``/image-search/results`` can page through, each for its lifetime on the
    sandbox's clock (:data:`~patsnap_analytics.api.SEARCH_ID_LIFETIME`, 20 minutes).

    The id is a pure function of the image and the filters, as a repeated search gets the same id (and a
    new lifetime); what the id keeps is the query image, bounded in total size.

    Example:
        >>> ids = SearchIds(Clock(), lifetime=1200)
        >>> sid = ids.issue(b"png-bytes", {"limit": "10"})
        >>> ids.lookup(sid), ids.lookup("nope")
        (b'png-bytes', None)
    """

    def __init__(self, clock: Clock, *, lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._bytes = 0

    def issue(self, image: bytes, params: dict[str, str]) -> str:
        """The id of this search (image + filters), alive for ``lifetime`` seconds from now."""
        material = hashlib.sha256(image).hexdigest() + json.dumps(params, sort_keys=True)
        search_id = hashlib.blake2b(material.encode(), digest_size=16).hexdigest().upper() + "-1-D"
        with self._lock:
            old = self._items.pop(search_id, None)
            self._bytes -= len(old[0]) if old else 0
            self._items[search_id] = (image, self.clock.now() + self.lifetime)
            self._bytes += len(image)
            while self._bytes > MAX_SEARCH_ID_BYTES and len(self._items) > 1:
                _, (dropped, _) = self._items.popitem(last=False)
                self._bytes -= len(dropped)
        return search_id

    def lookup(self, search_id: str) -> bytes | str | None:
        """The query image of a live id; ``"expired"`` for a known id past its lifetime; else ``None``."""
        with self._lock:
            entry = self._items.get(search_id)
        if entry is None:
            return None
        return entry[0] if self.clock.now() < entry[1] else "expired"


class Credentials:
    """The sandbox's api key, its OAuth clients and the tokens it issued.

    Example:
        >>> creds = Credentials(Clock()); cid, secret = creds.add_client()
        >>> token = creds.issue_token(cid, lifetime=60); creds.token_owner(token)[0]
        'ok'
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.api_key = "sk-sandbox-" + secrets.token_hex(16)
        self.clients: dict[str, str] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def add_client(self) -> tuple[str, str]:
        """Register one more OAuth client; returns ``(client_id, client_secret)``."""
        client_id = "sandbox-client-" + secrets.token_hex(8)
        self.clients[client_id] = "sandbox-secret-" + secrets.token_hex(16)
        return client_id, self.clients[client_id]

    def check_client(self, client_id: str, client_secret: str) -> bool:
        """True when the pair is one of ours (constant-time comparison)."""
        expected = self.clients.get(client_id)
        return expected is not None and _same(expected, client_secret)

    def issue_token(self, client_id: str, *, lifetime: float) -> str:
        """A new bearer token for ``client_id``."""
        token = "sandbox-token-" + secrets.token_hex(20)
        now = self.clock.now()
        with self._lock:
            for old in [t for t, (_, exp) in self._tokens.items() if exp <= now - 86400]:
                del self._tokens[old]  # forget long-dead tokens; recently expired ones still say "expired"
            self._tokens[token] = (client_id, now + lifetime)
        return token

    def token_owner(self, token: str) -> tuple[str, str | None]:
        """``('ok', client_id)``, ``('expired', client_id)`` or ``('unknown', None)``."""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            return "unknown", None
        client_id, expires_at = entry
        return ("ok" if self.clock.now() < expires_at else "expired"), client_id

    def authenticate(self, apikey: str | None, bearer: str | None) -> str:
        """The credential a business call acts as, or :class:`ApiFailure` with the vendor's code.

        Api-key mode: ``apikey=<key>`` (a ``Bearer <same key>`` is accepted). OAuth mode:
        ``apikey=<client_id>`` and ``Bearer <token issued to that client>``.
        """
        if not apikey:
            raise ApiFailure(67200008, "send your api key (or OAuth client id) as the apikey query parameter")
        if _same(apikey, self.api_key):
            if bearer is None or _same(bearer, self.api_key):
                return apikey
            state, _ = self.token_owner(bearer)
            if state != "unknown":
                raise ApiFailure(67200009, "an OAuth token was sent with an api key")
            raise ApiFailure(67200003, "the bearer token is neither the api key nor a token issued by this server")
        if apikey in self.clients:
            if not bearer:
                raise ApiFailure(67200003, f"OAuth mode needs 'Authorization: Bearer <token>' from {TOKEN_PATH}")
            state, owner = self.token_owner(bearer)
            if state == "unknown":
                raise ApiFailure(67200003, "unknown access token")
            if owner != apikey:
                raise ApiFailure(67200009, "the access token was issued to another client id")
            if state == "expired":
                raise ApiFailure(67200003, "the access token has expired; request a new one")
            return apikey
        raise ApiFailure(67200003, "unknown api key or client id")


def _same(given: str, expected: str) -> bool:
    """Constant-time equality that also takes non-ASCII input (``compare_digest`` refuses such str)."""
    return secrets.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


@dataclass
class SandboxState:
    """Everything the routes share: corpus, engine, credentials, uploads, faults, stats and the clock.

    Example:
        >>> state = SandboxState(engine=None, faults=Faults())  # Sandbox builds it  # doctest: +SKIP
    """

    engine: Any                      # sandbox.engine.Engine (duck-typed: .corpus and .search)
    faults: Faults
    clock: Clock = field(default_factory=Clock)
    credentials: Credentials = field(init=False)
    uploads: UploadStore = field(init=False)
    search_ids: SearchIds = field(init=False)
    stats: Stats = field(default_factory=Stats)
    study: StudyBook = field(default_factory=StudyBook)  # the study queries generated, for the synthetic truth
    base_url: str | None = None      # set by the server once bound; else taken from the request
    body_timeout: float = 30.0       # seconds a business request's body may take to arrive
    # scheme://host:port of every base URL the sandbox issued file URLs under (how it recognises its own URLs)
    issued_bases: set[str] = field(default_factory=set)
    transports: dict[tuple[str, int], Any] = field(default_factory=dict)  # client addr -> transport
    # one engine search at a time: a search scores every design (a 250k-row pass at 100k designs) and two
    # cores gain nothing from running several at once, while memory would grow with each
    search_lock: threading.Lock = field(default_factory=threading.Lock)
    decode_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_CONCURRENT_DECODES))
    # the memory decodes at once may take (a 50-megapixel RGBA drawing would take 650 MB on its own)
    decode_budget: DecodeBudget = field(default_factory=DecodeBudget)
    features: OrderedDict = field(default_factory=OrderedDict)  # image sha256 -> query feature (LRU)
    # guards ``features`` only: a search holding search_lock must not stop another request's decode
    _features_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # corpus metadata columns as object arrays, made on first use (see rows()), for the corpus they came from
    _columns: dict[str, Any] = field(default_factory=dict, repr=False)
    _columns_of: Any = field(default=None, repr=False)
    _columns_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.faults.clock = self.clock
        self.credentials = Credentials(self.clock)
        self.uploads = UploadStore(self.clock)
        self.search_ids = SearchIds(self.clock, lifetime=SEARCH_ID_LIFETIME)
        self.jobs = JobStore(self.clock)
        self._ranker: Any = None
        self._last_published: Any = None

    def visible(self, design_query: Any, *, day: date | None = None) -> Any:
        """``query`` as the API answers it on ``day`` (default: the calendar's today): designs published after
        that day are not found yet (a publication window ending then), or ``None`` when its own window lies
        wholly after that day. While the day is past every publication of the corpus (the usual case), the
        query is unchanged.

        Example:
            >>> from types import SimpleNamespace
            >>> from datetime import datetime
            >>> import pandas as pd
            >>> from patsnap_analytics.query import DesignQuery
            >>> meta = pd.DataFrame({"pbdt": pd.to_datetime(["2024-01-10", "2024-03-01"])})
            >>> state = SandboxState(engine=SimpleNamespace(corpus=SimpleNamespace(meta=meta)), faults=Faults(),
            ...                      clock=Clock(start=datetime(2024, 2, 1, 12)))
            >>> state.visible(DesignQuery()).public_end_time, state.visible(DesignQuery(public_start_time="2024-02-02"))
            (datetime.date(2024, 2, 1), None)
        """
        day = day or self.clock.today()
        if self._last_published is None or self._last_published[0] is not self.corpus:
            dates = self.corpus.meta["pbdt"]
            self._last_published = (self.corpus, dates.max().date() if dates.notna().any() else None)
        last = self._last_published[1]
        if last is None or day >= last:
            return design_query
        if design_query.public_start_time is not None and design_query.public_start_time > day:
            return None
        end = min(design_query.public_end_time or day, day)
        return design_query.replace(public_end_time=end)

    def published(self, design: int, *, day: date | None = None) -> bool:
        """Whether ``design`` is published on ``day`` (default: the calendar's today); a design without a
        publication date counts as published."""
        pbdt = self.corpus.meta["pbdt"].iat[design]
        return pbdt is None or pbdt != pbdt or pbdt.date() <= (day or self.clock.today())

    @property
    def ranker(self) -> Any:
        """The :class:`~.ranking.Ranker` over the engine (made on first use)."""
        if self._ranker is None or self._ranker.engine is not self.engine:
            from .ranking import Ranker

            self._ranker = Ranker(self.engine)
        return self._ranker

    def query_feature(self, image: bytes, *, linework: bool = False) -> Any:
        """The engine's feature of a query image (``linework``: of its line drawing, for the beta endpoint):
        computed once per image (outside the search lock, at most :data:`MAX_CONCURRENT_DECODES` at a time and
        within the :class:`~.decoding.DecodeBudget`) and kept for the next search of the same image. An image
        over the budget (never one the upload accepted) is refused with 68300010."""
        key = hashlib.sha256(image).hexdigest() + ("-linework" if linework else "")
        with self._features_lock:
            if key in self.features:
                self.features.move_to_end(key)
                return self.features[key]
        cost, refusal = decode_plan(image)
        if refusal is not None:
            raise ApiFailure(68300010, refusal)
        with self.decode_slots, self.decode_budget.hold(cost):
            if linework:
                from .linework import line_drawing  # image features load only for the beta endpoint

                image = line_drawing(image)
            feature = self.engine.query_feature(image)
        with self._features_lock:
            self.features[key] = feature
            while len(self.features) > MAX_CACHED_FEATURES:
                self.features.popitem(last=False)
        return feature

    @property
    def corpus(self) -> Any:
        """The engine's corpus."""
        return self.engine.corpus

    def rows(self, designs: list[int], columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """The corpus metadata of ``designs`` as plain Python values (strings or ``None``, dates as
        Timestamps or ``NaT``), one dict of ``columns`` a design.

        Each column is turned into an object array once, on first use: looking rows up in the frame itself
        (Arrow-backed strings) cost ~14 ms for a page of 100 rich rows at 100k designs, this well under one.

        Example:
            >>> import pandas as pd
            >>> from types import SimpleNamespace
            >>> meta = pd.DataFrame({"title": pd.array(["Chair", None], dtype="string[pyarrow]")})
            >>> state = SandboxState(engine=SimpleNamespace(corpus=SimpleNamespace(meta=meta)), faults=Faults())
            >>> state.rows([1, 0], ("title",))
            [{'title': None}, {'title': 'Chair'}]
        """
        with self._columns_lock:
            corpus = self.corpus
            if self._columns_of is not corpus:
                self._columns, self._columns_of = {}, corpus
            for name in columns:
                if name not in self._columns:
                    column = corpus.meta[name]
                    self._columns[name] = (column.astype(object).to_numpy() if column.dtype.kind == "M"
                                           else column.to_numpy(dtype=object, na_value=None))
            arrays = [(name, self._columns[name]) for name in columns]
        return [{name: values[d] for name, values in arrays} for d in designs]
