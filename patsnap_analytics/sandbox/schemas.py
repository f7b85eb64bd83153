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

__all__ = ["ERROR_RESPONSES", "ErrorEnvelope", "SandboxStats", "SearchEnvelope", "TokenResponse", "UploadEnvelope",
           "apikey_doc", "bearer_doc"]


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



apikey_doc = APIKeyQuery(name="apikey", auto_error=False,
                          description="api key (sk-...) or, in OAuth mode, the client id")
bearer_doc = HTTPBearer(auto_error=False, description=f"the api key again, or a token from {TOKEN.path}")
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "no such route or file"},
    405: {"model": ErrorEnvelope, "description": "method not allowed"},
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}
