"""DesignQuery and the FILTERS table: every search filter, described and validated in one place.

:data:`FILTERS` says, per filter, what analysts call it (``label``), what it takes (``help``), how a value is
checked and normalised, how it travels on the wire and how it reads in a report. Validation
(:class:`DesignQuery`), the CLI's flags, the filter form's labels, the report's wording and the sandbox's
route documentation are all generated from it, so they can never disagree.

Filters use the API's own parameter names and take Python values; a bad value raises
:class:`~patsnap_analytics.errors.ValidationError` naming the parameter and the rule, before any call is made.
Equivalent queries normalise to equal objects (list order, date formats, defaults), which is what makes
the cache key of a search stable.

Example:
    >>> q = DesignQuery(country=["us", "CN"], legal_status=[3, "2"], apply_start_time="2020-01-31", limit=50)
    >>> q.to_api_params()["country"], q.to_api_params()["legal_status"], q.to_api_params()["apply_start_time"]
    ('CN,US', '2,3', '20200131')
    >>> DesignQuery(limit=0)
    Traceback (most recent call last):
    ...
    patsnap_analytics.errors.ValidationError: limit: must be an integer from 1 to 100, got 0
    >>> FILTERS["limit"].label, FILTERS["limit"].high
    ('Results', 100)
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from . import codes, loc
from .errors import ValidationError

__all__ = ["DATE_PARAMS", "FILTERS", "FILTER_NAMES", "SORT_FIELDS", "DesignQuery", "Filter", "iso_date"]

DATE_PARAMS = ("apply_start_time", "apply_end_time", "public_start_time", "public_end_time")
#: ``field`` values that sort by a date (no ``field`` sorts by similarity).
SORT_FIELDS: Mapping[str, str] = MappingProxyType(
    {"APD": "application date (APD)", "PBD": "publication date (PBD)", "ISD": "issue date (ISD)"})
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2099, 12, 31)
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_DIGITS = re.compile(r"^[0-9]{1,9}$")
_DAY_FIRST = re.compile(r"^([0-9]{1,2})[./-]([0-9]{1,2})[./-]([0-9]{4})$")
MAX_TEXT = 500


# ---------------------------------------------------------------------------------------------- value parsers

def _split(value: Any, name: str) -> list[Any]:
    """A comma-separated string, a scalar or an iterable -> list of stripped, non-empty items."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, (numbers.Integral, date)):
        items = [value]
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        raise ValidationError(name, f"must be a list or a comma-separated string, got {type(value).__name__}")
    out = []
    for item in items:
        if isinstance(item, str):
            item = item.strip()
            if not item:
                if isinstance(value, str) and value.strip() == "":
                    continue
                raise ValidationError(name, f"has an empty item in {value!r}")
        out.append(item)
    return out


def _known(table: Mapping[int, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(table.items()))


def _status_codes(value: Any, name: str, table: Mapping[int, str]) -> tuple[int, ...]:
    by_name = {v.lower(): k for k, v in table.items()}
    result = set()
    for item in _split(value, name):
        if isinstance(item, bool):
            raise ValidationError(name, f"codes are integers, got the boolean {item!r}")
        # NumPy integers too: codes often come out of a DataFrame
        if isinstance(item, numbers.Integral) or (isinstance(item, str) and _DIGITS.match(item)):
            code = int(item)
        elif isinstance(item, str) and item.lower() in by_name:
            code = by_name[item.lower()]
        else:
            raise ValidationError(name, f"unknown code {item!r}{_other_status_hint(item, name)}; known: "
                                        f"{_known(table)}")
        if code not in table:
            raise ValidationError(name, f"unknown code {code}; known: {_known(table)}")
        result.add(code)
    return tuple(sorted(result))


def _other_status_hint(item: Any, name: str) -> str:
    """`` ('Granted' is a legal_status: use legal_status=...)`` when a status name belongs to the other filter."""
    if not isinstance(item, str):
        return ""
    other = "legal_status" if name == "simple_legal_status" else "simple_legal_status"
    table = codes.LEGAL_STATUS if other == "legal_status" else codes.SIMPLE_LEGAL_STATUS
    match = next((label for label in table.values() if label.lower() == item.strip().lower()), None)
    return f" ({match!r} is a {other}: use {other}={match!r})" if match else ""


def _offices(value: Any, name: str) -> tuple[str, ...]:
    result = set()
    for item in _split(value, name):
        text = str(item).strip().upper() if isinstance(item, str) else None
        if text is None or not codes.is_office(text):
            raise ValidationError(name, _not_an_office(item))
        result.add(text)
    return tuple(sorted(result))


def _not_an_office(item: Any) -> str:
    """Why ``item`` is no office code, and the code most likely meant (``UK`` -> GB, ``China`` -> CN)."""
    meant = codes.suggest_office(item) if isinstance(item, str) else None
    if isinstance(item, str) and codes.is_office_code(item.strip().upper()):
        what = f"{item!r} is not the code of an office that registers designs"
    else:
        what = f"{item!r} is not an office code (offices are two-letter codes such as CN, US, EU)"
    if meant is not None:
        return f"{what}; did you mean {meant} ({codes.name_of('country', meant)})?"
    return f"{what}; find codes by name, e.g. pa.codes.find_office('korea')"


def _names(value: Any, name: str) -> tuple[str, ...]:
    result = set()
    for item in _split(value, name):
        if not isinstance(item, str):
            raise ValidationError(name, f"must be names (strings), got {item!r}")
        if len(item) > MAX_TEXT:
            raise ValidationError(name, f"a name is at most {MAX_TEXT} characters")
        result.add(" ".join(item.split()))
    return tuple(sorted(result))


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string, got {type(value).__name__}")
    text = " ".join(value.split())
    if len(text) > MAX_TEXT:
        raise ValidationError(name, f"must be at most {MAX_TEXT} characters, got {len(text)}")
    return text or None


def _loc(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string expression, got {type(value).__name__}")
    return str(loc.parse(value)) if value.strip() else None


def iso_date(text: str) -> date | None:
    """A strict ``YYYY-MM-DD`` calendar date, else ``None`` (no week dates, no other ISO forms).

    Example:
        >>> iso_date("2020-01-31"), iso_date("2020-W01-1"), iso_date("2023-02-30")
        (datetime.date(2020, 1, 31), None, None)
    """
    m = _ISO.match(text.strip())
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _date_hint(text: str) -> str:
    """``; did you mean '2020-01-31'?`` for a day-first date (31/01/2020, 31.01.2020); the month-first
    reading is offered only when the day-first one is impossible."""
    m = _DAY_FIRST.match(text.strip())
    if not m:
        return ""
    first, second, year = int(m[1]), int(m[2]), int(m[3])
    for day, month in ((first, second), (second, first)):
        try:
            return f"; did you mean {date(year, month, day).isoformat()!r}?"
        except ValueError:
            continue
    return ""


def _date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        d = value
    elif isinstance(value, str):
        m = _ISO.match(value.strip()) or _COMPACT.match(value.strip())
        if not m:
            raise ValidationError(name, f"must be a date, 'YYYY-MM-DD' or 'YYYYMMDD'; got {value!r}"
                                        f"{_date_hint(value)}")
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValidationError(name, f"{value!r} is not a calendar date") from None
    else:
        raise ValidationError(name, f"must be a date, 'YYYY-MM-DD' or 'YYYYMMDD'; got {type(value).__name__}")
    if not MIN_DATE <= d <= MAX_DATE:
        raise ValidationError(name, f"must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}, got {d}")
    return d


def _sort_field(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    text = value.strip().upper() if isinstance(value, str) else None
    if text not in SORT_FIELDS:
        hint = " (SCORE belongs to the newer image-single endpoint; here leave field empty)" if text == "SCORE" else ""
        raise ValidationError(name, f"must be None (sort by similarity) or one of APD, PBD, ISD; got {value!r}{hint}")
    return text


def _order(value: Any, name: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in ("asc", "desc"):
        meant = {"ascending": "asc", "descending": "desc", "up": "asc", "down": "desc"}.get(text) \
            if isinstance(text, str) else None
        hint = f"; did you mean {meant!r}?" if meant else ""
        raise ValidationError(name, f"must be 'asc' or 'desc', got {value!r}{hint}")
    return text


# ---------------------------------------------------------------------------------------------- the table

@dataclass(frozen=True)
class Filter:
    """One search filter: its API name, the words people see, and how a value is checked and shown.

    ``parse(value)`` returns the normalised value (tuples for lists, ``date`` for dates) or raises
    :class:`ValidationError`; ``low``/``high`` bound a count. ``to_wire`` gives the query-string form and
    ``describe`` the words a report prints.

    Example:
        >>> FILTERS["country"].parse("us, cn"), FILTERS["country"].describe(("CN", "US"))
        (('CN', 'US'), 'China (CN), United States (US)')
    """

    name: str
    label: str
    help: str
    parser: Callable[[Any, str], Any] = dataclasses.field(repr=False)
    default: Any = None
    table: Mapping[Any, str] | None = dataclasses.field(default=None, repr=False)
    low: int | None = None
    high: int | None = None

    def parse(self, value: Any) -> Any:
        """The normalised value, or :class:`ValidationError` naming this filter."""
        return self.parser(value, self.name)

    def to_wire(self, value: Any) -> str:
        """The API's query-string form of a normalised value (lists comma-joined, dates ``yyyyMMdd``)."""
        if isinstance(value, tuple):
            return ",".join(str(v) for v in value)
        if isinstance(value, date):
            return value.strftime("%Y%m%d")
        return str(value)

    def describe(self, value: Any) -> str:
        """A normalised value in an analyst's words: codes spelled out, sort fields named."""
        if self.name == "country":
            return ", ".join(f"{codes.name_of('country', c)} ({c})" for c in value)
        if self.table is not None:
            return ", ".join(f"{self.table.get(c, c)} ({c})" for c in value)
        if self.name == "loc":
            terms = sorted(loc.parse(value).terms())
            return f"{value} ({'; '.join(f'{t} = {codes.loc_title(t)}' for t in terms)})"
        if self.name == "field":
            return SORT_FIELDS[value] if value else "similarity"
        if self.name == "order":
            return {"desc": "descending", "asc": "ascending"}[value]
        if isinstance(value, tuple):
            return ", ".join(map(str, value))
        if isinstance(value, date):
            return value.isoformat()
        return str(value)


def _count(low: int, high: int) -> Callable[[Any, str], int]:
    def parse(value: Any, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
            raise ValidationError(name, f"must be an integer from {low} to {high}, got {value!r}")
        return int(value)

    return parse


def _codes_of(table: Mapping[int, str]) -> Callable[[Any, str], tuple[int, ...]]:
    return lambda value, name: _status_codes(value, name, table)


_DATE_HELP = "a date: YYYY-MM-DD or YYYYMMDD"
#: Every filter of the similar-design search, in the API's order.
FILTERS: Mapping[str, Filter] = MappingProxyType({f.name: f for f in (
    Filter("loc", "LOC classes", "Locarno expression, e.g. '(10-02 OR 10-07) AND NOT 10-04'", _loc),
    Filter("assignees", "Assignees", "assignee / applicant names, comma-separated", _names, ()),
    Filter("legal_status", "Legal status", "legal status codes or names, e.g. 3,2 or Granted",
           _codes_of(codes.LEGAL_STATUS), (), codes.LEGAL_STATUS),
    Filter("country", "Offices", "office codes, e.g. US,CN,EU", _offices, ()),
    Filter("simple_legal_status", "Simple status", "0 Inactive, 1 Active, 2 Pending, … (codes or names)",
           _codes_of(codes.SIMPLE_LEGAL_STATUS), (), codes.SIMPLE_LEGAL_STATUS),
    Filter("main_field", "Keyword", "words in title, abstract, claims, numbers, parties or classes", _text),
    Filter("apply_start_time", "Applied from", _DATE_HELP, _date),
    Filter("apply_end_time", "Applied until", _DATE_HELP, _date),
    Filter("public_start_time", "Published from", _DATE_HELP, _date),
    Filter("public_end_time", "Published until", _DATE_HELP, _date),
    Filter("limit", "Results", "how many results, 1 to 100", _count(1, 100), 10, low=1, high=100),
    Filter("field", "Sort by", "APD, PBD or ISD to sort by a date; empty sorts by similarity", _sort_field),
    Filter("order", "Order", "desc (default) or asc", _order, "desc"),
)})
#: Every keyword ``search_designs`` accepts besides the image, in the API's order.
FILTER_NAMES = tuple(FILTERS)
_DATE_RANGES = (("apply_start_time", "apply_end_time"), ("public_start_time", "public_end_time"))


def _unknown(name: str) -> ValidationError:
    close = difflib.get_close_matches(name, FILTER_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ValidationError(name, f"unknown filter; {hint}Filters are: {', '.join(FILTER_NAMES)}")


@dataclass(frozen=True)
class DesignQuery:
    """The filters of one similar-design search, validated and normalised (see :data:`FILTERS`).

    Multi-valued filters take a list or a comma-separated string; status filters take codes or their names
    (``"Granted"``); dates take ``date``, ``"2020-01-31"`` or ``"20200131"``. ``field=None`` sorts by similarity
    (the only order in which ``score`` means anything).

    Example:
        >>> q = DesignQuery(loc="(10-02 or 10-07)", simple_legal_status="Active", field="pbd", order="ASC")
        >>> q.loc, q.simple_legal_status, q.field, q.order
        ('10-02 OR 10-07', (1,), 'PBD', 'asc')
        >>> DesignQuery(apply_start_time="2021-01-01", apply_end_time="2020-01-01")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: apply_start_time: must not be after apply_end_time (2021-01-01 > 2020-01-01)
    """

    loc: str | None = None
    assignees: tuple[str, ...] = ()
    legal_status: tuple[int, ...] = ()
    country: tuple[str, ...] = ()
    simple_legal_status: tuple[int, ...] = ()
    main_field: str | None = None
    apply_start_time: date | None = None
    apply_end_time: date | None = None
    public_start_time: date | None = None
    public_end_time: date | None = None
    limit: int = 10
    field: str | None = None
    order: str = "desc"

    def __post_init__(self) -> None:
        for name, spec in FILTERS.items():
            object.__setattr__(self, name, spec.parse(getattr(self, name)))
        for start, end in _DATE_RANGES:
            lo, hi = getattr(self, start), getattr(self, end)
            if lo and hi and lo > hi:
                raise ValidationError(start, f"must not be after {end} ({lo} > {hi})")

    @classmethod
    def from_filters(cls, **filters: Any) -> DesignQuery:
        """Build from keyword filters, rejecting unknown keywords with a suggestion.

        Example:
            >>> DesignQuery.from_filters(countries=["US"])
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: countries: unknown filter; did you mean 'country'? Filters are: loc, assignees, legal_status, country, simple_legal_status, main_field, apply_start_time, apply_end_time, public_start_time, public_end_time, limit, field, order
        """
        for name in filters:
            if name not in FILTERS:
                raise _unknown(name)
        return cls(**filters)

    @classmethod
    def from_api_params(cls, params: Mapping[str, str]) -> DesignQuery:
        """Parse the query string of a real ``search-id`` request (what the sandbox receives).

        Empty values mean "not set", as in the vendor's samples; names that are not filters (``url``,
        ``apikey``) are ignored here. ``limit`` must be a decimal integer string, dates ``yyyyMMdd``.

        Example:
            >>> DesignQuery.from_api_params({"limit": "5", "country": "CN,US", "field": "", "apikey": ""}).country
            ('CN', 'US')
        """
        kw: dict[str, Any] = {}
        for name in FILTER_NAMES:
            raw = params.get(name)
            if raw is None or raw == "":
                continue
            if name == "limit":
                if not _DIGITS.match(str(raw).strip()):
                    raise ValidationError("limit", f"must be an integer from 1 to 100, got {raw!r}")
                raw = int(raw)
            elif name in DATE_PARAMS and not _COMPACT.match(raw):
                raise ValidationError(name, f"must be yyyyMMdd, got {raw!r}")
            kw[name] = raw
        return cls(**kw)

    @property
    def loc_expr(self) -> loc.LocExpr | None:
        """The parsed ``loc`` expression (``None`` when no LOC filter is set)."""
        return loc.parse(self.loc) if self.loc else None

    @property
    def sorted_by_similarity(self) -> bool:
        """True when results are ranked by similarity, the only order in which ``score`` is meaningful."""
        return self.field is None

    def replace(self, **changes: Any) -> DesignQuery:
        """A copy with some filters changed (validated like the original).

        Example:
            >>> DesignQuery(limit=20).replace(country="EU").to_api_params()
            {'country': 'EU', 'limit': '20', 'order': 'desc'}
        """
        for name in changes:
            if name not in FILTERS:
                raise ValidationError(name, f"unknown filter; filters are: {', '.join(FILTER_NAMES)}")
        return dataclasses.replace(self, **changes)

    def _set_filters(self) -> Iterator[tuple[Filter, Any]]:
        """(filter, normalised value) of every filter that is set, in the API's order."""
        for name, spec in FILTERS.items():
            value = getattr(self, name)
            if value is not None and value != ():
                yield spec, value

    def to_api_params(self) -> dict[str, str]:
        """The API's query parameters (strings), unset filters omitted, in a fixed order.

        Example:
            >>> DesignQuery(legal_status=[3, 2], public_end_time="2020-12-31").to_api_params()
            {'legal_status': '2,3', 'public_end_time': '20201231', 'limit': '10', 'order': 'desc'}
        """
        return {spec.name: spec.to_wire(value) for spec, value in self._set_filters()}

    def filters(self) -> dict[str, Any]:
        """The filters that are set, as JSON-friendly Python values (for ``df.attrs`` and reports).

        Example:
            >>> DesignQuery(country="US").filters()
            {'country': ['US'], 'limit': 10, 'order': 'desc'}
        """
        out: dict[str, Any] = {}
        for spec, value in self._set_filters():
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[spec.name] = value
        return out

    def readable(self) -> list[tuple[str, str]]:
        """(label, value in words) for every filter that is set, then how results are sorted.

        Example:
            >>> DesignQuery(simple_legal_status=[1], limit=20).readable()
            [('Simple status', 'Active (1)'), ('Results', '20'), ('Sort by', 'similarity, descending')]
        """
        rows = [(spec.label, spec.describe(value)) for spec, value in self._set_filters()
                if spec.name not in ("field", "order")]
        sort = f"{FILTERS['field'].describe(self.field)}, {FILTERS['order'].describe(self.order)}"
        return [*rows, (FILTERS["field"].label, sort)]

    def describe(self) -> str:
        """One line an analyst can read: the filters with names for codes.

        Example:
            >>> DesignQuery(country=["US"], simple_legal_status=[1], limit=20).describe()
            'country: United States; simple_legal_status: Active; limit: 20; sorted by similarity'
        """
        parts = []
        for spec, value in self._set_filters():
            if spec.name in ("field", "order"):  # said once, at the end
                continue
            if spec.name in ("legal_status", "simple_legal_status", "country"):
                text = ", ".join(codes.name_of(spec.name, v) for v in value)
            else:
                text = spec.describe(value) if spec.name != "loc" else value
            parts.append(f"{spec.name}: {text}")
        parts.append("sorted by similarity" if self.field is None else f"sorted by {self.field} {self.order}")
        return "; ".join(parts)
