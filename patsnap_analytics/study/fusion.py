"""Fusing several configurations' results into one ranking per query, returned as a results frame.

* ``rrf`` — reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): a hit's fused score is
  sum over runs of 1 / (k + rank), k = 60 as in the paper and ranx. Needs ranks only, so it fuses endpoints whose
  scores are on different scales, and searches sorted by date.
* ``combsum`` / ``combmnz`` — score fusion (Fox & Shaw 1994): the sum of each run's normalised scores
  (``norm``: ``"min-max"`` per run and query, as ranx's default; ``"max"``; ``"zmuv"``, zero mean and unit
  variance; ``None``), times the number of runs that found the hit for CombMNZ.

These are one grouped sum each in pandas (written here, not taken from ranx: ranx's fusion would bring numba,
~255 MB and about a minute of compilation on a fresh machine for three lines of arithmetic; docs/studies.md).

The fused frame has the study's columns ``query, query_key, patent_id, score, rank`` (plus ``patent_pn``,
``title``, ``image_url`` and ``country`` from the first run that has the hit), ties broken by patent id, so it
is evaluable, calibratable and reportable like any other run; ``attrs`` say what was fused and how.

Example:
    >>> import pandas as pd
    >>> a = pd.DataFrame({"query": ["q"] * 3, "patent_id": ["x", "y", "z"], "rank": [1, 2, 3]})
    >>> b = pd.DataFrame({"query": ["q"] * 2, "patent_id": ["z", "x"], "rank": [1, 2]})
    >>> fused = fuse({"a": a, "b": b})
    >>> fused["patent_id"].tolist(), round(float(fused["score"].iloc[0]), 5)
    (['x', 'z', 'y'], 0.03252)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import ValidationError
from .runs import configurations, match_key, source_of

__all__ = ["FUSIONS", "NORMS", "fuse"]

FUSIONS = ("rrf", "combsum", "combmnz")
NORMS = ("min-max", "max", "zmuv", None)
_CARRIED = ("patent_pn", "title", "image_url", "country")


def _normalised(scores: pd.Series, groups: pd.Series, norm: str | None) -> pd.Series:
    """Each query's scores of one run normalised (a constant run of a query normalises to 1 with min-max)."""
    if norm is None:
        return scores
    grouped = scores.groupby(groups)
    if norm == "max":
        return scores / grouped.transform("max").where(lambda m: m != 0, 1.0)
    if norm == "zmuv":
        spread = grouped.transform("std", ddof=0).replace(0, np.nan)
        return ((scores - grouped.transform("mean")) / spread).fillna(0.0)
    low, high = grouped.transform("min"), grouped.transform("max")
    span = (high - low).replace(0, np.nan)
    return ((scores - low) / span).fillna(1.0)


def fuse(runs: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame], method: str = "rrf", *, k: int = 60,
         norm: str | None = "min-max", limit: int | None = None) -> pd.DataFrame:
    """One fused run from several (a dict of named result frames, or a list), per query: see the module for the
    methods. ``limit`` keeps the best ``limit`` hits per query (all by default).

    Example:
        >>> a = pd.DataFrame({"query": ["q", "q"], "patent_id": ["x", "y"], "score": [0.9, 0.5], "rank": [1, 2]})
        >>> b = pd.DataFrame({"query": ["q"], "patent_id": ["y"], "score": [0.7], "rank": [1]})
        >>> fuse([a, b], "combmnz")[["patent_id", "score", "rank"]].values.tolist()
        [['y', 2.0, 1], ['x', 1.0, 2]]
    """
    if method not in FUSIONS:
        raise ValidationError("method", f"must be one of {', '.join(FUSIONS)}; got {method!r}")
    if norm not in NORMS:
        raise ValidationError("norm", f"must be one of 'min-max', 'max', 'zmuv' or None; got {norm!r}")
    if not isinstance(k, int) or k < 1:
        raise ValidationError("k", f"must be a positive integer (60 in Cormack et al. 2009); got {k!r}")
    named = dict(runs) if isinstance(runs, Mapping) else {f"run{i + 1}": r for i, r in enumerate(runs)}
    if len(named) < 2:
        raise ValidationError("runs", "fusion needs two runs or more")
    named = configurations(named, None)
    on = match_key(named)
    parts = []
    for i, (name, run) in enumerate(named.items()):
        part = _contribution(run, on, method, k, norm, name)
        parts.append(part.assign(_order=i))
    every = pd.concat(parts, ignore_index=True)
    fused = every.groupby(["_key", "patent_id"], sort=False).agg(score=("_value", "sum"), found=("_value", "size"),
                                                                _first=("_order", "min"))
    if method == "combmnz":
        fused["score"] *= fused["found"]
    fused = fused.reset_index()
    fused["_query"] = fused["_key"].map({key: i for i, key in enumerate(pd.unique(every["_key"]))})  # runs' order
    fused = fused.sort_values(["_query", "score", "patent_id"], ascending=[True, False, True], kind="stable")
    if limit is not None:
        fused = fused.groupby("_key", sort=False).head(limit)
    return _frame(fused, every, on, named, method, k, norm)


def _contribution(run: pd.DataFrame, on: str, method: str, k: int, norm: str | None, name: str) -> pd.DataFrame:
    """One run's share of every fused score: 1/(k + rank), or its normalised score."""
    table = pd.DataFrame({"_key": run[on].astype("string"), "patent_id": run["patent_id"].astype("string")})
    for column in {"query", "query_key", *_CARRIED} & set(run.columns):
        table[column] = run[column].astype("object").to_numpy()
    if method == "rrf":
        if "rank" in run.columns and run["rank"].notna().all():
            rank = pd.to_numeric(run["rank"]).astype(float).to_numpy()
        else:
            rank = run.groupby(on, sort=False)["score"].rank(ascending=False, method="first").to_numpy()
        table["_value"] = 1.0 / (k + rank)
    else:
        if "score" not in run.columns or run["score"].isna().any():
            raise ValidationError("runs", f"run {name!r} has rows without a score (a search sorted by date?): "
                                          "score fusion needs scores; use method='rrf', which needs ranks only")
        scores = pd.to_numeric(run["score"]).astype(float)
        table["_value"] = _normalised(scores.reset_index(drop=True), table["_key"], norm).to_numpy()
    # a patent met twice in one query of one run counts once, at its best
    return table.sort_values("_value", ascending=False, kind="stable").drop_duplicates(["_key", "patent_id"])


def _frame(fused: pd.DataFrame, every: pd.DataFrame, on: str, named: Mapping[str, pd.DataFrame], method: str,
           k: int, norm: str | None) -> pd.DataFrame:
    """The fused rows as a results frame, with what each hit's first run said of it."""
    first = every.sort_values("_order", kind="stable").drop_duplicates(["_key", "patent_id"])
    info = first.set_index(["_key", "patent_id"])
    index = pd.MultiIndex.from_frame(fused[["_key", "patent_id"]])
    out = pd.DataFrame({"query": pd.NA, "query_key": pd.NA}, index=range(len(fused)))
    for column in ("query", "query_key", *_CARRIED):
        if column in info.columns:
            out[column] = info[column].reindex(index).to_numpy()
    out[on] = fused["_key"].to_numpy()
    if on == "query_key" and "query" in first.columns:  # one name per query: what the first run called it
        out["query"] = fused["_key"].map(first.drop_duplicates("_key").set_index("_key")["query"]).to_numpy()
    out["patent_id"] = fused["patent_id"].to_numpy()
    out["score"] = fused["score"].to_numpy()
    out["rank"] = fused.groupby("_key", sort=False).cumcount().to_numpy() + 1
    out["fused_from"] = fused["found"].to_numpy()
    dtypes = {"query": "string", "query_key": "string", "patent_id": "string", "score": "Float64", "rank": "Int64",
              "fused_from": "Int64", **{c: "string" for c in _CARRIED if c in out.columns}}
    out = out.astype(dtypes)
    out.attrs = {"source": source_of(*named.values()), "fusion": {"method": method, "runs": list(named),
                 "k": k if method == "rrf" else None, "norm": None if method == "rrf" else norm}}
    return out
