"""Fault soak (bounded CI version of ``benchmarks/bench_soak.py``) and the balance running out mid-batch.

The soak sends 60 distinct searches through the sandbox while it answers 30 % of calls with 67200002,
10 % with HTTP 503, drops 5 % of connections and lets OAuth tokens live 2 s; nothing may be lost, duplicated
or altered, and every call is accounted for on the server. The daily-quota stop is tested in
``tests/test_batch.py``; here is its sibling for an exhausted balance (67200005), which, unlike the quota,
does not come back tomorrow: the batch stops, and after a top-up only the pending images are paid for.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

from patsnap_analytics.batch import BatchIncompleteWarning, failures, pending

from .conftest import SEARCH, TOKEN, UPLOAD, calls, client_for

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_soak.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_soak", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fault_soak_loses_nothing_duplicates_nothing_and_counts_every_call(sb):
    figures = _bench().run_soak(sb, 60, workers=4, limit=5, token_lifetime=2.0, seed=11)
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["unknown_labels"] == 0
    assert figures["completed"] + figures["failed"] == 60 and figures["pending"] == 0
    assert figures["completed"] >= 58  # 15 attempts per call: a failure for good is a ~1e-5 event
    assert figures["ranks_ok"] and figures["mismatched_results"] == 0
    faults = figures["faults_by_code"]
    assert faults.get("67200002", 0) > 0 and faults.get("http_503", 0) > 0 and faults.get("dropped", 0) > 0
    # every call the client sent reached the server's counters, and the faults cost extra calls
    assert figures["calls_spent"] == figures["client_counted_calls"] > figures["calls_minimum"]
    assert figures["calls_by_endpoint"][UPLOAD] >= 60 and figures["calls_by_endpoint"][SEARCH] >= 60
    assert figures["tokens"] >= 1


def test_balance_exhausted_stops_the_batch_and_a_top_up_pays_only_for_the_rest(sb, tmp_path):
    images = _bench().soak_images(6, seed=5)
    labels = [f"q{i}" for i in range(6)]
    sb.configure(balance=7)
    client = client_for(sb, cache=tmp_path / "c.sqlite")
    with pytest.warns(BatchIncompleteWarning, match="BalanceExhaustedError"):
        df = client.search_many(images, names=labels, workers=1, limit=3, progress=False)
    detail = sb.stats_detail()
    # u0 s0 u1 s1 u2 s2 u3 use up the balance of 7; s3 is refused, and nothing is sent after it
    assert detail["by_error_code"] == {"67200005": 1}, detail
    assert calls(sb) == {TOKEN: 0, UPLOAD: 4, SEARCH: 4} and df.attrs["calls_spent"] == 8
    assert df["query"].unique().tolist() == ["q0", "q1", "q2"] and failures(df).empty
    assert pending(df) == ["q3", "q4", "q5"] and df.attrs["stopped"]["error"] == "BalanceExhaustedError"

    sb.advance_day()  # a new day does not help: the balance is not a daily quota
    sb.reset_stats()
    with pytest.warns(BatchIncompleteWarning, match="BalanceExhaustedError"):
        again = client.search_many(images, names=labels, workers=1, limit=3, progress=False)
    assert sb.stats[SEARCH] == 1 and again.attrs["cache_hits"] == 3 and pending(again) == ["q3", "q4", "q5"]

    sb.configure(balance=100)  # the account is topped up
    sb.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", BatchIncompleteWarning)
        done = client.search_many(images, names=labels, workers=3, limit=3, progress=False)
    # q3 was uploaded before the stop (1 search); q4, q5 need upload + search; q0..q2 come from the cache
    assert calls(sb) == {TOKEN: 0, UPLOAD: 2, SEARCH: 3} and done.attrs["cache_hits"] == 3
    assert done["query"].nunique() == 6 and pending(done) == []
