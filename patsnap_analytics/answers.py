"""Checking what comes over the wire: an answer's ``data`` against its endpoint's schema, before anything uses it.

Each :class:`~patsnap_analytics.api.Endpoint` may carry a JSON schema of the ``data`` of its successful answers
(``Endpoint.data_schema``). :func:`check_data` validates against it (schemas are compiled once, with
fastjsonschema: compiling to Python keeps a check well under a millisecond and the import light) and raises
:class:`~patsnap_analytics.errors.ProtocolError` naming the endpoint and the offending field — so a malformed,
partial or hostile answer is an error, never a crash further down and never a "0 results" frame.

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
from collections.abc import Callable
from typing import Any

from .api import Endpoint
from .errors import ProtocolError

__all__ = ["check_data"]


@functools.cache
def _validator(schema_json: str) -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_json))


def check_data(endpoint: Endpoint, data: Any) -> Any:
    """``data`` when it matches ``endpoint.data_schema`` (or the endpoint has none); else :class:`ProtocolError`.

    Example:
        >>> from patsnap_analytics.api import UPLOAD
        >>> check_data(UPLOAD, None)
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.ProtocolError: /image-search/image-upload answered a malformed data: must be object
    """
    if endpoint.data_schema is None:
        return data
    import fastjsonschema

    try:
        return _validator(json.dumps(endpoint.data_schema, sort_keys=True))(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        field = exc.name or "data"
        rule = str(exc.message).removeprefix(field).strip() or "is not what the API documents"
        raise ProtocolError(endpoint.path, field, rule) from None
