"""Scoring studies: what a score means, which configuration finds more, where to cut — on reviewers' verdicts.

``import patsnap_analytics as pa; pa.study.evaluate(...)`` (this package loads only when used, and its libraries
— ir-measures, SciPy, scikit-learn, Matplotlib for the charts — only when a function needs them):

* :func:`evaluate` — metrics per configuration (trec_eval's, named as ranx spells them) with bootstrap intervals;
* :func:`compare` — paired significance tests between configurations, corrected for several comparisons;
* :func:`fuse` — reciprocal rank fusion and CombSUM / CombMNZ, returned as a results frame;
* :func:`calibrate` — P(relevant | score) by isotonic regression, with cut-offs for a recall or a precision and
  their bootstrap intervals; too few verdicts is a :class:`~patsnap_analytics.errors.TooFewVerdictsError`;
* :mod:`~patsnap_analytics.study.plots` — reliability diagram, metric bars with intervals, precision and recall by
  cut-off (house style: data first, ``ax=``, returns the Axes).

Runs are any result frames (a search's, a CSV's, a fusion's); verdicts are ``pa.verdicts.read(...)``,
``client.verdicts.frame()`` or the sandbox's synthetic truth. Worked example and the choice of libraries:
``docs/studies.md``.

Example:
    >>> import pandas as pd, patsnap_analytics as pa
    >>> run = pd.DataFrame({"query": ["q1", "q1", "q2"], "patent_id": ["a", "b", "a"], "rank": [1, 2, 1]})
    >>> truth = pd.DataFrame({"query": ["q1", "q2"], "patent_id": ["b", "a"], "relevance": [2, 1]})
    >>> pa.study.evaluate(run, truth, ["mrr"])[["mrr", "mrr low", "mrr high"]].values.tolist()
    [[0.75, 0.5, 1.0]]
"""

from __future__ import annotations

from .calibration import MIN_PER_CLASS, MIN_VERDICTS, Calibration, Cutoff, calibrate
from .fusion import FUSIONS, fuse
from .metrics import DEFAULT_METRICS, METRICS, compare, evaluate, per_query

__all__ = ["DEFAULT_METRICS", "FUSIONS", "METRICS", "MIN_PER_CLASS", "MIN_VERDICTS", "Calibration", "Cutoff",
           "calibrate", "compare", "evaluate", "fuse", "per_query", "plots"]


def __getattr__(name: str):
    # the charts need Matplotlib: loaded on first use of pa.study.plots
    if name == "plots":
        import importlib

        return importlib.import_module(f"{__name__}.plots")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
