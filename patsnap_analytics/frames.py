"""Search answers -> typed DataFrames with a stable schema.

Every result frame has the contract's columns, in this order, with nullable dtypes (so a missing score is
``<NA>``, not a float NaN pretending to be a number)::

    query  rank  patent_id  patent_pn  title  score  image_url  country  search_id  total_count

``score`` is NA whenever the search was sorted by a date field: the API documents it as meaningful only
when sorting by similarity. Richer endpoints may add columns; they never rename these. ``df.attrs`` holds
only JSON-serialisable values, so ``to_parquet`` keeps working.

Example:
    >>> data = {"patent_messages": [{"patent_id": "p1", "patent_pn": "USD0912345S", "title": "Watch",
    ...         "url": "https://img/1.png", "score": 0.93}], "search_id": "S1", "total_search_result_count": 40}
    >>> df = results_frame(data, query="watch.png", sorted_by_similarity=True)
    >>> row = df.iloc[0]
    >>> int(row["rank"]), row["country"], float(row["score"]), int(row["total_count"])
    (1, 'US', 0.93, 40)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .codes import office_of

__all__ = ["RESULT_COLUMNS", "RESULT_DTYPES", "empty_results", "results_frame"]

RESULT_DTYPES: dict[str, str] = {
    "query": "string",
    "rank": "Int64",
    "patent_id": "string",
    "patent_pn": "string",
    "title": "string",
    "score": "Float64",
    "image_url": "string",
    "country": "string",
    "search_id": "string",
    "total_count": "Int64",
}
RESULT_COLUMNS = tuple(RESULT_DTYPES)


def empty_results() -> pd.DataFrame:
    """A result frame with no rows but the full typed schema.

    Example:
        >>> list(empty_results().dtypes.astype(str))[:3]
        ['string', 'Int64', 'string']
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RESULT_DTYPES.items()})


def _score(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def results_frame(data: dict, *, query: str, sorted_by_similarity: bool) -> pd.DataFrame:
    """Turn a ``search-id`` answer's ``data`` into a typed result frame.

    Example:
        >>> results_frame({"patent_messages": [], "search_id": "S", "total_search_result_count": 0},
        ...               query="q", sorted_by_similarity=False).shape
        (0, 10)
    """
    messages = data.get("patent_messages") or []
    total = data.get("total_search_result_count")
    search_id = data.get("search_id")
    rows = [
        {
            "query": query,
            "rank": i,
            "patent_id": m.get("patent_id"),
            "patent_pn": m.get("patent_pn"),
            "title": m.get("title"),
            "score": _score(m.get("score")) if sorted_by_similarity else None,
            "image_url": m.get("url"),
            "country": office_of(m.get("patent_pn")),
            "search_id": search_id,
            "total_count": total,
        }
        for i, m in enumerate(messages, start=1)
    ]
    if not rows:
        return empty_results()
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return frame.astype(RESULT_DTYPES)
