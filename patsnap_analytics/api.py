"""The PatSnap Open API's wire vocabulary, written once for the client and the sandbox.

Hosts, header names, the ``apikey`` parameter, the names a credential travels under, every endpoint the toolkit speaks (method, path, how its parameters travel) and the
error-code table (code -> the vendor's message and what a client should do) live here and nowhere else:
the client sends with them, the sandbox serves with them, and :mod:`patsnap_analytics.errors` maps the
codes to exception classes through :data:`ERROR_CODES`. Facts come from ``shared/api-facts.md``, the
vendor's seed pages and its OpenAPI description.

Example:
    >>> SEARCH_ID.method, SEARCH_ID.path, SEARCH_ID.params_in
    ('GET', '/image-search/search-id', 'query')
    >>> ERROR_CODES[67200002].action
    'retry'
    >>> endpoint_for_path("/image-search/image-upload").name
    'upload'

Words (``docs/architecture.md``, "Names"): an endpoint is called by its **name** (``"image-single"``, what users
type: ``endpoint=``); its **path** is the URL path (``/search/patent/image-single``); an :class:`Endpoint` is its
entry in this table, and a variable holding one is called ``operation``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from .codes import VERDICTS

__all__ = [
    "ABSTRACT_IMAGE",
    "APIKEY_PARAM",
    "AUTHORIZATION_HEADER",
    "BATCH_CREATE",
    "BATCH_NIGHT",
    "BATCH_RESULT",
    "BIBLIOGRAPHY_SCHEMA",
    "BILLED_ENDPOINTS",
    "CHINA_BASE_URL",
    "CORRELATION_HEADER",
    "CREDENTIAL_REFUSED",
    "DAY_FORMAT",
    "ENDPOINTS",
    "ENRICHMENT_ENDPOINTS",
    "ENVELOPE_SCHEMA",
    "ERROR_CODES",
    "FIRST_DAY",
    "IMAGE_MULTIPLE",
    "IMAGE_SINGLE",
    "IMAGE_SINGLE_BETA",
    "INTERNATIONAL_BASE_URL",
    "INVALID_PARAMETER",
    "JSON_SEARCH_ENDPOINTS",
    "LAST_DAY",
    "LEGAL_STATUS",
    "MAX_BATCH_IMAGES",
    "MAX_IDS_PER_CALL",
    "MAX_OFFSET",
    "MAX_RANKS",
    "MAX_STUDY_QUERIES",
    "MAX_TRUTH_KEYS",
    "MAX_VIEWS",
    "PAGE_SIZE",
    "PATENT_LEGAL_SCHEMA",
    "PATENT_NUMBER_SEARCH",
    "PERMISSION_DENIED",
    "RETRY_AFTER_HEADER",
    "SANDBOX_HEADER",
    "SANDBOX_STUDY",
    "SANDBOX_STUDY_IMAGES",
    "SANDBOX_TRUTH",
    "SEARCH_ENDPOINTS",
    "SEARCH_ID",
    "SEARCH_ID_LIFETIME",
    "SEARCH_RESULTS",
    "SECRET_NAMES",
    "SIMPLE_BIBLIOGRAPHY",
    "SIMPLE_LEGAL_STATUS",
    "SYNTHETIC_SOURCE",
    "TOKEN",
    "TOKEN_ANSWER_SCHEMA",
    "TOKEN_FIELDS",
    "UPLOAD",
    "VERSION_HEADER",
    "WORKFLOW_ENDPOINTS",
    "Endpoint",
    "ErrorCode",
    "answer_schema",
    "endpoint",
    "endpoint_for_path",
    "endpoint_named",
    "wire_day",
]

#: The international host (the default).
INTERNATIONAL_BASE_URL = "https://connect.patsnap.com"
#: The mainland-China host: same paths, same answers.
CHINA_BASE_URL = "https://connect.zhihuiya.com"

#: Sent by public clients; the vendor's spec never requires it, so nothing may depend on it.
VERSION_HEADER = "X-PatSnap-Version"
#: The vendor's trace id on answers (worth keeping for support tickets).
CORRELATION_HEADER = "x-correlation-id"
#: Set to ``1`` on every answer of the embedded sandbox: its data is generated, never real patents.
SANDBOX_HEADER = "X-PatSnap-Sandbox"
#: An OAuth bearer token on business calls; the client id and secret (HTTP Basic) on the token call.
AUTHORIZATION_HEADER = "Authorization"
#: Seconds a rate-limited or unavailable server asks a client to wait before trying again.
RETRY_AFTER_HEADER = "Retry-After"
#: The query parameter of every business call that carries the api key (in OAuth mode: the client id).
APIKEY_PARAM = "apikey"
#: Where a token answer (``POST /oauth/token``) may hold its token: the vendor's field, then the OAuth standard's.
TOKEN_FIELDS: tuple[str, ...] = ("token", "access_token")
#: Every name a credential may travel or be echoed under — query parameters, form fields, headers, JSON keys —
#: in the vendor's spelling and in the usual others: never part of a cache key, a stored request or a log line
#: (the cache drops them, :mod:`patsnap_analytics.redact` masks their values).
SECRET_NAMES: tuple[str, ...] = (
    APIKEY_PARAM, "api_key", AUTHORIZATION_HEADER, "access_token", "refresh_token", "token", "client_id",
    "client_secret", "secret", "password", "X-API-KEY", "Cookie",
)


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API: the toolkit's short ``name`` (what ``endpoint=`` takes), the vendor's
    ``operation_id``, ``method``, ``path``, how its parameters travel (``params_in``: query string, JSON body,
    multipart or form) and whether the account is billed for it.

    Example:
        >>> UPLOAD.params_in, TOKEN.billed, SEARCH_ID.operation_id
        ('multipart', False, 'P009')
    """

    name: str
    operation_id: str
    method: Literal["GET", "POST"]
    path: str
    params_in: Literal["query", "json", "multipart", "form"]
    summary: str
    billed: bool = True
    #: Whether the HTTP cache keeps whole answers (searches); enrichment answers are kept per patent instead.
    http_cached: bool = True
    #: JSON schema of the ``data`` of a successful answer (checked by :mod:`patsnap_analytics.wire.checks`).
    data_schema: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    #: JSON schema of one item of an answer whose ``data`` lists records (enrichment: one per patent), checked
    #: item by item so that one malformed record does not sink the others.
    item_schema: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def operation(self) -> str:
        """Deprecated spelling of :attr:`operation_id` (a variable holding an :class:`Endpoint` is ``operation``)."""
        from .renames import warn_renamed  # the bottom floor's one import, and only for an old spelling

        warn_renamed("Endpoint.operation", "Endpoint.operation_id")
        return self.operation_id


#: The days a ``yyyyMMdd`` field can name: calendar days a result frame's ``datetime64[ns]`` columns hold.
FIRST_DAY, LAST_DAY = date(1677, 9, 22), date(2262, 4, 11)
#: How the answer schemas mark a ``yyyyMMdd`` integer day (``"format"``), checked with :func:`wire_day`.
DAY_FORMAT = "yyyyMMdd"


def wire_day(value: Any) -> date | None:
    """A day as the API writes it, a ``yyyyMMdd`` integer (``None`` or 0: no day); ``ValueError`` for one that
    is not a calendar day between :data:`FIRST_DAY` and :data:`LAST_DAY`.

    Example:
        >>> wire_day(20200131), wire_day(0)
        (datetime.date(2020, 1, 31), None)
        >>> wire_day(99991231)
        Traceback (most recent call last):
        ...
        ValueError: 99991231 is not a yyyyMMdd day from 16770922 to 22620411
    """
    if value is None or value == 0:
        return None
    if type(value) is int:  # what every answer holds: read once per distinct day (the check and the frame ask)
        return _int_day(value)
    try:
        day = date(value // 10000, value // 100 % 100, value % 100)
    except (TypeError, ValueError, OverflowError):
        day = None
    if isinstance(value, bool) or day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise _not_a_day(value)
    return day


@functools.lru_cache(maxsize=1 << 14)
def _int_day(value: int) -> date:
    """:func:`wire_day` of an ``int`` (a bad one raises each time: exceptions are not cached)."""
    try:
        day = date(value // 10000, value // 100 % 100, value % 100)
    except (ValueError, OverflowError):  # no such day; a year past any date's range
        raise _not_a_day(value) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise _not_a_day(value)
    return day


def _not_a_day(value: Any) -> ValueError:
    return ValueError(f"{value!r} is not a yyyyMMdd day from {FIRST_DAY:%Y%m%d} to {LAST_DAY:%Y%m%d}")


_TEXT = {"type": ["string", "null"]}
#: A count (of results, of designs): bounded within what a result frame's ``Int64`` column holds, so that a hostile
#: total past it is a malformed answer, never a crash while typing the frame. 2**53: the largest integer every
#: JSON reader (and the OpenAPI document's float-typed bounds) keeps exact.
_COUNT = {"type": ["integer", "null"], "minimum": 0, "maximum": 2**53}
#: The same bounds on any other integer ``data`` may hold (a label, a drawing's number, a job id): every integer an
#: answer's data holds is one each JSON reader reads alike.
_INT_BOUNDS = {"minimum": -(2**53), "maximum": 2**53}
_NUMBER = {"type": ["number", "null"]}
#: One row of search-id (the seeds' PatentMessage): an id is required to tell the rows apart.
_PATENT_MESSAGE = {"type": "object", "required": ["patent_id"],
                   "properties": {"patent_id": {"type": "string", "minLength": 1}, "patent_pn": _TEXT,
                                  "title": _TEXT, "url": _TEXT, "score": _NUMBER}}
_SEARCH_DATA = {"type": "object", "properties": {
    "patent_messages": {"type": "array", "items": _PATENT_MESSAGE},
    "total_search_result_count": _COUNT,
    "search_id": _TEXT}}
#: One row of the newer searches (P060/P060 beta/P061: the spec's PatentExtendMessage, which its
#: ``$ref`` names but does not define; written here from api-facts.md): dates are ``yyyyMMdd`` integers,
#: ``loc`` an array of ``NN-NN`` codes, ``inventor`` ``|``-joined names, ``loc_match`` 1/0.
# "format" is not checked by the schema validator (it applies to strings only): wire/checks.py checks every field
# marked so with wire_day(), a day on the calendar that a result frame can hold
_YYYYMMDD = {"type": ["integer", "null"], "minimum": 10000101, "maximum": 99991231, "format": DAY_FORMAT}
_EXTEND_MESSAGE = {"type": "object", "required": ["patent_id"], "properties": {
    "patent_id": {"type": "string", "minLength": 1}, "patent_pn": _TEXT, "title": _TEXT, "url": _TEXT,
    "img_id": _TEXT, "score": _NUMBER, "apno": _TEXT, "apdt": _YYYYMMDD, "pbdt": _YYYYMMDD, "inventor": _TEXT,
    "current_assignee": _TEXT, "original_assignee": _TEXT, "authority": _TEXT,
    "loc": {"type": ["array", "null"], "maxItems": 50, "items": {"type": "string", "maxLength": 16}},
    "loc_match": {"type": ["integer", "null"], "enum": [0, 1, None]}}}
_EXTEND_DATA = {"type": "object", "properties": {
    "patent_messages": {"type": "array", "items": _EXTEND_MESSAGE},
    "total_search_result_count": _COUNT}}
_UPLOAD_DATA = {"type": "object", "required": ["url"], "properties": {
    "url": {"type": "string", "minLength": 1}, "expire": {"type": ["number", "null"]}}}

# The enrichment answers (basic-patent-data): ``data`` is an ARRAY of per-patent objects, at most one per patent
# asked for. The vendor's spec refers to component schemas it does not publish; these are the project's own
# description of the shapes (dates are yyyyMMdd integers, as in the image-search rows; statuses are labels,
# in English or in Chinese depending on the host).
_DATE = {"type": ["integer", "null"], "minimum": 0, "maximum": 99991231, "format": DAY_FORMAT}
_NAMES = {"type": ["array", "null"], "maxItems": 1000, "items": {
    "type": "object", "properties": {"name": _TEXT}}}
_TEXTS = {"type": ["array", "null"], "maxItems": 100, "items": {
    "type": "object", "properties": {"text": _TEXT, "lang": _TEXT}}}
_REFERENCE = {"type": ["object", "null"], "properties": {
    "doc_number": _TEXT, "country": _TEXT, "kind": _TEXT, "date": _DATE}}
_LABELS = {"type": ["array", "null"], "maxItems": 100, "items": {"type": ["string", "integer"], **_INT_BOUNDS}}
#: P011's ``bibliographic_data`` (the spec's ``BibliographicDataSimple``, unpublished): parties, titles,
#: Locarno classes and the application / publication references with their dates.
BIBLIOGRAPHY_SCHEMA: Mapping[str, Any] = MappingProxyType({"type": "object", "properties": {
    "patent_type": _TEXT, "invention_title": _TEXTS, "abstracts": _TEXTS,
    "application_reference": _REFERENCE, "publication_reference": _REFERENCE,
    "applicants": _NAMES, "original_assignees": _NAMES, "current_assignees": _NAMES, "inventors": _NAMES,
    "classification_loc": {"type": ["array", "null"], "maxItems": 100, "items": {
        "type": "object", "properties": {"code": _TEXT}}}}})
#: P013's ``patent_legal`` (the spec's ``PatentLegalStatus``, unpublished): the current statuses and the
#: legal events so far, as labels.
PATENT_LEGAL_SCHEMA: Mapping[str, Any] = MappingProxyType({"type": "object", "properties": {
    "simple_legal_status": _LABELS, "legal_status": _LABELS, "event_status": _LABELS}})


#: The ``data`` of an enrichment answer: at most 100 objects, each naming its patent by id (each object is
#: checked on its own against its endpoint's ``item_schema``).
_PATENTS = {"type": "array", "maxItems": 100, "items": {
    "type": "object", "required": ["patent_id"], "properties": {"patent_id": {"type": "string", "minLength": 1}}}}


def _patent(**fields: Any) -> dict[str, Any]:
    """One record of an enrichment answer: its patent's id and number, and what the endpoint says of it."""
    return {"type": "object", "required": ["patent_id"],
            "properties": {"patent_id": {"type": "string", "minLength": 1}, "pn": _TEXT, **fields}}


# The workflows' endpoints (P069, P021, P062): the vendor's spec names their component schemas without
# publishing them, so these shapes are written from its descriptions and api-facts.md; docs/endpoints.md says
# what was assumed. Everything not named here is ignored, never trusted.
_PN_RESULT = {"type": "object", "required": ["patent_id"], "properties": {
    "patent_id": {"type": "string", "minLength": 1}, "pn": _TEXT, "apno": _TEXT, "apdt": _YYYYMMDD,
    "pbdt": _YYYYMMDD, "authority": _TEXT, "patent_type": _TEXT, "current_assignee": _TEXT,
    "original_assignee": _TEXT, "inventor": _TEXT}}
#: P069's ``data`` (its rows are the spec's ``PatentBaseV2Response``, unpublished): the patents a number names.
_PN_DATA = {"type": "object", "properties": {
    "results": {"type": ["array", "null"], "maxItems": 1000, "items": _PN_RESULT},
    "result_count": _COUNT,
    "total_search_result_count": _COUNT}}
#: P021's ``abstract_drawing`` (the spec's ``AbstractDrawing``, unpublished): the front-page drawing's signed
#: URL (``path``) and its number; ``null`` or no ``path`` when the patent has none.
_DRAWING = {"type": ["object", "null"], "properties": {"path": _TEXT,
                                                       "number": {"type": ["string", "integer", "null"], **_INT_BOUNDS}}}
#: P021's ``data``: an array of at most 100 objects, one per patent found, each with its drawing (or none).
_DRAWINGS = {"type": "array", "maxItems": 100, "items": {"type": "object", "required": ["patent_id"], "properties": {
    "patent_id": {"type": "string", "minLength": 1}, "pn": _TEXT, "abstract_drawing": _DRAWING}}}
#: P062's job: ``data.job_id`` (the spec types it a string; its example is a number).
_JOB_DATA = {"type": "object", "required": ["job_id"], "properties": {
    "job_id": {"type": ["string", "integer"], "minLength": 1, **_INT_BOUNDS}}}
#: One image's results in a finished P062 job (the spec's ``MoreImageSearchResult``, unpublished): the rows of
#: an image-single search of that image, in the order the job's ``urls`` were given.
_JOB_IMAGE = {"type": "object", "properties": {
    "url": _TEXT, "patent_messages": {"type": ["array", "null"], "items": _EXTEND_MESSAGE},
    "total_search_result_count": _COUNT}}
_JOB_RESULT_DATA = {"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "maxLength": 40},
    "search_result": {"type": ["array", "null"], "maxItems": 10, "items": _JOB_IMAGE},
    "total_search_result_count": _COUNT}}


TOKEN = Endpoint("token", "OAuth", "POST", "/oauth/token", "form",
                 "OAuth client credentials: a bearer token living about 30 minutes", billed=False)
UPLOAD = Endpoint("upload", "P010", "POST", "/image-search/image-upload", "multipart",
                  "upload a JPG/PNG (at most 4096 KB); its public URL lives 9 hours", data_schema=_UPLOAD_DATA)
SEARCH_ID = Endpoint("search-id", "P009", "GET", "/image-search/search-id", "query",
                     "similar designs of an image URL: the top <= 100 and a search id", data_schema=_SEARCH_DATA)
SEARCH_RESULTS = Endpoint("results", "P009", "GET", "/image-search/results", "query",
                          "more ranks of an earlier search-id search (within 20 minutes), 100 per call",
                          data_schema=_SEARCH_DATA)
IMAGE_SINGLE = Endpoint("image-single", "P060", "POST", "/search/patent/image-single", "json",
                        "similar designs (D) or utility models (U) of one image, rich rows, ranks to 1,100",
                        data_schema=_EXTEND_DATA)
IMAGE_SINGLE_BETA = Endpoint("image-single-beta", "P060β", "POST", "/search/patent/image-single/beta", "json",
                             "as image-single, the query first turned into a line drawing (photos, renderings)",
                             data_schema=_EXTEND_DATA)
IMAGE_MULTIPLE = Endpoint("image-multiple", "P061", "POST", "/search/patent/image-multiple", "json",
                          "similar designs of one design shown in 1-4 views, rich rows, ranks to 1,100",
                          data_schema=_EXTEND_DATA)
SIMPLE_BIBLIOGRAPHY = Endpoint("simple-bibliography", "P011", "GET", "/basic-patent-data/simple-bibliography",
                               "query", "parties, titles, Locarno classes and dates of up to 100 patents",
                               data_schema=_PATENTS, item_schema=_patent(bibliographic_data=dict(BIBLIOGRAPHY_SCHEMA)),
                               http_cached=False)
SIMPLE_LEGAL_STATUS = Endpoint("simple-legal-status", "P041", "GET", "/basic-patent-data/simple-legal-status",
                               "query", "simple legal status (active, inactive, pending) of up to 100 patents",
                               data_schema=_PATENTS, item_schema=_patent(simple_legal_status=_LABELS), http_cached=False)
LEGAL_STATUS = Endpoint("legal-status", "P013", "GET", "/basic-patent-data/legal-status", "query",
                        "legal status, events and their date of up to 100 patents",
                        data_schema=_PATENTS, item_schema=_patent(legal_date=_DATE, patent_legal=dict(PATENT_LEGAL_SCHEMA)),
                        http_cached=False)

PATENT_NUMBER_SEARCH = Endpoint("patent-search-pn", "P069", "POST", "/search/patent/patent-search-pn", "json",
                                "a patent number as written -> the standard number, patent id, dates and holders",
                                data_schema=_PN_DATA, http_cached=False)
ABSTRACT_IMAGE = Endpoint("abstract-image", "P021", "GET", "/basic-patent-data/abstract-image", "query",
                          "the abstract (front-page) drawing's signed URL of up to 100 patents",
                          data_schema=_DRAWINGS, http_cached=False)
BATCH_CREATE = Endpoint("batch-create", "P062", "POST", "/search/patent/image-search/single-batch-create", "json",
                        "an overnight job: up to 10 images searched as image-single does, run 22:00-08:00",
                        data_schema=_JOB_DATA, http_cached=False)
BATCH_RESULT = Endpoint("batch-result", "P062", "POST", "/search/patent/image-search/single-batch-result", "json",
                        "an overnight job's state, and its results once the vendor ran it (task_id in the query)",
                        data_schema=_JOB_RESULT_DATA, http_cached=False)

# The sandbox's own routes (the vendor has none such): a study's queries made from the generated world's design
# families, and their synthetic truth. They are served by the embedded sandbox only, without credentials, never
# billed and never cached; the client side reaches them through patsnap_analytics.synthetic, never by importing
# the sandbox. Their answers are checked like the API's (a study must not learn from a malformed verdict).
#: What every synthetic verdict says it is (``verdict_source``): the contract between the sandbox and a study.
SYNTHETIC_SOURCE = "sandbox-synthetic"
#: Study queries one ``/_sandbox/study`` request may ask for.
MAX_STUDY_QUERIES = 250
#: Query keys one ``/_sandbox/truth`` request may name.
MAX_TRUTH_KEYS = 200
_STUDY_KEY = {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
_SYNTHETIC_VERDICT = {"type": "object", "required": ["query_key", "patent_id", "verdict", "relevance"], "properties": {
    "query": _TEXT, "query_key": _STUDY_KEY, "patent_id": {"type": "string", "minLength": 1, "maxLength": 200},
    "patent_pn": _TEXT, "verdict": {"enum": [w for w, g in VERDICTS.items() if g is not None]},
    "relevance": {"type": "integer", "enum": sorted({g for g in VERDICTS.values() if g is not None})},
    "verdict_source": {"const": SYNTHETIC_SOURCE}, "family_id": _TEXT, "family_role": _TEXT, "note": _TEXT}}
_TRUTH_DATA = {"type": "object", "required": ["verdicts", "unlisted", "verdict_source"], "properties": {
    "verdicts": {"type": "array", "maxItems": 100 * MAX_TRUTH_KEYS, "items": _SYNTHETIC_VERDICT},
    "unlisted": {"const": "different"}, "verdict_source": {"const": SYNTHETIC_SOURCE},
    "designs": _COUNT}}
_STUDY_QUERY = {"type": "object", "required": ["name", "query_key"], "properties": {
    "name": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,120}\.(png|jpg)$"}, "query_key": _STUDY_KEY,
    "degradation": _TEXT, "family_id": _TEXT, "loc": _TEXT, "image_url": _TEXT}}
_STUDY_DATA = {"type": "object", "required": ["queries", "truth"], "properties": {
    "queries": {"type": "array", "minItems": 1, "maxItems": MAX_STUDY_QUERIES, "items": _STUDY_QUERY},
    "truth": _TRUTH_DATA}}
SANDBOX_STUDY = Endpoint("sandbox-study", "sandbox", "GET", "/_sandbox/study", "query",
                         "the sandbox's study queries (n, seed) and their synthetic truth", billed=False,
                         http_cached=False, data_schema=_STUDY_DATA)
SANDBOX_TRUTH = Endpoint("sandbox-truth", "sandbox", "GET", "/_sandbox/truth", "query",
                         "the synthetic verdicts of study queries the sandbox generated (query_key repeated)",
                         billed=False, http_cached=False, data_schema=_TRUTH_DATA)
#: Where the sandbox serves a study query's image: ``{SANDBOX_STUDY_IMAGES}/<hex of its key>.<png|jpg>``.
SANDBOX_STUDY_IMAGES = "/_sandbox/study/images"

#: Every endpoint the toolkit speaks, by name.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType({e.name: e for e in (
    TOKEN, UPLOAD, SEARCH_ID, SEARCH_RESULTS, IMAGE_SINGLE, IMAGE_SINGLE_BETA, IMAGE_MULTIPLE,
    SIMPLE_BIBLIOGRAPHY, SIMPLE_LEGAL_STATUS, LEGAL_STATUS, PATENT_NUMBER_SEARCH, ABSTRACT_IMAGE, BATCH_CREATE,
    BATCH_RESULT)})
#: The similar-design searches by image, by name (``search_designs(endpoint=...)``).
SEARCH_ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for e in (SEARCH_ID, IMAGE_SINGLE, IMAGE_SINGLE_BETA, IMAGE_MULTIPLE)})
#: Enrichment by patent id (at most :data:`MAX_IDS_PER_CALL` per call), by name.
ENRICHMENT_ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for e in (SIMPLE_BIBLIOGRAPHY, SIMPLE_LEGAL_STATUS, LEGAL_STATUS)})
#: The searches whose parameters travel as a JSON body (and whose rows are rich), by name.
JSON_SEARCH_ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for e in SEARCH_ENDPOINTS.values() if e.params_in == "json"})
#: The workflows' endpoints (``search_like``: P069, P021; overnight jobs: P062), by name.
WORKFLOW_ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for e in (PATENT_NUMBER_SEARCH, ABSTRACT_IMAGE, BATCH_CREATE, BATCH_RESULT)})
#: Ranks one search call returns at most (``limit`` on the wire).
PAGE_SIZE = 100
#: The deepest ``offset`` a call takes: ranks end at ``MAX_OFFSET + PAGE_SIZE`` (1,100).
MAX_OFFSET = 1000
#: Ranks reachable through paging.
MAX_RANKS = MAX_OFFSET + PAGE_SIZE
#: Seconds a ``search_id`` can be paged through ``/image-search/results`` after its search.
SEARCH_ID_LIFETIME = 20 * 60
#: Views of one design that image-multiple takes.
MAX_VIEWS = 4
#: Patent ids (or numbers) one enrichment call takes.
MAX_IDS_PER_CALL = 100
#: Images one overnight job (P062) takes.
MAX_BATCH_IMAGES = 10
#: The vendor's night, in its own hours: overnight jobs run from 22:00 to 08:00.
BATCH_NIGHT = (22, 8)
#: The endpoints whose calls the account pays for (the token call is free).
BILLED_ENDPOINTS: tuple[Endpoint, ...] = tuple(e for e in ENDPOINTS.values() if e.billed)
_BY_PATH = {e.path: e for e in ENDPOINTS.values()}

#: An answer's envelope: ``status``, and on an error the code and the vendor's message (``data`` comes with a
#: success, as each endpoint's ``data_schema`` says).
ENVELOPE_SCHEMA: Mapping[str, Any] = MappingProxyType({"type": "object", "required": ["status"], "properties": {
    "status": {"type": "boolean"}, "error_code": {"type": ["integer", "null"]}, "error_msg": _TEXT}})
#: The token call's answer: its fields at the top level, as the vendor sends them (``status`` a word:
#: ``approved``), or an error envelope.
TOKEN_ANSWER_SCHEMA: Mapping[str, Any] = MappingProxyType({"type": "object", "properties": {
    "token": _TEXT, "token_type": _TEXT, "expires_in": {"type": ["integer", "null"]},
    "status": {"type": ["string", "boolean"]}, "error_code": {"type": ["integer", "null"]}, "error_msg": _TEXT}})


def _plain(value: Any) -> Any:
    """A schema as plain dicts and lists (read-only mappings copied), safe to hand out and to serialise."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def answer_schema(operation: Endpoint) -> dict[str, Any]:
    """The JSON schema of a whole answer of ``operation``: the envelope around its ``data_schema`` (a listing's
    records described by its ``item_schema``), from the schemas the client checks answers with. The sandbox
    documents its answers with it (``/openapi.json``), so the two cannot drift apart.

    Example:
        >>> schema = answer_schema(LEGAL_STATUS)
        >>> schema["required"], "patent_legal" in schema["properties"]["data"]["anyOf"][0]["items"]["properties"]
        (['status'], True)
        >>> sorted(answer_schema(TOKEN)["properties"])[:3]
        ['error_code', 'error_msg', 'expires_in']
    """
    if operation is TOKEN:
        return _plain(TOKEN_ANSWER_SCHEMA)
    envelope = _plain(ENVELOPE_SCHEMA)
    if operation.data_schema is not None:
        data = _plain(operation.data_schema)
        if operation.item_schema is not None:
            data["items"] = _plain(operation.item_schema)
        envelope["properties"]["data"] = {"anyOf": [data, {"type": "null"}]}
    return envelope


def endpoint_named(name: str) -> Endpoint:
    """The endpoint called ``name`` (``"search-id"``, ``"upload"``, ``"token"``).

    Example:
        >>> endpoint_named("search-id").operation_id
        'P009'
    """
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}") from None


def endpoint(name: str) -> Endpoint:
    """Deprecated spelling of :func:`endpoint_named`."""
    from .renames import warn_renamed

    warn_renamed("api.endpoint()", "api.endpoint_named()")
    return endpoint_named(name)


def endpoint_for_path(path: str) -> Endpoint | None:
    """The endpoint served at ``path``, or ``None`` for any other path.

    Example:
        >>> endpoint_for_path("/nowhere") is None
        True
    """
    return _BY_PATH.get(path)


@dataclass(frozen=True)
class ErrorCode:
    """One documented ``error_code``: the vendor's English message, what a client should do
    (``retry`` with backoff, ``renew`` the token once, or ``raise``) and its ``family``, which
    :mod:`patsnap_analytics.errors` turns into an exception class.

    Example:
        >>> ERROR_CODES[68300010].family, ERROR_CODES[68300010].action
        ('upload', 'raise')
    """

    code: int
    message: str
    action: Literal["retry", "renew", "raise"]
    family: Literal["service", "rate", "token", "auth", "permission", "balance", "daily", "rejected", "upload"]


def _codes(*rows: tuple[int, str, str, str]) -> Mapping[int, ErrorCode]:
    return MappingProxyType({code: ErrorCode(code, msg, action, family)  # type: ignore[arg-type]
                             for code, msg, action, family in rows})


#: Every documented (or observed) ``error_code``; 0 is success and is not listed.
ERROR_CODES: Mapping[int, ErrorCode] = _codes(
    (67200000, "Server internal error!", "retry", "service"),
    (67200001, "API call exceeds the total limit set by the platform!", "retry", "rate"),
    (67200002, "Quota exceeds the limit!", "retry", "rate"),
    (67200003, "Access token expired or authentication error!", "renew", "token"),
    (67200004, "No permission or API package quota has exceeded the limit!", "raise", "permission"),
    (67200005, "Insufficient balance, call failed!", "raise", "balance"),
    (67200006, "This client has expired and call failed!", "raise", "auth"),
    (67200007, "Exceeded the call limit, call failed!", "raise", "daily"),
    (67200008, "The apikey parameter is missing!", "raise", "auth"),
    (67200009, "The apikey and the access token do not match!", "renew", "token"),
    (67200015, "Grant type error!", "raise", "auth"),
    (67200101, "Path not found!", "raise", "rejected"),
    (67200202, "Apikey authentication error!", "raise", "auth"),
    (68300004, "Invalid parameter!", "raise", "rejected"),
    (68300005, "Search api failure!", "retry", "service"),
    (68300006, "Analytic basic access error!", "retry", "service"),
    (68300007, "Bad request!", "raise", "rejected"),
    (68300008, "Service error, please try again later!", "retry", "service"),
    (68300010, "The file does not comply with upload specifications!", "raise", "upload"),
)
#: The code of a parameter the API refused (also what a no-longer-known upload URL gets).
INVALID_PARAMETER = 68300004
#: The code of a call the account may not make (endpoints are licensed one by one).
PERMISSION_DENIED = 67200004
#: The codes with which the API says it did not accept the credential sent (key, client id, secret or token).
CREDENTIAL_REFUSED: frozenset[int] = frozenset({67200003, 67200008, 67200009, 67200202})
