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

from .api import DAY_FORMAT, Endpoint, wire_day
from .errors import ProtocolError

__all__ = ["check_data", "check_item"]

#: Where a schema marks ``yyyyMMdd`` days: ``True`` (this value is one), ``None`` (none below), or
#: ``(properties, items)`` leading to them.
_DayMap = Any


@functools.cache
def _compiled(endpoint: Endpoint, kind: str) -> tuple[Callable[[Any], Any], _DayMap] | None:
    """The compiled check of ``endpoint``'s ``data_schema`` or ``item_schema`` (``kind``), once per process."""
    import fastjsonschema

    schema = getattr(endpoint, kind)
    if schema is None:
        return None
    plain = json.loads(json.dumps(schema))  # read-only mappings as plain dicts
    return fastjsonschema.compile(plain), _day_map(plain)


def _day_map(schema: Mapping[str, Any]) -> _DayMap:
    if schema.get("format") == DAY_FORMAT:
        return True
    props = {name: found for name, sub in (schema.get("properties") or {}).items()
             if (found := _day_map(sub)) is not None}
    items = _day_map(schema["items"]) if isinstance(schema.get("items"), Mapping) else None
    return (props, items) if props or items is not None else None


def _check_days(path: str, day_map: _DayMap, value: Any, where: str) -> None:
    """Every value the schema marks as a day is one a calendar and a result frame hold (the schema checks only
    that it is an integer in range): an impossible date is refused before anything stores or types it."""
    if day_map is None:
        return
    if day_map is True:
        try:
            wire_day(value)
        except ValueError as exc:
            raise ProtocolError(path, where, str(exc)) from None
        return
    props, items = day_map
    if isinstance(value, dict):
        for name, sub in props.items():
            if name in value:
                _check_days(path, sub, value[name], f"{where}.{name}")
    if items is not None and isinstance(value, list):
        for i, element in enumerate(value):
            _check_days(path, items, element, f"{where}[{i}]")


def _checked(endpoint: Endpoint, kind: str, value: Any, where: str) -> Any:
    compiled = _compiled(endpoint, kind)
    if compiled is None:
        return value
    import fastjsonschema

    validate, days = compiled
    try:
        validate(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = where + (exc.name or "data").removeprefix("data")
        rule = str(exc.message).removeprefix(exc.name or "data").strip() or "is not what the API documents"
        raise ProtocolError(endpoint.path, field, rule) from None
    _check_days(endpoint.path, days, value, where)
    return value


def check_data(endpoint: Endpoint, data: Any) -> Any:
    """``data`` when it matches ``endpoint.data_schema`` (or the endpoint has none); else :class:`ProtocolError`.

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
    return _checked(endpoint, "data_schema", data, "data")


def check_item(endpoint: Endpoint, item: Any, *, where: str) -> Any:
    """One record of an answer that lists records (``data[i]`` of an enrichment answer) when it matches
    ``endpoint.item_schema``; else :class:`ProtocolError` naming ``where`` and the field.

    Example:
        >>> from patsnap_analytics.api import LEGAL_STATUS
        >>> check_item(LEGAL_STATUS, {"patent_id": "p", "legal_date": "2024"}, where="data[3]")
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /basic-patent-data/legal-status answered a malformed data[3].legal_date: must be integer or null
    """
    return _checked(endpoint, "item_schema", item, where)
