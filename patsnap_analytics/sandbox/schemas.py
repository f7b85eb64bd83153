"""The sandbox's answer shapes for its OpenAPI schema, and the documentation of its auth parameters.

These models only describe answers (FastAPI renders them at ``/openapi.json``, which the fuzzing tests read);
the routes build their envelopes with :mod:`.protocol`.

Example:
    >>> sorted(SearchEnvelope.model_fields)
    ['data', 'error_code', 'error_msg', 'status']
"""

from __future__ import annotations

from typing import Any

from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel, Field

from ..api import TOKEN

__all__ = ["ERROR_RESPONSES", "BibliographyEnvelope", "ErrorEnvelope", "LegalStatusEnvelope", "SandboxStats",
           "SearchEnvelope", "SimpleLegalStatusEnvelope", "TokenResponse", "UploadEnvelope", "apikey_doc",
           "bearer_doc"]


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


class Name(BaseModel):
    """A party: applicant, assignee or inventor."""

    name: str | None = None


class Text(BaseModel):
    """A title or an abstract in one language (``EN``, ``ZH``, ``JA``, ``KO`` ...)."""

    text: str | None = None
    lang: str | None = None


class Reference(BaseModel):
    """An application or publication reference; ``date`` is a yyyyMMdd integer."""

    doc_number: str | None = None
    country: str | None = None
    kind: str | None = None
    date: int | None = None


class LocCode(BaseModel):
    """One Locarno subclass of a design."""

    code: str | None = None


class BibliographicData(BaseModel):
    """P011's simple bibliography of one patent (the project's description of the vendor's unpublished schema)."""

    patent_type: str | None = None
    invention_title: list[Text] | None = None
    abstracts: list[Text] | None = None
    application_reference: Reference | None = None
    publication_reference: Reference | None = None
    applicants: list[Name] | None = None
    original_assignees: list[Name] | None = None
    current_assignees: list[Name] | None = None
    inventors: list[Name] | None = None
    classification_loc: list[LocCode] | None = None


class BibliographyItem(BaseModel):
    """One patent of a P011 answer."""

    patent_id: str
    pn: str | None = None
    bibliographic_data: BibliographicData | None = None


class SimpleLegalStatusItem(BaseModel):
    """One patent of a P041 answer: its simple legal status labels."""

    patent_id: str
    pn: str | None = None
    simple_legal_status: list[str] | None = None


class PatentLegal(BaseModel):
    """P013's legal status of one patent: current statuses and the legal events so far, as labels."""

    simple_legal_status: list[str] | None = None
    legal_status: list[str] | None = None
    event_status: list[str] | None = None


class LegalStatusItem(BaseModel):
    """One patent of a P013 answer; ``legal_date`` (yyyyMMdd) is when its legal status last changed."""

    patent_id: str
    pn: str | None = None
    legal_date: int | None = None
    patent_legal: PatentLegal | None = None


class BibliographyEnvelope(BaseModel):
    """The simple-bibliography envelope: ``data`` is an array, one object per patent found."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: list[BibliographyItem] | None = None


class SimpleLegalStatusEnvelope(BaseModel):
    """The simple-legal-status envelope."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: list[SimpleLegalStatusItem] | None = None


class LegalStatusEnvelope(BaseModel):
    """The legal-status envelope."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: list[LegalStatusItem] | None = None


class SandboxStats(BaseModel):
    """Server-side call counts: the ground truth for "how many calls did that cost"."""

    calls: dict[str, int]
    errors: dict[str, int]
    by_error_code: dict[str, int]
    delayed: dict[str, int]



apikey_doc = APIKeyQuery(name="apikey", auto_error=False,
                          description="api key (sk-...) or, in OAuth mode, the client id")
bearer_doc = HTTPBearer(auto_error=False, description=f"the api key again, or a token from {TOKEN.path}")
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "no such route or file"},
    405: {"model": ErrorEnvelope, "description": "method not allowed"},
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}
