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

from ..api import APIKEY_PARAM, MAX_VIEWS, PAGE_SIZE, TOKEN
from ..query import FILTERS

__all__ = [
    "ERROR_RESPONSES",
    "AbstractImageEnvelope",
    "BatchCreateEnvelope",
    "BatchResultEnvelope",
    "BibliographyEnvelope",
    "ErrorEnvelope",
    "ExtendSearchEnvelope",
    "LegalStatusEnvelope",
    "PatentNumberEnvelope",
    "SandboxStats",
    "SearchEnvelope",
    "SimpleLegalStatusEnvelope",
    "StudyEnvelope",
    "TokenResponse",
    "TruthEnvelope",
    "UploadEnvelope",
    "apikey_doc",
    "bearer_doc",
    "search_body_schema",
]


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


class PatentExtendMessage(BaseModel):
    """One similar patent of the newer searches (image-single, its beta, image-multiple): the bibliographic
    fields a landscape needs. Dates are ``yyyyMMdd`` integers, ``inventor`` is ``|``-joined, ``loc`` a list."""

    url: str | None = None
    title: str | None = None
    img_id: str | None = Field(None, description="the image's id; only with return_img_id true")
    patent_id: str | None = None
    patent_pn: str | None = None
    apno: str | None = Field(None, description="application number")
    apdt: int | None = Field(None, description="application date, yyyyMMdd")
    pbdt: int | None = Field(None, description="publication date, yyyyMMdd")
    score: float | None = Field(None, description="similarity; only when sorted by similarity (field SCORE)")
    inventor: str | None = Field(None, description="inventors, |-joined")
    current_assignee: str | None = None
    original_assignee: str | None = None
    authority: str | None = Field(None, description="the office (two-letter code)")
    loc: list[str] | None = Field(None, description="Locarno subclasses, NN-NN")
    loc_match: int | None = Field(None, description="1 when in the predicted Locarno subclass (model 1, SCORE)")


class ExtendSearchData(BaseModel):
    """``data`` of a newer search: the hits and how many patents match the filters (can exceed 100)."""

    patent_messages: list[PatentExtendMessage] | None = None
    total_search_result_count: int | None = None


class ExtendSearchEnvelope(BaseModel):
    """The newer searches' envelope."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: ExtendSearchData | None = None


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
    for spec in FILTERS.values():
        if endpoint not in spec.endpoints:
            continue
        prop: dict[str, Any] = {"type": spec.json_type, "description": f"{spec.caption}: {spec.help}"}
        if spec.json_type == "array":
            prop["items"] = {"type": "string"}
        if spec.json_type == "integer" and spec.low is not None:
            prop["minimum"], prop["maximum"] = spec.low, min(spec.high, PAGE_SIZE) if spec.name == "limit" else spec.high
        if spec.name == "patent_type":
            prop["enum"] = ["D", "U"]
        properties[spec.name] = prop
    return {"type": "object", "required": [*images, "patent_type", "model"], "properties": properties}


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


class PatentBase(BaseModel):
    """One patent a number names (P069; the project's description of the vendor's unpublished
    ``PatentBaseV2Response``): its standard number and id, dates (``yyyyMMdd`` integers) and parties."""

    patent_id: str
    pn: str | None = Field(None, description="the standard patent number")
    apno: str | None = Field(None, description="application number")
    apdt: int | None = Field(None, description="application date, yyyyMMdd")
    pbdt: int | None = Field(None, description="publication date, yyyyMMdd")
    authority: str | None = Field(None, description="the office (two-letter code)")
    patent_type: str | None = Field(None, description="D design, U utility model")
    current_assignee: str | None = None
    original_assignee: str | None = None
    inventor: str | None = Field(None, description="inventors, |-joined")


class PatentNumberData(BaseModel):
    """``data`` of a patent-number search: the patents found, this page's count and the total."""

    results: list[PatentBase] | None = None
    result_count: int | None = None
    total_search_result_count: int | None = None


class PatentNumberEnvelope(BaseModel):
    """The patent-number search's envelope (P069)."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: PatentNumberData | None = None


class AbstractDrawing(BaseModel):
    """A patent's abstract (front-page) drawing: its signed URL (``path``) and number."""

    path: str | None = Field(None, description="a signed URL of the drawing (it expires)")
    number: str | None = None


class AbstractImageItem(BaseModel):
    """One patent of a P021 answer; ``abstract_drawing`` is null for a patent without one."""

    patent_id: str
    pn: str | None = None
    abstract_drawing: AbstractDrawing | None = None


class AbstractImageEnvelope(BaseModel):
    """The abstract-image envelope: ``data`` is an array, one object per patent found."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: list[AbstractImageItem] | None = None


class BatchJob(BaseModel):
    """``data`` of an overnight job's creation: its id."""

    job_id: str | None = None


class BatchCreateEnvelope(BaseModel):
    """The overnight job creation's envelope (P062)."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: BatchJob | None = None


class BatchImageResult(BaseModel):
    """One image's results in a finished overnight job: the image's URL as given, and image-single's rows."""

    url: str | None = None
    patent_messages: list[PatentExtendMessage] | None = None
    total_search_result_count: int | None = None


class BatchResultData(BaseModel):
    """``data`` of an overnight job's result: its ``status`` (``waiting``, ``running`` during the night,
    ``success`` once done) and, when done, one result per image in the order the images were given."""

    status: str | None = None
    search_result: list[BatchImageResult] | None = None
    total_search_result_count: int | None = None


class BatchResultEnvelope(BaseModel):
    """The overnight job result's envelope (P062)."""

    status: bool
    error_code: int
    error_msg: str | None = None
    data: BatchResultData | None = None


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
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "no such route or file"},
    405: {"model": ErrorEnvelope, "description": "method not allowed"},
    503: {"description": "simulated service unavailability (only when that fault is configured)"},
}
