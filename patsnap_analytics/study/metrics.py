"""Retrieval metrics per configuration with bootstrap intervals, and paired significance tests between them.

Metrics are trec_eval's own (through ir-measures and its pytrec_eval backend), named as ranx spells them:
``precision@k``, ``recall@k``, ``ndcg@k`` (or ``ndcg``), ``map`` (or ``map@k``), ``mrr`` (or ``mrr@k``),
``hit_rate@k``, ``r-precision``. trec_eval's semantics hold: a hit is relevant when its grade is at least
``min_grade`` (1: ``similar`` or ``same design``; 2: ``same design`` only); nDCG uses the grades as gains; a hit
without a verdict counts as not relevant (so recall is recall of the relevant hits the reviewers know of).

Which queries count: those with at least one graded verdict that some configuration searched. A query without any
verdict is **skipped** (nothing says what it should have found; trec_eval does the same), with a
:class:`~patsnap_analytics.errors.StudyWarning` giving the count. A query whose verdicts are all ``different``
scores 0 (trec_eval's rule), also counted in a warning. A configuration that lacks one of the study's queries
scores 0 there (as ``trec_eval -c``), so every configuration is measured on the same queries and paired tests
are possible; a warning names how many.

Intervals: the percentile bootstrap over queries (``scipy.stats.bootstrap``, seeded). Tests (``compare``): the
paired randomization test (``scipy.stats.permutation_test``: exact when 2^queries is within ``n_resamples``) or the
paired t-test (``scipy.stats.ttest_rel``), corrected per metric over the pairs compared: Benjamini-Hochberg by
default (``scipy.stats.false_discovery_control``), Benjamini-Yekutieli or Bonferroni.

Example:
    >>> import pandas as pd, warnings
    >>> run = pd.DataFrame({"query": ["q1"] * 3 + ["q2"] * 3, "patent_id": list("abcabc"), "rank": [1, 2, 3] * 2})
    >>> truth = pd.DataFrame({"query": ["q1", "q2", "q2"], "patent_id": ["a", "c", "a"], "relevance": [2, 1, 0]})
    >>> table = evaluate(run, truth, metrics=["precision@1", "mrr"])
    >>> table.loc["results", ["precision@1", "mrr"]].tolist()
    [0.5, 0.6666666666666666]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from .runs import Results, configurations, graded, match_key, ranked, source_of, warn_study

__all__ = ["CORRECTIONS", "DEFAULT_METRICS", "METRICS", "TESTS", "compare", "evaluate", "per_query"]

#: ranx's metric names -> ir-measures' (trec_eval's) measure; ``@k`` is kept as the cut-off.
METRICS: dict[str, str] = {"precision": "P", "recall": "R", "ndcg": "nDCG", "map": "AP", "mrr": "RR",
                           "hit_rate": "Success", "r-precision": "Rprec"}
#: Metrics that need a cut-off (``precision@10``); the others take one optionally.
_NEED_CUTOFF = ("precision", "recall", "hit_rate")
DEFAULT_METRICS = ("precision@10", "recall@100", "ndcg@10", "map", "mrr")
TESTS = ("randomization", "t")
CORRECTIONS = ("bh", "by", "bonferroni", None)
_NAME = re.compile(r"^(?P<name>[a-z_-]+)(?:@(?P<k>\d+))?$")


def _measure(metric: str, min_grade: int) -> Any:
    """The ir-measures measure of a ranx metric name; a name it does not know is a ValidationError."""
    import ir_measures

    match = _NAME.match(str(metric).strip().lower())
    name, k = (match["name"], match["k"]) if match else (None, None)
    if name not in METRICS or (name in _NEED_CUTOFF and k is None) or (name == "r-precision" and k):
        known = ", ".join(f"{n}@k" if n in _NEED_CUTOFF else n for n in METRICS)
        raise ValidationError("metrics", f"{metric!r} is not a metric this study knows; use {known} (as ranx "
                                         "spells them, e.g. precision@10, ndcg@10, map, mrr)")
    rel = "" if name == "ndcg" else f"(rel={int(min_grade)})"  # nDCG uses the grades as gains
    return ir_measures.parse_measure(f"{METRICS[name]}{rel}{'@' + k if k else ''}")


def per_query(results: Results, verdicts: pd.DataFrame, metrics: Sequence[str] = DEFAULT_METRICS,
              by: str | None = None, *, min_grade: int = 1) -> pd.DataFrame:
    """Every configuration's value of every metric on every study query, as a long frame (``configuration,
    query, metric, value``); ``attrs`` say which queries were left out and why. What :func:`evaluate` and
    :func:`compare` summarise.

    Example:
        >>> run = pd.DataFrame({"query": ["q1", "q1"], "patent_id": ["a", "b"], "rank": [1, 2]})
        >>> truth = pd.DataFrame({"query": ["q1"], "patent_id": ["b"], "relevance": [1]})
        >>> per_query(run, truth, ["mrr"])["value"].tolist()
        [0.5]
    """
    import ir_measures

    if min_grade not in (1, 2):
        raise ValidationError("min_grade", f"must be 1 (similar or same design) or 2 (same design only); got {min_grade!r}")
    runs = configurations(results, by)
    metrics = list(dict.fromkeys(metrics))
    if not metrics:
        raise ValidationError("metrics", "name at least one metric, e.g. ['ndcg@10']")
    measures = {m: _measure(m, min_grade) for m in metrics}
    on = match_key(runs, verdicts)
    qrels = graded(verdicts, on)
    tables = {name: ranked(run, on) for name, run in runs.items()}
    searched = set().union(*(set(t["qid"]) for t in tables.values()))
    judged = set(qrels["qid"])
    queries = sorted(searched & judged)
    _explain(searched, judged, qrels, queries, tables)
    if not queries:
        raise ValidationError("verdicts", "no query of the results has a verdict: review some hits first "
                                          f"(matched by {on}; results and verdicts must come from the same searches)")
    qrels_in = qrels[qrels["qid"].isin(queries)].rename(columns={"qid": "query_id", "patent_id": "doc_id"})
    by_measure = {repr(m): name for name, m in measures.items()}
    rows = []
    for name, table in tables.items():
        run = table[table["qid"].isin(queries)].rename(columns={"qid": "query_id", "patent_id": "doc_id"})
        values = {(q, metric): 0.0 for q in queries for metric in metrics}  # a query not searched scores 0
        for m in ir_measures.iter_calc(list(measures.values()), qrels_in, run[["query_id", "doc_id", "score"]]):
            values[(m.query_id, by_measure[repr(m.measure)])] = float(m.value)
        rows += [(name, q, metric, v) for (q, metric), v in values.items()]
    out = pd.DataFrame(rows, columns=["configuration", "query", "metric", "value"])
    out.attrs = {"matched_on": on, "queries": len(queries), "skipped_without_verdicts": len(searched - judged),
                 "min_grade": min_grade, "source": source_of(*runs.values(), verdicts)}
    return out


def _explain(searched: set, judged: set, qrels: pd.DataFrame, queries: list, tables: Mapping[str, pd.DataFrame]) -> None:
    """Say, with counts, what the study leaves out or scores 0 by rule."""
    skipped = len(searched - judged)
    if skipped:
        warn_study(f"{skipped} of {len(searched)} searched queries have no verdict and are skipped (nothing says what "
              "they should find); review them to include them")
    relevant = qrels[qrels["relevance"] > 0].groupby("qid").size()
    hopeless = [q for q in queries if q not in relevant.index]
    if hopeless:
        warn_study(f"{len(hopeless)} of {len(queries)} queries have verdicts but no relevant hit: they score 0 on every "
              "metric (trec_eval's rule)")
    for name, table in tables.items():
        lacking = len(set(queries) - set(table["qid"]))
        if lacking:
            warn_study(f"configuration {name!r} lacks {lacking} of the {len(queries)} study queries: they score 0 there")


def evaluate(results: Results, verdicts: pd.DataFrame, metrics: Sequence[str] = DEFAULT_METRICS,
             by: str | None = None, *, min_grade: int = 1, confidence: float = 0.95, n_resamples: int = 2000,
             seed: int = 0) -> pd.DataFrame:
    """One row per configuration, one column per metric (its mean over the study's queries) with its bootstrap
    interval (``<metric> low`` / ``<metric> high``, ``confidence`` over queries, seeded), and ``queries``.

    ``results``: a run, or a dict of named runs (or ``by=`` a column to split one frame, e.g. ``endpoint``);
    ``verdicts``: a verdict set. Which queries count, and how a query without verdicts is treated: the module's
    notes (skipped, with a :class:`~patsnap_analytics.errors.StudyWarning` giving the count).

    Example:
        >>> run = pd.DataFrame({"query": ["q1", "q1", "q2"], "patent_id": ["a", "b", "a"], "rank": [1, 2, 1]})
        >>> truth = pd.DataFrame({"query": ["q1", "q2"], "patent_id": ["a", "a"], "relevance": [2, 2]})
        >>> table = evaluate(run, truth, ["precision@1"])
        >>> table.loc["results", ["precision@1", "precision@1 low", "precision@1 high"]].tolist(), table["queries"].tolist()
        ([1.0, 1.0, 1.0], [2])
    """
    from scipy.stats import bootstrap

    values = per_query(results, verdicts, metrics, by, min_grade=min_grade)
    names = list(dict.fromkeys(values["metric"]))
    rows = {}
    for name, part in values.groupby("configuration", sort=False):
        matrix = part.pivot(index="metric", columns="query", values="value").loc[names].to_numpy()
        row: dict[str, float] = {}
        low, high = _interval(bootstrap, matrix, confidence, n_resamples, seed)
        for i, metric in enumerate(names):
            row.update({metric: float(matrix[i].mean()), f"{metric} low": low[i], f"{metric} high": high[i]})
        row["queries"] = float(matrix.shape[1])
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["queries"] = table["queries"].astype(int)
    table.index.name = "configuration"
    table.attrs = {**values.attrs, "confidence": confidence, "resamples": n_resamples, "seed": seed}
    return table


def _interval(bootstrap: Any, matrix: np.ndarray, confidence: float, n_resamples: int,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of each row's mean, resampling the queries (columns) together."""
    if matrix.shape[1] < 2:
        warn_study("one query only: no interval (NaN); a study needs several queries for its figures to mean anything")
        return np.full(matrix.shape[0], np.nan), np.full(matrix.shape[0], np.nan)
    result = bootstrap((matrix,), np.mean, axis=-1, vectorized=True, confidence_level=confidence,
                       n_resamples=n_resamples, method="percentile", rng=np.random.default_rng(seed))
    return result.confidence_interval.low, result.confidence_interval.high


def compare(results: Results, verdicts: pd.DataFrame, metrics: Sequence[str] = ("ndcg@10",),
            by: str | None = None, *, baseline: str | None = None, test: str = "randomization",
            correction: str | None = "bh", alpha: float = 0.05, min_grade: int = 1, n_resamples: int = 10_000,
            seed: int = 0) -> pd.DataFrame:
    """Paired significance tests between configurations over the same queries: every pair (or each against
    ``baseline``), per metric. One row per (metric, a, b): ``mean a``, ``mean b``, ``difference`` (a - b),
    ``p_value``, ``p_adjusted`` (``correction`` over the pairs of that metric: ``"bh"`` Benjamini-Hochberg,
    ``"by"`` Benjamini-Yekutieli, ``"bonferroni"``, or ``None``), ``significant`` (``p_adjusted < alpha``),
    ``queries``. ``test``: ``"randomization"`` (paired, two-sided; Smucker et al. 2007) or ``"t"`` (paired t).

    Example:
        >>> run = pd.DataFrame({"query": ["q1", "q1", "q2", "q2"], "patent_id": list("abab"), "rank": [1, 2] * 2})
        >>> other = run.assign(rank=[2, 1, 2, 1])
        >>> truth = pd.DataFrame({"query": ["q1", "q2"], "patent_id": ["a", "a"], "relevance": [2, 2]})
        >>> row = compare({"good": run, "bad": other}, truth, ["mrr"]).iloc[0]
        >>> row["a"], row["b"], float(row["difference"]), float(row["p_value"])   # exact: 2 queries, 4 permutations
        ('good', 'bad', 0.5, 0.5)
    """
    if test not in TESTS:
        raise ValidationError("test", f"must be one of {', '.join(TESTS)}; got {test!r}")
    if correction not in CORRECTIONS:
        raise ValidationError("correction", f"must be one of 'bh', 'by', 'bonferroni' or None; got {correction!r}")
    values = per_query(results, verdicts, metrics, by, min_grade=min_grade)
    names = list(dict.fromkeys(values["configuration"]))
    if len(names) < 2:
        raise ValidationError("results", "compare needs two configurations or more: a dict of named result frames, "
                                         "or by= a column")
    if baseline is not None and baseline not in names:
        raise ValidationError("baseline", f"no configuration is called {baseline!r}; they are {', '.join(names)}")
    pairs = [(baseline, n) for n in names if n != baseline] if baseline else list(itertools.combinations(names, 2))
    rows = []
    for metric, part in values.groupby("metric", sort=False):
        table = part.pivot(index="query", columns="configuration", values="value")
        found = [_paired(table[a].to_numpy(), table[b].to_numpy(), test, n_resamples, seed) for a, b in pairs]
        adjusted = _adjust(np.array([p for _, p in found]), correction)
        for (a, b), (diff, p), p_adj in zip(pairs, found, adjusted, strict=True):
            rows.append({"metric": metric, "a": a, "b": b, "mean a": float(table[a].mean()),
                         "mean b": float(table[b].mean()), "difference": diff, "p_value": p, "p_adjusted": p_adj,
                         "significant": bool(p_adj < alpha), "queries": len(table)})
    out = pd.DataFrame(rows)
    out.attrs = {**values.attrs, "test": test, "correction": correction, "alpha": alpha}
    return out


def _paired(a: np.ndarray, b: np.ndarray, test: str, n_resamples: int, seed: int) -> tuple[float, float]:
    """(mean difference, two-sided p) of a paired test; identical samples have p = 1."""
    from scipy import stats

    diff = float(np.mean(a - b))
    if np.allclose(a, b):
        return diff, 1.0
    if test == "t":
        return diff, float(stats.ttest_rel(a, b).pvalue)
    result = stats.permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), vectorized=True,
                                    permutation_type="samples", n_resamples=n_resamples,
                                    rng=np.random.default_rng(seed))
    return diff, float(result.pvalue)


def _adjust(p: np.ndarray, correction: str | None) -> np.ndarray:
    if correction is None or len(p) == 0:
        return p
    if correction == "bonferroni":
        return np.minimum(1.0, p * len(p))
    from scipy.stats import false_discovery_control

    return false_discovery_control(p, method=correction)
