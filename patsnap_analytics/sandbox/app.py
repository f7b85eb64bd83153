"""The sandbox's HTTP face: the real API's routes, envelope, error codes and auth, plus its own file links.

Routes (every answer carries the header ``X-PatSnap-Sandbox: 1``):

==========================================  =======================================================
``POST /oauth/token``                       OAuth client credentials -> ``{token, token_type, ...}``
``POST /image-search/image-upload``         multipart ``image`` -> ``data: {url, expire}``
``GET  /image-search/search-id``            similar designs of an image the sandbox issued
``GET  /_sandbox/files/uploads/{name}``     an uploaded file (presigned-style: no auth)
``GET  /_sandbox/files/designs/{d}/{v}.png``  a corpus drawing (view ``v`` of design ``d``)
``GET  /_sandbox/stats``                    calls / errors per business endpoint, errors by code
==========================================  =======================================================

Errors are envelopes ``{"status": false, "error_code": ..., "error_msg": ...}`` with HTTP 200, as the real
API sends them; only simulated HTTP 503s, unknown routes (404) and wrong methods (405) use another status.
A missing ``image`` field is a parameter error (68300004); a file that breaks the upload rules is 68300010.

Everything that applies to every business call (counting, auth, simulated faults, quota, body size cap)
lives in :class:`GatewayMiddleware`, like the vendor's API gateway in front of its services; the routes
only do the business. The search only ever reads images the sandbox itself issued, looked up locally
by their generated id: it never fetches an address (no SSRF), and file links never join user paths.

Example:
    >>> ERROR_MESSAGES[68300010]
    'The file does not comply with upload specifications!'
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import re
import secrets
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel, Field
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InvalidImageError, ValidationError
from ..images import MAX_IMAGE_BYTES, ImageRef
from ..query import DesignQuery
from .faults import Clock, Faults

__all__ = [
    "BUSINESS_ENDPOINTS",
    "ERROR_MESSAGES",
    "ApiFailure",
    "GatewayMiddleware",
    "SandboxState",
    "create_app",
]

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/token"
UPLOAD_PATH = "/image-search/image-upload"
SEARCH_PATH = "/image-search/search-id"
#: The endpoints that count as API calls (and cost money on the real API).
BUSINESS_ENDPOINTS = (TOKEN_PATH, UPLOAD_PATH, SEARCH_PATH)
BUSINESS_METHODS = {TOKEN_PATH: "POST", UPLOAD_PATH: "POST", SEARCH_PATH: "GET"}
SANDBOX_HEADER = (b"x-patsnap-sandbox", b"1")

#: The vendor's English messages (seed pages); 67200008/67200009 are not on them, so worded alike.
ERROR_MESSAGES: dict[int, str] = {
    68300004: "Invalid parameter!",
    68300005: "Search api failure!",
    68300006: "Analytic basic access error!",
    68300007: "Bad request!",
    68300008: "Service error, please try again later!",
    68300010: "The file does not comply with upload specifications!",
    67200001: "API call exceeds the total limit set by the platform!",
    67200002: "Quota exceeds the limit!",
    67200003: "Access token expired or authentication error!",
    67200004: "No permission or API package quota has exceeded the limit!",
    67200005: "Insufficient balance, call failed!",
    67200006: "This client has expired and call failed!",
    67200007: "Exceeded the call limit, call failed!",
    67200008: "The apikey parameter is missing!",
    67200009: "The apikey and the access token do not match!",
}

# multipart framing around a 4096 KB file is a few hundred bytes; allow generously, reject beyond
UPLOAD_BODY_LIMIT = MAX_IMAGE_BYTES + 64 * 1024
OTHER_BODY_LIMIT = 64 * 1024
# an oversized body is read and discarded up to this much so the client still gets our answer
DRAIN_LIMIT = 64 * 1024 * 1024
MAX_STORED_UPLOADS = 2000
MAX_URL_LENGTH = 2048
_UPLOAD_NAME = re.compile(r"^([0-9a-f]{32})\.(png|jpg)$")
_VIEW_NAME = re.compile(r"^(\d{1,3})\.png$")
_DESIGN = re.compile(r"^\d{1,9}$")


class ApiFailure(Exception):
    """A business error to answer as an envelope: ``error_code`` plus a specific ``reason``.

    Example:
        >>> ApiFailure(68300004, "url: required").envelope()["error_msg"]
        'Invalid parameter! url: required'
    """

    def __init__(self, error_code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.error_code = error_code
        self.reason = reason

    def envelope(self) -> dict[str, Any]:
        """The ``status: false`` envelope for this failure."""
        return error_envelope(self.error_code, self.reason)


def error_envelope(error_code: int, reason: str = "") -> dict[str, Any]:
    """``{"status": False, "error_code": code, "error_msg": "<vendor text> <reason>"}``.

    Example:
        >>> error_envelope(67200008)
        {'status': False, 'error_code': 67200008, 'error_msg': 'The apikey parameter is missing!'}
    """
    text = ERROR_MESSAGES.get(error_code, "Error!")
    return {"status": False, "error_code": error_code, "error_msg": f"{text} {reason}".strip()}


def ok_envelope(data: dict[str, Any]) -> dict[str, Any]:
    """The success envelope, key order as in the vendor's samples.

    Example:
        >>> ok_envelope({"x": 1})
        {'data': {'x': 1}, 'status': True, 'error_code': 0}
    """
    return {"data": data, "status": True, "error_code": 0}


# ---------------------------------------------------------------- response models (OpenAPI schema only)
class ErrorEnvelope(BaseModel):
    """An error answer: ``status`` false, the code and a message."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: dict[str, Any] | None = None


class FileUrlResponse(BaseModel):
    """``data`` of an upload: the image's URL and its validity in seconds."""

    url: str | None = None
    expire: int | None = None


class UploadEnvelope(BaseModel):
    """The upload endpoint's envelope."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: FileUrlResponse | None = None


class PatentMessage(BaseModel):
    """One similar design patent."""

    patent_id: str | None = None
    patent_pn: str | None = None
    title: str | None = None
    url: str | None = None
    score: float | None = Field(None, description="similarity; null unless sorted by similarity (field empty)")


class SearchData(BaseModel):
    """``data`` of a search: the hits, the search id and the number of designs matching the filters."""

    patent_messages: list[PatentMessage] | None = None
    search_id: str | None = None
    total_search_result_count: int | None = None


class SearchEnvelope(BaseModel):
    """The search endpoint's envelope."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: SearchData | None = None


class TokenResponse(BaseModel):
    """The OAuth token answer (top-level fields, as the vendor sends them) or an error envelope."""

    token: str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    status: str | bool
    error_code: int | None = None
    error_msg: str | None = None


class SandboxStats(BaseModel):
    """Server-side call counts: the ground truth for "how many calls did that cost"."""

    calls: dict[str, int]
    errors: dict[str, int]
    by_error_code: dict[str, int]


# ---------------------------------------------------------------- server-side state
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
                    "by_error_code": dict(sorted(self.by_error_code.items()))}


@dataclass
class Upload:
    """One uploaded image held by the sandbox until it expires."""

    data: bytes
    kind: str
    expires_at: float


class UploadStore:
    """Uploaded images by random id; expired ones are swept on every access.

    Example:
        >>> store = UploadStore(Clock()); name = store.add(b"...", "png", expire=60)
        >>> store.get(name.split(".")[0]).kind
        'png'
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Upload] = OrderedDict()
        self._expired: OrderedDict[str, None] = OrderedDict()  # remembered to say "expired", not "unknown"

    def add(self, data: bytes, kind: str, *, expire: float) -> str:
        """Store and return the file name ``<32 hex>.png|jpg``."""
        ident = secrets.token_hex(16)
        with self._lock:
            self._sweep()
            self._items[ident] = Upload(data, kind, self.clock.now() + expire)
            while len(self._items) > MAX_STORED_UPLOADS:  # bound memory in a long-running `sandbox serve`
                old, _ = self._items.popitem(last=False)
                self._remember_expired(old)
        return f"{ident}.{'jpg' if kind == 'jpeg' else 'png'}"

    def get(self, ident: str) -> Upload | None:
        """The live upload with that id, else None."""
        with self._lock:
            self._sweep()
            return self._items.get(ident)

    def expired(self, ident: str) -> bool:
        """True when that id was issued and has expired (and its file was deleted)."""
        with self._lock:
            self._sweep()
            return ident in self._expired

    def sweep(self) -> None:
        """Delete expired files now."""
        with self._lock:
            self._sweep()

    def _sweep(self) -> None:
        now = self.clock.now()
        for ident in [i for i, up in self._items.items() if up.expires_at <= now]:
            del self._items[ident]
            self._remember_expired(ident)

    def _remember_expired(self, ident: str) -> None:
        self._expired[ident] = None
        while len(self._expired) > 10 * MAX_STORED_UPLOADS:
            self._expired.popitem(last=False)


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
                raise ApiFailure(67200003, "OAuth mode needs 'Authorization: Bearer <token>' from /oauth/token")
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
    """Everything the routes share: corpus, engine, credentials, uploads, faults, stats and the clock."""

    engine: Any                      # sandbox.engine.Engine (duck-typed: .corpus and .search)
    faults: Faults
    clock: Clock = field(default_factory=Clock)
    credentials: Credentials = field(init=False)
    uploads: UploadStore = field(init=False)
    stats: Stats = field(default_factory=Stats)
    base_url: str | None = None      # set by the server once bound; else taken from the request
    transports: dict[tuple[str, int], Any] = field(default_factory=dict)  # client addr -> transport
    search_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.faults.clock = self.clock
        self.credentials = Credentials(self.clock)
        self.uploads = UploadStore(self.clock)

    @property
    def corpus(self) -> Any:
        """The engine's corpus."""
        return self.engine.corpus


# ---------------------------------------------------------------- the gateway (auth, faults, stats, limits)
async def _send_json(send, payload: dict[str, Any], status: int = 200) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


class _Call:
    """The bookkeeping of one business call, settled exactly once, just BEFORE the last byte of its answer
    leaves (a client that reads ``/_sandbox/stats`` or calls again right after its answer must see it)."""

    def __init__(self, state: SandboxState, path: str) -> None:
        self.state = state
        self.path = path
        self.status: int | None = None
        self.body = bytearray()
        self.admitted = False     # reserved against the daily quota / balance
        self.settled = False

    def settle(self, error: str | None) -> None:
        if self.settled:
            return
        self.settled = True
        if self.admitted:
            if error is None:
                self.state.faults.commit_call()
            else:
                self.state.faults.release_call()
        self.state.stats.record(self.path, error)

    def error_label(self) -> str | None:
        """The answer's error_code, ``http_<status>``, or None for a success."""
        try:
            payload = json.loads(bytes(self.body) or b"null")
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            if payload.get("status") is True or payload.get("status") == "approved":
                return None if self.status == 200 else f"http_{self.status}"
            if "error_code" in payload:
                return str(payload["error_code"])
        return f"http_{self.status}"


class GatewayMiddleware:
    """What the vendor's gateway does before a business call reaches a service, plus the sandbox header.

    Order per business call: count it -> read the body (bounded) -> latency -> dropped connection /
    HTTP 503 -> auth -> QPS limit -> random 67200002 / 68300008 -> daily quota and balance -> the route.
    Unexpected exceptions become 68300005 envelopes, so a client never sees a bare crash.
    """

    def __init__(self, app, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        call = _Call(self.state, path) if path in BUSINESS_ENDPOINTS else None
        started = False

        async def send_marked(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), SANDBOX_HEADER]}
                if call is not None:
                    call.status = message["status"]
            elif message["type"] == "http.response.body" and call is not None:
                call.body += message.get("body", b"")
                if not message.get("more_body"):
                    call.settle(call.error_label())
            await send(message)

        async def run_app(receive_) -> None:
            try:
                await self.app(scope, receive_, send_marked)
            except Exception:
                log.exception("sandbox: unexpected error on %s", path)
                if started:
                    raise  # too late for an envelope; the server closes the connection
                await _send_json(send_marked, error_envelope(68300005, "unexpected sandbox error (see the log)"))

        if call is None:
            await run_app(receive)
            return
        try:
            await self._business(scope, receive, send_marked, run_app, call)
        except Exception:
            log.exception("sandbox: unexpected error in the gateway on %s", path)
            if started:
                raise
            await _send_json(send_marked, error_envelope(68300005, "unexpected sandbox error (see the log)"))
        finally:
            call.settle("aborted")  # only if nothing was answered (e.g. the client went away)

    async def _business(self, scope, receive, send, run_app, call: _Call) -> None:
        state, path = self.state, call.path
        if scope.get("method") != BUSINESS_METHODS[path]:
            await run_app(receive)  # the router answers 405 with an Allow header, before any auth
            return
        limit = UPLOAD_BODY_LIMIT if path == UPLOAD_PATH else OTHER_BODY_LIMIT
        messages, too_large = await _read_body(receive, limit)
        if too_large is not None:
            code = 68300010 if path == UPLOAD_PATH else 68300007
            await _send_json(send, error_envelope(code, f"request body is over {limit // 1024} KB ({too_large})"))
            return
        replay = _replayer(messages, receive)

        settings = state.faults.settings
        if settings.latency:
            await asyncio.sleep(settings.latency)
        fault = state.faults.draw()
        if fault == "drop":
            call.settle("dropped")
            await self._drop(scope)
            return
        if fault == "http_503":
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"text/plain"), (b"content-length", b"19"), (b"retry-after", b"1")]})
            await send({"type": "http.response.body", "body": b"Service Unavailable"})
            return
        if path == TOKEN_PATH:  # the token endpoint authenticates itself and is not billed
            await run_app(replay)
            return
        try:
            params = QueryParams(scope.get("query_string", b"").decode("latin-1"))
            credential = state.credentials.authenticate(params.get("apikey"), _bearer(Headers(scope=scope)))
            scripted = state.faults.next_scripted()
            if scripted is not None:
                raise ApiFailure(scripted, "scripted fault")
            if state.faults.over_qps(credential):
                raise ApiFailure(67200002, f"more than {settings.qps_limit} calls in one second; sleep and retry")
            if fault == "rate_limited":
                raise ApiFailure(67200002, "simulated rate limit; sleep and retry")
            if fault == "service_error":
                raise ApiFailure(68300008, "simulated service interruption")
            refusal = state.faults.reserve_call()
            if refusal == 67200007:
                raise ApiFailure(refusal, f"the daily quota of {settings.daily_quota} calls is used up")
            if refusal == 67200005:
                raise ApiFailure(refusal, "the account balance is used up")
        except ApiFailure as failure:
            await _send_json(send, failure.envelope())
            return
        call.admitted = True
        await run_app(replay)

    async def _drop(self, scope) -> None:
        """Simulate a dropped connection: abort the TCP connection before any byte of an answer."""
        client = scope.get("client")
        transport = self.state.transports.get(tuple(client)) if client else None
        if transport is None:  # not served by our uvicorn protocol (e.g. an in-process ASGI test client)
            raise ConnectionAbortedError("simulated dropped connection")
        transport.abort()
        for _ in range(20):  # let the server notice, so it does not try to answer on a dead socket
            await asyncio.sleep(0)


async def _read_body(receive, limit: int) -> tuple[list[dict], str | None]:
    """Read the request body, keeping at most ``limit`` bytes; beyond, drain (bounded) and report the size."""
    messages: list[dict] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            messages.append(message)  # a disconnect: hand it on
            return messages, None
        total += len(message.get("body", b""))
        if total > limit:
            while message.get("more_body") and total <= DRAIN_LIMIT:
                message = await receive()
                if message["type"] != "http.request":
                    break
                total += len(message.get("body", b""))
            shown = f"{total // 1024} KB" if total <= DRAIN_LIMIT else f"more than {DRAIN_LIMIT // 2**20} MB"
            return [], shown
        messages.append(message)
        if not message.get("more_body"):
            return messages, None


def _replayer(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


# ---------------------------------------------------------------- routes
_apikey_doc = APIKeyQuery(name="apikey", auto_error=False,
                          description="api key (sk-...) or, in OAuth mode, the client id")
_bearer_doc = HTTPBearer(auto_error=False, description="the api key again, or a token from /oauth/token")
_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "no such route or file"},
    405: {"model": ErrorEnvelope, "description": "method not allowed"},
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}


def _absolute(state: SandboxState, request: Request, path: str) -> str:
    base = state.base_url or str(request.base_url).rstrip("/")
    return f"{base}{path}"


def create_app(state: SandboxState) -> FastAPI:
    """The FastAPI application serving ``state`` (the :class:`~patsnap_analytics.sandbox.Sandbox` runs it).

    Example:
        >>> from patsnap_analytics.sandbox.faults import Faults
        >>> app = create_app(SandboxState(engine=None, faults=Faults()))
        >>> sorted(p for p in app.openapi()["paths"] if not p.startswith("/_"))
        ['/image-search/image-upload', '/image-search/search-id', '/oauth/token']
    """
    app = FastAPI(title="PatSnap Open API sandbox", version="1.0",
                  description="A local, API-compatible stand-in for the PatSnap Open API image-search endpoints.")
    app.state.sandbox = state
    app.add_middleware(GatewayMiddleware, state=state)
    _add_error_handlers(app)
    _add_business_routes(app, state)
    _add_sandbox_routes(app, state)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiFailure)
    async def _api_failure(request: Request, exc: ApiFailure) -> JSONResponse:
        return JSONResponse(exc.envelope())

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = []
        for err in exc.errors()[:5]:
            where = ".".join(str(part) for part in err.get("loc", ())[1:]) or "request"
            reasons.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(error_envelope(68300004, "; ".join(reasons)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return JSONResponse(error_envelope(68300007, f"no such route or file: {request.url.path[:200]}"), 404)
        if exc.status_code == 405:
            return JSONResponse(error_envelope(68300007, f"method {request.method[:20]} not allowed here"), 405,
                                headers=exc.headers)  # keeps Allow, as RFC 9110 requires
        return JSONResponse(error_envelope(68300004, str(exc.detail)[:300]))  # e.g. a malformed body


def _add_business_routes(app: FastAPI, state: SandboxState) -> None:
    @app.post(TOKEN_PATH, response_model=TokenResponse, responses=_ERROR_RESPONSES, tags=["auth"],
              summary="OAuth client credentials: a bearer token")
    async def oauth_token(request: Request, grant_type: str | None = Form(None)) -> JSONResponse:
        """Send ``grant_type=client_credentials`` with ``Authorization: Basic base64(client_id:client_secret)``."""
        client_id, client_secret = _basic_credentials(request.headers.get("authorization"))
        if not state.credentials.check_client(client_id, client_secret):
            raise ApiFailure(67200003, "wrong client id or client secret")
        if grant_type != "client_credentials":
            raise ApiFailure(68300004, f"grant_type must be client_credentials, got {str(grant_type)[:40]!r}")
        lifetime = state.faults.settings.token_lifetime
        token = state.credentials.issue_token(client_id, lifetime=lifetime)
        return JSONResponse({"token": token, "token_type": "BearerToken",
                             "expires_in": int(lifetime), "status": "approved"})

    @app.post(UPLOAD_PATH, response_model=UploadEnvelope, responses=_ERROR_RESPONSES, tags=["image search"],
              summary="[P010] Upload an image, get a URL to search with",
              dependencies=[Depends(_apikey_doc), Depends(_bearer_doc)])
    async def image_upload(
        request: Request,
        image: Annotated[UploadFile | None, File(description="JPG or PNG, at most 4096 KB")] = None,
    ) -> JSONResponse:
        """The image is checked like the client checks it (type by magic bytes, size, decodes, pixel cap)."""
        if image is None:
            raise ApiFailure(68300004, "image: a multipart/form-data file field named 'image' is required")
        data = await image.read(MAX_IMAGE_BYTES + 1)
        try:
            ref = await run_in_threadpool(ImageRef.from_bytes, data)
        except InvalidImageError as exc:
            raise ApiFailure(68300010, str(exc)) from None
        expire = int(state.faults.settings.upload_expire)
        name = state.uploads.add(ref.data, ref.kind, expire=expire)
        url = _absolute(state, request, f"/_sandbox/files/uploads/{name}")
        return JSONResponse(ok_envelope({"url": url, "expire": expire}))

    @app.get(SEARCH_PATH, response_model=SearchEnvelope, responses=_ERROR_RESPONSES, tags=["image search"],
             summary="[P009] Similar design patents of an image",
             dependencies=[Depends(_apikey_doc), Depends(_bearer_doc)])
    def search_id(
        request: Request,
        url: str = Query(..., description="an image URL this server issued (upload or corpus drawing)"),
        loc: str | None = Query(None, description="Locarno codes with AND/OR/NOT, e.g. (01-01 OR 01-02)"),
        assignees: str | None = Query(None, description="applicant / assignee"),
        legal_status: str | None = Query(None, description="comma-separated legal status codes, e.g. 3,2"),
        country: str | None = Query(None, description="comma-separated office codes, e.g. CN,US"),
        simple_legal_status: str | None = Query(None, description="comma-separated codes, e.g. 1,2"),
        main_field: str | None = Query(None, description="keyword over the main text fields"),
        apply_start_time: str | None = Query(None, description="yyyyMMdd"),
        apply_end_time: str | None = Query(None, description="yyyyMMdd"),
        public_start_time: str | None = Query(None, description="yyyyMMdd"),
        public_end_time: str | None = Query(None, description="yyyyMMdd"),
        limit: int = Query(10, ge=1, le=100, description="number of results, 1..100"),
        field: str | None = Query(None, description="APD, PBD or ISD to sort by a date; empty = by similarity"),
        order: str | None = Query(None, description="desc (default) or asc"),
    ) -> JSONResponse:
        """Filters are parsed by :meth:`DesignQuery.from_api_params`; the image is looked up locally only."""
        try:
            query = DesignQuery.from_api_params(request.query_params)
        except ValidationError as exc:
            raise ApiFailure(68300004, str(exc)) from None
        image = _issued_image(state, request, url)
        with state.search_lock:
            result = state.engine.search(image, query)
        meta = state.corpus.meta
        rows = []
        for hit in result.hits:
            design = int(hit.design)
            score = None if query.field is not None or hit.score is None else round(float(hit.score), 4)
            rows.append({
                "patent_id": str(meta.at[design, "patent_id"]),
                "patent_pn": str(meta.at[design, "patent_pn"]),
                "title": str(meta.at[design, "title"]),
                "url": _absolute(state, request, f"/_sandbox/files/designs/{design}/{int(hit.view)}.png"),
                "score": score,
            })
        key = hashlib.sha256(image).hexdigest() + json.dumps(query.to_api_params(), sort_keys=True)
        search_id = hashlib.blake2b(key.encode(), digest_size=16).hexdigest().upper() + "-1-D"
        return JSONResponse(ok_envelope({"patent_messages": rows, "search_id": search_id,
                                         "total_search_result_count": int(result.total)}))


def _basic_credentials(header: str | None) -> tuple[str, str]:
    scheme, _, encoded = (header or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise ApiFailure(67200003, "send 'Authorization: Basic base64(client_id:client_secret)'")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiFailure(67200003, "the Basic credentials are not valid base64 of client_id:client_secret") from None
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise ApiFailure(67200003, "the Basic credentials must be client_id:client_secret")
    return client_id, client_secret


def _issued_image(state: SandboxState, request: Request, url: str) -> bytes:
    """The bytes behind a URL this sandbox issued, looked up locally; anything else is refused unfetched."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ApiFailure(68300004, f"url: required, at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    own = {urlsplit(state.base_url).netloc} if state.base_url else set()
    own.add(request.headers.get("host", ""))
    if parts.scheme not in ("http", "https") or parts.netloc not in own:
        raise ApiFailure(68300004, "url: the sandbox searches only images it issued itself (upload URLs and "
                                   "corpus drawing URLs); it never fetches outside addresses")
    found = _local_file(state, parts.path)
    if found is None:
        raise ApiFailure(68300004, "url: not an image this sandbox issued")
    if found == "expired":
        raise ApiFailure(68300004, "url expired: the uploaded file was deleted; upload the image again")
    return found[0]


def _local_file(state: SandboxState, path: str) -> tuple[bytes, str] | str | None:
    """``(bytes, media type)`` for one of our file paths, ``'expired'`` for a deleted upload, else None.

    Paths are matched against fixed patterns and mapped to generated ids and integers; user text is never
    joined to a filesystem path.
    """
    segments = path.split("/")
    if segments[:3] != ["", "_sandbox", "files"]:
        return None
    rest = segments[3:]
    if len(rest) == 2 and rest[0] == "uploads":
        m = _UPLOAD_NAME.match(rest[1])
        if not m:
            return None
        upload = state.uploads.get(m[1])
        if upload is None:
            return "expired" if state.uploads.expired(m[1]) else None
        if (upload.kind == "jpeg") != (m[2] == "jpg"):
            return None
        return upload.data, f"image/{upload.kind}"
    if len(rest) == 3 and rest[0] == "designs" and _DESIGN.match(rest[1]) and _VIEW_NAME.match(rest[2]):
        design, view = int(rest[1]), int(_VIEW_NAME.match(rest[2])[1])
        meta = state.corpus.meta
        if design >= len(meta) or view >= int(meta.at[design, "n_views"]):
            return None
        file = state.corpus.view_path(design, view)
        try:
            return file.read_bytes(), "image/png"
        except OSError:
            return None
    return None


def _add_sandbox_routes(app: FastAPI, state: SandboxState) -> None:
    not_found = {404: {"model": ErrorEnvelope, "description": "no such file (or the upload expired)"}}

    def serve(path: str) -> Response:
        found = _local_file(state, path)
        if found is None or found == "expired":
            reason = "the upload expired and was deleted" if found == "expired" else "no such file"
            return JSONResponse(error_envelope(68300004, reason), status_code=404)
        data, media_type = found
        return Response(data, media_type=media_type, headers={"cache-control": "private, max-age=3600"})

    @app.get("/_sandbox/files/uploads/{name}", tags=["sandbox"], responses=not_found,
             response_class=Response, summary="An uploaded image (no auth: a presigned-style link)")
    def uploaded_file(name: str) -> Response:
        """Served while the upload is valid; 404 afterwards."""
        return serve(f"/_sandbox/files/uploads/{name}")

    @app.get("/_sandbox/files/designs/{design}/{view}", tags=["sandbox"], responses=not_found,
             response_class=Response, summary="A corpus drawing: view N of design D (PNG)")
    def design_view(design: str, view: str) -> Response:
        """``/_sandbox/files/designs/12/0.png`` is the first view of design 12."""
        return serve(f"/_sandbox/files/designs/{design}/{view}")

    @app.get("/_sandbox/stats", tags=["sandbox"], response_model=SandboxStats,
             summary="Requests per business endpoint, errors per endpoint and per error code")
    def stats() -> SandboxStats:
        """Counts every request each business endpoint received, failed ones included."""
        return SandboxStats(**state.stats.snapshot())
