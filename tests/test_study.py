"""pa.study: metrics with intervals, paired tests, fusion and calibration on verdicts.

The figures come from third-party libraries (trec_eval through ir-measures, SciPy's resampling, scikit-learn's
isotonic regression), so tests assert hand-computed values where the arithmetic is exact (a precision, a reciprocal
rank, an RRF sum), and otherwise invariants, orderings, ranges and tolerances, never a library's float details.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from patsnap_analytics import study
from patsnap_analytics.errors import StudyWarning, TooFewVerdictsError, ValidationError


def world(n_queries=40, n_hits=20, seed=0, *, quality=1.0, name="q"):
    """A synthetic study: per query ``n_hits`` ranked hits of which the first few tend to be relevant; a run of
    higher ``quality`` puts its relevant hits higher. Returns (run, verdicts)."""
    rng = np.random.default_rng(seed)
    runs, truth = [], []
    for q in range(n_queries):
        key = f"sha256:{q:064x}"
        relevant = {f"p{q}-{i}": int(rng.integers(1, 3)) for i in range(4)}
        others = [f"p{q}-{i}" for i in range(4, 4 + n_hits)]
        noise = rng.normal(0, 1 / quality, len(relevant) + len(others))
        merit = np.array([2.0] * len(relevant) + [0.0] * len(others)) + noise
        ids = [*relevant, *others]
        order = np.argsort(-merit)[:n_hits]
        scores = np.sort(1 / (1 + np.exp(-merit[order])))[::-1]
        for rank, (i, score) in enumerate(zip(order, scores, strict=True), start=1):
            runs.append({"query": f"{name}{q}.png", "query_key": key, "patent_id": ids[i], "rank": rank,
                         "score": float(score)})
        truth += [{"query": f"{name}{q}.png", "query_key": key, "patent_id": p, "relevance": g}
                  for p, g in relevant.items()]
        truth += [{"query": f"{name}{q}.png", "query_key": key, "patent_id": p, "relevance": 0} for p in others[:6]]
    return pd.DataFrame(runs), pd.DataFrame(truth)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StudyWarning)
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------- evaluate
def test_metrics_are_trec_eval_s_on_a_hand_checked_example():
    run = pd.DataFrame({"query": ["a"] * 4 + ["b"] * 4, "patent_id": ["x", "y", "z", "w"] * 2,
                        "rank": [1, 2, 3, 4] * 2, "score": [0.9, 0.8, 0.7, 0.6] * 2})
    truth = pd.DataFrame({"query": ["a", "a", "b", "b", "b"], "patent_id": ["y", "w", "x", "z", "v"],
                          "relevance": [2, 1, 0, 1, 2]})   # b's v was never found: it lowers b's recall
    table = study.evaluate(run, truth, ["precision@2", "recall@4", "mrr", "map", "ndcg@4", "hit_rate@1"])
    row = table.loc["results"]
    assert row["precision@2"] == pytest.approx((1 / 2 + 0) / 2)
    assert row["recall@4"] == pytest.approx((2 / 2 + 1 / 2) / 2)
    assert row["mrr"] == pytest.approx((1 / 2 + 1 / 3) / 2)
    assert row["map"] == pytest.approx(((1 / 2 + 2 / 4) / 2 + (1 / 3) / 2) / 2)
    assert row["hit_rate@1"] == 0 and row["queries"] == 2
    dcg_a, ideal_a = 3 / np.log2(3) + 1 / np.log2(5), 3 + 1 / np.log2(3)  # gains 2^grade - 1: same design 3
    assert 0 < row["ndcg@4"] < 1 and row["ndcg@4"] == pytest.approx(
        (dcg_a / ideal_a + (1 / np.log2(4)) / (3 + 1 / np.log2(3))) / 2, abs=0.05)
    strict = study.evaluate(run, truth, ["precision@2"], min_grade=2)      # same design only
    assert strict.loc["results", "precision@2"] == pytest.approx(0.25)


def test_each_configuration_gets_a_row_with_an_interval_around_its_mean():
    good, truth = world(quality=3.0)
    bad, _ = world(quality=0.5)
    table = study.evaluate({"good": good, "bad": bad}, truth, seed=1)
    assert list(table.index) == ["good", "bad"] and (table["queries"] == 40).all()
    for metric in study.DEFAULT_METRICS:
        assert (table[f"{metric} low"] <= table[metric] + 1e-9).all()
        assert (table[metric] <= table[f"{metric} high"] + 1e-9).all()
        assert table[metric].between(0, 1).all()
    assert table.loc["good", "ndcg@10"] > table.loc["bad", "ndcg@10"]
    split = study.evaluate(pd.concat([good.assign(endpoint="good"), bad.assign(endpoint="bad")]), truth, by="endpoint",
                           seed=1)
    pd.testing.assert_frame_equal(split, table, check_names=False)
    again = study.evaluate({"good": good, "bad": bad}, truth, seed=1)
    pd.testing.assert_frame_equal(again, table)  # seeded: the same intervals twice


def test_queries_without_verdicts_are_skipped_and_counted_and_renamed_files_still_match():
    run, truth = world(n_queries=10)
    renamed = run.assign(query=run["query"].str.replace(".png", "-copy.png"))   # names differ; keys do not
    unjudged = pd.DataFrame({"query": ["new.png"] * 2, "query_key": ["sha256:" + "f" * 64] * 2,
                             "patent_id": ["u1", "u2"], "rank": [1, 2], "score": [0.9, 0.8]})
    with pytest.warns(StudyWarning, match=r"1 of 11 searched queries have no verdict and are skipped"):
        table = study.evaluate(pd.concat([renamed, unjudged]), truth, ["mrr"])
    assert table.loc["results", "queries"] == 10 and table.attrs["matched_on"] == "query_key"
    assert table.attrs["skipped_without_verdicts"] == 1


def test_a_query_with_only_different_verdicts_scores_zero_and_a_missing_one_too_with_warnings():
    run, truth = world(n_queries=6)
    truth.loc[truth["query"] == "q0.png", "relevance"] = 0
    partial = run[run["query"] != "q5.png"]
    with pytest.warns(StudyWarning) as seen:
        values = study.per_query({"all": run, "partial": partial}, truth, ["mrr"])
    messages = " | ".join(str(w.message) for w in seen)
    assert "1 of 6 queries have verdicts but no relevant hit" in messages
    assert "configuration 'partial' lacks 1 of the 6 study queries" in messages
    by = values.set_index(["configuration", "query"])["value"]
    assert by[("all", "sha256:" + f"{0:064x}")] == 0 and by[("partial", "sha256:" + f"{5:064x}")] == 0


def test_unsure_verdicts_are_left_out_with_a_count_and_conflicting_ones_refused():
    run, truth = world(n_queries=4)
    unsure = truth.head(3).assign(relevance=pd.NA)
    with pytest.warns(StudyWarning, match="3 verdict"):
        quiet_table = study.evaluate(run, pd.concat([truth.iloc[3:], unsure]), ["mrr"])
    assert quiet_table.loc["results", "queries"] == 4
    conflicting = pd.concat([truth, truth.head(1).assign(relevance=0)])
    with pytest.raises(ValidationError, match="give one hit different grades"):
        study.evaluate(run, conflicting, ["mrr"])


@pytest.mark.parametrize(("metrics", "message"), [(["precision"], "'precision' is not a metric"),
                                                 (["P@10"], "'P@10' is not a metric"), ([], "at least one metric")])
def test_a_metric_this_study_does_not_know_is_refused_with_the_names_it_knows(metrics, message):
    run, truth = world(n_queries=2)
    with pytest.raises(ValidationError, match=message):
        study.evaluate(run, truth, metrics)


def test_bad_inputs_are_named():
    run, truth = world(n_queries=2)
    with pytest.raises(ValidationError, match=r"results: a run needs the columns patent_id"):
        study.evaluate(run.drop(columns="patent_id"), truth)
    with pytest.raises(ValidationError, match="by: the results have no column 'endpoint'"):
        study.evaluate(run, truth, by="endpoint")
    with pytest.raises(ValidationError, match="no query of the results has a verdict"):
        quiet(study.evaluate, run.assign(query_key="sha256:" + "e" * 64), truth)
    with pytest.raises(ValidationError, match="verdicts: a verdict set needs"):
        study.evaluate(run, truth.drop(columns="relevance"))


# ---------------------------------------------------------------------------------------------- compare
def test_compare_finds_a_real_difference_and_not_a_fake_one():
    good, truth = world(quality=3.0)
    bad, _ = world(quality=0.4)
    same = good.copy()
    table = study.compare({"good": good, "bad": bad, "same": same}, truth, ["ndcg@10", "mrr"])
    assert len(table) == 6 and set(table["metric"]) == {"ndcg@10", "mrr"}
    row = table.set_index(["metric", "a", "b"]).loc[("ndcg@10", "good", "bad")]
    assert row["difference"] > 0 and row["p_adjusted"] < 0.01 and row["significant"]
    twin = table.set_index(["metric", "a", "b"]).loc[("ndcg@10", "good", "same")]
    assert twin["p_value"] == 1 and not twin["significant"]
    assert (table["p_adjusted"] >= table["p_value"] - 1e-12).all() and table["p_adjusted"].le(1).all()
    t = study.compare({"good": good, "bad": bad}, truth, ["ndcg@10"], test="t", correction="bonferroni")
    assert t.iloc[0]["p_value"] < 0.01 and t.attrs["test"] == "t"


def test_compare_against_a_baseline_and_its_refusals():
    good, truth = world(n_queries=8)
    bad, _ = world(n_queries=8, quality=0.3)
    table = study.compare({"base": bad, "x": good, "y": good}, truth, baseline="base")
    assert table[["a", "b"]].values.tolist() == [["base", "x"], ["base", "y"]]
    with pytest.raises(ValidationError, match="two configurations or more"):
        study.compare(good, truth)
    with pytest.raises(ValidationError, match="test: must be one of randomization, t"):
        study.compare({"a": good, "b": bad}, truth, test="wilcoxon")
    with pytest.raises(ValidationError, match="baseline: no configuration is called 'z'"):
        study.compare({"a": good, "b": bad}, truth, baseline="z")


# ---------------------------------------------------------------------------------------------- fuse
def test_rrf_sums_reciprocal_ranks_with_k_60_and_returns_an_evaluable_results_frame():
    a = pd.DataFrame({"query": ["q"] * 3, "query_key": ["sha256:ab"] * 3, "patent_id": ["x", "y", "z"],
                      "rank": [1, 2, 3], "patent_pn": ["X1", "Y1", "Z1"]})
    b = pd.DataFrame({"query": ["renamed"] * 2, "query_key": ["sha256:ab"] * 2, "patent_id": ["z", "w"],
                      "rank": [1, 2]})
    a.attrs["source"] = "sandbox"
    fused = study.fuse({"a": a, "b": b})
    assert fused["patent_id"].tolist() == ["z", "x", "w", "y"] and fused["rank"].tolist() == [1, 2, 3, 4]  # a tie: by id
    assert fused["score"].tolist() == pytest.approx([1 / 63 + 1 / 61, 1 / 61, 1 / 62, 1 / 62])
    assert fused["query"].tolist() == ["q"] * 4 and fused["query_key"].eq("sha256:ab").all()
    assert fused["patent_pn"].tolist()[:2] == ["Z1", "X1"] and fused["fused_from"].tolist() == [2, 1, 1, 1]
    assert fused.attrs["source"] == "sandbox" and fused.attrs["fusion"]["k"] == 60
    assert study.fuse([a, b], k=1)["score"].iloc[0] == pytest.approx(1 / 4 + 1 / 2)
    truth = pd.DataFrame({"query_key": ["sha256:ab"], "patent_id": ["z"], "relevance": [2]})
    assert quiet(study.evaluate, fused, truth, ["mrr"]).loc["results", "mrr"] == 1


def test_score_fusion_normalises_per_query_and_refuses_runs_without_scores():
    a = pd.DataFrame({"query": ["q"] * 3, "patent_id": ["x", "y", "z"], "score": [0.9, 0.8, 0.5], "rank": [1, 2, 3]})
    b = pd.DataFrame({"query": ["q"] * 2, "patent_id": ["z", "y"], "score": [30.0, 10.0], "rank": [1, 2]})
    summed = study.fuse([a, b], "combsum").set_index("patent_id")["score"]
    assert summed.to_dict() == pytest.approx({"z": 1.0, "x": 1.0, "y": 0.75})
    mnz = study.fuse([a, b], "combmnz").set_index("patent_id")["score"]
    assert mnz.to_dict() == pytest.approx({"z": 2.0, "y": 1.5, "x": 1.0})
    with pytest.raises(ValidationError, match="method='rrf'"):
        study.fuse([a, b.assign(score=pd.NA)], "combsum")
    with pytest.raises(ValidationError, match="method: must be one of rrf, combsum, combmnz"):
        study.fuse([a, b], "borda")


def test_fusing_two_good_configurations_is_measured_like_any_other():
    first, truth = world(seed=0, quality=1.5)
    second = first.copy()
    rng = np.random.default_rng(3)
    second["rank"] = second.groupby("query")["rank"].transform(lambda r: rng.permutation(r.to_numpy()))
    fused = study.fuse({"first": first, "second": second}, limit=20)
    assert fused.groupby("query_key").size().max() == 20
    table = study.evaluate({"first": first, "second": second, "fused": fused}, truth, ["ndcg@10"])
    assert table.loc["fused", "ndcg@10"] > table.loc["second", "ndcg@10"]


# ---------------------------------------------------------------------------------------------- calibrate
def test_calibration_is_non_decreasing_and_its_cutoffs_reach_their_targets():
    run, truth = world(n_queries=30)
    cal = study.calibrate(run, truth)
    grid = np.linspace(0, 1, 101)
    p = cal.probability(grid)
    assert np.all(np.diff(p) >= -1e-12) and p.min() >= 0 and p.max() <= 1
    assert cal.probability([0.99])[0] > cal.probability([0.2])[0]
    assert np.isnan(cal.probability([None])[0])
    cut = cal.cutoff(recall=0.9, n_resamples=300)
    assert cut.recall >= 0.9 and cut.low <= cut.threshold <= cut.high and cut.resampled == "queries"
    assert cut.verdicts == cal.n_verdicts <= len(truth) and cut.queries == 30 and cut.resamples > 250
    strict = cal.cutoff(precision=0.8, n_resamples=300)
    assert strict.precision >= 0.8 and strict.low <= strict.threshold <= strict.high and strict.target == "precision"
    assert "for recall 0.90" in str(cut)
    table = cal.reliability(bins=5)
    assert table["verdicts"].sum() == cal.n_verdicts and table["observed"].between(0, 1).all()


def test_too_few_verdicts_is_a_refusal_not_a_number():
    run, truth = world(n_queries=2)
    with pytest.raises(TooFewVerdictsError, match=r"results: 1\d graded verdicts .* needs at least 30"):
        study.calibrate(run, truth)
    few_relevant = world(n_queries=10)[1].assign(relevance=lambda t: (t.index < 3).astype(int))
    with pytest.raises(TooFewVerdictsError, match=r"\(3 relevant, \d+ not\)"):
        study.calibrate(world(n_queries=10)[0], few_relevant)
    run, truth = world(n_queries=30)
    top = run.loc[run["score"].idxmax(), "patent_id"]       # the best-scoring hit is not relevant: no cut-off is pure
    mixed = truth.assign(relevance=lambda t: np.where(t["patent_id"] == top, 0, t.index % 2))
    with pytest.raises(ValidationError, match=r"no cut-off reaches precision 1\.0"):
        study.calibrate(run, mixed).cutoff(precision=1.0)
    with pytest.raises(ValidationError, match="give recall= or precision="):
        study.calibrate(run, truth).cutoff()


def test_one_calibration_per_configuration_and_the_charts(tmp_path):
    import matplotlib.pyplot as plt

    from patsnap_analytics.study import plots

    good, truth = world(n_queries=30, quality=3.0)
    bad, _ = world(n_queries=30, quality=0.5)
    good.attrs["source"] = "sandbox"
    cals = study.calibrate({"good": good, "bad": bad}, truth)
    assert set(cals) == {"good", "bad"} and cals["good"].source == "sandbox"
    ax = plots.reliability_diagram(cals, lw=3)
    assert ax.get_title().endswith("[sandbox data]") and ax.get_lines()[1].get_linewidth() == 3
    _, axes = plt.subplots(1, 2)
    assert plots.cutoff_curve(cals["good"], cutoff=cals["good"].cutoff(recall=0.8, n_resamples=100),
                              ax=axes[0]) is axes[0]
    table = study.evaluate({"good": good, "bad": bad}, truth, ["ndcg@10", "mrr"])
    assert plots.metric_bars(table, ax=axes[1], edgecolor="black") is axes[1]
    assert len(axes[1].patches) == 4 and axes[1].get_title().endswith("[sandbox data]")
    assert plots.reliability_diagram(cals["bad"], bins=4).get_ylabel() == "P(relevant)"
    plt.close("all")


def test_the_reliability_diagram_s_markers_stay_markers_however_many_verdicts():
    """Marker area grew by 4 pt² a verdict: with every hit of a 60-query study judged (thousands a bin) a marker
    covered the chart. Areas are now scaled to the fullest bin of the chart, still proportional to verdicts."""
    import matplotlib.pyplot as plt

    from patsnap_analytics.study import plots

    many, truth = world(n_queries=600, n_hits=20)
    few, few_truth = world(n_queries=40, n_hits=20, seed=1)
    cals = {"many": study.calibrate(many, truth), "few": study.calibrate(few, few_truth)}
    ax = plots.reliability_diagram(cals)
    sizes = [collection.get_sizes() for collection in ax.collections]
    assert max(s.max() for s in sizes) <= 200 and min(s.min() for s in sizes) >= 12
    counts = [cals[name].reliability()["verdicts"].to_numpy() for name in ("many", "few")]
    ratio = (sizes[0] - 12) / counts[0]
    assert np.allclose(ratio, ratio[0]) and np.allclose((sizes[1] - 12) / counts[1], ratio[0])  # one scale
    plt.close("all")


def test_importing_the_package_or_the_study_loads_none_of_the_study_s_libraries():
    code = ("import sys, patsnap_analytics, patsnap_analytics.study; "
            "print(sorted(m for m in ('ir_measures', 'sklearn', 'scipy', 'matplotlib', 'pytrec_eval') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
