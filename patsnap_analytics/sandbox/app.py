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
lives in :class:`~.gateway.GatewayMiddleware` (``gateway.py``), like the vendor's API gateway in front of
its services; the server state (credentials, uploads, stats) lives in ``state.py``; the routes here only
do the business. The search only ever reads images the sandbox itself issued, looked up locally
by their generated id: it never fetches an address (no SSRF), and file links never join user paths.

Example:
    >>> app = create_app(state)  # Sandbox builds the state and serves this  # doctest: +SKIP
"""


from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import InvalidImageError, ValidationError
from ..images import MAX_IMAGE_BYTES, ImageRef
from ..query import DATE_PARAMS, FILTERS, DesignQuery
from .gateway import GatewayMiddleware
from .protocol import (
    SEARCH_PATH,
    TOKEN_PATH,
    UPLOAD_PATH,
    ApiFailure,
    error_envelope,
    ok_envelope,
)
from .state import SandboxState, Upload

__all__ = ["create_app"]

MAX_URL_LENGTH = 2048
_UPLOAD_NAME = re.compile(r"^([0-9a-f]{32})\.(png|jpg)$")
_VIEW_NAME = re.compile(r"^(\d{1,3})\.png$")
_DESIGN = re.compile(r"^\d{1,9}$")


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
    delayed: dict[str, int]


# ---------------------------------------------------------------- routes
_apikey_doc = APIKeyQuery(name="apikey", auto_error=False,
                          description="api key (sk-...) or, in OAuth mode, the client id")
_bearer_doc = HTTPBearer(auto_error=False, description="the api key again, or a token from /oauth/token")
_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "no such route or file"},
    405: {"model": ErrorEnvelope, "description": "method not allowed"},
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}


def _doc(name: str) -> str:
    """A filter's route documentation, from the one filter table (dates travel as ``yyyyMMdd``)."""
    spec = FILTERS[name]
    wire = "; on the wire: yyyyMMdd" if name in DATE_PARAMS else ""
    return f"{spec.label}: {spec.help}{wire}"


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
        loc: str | None = Query(None, description=_doc("loc")),
        assignees: str | None = Query(None, description=_doc("assignees")),
        legal_status: str | None = Query(None, description=_doc("legal_status")),
        country: str | None = Query(None, description=_doc("country")),
        simple_legal_status: str | None = Query(None, description=_doc("simple_legal_status")),
        main_field: str | None = Query(None, description=_doc("main_field")),
        apply_start_time: str | None = Query(None, description=_doc("apply_start_time")),
        apply_end_time: str | None = Query(None, description=_doc("apply_end_time")),
        public_start_time: str | None = Query(None, description=_doc("public_start_time")),
        public_end_time: str | None = Query(None, description=_doc("public_end_time")),
        limit: int = Query(FILTERS["limit"].default, ge=FILTERS["limit"].low, le=FILTERS["limit"].high,
                           description=_doc("limit")),
        field: str | None = Query(None, description=_doc("field")),
        order: str | None = Query(None, description=_doc("order")),
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
        upload = state.uploads.lookup(m[1])
        if not isinstance(upload, Upload):
            return upload  # "expired" or None
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
