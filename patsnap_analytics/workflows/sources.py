"""Where a search starts when it starts from a patent, not an image: its number, its record, its drawing.

An invalidity or clearance search starts from a registration ("what looks like USD0435025S?"). Two calls of
the API answer what that takes:

1. **The number** (P069, the patent-number search, one call per number): the patent a number names, as
   people write it (case, spaces, leading zeros, the kind code left out), with its standard number, patent id,
   type, dates and holders (:class:`SourcePatent`). What P069 said is kept per host and number as a record
   beside the cache (:class:`~patsnap_analytics.records.PatentRecords`, 90 days: who filed a design and when
   does not change); a number it does not know is remembered a day.
2. **The drawing** (P021, the abstract image, up to 100 patents a call): a *signed* link to the patent's
   front-page drawing, which the vendor documents as valid 9 hours. It is kept 8 hours, per patent
   (:attr:`RecordTTL.drawing <patsnap_analytics.records.RecordTTL.drawing>`). The link itself is searched:
   nothing is downloaded or uploaded.

A search by that link is cached under the patent (``pn:<number>``: :func:`alias_for`), never under the link,
which changes on every P021 call and expires: the same patent searched with the same filters next month
costs nothing, even though its link is long dead (and then P021 is not asked either).

Example:
    >>> pick("usd 435025", [{"patent_id": "p1", "pn": "USD0435025S", "apdt": 20010312, "patent_type": "D"}]).pn
    'USD0435025S'
    >>> pick("USD1", [])
    Traceback (most recent call last):
    ...
    patsnap_analytics.errors.UnknownPatentError: USD1: the patent-number search (P069) knows no patent by this number; check the office prefix and the digits (e.g. USD0435025S)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ..api import ABSTRACT_IMAGE, MAX_IDS_PER_CALL, PATENT_NUMBER_SEARCH
from ..errors import (
    STOPPING,
    NoDrawingError,
    OfflineCacheMiss,
    PatsnapError,
    UnknownPatentError,
    ValidationError,
)
from ..records import RecordedLookup
from ..wire.gates import CallGate

__all__ = ["ALIAS_BASE", "NUMBER_PATTERN", "PatentSources", "SourcePatent", "alias_for", "canonical_number",
           "check_numbers", "looks_like_number", "pick", "query_key"]

_SEPARATORS = re.compile(r"[\s,.\-/]+")
_PARTS = re.compile(r"([A-Z]{2})([A-Z]*?)0*([0-9]+)(?:[A-Z][0-9]?)?")
#: What a patent number looks like: an office prefix, maybe series letters, digits, maybe a kind code.
NUMBER_PATTERN = re.compile(r"[A-Za-z]{2}[\s,.\-/]*[A-Za-z]{0,2}[\s,.\-/]*[0-9][0-9\s,.\-/]*[A-Za-z]?[0-9]?")
#: Where searches from a patent are cached: ``url`` stands for ``pn:<number>``, never for its signed link.
ALIAS_BASE = "https://patsnap-analytics.invalid/patent/"


def canonical_number(number: str) -> str:
    """A number without case, spaces or punctuation (the key of its record).

    Example:
        >>> canonical_number(" usd 0435,025-s ")
        'USD0435025S'
    """
    return _SEPARATORS.sub("", number).upper()


def _loose(number: str) -> str:
    text = canonical_number(number)
    m = _PARTS.fullmatch(text)
    return f"{m[1]}{m[2]}{m[3]}" if m else text


def check_numbers(numbers: Any) -> list[str]:
    """The patent numbers given (one, a list, or a DataFrame column), stripped; bad ones refused before any call.

    Example:
        >>> check_numbers("USD0435025S"), check_numbers(["USD0435025S", " CN305123456S "])
        (['USD0435025S'], ['USD0435025S', 'CN305123456S'])
        >>> check_numbers(["watch.png"])
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: patent_numbers: 'watch.png' is not a patent number: an office prefix and digits, e.g. USD0435025S or CN305123456S
    """
    values = [numbers] if isinstance(numbers, str) else list(getattr(numbers, "tolist", lambda: numbers)())
    if not values:
        raise ValidationError("patent_numbers", "give at least one patent number, e.g. USD0435025S")
    out = []
    for value in values:
        text = value.strip() if isinstance(value, str) else None
        if not text or not NUMBER_PATTERN.fullmatch(text):
            raise ValidationError("patent_numbers", f"{value!r} is not a patent number: an office prefix and digits, "
                                                    "e.g. USD0435025S or CN305123456S")
        out.append(text)
    return out


def looks_like_number(text: str) -> bool:
    """Whether ``text`` reads as a patent number (an office prefix and digits).

    Example:
        >>> looks_like_number("USD0435025S"), looks_like_number("chair.png"), looks_like_number("https://x/1.png")
        (True, False, False)
    """
    return bool(NUMBER_PATTERN.fullmatch(text.strip()))


def alias_for(pn: str) -> str:
    """The stand-in ``url`` a search from patent ``pn`` is cached under (a reserved domain: never fetched).

    Example:
        >>> alias_for("USD0435025S")
        'https://patsnap-analytics.invalid/patent/USD0435025S'
    """
    return ALIAS_BASE + pn


def query_key(pn: str) -> str:
    """How a search from patent ``pn`` is named across studies (contracts: ``pn:<number>``).

    Example:
        >>> query_key("USD0435025S")
        'pn:USD0435025S'
    """
    return f"pn:{pn}"


def _day(value: Any) -> date | None:
    try:
        return date(value // 10000, value // 100 % 100, value % 100) if value else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class SourcePatent:
    """The patent a search starts from, as the patent-number search (P069) described it.

    Example:
        >>> SourcePatent("usd435025", "USD0435025S", "p1", "D").query_key
        'pn:USD0435025S'
    """

    number: str
    pn: str
    patent_id: str
    patent_type: str | None = None
    office: str | None = None
    application_number: str | None = None
    application_date: date | None = None
    publication_date: date | None = None
    current_assignee: str | None = None
    original_assignee: str | None = None

    @property
    def query_key(self) -> str:
        """``pn:<standard number>``: the key a search from it goes by."""
        return query_key(self.pn)

    def as_json(self) -> dict[str, Any]:
        """JSON-friendly (dates as ISO text): what ``df.attrs["source_patents"]`` holds per query."""
        out = asdict(self)
        for name in ("application_date", "publication_date"):
            out[name] = out[name].isoformat() if out[name] else None
        return out


def pick(number: str, results: Sequence[dict[str, Any]]) -> SourcePatent:
    """The patent ``number`` names among P069's ``results``: the exact standard number, else the one whose
    number reads the same without leading zeros or kind code, else the only result; none or several
    different ones is :class:`~patsnap_analytics.errors.UnknownPatentError`.
    """
    exact = [r for r in results if canonical_number(str(r.get("pn") or "")) == canonical_number(number)]
    close = [r for r in results if _loose(str(r.get("pn") or "")) == _loose(number)]
    candidates = exact or close or list(results)
    distinct = list({str(r.get("pn") or r["patent_id"]): r for r in candidates}.values())
    if not distinct:
        raise UnknownPatentError(number, "the patent-number search (P069) knows no patent by this number; check "
                                         "the office prefix and the digits (e.g. USD0435025S)")
    if len(distinct) > 1:
        named = ", ".join(str(r.get("pn")) for r in distinct[:5])
        raise UnknownPatentError(number, f"names {len(distinct)} patents ({named}); give the full number")
    row = distinct[0]
    return SourcePatent(
        number=number, pn=str(row.get("pn") or number), patent_id=str(row["patent_id"]),
        patent_type=(str(row["patent_type"]).upper() if row.get("patent_type") else None),
        office=row.get("authority"), application_number=row.get("apno"), application_date=_day(row.get("apdt")),
        publication_date=_day(row.get("pbdt")), current_assignee=row.get("current_assignee"),
        original_assignee=row.get("original_assignee"))


_ROW_FIELDS = ("patent_id", "pn", "apno", "apdt", "pbdt", "authority", "patent_type", "current_assignee",
               "original_assignee")


class PatentSources(RecordedLookup):
    """Patent numbers -> :class:`SourcePatent` (P069) and patents -> drawing links (P021), each paid for once
    and kept as records (see the module's notes).

    Example:
        >>> from patsnap_analytics.client import Client
        >>> Client(api_key="sk-x", cache=False).source_patents.unresolved(["USD0435025S", "usd 0435025 s"])
        ['USD0435025S']
    """

    # ------------------------------------------------------------------ numbers (P069)
    def _recorded(self, numbers: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        return self.records.get(self.host, PATENT_NUMBER_SEARCH, [canonical_number(n) for n in numbers])

    def unresolved(self, numbers: Iterable[str]) -> list[str]:
        """The distinct numbers (canonical) no record answers yet: one P069 call each."""
        keys = list(dict.fromkeys(canonical_number(n) for n in numbers))
        known = self.records.get(self.host, PATENT_NUMBER_SEARCH, keys)
        return [k for k in keys if k not in known]

    def resolve(self, numbers: Sequence[str], *, refresh: bool = False, gates: Sequence[CallGate] = (),
                ask: bool = True) -> dict[str, SourcePatent | Exception]:
        """Each number's :class:`SourcePatent`, or the error that says why it cannot start a search; with
        ``ask=False`` only what the records say (a number without one is left out).

        Cost: one P069 call per distinct number without a record (``refresh``: every one).
        """
        failed: dict[str, Exception] = {}
        asking = [] if not ask else self.unresolved(numbers) if not refresh else dict.fromkeys(map(canonical_number,
                                                                                                   numbers))
        for key in asking:
            try:
                self._ask_number(key, gates)
            except STOPPING:
                raise
            except PatsnapError as exc:  # this number's trouble (refused, malformed, offline), not the others'
                failed[key] = exc
        recorded = self._recorded(numbers)
        out: dict[str, SourcePatent | Exception] = {}
        for number in numbers:
            key = canonical_number(number)
            if not ask and key not in recorded:
                continue
            if key in failed:
                out[number] = failed[key]
                continue
            try:
                out[number] = pick(number, (recorded.get(key) or {}).get("results") or [])
            except UnknownPatentError as exc:
                out[number] = exc
        return out

    def _ask_number(self, key: str, gates: Sequence[CallGate]) -> None:
        with self.flight.hold(f"source:{self.host}|{key}"):
            if self.records.get(self.host, PATENT_NUMBER_SEARCH, [key]):
                return  # another thread or process asked meanwhile
            if self.offline:
                raise OfflineCacheMiss(f"offline: patent number {key} has not been looked up; run it once online")
            data = self.transport.call(PATENT_NUMBER_SEARCH, {}, body={"pn": key, "limit": 10}, gates=gates).data
            rows = [{f: r.get(f) for f in _ROW_FIELDS} for r in data.get("results") or []]
            if rows:
                self.records.put(self.host, PATENT_NUMBER_SEARCH, {key: {"results": rows}})
            else:
                self.records.put(self.host, PATENT_NUMBER_SEARCH, {}, missing=[key])

    # ------------------------------------------------------------------ drawings (P021)
    def recorded_drawings(self, patents: Iterable[SourcePatent]) -> dict[str, str | None]:
        """patent id -> its recorded drawing link (``None``: the API said it has none); unrecorded ones absent."""
        records = self.records.get(self.host, ABSTRACT_IMAGE, [p.patent_id for p in patents])
        return {pid: (record or {}).get("url") for pid, record in records.items()}

    def drawings(self, patents: Sequence[SourcePatent], *, refresh: bool = False,
                 gates: Sequence[CallGate] = ()) -> dict[str, str | NoDrawingError]:
        """patent id -> the link to search with, or :class:`NoDrawingError`.

        Cost: ceil(patents without a fresh record / 100) P021 calls (``refresh``: of every one).
        """
        known = {} if refresh else self.recorded_drawings(patents)
        missing = list(dict.fromkeys(p.patent_id for p in patents if p.patent_id not in known))
        for start in range(0, len(missing), MAX_IDS_PER_CALL):
            self._ask_drawings(missing[start:start + MAX_IDS_PER_CALL], gates)
        known.update(self.recorded_drawings([p for p in patents if p.patent_id in missing]))
        out: dict[str, str | NoDrawingError] = {}
        for patent in patents:
            url = known.get(patent.patent_id)
            out[patent.patent_id] = url if url else NoDrawingError(
                patent.pn, "the abstract-image endpoint (P021) has no drawing of this patent; search one of its "
                           "drawings as an image instead")
        return out

    def _ask_drawings(self, ids: list[str], gates: Sequence[CallGate]) -> None:
        if self.offline:
            raise OfflineCacheMiss(f"offline: the drawings of {len(ids)} patent(s) are not recorded; run it once online")
        data = self.transport.call(ABSTRACT_IMAGE, {"patent_id": ",".join(ids)}, gates=gates).data
        asked, found = set(ids), {}
        for item in data:
            pid = item["patent_id"]
            if pid in asked and pid not in found:  # an id we did not ask for is neither trusted nor stored
                path = (item.get("abstract_drawing") or {}).get("path")
                found[pid] = {"url": path if isinstance(path, str) and path.lower().startswith(("http://", "https://"))
                              else None}
        self.records.put(self.host, ABSTRACT_IMAGE, found, missing=[p for p in ids if p not in found])
