"""What a result frame is: typed columns with a stable schema, and its metadata (:class:`ResultInfo`).

Every result frame has the contract's columns, in this order, with nullable dtypes (so a missing score is
``<NA>``, not a float NaN pretending to be a number)::

    query  rank  patent_id  patent_pn  title  score  image_url  country  search_id  total_count

``score`` is NA whenever the search was sorted by a date field: the API documents it as meaningful only
when sorting by similarity. The rich columns follow (:data:`RICH_COLUMNS`); the newer endpoints
(image-single, its beta, image-multiple) fill them from their rows, search-id leaves them NA::

    application_number  application_date  publication_date  current_assignee  original_assignee
    inventors (list of names)  loc (list of codes)  loc_match (nullable boolean)  img_id

``country`` is the row's ``authority`` when the endpoint sends one, else the office of the patent number.
Last comes ``query_key``: what was searched, as a key that survives renamed files and re-sorted sheets
(:func:`query_key`: ``sha256:<hex>`` of the image's bytes, views joined with ``+``, ``url:<address>``); reviewers'
verdicts and studies match searches by it. Columns are added, never renamed. ``df.attrs`` holds
only JSON-serialisable values, so ``to_parquet`` keeps working; :class:`ResultInfo` is the one definition of
what they hold, and :func:`is_sandbox` the one answer to "is this sandbox data?".

Example:
    >>> data = {"patent_messages": [{"patent_id": "p1", "patent_pn": "USD0912345S", "title": "Watch",
    ...         "url": "https://img/1.png", "score": 0.93}], "search_id": "S1", "total_search_result_count": 40}
    >>> df = results_frame(data, query="watch.png", sorted_by_similarity=True)
    >>> row = df.iloc[0]
    >>> int(row["rank"]), row["country"], float(row["score"]), int(row["total_count"])
    (1, 'US', 0.93, 40)
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .api import ENDPOINTS, endpoint_for_path, wire_day
from .arrays import (
    EPOCH_ORDINAL,
    NAT_NS,
    NS_PER_DAY,
    frame_of_arrays,
    frame_of_typed,
    masked_array,
    object_values,
    same_array,
    typed_array,
    with_columns,
)
from .codes import office_of
from .query import DesignQuery
from .renames import warn_renamed

__all__ = ["ENRICHED_DTYPES", "FRAME_DTYPES", "KEY_DTYPES", "LIST_COLUMNS", "RESULT_COLUMNS", "RESULT_DTYPES",
           "RICH_COLUMNS", "RICH_DTYPES", "SANDBOX_MARK", "ResultInfo", "SearchSpec", "data_source", "empty_results",
           "enriched_column", "frame_of_arrays", "is_sandbox", "query_key", "results_frame", "sandbox_mark",
           "typed_array", "with_columns"]

RESULT_DTYPES: dict[str, str] = {
    "query": "string",
    "rank": "Int64",
    "patent_id": "string",
    "patent_pn": "string",
    "title": "string",
    "score": "Float64",
    "image_url": "string",
    "country": "string",
    "search_id": "string",
    "total_count": "Int64",
}
RESULT_COLUMNS = tuple(RESULT_DTYPES)
#: The rich rows' columns (NA where the endpoint does not send them): dates are datetime64 (day precision),
#: ``inventors`` and ``loc`` hold lists.
RICH_DTYPES: dict[str, str] = {
    "application_number": "string",
    "application_date": "datetime64[ns]",
    "publication_date": "datetime64[ns]",
    "current_assignee": "string",
    "original_assignee": "string",
    "inventors": "object",
    "loc": "object",
    "loc_match": "boolean",
    "img_id": "string",
}
RICH_COLUMNS = tuple(RICH_DTYPES)
#: What was searched, per row (:func:`query_key`): added after the rich columns (columns are never moved).
KEY_DTYPES: dict[str, str] = {"query_key": "string"}
#: Every column of a result frame, in order.
FRAME_DTYPES: dict[str, str] = {**RESULT_DTYPES, **RICH_DTYPES, **KEY_DTYPES}

#: Columns enrichment adds (and fills, for the rich columns too), with their dtypes: dates are date-only
#: datetime64, parties joined with ``|`` as the API joins them, ``inventors``, ``applicants``, ``loc`` and
#: ``legal_events`` lists (``object``), statuses as nullable codes beside their words.
ENRICHED_DTYPES: dict[str, str] = {
    "title_en": "string",
    "patent_type": "string",
    **{c: t for c, t in RICH_DTYPES.items() if c not in ("loc_match", "img_id")},
    "applicants": "object",
    "simple_legal_status": "Int64",
    "simple_legal_status_label": "string",
    "legal_status": "Int64",
    "legal_status_label": "string",
    "legal_status_date": "datetime64[ns]",
    "legal_events": "object",
}
#: The enriched columns holding a list per row (``[]`` when the API named nobody / nothing).
LIST_COLUMNS = tuple(c for c, t in ENRICHED_DTYPES.items() if t == "object")


def enriched_column(name: str, values: list[Any]) -> pd.api.extensions.ExtensionArray:
    """``values`` (one per row, ``None`` when unknown; days as ISO ``YYYY-MM-DD`` text, as records keep them)
    typed as the enriched column ``name`` is (an array, so that assigning it to a frame never aligns on an index).

    Example:
        >>> enriched_column("application_date", ["2020-01-31", None]).tolist()
        [Timestamp('2020-01-31 00:00:00'), NaT]
        >>> enriched_column("loc", [["06-01"], None]).tolist()
        [['06-01'], None]
    """
    dtype = ENRICHED_DTYPES[name]
    if dtype.startswith("datetime64"):
        values = [None if v is None else _iso_day(v) for v in values]
    return typed_array(values, dtype)


def _iso_day(text: str) -> date:
    """A ``YYYY-MM-DD`` day (no other form of ISO 8601)."""
    if len(text) != 10:
        raise ValueError(f"{text!r} is not a YYYY-MM-DD day")
    return date.fromisoformat(text)


def empty_results() -> pd.DataFrame:
    """A result frame with no rows but the full typed schema.

    Example:
        >>> list(empty_results().dtypes.astype(str))[:3]
        ['string', 'Int64', 'string']
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in FRAME_DTYPES.items()})


def _score(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):  # not a number; an integer past any float
        return None


def _scores(values: list[Any]) -> list[Any]:
    """Each score as a float (``None`` for none, or for a value that is not a number); a column of floats (what
    answers hold) as it is."""
    return values if _FLOATS.issuperset(map(type, values)) else [_score(v) for v in values]


_FLOATS = frozenset({float, type(None)})


def _day(value: Any) -> date | None:
    """A ``yyyyMMdd`` integer as a day; anything else — a day no calendar or ``datetime64[ns]`` holds — is
    missing, never a crash (wire/checks.py refuses such answers before they are stored)."""
    try:
        return wire_day(value)
    except ValueError:
        return None


def _day_column(values: list[Any]) -> np.ndarray:
    """Wire days (``yyyyMMdd`` integers; anything else is missing, as :func:`_day` reads it) as a
    ``datetime64[ns]`` NumPy array (the frame wraps it: pandas' array constructor would cost as much as the
    column), each distinct value converted once (:func:`_day_ns`)."""
    try:
        ns = np.array(list(map(_day_ns, values)), dtype=np.int64)
    except TypeError:  # a value that is no dict key (a list) is no day: missing, the others read as ever
        ns = np.array([_day_ns(v) if isinstance(v, Hashable) else NAT_NS for v in values], dtype=np.int64)
    return ns.view("datetime64[ns]")


@functools.lru_cache(maxsize=1 << 14, typed=True)  # typed: 20200131 and 20200131.0 are read apart
def _day_ns(value: Any) -> int:
    """A wire day as nanoseconds since 1970 (``NaT``'s value when it is no day)."""
    day = _day(value)
    return NAT_NS if day is None else (day.toordinal() - EPOCH_ORDINAL) * NS_PER_DAY


def _names(value: Any) -> list[str] | None:
    """``|``-joined names as a list (``None`` for no text, or text of blanks only)."""
    if not isinstance(value, str):
        return None
    if "|" not in value:  # one name (most rows)
        name = value.strip()
        return [name] if name else None
    names = [n for n in map(str.strip, value.split("|")) if n]
    return names if names or value.strip() else None


class _Same:
    """One value every row of a column holds (a search's query, search id, total): typed without a list of it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Rows:
    """An answer's rows and what every row of it shares, read one column at a time."""

    def __init__(self, data: dict, messages: list[dict[str, Any]], ranks: Any, *, query: str,
                 with_score: bool, key: str | None = None) -> None:
        self.messages, self.ranks, self.query, self.with_score, self.key = messages, ranks, query, with_score, key
        self.search_id, self.total = data.get("search_id"), data.get("total_search_result_count")
        #: the fields any row holds (search-id's rows hold none of the rich ones: those columns are all NA)
        self.keys = set().union(*messages)

    def field(self, key: str, convert: Callable[[list[Any]], Any] | None = None) -> Any:
        """Each row's ``key`` (``None`` where a row lacks it), through ``convert`` (a column's values to its
        values, ``None`` kept, or to its array); missing in every row when no row holds the field."""
        if key not in self.keys:
            return self.same(None)
        values = [m.get(key) for m in self.messages]
        return values if convert is None else convert(values)

    def same(self, value: Any) -> _Same:
        """``value`` for every row."""
        return _Same(value)


def _name_lists(values: list[Any]) -> list[list[str] | None]:
    """Each row's ``|``-joined names as a list (:func:`_names`). The API writes names clean — printable, no blank
    around a name, none empty — and then a plain split on ``|`` reads them as :func:`_names` does; whether a
    column is clean is answered for all its values at once by string methods over them joined (C loops, not a
    Python call per name)."""
    if _TEXT_OR_NONE.issuperset(map(type, values)):
        texts = [v for v in values if v]
        whole = "|".join(texts)  # one name list: a bad name at a value's edge shows up as it does inside one
        if all(map(str.isprintable, texts)) and not (  # printable: the only blank that can be left is " "
                "||" in whole or "| " in whole or " |" in whole or whole[:1] in _EDGES or whole[-1:] in _EDGES):
            return [v.split("|") if v else None for v in values]
    return [_names(v) for v in values]


_TEXT_OR_NONE = frozenset({str, type(None)})
_EDGES = frozenset({" ", "|"})


def _locs(values: list[Any]) -> list[list[str] | None]:
    return [list(v) if isinstance(v, list) else None for v in values]


def _loc_matches(values: list[Any]) -> list[bool | None]:
    return [None if v is None else bool(v) for v in values]


#: How each column's values are read from an answer's rows, in :data:`FRAME_DTYPES` order: a new column is one
#: line here (and its dtype there). A reader gives a list of values (typed by :func:`_typed_columns`), a
#: :class:`_Same` for one value every row holds, or, where it builds it faster itself, the typed array (or the
#: NumPy array the frame takes).
_COLUMNS: dict[str, Callable[[_Rows], Any]] = {
    "query": lambda r: r.same(r.query),
    "rank": lambda r: r.ranks,
    "patent_id": lambda r: r.field("patent_id"),
    "patent_pn": lambda r: r.field("patent_pn"),
    "title": lambda r: r.field("title"),
    "score": lambda r: r.field("score", _scores) if r.with_score else r.same(None),
    "image_url": lambda r: r.field("url"),
    "country": lambda r: [m.get("authority") or office_of(m.get("patent_pn")) for m in r.messages],
    "search_id": lambda r: r.same(r.search_id),
    "total_count": lambda r: r.same(r.total),
    "application_number": lambda r: r.field("apno"),
    "application_date": lambda r: r.field("apdt", _day_column),
    "publication_date": lambda r: r.field("pbdt", _day_column),
    "current_assignee": lambda r: r.field("current_assignee"),
    "original_assignee": lambda r: r.field("original_assignee"),
    "inventors": lambda r: r.field("inventor", _name_lists),
    "loc": lambda r: r.field("loc", _locs),
    "loc_match": lambda r: r.field("loc_match", _loc_matches),
    "img_id": lambda r: r.field("img_id"),
    "query_key": lambda r: r.same(r.key),
}


def results_frame(data: dict, *, query: str, sorted_by_similarity: bool, first_rank: int = 1,
                  ranks: Sequence[int] | None = None, query_key: str | None = None) -> pd.DataFrame:
    """Turn a search answer's ``data`` (search-id's or a newer endpoint's, pages joined) into a typed frame;
    ranks count from ``first_rank``, unless ``ranks`` gives each row's own (the server's: page offset + position);
    every row carries ``query_key`` (:func:`query_key`).

    Example:
        >>> results_frame({"patent_messages": [], "search_id": "S", "total_search_result_count": 0},
        ...               query="q", sorted_by_similarity=False).shape
        (0, 20)
        >>> rich = {"patent_messages": [{"patent_id": "p", "apdt": 20200131, "inventor": "Li Wei|Kim Ji-ho",
        ...         "loc": ["10-02"], "loc_match": 1, "authority": "CN", "patent_pn": "X1"}]}
        >>> row = results_frame(rich, query="q", sorted_by_similarity=True, first_rank=101).iloc[0]
        >>> int(row["rank"]), row["country"], row["application_date"].date(), row["inventors"], bool(row["loc_match"])
        (101, 'CN', datetime.date(2020, 1, 31), ['Li Wei', 'Kim Ji-ho'], True)
    """
    messages = list(data.get("patent_messages") or [])
    if not messages:
        return empty_results()
    rows = _Rows(data, messages, _ranks(first_rank, ranks, len(messages)), query=query,
                 with_score=sorted_by_similarity, key=query_key)
    # each column typed once, straight from its values (no frame of objects converted column by column)
    return frame_of_typed(_typed_columns([read(rows) for read in _COLUMNS.values()], len(messages)),
                          _FRAME_DTYPE_LIST, _frame_columns().view(), len(messages))  # a view: its name is its own


@functools.cache
def _frame_columns() -> pd.Index:
    """The result frame's column labels, made once (each frame gets a view: an Index of its own, whose ``name``
    it can set, on the same labels)."""
    return pd.Index(list(FRAME_DTYPES))


_FRAME_DTYPE_LIST = tuple(FRAME_DTYPES.values())


def _ranks(first_rank: int, ranks: Sequence[int] | None, rows: int) -> Any:
    """The rank column: ``first_rank`` onwards (an array made at once), or the ranks given, one per row."""
    if ranks is None:
        span = range(first_rank, first_rank + rows)
        if span.start > -(2**62) and span.stop < 2**62:  # (any realistic rank: the API ranks up to 1,100)
            return masked_array(pd.arrays.IntegerArray, np.arange(span.start, span.stop, dtype=np.int64),
                                np.zeros(rows, np.bool_))
        return list(span)
    given = list(ranks)
    if len(given) != rows:
        raise ValueError(f"{len(given)} ranks for {rows} rows")
    return given


def _typed_columns(columns: list[Any], rows: int) -> list[Any]:
    """Each column's values (:data:`_COLUMNS` order) typed as :data:`FRAME_DTYPES` says: a value every row shares
    without a list of it (:func:`~patsnap_analytics.arrays.same_array`), lists of lists and the like as the NumPy
    ``object`` array the frame takes, the other lists by :func:`typed_array`, arrays as they are."""
    typed = []
    for values, dtype in zip(columns, _FRAME_DTYPE_LIST, strict=True):
        if type(values) is _Same:
            typed.append(same_array(values.value, dtype, rows))
        elif type(values) is not list:
            typed.append(values)
        else:
            typed.append(object_values(values) if dtype == "object" else typed_array(values, dtype))
    return typed


def query_key(*, sha256: str | None = None, url: str | None = None, patent_number: str | None = None,
              views: list[str] | None = None) -> str:
    """The key a search, a reviewer's verdict and a study agree on for "what was searched": ``sha256:<hex>`` of
    the query image's bytes (so a renamed file is the same query), one design's views' keys joined with ``+`` in
    the order given, ``url:<address>`` for a URL searched as such, ``pn:<number>`` for a search that starts from
    a patent number. Exactly one of the arguments.

    Example:
        >>> query_key(sha256="AB" * 32)[:11], query_key(url="https://img/x.png"), query_key(patent_number="USD1S")
        ('sha256:abab', 'url:https://img/x.png', 'pn:USD1S')
        >>> query_key(views=[query_key(sha256="a" * 64), "url:https://img/side.png"])[-29:]
        'aaaa+url:https://img/side.png'
    """
    given = [v for v in (sha256, url, patent_number, views) if v]
    if len(given) != 1:
        raise TypeError("query_key: give exactly one of sha256, url, patent_number, views")
    if views:
        return "+".join(views)
    if sha256:
        return f"sha256:{sha256.lower()}"
    return f"url:{url}" if url else f"pn:{patent_number}"


@dataclass(frozen=True)
class SearchSpec:
    """What one query of a frame searched: its image (sha256 of the bytes, or the URL) and its filters.

    Example:
        >>> spec = SearchSpec(image_sha256="ab" * 32, filters={"country": ["US"], "limit": 5})
        >>> spec.design_query().country, spec.as_json()["image_url"]
        (('US',), None)
    """

    image_sha256: str | None = None
    image_url: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    #: image-multiple: every view in order, each ``sha256:<hex>`` or ``url:<address>`` (the first is also above)
    views: list[str] = field(default_factory=list)

    @property
    def query_key(self) -> str | None:
        """What was searched as a stable key (:func:`query_key`), or ``None`` when the spec names nothing."""
        if self.views:
            return "+".join(self.views)
        if self.image_sha256:
            return query_key(sha256=self.image_sha256)
        return query_key(url=self.image_url) if self.image_url else None

    def design_query(self) -> DesignQuery:
        """The filters as a validated :class:`DesignQuery` (to re-run the search with one more filter)."""
        return DesignQuery.from_filters(**self.filters)

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (what ``df.attrs["queries"]`` holds per query name)."""
        out = {"image_sha256": self.image_sha256, "image_url": self.image_url, "filters": dict(self.filters)}
        if self.views:
            out["views"] = list(self.views)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SearchSpec:
        """The inverse of :meth:`as_json`."""
        return cls(raw.get("image_sha256"), raw.get("image_url"), dict(raw.get("filters") or {}),
                   list(raw.get("views") or []))


@dataclass
class ResultInfo:
    """Everything ``df.attrs`` of a result frame holds, in one typed place.

    A single search sets ``query`` (its name), ``image_sha256``, ``search_id``, ``total_count``,
    ``from_cache``, ``kept_until`` and what its pages did not deliver (``missing_ranks``, ``repeated_ranks``,
    ``page_totals``); a batch sets ``failures``, ``pending``, ``duplicates``, ``stopped``, ``cache_hits`` and
    ``incomplete`` (per query, what its search did not deliver); both set ``source`` (``"sandbox"`` or
    ``"patsnap"``), ``base_url``, ``endpoint`` (its name, ``"image-single"``; ``path`` is its URL path),
    ``filters``, ``queries`` (query name -> :class:`SearchSpec`) and ``calls_spent`` (the calls the frame's
    searches sent: pages and uploads; a cache hit costs none). Labelling appends to ``labelled_by`` and
    records per facet the route it took and what that cost in ``label_routes``; enrichment records what it
    fetched, what it cost, the patents the API did not know and the endpoints the account lacks in
    ``enrichment``. A search from patents (``search_like``) names each query's source patent in
    ``source_patents`` (``source`` is where the data come from: ``"sandbox"`` or ``"patsnap"``); a
    workflow (a watch, an overnight collection) says what it did in ``workflow``.

    Read a frame's with :meth:`of` rather than ``df.attrs[...]`` by key. Two keys of ``df.attrs`` keep their old
    meaning until 0.2 for code that reads them directly: ``endpoint`` holds the path (the name is
    ``ResultInfo.of(df).endpoint``; the path is ``df.attrs["path"]`` too), ``pages_sent`` is ``calls_spent`` and
    ``sources`` is ``source_patents``.

    Example:
        >>> df = ResultInfo(source="sandbox", endpoint="image-single", filters={"limit": 5}).attach(empty_results())
        >>> df.attrs["source"], is_sandbox(df), ResultInfo.of(df).filters
        ('sandbox', True, {'limit': 5})
        >>> ResultInfo.of(df).endpoint, ResultInfo.of(df).path
        ('image-single', '/search/patent/image-single')
    """

    source: str = "patsnap"
    base_url: str | None = None
    #: the endpoint's name (``"search-id"``, ``"image-single"``, ...), as ``endpoint=`` takes it
    endpoint: str | None = None
    query: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    image_sha256: str | None = None
    search_id: str | None = None
    total_count: int | None = None
    from_cache: bool | None = None
    #: when the cache forgets the answer (ISO 8601, UTC; a zero-hit answer is kept a day), None if not stored
    kept_until: str | None = None
    #: ranks asked for but not received — a page failed, or came back short of the first page's total —:
    #: ``[[first, last], ...]`` and why
    missing_ranks: list[list[int]] = field(default_factory=list)
    missing_reason: str | None = None
    #: ranks whose patent an earlier rank already listed (overlapping pages): left out, the others keep their ranks
    repeated_ranks: list[int] = field(default_factory=list)
    #: each page's own ``total_search_result_count``, in rank order (``total_count`` is the first page's)
    page_totals: list[int | None] = field(default_factory=list)
    #: a batch: per query name, what its search did not deliver (``missing_ranks``, ``missing_reason``,
    #: ``repeated_ranks``); only queries with something to say
    incomplete: dict[str, dict[str, Any]] = field(default_factory=dict)
    queries: dict[str, SearchSpec] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    stopped: dict[str, str] | None = None
    #: the calls the frame's searches sent (pages and uploads; a cache hit costs none)
    calls_spent: int | None = None
    cache_hits: int | None = None
    labelled_by: list[str] = field(default_factory=list)
    label_routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    enrichment: dict[str, Any] = field(default_factory=dict)
    #: searches that started from a patent (``search_like``): query name -> the source patent (number, id,
    #: type, office, dates, holders) and, for a prior-art search, the last application date searched
    source_patents: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: what a workflow adds: ``kind`` (``search_like``, ``watch``, ``overnight``) and its facts, e.g. a watch's
    #: ``name``, ``run``, ``new_since`` and ``until``; an overnight collection's ``finished`` and ``waiting`` jobs
    workflow: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str | None:
        """The endpoint's URL path (``/search/patent/image-single``), or ``None`` without a known endpoint."""
        found = ENDPOINTS.get(self.endpoint or "")
        return found.path if found is not None else None

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        """Deprecated spelling of :attr:`source_patents`."""
        warn_renamed("ResultInfo.sources", "ResultInfo.source_patents")
        return self.source_patents

    @property
    def pages_sent(self) -> int | None:
        """Deprecated spelling of :attr:`calls_spent`."""
        warn_renamed("ResultInfo.pages_sent", "ResultInfo.calls_spent")
        return self.calls_spent

    @classmethod
    def of(cls, df: pd.DataFrame) -> ResultInfo:
        """Read a frame's metadata (missing keys take their defaults; unknown keys are ignored). Frames written
        by earlier versions (a path under ``endpoint``, ``pages_sent``, ``sources``) read the same.

        Example:
            >>> ResultInfo.of(pd.DataFrame()).source
            'patsnap'
            >>> old = pd.DataFrame(); old.attrs.update(endpoint="/image-search/search-id", pages_sent=2)
            >>> ResultInfo.of(old).endpoint, ResultInfo.of(old).calls_spent
            ('search-id', 2)
        """
        return cls.from_attrs(df.attrs)

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> ResultInfo:
        """Read metadata from a frame's ``attrs`` dict (what :meth:`of` does with ``df.attrs``).

        Example:
            >>> ResultInfo.from_attrs({"workflow": {"kind": "watch"}, "unknown": 1}).workflow
            {'kind': 'watch'}
        """
        raw = json.loads(json.dumps(dict(attrs), default=str))  # a deep copy: the frame's attrs stay untouched
        known = _field_names(cls)
        values = {k: v for k, v in raw.items() if k in known and v is not None}
        values["queries"] = {name: SearchSpec.from_json(spec) for name, spec in (raw.get("queries") or {}).items()}
        values["endpoint"] = _endpoint_name(raw.get("path") or raw.get("endpoint"))
        for old, new in (("pages_sent", "calls_spent"), ("sources", "source_patents")):
            if values.get(new) is None and raw.get(old) is not None:
                values[new] = raw[old]
        return cls(**values)

    def as_attrs(self) -> dict[str, Any]:
        """The JSON-serialisable dict stored in ``df.attrs``."""
        # a copy of every container (the frame and this info share nothing), without asdict's generality:
        # attrs are set on every frame a search returns
        out = {name: _copied(getattr(self, name)) for name in _field_names(type(self))}
        out["queries"] = {name: spec.as_json() for name, spec in self.queries.items()}
        # until 0.2, the old keys keep their old meanings for code reading df.attrs directly: "endpoint" the path
        # (the name comes back from it through of()), "pages_sent" the calls, "sources" the source patents
        out["path"] = out["endpoint"] = self.path or self.endpoint
        out["pages_sent"] = self.calls_spent
        out["sources"] = out["source_patents"]
        return out

    def attach(self, df: pd.DataFrame) -> pd.DataFrame:
        """Set ``df.attrs`` from this info; returns ``df``."""
        df.attrs = self.as_attrs()
        return df


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _endpoint_name(value: Any) -> str | None:
    """An endpoint's name from what ``df.attrs`` holds for it: its name, or its path (the key's old meaning)."""
    if not isinstance(value, str) or not value:
        return None
    found = endpoint_for_path(value)
    return found.name if found is not None else value


def _copied(value: Any) -> Any:
    """``value`` with every dict, list and tuple in it copied (JSON values: the rest is immutable)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


#: What every title, status line and printout of sandbox data ends with (charts, the report, the app, the CLI), so
#: that none can pass for real PatSnap results.
SANDBOX_MARK = " [sandbox data]"


def sandbox_mark(df: pd.DataFrame) -> str:
    """:data:`SANDBOX_MARK` for a frame of sandbox data, else ``""`` (to end a title or a line with).

    Example:
        >>> "Results by office" + sandbox_mark(ResultInfo(source="sandbox").attach(empty_results()))
        'Results by office [sandbox data]'
    """
    return SANDBOX_MARK if is_sandbox(df) else ""


def is_sandbox(df: pd.DataFrame) -> bool:
    """Whether a frame holds sandbox data (generated designs, not real patents).

    Example:
        >>> is_sandbox(ResultInfo(source="sandbox").attach(empty_results())), is_sandbox(pd.DataFrame())
        (True, False)
    """
    return data_source(df) == "sandbox"


def data_source(df: pd.DataFrame) -> str | None:
    """Where a frame's rows come from as it says itself (``"sandbox"``, ``"patsnap"``), or ``None`` for a frame
    that does not say (read by hand, or built without :class:`ResultInfo`); ``ResultInfo.of(df).source`` takes
    such a frame for the API's.

    Example:
        >>> data_source(ResultInfo(source="patsnap").attach(empty_results())), data_source(pd.DataFrame())
        ('patsnap', None)
    """
    source = df.attrs.get("source")
    return None if source is None else str(source)
