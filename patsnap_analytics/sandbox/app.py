"""The sandbox's HTTP face: the real API's routes, envelope, error codes and auth, plus its own file links.

Routes (every answer carries the header ``X-PatSnap-Sandbox: 1``):

==========================================  =======================================================
``POST /oauth/token``                       OAuth client credentials -> ``{token, token_type, ...}``
``POST /image-search/image-upload``         multipart ``image`` -> ``data: {url, expire}``
``GET  /image-search/search-id``            similar designs of an image the sandbox issued
``GET  /image-search/results``              more ranks of a search-id search (its search_id, 20 minutes)
``POST /search/patent/image-single``        similar designs (D) or utility models (U), rich rows (JSON)
``POST /search/patent/image-single/beta``   the same, the query turned into a line drawing first
``POST /search/patent/image-multiple``      similar patents of one design in 1-4 views (JSON)
``GET  /basic-patent-data/...``             bibliography, simple legal status, legal status by patent
``POST /search/patent/patent-search-pn``    the patents a number names: standard number, id, dates, holders
``GET  /basic-patent-data/abstract-image``  a patent's front-page drawing, as a signed link (9 hours)
``POST /search/patent/image-search/...``    overnight jobs: ``single-batch-create`` (up to 10 images) and
                                            ``single-batch-result`` (done after the calendar's night)
``GET  /_sandbox/files/uploads/{name}``     an uploaded file (presigned-style: no auth)
``GET  /_sandbox/files/designs/{d}/{v}.png``  a corpus drawing (view ``v`` of design ``d``)
``GET  /_sandbox/stats``                    calls / errors per business endpoint, errors by code
``GET  /_sandbox/study``, ``.../truth``     study queries and their synthetic truth (``routes_study.py``)
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

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .files import add_file_routes
from .gateway import GatewayMiddleware
from .protocol import ApiFailure, error_envelope
from .routes_auth import add_auth_routes
from .routes_batch import add_batch_routes
from .routes_lookup import add_lookup_routes
from .routes_patents import add_patent_routes
from .routes_search import add_search_routes
from .routes_study import add_study_routes
from .schemas import SandboxStats
from .state import SandboxState

__all__ = ["create_app"]


def create_app(state: SandboxState) -> FastAPI:
    """The FastAPI application serving ``state`` (the :class:`~patsnap_analytics.sandbox.Sandbox` runs it).

    Example:
        >>> from patsnap_analytics.sandbox.faults import Faults
        >>> app = create_app(SandboxState(engine=None, faults=Faults()))
        >>> [p for p in sorted(app.openapi()["paths"]) if p.startswith("/image")]
        ['/image-search/image-upload', '/image-search/results', '/image-search/search-id']
    """
    app = FastAPI(title="PatSnap Open API sandbox", version="1.0",
                  description="A local, API-compatible stand-in for the PatSnap Open API image-search endpoints.")
    app.state.sandbox = state
    app.add_middleware(GatewayMiddleware, state=state)
    _add_error_handlers(app)
    add_auth_routes(app, state)
    add_search_routes(app, state)
    add_patent_routes(app, state)
    add_lookup_routes(app, state)
    add_batch_routes(app, state)
    add_file_routes(app, state)
    add_study_routes(app, state)
    _add_stats_route(app, state)
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


def _add_stats_route(app: FastAPI, state: SandboxState) -> None:
    @app.get("/_sandbox/stats", tags=["sandbox"], response_model=SandboxStats,
             summary="Requests per business endpoint, errors per endpoint and per error code")
    def stats() -> SandboxStats:
        """Counts every request each business endpoint received, failed ones included."""
        return SandboxStats(**state.stats.snapshot())
