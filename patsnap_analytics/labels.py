"""Label search results by legal status, office, Locarno class, assignee or year — by the cheapest exact route.

The search-id endpoint returns no status, office, class, holder or date for a result. :func:`label` decides,
per facet, where to find it, cheapest first (nothing is sent to decide):

1. **rows** — the frame already holds it (rich search endpoints, an earlier :func:`label` or ``enrich``): 0 calls.
2. **office** — the office is the patent number's prefix (``USD912345S`` -> ``US``): 0 calls.
3. **enrichment** — the patents looked up by id, 100 per call (P011 bibliography, P041 simple legal status,
   P013 legal status; :mod:`~patsnap_analytics.enrich`): ceil(patents not cached / 100) calls, 0 once cached.
4. **re-search** — only when the account lacks the enrichment endpoint (67200004, remembered): each query is
   run again with ONE more filter (``simple_legal_status=[1]``, ``loc="14"``, …) and the patent ids matched.
   This is exact for the top <= 100 results: adding a filter only removes competitors, so a result ranked r
   unfiltered ranks <= r in the search filtered to its own value, within the same ``limit``. It costs one
   search per (query, value) not cached, plus uploads whose URL expired.

The chosen route, its cost and why are stated before anything is spent (``label by X: route, N calls``),
returned alone with ``dry_run=True``, refused (``BudgetExceeded``) above ``max_calls`` before any call, and
recorded in the result's ``attrs["label_routes"]``. ``route=`` forces a route (e.g. ``"research"`` to compare).

Example:
    >>> import patsnap_analytics as pa                                       # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox                        # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                                     # doctest: +SKIP
    ...     client = pa.connect(sandbox=sb)
    ...     df = client.search_many(pa.demo.sample_queries(), limit=20)
    ...     client.label(df, by="simple_legal_status", dry_run=True)         # calls it would spend: 2
    ...     labelled = client.label(df, by="assignee")
    ...     labelled.attrs["label_routes"]["assignee"]["route"]
    'enrichment'
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import codes
from .enrich import ENRICH_FIELDS, Enricher, field_columns, patent_ids_of
from .errors import ValidationError
from .frames import ResultInfo, enriched_column
from .images import ImageRef
from .progress import progress_bar
from .query import DesignQuery
from .searcher import Searcher, Target
from .wire.gates import CallGate, StopGate, announce_cost, call_gates, check_workers

__all__ = ["FACETS", "LABEL_BY", "ROUTES", "Facet", "LabelRoute", "label", "plan_route"]

#: The routes a facet can be labelled through, cheapest first.
ROUTES = ("rows", "office", "enrichment", "research")


@dataclass(frozen=True)
class Facet:
    """What a facet needs: the ``columns`` that answer it when present, the enrichment ``fields`` that can
    (any one, cheapest first), whether the office answers it and whether filtered re-searches can.

    Example:
        >>> FACETS["assignee"].fields, FACETS["country"].office
        (('bibliography',), True)
    """

    columns: tuple[str, ...]
    fields: tuple[str, ...] = ()
    office: bool = False
    research: bool = False


#: Every facet :func:`label` knows, by name.
FACETS: dict[str, Facet] = {
    "simple_legal_status": Facet(("simple_legal_status",), ("simple_legal_status", "legal_status"), research=True),
    "legal_status": Facet(("legal_status",), ("legal_status",), research=True),
    "country": Facet(("country",), office=True, research=True),
    "loc": Facet(("loc",), ("bibliography",), research=True),
    "assignee": Facet(("current_assignee",), ("bibliography",)),
    "application_year": Facet(("application_date",), ("bibliography",)),
    "publication_year": Facet(("publication_date",), ("bibliography",)),
}
#: What results can be labelled by.
LABEL_BY = tuple(FACETS)


@dataclass
class _Search:
    """One filtered re-search of the plan, and every (query label, value) pair it answers."""

    target: Target | None  # None: an image is unknown to this session (only the cache can answer)
    sha256: str | None
    url: str | None
    design_query: DesignQuery
    cached: bool
    uses: list[tuple[str, Any]] = field(default_factory=list)
    patent_ids: set[str] = field(default_factory=set)
    views: tuple[str, ...] = ()  # image-multiple: every view, ``sha256:<hex>`` or ``url:<address>``

    @property
    def key(self) -> tuple[str | None, str | None, tuple[str, ...], DesignQuery]:
        """What identifies the search in the cache: the image hash (or URL; or the views) and the filters."""
        return (self.sha256, None if self.sha256 else self.url, self.views, self.design_query)


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


@dataclass
class LabelRoute:
    """The route one facet takes: its name, the calls it needs, where the answer comes from and why.

    Example:
        >>> LabelRoute("office", 0, "the patent number's prefix").describe("country")
        "label by country: office (the patent number's prefix), 0 calls"
    """

    route: str
    calls: int
    source: str
    note: str = ""
    field: str | None = None  # the enrichment field used

    def describe(self, by: str) -> str:
        """The line stated before spending."""
        line = f"label by {by}: {self.route} ({self.source}), {self.calls} call{'s' if self.calls != 1 else ''}"
        return f"{line} — {self.note}" if self.note else line

    def as_json(self) -> dict[str, Any]:
        """What ``attrs["label_routes"][by]`` holds."""
        return {"route": self.route, "calls": self.calls, "source": self.source, "note": self.note}


def label(
    searcher: Searcher,
    df: pd.DataFrame,
    *,
    by: str = "simple_legal_status",
    enricher: Enricher | None = None,
    route: str | None = None,
    values: list[Any] | None = None,
    dry_run: bool = False,
    max_calls: int | None = None,
    progress: bool = True,
    workers: int = 4,
    qps: float | None = None,
) -> pd.DataFrame | int:
    """Label every result row of ``df`` by ``by`` through the cheapest exact route (see the module's list).

    ``by``: ``simple_legal_status``, ``legal_status``, ``country``, ``loc``, ``assignee``,
    ``application_year`` or ``publication_year``. ``route``: ``None`` (the cheapest) or one of
    :data:`ROUTES`. ``values`` only matter to the re-search route (which values to test).

    Cost: stated first, on stderr when ``progress``: 0 for rows and office; ceil(patents not cached / 100)
    for enrichment; for re-searches one search per (query, value) not cached plus expired uploads.
    ``dry_run=True`` returns that number; a plan over ``max_calls`` raises ``BudgetExceeded`` before any call.
    When enrichment turns out not to be licensed (67200004, remembered a day), the re-search route is
    planned, stated and run instead, within what is left of ``max_calls``.

    Adds: statuses -> ``<by>`` (Int64 code) and ``<by>_label``; ``country`` -> ``country_label`` (and
    ``country_verified`` on the re-search route); ``loc`` -> ``loc`` (list of codes) and ``loc_label``;
    ``assignee`` -> ``current_assignee`` and ``original_assignee``; years -> ``application_date`` /
    ``publication_date`` and ``application_year`` / ``publication_year``. ``df`` is not changed; ``attrs``
    are kept, ``attrs["labelled_by"]`` lists the facets added and ``attrs["label_routes"]`` their routes.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> Client(api_key="sk-x", cache=False).label(pd.DataFrame(), by="inventor")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: by: must be one of simple_legal_status, legal_status, country, loc, assignee, application_year, publication_year; got 'inventor'
    """
    if by not in FACETS:
        raise ValidationError("by", f"must be one of {', '.join(LABEL_BY)}; got {by!r}")
    if route is not None and route not in ROUTES:
        raise ValidationError("route", f"must be one of {', '.join(ROUTES)} (or None: the cheapest); got {route!r}")
    check_workers(workers)
    call_gates(max_calls, qps)  # validates max_calls and qps before any planning
    if len(df.columns) and "patent_id" not in df.columns:
        raise ValidationError("df", "not a result frame: no 'patent_id' column")
    chosen = plan_route(df, by, enricher, route=route, values=values)
    if chosen.route == "research":
        return _research(searcher, df, by=by, values=values, dry_run=dry_run, max_calls=max_calls,
                         progress=progress, workers=workers, qps=qps, note=chosen.note)
    if dry_run:
        return chosen.calls
    announce_cost(chosen.describe(by), chosen.calls, max_calls, progress=progress)
    if chosen.route == "enrichment":
        return _by_enrichment(searcher, enricher, df, by, chosen, values=values, max_calls=max_calls,
                              progress=progress, workers=workers, qps=qps)
    return _with_columns(df, by, chosen, _facet_columns(df, by))


def plan_route(df: pd.DataFrame, by: str, enricher: Enricher | None, *, route: str | None = None,
               values: list[Any] | None = None) -> LabelRoute:
    """The route :func:`label` takes for facet ``by`` and its cost, decided without sending anything.

    Example:
        >>> df = pd.DataFrame({"patent_id": ["p1"], "patent_pn": ["USD1S"]})
        >>> plan_route(df, "country", None).route, plan_route(df, "simple_legal_status", None).route
        ('office', 'research')
    """
    facet = FACETS[by]
    routes = [route] if route else list(ROUTES)
    reasons: list[str] = []
    for name in routes:
        if name == "rows" and all(c in df.columns and df[c].notna().all() for c in facet.columns) and len(df):
            return LabelRoute("rows", 0, f"the frame's own {', '.join(facet.columns)} column")
        if name == "office" and facet.office:
            return LabelRoute("office", 0, "the patent number's prefix")
        if name == "enrichment" and facet.fields and enricher is not None:
            ids = patent_ids_of(df) if len(df.columns) else []
            options = []
            for rank, field_name in enumerate(facet.fields):
                plan = enricher.plan(ids, [field_name])
                if field_name in plan.unlicensed:
                    reasons.append(plan.unlicensed[field_name])
                else:
                    options.append((plan.calls, rank, field_name))
            if options:
                calls, _, field_name = min(options)  # ties: the facet's own endpoint, listed first
                operation = ENRICH_FIELDS[field_name]
                return LabelRoute("enrichment", calls, f"{operation.operation_id} {operation.name} by patent id, "
                                  f"{len(ids)} patents", field=field_name)
        if name == "research" and facet.research:
            return LabelRoute("research", -1, "filtered re-searches", note="; ".join(reasons))
    if route:
        raise ValidationError("route", f"{by} cannot be labelled through the {route} route")
    why = "; ".join(reasons) or "enrichment needs a client (use client.label)"
    raise ValidationError("by", f"{by} comes only from the bibliography (P011) and {why}; no search filter "
                                "can stand in for it")


def _by_enrichment(searcher: Searcher, enricher: Enricher | None, df: pd.DataFrame, by: str, chosen: LabelRoute,
                   **research: Any) -> pd.DataFrame:
    """Fetch the chosen field's records and add the facet's columns. An endpoint that turns out not to be
    licensed is remembered and the route planned again: another endpoint, else re-searches (stated first)."""
    assert enricher is not None
    budget = research["max_calls"]
    while chosen.route == "enrichment":
        assert chosen.field is not None
        plan = enricher.plan(patent_ids_of(df), [chosen.field])
        gates, _ = call_gates(budget, None)
        enricher.fetch(plan, gates)
        budget = None if budget is None else budget - plan.sent
        if chosen.field not in plan.unlicensed:
            records = enricher.records_of(chosen.field, plan.patent_ids)
            columns = field_columns(chosen.field, records, df["patent_id"], extra=FACETS[by].columns)
            return _with_columns(df, by, chosen, _facet_columns(df.assign(**columns), by))
        chosen = plan_route(df, by, enricher)  # the refusal is remembered: this plans around it
        if chosen.route == "enrichment" and research["progress"]:
            print(chosen.describe(by), file=sys.stderr)
    return _research(searcher, df, by=by, values=research["values"], dry_run=False, max_calls=budget,
                     progress=research["progress"], workers=research["workers"], qps=research["qps"],
                     note=chosen.note)


def _facet_columns(df: pd.DataFrame, by: str) -> dict[str, Any]:
    """The columns facet ``by`` adds, derived from the columns that answer it (already in ``df``)."""
    if by in ("simple_legal_status", "legal_status"):
        found = df[by].astype("Int64")
        return {by: found.array, f"{by}_label": pd.array(
            [None if pd.isna(c) else codes.name_of(by, int(c)) for c in found], dtype="string")}
    if by == "country":
        offices = df["country"] if "country" in df.columns else df["patent_pn"].map(codes.office_of)
        return {"country": pd.array(offices, dtype="string"), "country_label": pd.array(
            [None if pd.isna(o) else codes.name_of("country", o) for o in offices], dtype="string")}
    if by == "loc":
        lists = [list(v) if isinstance(v, list | tuple) else None for v in df["loc"]]
        return {"loc": enriched_column("loc", lists), "loc_label": pd.array(
            ["; ".join(codes.loc_title(c) for c in v) if v else None for v in lists], dtype="string")}
    if by == "assignee":
        return {c: pd.array(df[c], dtype="string") for c in ("current_assignee", "original_assignee")
                if c in df.columns}
    column = "application_date" if by == "application_year" else "publication_date"
    dates = pd.to_datetime(df[column])
    return {column: dates.array, by: pd.array(dates.dt.year, dtype="Int64")}


def _with_columns(df: pd.DataFrame, by: str, chosen: LabelRoute, columns: dict[str, Any]) -> pd.DataFrame:
    out = df.copy()
    for name, values in columns.items():
        out[name] = values
    info = ResultInfo.of(df)  # a deep copy: the caller's frame keeps its own attrs
    info.labelled_by = [*[b for b in info.labelled_by if b != by], by]
    info.label_routes = {**info.label_routes, by: chosen.as_json()}
    return info.attach(out)


def _research(
    searcher: Searcher,
    df: pd.DataFrame,
    *,
    by: str,
    values: list[Any] | None,
    dry_run: bool,
    max_calls: int | None,
    progress: bool,
    workers: int,
    qps: float | None,
    note: str = "",
) -> pd.DataFrame | int:
    """The re-search route: label every result row of ``df`` by ``by``, re-running its own query filtered to
    each value.

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

    Adds, for statuses: ``<by>`` (Int64 code) and ``<by>_label``; for ``loc``: ``loc`` (the list of matching
    tested codes) and ``loc_label`` (``; ``-joined); for ``country``: ``country_label`` and
    ``country_verified`` (True when the office-filtered search returned the row). Rows no filtered search
    returned get ``<NA>``. ``df`` is not changed; ``attrs`` are kept and ``attrs["labelled_by"]`` lists the
    facets added.

    Example:
        >>> from patsnap_analytics.client import Client
        >>> Client(api_key="sk-x", cache=False).label(pd.DataFrame(), by="loc", route="research")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: values: labelling by loc needs values=, the Locarno classes or subclasses to test (e.g. ["14", "10-02"])
    """
    if by == "loc" and not values:
        raise ValidationError("values", "labelling by loc needs values=, the Locarno classes or subclasses to "
                                        'test (e.g. ["14", "10-02"])')
    check_workers(workers)
    gates, stop = call_gates(max_calls, qps)  # validates max_calls and qps before any planning
    for column in ("query", "patent_id"):
        if column not in df.columns and len(df.columns):
            raise ValidationError("df", f"not a result frame: no {column!r} column")

    plan = _plan(searcher, df, by, _canonical_values(df, by, values))
    if dry_run:
        return plan.calls
    announce_cost(plan.describe() + (f" — {note}" if note else ""), plan.calls, max_calls, progress=progress)
    _run(searcher, plan, gates, stop, workers=workers, progress=progress)
    out = _labelled(df, plan)
    route = LabelRoute("research", plan.calls, f"{len(plan.searches)} filtered re-searches", note=note)
    info = ResultInfo.of(out)
    info.label_routes = {**info.label_routes, by: route.as_json()}
    return info.attach(out)


# ---------------------------------------------------------------------------------------------- planning

def _canonical_values(df: pd.DataFrame, by: str, values: list[Any] | None) -> list[Any]:
    """The values to test, validated and normalised like a filter (labels such as "Active" become codes)."""
    if values is None:
        if by == "simple_legal_status":
            return list(codes.SIMPLE_LEGAL_STATUS)
        if by == "legal_status":
            return list(codes.LEGAL_STATUS)
        offices = df["country"].dropna().unique().tolist() if "country" in df.columns else []
        # an office the code table lacks cannot be a filter (it is refused): its rows stay unverified
        return sorted({str(o) for o in offices if codes.is_office(str(o))})
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


def _values_for(design_query: DesignQuery, by: str, values: list[Any], offices: set[str]) -> list[Any]:
    """The values worth a search for one query: a row can only have a value its own filter admits,
    and only its own office can confirm a row's office."""
    if by == "loc":
        return list(values)
    allowed = getattr(design_query, by)
    keep = [v for v in values if not allowed or v in allowed]
    if by == "country":
        keep = [v for v in keep if v in offices]
    return keep


def _filtered(design_query: DesignQuery, by: str, value: Any) -> DesignQuery:
    if by == "loc":
        # AND with the original expression: the filtered set must stay a subset of the original one
        return design_query.replace(loc=f"({design_query.loc}) AND {value}" if design_query.loc else value)
    return design_query.replace(**{by: [value]})


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
        # a re-search is the recorded search plus one filter: its endpoint is the one recorded (absent means
        # search-id, as DesignQuery.filters() writes it), never the client's current default
        base = spec.design_query()
        sha, url = spec.image_sha256, spec.image_url
        target = _views_target(searcher, spec.views) if spec.views else searcher.image_for(sha) if sha else url
        rows = df[df["query"] == query_name]
        offices = set(rows["country"].dropna().astype(str)) if "country" in rows else set()
        tested[query_name] = _values_for(base, by, values, offices)
        for value in tested[query_name]:
            search = _Search(target=target, sha256=sha, url=url, design_query=_filtered(base, by, value),
                             cached=False, views=tuple(spec.views))
            key = search.key
            if key not in searches:
                data = searcher.cached_answer(search.design_query, image_sha256=sha, url=url, views=spec.views)
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
        frame = searcher.search(search.target, search.design_query, name=search.uses[0][0],  # type: ignore[arg-type]
                                gates=gates)
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
    return _research_columns(df, by, matches)


def _research_columns(df: pd.DataFrame, by: str, matches: list[list[Any]]) -> pd.DataFrame:
    out = df.copy()
    if by in ("simple_legal_status", "legal_status"):
        # a patent has one status; the first match wins should an API ever disagree with itself
        out[by] = pd.array([m[0] if m else None for m in matches], dtype="Int64")
        out[f"{by}_label"] = pd.array([codes.name_of(by, m[0]) if m else None for m in matches], dtype="string")
    elif by == "loc":
        out["loc"] = enriched_column("loc", [list(m) if m else None for m in matches])
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
