"""What a score means: P(relevant | score) per configuration, learnt from reviewers' verdicts, and where to cut.

:func:`calibrate` fits scikit-learn's ``IsotonicRegression`` (non-decreasing, clipped to [0, 1]) to the reviewed
hits of a configuration: x = the hit's raw score, y = 1 when its grade is at least ``min_grade``. Only hits with a
graded verdict count (``unsure`` is left out), so the curve describes the hits reviewers looked at — usually the
top of each list.

A calibration needs at least :data:`MIN_VERDICTS` graded verdicts, with at least :data:`MIN_PER_CLASS` relevant
and as many not relevant; fewer is a :class:`~patsnap_analytics.errors.TooFewVerdictsError`, never a number. Why
those numbers: with 5 cases of a class a proportion's 95 % interval is about ±0.4 wide, so a curve fitted on
fewer says nothing about that side of the scale; 30 verdicts give a reliability diagram a few verdicts per bin.

:meth:`Calibration.cutoff` reads the precision-recall curve of the reviewed hits (scikit-learn's
``precision_recall_curve``: among hits scoring at least t, the fraction relevant, and the fraction of relevant
hits kept): the **highest** score that keeps ``recall`` of the relevant hits, or the **lowest** score whose hits
are ``precision`` relevant. Its uncertainty is a percentile bootstrap over queries (over verdicts when there are
fewer than 5 queries), seeded; the cut-off says how many verdicts and queries it rests on.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> run = pd.DataFrame({"query": np.repeat([f"q{i}" for i in range(8)], 10), "patent_id": [f"p{i}" for i in range(80)],
    ...                     "score": rng.uniform(0.5, 1.0, 80)})
    >>> truth = run.assign(relevance=(run["score"] > 0.8).astype(int))[["query", "patent_id", "relevance"]]
    >>> cal = calibrate(run, truth)
    >>> cal.probability([0.6, 0.95]).tolist(), cal.n_verdicts
    ([0.0, 1.0], 80)
    >>> cut = cal.cutoff(recall=0.9)
    >>> 0.8 < cut.threshold <= 0.85 and cut.recall >= 0.9, cut.verdicts
    (True, 80)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TooFewVerdictsError, ValidationError
from .runs import Results, configurations, graded, match_key, source_of

__all__ = ["MIN_PER_CLASS", "MIN_VERDICTS", "Calibration", "Cutoff", "calibrate"]

#: Fewest graded verdicts a calibration is fitted on (see the module's notes for why).
MIN_VERDICTS = 30
#: Fewest relevant, and fewest not relevant, verdicts among them.
MIN_PER_CLASS = 5
#: Below this many queries, cut-offs are bootstrapped over verdicts instead of queries.
_MIN_QUERY_CLUSTERS = 5


@dataclass(frozen=True)
class Cutoff:
    """A score cut-off for a target recall or precision, with its bootstrap interval and what it rests on.

    ``threshold``: keep hits scoring at least this; ``low`` / ``high``: its interval (``confidence``);
    ``precision`` / ``recall``: what the reviewed hits show at the threshold; ``verdicts``, ``relevant``,
    ``queries``: how many verdicts (relevant ones) and queries it rests on; ``resampled``: ``"queries"`` or
    ``"verdicts"``; ``resamples``: how many resamples reached the target.
    """

    target: str
    value: float
    threshold: float
    low: float
    high: float
    precision: float
    recall: float
    verdicts: int
    relevant: int
    queries: int
    confidence: float
    resampled: str
    resamples: int

    def __str__(self) -> str:
        return (f"score >= {self.threshold:.3f} for {self.target} {self.value:.2f} ({self.confidence:.0%} interval "
                f"{self.low:.3f}-{self.high:.3f}; precision {self.precision:.2f}, recall {self.recall:.2f} on "
                f"{self.verdicts} verdicts, {self.relevant} relevant, {self.queries} queries)")


@dataclass
class Calibration:
    """P(relevant | score) of one configuration, fitted on its reviewed hits (see :func:`calibrate`)."""

    configuration: str
    scores: np.ndarray
    relevant: np.ndarray
    queries: np.ndarray
    min_grade: int
    source: str = "patsnap"
    model: Any = field(default=None, repr=False)

    @property
    def n_verdicts(self) -> int:
        """How many graded verdicts the calibration rests on."""
        return len(self.scores)

    @property
    def n_relevant(self) -> int:
        """How many of them are relevant."""
        return int(self.relevant.sum())

    def probability(self, scores: Any) -> np.ndarray:
        """P(relevant | score) of each score (non-decreasing in the score; clipped to the reviewed range;
        NaN for a missing score)."""
        values = np.asarray(pd.to_numeric(pd.Series(scores, dtype="Float64")).astype(float), dtype=float)
        out = np.full(values.shape, np.nan)
        known = ~np.isnan(values)
        if known.any():
            out[known] = self.model.predict(values[known])
        return out

    def reliability(self, bins: int = 10) -> pd.DataFrame:
        """The reviewed hits in ``bins`` score bins of equal width: ``verdicts``, ``observed`` (fraction
        relevant), ``mean score`` and ``predicted`` (mean calibrated probability) per bin."""
        edges = np.linspace(self.scores.min(), self.scores.max(), bins + 1)
        which = np.clip(np.searchsorted(edges, self.scores, side="right") - 1, 0, bins - 1)
        table = pd.DataFrame({"bin": which, "score": self.scores, "relevant": self.relevant.astype(float),
                              "p": self.model.predict(self.scores)})
        out = table.groupby("bin").agg(verdicts=("score", "size"), observed=("relevant", "mean"),
                                       mean_score=("score", "mean"), predicted=("p", "mean"))
        out.insert(0, "low", edges[out.index])
        out.insert(1, "high", edges[out.index + 1])
        return out.rename(columns={"mean_score": "mean score"}).reset_index(drop=True)

    def cutoff(self, *, recall: float | None = None, precision: float | None = None, confidence: float = 0.95,
               n_resamples: int = 1000, seed: int = 0) -> Cutoff:
        """The score to cut at for a ``recall`` (the highest score keeping that share of the relevant reviewed
        hits) or a ``precision`` (the lowest score whose reviewed hits are that share relevant), with a
        bootstrap interval (see the module's notes). A precision no cut-off reaches is a ValidationError."""
        target, value = _target(recall, precision)
        threshold, prec, rec = _cut(self.scores, self.relevant, target, value)
        if threshold is None:
            raise ValidationError(target, f"no cut-off reaches {target} {value} on these verdicts (the best is "
                                          f"{prec:.2f}); ask for less, or review more hits")
        draws = self._resample(target, value, n_resamples, seed)
        tail = (1 - confidence) / 2
        low, high = (np.quantile(draws, [tail, 1 - tail]) if len(draws) else (np.nan, np.nan))
        clusters = len(np.unique(self.queries))
        return Cutoff(target, value, float(threshold), float(low), float(high), float(prec), float(rec),
                      self.n_verdicts, self.n_relevant, clusters, confidence,
                      "queries" if clusters >= _MIN_QUERY_CLUSTERS else "verdicts", len(draws))

    def _resample(self, target: str, value: float, n: int, seed: int) -> np.ndarray:
        """The cut-off in ``n`` bootstrap resamples (of queries, or of verdicts when there are few queries)."""
        rng = np.random.default_rng(seed)
        groups = pd.Series(np.arange(self.n_verdicts)).groupby(self.queries).indices
        members = list(groups.values()) if len(groups) >= _MIN_QUERY_CLUSTERS else [[i] for i in range(self.n_verdicts)]
        draws = []
        for _ in range(n):
            picked = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
            if self.relevant[picked].any():
                threshold, _, _ = _cut(self.scores[picked], self.relevant[picked], target, value)
                if threshold is not None:
                    draws.append(threshold)
        return np.array(draws)


def _target(recall: float | None, precision: float | None) -> tuple[str, float]:
    if (recall is None) == (precision is None):
        raise ValidationError("cutoff", "give recall= or precision= (one of them), e.g. cutoff(recall=0.9)")
    name, value = ("recall", recall) if recall is not None else ("precision", precision)
    if not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValidationError(name, f"must be a share above 0 and at most 1, e.g. 0.9; got {value!r}")
    return name, float(value)


def _cut(scores: np.ndarray, relevant: np.ndarray, target: str, value: float) -> tuple[float | None, float, float]:
    """(threshold, precision, recall) at the cut-off for ``target``; threshold None when it cannot be reached
    (then precision is the best there is)."""
    from sklearn.metrics import precision_recall_curve

    prec, rec, thresholds = precision_recall_curve(relevant, scores)
    prec, rec = prec[:-1], rec[:-1]  # the last point (recall 0) has no threshold
    if target == "recall":
        i = int(np.flatnonzero(rec >= value - 1e-12).max())  # recall falls as the threshold rises
    else:
        reached = np.flatnonzero(prec >= value - 1e-12)
        if not len(reached):
            return None, float(prec.max()), 0.0
        i = int(reached.min())
    return float(thresholds[i]), float(prec[i]), float(rec[i])


def calibrate(results: Results, verdicts: pd.DataFrame, by: str | None = None, *, min_grade: int = 1,
              min_verdicts: int = MIN_VERDICTS, min_per_class: int = MIN_PER_CLASS) -> Calibration | dict[str, Calibration]:
    """P(relevant | score) by isotonic regression: a :class:`Calibration` for one run, or
    ``{configuration: Calibration}`` for a dict of runs (or ``by=`` a column). Too few verdicts for a
    configuration is a :class:`~patsnap_analytics.errors.TooFewVerdictsError` naming how many there are and
    how many it needs.

    Example:
        >>> run = pd.DataFrame({"query": ["q"] * 3, "patent_id": ["a", "b", "c"], "score": [0.9, 0.8, 0.7]})
        >>> calibrate(run, run.assign(relevance=[1, 0, 0]))
        Traceback (most recent call last):
        ...
        patsnap_analytics.errors.TooFewVerdictsError: results: 3 graded verdicts on scored hits (1 relevant, 2 not); a calibration needs at least 30, with 5 of each: review more hits
    """
    runs = configurations(results, by)
    on = match_key(runs, verdicts)
    truth = graded(verdicts, on)
    fitted = {name: _fit(name, run, truth, on, min_grade, min_verdicts, min_per_class, source_of(run, verdicts))
              for name, run in runs.items()}
    return fitted if isinstance(results, Mapping) or by is not None else fitted["results"]


def _fit(name: str, run: pd.DataFrame, truth: pd.DataFrame, on: str, min_grade: int, min_verdicts: int,
         min_per_class: int, source: str) -> Calibration:
    from sklearn.isotonic import IsotonicRegression

    if "score" not in run.columns:
        raise ValidationError("results", f"{name}: a calibration maps scores, and this run has no score column")
    hits = pd.DataFrame({"qid": run[on].astype("string"), "patent_id": run["patent_id"].astype("string"),
                         "score": pd.to_numeric(run["score"]).astype(float)}).dropna()
    hits = hits.sort_values("score", ascending=False).drop_duplicates(["qid", "patent_id"])
    judged = hits.merge(truth, on=["qid", "patent_id"], how="inner")
    relevant = (judged["relevance"] >= min_grade).to_numpy()
    n_rel, n_not = int(relevant.sum()), int((~relevant).sum())
    if len(judged) < min_verdicts or min(n_rel, n_not) < min_per_class:
        raise TooFewVerdictsError(f"{name}: {len(judged)} graded verdicts on scored hits ({n_rel} relevant, {n_not} "
                                  f"not); a calibration needs at least {min_verdicts}, with {min_per_class} of each: "
                                  "review more hits")
    scores = judged["score"].to_numpy()
    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    model.fit(scores, relevant.astype(float))
    return Calibration(name, scores, relevant, judged["qid"].to_numpy(dtype=object), min_grade, source, model)
