"""What a result frame is: typed columns with a stable schema, and its metadata (:class:`ResultInfo`).

Every result frame has the contract's columns, in this order, with nullable dtypes (so a missing score is
``<NA>``, not a float NaN pretending to be a number)::

    query  rank  patent_id  patent_pn  title  score  image_url  country  search_id  total_count

``score`` is NA whenever the search was sorted by a date field: the API documents it as meaningful only
when sorting by similarity. Richer endpoints may add columns; they never rename these. ``df.attrs`` holds
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
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .codes import office_of
from .query import DesignQuery

__all__ = ["ENRICHED_DTYPES", "LIST_COLUMNS", "RESULT_COLUMNS", "RESULT_DTYPES", "ResultInfo", "SearchSpec",
           "empty_results", "enriched_column", "is_sandbox", "results_frame"]

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

#: Columns enrichment (or a rich search endpoint) adds, with their dtypes: dates are date-only datetime64,
#: parties joined with ``|`` as the API joins them, ``inventors``, ``applicants``, ``loc`` and ``legal_events``
#: lists (``object``), statuses as nullable codes beside their words.
ENRICHED_DTYPES: dict[str, str] = {
    "title_en": "string",
    "patent_type": "string",
    "application_number": "string",
    "application_date": "datetime64[ns]",
    "publication_date": "datetime64[ns]",
    "current_assignee": "string",
    "original_assignee": "string",
    "applicants": "object",
    "inventors": "object",
    "loc": "object",
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
    """``values`` (one per row, ``None`` when unknown) typed as the enriched column ``name`` is (an array,
    so that assigning it to a frame never aligns on an index).

    Example:
        >>> enriched_column("application_date", ["2020-01-31", None]).tolist()
        [Timestamp('2020-01-31 00:00:00'), NaT]
        >>> enriched_column("loc", [["06-01"], None]).tolist()
        [['06-01'], None]
    """
    dtype = ENRICHED_DTYPES[name]
    if dtype == "object":
        return pd.Series(values, dtype="object").array
    if dtype.startswith("datetime64"):
        dates = pd.to_datetime(pd.Series(values, dtype="object"), format="%Y-%m-%d")
        return dates.dt.normalize().astype(dtype).array
    return pd.array(values, dtype=dtype)


def empty_results() -> pd.DataFrame:
    """A result frame with no rows but the full typed schema.

    Example:
        >>> list(empty_results().dtypes.astype(str))[:3]
        ['string', 'Int64', 'string']
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RESULT_DTYPES.items()})


def _score(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def results_frame(data: dict, *, query: str, sorted_by_similarity: bool) -> pd.DataFrame:
    """Turn a ``search-id`` answer's ``data`` into a typed result frame.

    Example:
        >>> results_frame({"patent_messages": [], "search_id": "S", "total_search_result_count": 0},
        ...               query="q", sorted_by_similarity=False).shape
        (0, 10)
    """
    messages = data.get("patent_messages") or []
    total = data.get("total_search_result_count")
    search_id = data.get("search_id")
    rows = [
        {
            "query": query,
            "rank": i,
            "patent_id": m.get("patent_id"),
            "patent_pn": m.get("patent_pn"),
            "title": m.get("title"),
            "score": _score(m.get("score")) if sorted_by_similarity else None,
            "image_url": m.get("url"),
            "country": office_of(m.get("patent_pn")),
            "search_id": search_id,
            "total_count": total,
        }
        for i, m in enumerate(messages, start=1)
    ]
    if not rows:
        return empty_results()
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return frame.astype(RESULT_DTYPES)


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

    def design_query(self) -> DesignQuery:
        """The filters as a validated :class:`DesignQuery` (to re-run the search with one more filter)."""
        return DesignQuery.from_filters(**self.filters)

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (what ``df.attrs["queries"]`` holds per query name)."""
        return {"image_sha256": self.image_sha256, "image_url": self.image_url, "filters": dict(self.filters)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SearchSpec:
        """The inverse of :meth:`as_json`."""
        return cls(raw.get("image_sha256"), raw.get("image_url"), dict(raw.get("filters") or {}))


@dataclass
class ResultInfo:
    """Everything ``df.attrs`` of a result frame holds, in one typed place.

    A single search sets ``query`` (its name), ``image_sha256``, ``search_id``, ``total_count``,
    ``from_cache`` and ``kept_until``; a batch sets ``failures``, ``pending``, ``duplicates``, ``stopped``, ``calls_spent`` and
    ``cache_hits``; both set ``source`` (``"sandbox"`` or ``"patsnap"``), ``base_url``, ``endpoint``,
    ``filters`` and ``queries`` (query name -> :class:`SearchSpec`). Labelling appends to ``labelled_by`` and
    records per facet the route it took and what that cost in ``label_routes``; enrichment records what it
    fetched, what it cost, the patents the API did not know and the endpoints the account lacks in
    ``enrichment``.

    Example:
        >>> df = ResultInfo(source="sandbox", filters={"limit": 5}).attach(empty_results())
        >>> df.attrs["source"], is_sandbox(df), ResultInfo.of(df).filters
        ('sandbox', True, {'limit': 5})
    """

    source: str = "patsnap"
    base_url: str | None = None
    endpoint: str | None = None
    query: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    image_sha256: str | None = None
    search_id: str | None = None
    total_count: int | None = None
    from_cache: bool | None = None
    #: when the cache forgets the answer (ISO 8601, UTC; a zero-hit answer is kept a day), None if not stored
    kept_until: str | None = None
    queries: dict[str, SearchSpec] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    stopped: dict[str, str] | None = None
    calls_spent: int | None = None
    cache_hits: int | None = None
    labelled_by: list[str] = field(default_factory=list)
    label_routes: dict[str, dict[str, Any]] = field(default_factory=dict)
    enrichment: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, df: pd.DataFrame) -> ResultInfo:
        """Read a frame's metadata (missing keys take their defaults; unknown keys are ignored).

        Example:
            >>> ResultInfo.of(pd.DataFrame()).source
            'patsnap'
        """
        raw = json.loads(json.dumps(df.attrs, default=str))  # a deep copy: the frame's attrs stay untouched
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in known and v is not None}
        values["queries"] = {name: SearchSpec.from_json(spec) for name, spec in (raw.get("queries") or {}).items()}
        return cls(**values)

    def as_attrs(self) -> dict[str, Any]:
        """The JSON-serialisable dict stored in ``df.attrs``."""
        out = dataclasses.asdict(self)
        out["queries"] = {name: spec.as_json() for name, spec in self.queries.items()}
        return out

    def attach(self, df: pd.DataFrame) -> pd.DataFrame:
        """Set ``df.attrs`` from this info; returns ``df``."""
        df.attrs = self.as_attrs()
        return df


def is_sandbox(df: pd.DataFrame) -> bool:
    """Whether a frame holds sandbox data (generated designs, not real patents).

    Example:
        >>> is_sandbox(ResultInfo(source="sandbox").attach(empty_results())), is_sandbox(pd.DataFrame())
        (True, False)
    """
    return df.attrs.get("source") == "sandbox"
