"""The sandbox's routes that find a patent from its number and its front-page drawing (where a search from a
patent starts): the patent-number search (P069) and the abstract image (P021).

* ``POST /search/patent/patent-search-pn`` takes a JSON body with ``pn`` (a patent number as people write it:
  any case, spaces, dashes, dots, leading zeros or the kind code left out) or ``apno`` (an application number),
  optionally ``authority`` (offices), ``offset`` and ``limit`` (1-1000, default 10), and answers
  ``data: {results, result_count, total_search_result_count}``: the patents the number names, exact matches
  first. Neither ``pn`` nor ``apno``, or a value of the wrong JSON type, is 68300004.
* ``GET /basic-patent-data/abstract-image`` takes ``patent_id`` and/or ``patent_number`` (comma-separated, at
  most 100 in all) and answers one object per patent found: ``{patent_id, pn, abstract_drawing: {path,
  number}}``, ``path`` a signed link to the drawing that can be searched for 9 hours of the sandbox's calendar
  (a new link each time); ``abstract_drawing`` is ``null`` for the numbers of the ``no_drawing`` knob.

Both answer only patents published by the calendar's today (a later one is not known yet). Their shapes are
the project's description of the vendor's unpublished schemas (``docs/endpoints.md``).

Example:
    >>> loose_key("US D 435,025"), loose_key("USD0435025S"), loose_key("de202020100088u1")
    ('USD435025', 'USD435025', 'DE202020100088')
"""

from __future__ import annotations

import re
import threading
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..api import ABSTRACT_IMAGE, INVALID_PARAMETER, PATENT_NUMBER_SEARCH
from ..codes import OFFICES
from .files import signed_link
from .protocol import ApiFailure, ok_envelope
from .routes_patents import PatentIndex, requested_designs, yyyymmdd
from .schemas import answer_docs, apikey_doc, bearer_doc
from .state import SandboxState

__all__ = ["MAX_NUMBER_RESULTS", "add_lookup_routes", "canonical", "loose_key"]

_AUTH = [Depends(apikey_doc), Depends(bearer_doc)]
#: The most results one patent-number search answers (the spec's ``limit`` maximum).
MAX_NUMBER_RESULTS = 1000
_SEPARATORS = re.compile(r"[\s,.\-/]+")
_PARTS = re.compile(r"([A-Z]{2})([A-Z]*?)0*([0-9]+)(?:[A-Z][0-9]?)?")
_ROW_COLUMNS = ("patent_id", "patent_pn", "application_number", "apdt", "pbdt", "country", "patent_type",
                "assignee", "original_assignee", "inventor")


def canonical(number: str) -> str:
    """A number without case, spaces or punctuation: ``"usd 0435025-s"`` -> ``"USD0435025S"``."""
    return _SEPARATORS.sub("", number).upper()


def loose_key(number: str) -> str:
    """A number as people may write it: office, series letters and digits without leading zeros, no kind code."""
    text = canonical(number)
    m = _PARTS.fullmatch(text)
    return f"{m[1]}{m[2]}{m[3]}" if m else text


class _NumberIndex:
    """canonical and loose patent number, and canonical application number -> designs (built on first use)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._maps: tuple[dict[str, list[int]], ...] | None = None

    def find(self, pn: str | None, apno: str | None) -> list[int]:
        with self._lock:
            if self._maps is None:
                meta = self.state.corpus.meta
                exact: dict[str, list[int]] = {}
                loose: dict[str, list[int]] = {}
                applications: dict[str, list[int]] = {}
                for design, (number, application) in enumerate(zip(meta["patent_pn"], meta["application_number"],
                                                                   strict=True)):
                    exact.setdefault(canonical(str(number)), []).append(design)
                    loose.setdefault(loose_key(str(number)), []).append(design)
                    if isinstance(application, str) and application:
                        applications.setdefault(canonical(application), []).append(design)
                self._maps = (exact, loose, applications)
        exact, loose, applications = self._maps
        found: list[int] = []
        if pn:
            found += exact.get(canonical(pn), []) + loose.get(loose_key(pn), [])
        if apno:
            found += applications.get(canonical(apno), [])
        return list(dict.fromkeys(found))


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 100:
        raise ApiFailure(INVALID_PARAMETER, f"{name}: must be a string of at most 100 characters")
    return value


def _count(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiFailure(INVALID_PARAMETER, f"{name}: must be an integer from {low} to {high}")
    return value


def _authorities(body: dict[str, Any]) -> set[str] | None:
    value = body.get("authority")
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.upper() in OFFICES for v in value):
        raise ApiFailure(INVALID_PARAMETER, "authority: must be a JSON array of office codes, e.g. [\"US\", \"CN\"]")
    return {v.upper() for v in value}


def _number_answer(state: SandboxState, index: _NumberIndex, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiFailure(INVALID_PARAMETER, "the body must be a JSON object")
    pn, apno = _text(body, "pn"), _text(body, "apno")
    if pn is None and apno is None:
        raise ApiFailure(INVALID_PARAMETER, "give pn (a patent number) or apno (an application number)")
    offices = _authorities(body)
    offset = _count(body, "offset", 0, 0, 100_000)
    limit = _count(body, "limit", 10, 1, MAX_NUMBER_RESULTS)
    designs = [d for d in index.find(pn, apno) if state.published(d)]
    rows = state.rows(designs, _ROW_COLUMNS)
    if offices is not None:
        rows = [r for r in rows if str(r["country"]) in offices]
    page = rows[offset:offset + limit]
    results = [{
        "patent_id": str(r["patent_id"]), "pn": str(r["patent_pn"]), "apno": r["application_number"] or None,
        "apdt": yyyymmdd(r["apdt"]), "pbdt": yyyymmdd(r["pbdt"]), "authority": str(r["country"]),
        "patent_type": str(r["patent_type"] or "D"), "current_assignee": r["assignee"] or None,
        "original_assignee": r["original_assignee"] or r["assignee"] or None, "inventor": r["inventor"] or None,
    } for r in page]
    return {"results": results, "result_count": len(results), "total_search_result_count": len(rows)}


def add_lookup_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the patent-number search and the abstract-image routes serving ``state``'s corpus."""
    numbers = _NumberIndex(state)
    patents = PatentIndex(state)
    body_schema = {"type": "object", "properties": {
        "pn": {"type": "string", "description": "a patent number, e.g. USD0435025S (case, spaces, dashes, "
                                                "leading zeros and the kind code may differ)"},
        "apno": {"type": "string", "description": "an application number"},
        "authority": {"type": "array", "items": {"type": "string"}, "description": "offices, e.g. [\"US\"]"},
        "offset": {"type": "integer", "minimum": 0}, "limit": {"type": "integer", "minimum": 1,
                                                              "maximum": MAX_NUMBER_RESULTS}}}

    async def number_search(request: Request) -> JSONResponse:
        import json

        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise ApiFailure(INVALID_PARAMETER, "the body is not JSON") from None
        return JSONResponse(ok_envelope(await run_in_threadpool(_number_answer, state, numbers, body)))

    number_search.__doc__ = f"{PATENT_NUMBER_SEARCH.summary}. Bad bodies are answered 68300004."
    app.add_api_route(PATENT_NUMBER_SEARCH.path, number_search, methods=["POST"],
                      responses=answer_docs(PATENT_NUMBER_SEARCH), tags=["patent lookup"], dependencies=_AUTH,
                      summary=f"[{PATENT_NUMBER_SEARCH.operation_id}] Patents named by a number",
                      openapi_extra={"requestBody": {"required": True, "content": {
                          "application/json": {"schema": body_schema}}}}, name=PATENT_NUMBER_SEARCH.name)

    @app.get(ABSTRACT_IMAGE.path, responses=answer_docs(ABSTRACT_IMAGE),
             tags=["patent lookup"], summary=f"[{ABSTRACT_IMAGE.operation_id}] {ABSTRACT_IMAGE.summary}",
             dependencies=_AUTH, operation_id="abstract_image")
    def abstract_image(request: Request,
                       patent_id: str | None = Query(None, description="patent ids, comma-separated"),
                       patent_number: str | None = Query(None, description="patent numbers, comma-separated")
                       ) -> JSONResponse:
        """One object per patent found (published by the calendar's today); unknown ones are left out."""
        meta = state.corpus.meta
        withheld = set(state.faults.settings.no_drawing)
        items = []
        for design in requested_designs(patents, patent_id, patent_number):
            if not state.published(design):
                continue
            pn = str(meta["patent_pn"].iat[design])
            drawing = None if pn.upper() in withheld else {
                "path": signed_link(state, request, f"/_sandbox/files/designs/{design}/0.png"), "number": "1"}
            items.append({"patent_id": str(meta["patent_id"].iat[design]), "pn": pn, "abstract_drawing": drawing})
        return JSONResponse(ok_envelope(items))
