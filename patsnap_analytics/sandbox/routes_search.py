"""The sandbox's similar-design search routes.

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_search_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> [r.path for r in app.routes if r.path.startswith("/image")]
    ['/image-search/search-id']
"""

from __future__ import annotations

import hashlib
import json

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse

from ..errors import ValidationError
from ..query import DATE_PARAMS, FILTERS, DesignQuery
from .files import absolute, issued_image
from .protocol import SEARCH_PATH, ApiFailure, ok_envelope
from .schemas import ERROR_RESPONSES, SearchEnvelope, apikey_doc, bearer_doc
from .state import SandboxState

__all__ = ["add_search_routes"]


def _doc(name: str) -> str:
    """A filter's route documentation, from the one filter table (dates travel as ``yyyyMMdd``)."""
    spec = FILTERS[name]
    wire = "; on the wire: yyyyMMdd" if name in DATE_PARAMS else ""
    return f"{spec.label}: {spec.help}{wire}"


def add_search_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the search routes serving ``state``."""
    @app.get(SEARCH_PATH, response_model=SearchEnvelope, responses=ERROR_RESPONSES, tags=["image search"],
             summary="[P009] Similar design patents of an image",
             dependencies=[Depends(apikey_doc), Depends(bearer_doc)])
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
        image = issued_image(state, request, url)
        feature = state.query_feature(image)  # decoded outside the search lock, once per image
        with state.search_lock:
            result = state.engine.search_feature(feature, query)
        meta = state.corpus.meta
        rows = []
        for hit in result.hits:
            design = int(hit.design)
            score = None if query.field is not None or hit.score is None else round(float(hit.score), 4)
            rows.append({
                "patent_id": str(meta.at[design, "patent_id"]),
                "patent_pn": str(meta.at[design, "patent_pn"]),
                "title": str(meta.at[design, "title"]),
                "url": absolute(state, request, f"/_sandbox/files/designs/{design}/{int(hit.view)}.png"),
                "score": score,
            })
        key = hashlib.sha256(image).hexdigest() + json.dumps(query.to_api_params(), sort_keys=True)
        search_id = hashlib.blake2b(key.encode(), digest_size=16).hexdigest().upper() + "-1-D"
        return JSONResponse(ok_envelope({"patent_messages": rows, "search_id": search_id,
                                         "total_search_result_count": int(result.total)}))
