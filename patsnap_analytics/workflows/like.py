"""``search_like``: designs that look like a registered one, starting from its number — the search an
invalidity or a clearance case starts with.

:func:`search_like` works in this order (numbered as the search itself is in :mod:`~patsnap_analytics.searcher`):

1. **Check** every number's form and the filters (:class:`~patsnap_analytics.query.DesignQuery`), before any call.
2. **Resolve** each distinct number (:class:`~.sources.PatentSources`: P069, one call per number not recorded):
   its standard number, id, type and dates. A number the API does not know, or names several patents
   (:class:`~patsnap_analytics.errors.UnknownPatentError`), or a patent of another type than the search's
   (:class:`~patsnap_analytics.errors.PatentTypeError`) is that row's failure; the others go on.
3. **Prior art** (``prior_art=True``): each source is searched with ``apply_end_time`` = the day before its own
   application date (or the earlier date you gave): only designs filed before it — which also leaves the
   source itself out (and any row of it is dropped). The API filters by *application* date; a design
   claiming an earlier priority (up to 6 months for designs under the Paris Convention) has prior art up to
   its priority date, which the API cannot filter by: check the priority claims of the hits filed between
   the two dates (``docs/workflows.md``).
4. **Decide**: a search the cache holds whole (keyed by ``pn:<number>``, never by the drawing's link) needs
   nothing more; the others need the patent's drawing link (:meth:`~.sources.PatentSources.drawings`: P021,
   100 patents a call, kept 8 hours). A patent without a drawing is that row's
   :class:`~patsnap_analytics.errors.NoDrawingError`.
5. **Search** by the drawing's URL (no download, no upload), with the batch's semantics
   (:func:`~patsnap_analytics.batch.search_many`: workers, ``qps``, ``max_calls`` across every call of the
   workflow, failures kept per row, a quota or auth error stops and leaves the rest ``pending``). A link
   the API refuses as expired sooner than documented is asked again once (one P021 call) and searched again.
6. **Frame**: one frame, ``query`` = the standard number, ``query_key`` = ``pn:<number>``, and
   ``df.attrs["source_patents"]`` naming each query's source patent (id, type, office, dates, holders).

Cost: one P069 call per number never looked up; ceil(patents whose search is not cached and whose link is
not recorded / 100) P021 calls; one search call per 100 ranks not cached. The same numbers and filters a
second time: 0 calls. ``dry_run=True`` says the cost and sends nothing: at most that many calls (results may
end before the last page planned; a number not yet resolved counts its P069 call, its link and every page).

Example:
    >>> client = pa.connect(sandbox=sb)                                                   # doctest: +SKIP
    >>> hits = client.search_like(["USD0430005S", "JP1100017S"], prior_art=True, limit=20)  # doctest: +SKIP
    >>> hits.attrs["source_patents"]["USD0430005S"]["application_date"]                          # doctest: +SKIP
    '2012-10-01'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from ..api import INVALID_PARAMETER, MAX_IDS_PER_CALL
from ..batch import search_many
from ..errors import PatentTypeError, PatsnapError, RequestRejectedError, SourcePatentError, ValidationError
from ..frames import ResultInfo
from ..protocols import ClientLike
from ..query import DesignQuery
from ..searcher import page_plan
from ..wire.gates import call_gates
from .common import STOPPING, failure, merge_batches, with_query_keys
from .sources import SourcePatent, alias_for, canonical_number, check_numbers

__all__ = ["like_cost", "search_like"]

_TYPES = {"D": "a design", "U": "a utility model"}


@dataclass
class _Source:
    """One number given, what it resolved to, and how it is searched."""

    number: str
    patent: SourcePatent | None = None
    error: BaseException | None = None
    design_query: DesignQuery | None = None
    url: str | None = None  # the drawing's link, or the cache's stand-in when the search is cached whole
    recorded_link: bool = False  # the link came from a record (it may have expired sooner than documented)
    same_as: str | None = None


def _source_design_query(patent: SourcePatent, base: DesignQuery, prior_art: bool) -> DesignQuery:
    """The design query ``patent`` is searched with: a prior-art search ends the day before its application."""
    wanted = base.patent_type or "D"
    if patent.patent_type and patent.patent_type != wanted:
        kind = _TYPES.get(patent.patent_type, f"patent type {patent.patent_type}")
        hint = ("search it with patent_type='U' (image-single, -beta, -multiple)" if patent.patent_type == "U"
                else "only designs and utility models have drawings to search by")
        raise PatentTypeError(patent.number, f"{patent.pn} is {kind}, not {_TYPES[wanted]}: {hint}")
    if not prior_art:
        return base
    if patent.application_date is None:
        raise SourcePatentError(patent.number, f"{patent.pn} has no application date: a prior-art search needs one "
                                               "(give apply_end_time= yourself and prior_art=False)")
    end = patent.application_date - timedelta(days=1)
    if base.apply_end_time is not None:
        end = min(end, base.apply_end_time)
    if base.apply_start_time is not None and base.apply_start_time > end:
        raise SourcePatentError(patent.number, f"apply_start_time {base.apply_start_time} is after {end}, the day "
                                               f"before {patent.pn} was filed: no prior art can match")
    return base.replace(apply_end_time=end)


def _resolve(client: ClientLike, numbers: list[str], base: DesignQuery, prior_art: bool, *, refresh: bool,
             gates: Sequence[Any]) -> tuple[list[_Source], dict[str, str] | None]:
    """Every number resolved and checked (steps 2-3); ``stopped`` when a quota, auth or budget stopped P069."""
    rows = [_Source(n) for n in numbers]
    stopped = None
    try:
        resolved = client.source_patents.resolve(numbers, refresh=refresh, gates=gates)
    except STOPPING as exc:
        stopped = {"error": type(exc).__name__, "message": str(exc)}
        resolved = client.source_patents.resolve(numbers, refresh=False, gates=gates, ask=False)
    first: dict[str, str] = {}
    for row in rows:
        got = resolved.get(row.number)
        if isinstance(got, SourcePatent):
            row.patent = got
            if got.pn in first:
                row.same_as = first[got.pn]
                continue
            first[got.pn] = got.pn
            try:
                row.design_query = _source_design_query(got, base, prior_art)
            except SourcePatentError as exc:
                row.error = exc
        else:
            row.error = got
    return rows, stopped


def _cached_whole(client: ClientLike, row: _Source) -> bool:
    """Whether the cache holds every page of this source's search (then no drawing link is needed)."""
    return client.searcher.decide(alias_for(row.patent.pn), row.design_query).action == "cache_hit"


def _links(client: ClientLike, rows: list[_Source], *, refresh: bool, gates: Sequence[Any]) -> None:
    """Step 4: the URL each searchable row is searched with (the cache's stand-in, or the drawing's link)."""
    keyer = client.searcher.keyer
    need = []
    for row in rows:
        keyer.register(alias_for(row.patent.pn), row.patent.query_key)
        if not refresh and _cached_whole(client, row):
            row.url = alias_for(row.patent.pn)
        else:
            need.append(row)
    recorded = client.source_patents.recorded_drawings([r.patent for r in need])
    try:
        links = client.source_patents.drawings([r.patent for r in need], gates=gates)
    except STOPPING:
        raise
    except PatsnapError as exc:  # a malformed or refused P021 answer: these rows' failure, not the workflow's
        for row in need:
            row.error = exc
        return
    for row in need:
        link = links[row.patent.patent_id]
        if isinstance(link, str):
            row.url, row.recorded_link = link, row.patent.patent_id in recorded
            keyer.register(link, row.patent.query_key)
        else:
            row.error = link


def _search(client: ClientLike, rows: list[_Source], options: dict[str, Any], max_calls: int | None,
            spent: int) -> list[pd.DataFrame]:
    """Step 5: search_many per distinct design query (a prior-art date is its source's own)."""
    groups: dict[DesignQuery, list[_Source]] = {}
    for row in rows:
        groups.setdefault(row.design_query, []).append(row)
    parts = []
    for design_query, group in groups.items():
        left = None if max_calls is None else max(0, max_calls - (client.stats.total_calls - spent))
        parts.append(search_many(client.searcher, [r.url for r in group], names=[r.patent.pn for r in group],
                                 max_calls=left, design_query=design_query, **options))
    return parts


def _retry_expired(client: ClientLike, rows: list[_Source], parts: list[pd.DataFrame], options: dict[str, Any],
                   max_calls: int | None, spent: int) -> list[pd.DataFrame]:
    """A recorded link the API refused (68300004: expired sooner than documented) is asked again once."""
    refused = {f["image"] for p in parts for f in ResultInfo.of(p).failures
               if f["error"] == RequestRejectedError.__name__ and str(INVALID_PARAMETER) in f["message"]}
    again = [r for r in rows if r.recorded_link and r.patent.pn in refused]
    if not again:
        return parts
    fresh = client.source_patents.drawings([r.patent for r in again], refresh=True)
    for row in again:
        row.url = fresh[row.patent.patent_id] if isinstance(fresh[row.patent.patent_id], str) else row.url
        client.searcher.keyer.register(row.url, row.patent.query_key)
    for part in parts:  # the failures retried are reported by the second attempt instead
        info = ResultInfo.of(part)
        info.failures = [f for f in info.failures if f["image"] not in {r.patent.pn for r in again}]
        info.attach(part)
    return parts + _search(client, again, options, max_calls, spent)


def search_like(client: ClientLike, patent_numbers: Any, *, prior_art: bool = False, endpoint: str | None = None,
                refresh: bool = False, max_calls: int | None = None, dry_run: bool = False, workers: int = 4,
                qps: float | None = None, progress: bool = True, drop_sources: bool = False,
                design_query: DesignQuery | None = None, **filters: Any) -> pd.DataFrame | int:
    """Designs similar to the registered designs ``patent_numbers`` (one, or many: one frame), through the
    drawing of each (see the module's numbered steps and costs).

    ``prior_art=True``: only designs filed before each source's application date, the source left out.
    ``endpoint``, ``design_query`` and ``filters`` as in ``search_designs``; ``max_calls`` bounds every call of
    the workflow;
    ``dry_run=True`` returns the calls it would make; ``drop_sources=True`` leaves each source out of its own
    results (a watch does). Bad numbers or filters raise ``ValidationError`` before any call; a number that
    cannot start a search is that row's failure (``df.attrs["failures"]``).

    Example:
        >>> from patsnap_analytics.client import Client
        >>> search_like(Client(api_key="sk-x", cache=False), "USD0435025S", endpoint="image-multiple")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: endpoint: a search from a patent searches its one drawing: use search-id, image-single or image-single-beta
    """
    numbers = list(dict.fromkeys(check_numbers(patent_numbers)))
    base = client.searcher.design_query_for(endpoint=endpoint, design_query=design_query, **filters)
    if base.endpoint == "image-multiple":
        raise ValidationError("endpoint", "a search from a patent searches its one drawing: use search-id, "
                                          "image-single or image-single-beta")
    if dry_run:
        return like_cost(client, numbers, base, prior_art=prior_art, refresh=refresh)
    spent = client.stats.total_calls
    gates, _ = call_gates(max_calls, qps)
    rows, stopped = _resolve(client, numbers, base, prior_art, refresh=refresh, gates=gates)
    searchable = [r for r in rows if r.error is None and r.patent is not None and r.same_as is None]
    if stopped is None and searchable:
        try:
            _links(client, searchable, refresh=refresh, gates=gates)
        except STOPPING as exc:
            stopped = {"error": type(exc).__name__, "message": str(exc)}
    ready = [r for r in searchable if r.url is not None and r.error is None]
    options = {"workers": workers, "qps": qps, "progress": progress, "refresh": refresh}
    parts = _search(client, ready, options, max_calls, spent) if stopped is None else []
    parts = _retry_expired(client, ready, parts, options, max_calls, spent)
    out = merge_batches(parts, template=ResultInfo(
        source=client.source, base_url=client.base_url, endpoint=base.endpoint,
        filters=base.filters()))
    return _finish(out, rows, ready, stopped, prior_art=prior_art, drop_sources=drop_sources or prior_art,
                   spent=client.stats.total_calls - spent)


def _finish(out: pd.DataFrame, rows: list[_Source], ready: list[_Source], stopped: dict[str, str] | None, *,
            prior_art: bool, drop_sources: bool, spent: int) -> pd.DataFrame:
    """Step 6: the frame's query keys, the sources' facts, the rows' failures, what is pending, the cost."""
    info = ResultInfo.of(out)
    searched = {r.patent.pn: r for r in ready}
    if drop_sources and len(out):
        own = out["query"].map({pn: r.patent.patent_id for pn, r in searched.items()})
        out = out[out["patent_id"] != own].reset_index(drop=True)
    out = with_query_keys(out, {pn: r.patent.query_key for pn, r in searched.items()})
    for row in rows:
        if row.same_as is not None:
            info.duplicates.append({"image": row.number, "same_as": row.same_as})
        elif row.error is not None:
            info.failures.append(failure(row.number, row.error))
        elif row.patent is None or row.url is None:
            info.pending.append(row.number)
    info.source_patents = {pn: {**r.patent.as_json(), "query_key": r.patent.query_key,
                         **({"filed_before": (r.design_query.apply_end_time + timedelta(days=1)).isoformat()}
                            if prior_art and r.design_query.apply_end_time else {})} for pn, r in searched.items()}
    info.workflow = {"kind": "search_like", "prior_art": prior_art}
    info.stopped = info.stopped or stopped
    info.calls_spent = spent
    return info.attach(out)


def like_cost(client: ClientLike, numbers: list[str], base: DesignQuery, *, prior_art: bool = False,
              refresh: bool = False) -> int:
    """The calls :func:`search_like` would make now, at most (nothing is sent): for a number already
    resolved, the pages its search lacks (results may end sooner) and its link if not recorded; for the
    others, one P069 call each, their links and every page.

    Example:
        >>> like_cost(client, ["USD0430005S"], DesignQuery(limit=250))                   # doctest: +SKIP
        5
    """
    unresolved = set(client.source_patents.unresolved(numbers))
    pages = len(page_plan(base))
    calls, links = len(unresolved), 0
    known = client.source_patents.resolve([n for n in numbers if canonical_number(n) not in unresolved], ask=False)
    seen: set[str] = set()
    for number in numbers:
        patent = known.get(number)
        if canonical_number(number) in unresolved:
            calls, links = calls + pages, links + 1
            continue
        if not isinstance(patent, SourcePatent) or patent.pn in seen:
            continue
        seen.add(patent.pn)
        try:
            design_query = _source_design_query(patent, base, prior_art)
        except SourcePatentError:
            continue
        client.searcher.keyer.register(alias_for(patent.pn), patent.query_key)
        step = client.searcher.decide(alias_for(patent.pn), design_query, refresh=refresh)
        missing = sum(s.cached is None for s in step.pages)
        if missing:
            calls += missing
            links += patent.patent_id not in client.source_patents.recorded_drawings([patent])
    return calls + math.ceil(links / MAX_IDS_PER_CALL)
