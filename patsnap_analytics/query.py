"""DesignQuery and the FILTERS table: every search filter, described and validated in one place.

:data:`FILTERS` says, per filter, what analysts call it (``caption``), what it takes (``help``), how a value is
checked and normalised, how it travels on the wire and how it reads in a report. Validation
(:class:`DesignQuery`), the CLI's flags, the filter form's captions, the report's wording and the sandbox's
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
    patsnap_analytics.errors.ValidationError: limit: must be an integer from 1 to 1100, got 0
    >>> FILTERS["limit"].caption, FILTERS["limit"].high
    ('Results', 1100)
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from . import codes, loc
from .api import (
    JSON_SEARCH_ENDPOINTS,
    MAX_OFFSET,
    MAX_RANKS,
    PAGE_SIZE,
    SEARCH_ENDPOINTS,
    SEARCH_ID,
    SEARCH_RESULTS,
)
from .errors import ValidationError
from .loc import LocExpr
from .renames import warn_renamed

__all__ = ["DATE_PARAMS", "DEFAULT_ENDPOINT", "FILTERS", "FILTER_NAMES", "MODELS", "SORT_FIELDS", "DesignQuery",
           "Filter", "check_endpoint", "iso_date", "parse_date"]

#: The endpoint a search uses when nobody says otherwise: the seeds' search-id.
DEFAULT_ENDPOINT = SEARCH_ID.name
#: ``patent_type`` -> its image-search models (code -> words); the first is the vendor's recommendation.
MODELS: Mapping[str, Mapping[int, str]] = MappingProxyType({
    "D": MappingProxyType({1: "smart recommendation", 2: "image search"}),
    "U": MappingProxyType({4: "shape and colour", 3: "shape only"}),
})
_PATENT_TYPES = {"D": "designs", "U": "utility models"}
_LANGS = ("original", "cn", "en")

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


def check_endpoint(endpoint: Any) -> str:
    """``endpoint`` when it names a similar-design search (:data:`~patsnap_analytics.api.SEARCH_ENDPOINTS`); else
    :class:`ValidationError`. The one check of an endpoint's name (a client's default, a search's, the form's).

    Example:
        >>> check_endpoint("image-single")
        'image-single'
        >>> check_endpoint("image_single")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: endpoint: must be one of search-id, image-single, image-single-beta, image-multiple; got 'image_single'
    """
    if not isinstance(endpoint, str) or endpoint not in SEARCH_ENDPOINTS:
        raise ValidationError("endpoint", f"must be one of {', '.join(SEARCH_ENDPOINTS)}; got {endpoint!r}")
    return endpoint


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


def parse_date(value: Any, name: str) -> date | None:
    """A date argument read as the date filters read theirs (``date``, ``'YYYY-MM-DD'``, ``'YYYYMMDD'``);
    anything else is a ``ValidationError`` naming ``name``.

    Example:
        >>> parse_date("20261101", "since"), parse_date(None, "since")
        (datetime.date(2026, 11, 1), None)
    """
    return _date(value, name)


def _sort_field(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    text = value.strip().upper() if isinstance(value, str) else None
    if text == "SCORE":  # the newer endpoints' name for "by similarity"; DesignQuery checks the endpoint
        return text
    if text not in SORT_FIELDS:
        raise ValidationError(name, f"must be None (sort by similarity) or one of APD, PBD, ISD; got {value!r}")
    return text


def _order(value: Any, name: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in ("asc", "desc"):
        meant = {"ascending": "asc", "descending": "desc", "up": "asc", "down": "desc"}.get(text) \
            if isinstance(text, str) else None
        hint = f"; did you mean {meant!r}?" if meant else ""
        raise ValidationError(name, f"must be 'asc' or 'desc', got {value!r}{hint}")
    return text


def _choice(allowed: tuple[str, ...], *, upper: bool) -> Callable[[Any, str], str | None]:
    def parse(value: Any, name: str) -> str | None:
        if value is None or value == "":
            return None
        text = value.strip() if isinstance(value, str) else None
        text = text and (text.upper() if upper else text.lower())
        if text not in allowed:
            raise ValidationError(name, f"must be one of {', '.join(allowed)}; got {value!r}")
        return text

    return parse


def _lang(value: Any, name: str) -> str | None:
    text = _choice(_LANGS, upper=False)(value, name)
    return None if text == "original" else text  # the API's default: equal queries, equal cache keys


def _switch(value: Any, name: str) -> int | None:
    """A 0/1 switch; ``True``/``False`` are taken for 1/0."""
    if value is None:
        return None
    if isinstance(value, (bool, numbers.Integral)) and int(value) in (0, 1):
        return int(value)
    raise ValidationError(name, f"must be 0 or 1 (or True/False), got {value!r}")


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise ValidationError(name, f"must be True or False, got {value!r}")


def _model(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= 4:
        raise ValidationError(name, f"must be 1 or 2 for designs (patent_type 'D'), 3 or 4 for utility models "
                                    f"('U'); got {value!r}")
    return int(value)


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
    #: The words analysts see for it (a form's description, a report's row, a CLI flag's help).
    caption: str
    help: str
    parser: Callable[[Any, str], Any] = dataclasses.field(repr=False)
    default: Any = None
    table: Mapping[Any, str] | None = dataclasses.field(default=None, repr=False)
    low: int | None = None
    high: int | None = None
    #: The endpoints whose requests carry it (``offset`` reaches search-id's ranks through ``results``).
    endpoints: frozenset[str] = dataclasses.field(default=frozenset(SEARCH_ENDPOINTS) | {SEARCH_RESULTS.name},
                                                  repr=False)
    #: Its JSON type in a JSON body: ``string`` (lists comma-joined, dates ``yyyyMMdd``), ``array``,
    #: ``integer`` or ``boolean``; the query string carries everything as text.
    json_type: str = dataclasses.field(default="string", repr=False)

    @property
    def label(self) -> str:
        """Deprecated spelling of :attr:`caption` (``label`` is the verb ``label()`` and the ``*_label`` columns)."""
        warn_renamed("Filter.label", "Filter.caption")
        return self.caption

    def parse(self, value: Any) -> Any:
        """The normalised value, or :class:`ValidationError` naming this filter."""
        return self.parser(value, self.name)

    def taken_by(self, endpoint: str) -> bool:
        """Whether a search through ``endpoint`` takes this filter (search-id's deeper ranks come through
        ``results``, so what ``results`` takes, search-id takes too).

        Example:
            >>> FILTERS["offset"].taken_by("search-id"), FILTERS["model"].taken_by("search-id")
            (True, False)
        """
        also = {SEARCH_RESULTS.name} if endpoint == SEARCH_ID.name else set()
        return bool(self.endpoints & ({endpoint} | also))

    def to_json(self, value: Any) -> Any:
        """The JSON-body form of a normalised value (``country`` an array, other lists comma-joined).

        Example:
            >>> FILTERS["country"].to_json(("CN", "US")), FILTERS["legal_status"].to_json((2, 3))
            (['CN', 'US'], '2,3')
        """
        if self.json_type == "array":
            return list(value)
        if self.json_type in ("integer", "boolean"):
            return value
        return self.to_wire(value)

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
        if self.name == "model":
            return f"{value} ({ {**MODELS['D'], **MODELS['U']}[value]})"
        if isinstance(value, tuple):
            return ", ".join(map(str, value))
        if isinstance(value, date):
            return value.isoformat()
        return str(value)


def _count(low: int, high: int, *, optional: bool = False) -> Callable[[Any, str], int | None]:
    def parse(value: Any, name: str) -> int | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
            raise ValidationError(name, f"must be an integer from {low} to {high}, got {value!r}")
        return int(value)

    return parse


def _codes_of(table: Mapping[int, str]) -> Callable[[Any, str], tuple[int, ...]]:
    return lambda value, name: _status_codes(value, name, table)


_DATE_HELP = "a date: YYYY-MM-DD or YYYYMMDD"
_JSON = frozenset(JSON_SEARCH_ENDPOINTS)
#: Every filter of the similar-design search, in the API's order.
FILTERS: Mapping[str, Filter] = MappingProxyType({f.name: f for f in (
    Filter("loc", "LOC classes", "Locarno expression, e.g. '(10-02 OR 10-07) AND NOT 10-04'", _loc),
    Filter("assignees", "Assignees", "assignee / applicant names, comma-separated", _names, ()),
    Filter("legal_status", "Legal status", "legal status codes or names, e.g. 3,2 or Granted",
           _codes_of(codes.LEGAL_STATUS), (), codes.LEGAL_STATUS),
    Filter("country", "Offices", "office codes, e.g. US,CN,EU", _offices, (), json_type="array"),
    Filter("simple_legal_status", "Simple status", "0 Inactive, 1 Active, 2 Pending, … (codes or names)",
           _codes_of(codes.SIMPLE_LEGAL_STATUS), (), codes.SIMPLE_LEGAL_STATUS),
    Filter("main_field", "Keyword", "words in title, abstract, claims, numbers, parties or classes", _text),
    Filter("apply_start_time", "Applied from", _DATE_HELP, _date),
    Filter("apply_end_time", "Applied until", _DATE_HELP, _date),
    Filter("public_start_time", "Published from", _DATE_HELP, _date),
    Filter("public_end_time", "Published until", _DATE_HELP, _date),
    Filter("limit", "Results", f"how many ranks, 1 to {MAX_RANKS} (one call per {PAGE_SIZE})",
           _count(1, MAX_RANKS), 10, low=1, high=MAX_RANKS, json_type="integer"),
    Filter("offset", "From rank", f"ranks to skip, 0 to {MAX_OFFSET}", _count(0, MAX_OFFSET, optional=True), low=0,
           high=MAX_OFFSET, endpoints=_JSON | {SEARCH_RESULTS.name}, json_type="integer"),
    Filter("field", "Sort by", "APD, PBD or ISD to sort by a date; empty (or SCORE) sorts by similarity",
           _sort_field),
    Filter("order", "Order", "desc (default) or asc", _order, "desc"),
    Filter("patent_type", "Patent type", "D designs (default) or U utility models", _choice(("D", "U"), upper=True),
           table=_PATENT_TYPES, endpoints=_JSON),
    Filter("model", "Model", "D: 1 smart recommendation (default: hits in the predicted Locarno class rank first "
           "whatever their score, so scores are not monotone in rank; loc_match says which are in it), 2 image "
           "search (by score alone); U: 3 shape, 4 shape and colour (default)", _model, low=1, high=4, endpoints=_JSON, json_type="integer"),
    Filter("lang", "Title language", "original (default), cn or en", _lang, endpoints=_JSON),
    Filter("is_https", "HTTPS images", "1: result image links use https; 0 (default): http", _switch,
           endpoints=_JSON, json_type="integer"),
    Filter("return_img_id", "Image ids", "True: each row carries its image id (img_id)", _flag, endpoints=_JSON,
           json_type="boolean"),
    Filter("include_machine_translation", "Machine translations", "True: keywords also match machine "
           "translations", _flag, endpoints=_JSON, json_type="boolean"),
    Filter("stemming", "Stemming", "1: English keywords also match their other word forms; 0 (default): exact",
           _switch, endpoints=_JSON, json_type="integer"),
    Filter("pre_filter", "Pre-filter", "1 (default): filters apply before ranking; 0: after", _switch,
           endpoints=_JSON, json_type="integer"),
    Filter("score_expansion", "Score expansion", "True: scores spread over the whole 0-1 range", _flag,
           endpoints=_JSON, json_type="boolean"),
    Filter("query_text", "Analytics query", "a PatSnap Analytics query, e.g. 'TACD: virtual reality'", _text,
           endpoints=_JSON),
)})
#: Every keyword ``search_designs`` accepts besides the image, in the API's order.
FILTER_NAMES = tuple(FILTERS)
_DATE_RANGES = (("apply_start_time", "apply_end_time"), ("public_start_time", "public_end_time"))


#: Queries already checked, by their filters as :func:`_typed` keys (at most 256, then forgotten at once).
_CHECKED: dict[Any, DesignQuery] = {}


def _typed(value: Any) -> Any:
    """A filter value as a key that tells apart what Python takes for equal (``True`` and ``1``, ``2.0`` and
    ``2``, a list and a tuple), inside lists and tuples too; ``TypeError`` for a value no key can hold.

    Example:
        >>> _typed((1,)) == _typed((True,)), _typed(["US"]) == _typed(("US",))
        (False, False)
    """
    if isinstance(value, (list, tuple)):
        return type(value), tuple(_typed(v) for v in value)
    hash(value)
    return type(value), value


def _unknown(name: str) -> ValidationError:
    import difflib  # on a mistake only: not loaded with the package

    close = difflib.get_close_matches(name, FILTER_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ValidationError(name, f"unknown filter; {hint}Filters are: {', '.join(FILTER_NAMES)}")


_JSON_TYPES: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"string": (str,), "array": (list,), "integer": (int,), "boolean": (bool,)})
# parsed values that mean what leaving the parameter out means: normalised away, so equal searches key equally
_SAME_AS_UNSET: Mapping[str, Any] = MappingProxyType({"offset": 0, "is_https": 0, "stemming": 0, "pre_filter": 1,
                                                      "return_img_id": False})


def _takers(filter_: Filter) -> str:
    names = [e for e in SEARCH_ENDPOINTS if filter_.taken_by(e)]
    return ", ".join(names)


def _check_json_type(filter_: Filter, raw: Any) -> None:
    """A JSON body's value must have the type the API documents (no guessing from strings)."""
    wanted = filter_.json_type
    ok = isinstance(raw, _JSON_TYPES[wanted]) and not (wanted == "integer" and isinstance(raw, bool))
    if ok and wanted == "array":
        ok = all(isinstance(item, str) for item in raw)
    if not ok:
        raise ValidationError(filter_.name, f"must be a JSON {wanted}"
                                         f"{' of strings' if wanted == 'array' else ''}, got {type(raw).__name__}")


@dataclass(frozen=True)
class DesignQuery:
    """The filters of one similar-design search and the endpoint they go to, validated and normalised
    (see :data:`FILTERS`).

    Multi-valued filters take a list or a comma-separated string; status filters take codes or their names
    (``"Granted"``); dates take ``date``, ``"2020-01-31"`` or ``"20200131"``. ``field=None`` sorts by similarity
    (the only order in which ``score`` means anything). ``endpoint`` is one of
    :data:`~patsnap_analytics.api.SEARCH_ENDPOINTS` (default ``search-id``); a filter the endpoint does not take
    is refused, and the newer endpoints get their required ``patent_type`` (``D``) and ``model`` (the
    vendor's recommendation for that type) filled in. ``limit`` counts ranks, up to 1,100 (one call per 100).

    Example:
        >>> q = DesignQuery(loc="(10-02 or 10-07)", simple_legal_status="Active", field="pbd", order="ASC")
        >>> q.loc, q.simple_legal_status, q.field, q.order
        ('10-02 OR 10-07', (1,), 'PBD', 'asc')
        >>> DesignQuery(apply_start_time="2021-01-01", apply_end_time="2020-01-01")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: apply_start_time: must not be after apply_end_time (2021-01-01 > 2020-01-01)
        >>> q = DesignQuery(endpoint="image-single", field="SCORE")
        >>> q.patent_type, q.model, q.field
        ('D', 1, None)
        >>> DesignQuery(model=2)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ValidationError: model: the search-id endpoint does not take model; use endpoint= image-single, image-single-beta, image-multiple
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
    offset: int | None = None
    field: str | None = None
    order: str = "desc"
    patent_type: str | None = None
    model: int | None = None
    lang: str | None = None
    is_https: int | None = None
    return_img_id: bool | None = None
    include_machine_translation: bool | None = None
    stemming: int | None = None
    pre_filter: int | None = None
    score_expansion: bool | None = None
    query_text: str | None = None
    endpoint: str = DEFAULT_ENDPOINT

    def __post_init__(self) -> None:
        check_endpoint(self.endpoint)
        for name, filter_ in FILTERS.items():
            value = filter_.parse(getattr(self, name))
            if name in _SAME_AS_UNSET and value == _SAME_AS_UNSET[name] and type(value) is type(_SAME_AS_UNSET[name]):
                value = None
            object.__setattr__(self, name, value)
            if value is not None and value != () and value != filter_.default and not filter_.taken_by(self.endpoint):
                raise ValidationError(name, f"the {self.endpoint} endpoint does not take {name}; use endpoint= "
                                            f"{_takers(filter_)}")
        self._check_sort_field()
        self._check_model()
        for start, end in _DATE_RANGES:
            lo, hi = getattr(self, start), getattr(self, end)
            if lo and hi and lo > hi:
                raise ValidationError(start, f"must not be after {end} ({lo} > {hi})")
        if (self.offset or 0) + self.limit > MAX_RANKS:
            raise ValidationError("limit", f"offset + limit must be at most {MAX_RANKS}, the deepest rank the API "
                                           f"reaches; got {self.offset or 0} + {self.limit}")

    def _check_sort_field(self) -> None:
        if self.field != "SCORE":
            return
        if not self.uses_json:
            raise ValidationError("field", "SCORE belongs to the newer endpoints (image-single, image-single-beta, "
                                           "image-multiple); for search-id leave field empty to sort by similarity")
        object.__setattr__(self, "field", None)  # SCORE is the newer endpoints' default: one spelling

    def _check_model(self) -> None:
        if not self.uses_json:
            return
        patent_type = self.patent_type or "D"
        models = MODELS[patent_type]
        model = next(iter(models)) if self.model is None else self.model
        if model not in models:
            choices = ", ".join(f"{k} {v}" for k, v in sorted(models.items()))
            other = "U" if patent_type == "D" else "D"
            raise ValidationError("model", f"patent_type {patent_type} ({_PATENT_TYPES[patent_type]}) takes model "
                                           f"{choices}; got {model} (a model of patent_type={other!r})")
        object.__setattr__(self, "patent_type", patent_type)
        object.__setattr__(self, "model", model)

    @classmethod
    def from_filters(cls, **filters: Any) -> DesignQuery:
        """Build from keyword filters (and ``endpoint``), rejecting unknown keywords with a suggestion.

        Example:
            >>> DesignQuery.from_filters(countries=["US"])
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: countries: unknown filter; did you mean 'country'? Filters are: loc, assignees, legal_status, country, simple_legal_status, main_field, apply_start_time, apply_end_time, public_start_time, public_end_time, limit, offset, field, order, patent_type, model, lang, is_https, return_img_id, include_machine_translation, stemming, pre_filter, score_expansion, query_text
        """
        for name in filters:
            if name not in FILTERS and name != "endpoint":
                raise _unknown(name)
        try:  # the same filters again (every search of a loop): checked once; a query is immutable
            key = (cls, tuple((name, _typed(value)) for name, value in sorted(filters.items())))
        except TypeError:  # a value that is no dict key (a set, a dict): checked on its own
            return cls(**filters)
        found = _CHECKED.get(key)
        if found is None:
            found = cls(**filters)  # a refusal raises here, each time: refusals are never kept
            if len(_CHECKED) >= 256:
                _CHECKED.clear()
            _CHECKED[key] = found
        return found

    @classmethod
    def from_api_params(cls, params: Mapping[str, str], endpoint: str = SEARCH_ID.name) -> DesignQuery:
        """Parse the query string of a real ``search-id`` (or ``results``) request (what the sandbox receives).

        Empty values mean "not set", as in the vendor's samples; names the endpoint does not take (``url``,
        ``apikey``, ``search_id``) are ignored here. ``limit`` (at most 100 per call) and ``offset`` must be
        decimal integer strings, dates ``yyyyMMdd``.

        Example:
            >>> DesignQuery.from_api_params({"limit": "5", "country": "CN,US", "field": "", "apikey": ""}).country
            ('CN', 'US')
            >>> DesignQuery.from_api_params({"limit": "100", "offset": "200"}, endpoint="results").offset
            200
        """
        kw: dict[str, Any] = {}
        for name, filter_ in FILTERS.items():
            raw = params.get(name)
            if raw is None or raw == "" or endpoint not in filter_.endpoints:
                continue
            if filter_.json_type == "integer":
                if not _DIGITS.match(str(raw).strip()):
                    raise ValidationError(name, f"must be an integer from {filter_.low} to {filter_.high}, got {raw!r}")
                raw = int(raw)
            elif name in DATE_PARAMS and not _COMPACT.match(raw):
                raise ValidationError(name, f"must be yyyyMMdd, got {raw!r}")
            kw[name] = raw
        _check_page_limit(kw)
        return cls(**kw)

    @classmethod
    def from_api_body(cls, endpoint: str, body: Any) -> DesignQuery:
        """Parse the JSON body of a real image-single / -beta / image-multiple request (what the sandbox receives).

        Every value must have the JSON type the API documents (``country`` an array of strings, ``model`` an
        integer, dates ``yyyyMMdd`` strings, ``limit`` 1-100, ``offset`` 0-1000); ``patent_type`` and ``model`` are
        required; names that are not filters (``url``, ``urls``) are ignored here.

        Example:
            >>> q = DesignQuery.from_api_body("image-single", {"url": "u", "patent_type": "U", "model": 3,
            ...                                                "country": ["CN"], "offset": 100, "limit": 100})
            >>> q.patent_type, q.model, q.country, q.offset
            ('U', 3, ('CN',), 100)
            >>> DesignQuery.from_api_body("image-single", {"patent_type": "D", "model": 1, "country": "CN"})
            Traceback (most recent call last):
            ...
            patsnap_analytics.errors.ValidationError: country: must be a JSON array of strings, got str
        """
        if not isinstance(body, Mapping):
            raise ValidationError("body", f"must be a JSON object, got {type(body).__name__}")
        for required in ("patent_type", "model"):
            if body.get(required) is None:
                raise ValidationError(required, "required")
        kw: dict[str, Any] = {}
        for name, filter_ in FILTERS.items():
            raw = body.get(name)
            if raw is None or raw == "" or endpoint not in filter_.endpoints:
                continue
            _check_json_type(filter_, raw)
            if name in DATE_PARAMS and not _COMPACT.match(raw):
                raise ValidationError(name, f"must be a yyyyMMdd string, got {raw!r}")
            kw[name] = raw
        _check_page_limit(kw)
        return cls(endpoint=endpoint, **kw)

    @property
    def uses_json(self) -> bool:
        """Whether the endpoint takes a JSON body (and answers rich rows)."""
        return self.endpoint in JSON_SEARCH_ENDPOINTS

    @property
    def loc_expr(self) -> LocExpr | None:
        """The parsed ``loc`` expression (``None`` when no LOC filter is set)."""
        return loc.parse(self.loc) if self.loc else None

    @property
    def sorted_by_similarity(self) -> bool:
        """True when results are ranked by similarity, the only order in which ``score`` is meaningful."""
        return self.field is None

    @property
    def first_rank(self) -> int:
        """The rank of the first result asked for (``offset + 1``)."""
        return (self.offset or 0) + 1

    def replace(self, **changes: Any) -> DesignQuery:
        """A copy with some filters (or the endpoint) changed, validated like the original.

        Another endpoint leaves the old one's defaults behind (``patent_type`` D and ``model`` 1 of the newer
        endpoints); a filter the user set that the new endpoint does not take is still refused.

        Example:
            >>> DesignQuery(limit=20).replace(country="EU").to_api_params()
            {'country': 'EU', 'limit': '20', 'order': 'desc'}
            >>> DesignQuery(endpoint="image-single", limit=20).replace(endpoint="search-id").to_api_params()
            {'limit': '20', 'order': 'desc'}
        """
        for name in changes:
            if name not in FILTERS and name != "endpoint":
                raise _unknown(name)
        endpoint = changes.get("endpoint", self.endpoint)
        if endpoint != self.endpoint:  # the old endpoint's defaults are not the user's: they do not travel
            for name, default in self._endpoint_defaults().items():
                if name not in changes and getattr(self, name) == default and endpoint not in FILTERS[name].endpoints:
                    changes[name] = None
        return dataclasses.replace(self, **changes)

    def _endpoint_defaults(self) -> dict[str, Any]:
        """The values the newer endpoints fill in when left unset (:meth:`_check_model`): a design, model 1."""
        return {"patent_type": "D", "model": next(iter(MODELS["D"]))} if self.uses_json else {}

    def _set_filters(self) -> Iterator[tuple[Filter, Any]]:
        """(filter, normalised value) of every filter that is set, in the API's order."""
        for name, filter_ in FILTERS.items():
            value = getattr(self, name)
            if value is not None and value != ():
                yield filter_, value

    def to_api_params(self) -> dict[str, str]:
        """Every filter that is set in its query-string form (strings), in a fixed order.

        Example:
            >>> DesignQuery(legal_status=[3, 2], public_end_time="2020-12-31").to_api_params()
            {'legal_status': '2,3', 'public_end_time': '20201231', 'limit': '10', 'order': 'desc'}
        """
        return {filter_.name: filter_.to_wire(value) for filter_, value in self._set_filters()}

    def to_wire(self, endpoint: str | None = None, *, offset: int | None = None,
                limit: int | None = None) -> dict[str, Any]:
        """One call's parameters as ``endpoint`` (default: the query's own) takes them: query-string text, or
        JSON values for a JSON body. ``offset``/``limit`` give the page (default: the query's own).

        Example:
            >>> q = DesignQuery(endpoint="image-single", country=["US", "CN"], apply_start_time="2020-01-31")
            >>> q.to_wire(offset=100, limit=100)
            {'country': ['CN', 'US'], 'apply_start_time': '20200131', 'limit': 100, 'offset': 100, 'order': 'desc', 'patent_type': 'D', 'model': 1}
            >>> DesignQuery(country="US").to_wire("results", offset=100, limit=100)
            {'country': 'US', 'limit': '100', 'offset': '100', 'order': 'desc'}
        """
        name = endpoint or self.endpoint
        as_json = name in JSON_SEARCH_ENDPOINTS
        page = {"limit": self.limit if limit is None else limit, "offset": self.offset if offset is None else offset}
        out: dict[str, Any] = {}
        for filter_ in FILTERS.values():
            value = page[filter_.name] if filter_.name in page else getattr(self, filter_.name)
            if value is None or value == () or name not in filter_.endpoints:
                continue
            out[filter_.name] = filter_.to_json(value) if as_json else filter_.to_wire(value)
        return out

    def filters(self) -> dict[str, Any]:
        """The filters that are set (and a non-default endpoint), as JSON-friendly Python values (for
        ``df.attrs`` and reports).

        Example:
            >>> DesignQuery(country="US").filters()
            {'country': ['US'], 'limit': 10, 'order': 'desc'}
        """
        out: dict[str, Any] = {}
        for filter_, value in self._set_filters():
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[filter_.name] = value
        if self.endpoint != DEFAULT_ENDPOINT:
            out["endpoint"] = self.endpoint
        return out

    def readable(self) -> list[tuple[str, str]]:
        """(caption, value in words) for the endpoint when not the default, every filter that is set, then
        how results are sorted.

        Example:
            >>> DesignQuery(simple_legal_status=[1], limit=20).readable()
            [('Simple status', 'Active (1)'), ('Results', '20'), ('Sort by', 'similarity, descending')]
        """
        head = [("Endpoint", self.endpoint)] if self.endpoint != DEFAULT_ENDPOINT else []
        rows = [(filter_.caption, filter_.describe(value)) for filter_, value in self._set_filters()
                if filter_.name not in ("field", "order")]
        sort = f"{FILTERS['field'].describe(self.field)}, {FILTERS['order'].describe(self.order)}"
        return [*head, *rows, (FILTERS["field"].caption, sort)]

    def describe(self) -> str:
        """One line an analyst can read: the filters with names for codes.

        Example:
            >>> DesignQuery(country=["US"], simple_legal_status=[1], limit=20).describe()
            'country: United States; simple_legal_status: Active; limit: 20; sorted by similarity'
        """
        parts = [f"endpoint: {self.endpoint}"] if self.endpoint != DEFAULT_ENDPOINT else []
        for filter_, value in self._set_filters():
            if filter_.name in ("field", "order"):  # said once, at the end
                continue
            if filter_.name in ("legal_status", "simple_legal_status", "country"):
                text = ", ".join(codes.name_of(filter_.name, v) for v in value)
            else:
                text = filter_.describe(value) if filter_.name != "loc" else value
            parts.append(f"{filter_.name}: {text}")
        parts.append("sorted by similarity" if self.field is None else f"sorted by {self.field} {self.order}")
        return "; ".join(parts)


def _check_page_limit(kw: Mapping[str, Any]) -> None:
    """One call returns at most :data:`PAGE_SIZE` ranks (deeper ones come through ``offset``)."""
    limit = kw.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > PAGE_SIZE:
        raise ValidationError("limit", f"must be an integer from 1 to {PAGE_SIZE} per call, got {limit}; ask for "
                                       "deeper ranks with offset")
