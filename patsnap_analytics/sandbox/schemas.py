"""The sandbox's answers as its OpenAPI schema documents them, and the documentation of its auth parameters.

The API's answers are documented from :func:`patsnap_analytics.api.answer_schema` — the JSON schemas the client
checks every answer with — so what the sandbox says it answers and what the client accepts are one description
(FastAPI takes a raw JSON schema in ``responses=``). Only the sandbox's own routes (``/_sandbox/...``) have models
here. FastAPI renders them at ``/openapi.json``, which the fuzzing tests read; the routes build their envelopes with
:mod:`.protocol`.

Example:
    >>> from patsnap_analytics.api import SEARCH_ID
    >>> answer_docs(SEARCH_ID)[200]["content"]["application/json"]["schema"]["required"]
    ['status']
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel, Field

from ..api import APIKEY_PARAM, ENVELOPE_SCHEMA, MAX_VIEWS, PAGE_SIZE, TOKEN, Endpoint, answer_schema
from ..query import FILTERS

__all__ = [
    "ERROR_RESPONSES",
    "SandboxStats",
    "StudyEnvelope",
    "TruthEnvelope",
    "answer_docs",
    "apikey_doc",
    "bearer_doc",
    "error_docs",
    "search_body_schema",
]


def search_body_schema(endpoint: str) -> dict[str, Any]:
    """The JSON request body a newer search takes (for ``/openapi.json``), from the one filter table.

    Example:
        >>> body = search_body_schema("image-multiple")
        >>> body["required"], body["properties"]["country"]["type"], body["properties"]["limit"]["maximum"]
        (['urls', 'patent_type', 'model'], 'array', 100)
    """
    images: dict[str, Any] = (
        {"urls": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_VIEWS,
                  "description": "1-4 image URLs of one design (issued by this server); the first predicts the "
                                 "Locarno class under model 1"}}
        if endpoint == "image-multiple" else
        {"url": {"type": "string", "description": "an image URL this server issued (upload or corpus drawing)"}})
    properties = dict(images)
    for filter_ in FILTERS.values():
        if endpoint not in filter_.endpoints:
            continue
        prop: dict[str, Any] = {"type": filter_.json_type, "description": f"{filter_.caption}: {filter_.help}"}
        if filter_.json_type == "array":
            prop["items"] = {"type": "string"}
        if filter_.json_type == "integer" and filter_.low is not None:
            prop["minimum"], prop["maximum"] = filter_.low, min(filter_.high, PAGE_SIZE) if filter_.name == "limit" else filter_.high
        if filter_.name == "patent_type":
            prop["enum"] = ["D", "U"]
        properties[filter_.name] = prop
    return {"type": "object", "required": [*images, "patent_type", "model"], "properties": properties}


class SandboxStats(BaseModel):
    """Server-side call counts: the ground truth for "how many calls did that cost"."""

    calls: dict[str, int]
    errors: dict[str, int]
    by_error_code: dict[str, int]
    delayed: dict[str, int]


class Verdict(BaseModel):
    """One synthetic verdict: a design's grade for a study query (``codes.VERDICTS``' words)."""

    query: str
    query_key: str = Field(description="sha256: and the hex of the query image's bytes")
    patent_id: str
    patent_pn: str
    verdict: str = Field(description="same design, similar or different")
    relevance: int = Field(description="the verdict's grade: 2, 1 or 0")
    verdict_source: str = Field(description="always sandbox-synthetic")
    family_id: str
    family_role: str
    note: str


class TruthData(BaseModel):
    """``data`` of the truth: the listed verdicts; every design not listed is ``unlisted`` (different)."""

    verdicts: list[Verdict]
    unlisted: str = Field(description="the verdict of every design the answer does not list: different")
    verdict_source: str
    designs: int = Field(description="designs in the corpus (all judged)")


class TruthEnvelope(BaseModel):
    """The truth's envelope (an error envelope names a query key the sandbox did not generate)."""

    status: bool
    data: TruthData | None = None
    error_code: int | None = None
    error_msg: str | None = None


class StudyQueryInfo(BaseModel):
    """One generated study query: its name, key, image link and how it was made."""

    name: str
    query_key: str
    image_url: str
    degradation: str = Field(description="scanned, photographed or cropped")
    family_id: str
    loc: str = Field(description="the Locarno subclass of the design it was made from")


class StudyData(BaseModel):
    """``data`` of a study: its queries and their truth."""

    queries: list[StudyQueryInfo]
    truth: TruthData


class StudyEnvelope(BaseModel):
    """The study's envelope."""

    status: bool
    data: StudyData | None = None
    error_code: int | None = None
    error_msg: str | None = None


apikey_doc = APIKeyQuery(name=APIKEY_PARAM, auto_error=False,
                          description="api key (sk-...) or, in OAuth mode, the client id")
bearer_doc = HTTPBearer(auto_error=False, description=f"the api key again, or a token from {TOKEN.path}")


def _json(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_docs(description: str) -> dict[str, Any]:
    """An error answer's documentation: the API's envelope (``status`` false, the code and the message).

    Example:
        >>> error_docs("no such file")["content"]["application/json"]["schema"]["properties"]["status"]
        {'type': 'boolean'}
    """
    return _json(copy.deepcopy(dict(ENVELOPE_SCHEMA)), description)


#: The answers every route may give besides its own: no such route, a wrong method, a simulated outage.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: error_docs("no such route or file"),
    405: error_docs("method not allowed"),
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}


def answer_docs(operation: Endpoint) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of ``operation``'s route: its answer as the client checks it (HTTP 200: the envelope and
    its data, or an error envelope; :func:`~patsnap_analytics.api.answer_schema`) and :data:`ERROR_RESPONSES`."""
    return {200: _json(answer_schema(operation), f"{operation.summary} (or an error envelope)"), **ERROR_RESPONSES}

