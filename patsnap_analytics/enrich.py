"""Enrichment: a result frame's patents looked up by id — bibliography, simple legal status, legal status.

Search rows carry a patent id, a number, a title and a score; an analyst also needs who holds the design,
when it was filed and whether it is in force. Three endpoints answer that for up to 100 patents a call
(:data:`~patsnap_analytics.api.ENRICHMENT_ENDPOINTS`):

=====================  =====  ===================================================================================
field                  call   columns added
=====================  =====  ===================================================================================
``bibliography``       P011   ``title_en, patent_type, application_number, application_date, publication_date,
                              current_assignee, original_assignee, applicants, inventors, loc``
``simple_legal_status`` P041  ``simple_legal_status, simple_legal_status_label``
``legal_status``       P013   ``legal_status, legal_status_label, legal_status_date, legal_events``
=====================  =====  ===================================================================================

:meth:`Enricher.enrich` works in this order:

1. **Plan** (no call): the distinct patent ids of the frame; per field, the ones whose record the cache
   already holds (:class:`~patsnap_analytics.records.PatentRecords`, kept per host, endpoint and patent) and
   the ones to fetch; an endpoint the account is known to lack (67200004, remembered) is skipped with its
   explanation. Cost = sum over fields of ceil(patents to fetch / 100).
2. **State** the plan (``enrich: N patents, M calls (K cached)``); ``dry_run`` returns ``M``; a plan over
   ``max_calls`` raises :class:`~patsnap_analytics.errors.BudgetExceeded` before any call, and a budget gate
   also holds retries to ``max_calls``.
3. **Fetch** 100 ids a call. Each answer is checked (its shape, then each record on its own: schema, days,
   every value parsed) before anything is stored: a malformed record is reported (``malformed``) and not
   stored — asked again next time — while the good ones are kept. A patent the answer leaves out between
   patents it names is remembered a day as unknown to the API and reported, not an error; the ones after the
   last patent it names (an answer that may have been cut short) are reported (``unanswered``) and not
   remembered. A 67200004 is remembered for the day and explained, and the other fields still come.
4. **Columns**: the same rows, in the same order, plus the field's columns (typed as
   :data:`~patsnap_analytics.frames.ENRICHED_DTYPES` says); ``attrs["enrichment"]`` says what was fetched,
   what it cost, which patents the API did not know, which records came malformed or unanswered (also said
   by an :class:`IncompleteEnrichmentWarning`) and which endpoints the account lacks.

Patent ids are sent comma-separated, so an id holding a comma cannot be asked for exactly: it is refused
(``ValidationError``) before any call.

Example:
    >>> import patsnap_analytics as pa                                # doctest: +SKIP
    >>> from patsnap_analytics.sandbox import Sandbox                 # doctest: +SKIP
    >>> with Sandbox(designs=300) as sb:                              # doctest: +SKIP
    ...     client = pa.connect(sandbox=sb)
    ...     hits = client.search_many(pa.demo.sample_queries(), limit=25)
    ...     client.enrich(hits, dry_run=True)                         # 3 endpoints x ceil(patents / 100)
    ...     rich = client.enrich(hits)
    ...     rich[["patent_pn", "current_assignee", "application_date", "simple_legal_status_label"]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pandas.api.types import is_scalar

from . import codes
from .api import LEGAL_STATUS, MAX_IDS_PER_CALL, SIMPLE_BIBLIOGRAPHY, SIMPLE_LEGAL_STATUS, Endpoint, wire_day
from .errors import OfflineCacheMiss, PermissionDeniedError, ProtocolError, ValidationError
from .frames import ResultInfo, enriched_column, with_columns
from .records import RecordedLookup
from .wire.checks import check_item
from .wire.gates import CallGate, announce_cost, call_gates

__all__ = ["ENRICH_FIELDS", "FIELD_COLUMNS", "Enricher", "EnrichmentPlan", "IncompleteEnrichmentWarning",
           "parse_item"]

#: What :meth:`Enricher.enrich` can add, and the endpoint each field comes from.
ENRICH_FIELDS: dict[str, Endpoint] = {
    "bibliography": SIMPLE_BIBLIOGRAPHY,
    "simple_legal_status": SIMPLE_LEGAL_STATUS,
    "legal_status": LEGAL_STATUS,
}
#: The columns each field adds.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "bibliography": ("title_en", "patent_type", "application_number", "application_date", "publication_date",
                     "current_assignee", "original_assignee", "applicants", "inventors", "loc"),
    "simple_legal_status": ("simple_legal_status", "simple_legal_status_label"),
    "legal_status": ("legal_status", "legal_status_label", "legal_status_date", "legal_events"),
}
_JOIN = "|"  # how several assignees share one text column, as the API's own rows join names


def _calls(n_patents: int) -> int:
    return math.ceil(n_patents / MAX_IDS_PER_CALL)


class IncompleteEnrichmentWarning(UserWarning):
    """Enrichment stored less than it asked for: malformed records (not stored, asked again next time), or an
    answer that stopped before the last patents asked (not remembered as unknown); see ``attrs["enrichment"]``.

    Example:
        >>> issubclass(IncompleteEnrichmentWarning, UserWarning)
        True
    """


@dataclass
class EnrichmentPlan:
    """What enriching costs: per field, the patents still to fetch and the endpoints the account lacks.

    Example:
        >>> plan = EnrichmentPlan(["p1", "p2"], {"bibliography": ["p1", "p2"], "legal_status": []}, {})
        >>> plan.calls, plan.cached, plan.describe()
        (1, 2, 'enrich 2 patents (bibliography, legal_status): 1 call, 2 records cached')
    """

    patent_ids: list[str]
    to_fetch: dict[str, list[str]]
    unlicensed: dict[str, str] = field(default_factory=dict)
    sent: int = 0  # calls actually sent by :meth:`Enricher.fetch` (a refused one included)
    refresh: bool = False  # fetch even what is cached
    #: what :meth:`Enricher.fetch` could not store: malformed records ``[{"patent_id", "field", "message"}]``
    #: and, per field, the patents after the last one an answer named (``unanswered``: maybe cut short)
    malformed: list[dict[str, str]] = field(default_factory=list)
    unanswered: dict[str, list[str]] = field(default_factory=dict)
    #: per field, the records the plan's calls answered (``None``: a patent the API did not know), as they were
    #: stored: the frame is made from them without reading them back
    fetched: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)

    @property
    def calls(self) -> int:
        """Calls the plan sends (100 patents a call)."""
        return sum(_calls(len(ids)) for ids in self.to_fetch.values())

    @property
    def cached(self) -> int:
        """Records the cache already holds (patent x field)."""
        return sum(len(self.patent_ids) - len(ids) for ids in self.to_fetch.values())

    def describe(self) -> str:
        """One line: patents, fields, calls and cached records (and the endpoints skipped)."""
        calls = self.calls
        line = (f"enrich {len(self.patent_ids)} patents ({', '.join(self.to_fetch) or 'nothing'}): "
                f"{calls} call{'s' if calls != 1 else ''}, {self.cached} records cached")
        for name, why in self.unlicensed.items():
            line += f"; {name} skipped: {why}"
        return line


class Enricher(RecordedLookup):
    """Looks patents up by id for one client: its transport (host, auth, retries) and the per-patent records.

    Example:
        >>> import requests
        >>> from patsnap_analytics.wire.stats import ClientStats
        >>> from patsnap_analytics.wire.transport import Transport
        >>> from patsnap_analytics.records import PatentRecords
        >>> t = Transport(requests.Session(), base_url="https://h", auth=None, stats=ClientStats())
        >>> Enricher(t, PatentRecords(None)).plan(["p1"] * 3, ["legal_status"]).calls
        1
    """

    # ------------------------------------------------------------------ decide
    def refusal(self, name: str) -> str | None:
        """Why the account cannot use field ``name``'s endpoint (a remembered 67200004), or ``None``."""
        operation = ENRICH_FIELDS[name]
        known = self.records.refusals.get(self.host, operation)
        if known is None:
            return None
        when = datetime.fromtimestamp(known["at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (f"the account is not licensed for {operation.operation_id} {operation.path.rsplit('/', 1)[-1]} "
                f"(67200004 at {when}; no call is sent for it for "
                f"{self.records.ttl.unlicensed.total_seconds() / 3600:g} h; refresh=True asks again)")

    def plan(self, patent_ids: Iterable[str], fields: Sequence[str], *, refresh: bool = False) -> EnrichmentPlan:
        """The calls enriching these patents with these fields needs (nothing is sent)."""
        ids = _askable(dict.fromkeys(str(p) for p in patent_ids))
        to_fetch: dict[str, list[str]] = {}
        unlicensed: dict[str, str] = {}
        for name in fields:
            why = None if refresh else self.refusal(name)  # refresh=True asks a refusing endpoint again too
            if why is not None:
                unlicensed[name] = why
                continue
            known = {} if refresh else self.records.get(self.host, ENRICH_FIELDS[name], ids)
            to_fetch[name] = [p for p in ids if p not in known]
        return EnrichmentPlan(ids, to_fetch, unlicensed, refresh=refresh)

    # ------------------------------------------------------------------ act
    def fetch(self, plan: EnrichmentPlan, gates: Sequence[CallGate] = ()) -> list[str]:
        """Send the plan's calls and store every answer; returns the ids the API did not know.

        A field whose endpoint answers 67200004 is remembered, moved to ``plan.unlicensed`` with its
        explanation, and skipped; the other fields go on.
        """
        if plan.calls and self.offline:
            raise OfflineCacheMiss(f"offline: {plan.describe()} — the records are not cached; run it once online")
        not_found: list[str] = []
        for name, ids in list(plan.to_fetch.items()):
            operation = ENRICH_FIELDS[name]
            try:
                for start in range(0, len(ids), MAX_IDS_PER_CALL):
                    batch = self._fetch_once(plan, operation, ids[start:start + MAX_IDS_PER_CALL], gates)
                    plan.fetched.setdefault(name, {}).update({**batch.found, **dict.fromkeys(batch.unknown)})
                    not_found += batch.unknown
                    plan.malformed += [{"patent_id": pid, "field": name, "message": message}
                                       for pid, message in batch.malformed.items()]
                    if batch.unanswered:
                        plan.unanswered.setdefault(name, []).extend(batch.unanswered)
            except PermissionDeniedError as exc:
                self.records.refusals.remember(self.host, operation, str(exc))
                plan.unlicensed[name] = self.refusal(name) or str(exc)
                del plan.to_fetch[name]
        _warn_incomplete(plan)
        return list(dict.fromkeys(not_found))

    def _fetch_once(self, plan: EnrichmentPlan, operation: Endpoint, ids: list[str],
                    gates: Sequence[CallGate]) -> _Batch:
        """One batch, one at a time per endpoint across the processes sharing the cache (single flight): a
        batch waiting for another process's re-reads the records and fetches only what is still missing."""
        with self.flight.hold(f"enrich:{self.host}|{operation.name}"):
            if not plan.refresh:
                known = self.records.get(self.host, operation, ids)
                ids = [p for p in ids if p not in known]
            if not ids:
                return _Batch()
            plan.sent += 1
            return self._fetch_batch(operation, ids, gates)

    def _fetch_batch(self, operation: Endpoint, ids: list[str], gates: Sequence[CallGate]) -> _Batch:
        """One call: each record checked on its own; the good ones stored, the others reported."""
        data = self.transport.call(operation, {"patent_id": ",".join(ids)}, gates=gates).data
        asked = set(ids)
        batch = _Batch()
        found: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(data):
            pid = item["patent_id"]
            if pid not in asked or pid in found or pid in batch.malformed:
                continue  # an id we did not ask for is not trusted, nor stored
            try:
                found[pid] = parse_item(operation, item, where=f"data[{i}]")
            except ProtocolError as exc:
                batch.malformed[pid] = str(exc)  # not stored, not "unknown": asked again next time
        batch.unknown, batch.unanswered = _left_out(ids, {*found, *batch.malformed})
        self.records.put(self.host, operation, found, missing=batch.unknown)
        batch.found = found
        return batch

    def records_of(self, name: str, patent_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        """The cached records of field ``name`` for these patents (``None``: unknown to the API)."""
        return self.records.get(self.host, ENRICH_FIELDS[name], patent_ids)

    def _records(self, plan: EnrichmentPlan, name: str, patent_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """:meth:`records_of`, the records the plan fetched taken as they were stored (not read back)."""
        fetched = plan.fetched.get(name, {})
        rest = [p for p in patent_ids if p not in fetched]
        records = self.records_of(name, rest) if rest else {}
        records.update((p, fetched[p]) for p in patent_ids if p in fetched)
        return records

    # ------------------------------------------------------------------ the public call
    def enrich(self, df: pd.DataFrame, fields: Sequence[str] | str = tuple(ENRICH_FIELDS), *,
               max_calls: int | None = None, dry_run: bool = False, refresh: bool = False,
               progress: bool = True) -> pd.DataFrame | int:
        """``df`` plus the columns of ``fields`` (see the module's table and numbered steps).

        Cost: ceil(patents not yet cached / 100) calls per field; ``dry_run=True`` returns that number and
        sends nothing; ``max_calls`` is never exceeded (a larger plan is refused before any call);
        ``refresh=True`` fetches again even what is cached.

        Example:
            >>> from patsnap_analytics.client import Client
            >>> Client(api_key="sk-x", cache=False).enrich(pd.DataFrame({"patent_id": ["p1"]}), fields="abstract")
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: fields: unknown field 'abstract'; choose from bibliography, simple_legal_status, legal_status
        """
        names = check_fields(fields)
        ids = patent_ids_of(df)
        gates, _ = call_gates(max_calls, None)  # validates max_calls before anything else
        plan = self.plan(ids, names, refresh=refresh)
        if dry_run:
            return plan.calls
        announce_cost(plan.describe(), plan.calls, max_calls, progress=progress)
        not_found = self.fetch(plan, gates)
        # the rows copied without their attrs (attach() sets them below; pandas deep-copies attrs on every copy and
        # on every column read, so the patent ids are read once)
        patent_column = df["patent_id"]
        unknown: dict[str, None] = {}  # patents a cached record says the API does not know (said again from cache)
        columns: dict[str, Any] = {}
        for name in names:
            if name in plan.unlicensed:
                continue
            records = self._records(plan, name, ids)  # read once: for the columns and for what is unknown
            unknown.update((p, None) for p, record in records.items() if record is None)
            columns.update(field_columns(name, records, patent_column))
        out = with_columns(df, columns)
        info = ResultInfo.of(df)
        info.enrichment = {
            "fields": [n for n in names if n not in plan.unlicensed],
            "calls": plan.sent,
            "cached_records": plan.cached,
            "not_found": not_found or list(unknown),
            "malformed": plan.malformed,
            "unanswered": plan.unanswered,
            "unlicensed": dict(plan.unlicensed),
        }
        if plan.unlicensed:
            import warnings

            warnings.warn("; ".join(f"{n}: {why}" for n, why in plan.unlicensed.items()), stacklevel=2)
        return info.attach(out)


@dataclass
class _Batch:
    """What one enrichment call left unstored: ``unknown`` patents (remembered as such), ``unanswered`` ones
    (after the last patent the answer named) and ``malformed`` records (id -> the error)."""

    unknown: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    malformed: dict[str, str] = field(default_factory=dict)
    #: the records stored (patent id -> record)
    found: dict[str, dict[str, Any]] = field(default_factory=dict)


def _left_out(ids: list[str], named: set[str]) -> tuple[list[str], list[str]]:
    """(unknown, unanswered): the ids an answer left out before the last one it named are unknown to the API;
    those after it may have been cut off (an answer that stopped early), so they are not remembered. An answer
    naming none of them says it knows none.

    Example:
        >>> _left_out(["a", "b", "c", "d"], {"a", "c"}), _left_out(["a", "b"], set())
        ((['b'], ['d']), (['a', 'b'], []))
    """
    last = max((i for i, pid in enumerate(ids) if pid in named), default=len(ids) - 1)
    return [p for p in ids[:last + 1] if p not in named], ids[last + 1:]


def _warn_incomplete(plan: EnrichmentPlan) -> None:
    """Say what a fetch could not store (once per fetch, naming the endpoint and the field of each problem)."""
    import warnings

    if plan.malformed:
        first = plan.malformed[0]
        warnings.warn(f"enrich: {len(plan.malformed)} malformed record(s) not stored (asked again next time; "
                      f"the others were kept), e.g. patent {first['patent_id']}: {first['message']}",
                      IncompleteEnrichmentWarning, stacklevel=5)
    for name, ids in plan.unanswered.items():
        operation = ENRICH_FIELDS[name]
        warnings.warn(f"enrich: {operation.path} stopped before the last {len(ids)} patent(s) asked for {name}: they "
                      "are not remembered as unknown (the answer may have been cut short) and are asked again next "
                      "time", IncompleteEnrichmentWarning, stacklevel=5)


# ---------------------------------------------------------------------------------------------- inputs
def _askable(ids: Iterable[str]) -> list[str]:
    """Patent ids as they can be sent: the API takes them comma-separated, so an id holding a comma is refused.

    Example:
        >>> _askable(["p1", "a,b"])
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: df: patent_id 'a,b' holds a comma: ids travel comma-separated, so it cannot be asked for exactly; drop or correct that row (1 such id)
    """
    ids = list(ids)
    bad = [p for p in ids if "," in p]
    if bad:
        raise ValidationError("df", f"patent_id {bad[0]!r} holds a comma: ids travel comma-separated, so it cannot "
                                    f"be asked for exactly; drop or correct that row ({len(bad)} such id"
                                    f"{'s' if len(bad) != 1 else ''})")
    return ids


def check_fields(fields: Sequence[str] | str) -> list[str]:
    """``fields`` validated: names of :data:`ENRICH_FIELDS`, in the order given, without repeats.

    Example:
        >>> check_fields("legal_status"), check_fields(["bibliography", "bibliography"])
        (['legal_status'], ['bibliography'])
    """
    names = [fields] if isinstance(fields, str) else list(fields)
    if not names:
        raise ValidationError("fields", f"name at least one of {', '.join(ENRICH_FIELDS)}")
    for name in names:
        if name not in ENRICH_FIELDS:
            raise ValidationError("fields", f"unknown field {name!r}; choose from {', '.join(ENRICH_FIELDS)}")
    return list(dict.fromkeys(names))


def patent_ids_of(df: pd.DataFrame) -> list[str]:
    """The distinct patent ids of a result frame, in order of first appearance.

    Example:
        >>> patent_ids_of(pd.DataFrame({"patent_id": ["b", "a", "b", None]}))
        ['b', 'a']
    """
    if not isinstance(df, pd.DataFrame):
        raise ValidationError("df", f"expected a result DataFrame, got {type(df).__name__}")
    if "patent_id" not in df.columns:
        raise ValidationError("df", "not a result frame: no 'patent_id' column (search_designs / search_many "
                                    "return one)")
    return list(dict.fromkeys(str(p) for p in df["patent_id"].tolist() if not (is_scalar(p) and pd.isna(p))))


# ---------------------------------------------------------------------------------------------- parsing
def _date(value: Any) -> str | None:
    """A yyyyMMdd integer (checked by :func:`~patsnap_analytics.wire.checks.check_item`) as an ISO date."""
    day = wire_day(value)
    return day.isoformat() if day else None


def _names(parties: Any) -> list[str]:
    return [str(p["name"]).strip() for p in parties or [] if p.get("name") and str(p["name"]).strip()]


def _status(kind: str, labels: Any) -> tuple[int | None, str | None]:
    """The first status label as (code, words); a label the toolkit does not know keeps its own words."""
    for label in labels or []:
        code = codes.code_of(kind, label)
        return code, codes.name_of(kind, code) if code is not None else str(label)
    return None, None


def _bibliography(item: dict[str, Any]) -> dict[str, Any]:
    biblio = item.get("bibliographic_data") or {}
    titles = biblio.get("invention_title") or []
    english = next((t.get("text") for t in titles if str(t.get("lang") or "").upper() == "EN"), None)
    application = biblio.get("application_reference") or {}
    publication = biblio.get("publication_reference") or {}
    loc = [str(c["code"]).strip() for c in biblio.get("classification_loc") or [] if c.get("code")]
    return {
        "title_en": english or (titles[0].get("text") if titles else None),
        "patent_type": biblio.get("patent_type"),
        "application_number": application.get("doc_number"),
        "application_date": _date(application.get("date")),
        "publication_date": _date(publication.get("date")),
        "current_assignee": _JOIN.join(_names(biblio.get("current_assignees"))) or None,
        "original_assignee": _JOIN.join(_names(biblio.get("original_assignees"))) or None,
        "applicants": _names(biblio.get("applicants")),
        "inventors": _names(biblio.get("inventors")),
        "loc": list(dict.fromkeys(loc)),
    }


def _simple(item: dict[str, Any]) -> dict[str, Any]:
    code, label = _status("simple_legal_status", item.get("simple_legal_status"))
    return {"simple_legal_status": code, "simple_legal_status_label": label}


def _legal(item: dict[str, Any]) -> dict[str, Any]:
    legal = item.get("patent_legal") or {}
    code, label = _status("legal_status", legal.get("legal_status"))
    simple, simple_label = _status("simple_legal_status", legal.get("simple_legal_status"))
    return {"legal_status": code, "legal_status_label": label,
            "legal_status_date": _date(item.get("legal_date")),
            "legal_events": [str(e) for e in legal.get("event_status") or []],
            # P013 answers the simple status too: label() may use it instead of a P041 call
            "simple_legal_status": simple, "simple_legal_status_label": simple_label}


_PARSERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    SIMPLE_BIBLIOGRAPHY.name: _bibliography, SIMPLE_LEGAL_STATUS.name: _simple, LEGAL_STATUS.name: _legal}


def parse_item(operation: Endpoint, item: dict[str, Any], *, where: str = "data[0]") -> dict[str, Any]:
    """One patent of an answer as the plain record the cache keeps, after checking it on its own
    (:func:`~patsnap_analytics.wire.checks.check_item`: a ProtocolError names ``where`` and the field).

    Example:
        >>> parse_item(LEGAL_STATUS, {"patent_id": "p", "legal_date": 20240131,
        ...            "patent_legal": {"legal_status": ["授权"], "event_status": ["Granted"]}})["legal_status"]
        3
        >>> parse_item(LEGAL_STATUS, {"patent_id": "p", "legal_date": 20241331})
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /basic-patent-data/legal-status answered a malformed data[0].legal_date: 20241331 is not a yyyyMMdd day from 16770922 to 22620411
    """
    return _PARSERS[operation.name](check_item(operation, item, where=where))


def field_columns(name: str, records: dict[str, dict[str, Any] | None], patent_ids: pd.Series, *,
                  extra: Iterable[str] = ()) -> dict[str, Any]:
    """Field ``name``'s columns (and the ``extra`` ones its records hold, e.g. the simple status P013 also
    answers) for rows with these patent ids, typed; unknown patents get NA.

    Example:
        >>> cols = field_columns("simple_legal_status", {"p1": {"simple_legal_status": 1,
        ...                      "simple_legal_status_label": "Active"}}, pd.Series(["p1", "p2"]))
        >>> cols["simple_legal_status"].tolist()
        [1, <NA>]
    """
    rows = [records.get(str(p)) if not (is_scalar(p) and pd.isna(p)) else None for p in patent_ids.tolist()]
    return {column: enriched_column(column, [None if row is None else row.get(column) for row in rows])
            for column in dict.fromkeys((*FIELD_COLUMNS[name], *extra))}
