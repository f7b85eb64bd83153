"""Search quality of the sandbox engine: same-class precision@10 for distorted held-out drawings.

Queries are drawings the corpus does not contain (the generator's held-out stream, every view kind), each
searched as drawn and after one distortion: rotation by 5-10 degrees either way, scaling by 0.7-0.85 or
1.15-1.3, thicker strokes (+2 or +4 px), salt-and-pepper noise (1 % black, 1 % white pixels) and cropping
10 % off one side. precision@10 = share of the top 10 whose main LOC subclass is the query's.

    python benchmarks/bench_engine_quality.py                 # default 2000-design sample corpus
    python benchmarks/bench_engine_quality.py --per-class 5 --designs 2000 --seed 0
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from PIL import Image, ImageFilter

from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox.drawing import GENERATORS, VIEWS
from patsnap_analytics.sandbox.engine import Engine
from patsnap_analytics.sandbox.sample import query_drawings, sample_corpus

DISTORTIONS = ("none", "rotate", "scale", "stroke", "noise", "crop")


def distort(im: Image.Image, kind: str, rng: np.random.Generator) -> Image.Image:
    """One distortion of a drawing, as a scanned or re-drawn query would differ from the registered one."""
    im = im.convert("L")
    w, h = im.size
    if kind == "none":
        return im
    if kind == "rotate":
        angle = float(rng.uniform(5, 10)) * (1 if rng.random() < 0.5 else -1)
        return im.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    if kind == "scale":
        s = float(rng.uniform(0.7, 0.85) if rng.random() < 0.5 else rng.uniform(1.15, 1.3))
        return im.resize((max(8, int(w * s)), max(8, int(h * s))), Image.Resampling.BILINEAR)
    if kind == "stroke":
        return im.filter(ImageFilter.MinFilter(int(rng.choice([3, 5]))))  # dark ink spreads by 1-2 px a side
    if kind == "noise":
        a = np.asarray(im).copy()
        r = rng.random(a.shape)
        a[r < 0.01] = 0
        a[r > 0.99] = 255
        return Image.fromarray(a)
    if kind == "crop":
        side = int(rng.integers(4))
        d = int(0.1 * (w if side % 2 == 0 else h))
        return im.crop([(d, 0, w, h), (0, d, w, h), (0, 0, w - d, h), (0, 0, w, h - d)][side])
    raise ValueError(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=2000, help="sample corpus size (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="sample corpus seed")
    parser.add_argument("--per-class", type=int, default=3, help="held-out designs per LOC subclass")
    args = parser.parse_args()

    t0 = time.perf_counter()
    corpus = sample_corpus(args.designs, seed=args.seed)
    engine = Engine(corpus)
    print(f"corpus: {args.designs} designs, {int(corpus.meta.n_views.sum())} views, "
          f"{engine._features.shape[1]}-dim features; ready in {time.perf_counter() - t0:.1f} s ({corpus.root})")
    main_code = corpus.meta["loc"].str.split(",").str[0].to_numpy()
    queries = query_drawings(args.per_class * len(GENERATORS), seed=args.seed + 1, views=VIEWS)
    view_of = [VIEWS[k % len(VIEWS)] for k in range(len(queries))]  # query_drawings yields views in order
    rng = np.random.default_rng(123)
    by_kind: dict[str, list[float]] = defaultdict(list)
    by_view: dict[str, list[float]] = defaultdict(list)
    q = DesignQuery(limit=10)
    t1 = time.perf_counter()
    for (code, im), view in zip(queries, view_of, strict=True):
        for kind in DISTORTIONS:
            hits = engine.search(np.asarray(distort(im, kind, rng)), q).hits
            precision = float(np.mean([main_code[h.design] == code for h in hits]))
            by_kind[kind].append(precision)
            if kind != "none":
                by_view[view].append(precision)
    searches = len(queries) * len(DISTORTIONS)
    print(f"{len(queries)} held-out queries x {len(DISTORTIONS)} = {searches} searches "
          f"in {time.perf_counter() - t1:.1f} s\n")
    print(f"{'distortion':<12}{'precision@10':>14}")
    for kind in DISTORTIONS:
        print(f"{kind:<12}{np.mean(by_kind[kind]):>14.3f}")
    overall = float(np.mean([p for k in DISTORTIONS if k != "none" for p in by_kind[k]]))
    print(f"{'overall':<12}{overall:>14.3f}   (all distortions; target >= 0.90)\n")
    print(f"{'query view':<12}{'precision@10':>14}   (distorted queries)")
    for view in VIEWS:
        print(f"{view:<12}{np.mean(by_view[view]):>14.3f}")


if __name__ == "__main__":
    main()
