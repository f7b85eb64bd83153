"""What the workflows share: one frame out of several batches, the query key column, the errors that stop
(:data:`~patsnap_analytics.errors.STOPPING`, re-exported here).

Example:
    >>> df = with_query_keys(empty_results().head(0), {})
    >>> "query_key" in df.columns
    True
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import STOPPING
from ..frames import ResultInfo, empty_results
from ..protocols import ClientLike

__all__ = ["STOPPING", "WorkflowClient", "failure", "merge_batches", "remember_warning", "with_query_keys"]

#: What a workflow uses of :class:`patsnap_analytics.client.Client` (the workflows sit below the facade that offers
#: them, so they name its parts through :class:`~patsnap_analytics.protocols.ClientLike` instead of importing it).
WorkflowClient = ClientLike


def remember_warning(client: ClientLike, table: str, what: str) -> None:
    """Say once per call when ``what`` can be kept in this process's memory only (``cache=False`` or
    ``":memory:"``): a restart would lose it. A sandbox's client is not warned (its answers live in memory too).

    Example:
        >>> from types import SimpleNamespace
        >>> remember_warning(SimpleNamespace(source="sandbox", record_table=lambda name: {}), "watches", "runs")
    """
    if client.source != "sandbox" and isinstance(client.record_table(table), dict):
        warnings.warn(f"{what} are kept in this process's memory only (the client has no cache file or team "
                      "Redis): a restart loses them; connect with cache=True (the default) or a path",
                      UserWarning, stacklevel=3)


def failure(name: str, error: BaseException) -> dict[str, str]:
    """One failure entry as batches record them (``df.attrs["failures"]``).

    Example:
        >>> failure("USD1", ValueError("no"))
        {'image': 'USD1', 'error': 'ValueError', 'message': 'no'}
    """
    return {"image": name, "error": type(error).__name__, "message": str(error)}


def with_query_keys(df: pd.DataFrame, keys: Mapping[str, str]) -> pd.DataFrame:
    """``df`` with its ``query_key`` column (contracts: ``sha256:<hex>``, ``url:<address>``, ``pn:<number>``)
    set from ``keys`` (query name -> key) where given; a column already there keeps its other values.

    Example:
        >>> df = pd.DataFrame({"query": ["USD1S", "a.png"]})
        >>> with_query_keys(df, {"USD1S": "pn:USD1S"})["query_key"].tolist()
        ['pn:USD1S', <NA>]
    """
    given = df["query"].map(dict(keys)) if len(df) else pd.Series([], dtype="object")
    old = df["query_key"] if "query_key" in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")
    df["query_key"] = pd.array(given.where(given.notna(), old) if len(df) else [], dtype="string")
    return df


_SUMMED = ("calls_spent", "cache_hits")  # counts of a batch: the parts' add up
_JOINED = ("queries", "source_patents")  # per query: every part's


def _merged(mine: Any, theirs: Any, name: str) -> Any:
    """One field of two parts' ``ResultInfo``: lists joined, per-query dicts merged, counts added, ``source``
    sandbox if either is, anything else the first one set (the template's filters, endpoint, workflow)."""
    if name == "source":
        return "sandbox" if "sandbox" in (mine, theirs) else mine
    if name in _SUMMED:
        return (mine or 0) + (theirs or 0) if mine is not None or theirs is not None else None
    if isinstance(mine, list):
        return mine + list(theirs or [])
    if name in _JOINED:
        return {**mine, **(theirs or {})}
    return mine if mine not in (None, "", {}) else theirs


def merge_batches(parts: Iterable[pd.DataFrame], *, template: ResultInfo) -> pd.DataFrame:
    """One frame out of several batch frames (in order), their ``df.attrs`` merged onto ``template``, field by
    field (so a field added to :class:`~patsnap_analytics.frames.ResultInfo` later is merged too): lists (failures,
    pending, duplicates, ...) joined, dicts (queries, source patents, ...) merged, calls and cache hits added up,
    anything else the first one set.

    Example:
        >>> a = ResultInfo(calls_spent=2, pending=["x"]).attach(empty_results())
        >>> b = ResultInfo(calls_spent=3, source="sandbox").attach(empty_results())
        >>> info = ResultInfo.of(merge_batches([a, b], template=ResultInfo()))
        >>> info.calls_spent, info.pending, info.source
        (5, ['x'], 'sandbox')
    """
    info = template
    frames = []
    for part in parts:
        frames.append(part)
        got = ResultInfo.of(part)
        for f in dataclasses.fields(ResultInfo):
            setattr(info, f.name, _merged(getattr(info, f.name), getattr(got, f.name), f.name))
    nonempty = [f for f in frames if len(f)]
    out = pd.concat(nonempty, ignore_index=True) if nonempty else empty_results()
    return info.attach(out)
