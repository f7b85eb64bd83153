"""The sandbox's similar-design search routes: the whole image-search family.

* ``GET /image-search/search-id`` (P009): designs similar to an image; the top <= 100 and a ``search_id``.
* ``GET /image-search/results``: more ranks of a search-id search, by its ``search_id`` (20 minutes on the
  sandbox's clock), ``offset`` and ``limit``, with the same filters.
* ``POST /search/patent/image-single`` (P060), ``.../image-single/beta`` (the query first becomes a line
  drawing) and ``POST /search/patent/image-multiple`` (P061, 1-4 views of one design): JSON bodies, rich rows.

Parameters are parsed by :class:`~patsnap_analytics.query.DesignQuery` (the one place of the API's rules);
anything wrong — a type, a model for the other patent type, five urls, offset 1001, malformed JSON — is
answered 68300004 with HTTP 200. Rankings come from :mod:`.ranking`; images are looked up locally only.

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_search_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> sorted(r.path for r in app.routes if r.path.startswith(("/image", "/search")))
    ['/image-search/results', '/image-search/search-id', '/search/patent/image-multiple', '/search/patent/image-single', '/search/patent/image-single/beta']
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..api import (
    IMAGE_MULTIPLE,
    IMAGE_SINGLE,
    IMAGE_SINGLE_BETA,
    MAX_OFFSET,
    MAX_VIEWS,
    PAGE_SIZE,
    SEARCH_ID,
    SEARCH_RESULTS,
    Endpoint,
)
from ..errors import ValidationError
from ..query import DATE_PARAMS, FILTERS, DesignQuery
from .files import absolute, issued_image
from .protocol import ApiFailure, ok_envelope
from .routes_patents import split_codes, yyyymmdd
from .sample import chinese_title
from .schemas import answer_docs, apikey_doc, bearer_doc, search_body_schema
from .state import SandboxState

__all__ = ["add_search_routes", "rich_answer"]

_AUTH = [Depends(apikey_doc), Depends(bearer_doc)]


def _doc(name: str) -> str:
    """A filter's route documentation, from the one filter table (dates travel as ``yyyyMMdd``)."""
    filter_ = FILTERS[name]
    wire = "; on the wire: yyyyMMdd" if name in DATE_PARAMS else ""
    return f"{filter_.caption}: {filter_.help}{wire}"


def _parse(parse, *args: Any) -> DesignQuery:
    try:
        return parse(*args)
    except ValidationError as exc:
        raise ApiFailure(68300004, str(exc)) from None


def add_search_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the search routes serving ``state``."""
    @app.get(SEARCH_ID.path, responses=answer_docs(SEARCH_ID), tags=["image search"],
             summary="[P009] Similar design patents of an image", dependencies=_AUTH)
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
        limit: int = Query(FILTERS["limit"].default, ge=1, le=PAGE_SIZE, description=_doc("limit")),
        field: str | None = Query(None, description=_doc("field")),
        order: str | None = Query(None, description=_doc("order")),
    ) -> JSONResponse:
        """Filters are parsed by :meth:`DesignQuery.from_api_params`; the image is looked up locally only."""
        design_query = _parse(DesignQuery.from_api_params, request.query_params)
        image = issued_image(state, request, url)
        sid = state.search_ids.issue(image, design_query.to_api_params())
        return _simple_answer(state, request, image, design_query, sid, offset=0)

    @app.get(SEARCH_RESULTS.path, responses=answer_docs(SEARCH_RESULTS), tags=["image search"],
             summary="[P009] More ranks of a search-id search (within 20 minutes)", dependencies=_AUTH)
    def results(
        request: Request,
        search_id: str = Query(..., description="the search_id of a search-id answer (valid 20 minutes)"),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description=_doc("offset")),
        limit: int = Query(FILTERS["limit"].default, ge=1, le=PAGE_SIZE, description=_doc("limit")),
        loc: str | None = Query(None, description=_doc("loc")),
        country: str | None = Query(None, description=_doc("country")),
        field: str | None = Query(None, description=_doc("field")),
        order: str | None = Query(None, description=_doc("order")),
    ) -> JSONResponse:
        """The same filters as the search; its image is the one the ``search_id`` was issued for."""
        design_query = _parse(DesignQuery.from_api_params, request.query_params, SEARCH_RESULTS.name)
        image = state.search_ids.lookup(search_id[:200])
        if not isinstance(image, bytes):
            why = "has expired (search ids live 20 minutes)" if image == "expired" else "is unknown"
            raise ApiFailure(68300004, f"search_id {why}: run the search again")
        return _simple_answer(state, request, image, design_query, search_id[:200], offset=design_query.offset or 0)

    for operation in (IMAGE_SINGLE, IMAGE_SINGLE_BETA, IMAGE_MULTIPLE):
        _add_json_search(app, state, operation)


def _add_json_search(app: FastAPI, state: SandboxState, operation: Endpoint) -> None:
    summary = {IMAGE_SINGLE: "[P060] Similar patents of one image",
               IMAGE_SINGLE_BETA: "[P060 beta] Similar patents of one image, as a line drawing",
               IMAGE_MULTIPLE: "[P061] Similar patents of one design in 1-4 views"}[operation]
    extra = {"requestBody": {"required": True, "content": {
        "application/json": {"schema": search_body_schema(operation.name)}}}}

    async def route(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise ApiFailure(68300004, "the body is not JSON") from None
        return await run_in_threadpool(_json_answer, state, request, operation, body)

    route.__doc__ = f"{operation.summary}. JSON body; bad bodies are answered 68300004."
    app.add_api_route(operation.path, route, methods=["POST"], responses=answer_docs(operation), tags=["image search"],
                      summary=summary, dependencies=_AUTH, openapi_extra=extra, name=operation.name)


# ---------------------------------------------------------------------------------------------- answers

def _simple_answer(state: SandboxState, request: Request, image: bytes, design_query: DesignQuery, search_id: str, *,
                   offset: int) -> JSONResponse:
    """search-id's shape (P009): id, number, title, drawing link, score (similarity only)."""
    design_query = design_query.replace(patent_type=None) if design_query.patent_type else design_query
    seen = state.visible(design_query)  # designs published after the calendar's today are not found yet
    if seen is None:
        return JSONResponse(ok_envelope({"patent_messages": [], "search_id": search_id,
                                         "total_search_result_count": 0}))
    features = [state.query_feature(image)]  # decoded outside the search lock, once per image
    with state.search_lock:
        ranking = state.ranker.rank([image], seen, features=features)
        hits = ranking.page(offset, design_query.limit)
    records = state.rows([h.design for h in hits], ("patent_id", "patent_pn", "title"))
    rows = [{
        "patent_id": str(record["patent_id"]),
        "patent_pn": str(record["patent_pn"]),
        "title": str(record["title"]),
        "url": absolute(state, request, f"/_sandbox/files/designs/{h.design}/{h.view}.png"),
        "score": round(h.score, 4) if design_query.sorted_by_similarity else None,
    } for record, h in zip(records, hits, strict=True)]
    return JSONResponse(ok_envelope({"patent_messages": rows, "search_id": search_id,
                                     "total_search_result_count": ranking.total}))


def _json_answer(state: SandboxState, request: Request, operation: Endpoint, body: Any) -> JSONResponse:
    """A newer search's answer (P060/P061): rich rows of the page ``offset``/``limit``."""
    design_query = _parse(DesignQuery.from_api_body, operation.name, body)
    urls = _urls(operation, body)
    images = [issued_image(state, request, u) for u in urls]
    return JSONResponse(ok_envelope(rich_answer(state, request, images, design_query, linework=operation is IMAGE_SINGLE_BETA)))


def rich_answer(state: SandboxState, request: Request, images: list[bytes], design_query: DesignQuery, *,
                linework: bool = False, day: date | None = None) -> dict[str, Any]:
    """The ``data`` of a newer search (P060/P061, and each image of an overnight job): rich rows of the page
    ``offset``/``limit`` of ``images`` (one, or a design's views), as the API answers on ``day`` (default:
    the calendar's today)."""
    seen = state.visible(design_query, day=day)  # designs published after that day are not found yet
    if seen is None:
        return {"patent_messages": [], "total_search_result_count": 0}
    features = [state.query_feature(im, linework=linework) for im in images]  # outside the search lock
    with state.search_lock:
        ranking = state.ranker.rank(images, seen, linework=linework, features=features)
        hits = ranking.page(design_query.offset or 0, design_query.limit)
    records = state.rows([h.design for h in hits], _ROW_COLUMNS)
    rows = [_extend_row(state, request, design_query, record, h) for record, h in zip(records, hits, strict=True)]
    return {"patent_messages": rows, "total_search_result_count": ranking.total}


def _urls(operation: Endpoint, body: dict[str, Any]) -> list[str]:
    if operation is IMAGE_MULTIPLE:
        urls = body.get("urls")
        if not isinstance(urls, list) or not 1 <= len(urls) <= MAX_VIEWS or not all(isinstance(u, str) for u in urls):
            raise ApiFailure(68300004, f"urls: required, a list of 1 to {MAX_VIEWS} image URLs of one design")
        return urls
    url = body.get("url")
    if not isinstance(url, str):
        raise ApiFailure(68300004, "url: required, a string")
    return [url]


#: The corpus columns a rich row is made of (:func:`_extend_row`).
_ROW_COLUMNS = ("patent_id", "patent_pn", "title", "title_en", "loc", "country", "apdt", "pbdt", "inventor",
                "assignee", "original_assignee", "application_number")


def _extend_row(state: SandboxState, request: Request, design_query: DesignQuery, row: dict[str, Any], hit: Any) -> dict:
    link = absolute(state, request, f"/_sandbox/files/designs/{hit.design}/{hit.view}.png")
    if design_query.is_https:
        link = "https://" + link.split("://", 1)[1]
    inventor = str(row.get("inventor") or "") or None
    assignee = _text(row.get("assignee"))
    out: dict[str, Any] = {
        "url": link,
        "title": _title(row, design_query.lang),
        "patent_id": str(row["patent_id"]),
        "patent_pn": str(row["patent_pn"]),
        "apno": _text(row.get("application_number")) or _application_number(row),
        "apdt": yyyymmdd(row.get("apdt")),
        "pbdt": yyyymmdd(row.get("pbdt")),
        "inventor": inventor,
        "current_assignee": assignee,  # the corpus's assignee is the current one
        "original_assignee": _text(row.get("original_assignee")) or assignee,
        "authority": str(row["country"]),
        "loc": split_codes(str(row["loc"])),
    }
    if design_query.sorted_by_similarity:
        out["score"] = round(hit.score, 4)
        if hit.loc_match is not None:
            out["loc_match"] = int(hit.loc_match)
    if design_query.return_img_id:
        out["img_id"] = f"{row['patent_id']}-{hit.view}"
    return out


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value.strip() else None


def _title(row: Any, lang: str | None) -> str:
    """The title in ``lang``: the original (the office's language), English, or Chinese."""
    if lang == "en":
        return _text(row.get("title_en")) or str(row["title"])
    if lang == "cn":
        return chinese_title(str(row["loc"])) or str(row["title"])
    return str(row["title"])


def _application_number(row: Any) -> str:
    """A stable application number when the corpus has none: office, filing year and digits of the id."""
    year = row["apdt"].year if yyyymmdd(row.get("apdt")) else 2000
    digits = int(hashlib.sha256(str(row["patent_id"]).encode()).hexdigest()[:12], 16) % 10**7
    return f"{row['country']}{year}{digits:07d}"
