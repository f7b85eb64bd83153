"""What the sandbox's scores mean (issue 21): the step at the re-scoring depth, and the three distributions.

Printed, not asserted:

1. **The step.** The eight sample queries at limit 100 (what the issue's author measured), per endpoint and
   model: the mean drop between ranks 15 and 16 and the largest mean drop around the old re-scoring depth
   (ranks 13 -> 14 to 16 -> 17), against the mean drop of all other neighbours.
2. **The distributions.** Study queries (:mod:`patsnap_analytics.sandbox.truth`: a family's design scanned,
   photographed or cropped) searched as an analyst would (image-single, model 2; the beta for photos), every
   design of the corpus scored: the query's **same design** (the family's original, registrations and
   copies), its **close variants**, other designs of its **same subclass**, designs of **other classes**.
   Quantiles of each, the share scoring 0.9 or more (what reads as "the same design"), how much they
   overlap: P(a design of the lower kind scores at least as high as one of the higher kind), pooled over the
   queries (0 = separated, 0.5 = indistinguishable), and per query the lead of its own design over the best
   design of any other family.
   ``--before`` adds what the old scale (the best 16 at ``floor + (1 - floor) x alignment``, the rest at
   their cosine) gives on the same world.

    python benchmarks/bench_scores.py                               # default corpus (2,000 designs), 120 queries
    python benchmarks/bench_scores.py --queries 240 --before --figure docs/engine-scores.png
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox.engine import Engine
from patsnap_analytics.sandbox.linework import line_drawing
from patsnap_analytics.sandbox.ranking import Ranker
from patsnap_analytics.sandbox.sample import sample_corpus
from patsnap_analytics.sandbox.truth import study_queries

KINDS = ("same design", "close variant", "same subclass", "other class")
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "queries"  # the sample drawings (tests read them there)
OLD_DEPTH = 16


def step(engine: Engine) -> None:
    ranker = Ranker(engine)
    images = [p.read_bytes() for p in sorted(SAMPLES.glob("*.png"))]
    print(f"1. the step: {len(images)} sample queries at limit 100 (mean drop from rank r to r + 1)\n")
    print(f"{'endpoint':<28}{'15 -> 16':>10}{'max 13..17':>12}{'others':>9}{'ratio':>8}")
    for label, query, linework in (
            ("search-id", DesignQuery(limit=100), False),
            ("image-single, model 1", DesignQuery(endpoint="image-single", model=1, limit=100), False),
            ("image-single, model 2", DesignQuery(endpoint="image-single", model=2, limit=100), False),
            ("image-single-beta, model 2", DesignQuery(endpoint="image-single-beta", model=2, limit=100), True)):
        drops = []
        for image in images:
            scores = np.array([h.score for h in ranker.rank([image], query, linework=linework, fresh=True).page(0, 100)])
            drops.append(scores[:-1] - scores[1:])
        mean = np.mean(drops, axis=0)
        around = mean[OLD_DEPTH - 4:OLD_DEPTH].max()
        others = np.delete(mean, range(OLD_DEPTH - 4, OLD_DEPTH)).mean()
        print(f"{label:<28}{mean[OLD_DEPTH - 2]:>10.4f}{around:>12.4f}{others:>9.4f}{around / others:>7.1f}x")
    print("(model 1 ranks its predicted Locarno class first: its scores are not monotone in rank)\n")


def _old_scale(engine: Engine, feature) -> np.ndarray:
    """The scores before issue 21: the best 16 lifted to floor + (1 - floor) x alignment, the rest cosines."""
    cosines = engine.cosines(feature)
    verified, aligned = engine._verify(feature, cosines)
    out = cosines.astype(np.float64)
    if len(verified):
        floor = float(cosines[verified].min())
        out[verified] = floor + (1.0 - floor) * aligned
    return np.clip(out, 0.0, 1.0)


def distributions(engine: Engine, n: int, seed: int, before: bool) -> pd.DataFrame:
    meta = engine.corpus.meta
    designs = (meta.patent_type == "D").to_numpy()
    main = meta["loc"].str[:5].to_numpy()
    family, role = meta.family_id.to_numpy(), meta.family_role.to_numpy()
    t0 = time.perf_counter()
    queries = study_queries(engine.corpus, n, seed=seed)
    made = time.perf_counter() - t0
    frames = []
    for q in queries:
        image = line_drawing(q.image) if q.degradation == "photographed" else q.image
        feature = engine.query_feature(image)
        kin = family == q.family_id
        kind = np.where(kin, np.where(role == "variant", "close variant", "same design"),
                        np.where(main == main[q.design], "same subclass", "other class"))
        scales = {"now": engine.scores_for(feature)} | ({"before": _old_scale(engine, feature)} if before else {})
        for scale, scores in scales.items():
            frames.append(pd.DataFrame({"scale": scale, "query": q.name, "degradation": q.degradation,
                                        "kind": kind[designs], "score": scores[designs]}))
    print(f"2. the distributions: {n} study queries (seed {seed}, made in {made:.1f} s), "
          f"{int(designs.sum())} designs each\n")
    return pd.concat(frames, ignore_index=True)


def overlap(low: np.ndarray, high: np.ndarray) -> float:
    """P(a random ``low`` score >= a random ``high`` score): 0 when every high scores above every low."""
    low = np.sort(low)
    return float(np.mean(len(low) - np.searchsorted(low, high, side="left")) / len(low))


def report(scores: pd.DataFrame) -> None:
    for scale in dict.fromkeys(scores.scale):
        _table(scores[scores.scale == scale], f"{scale}, all queries")
    for degradation, part in scores[scores.scale == "now"].groupby("degradation"):
        _table(part, f"now, {degradation} queries", quantiles=False)


def _table(part: pd.DataFrame, title: str, *, quantiles: bool = True) -> None:
    by_kind = {k: part.loc[part.kind == k, "score"].to_numpy() for k in KINDS}
    print(f"-- {title}")
    if quantiles:
        print(f"{'kind':<16}{'n':>8}" + "".join(f"{f'q{q:02d}':>7}" for q in (5, 25, 50, 75, 95)) + f"{'>= 0.9':>8}")
        for k, v in by_kind.items():
            print(f"{k:<16}{len(v):>8}" + "".join(f"{x:>7.3f}" for x in np.percentile(v, [5, 25, 50, 75, 95]))
                  + f"{np.mean(v >= 0.9):>8.3f}")
    medians = "  ".join(f"{k} {np.median(v):.3f}" for k, v in by_kind.items())
    print(f"medians: {medians}")
    print(f"overlap: same subclass vs same design {overlap(by_kind['same subclass'], by_kind['same design']):.3f}, "
          f"other class vs same subclass {overlap(by_kind['other class'], by_kind['same subclass']):.3f}, "
          f"same subclass vs close variant {overlap(by_kind['same subclass'], by_kind['close variant']):.3f}")
    own = part[part.kind == "same design"].groupby("query").score.max()
    rest = part[part.kind.isin(["same subclass", "other class"])].groupby("query").score.max()
    lead = (own - rest.reindex(own.index)).to_numpy()
    print(f"per query, own design minus the best other family's: median {np.median(lead):.3f}, "
          f"q05 {np.percentile(lead, 5):.3f}, own design first in {np.mean(lead > 0):.0%} of queries\n")


def figure(scores: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = list(dict.fromkeys(scores.scale))
    fig, axes = plt.subplots(1, len(scales), figsize=(6.5 * len(scales), 3.6), squeeze=False)
    bins = np.linspace(0, 1, 41)
    for ax, scale in zip(axes[0], scales, strict=True):
        part = scores[scores.scale == scale]
        for kind, colour in zip(KINDS, ("#1b7837", "#74add1", "#f46d43", "#8c8c8c"), strict=True):
            values = part.loc[part.kind == kind, "score"]
            ax.hist(values, bins=bins, density=True, histtype="step", linewidth=1.8, color=colour,
                    label=f"{kind} (median {values.median():.2f})")
        ax.set_title(f"{'one scale (now)' if scale == 'now' else 'before: floor + (1 - floor) x alignment'}",
                     fontsize=10)
        ax.set_xlabel("score of a design for a study query")
        ax.legend(fontsize=8, loc="upper left")
    axes[0][0].set_ylabel("density (each kind on its own)")
    fig.suptitle("Sandbox scores by what a design is to the query (generated world, sandbox data)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=2000, help="sample corpus size (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="sample corpus seed")
    parser.add_argument("--queries", type=int, default=120, help="study queries (default 120)")
    parser.add_argument("--study-seed", type=int, default=21, help="which study queries (default 21)")
    parser.add_argument("--before", action="store_true", help="also the old scale on the same world")
    parser.add_argument("--figure", type=Path, default=None, help="write the distributions as a PNG")
    args = parser.parse_args()
    t0 = time.perf_counter()
    engine = Engine(sample_corpus(args.designs, seed=args.seed))
    print(f"corpus: {args.designs} designs (seed {args.seed}), ready in {time.perf_counter() - t0:.1f} s; "
          f"scale {engine.scale}\n")
    step(engine)
    scores = distributions(engine, args.queries, args.study_seed, args.before)
    report(scores)
    if args.figure is not None:
        figure(scores, args.figure)


if __name__ == "__main__":
    main()
