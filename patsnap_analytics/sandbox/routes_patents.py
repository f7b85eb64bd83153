"""The sandbox's basic-patent-data routes: bibliography, simple legal status and legal status by patent.

Each takes ``patent_id`` and/or ``patent_number`` (comma-separated, at most 100 in all; more, or none, is
68300004) and answers ``data`` as an array with one object per patent it knows, in the order asked; unknown
ids and numbers are left out, as the vendor does. The answers come from the corpus metadata, so they agree
with what the searches filter on. Statuses are answered as English labels (the international host's).

Example:
    >>> from patsnap_analytics.sandbox.faults import Faults
    >>> app = FastAPI(); add_patent_routes(app, SandboxState(engine=None, faults=Faults()))
    >>> sorted(r.path for r in app.routes if r.path.startswith("/basic"))[0]
    '/basic-patent-data/legal-status'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from fastapi import Depends, FastAPI, Query
from fastapi.responses import JSONResponse

from .. import codes
from ..api import (
    INVALID_PARAMETER,
    LEGAL_STATUS,
    MAX_IDS_PER_CALL,
    SIMPLE_BIBLIOGRAPHY,
    SIMPLE_LEGAL_STATUS,
    Endpoint,
)
from .corpus import LIST_SEPARATOR, legal_events
from .protocol import ApiFailure, ok_envelope
from .schemas import answer_docs, apikey_doc, bearer_doc
from .state import SandboxState

__all__ = ["PatentIndex", "add_patent_routes", "requested_designs"]

_ID_DOC = f"patent ids, comma-separated (with patent_number: at most {MAX_IDS_PER_CALL} in all)"
_PN_DOC = f"patent numbers such as USD0912345S, comma-separated (with patent_id: at most {MAX_IDS_PER_CALL} in all)"
_LANGUAGE = {"CN": "ZH", "JP": "JA", "KR": "KO"}


class PatentIndex:
    """patent id -> design and patent number -> design, built once on first use (the corpus never changes)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._by_id: dict[str, int] | None = None
        self._by_pn: dict[str, int] = {}

    def lookup(self, patent_ids: list[str], numbers: list[str]) -> list[int]:
        with self._lock:
            if self._by_id is None:
                meta = self.state.corpus.meta
                self._by_pn = {str(pn).upper(): i for i, pn in enumerate(meta["patent_pn"])}
                self._by_id = {str(pid): i for i, pid in enumerate(meta["patent_id"])}
        found = [self._by_id.get(p) for p in patent_ids] + [self._by_pn.get(n.upper()) for n in numbers]
        return list(dict.fromkeys(d for d in found if d is not None))


def split_codes(text: str | None) -> list[str]:
    """The non-empty items of a comma-separated corpus field or query parameter (``"14-03, 06-01"``)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def requested_designs(index: Any, patent_id: str | None, patent_number: str | None) -> list[int]:
    """The designs asked for, in order, without duplicates; unknown ones left out; bad requests 68300004.

    Example:
        >>> requested_designs(None, None, None)
        Traceback (most recent call last):
        ...
        patsnap_analytics.sandbox.protocol.ApiFailure: give patent_id or patent_number (comma-separated)
    """
    ids, numbers = split_codes(patent_id), split_codes(patent_number)
    if not ids and not numbers:
        raise ApiFailure(INVALID_PARAMETER, "give patent_id or patent_number (comma-separated)")
    if len(ids) + len(numbers) > MAX_IDS_PER_CALL:
        raise ApiFailure(INVALID_PARAMETER, f"at most {MAX_IDS_PER_CALL} patent ids and numbers per call, "
                                            f"got {len(ids) + len(numbers)}")
    return index.lookup(ids, numbers)


def yyyymmdd(value: Any) -> int | None:
    """A corpus date (Timestamp, date, ``NaT`` or ``None``) as the API's integer ``yyyymmdd``, or ``None``."""
    if value is None or pd.isna(value):
        return None
    d = pd.Timestamp(value)
    return d.year * 10000 + d.month * 100 + d.day


def _names(text: Any) -> list[dict[str, str]]:
    return [{"name": n} for n in str(text or "").split(LIST_SEPARATOR) if n]


def _bibliography(row: pd.Series) -> dict[str, Any]:
    office = str(row["country"])
    titles = [{"text": str(row["title"]), "lang": _LANGUAGE.get(office, "EN")}]
    if str(row["title_en"]) != str(row["title"]):
        titles.append({"text": str(row["title_en"]), "lang": "EN"})
    pn = str(row["patent_pn"])
    return {
        "patent_type": str(row["patent_type"] or "D"),
        "invention_title": titles,
        "abstracts": [{"text": str(row["abstract"]), "lang": "EN"}],
        "application_reference": {"doc_number": str(row["application_number"]) or None, "country": office,
                                  "date": yyyymmdd(row["apdt"])},
        "publication_reference": {"doc_number": pn, "country": office, "kind": pn[-1:] if pn[-1:].isalpha() else None,
                                  "date": yyyymmdd(row["pbdt"])},
        "applicants": _names(row["applicants"]),
        "original_assignees": _names(row["original_assignee"]),
        "current_assignees": _names(row["assignee"]),
        "inventors": _names(row["inventor"]),
        "classification_loc": [{"code": c} for c in split_codes(str(row["loc"]))],
    }


def _simple_label(row: pd.Series) -> list[str]:
    return [codes.name_of("simple_legal_status", int(row["simple_legal_status"]))]


def _legal(row: pd.Series) -> dict[str, Any]:
    events: list[tuple[date, int]] = legal_events(row)
    return {
        "legal_date": yyyymmdd(events[-1][0]) if events else None,
        "patent_legal": {
            "simple_legal_status": _simple_label(row),
            "legal_status": [codes.name_of("legal_status", int(row["legal_status"]))],
            "event_status": [codes.name_of("legal_status", code) for _, code in events],
        },
    }


_ANSWERS: dict[str, Callable[[pd.Series], dict[str, Any]]] = {
    SIMPLE_BIBLIOGRAPHY.path: lambda row: {"bibliographic_data": _bibliography(row)},
    SIMPLE_LEGAL_STATUS.path: lambda row: {"simple_legal_status": _simple_label(row)},
    LEGAL_STATUS.path: _legal,
}


def add_patent_routes(app: FastAPI, state: SandboxState) -> None:
    """Add the three basic-patent-data routes serving ``state``'s corpus."""
    index = PatentIndex(state)
    for operation in (SIMPLE_BIBLIOGRAPHY, SIMPLE_LEGAL_STATUS, LEGAL_STATUS):
        _add_route(app, state, index, operation)


def _add_route(app: FastAPI, state: SandboxState, index: PatentIndex, operation: Endpoint) -> None:
    answer = _ANSWERS[operation.path]

    @app.get(operation.path, responses=answer_docs(operation), tags=["basic patent data"],
             summary=f"[{operation.operation_id}] {operation.summary}",
             dependencies=[Depends(apikey_doc), Depends(bearer_doc)],
             operation_id=operation.path.rsplit("/", 1)[-1].replace("-", "_"))
    def patents(patent_id: str | None = Query(None, description=_ID_DOC),
                patent_number: str | None = Query(None, description=_PN_DOC)) -> JSONResponse:
        meta = state.corpus.meta
        items = []
        for design in requested_designs(index, patent_id, patent_number):
            row = meta.iloc[design]
            items.append({"patent_id": str(row["patent_id"]), "pn": str(row["patent_pn"]), **answer(row)})
        return JSONResponse(ok_envelope(items))
