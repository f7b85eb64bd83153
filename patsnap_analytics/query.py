"""DesignQuery: every filter of the similar-design search, validated and normalised in one place.

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
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import codes, loc
from .errors import ValidationError

__all__ = ["DATE_PARAMS", "FILTER_NAMES", "DesignQuery", "iso_date"]

DATE_PARAMS = ("apply_start_time", "apply_end_time", "public_start_time", "public_end_time")
#: Every keyword ``search_designs`` accepts besides the image, in the API's order.
FILTER_NAMES = (
    "loc",
    "assignees",
    "legal_status",
    "country",
    "simple_legal_status",
    "main_field",
    *DATE_PARAMS,
    "limit",
    "field",
    "order",
)
SORT_FIELDS = ("APD", "PBD", "ISD")
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2099, 12, 31)
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_DIGITS = re.compile(r"^[0-9]{1,9}$")
MAX_TEXT = 500


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


def _status_codes(value: Any, name: str, table: Mapping[int, str]) -> tuple[int, ...]:
    by_label = {v.lower(): k for k, v in table.items()}
    result = set()
    for item in _split(value, name):
        if isinstance(item, bool):
            raise ValidationError(name, f"codes are integers, got the boolean {item!r}")
        # NumPy integers too: codes often come out of a DataFrame
        if isinstance(item, numbers.Integral) or (isinstance(item, str) and _DIGITS.match(item)):
            code = int(item)
        elif isinstance(item, str) and item.lower() in by_label:
            code = by_label[item.lower()]
        else:
            raise ValidationError(name, f"unknown code {item!r}; known: {_known(table)}")
        if code not in table:
            raise ValidationError(name, f"unknown code {code}; known: {_known(table)}")
        result.add(code)
    return tuple(sorted(result))


def _known(table: Mapping[int, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(table.items()))


def _countries(value: Any) -> tuple[str, ...]:
    result = set()
    for item in _split(value, "country"):
        text = str(item).strip().upper() if isinstance(item, str) else None
        if text is None or not codes.is_office_code(text):
            raise ValidationError("country", f"must be two-letter office codes such as CN, US, EU; got {item!r}")
        result.add(text)
    return tuple(sorted(result))


def _assignees(value: Any) -> tuple[str, ...]:
    result = set()
    for item in _split(value, "assignees"):
        if not isinstance(item, str):
            raise ValidationError("assignees", f"must be names (strings), got {item!r}")
        if len(item) > MAX_TEXT:
            raise ValidationError("assignees", f"a name is at most {MAX_TEXT} characters")
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
            raise ValidationError(name, f"must be a date, 'YYYY-MM-DD' or 'YYYYMMDD'; got {value!r}")
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValidationError(name, f"{value!r} is not a calendar date") from None
    else:
        raise ValidationError(name, f"must be a date, 'YYYY-MM-DD' or 'YYYYMMDD'; got {type(value).__name__}")
    if not MIN_DATE <= d <= MAX_DATE:
        raise ValidationError(name, f"must lie between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}, got {d}")
    return d


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= 100:
        raise ValidationError("limit", f"must be an integer from 1 to 100, got {value!r}")
    return int(value)


def _field(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value.strip().upper() if isinstance(value, str) else value
    if text not in SORT_FIELDS:
        hint = " (SCORE belongs to the newer image-single endpoint; here leave field empty)" if text == "SCORE" else ""
        raise ValidationError(
            "field", f"must be None (sort by similarity) or one of APD, PBD, ISD; got {value!r}{hint}"
        )
    return text


def _order(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in ("asc", "desc"):
        raise ValidationError("order", f"must be 'asc' or 'desc', got {value!r}")
    return text


@dataclass(frozen=True)
class DesignQuery:
    """The filters of one similar-design search, validated and normalised.

    Multi-valued filters take a list or a comma-separated string; status filters take codes or their labels
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
    _loc_expr: loc.LocExpr | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        expr = None
        if self.loc is not None:
            if not isinstance(self.loc, str):
                raise ValidationError("loc", f"must be a string expression, got {type(self.loc).__name__}")
            if self.loc.strip():
                expr = loc.parse(self.loc)
        set_(self, "_loc_expr", expr)
        set_(self, "loc", str(expr) if expr is not None else None)
        set_(self, "assignees", _assignees(self.assignees))
        set_(self, "legal_status", _status_codes(self.legal_status, "legal_status", codes.LEGAL_STATUS))
        set_(self, "simple_legal_status", _status_codes(
            self.simple_legal_status, "simple_legal_status", codes.SIMPLE_LEGAL_STATUS))
        set_(self, "country", _countries(self.country))
        set_(self, "main_field", _text(self.main_field, "main_field"))
        for name in DATE_PARAMS:
            set_(self, name, _date(getattr(self, name), name))
        for start, end in (("apply_start_time", "apply_end_time"), ("public_start_time", "public_end_time")):
            lo, hi = getattr(self, start), getattr(self, end)
            if lo and hi and lo > hi:
                raise ValidationError(start, f"must not be after {end} ({lo} > {hi})")
        set_(self, "limit", _limit(self.limit))
        set_(self, "field", _field(self.field))
        set_(self, "order", _order(self.order))

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
            if name not in FILTER_NAMES:
                close = difflib.get_close_matches(name, FILTER_NAMES, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValidationError(name, f"unknown filter; {hint}Filters are: {', '.join(FILTER_NAMES)}")
        return cls(**filters)

    @classmethod
    def from_api_params(cls, params: Mapping[str, str]) -> DesignQuery:
        """Parse the query string of a real ``search-id`` request (what the sandbox receives).

        Empty values mean "not set", as in the vendor's samples; names that are not filters (``url``,
        ``apikey``) are ignored here. ``limit`` must be a decimal integer string.

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
                kw[name] = int(raw)
            elif name in DATE_PARAMS:
                if not _COMPACT.match(raw):
                    raise ValidationError(name, f"must be yyyyMMdd, got {raw!r}")
                kw[name] = raw
            else:
                kw[name] = raw
        return cls(**kw)

    @property
    def loc_expr(self) -> loc.LocExpr | None:
        """The parsed ``loc`` expression (``None`` when no LOC filter is set)."""
        return self._loc_expr

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
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        for name in changes:
            if name not in FILTER_NAMES:
                raise ValidationError(name, f"unknown filter; filters are: {', '.join(FILTER_NAMES)}")
        return DesignQuery(**{**current, **changes})

    def _set_filters(self) -> Iterator[tuple[str, Any]]:
        """(name, normalised value) of every filter that is set, in the API's order."""
        for name in FILTER_NAMES:
            value = getattr(self, name)
            if value is not None and value != ():
                yield name, value

    def to_api_params(self) -> dict[str, str]:
        """The API's query parameters (strings), unset filters omitted, in a fixed order.

        Example:
            >>> DesignQuery(legal_status=[3, 2], public_end_time="2020-12-31").to_api_params()
            {'legal_status': '2,3', 'public_end_time': '20201231', 'limit': '10', 'order': 'desc'}
        """
        out: dict[str, str] = {}
        for name, value in self._set_filters():
            if isinstance(value, tuple):
                out[name] = ",".join(str(v) for v in value)
            elif isinstance(value, date):
                out[name] = value.strftime("%Y%m%d")
            else:
                out[name] = str(value)
        return out

    def filters(self) -> dict[str, Any]:
        """The filters that are set, as Python values (for ``df.attrs`` and reports).

        Example:
            >>> DesignQuery(country="US").filters()
            {'country': ['US'], 'limit': 10, 'order': 'desc'}
        """
        out: dict[str, Any] = {}
        for name, value in self._set_filters():
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[name] = value
        return out

    def describe(self) -> str:
        """One line an analyst can read: the filters with labels.

        Example:
            >>> DesignQuery(country=["US"], simple_legal_status=[1], limit=20).describe()
            'country: United States; simple_legal_status: Active; limit: 20; sorted by similarity'
        """
        parts = []
        for name, value in self.filters().items():
            if name in ("field", "order"):  # said once, at the end
                continue
            if name in ("legal_status", "simple_legal_status", "country"):
                value = ", ".join(codes.label(name, v) for v in value)
            elif isinstance(value, list):
                value = ", ".join(map(str, value))
            parts.append(f"{name}: {value}")
        parts.append("sorted by similarity" if self.field is None else f"sorted by {self.field} {self.order}")
        return "; ".join(parts)
