"""What a study reads: runs (result frames of any source) and verdict sets, checked and matched by query.

A **run** is any frame with ``query`` (or ``query_key``), ``patent_id`` and ``rank`` (or ``score``): a search's
frame, a CSV read back, a fusion. A **verdict set** is a frame with ``query`` (or ``query_key``), ``patent_id`` and
``relevance`` (graded: 0 not relevant; ``unsure`` verdicts have none and are left out), such as
``pa.verdicts.read(...)``, ``client.verdicts.frame()`` or the sandbox's synthetic truth. A study has one or more
**configurations**: named runs (a dict of frames, or one frame split ``by=`` a column such as ``endpoint``).

Queries are matched by ``query_key`` (the image's sha256: renamed files stay one query) when the verdicts and
every run carry it, else by ``query`` name.

Example:
    >>> import pandas as pd
    >>> run = pd.DataFrame({"query": ["q", "q"], "patent_id": ["a", "b"], "rank": [1, 2]})
    >>> list(configurations(run, None)), ranked(run, "query")["score"].tolist()
    (['results'], [-1.0, -2.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import pandas as pd

from ..errors import StudyWarning, ValidationError
from ..frames import is_sandbox
from ..verdicts import match_key

__all__ = ["configurations", "graded", "match_key", "ranked", "source_of"]

Results: TypeAlias = pd.DataFrame | Mapping[str, pd.DataFrame]


def configurations(results: Results, by: str | None) -> dict[str, pd.DataFrame]:
    """The study's configurations: ``{name: run}`` from a dict of frames, or one frame split by the column
    ``by`` (one configuration named ``results`` without it).

    Example:
        >>> df = pd.DataFrame({"query": ["q"] * 2, "patent_id": ["a", "b"], "rank": [1, 1],
        ...                    "endpoint": ["search-id", "image-single"]})
        >>> sorted(configurations(df, "endpoint"))
        ['image-single', 'search-id']
    """
    if isinstance(results, Mapping):
        if by is not None:
            raise ValidationError("by", "give either a dict of named result frames or by= a column, not both")
        if not results:
            raise ValidationError("results", "no configuration given: pass a result frame or a dict of them")
        return {str(name): _run(frame, f"results[{name!r}]") for name, frame in results.items()}
    frame = _run(results, "results")
    if by is None:
        return {"results": frame}
    if by not in frame.columns:
        raise ValidationError("by", f"the results have no column {by!r}; name one of {', '.join(map(str, frame.columns))}"
                                    ", or pass a dict of named result frames")
    return {str(name): part for name, part in frame.groupby(by, sort=False, dropna=False)}


def _run(frame: Any, name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(name, f"expected a result frame (a pandas DataFrame), got {type(frame).__name__}")
    missing = [c for c in ("patent_id",) if c not in frame.columns]
    if not {"query", "query_key"} & set(frame.columns):
        missing.append("query (or query_key)")
    if not {"rank", "score"} & set(frame.columns):
        missing.append("rank (or score)")
    if missing:
        raise ValidationError(name, f"a run needs the columns {', '.join(missing)}; it has "
                                    f"{', '.join(map(str, frame.columns)) or 'none'}")
    return frame


def ranked(run: pd.DataFrame, on: str) -> pd.DataFrame:
    """A run as ``qid, patent_id, score, rank``: the order the hits were shown in (``rank``, else score
    descending), with ``score = -rank`` so that trec_eval (which sorts by score) sees exactly that order; a
    patent met twice in a query keeps its best rank.

    Example:
        >>> run = pd.DataFrame({"query": ["q"] * 3, "patent_id": ["a", "b", "a"], "score": [0.2, 0.9, 0.1]})
        >>> ranked(run, "query")[["patent_id", "rank"]].values.tolist()
        [['b', 1], ['a', 2]]
    """
    table = pd.DataFrame({"qid": run[on].astype("string"), "patent_id": run["patent_id"].astype("string")})
    if "rank" in run.columns and run["rank"].notna().all():
        table["order"] = pd.to_numeric(run["rank"]).astype(float).to_numpy()
    else:
        scores = pd.to_numeric(run["score"]).astype(float)
        if scores.isna().any():
            raise ValidationError("results", "rows without rank need a score to be ranked by (a search sorted by "
                                             "date has neither: search sorted by similarity)")
        table["order"] = (-scores).to_numpy()
    table = table.dropna(subset=["qid", "patent_id"]).sort_values(["qid", "order"], kind="stable")
    table = table.drop_duplicates(["qid", "patent_id"], keep="first")
    table["rank"] = table.groupby("qid", sort=False).cumcount() + 1
    table["score"] = -table["rank"].astype(float)
    return table[["qid", "patent_id", "score", "rank"]].reset_index(drop=True)


def graded(verdicts: pd.DataFrame, on: str) -> pd.DataFrame:
    """The verdicts that have a grade, as ``qid, patent_id, relevance`` (one per hit; ``unsure`` left out, with
    a warning saying how many). Two different grades for one hit are an error: a study needs one truth.

    Example:
        >>> v = pd.DataFrame({"query": ["q", "q"], "patent_id": ["a", "b"], "relevance": [2, None]})
        >>> import warnings
        >>> with warnings.catch_warnings(record=True):
        ...     graded(v, "query").values.tolist()
        [['q', 'a', 2]]
    """
    if not isinstance(verdicts, pd.DataFrame) or not {"patent_id", "relevance"} <= set(verdicts.columns):
        raise ValidationError("verdicts", "a verdict set needs the columns query (or query_key), patent_id and "
                                          "relevance: pa.verdicts.read(...) or client.verdicts.frame()")
    table = pd.DataFrame({"qid": verdicts[on].astype("string"), "patent_id": verdicts["patent_id"].astype("string"),
                          "relevance": pd.to_numeric(verdicts["relevance"]).astype("Float64")})
    unsure = int(table["relevance"].isna().sum())
    if unsure:
        warn_study(f"{unsure} verdict(s) without a grade (unsure) are left out of the study")
    table = table.dropna().drop_duplicates()
    twice = table.duplicated(["qid", "patent_id"], keep=False)
    if twice.any():
        first = table[twice].iloc[0]
        raise ValidationError("verdicts", f"{int(twice.sum())} rows give one hit different grades (first: "
                                          f"{first['qid']}, {first['patent_id']}); keep one verdict per hit, e.g. "
                                          "verdicts.drop_duplicates(['query_key', 'patent_id'], keep='last')")
    table["relevance"] = table["relevance"].astype(int)
    return table.reset_index(drop=True)


def source_of(*frames: pd.DataFrame) -> str:
    """``"sandbox"`` when any frame holds sandbox data (so a study's tables and charts say so), else ``"patsnap"``."""
    return "sandbox" if any(is_sandbox(f) for f in frames) else "patsnap"


def warn_study(message: str) -> None:
    """Say something about a study's data that its figures hide (a :class:`StudyWarning` at the caller's caller)."""
    import warnings

    warnings.warn(message, StudyWarning, stacklevel=4)
