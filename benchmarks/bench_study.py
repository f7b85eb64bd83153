"""pa.study at the scale of a large study: 1,000 queries x 100 results per configuration, synthetic frames.

Each operation is timed twice: **first call in a fresh process** (the import of pa.study and of the libraries it
loads, then the call: what a notebook or a CI run pays once) and **warm** (the median of three more calls in the same
process). Operations:

* ``evaluate`` — 5 metrics (precision@10, recall@100, ndcg@10, map, mrr), 2 configurations, 2,000 bootstrap
  resamples over queries;
* ``compare`` — ndcg@10 and map, randomization test (10,000 permutations) and BH correction;
* ``fuse rrf`` / ``fuse combmnz`` — the two configurations fused;
* ``calibrate`` — isotonic fit on the verdicts of one configuration, then ``cutoff(recall=0.9)`` with 1,000
  query resamples.

``--ranx PYTHON`` also times ranx (evaluate and RRF on the same data) under another interpreter that has it (it is
not a dependency: ``python -m venv /tmp/ranx && /tmp/ranx/bin/pip install -c requirements.lock ranx``), first
with an empty numba cache (a fresh machine or CI) and then warm. That comparison chose the library
(docs/studies.md).

    python benchmarks/bench_study.py [--queries 1000] [--hits 100] [--ranx /tmp/ranx/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd


def synthetic(queries: int, hits: int, seed: int = 0) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Two configurations' results and the verdicts on a third of the hits of each query."""
    rng = np.random.default_rng(seed)
    keys = np.repeat([f"sha256:{q:064x}" for q in range(queries)], hits)
    runs = {}
    for name, spread in (("search-id", 1.0), ("image-single", 0.7)):
        pool = rng.integers(0, hits * 3, (queries, hits * 2))
        ids = [list(dict.fromkeys(row))[:hits] for row in pool]
        ids = [row + [f"x{i}" for i in range(hits - len(row))] for row in ids]
        scores = np.sort(rng.beta(2, 2 * spread, (queries, hits)), axis=1)[:, ::-1]
        runs[name] = pd.DataFrame({"query": keys, "query_key": keys, "patent_id": [f"p{i}" for row in ids for i in row],
                                   "rank": np.tile(np.arange(1, hits + 1), queries), "score": scores.ravel()})
    judged = runs["search-id"].sample(frac=1 / 3, random_state=seed)
    grade = np.where(judged["score"] > rng.uniform(0.5, 0.9, len(judged)), rng.integers(1, 3, len(judged)), 0)
    verdicts = judged[["query", "query_key", "patent_id"]].assign(relevance=grade)
    return runs, verdicts


def operations(runs: dict[str, pd.DataFrame], verdicts: pd.DataFrame) -> dict:
    from patsnap_analytics import study

    return {
        "evaluate": lambda: study.evaluate(runs, verdicts),
        "compare": lambda: study.compare(runs, verdicts, ["ndcg@10", "map"]),
        "fuse rrf": lambda: study.fuse(runs),
        "fuse combmnz": lambda: study.fuse(runs, "combmnz"),
        "calibrate": lambda: study.calibrate(runs["search-id"], verdicts).cutoff(recall=0.9),
    }


def child(args: argparse.Namespace) -> None:
    """In a fresh process: data, then import pa.study and the first call, then warm calls; prints JSON."""
    runs, verdicts = synthetic(args.queries, args.hits)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    ops = operations(runs, verdicts)
    ops[args.child]()
    first = time.perf_counter() - start
    warm = []
    for _ in range(3):
        start = time.perf_counter()
        ops[args.child]()
        warm.append(time.perf_counter() - start)
    print(json.dumps({"first": first, "warm": statistics.median(warm)}))


RANX = """
import json, sys, time
t0 = time.perf_counter()
import ranx
imported = time.perf_counter() - t0
sys.path.insert(0, {bench!r})
from bench_study import synthetic
runs, verdicts = synthetic({queries}, {hits})
def run_of(df, name):
    return ranx.Run({{q: dict(zip(g.patent_id, -g['rank'].astype(float))) for q, g in df.groupby('query_key')}}, name=name)
t = time.perf_counter()
a, b = run_of(runs['search-id'], 'a'), run_of(runs['image-single'], 'b')
qrels = ranx.Qrels({{q: dict(zip(g.patent_id, g.relevance.astype(int))) for q, g in verdicts.groupby('query_key')}})
build = time.perf_counter() - t
out = {{"import": imported, "build": build}}
for name, call in (("evaluate", lambda: ranx.evaluate(qrels, a, ["precision@10", "recall@100", "ndcg@10", "map", "mrr"],
                                                        make_comparable=True)),
                   ("fuse rrf", lambda: ranx.fuse([a, b], method="rrf"))):
    t = time.perf_counter(); call(); first = time.perf_counter() - t
    t = time.perf_counter(); call(); out[name] = [first, time.perf_counter() - t]
print(json.dumps(out))
"""


def ranx_figures(python: str, queries: int, hits: int) -> None:
    code = RANX.format(bench=os.path.dirname(os.path.abspath(__file__)), queries=queries, hits=hits)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    with tempfile.TemporaryDirectory() as empty:
        for label, cache in (("empty numba cache (fresh machine)", empty), ("warm numba cache", empty)):
            done = subprocess.run([python, "-c", code], capture_output=True, text=True,
                                  env={**env, "NUMBA_CACHE_DIR": cache}, check=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"ranx, {label}: import {got['import']:.2f} s, building runs {got['build']:.2f} s, "
                  + ", ".join(f"{k} first {v[0]:.2f} s / again {v[1]:.3f} s" for k, v in got.items()
                              if isinstance(v, list)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--hits", type=int, default=100)
    parser.add_argument("--ranx", help="a Python interpreter with ranx installed, to time it on the same data")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"pa.study on {args.queries:,} queries x {args.hits} results, 2 configurations "
          f"({args.queries * args.hits // 3:,} verdicts)")
    print(f"{'operation':<14} {'first call, fresh process':>26} {'warm':>10}")
    for name in ("evaluate", "compare", "fuse rrf", "fuse combmnz", "calibrate"):
        done = subprocess.run([sys.executable, __file__, "--queries", str(args.queries), "--hits", str(args.hits),
                               "--child", name], capture_output=True, text=True, check=True)
        got = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{name:<14} {got['first']:>24.2f} s {got['warm']:>8.2f} s")
    if args.ranx:
        ranx_figures(args.ranx, args.queries, args.hits)


if __name__ == "__main__":
    main()
