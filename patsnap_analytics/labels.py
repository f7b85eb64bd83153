"""Label search results by legal status, office or Locarno class through filtered re-searches.

The search endpoint returns no status, office or class for a result. :func:`label` finds them by re-running
each result's own query with ONE more filter (``simple_legal_status=[1]``, ``loc="14"``, …) and matching
patent ids. This is exact for the top <= 100 results: adding a filter only removes competitors, so a result
ranked r unfiltered ranks <= r in the search filtered to its own value, within the same ``limit``.

Every re-search is a paid call unless the cache has it, so :func:`label` first *plans*: it counts the
searches the plan needs, which of them the cache already holds, and the uploads still needed; it states
``label by X: N searches, M calls (K cached)`` before spending, returns ``M`` alone with ``dry_run=True``,
and refuses (``BudgetExceeded``) a plan larger than ``max_calls`` before sending anything.

Example:
    >>> import patsnap_analytics as pa                                       # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox                        # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                                     # doctest: +SKIP
    ...     client = pa.connect(sandbox=sb)
    ...     df = client.search_many("patsnap_analytics/samples/", limit=20)
    ...     client.label(df, by="simple_legal_status", dry_run=True)         # calls it would spend
    ...     labelled = client.label(df, by="simple_legal_status")
    ...     labelled.simple_legal_status_label.value_counts()
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import codes
from .errors import BudgetExceeded, ValidationError
from .frames import ResultInfo
from .gates import CallGate, StopGate, call_gates, check_workers
from .images import ImageRef
from .loc import code_matches
from .progress import progress_bar
from .query import DesignQuery
from .searcher import Searcher, Target

__all__ = ["LABEL_BY", "label"]

#: What results can be labelled by (each is also a search filter of the API).
LABEL_BY = ("simple_legal_status", "legal_status", "country", "loc")


@dataclass
class _Search:
    """One filtered re-search of the plan, and every (query label, value) pair it answers."""

    target: Target | None  # None: an image is unknown to this session (only the cache can answer)
    sha256: str | None
    url: str | None
    query: DesignQuery
    cached: bool
    uses: list[tuple[str, Any]] = field(default_factory=list)
    patent_ids: set[str] = field(default_factory=set)
    views: tuple[str, ...] = ()  # image-multiple: every view, ``sha256:<hex>`` or ``url:<address>``

    @property
    def key(self) -> tuple[str | None, str | None, tuple[str, ...], DesignQuery]:
        """What identifies the search in the cache: the image hash (or URL; or the views) and the filters."""
        return (self.sha256, None if self.sha256 else self.url, self.views, self.query)


@dataclass
class _Plan:
    by: str
    searches: list[_Search]
    uploads: list[ImageRef]
    values_tested: dict[str, list[Any]]  # query label -> values re-searched for it

    @property
    def cached(self) -> int:
        return sum(s.cached for s in self.searches)

    @property
    def calls(self) -> int:
        return len(self.searches) - self.cached + len(self.uploads)

    def describe(self) -> str:
        line = f"label by {self.by}: {len(self.searches)} searches, {self.calls} calls ({self.cached} cached)"
        if self.by == "legal_status":
            line += (f" — legal_status tests {len(codes.LEGAL_STATUS)} codes per query; "
                     f"simple_legal_status needs only {len(codes.SIMPLE_LEGAL_STATUS)}")
        return line


def label(
    searcher: Searcher,
    df: pd.DataFrame,
    *,
    by: str = "simple_legal_status",
    values: list[Any] | None = None,
    dry_run: bool = False,
    max_calls: int | None = None,
    progress: bool = True,
    workers: int = 4,
    qps: float | None = None,
) -> pd.DataFrame | int:
    """Label every result row of ``df`` by ``by``, re-running its own query filtered to each value.

    ``by``: ``simple_legal_status`` (default; tests its 6 codes per query), ``legal_status`` (tests all
    24 codes per query — about 4x the cost of ``simple_legal_status``; pass ``values=`` to test fewer),
    ``country`` (tests each office present among a query's rows; confirms the office read from the patent
    number) or ``loc`` (``values`` REQUIRED: the Locarno classes or subclasses to test, e.g. ``["14", "10-02"]``).
    Values outside a query's own filter are skipped (no row of it can have them).

    Cost: one search per (query, value) not already cached, plus one upload per image whose upload URL has
    expired. The plan's cost is stated first (``label by X: N searches, M calls (K cached)``, on stderr when
    ``progress``); ``dry_run=True`` returns ``M`` without spending; a plan over ``max_calls`` raises
    ``BudgetExceeded`` before any call. Retries of transient errors and OAuth token requests come on top.
    ``workers`` searches run at once; ``qps`` caps the calls per second.

    All or nothing: an error (e.g. the daily quota running out) stops every further call and is raised; the
    searches already done stay cached, so running ``label`` again later pays only for the rest.

    Adds, for statuses: ``<by>`` (Int64 code) and ``<by>_label``; for ``loc``: ``loc`` (matching tested codes,
    ``,``-joined) and ``loc_label`` (``; ``-joined); for ``country``: ``country_label`` and
    ``country_verified`` (True when the office-filtered search returned the row). Rows no filtered search
    returned get ``<NA>``. Rows of the newer endpoints (image-single, its beta, image-multiple) carry their
    office and Locarno classes: labelling them by ``country`` or ``loc`` reads the rows and costs nothing. ``df`` is not changed; ``attrs`` are kept and ``attrs["labelled_by"]`` lists the
    facets added.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> Client(api_key="sk-x", cache=False).label(pd.DataFrame(), by="loc")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: values: labelling by loc needs values=, the Locarno classes or subclasses to test (e.g. ["14", "10-02"])
    """
    if by not in LABEL_BY:
        raise ValidationError("by", f"must be one of {', '.join(LABEL_BY)}; got {by!r}")
    if by == "loc" and not values:
        raise ValidationError("values", "labelling by loc needs values=, the Locarno classes or subclasses to "
                                        'test (e.g. ["14", "10-02"])')
    check_workers(workers)
    gates, stop = call_gates(max_calls, qps)  # validates max_calls and qps before any planning
    for column in ("query", "patent_id"):
        if column not in df.columns and len(df.columns):
            raise ValidationError("df", f"not a result frame: no {column!r} column")

    if _rows_know(df, by):  # rich rows: exact and free
        return 0 if dry_run else _labelled_from_rows(df, by, _canonical_values(df, by, values))
    plan = _plan(searcher, df, by, _canonical_values(df, by, values))
    if dry_run:
        return plan.calls
    if progress:
        print(plan.describe(), file=sys.stderr)
    if max_calls is not None and plan.calls > max_calls:
        raise BudgetExceeded(f"{plan.describe()}: more than max_calls={max_calls}; nothing was spent")
    _run(searcher, plan, gates, stop, workers=workers, progress=progress)
    return _labelled(df, plan)


# ---------------------------------------------------------------------------------------------- planning

def _canonical_values(df: pd.DataFrame, by: str, values: list[Any] | None) -> list[Any]:
    """The values to test, validated and normalised like a filter (labels such as "Active" become codes)."""
    if values is None:
        if by == "simple_legal_status":
            return list(codes.SIMPLE_LEGAL_STATUS)
        if by == "legal_status":
            return list(codes.LEGAL_STATUS)
        offices = df["country"].dropna().unique().tolist() if "country" in df.columns else []
        return sorted({str(o) for o in offices})
    if isinstance(values, (str, int)):
        values = [values]
    out: list[Any] = []
    for value in values:
        if by == "loc":
            expr = DesignQuery(loc=str(value)).loc_expr
            if expr is None or str(expr) not in {t for t in expr.terms()}:
                raise ValidationError("values", f"each loc value must be one code (NN or NN-NN), got {value!r}")
            canonical: Any = str(expr)
        else:
            canonical = getattr(DesignQuery(**{by: [value]}), by)[0]
        if canonical not in out:
            out.append(canonical)
    return out


def _values_for(query: DesignQuery, by: str, values: list[Any], offices: set[str]) -> list[Any]:
    """The values worth a search for one query: a row can only have a value its own filter admits,
    and only its own office can confirm a row's office."""
    if by == "loc":
        return list(values)
    allowed = getattr(query, by)
    keep = [v for v in values if not allowed or v in allowed]
    if by == "country":
        keep = [v for v in keep if v in offices]
    return keep


def _filtered(query: DesignQuery, by: str, value: Any) -> DesignQuery:
    if by == "loc":
        # AND with the original expression: the filtered set must stay a subset of the original one
        return query.replace(loc=f"({query.loc}) AND {value}" if query.loc else value)
    return query.replace(**{by: [value]})


def _plan(searcher: Searcher, df: pd.DataFrame, by: str, values: list[Any]) -> _Plan:
    specs = ResultInfo.of(df).queries
    searches: dict[tuple, _Search] = {}
    uploads: dict[str, ImageRef] = {}
    tested: dict[str, list[Any]] = {}
    query_names = df["query"].dropna().unique().tolist() if len(df) else []
    for query_name in query_names:
        spec = specs.get(query_name)
        if spec is None:
            raise ValidationError("df", f"no attrs['queries'] entry for query {query_name!r}: label() needs the "
                                        "frames search_designs/search_many return (with their attrs)")
        base = spec.design_query()
        sha, url = spec.image_sha256, spec.image_url
        target = _views_target(searcher, spec.views) if spec.views else searcher.image_for(sha) if sha else url
        rows = df[df["query"] == query_name]
        offices = set(rows["country"].dropna().astype(str)) if "country" in rows else set()
        tested[query_name] = _values_for(base, by, values, offices)
        for value in tested[query_name]:
            search = _Search(target=target, sha256=sha, url=url, query=_filtered(base, by, value), cached=False,
                             views=tuple(spec.views))
            key = search.key
            if key not in searches:
                data = searcher.cached_answer(search.query, image_sha256=sha, url=url, views=spec.views)
                search.cached = data is not None
                if data is not None:
                    search.patent_ids = _patent_ids(data)
                searches[key] = search
            searches[key].uses.append((query_name, value))
    for search in searches.values():
        if search.cached or not (search.sha256 or search.views):
            continue
        if search.target is None:
            raise ValidationError("df", f"the image of query {search.uses[0][0]!r} is not known to this client "
                                        "and its filtered searches are not cached: search it again first "
                                        "(client.search_designs / search_many) so label() can re-run it")
        for ref in search.target if isinstance(search.target, tuple) else (search.target,):
            if isinstance(ref, ImageRef) and ref.sha256 not in uploads and searcher.uploads.remembered(ref.sha256) is None:
                uploads[ref.sha256] = ref
    return _Plan(by, list(searches.values()), list(uploads.values()), tested)


def _views_target(searcher: Searcher, views: list[str]) -> tuple[ImageRef | str, ...] | None:
    """image-multiple's views as searchable targets, or ``None`` when this session does not know one of them."""
    out: list[ImageRef | str] = []
    for view in views:
        ref = searcher.image_for(view[7:]) if view.startswith("sha256:") else view.removeprefix("url:")
        if ref is None:
            return None
        out.append(ref)
    return tuple(out)


def _patent_ids(data: dict) -> set[str]:
    return {str(m.get("patent_id")) for m in data.get("patent_messages") or []}


# ---------------------------------------------------------------------------------------------- spending

def _run(searcher: Searcher, plan: _Plan, gates: list[CallGate], stop: StopGate, *, workers: int,
         progress: bool) -> None:
    # upload each image once, up front: concurrent searches of one image would otherwise each upload it
    for ref in plan.uploads:
        searcher.uploads.upload(ref, gates=gates)
    bar = progress_bar(len(plan.searches), progress, desc="label", unit="search")

    def run(search: _Search) -> set[str]:
        if search.cached:  # answered from the cache while planning: nothing to send, nothing to read again
            searcher.stats.count_saved("search_cache_hits")
            return search.patent_ids
        frame = searcher.search(search.target, search.query, name=search.uses[0][0], gates=gates)  # type: ignore[arg-type]
        return set(frame["patent_id"].dropna().astype(str))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="patsnap-label") as pool:
        futures = {pool.submit(run, s): s for s in plan.searches}
        try:
            for future in as_completed(futures):
                try:
                    futures[future].patent_ids = future.result()
                except BaseException as exc:
                    # all-or-nothing: stop spending at once; what finished stays cached for the next try
                    stop.close(f"label stopped by {type(exc).__name__}")
                    raise
                if bar is not None:  # only this thread (the as_completed loop) touches the bar
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()


# ---------------------------------------------------------------------------------------------- columns

def _rows_know(df: pd.DataFrame, by: str) -> bool:
    """Whether the rows themselves answer: the newer endpoints' rich rows carry the office (``authority``)
    and the Locarno classes (``loc`` lists), so labelling them by these costs no call."""
    return by in ("loc", "country") and len(df) > 0 and "loc" in df.columns and all(
        isinstance(v, list) for v in df["loc"])


def _labelled_from_rows(df: pd.DataFrame, by: str, values: list[Any]) -> pd.DataFrame:
    if by == "loc":
        matches = [[v for v in values if any(code_matches(v, c) for c in codes_)] for codes_ in df["loc"]]
    else:
        matches = [[] if c is None or c is pd.NA else [c] for c in df["country"].tolist()]
    return _with_columns(df, by, matches)


def _labelled(df: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    by = plan.by
    found: dict[tuple[str, Any], set[str]] = {}
    for search in plan.searches:
        for use in search.uses:
            found[use] = search.patent_ids
    matches: list[list[Any]] = []
    for query_name, patent_id in zip(df["query"].tolist(), df["patent_id"].tolist(), strict=True):
        if query_name is pd.NA or patent_id is pd.NA or query_name is None or patent_id is None:
            matches.append([])
            continue
        tested = plan.values_tested.get(query_name, [])
        matches.append([v for v in tested if str(patent_id) in found.get((query_name, v), set())])
    return _with_columns(df, by, matches)


def _with_columns(df: pd.DataFrame, by: str, matches: list[list[Any]]) -> pd.DataFrame:
    out = df.copy()
    if by in ("simple_legal_status", "legal_status"):
        # a patent has one status; the first match wins should an API ever disagree with itself
        out[by] = pd.array([m[0] if m else None for m in matches], dtype="Int64")
        out[f"{by}_label"] = pd.array([codes.name_of(by, m[0]) if m else None for m in matches], dtype="string")
    elif by == "loc":
        out["loc"] = pd.array([",".join(m) if m else None for m in matches], dtype="string")
        out["loc_label"] = pd.array(["; ".join(codes.loc_title(c) for c in m) if m else None for m in matches],
                                    dtype="string")
    else:
        offices = out["country"].tolist() if "country" in out.columns else [None] * len(out)
        out["country_label"] = pd.array(
            [None if o is None or o is pd.NA else codes.name_of("country", o) for o in offices], dtype="string")
        out["country_verified"] = pd.array([bool(m) for m in matches], dtype="boolean")
    info = ResultInfo.of(df)  # a deep copy: the caller's frame keeps its own attrs
    info.labelled_by = [*[b for b in info.labelled_by if b != by], by]
    return info.attach(out)
