"""Checking what comes over the wire: an answer's ``data`` against its endpoint's schema, before anything uses it.

Each :class:`~patsnap_analytics.api.Endpoint` may carry a JSON schema of the ``data`` of its successful answers
(``Endpoint.data_schema``). :func:`check_data` validates against it (schemas are compiled once, with
fastjsonschema: compiling to Python keeps a check well under a millisecond and the import light) and raises
:class:`~patsnap_analytics.errors.ProtocolError` naming the endpoint and the offending field — so a malformed,
partial or hostile answer is an error, never a crash further down and never a "0 results" frame. Fields the
schema marks as ``yyyyMMdd`` days are checked to be days a calendar and a result frame hold
(:func:`~patsnap_analytics.api.wire_day`): a date like 99991231 is an error before it is stored. An answer
listing records (enrichment: one per patent) is checked as a list, and each record on its own with
:func:`check_item` (``Endpoint.item_schema``), so one bad record does not sink the others.

Example:
    >>> from patsnap_analytics.api import SEARCH_ID
    >>> check_data(SEARCH_ID, {"patent_messages": [{"patent_id": "p1", "score": 0.9}]})["patent_messages"][0]["score"]
    0.9
    >>> check_data(SEARCH_ID, {"patent_messages": [{"patent_id": "p1", "score": "high"}]})
    Traceback (most recent call last):
    ...
    patsnap_analytics.errors.ProtocolError: /image-search/search-id answered a malformed data.patent_messages[0].score: must be number or null
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..api import DAY_FORMAT, Endpoint, wire_day
from ..errors import ProtocolError

__all__ = ["check_data", "check_item"]

#: Where a schema marks ``yyyyMMdd`` days: ``True`` (this value is one), ``None`` (none below), :class:`_DayFields`
#: (an object whose fields so named are days), or ``(properties, items)`` leading to them.
_DayMap = Any


class _DayFields(tuple):
    """The names of an object's fields that are all days, in the schema's order (decided once per schema)."""


@functools.cache
def _compiled(operation: Endpoint, kind: str) -> tuple[Callable[[Any], Any], Callable[[Any], bool], _DayMap] | None:
    """The compiled checks of ``operation``'s ``data_schema`` or ``item_schema`` (``kind``), made on first use and
    kept for the process: fastjsonschema's validator (whose errors name the field and the rule), the faster
    yes/no in front of it (:func:`_accepts`) and where the days are."""
    import fastjsonschema

    schema = getattr(operation, kind)
    if schema is None:
        return None
    plain = json.loads(json.dumps(schema))  # read-only mappings as plain dicts
    return fastjsonschema.compile(plain), _accepts(plain), _day_map(plain)


def _accepts(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """A yes/no check of ``schema`` compiled by jsonschema-rs (Rust: a hundred rows in tens of microseconds,
    several times faster than the Python fastjsonschema writes). It only ever lets an answer through early: a
    "no" (or any trouble in it) goes to fastjsonschema, which decides and names what is wrong, so errors are
    fastjsonschema's; ``tests/test_answers.py`` holds that it never accepts what fastjsonschema refuses."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(schema)

    def accepts(value: Any) -> bool:
        try:
            return bool(validator.is_valid(value))
        except Exception:  # a value it cannot read (a huge integer, a key that is not text): the full check says
            return False

    return accepts


def _day_map(schema: Mapping[str, Any]) -> _DayMap:
    if schema.get("format") == DAY_FORMAT:
        return True
    props = {name: found for name, sub in (schema.get("properties") or {}).items()
             if (found := _day_map(sub)) is not None}
    items = _day_map(schema["items"]) if isinstance(schema.get("items"), Mapping) else None
    if props and items is None and all(found is True for found in props.values()):
        return _DayFields(props)  # an object whose fields are days (a search row): read in one loop per list
    return (props, items) if props or items is not None else None


def _bad_day(day_map: _DayMap, value: Any) -> tuple[str, str] | None:
    """The first value the schema marks as a day that no calendar or result frame holds, as (its path below
    ``value``, why), or ``None``; paths are built only for the bad one (a valid answer is walked, not named)."""
    if day_map is None:
        return None
    if day_map is True:
        why = _not_a_day(value)
        return None if why is None else ("", why)
    if isinstance(day_map, _DayFields):
        bad = _bad_day_in_rows(day_map, [value])
        return None if bad is None else (bad[0].removeprefix("[0]"), bad[1])
    props, items = day_map
    if isinstance(value, dict):
        for name, sub in props.items():
            if name in value and (bad := _bad_day(sub, value[name])) is not None:
                return f".{name}{bad[0]}", bad[1]
    if items is not None and isinstance(value, list):
        if isinstance(items, _DayFields):
            return _bad_day_in_rows(items, value)
        for i, element in enumerate(value):
            if (bad := _bad_day(items, element)) is not None:
                return f"[{i}]{bad[0]}", bad[1]
    return None


def _bad_day_in_rows(names: tuple[str, ...], rows: list[Any]) -> tuple[str, str] | None:
    """:func:`_bad_day` of a list of rows whose fields ``names`` are days (every search answer's shape). The
    rows' days are gathered in one pass; when every one is an ``int`` (as answers hold them) already read
    (:data:`_READ_DAYS`) nothing else is done, else each row is read in order, so that the first bad day is the
    one named."""
    try:
        days = [row[name] for row in rows for name in names if name in row]
        if _DAY_TYPES.issuperset(map(type, days)) and _READ_DAYS.issuperset(days):
            return None  # (the types first: 20200131.0 equals a day read, and is none)
    except TypeError:  # a row that is not an object: read row by row
        pass
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        for name in names:
            value = row.get(name)
            if value is not None and (why := _not_a_day(value)) is not None:
                return f"[{i}].{name}", why
            if type(value) is int and len(_READ_DAYS) < _MAX_READ_DAYS:
                _READ_DAYS.add(value)
    return None


#: Days (``int``) :func:`_not_a_day` found good, and the no-day values (``None``, 0); at most
#: :data:`_MAX_READ_DAYS`: 32,768 days, ninety years of them, about 2 MB.
_READ_DAYS: set[Any] = {None, 0}
_MAX_READ_DAYS = 1 << 15
_DAY_TYPES = frozenset({int, type(None)})


def _not_a_day(value: Any) -> str | None:
    """Why ``value`` is no day a calendar and a result frame hold, or ``None`` when it is one (or none)."""
    try:
        wire_day(value)
    except ValueError as exc:
        return str(exc)
    return None


def _checked(operation: Endpoint, kind: str, value: Any, where: str) -> Any:
    compiled = _compiled(operation, kind)
    if compiled is None:
        return value
    validate, accepts, days = compiled
    if not accepts(value):
        import fastjsonschema

        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException as exc:
            field = where + (exc.name or "data").removeprefix("data")
            rule = str(exc.message).removeprefix(exc.name or "data").strip() or "is not what the API documents"
            raise ProtocolError(operation.path, field, rule) from None
    # every value the schema marks as a day is one a calendar and a result frame hold (the schema checks only
    # that it is an integer in range): an impossible date is refused before anything stores or types it
    bad = _bad_day(days, value)
    if bad is not None:
        raise ProtocolError(operation.path, where + bad[0], bad[1])
    return value


def check_data(operation: Endpoint, data: Any) -> Any:
    """``data`` when it matches ``operation.data_schema`` (or the endpoint has none); else :class:`ProtocolError`.

    Example:
        >>> from patsnap_analytics.api import UPLOAD, IMAGE_SINGLE
        >>> check_data(UPLOAD, None)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /image-search/image-upload answered a malformed data: must be object
        >>> check_data(IMAGE_SINGLE, {"patent_messages": [{"patent_id": "p1", "apdt": 99991231}]})
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /search/patent/image-single answered a malformed data.patent_messages[0].apdt: 99991231 is not a yyyyMMdd day from 16770922 to 22620411
    """
    return _checked(operation, "data_schema", data, "data")


def check_item(operation: Endpoint, item: Any, *, where: str) -> Any:
    """One record of an answer that lists records (``data[i]`` of an enrichment answer) when it matches
    ``operation.item_schema``; else :class:`ProtocolError` naming ``where`` and the field.

    Example:
        >>> from patsnap_analytics.api import LEGAL_STATUS
        >>> check_item(LEGAL_STATUS, {"patent_id": "p", "legal_date": "2024"}, where="data[3]")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /basic-patent-data/legal-status answered a malformed data[3].legal_date: must be integer or null
    """
    return _checked(operation, "item_schema", item, where)
