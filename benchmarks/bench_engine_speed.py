"""Speed of the sandbox engine: corpus generation and index build rates, search latency by stage, memory.

For each corpus size: generation time (skipped if the corpus is already cached), index build time from the
PNG files (generation excluded) and the build's peak memory, then search latency p50/p95: the query's
features alone, stage 1 alone (``RERANK = 0``), and whole searches with and without filters (query
features included; a search always scores every design and verifies the best few).

    python benchmarks/bench_engine_speed.py                          # 1k and 10k designs, a few minutes
    python benchmarks/bench_engine_speed.py --sizes 1000,10000,100000  # 100k takes several minutes more
    python benchmarks/bench_engine_speed.py --keep-index               # reuse cached feature files

Corpora go to the sandbox cache (``$PATSNAP_SANDBOX_CACHE`` or the user cache dir) and are reused.
"""

from __future__ import annotations

import argparse
import gc
import io
import resource
import time
from pathlib import Path

import numpy as np

from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import engine as engine_mod
from patsnap_analytics.sandbox.corpus import default_cache_dir
from patsnap_analytics.sandbox.engine import Engine
from patsnap_analytics.sandbox.features import ANGLES
from patsnap_analytics.sandbox.sample import CORPUS_VERSION, query_drawings, sample_corpus

PROJECT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "no filter": DesignQuery(limit=10),
    "no filter, limit 100": DesignQuery(limit=100),
    "country+status filter": DesignQuery(country=["CN", "US"], simple_legal_status=[1], limit=10),
    "loc filter": DesignQuery(loc="14 OR 10-02", limit=10),
    "main_field filter": DesignQuery(main_field="watch", limit=10),
    "main_field, uncached": DesignQuery(main_field="watch", limit=10),
    "sorted by APD desc": DesignQuery(field="APD", limit=10),
}


def rss_mb() -> float:
    """Current resident set size of this process, MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def query_images() -> list[bytes]:
    images = [p.read_bytes() for p in sorted((PROJECT / "data" / "queries").glob("*.png"))]
    for _, im in query_drawings(12, seed=99):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        images.append(buf.getvalue())
    return images


def percentiles(times: list[float]) -> str:
    ms = np.array(times) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f} ms   p95 {np.percentile(ms, 95):7.2f} ms"


def bench_size(n: int, seed: int, repeats: int, keep_index: bool, images: list[bytes]) -> None:
    root = default_cache_dir() / f"corpus-{CORPUS_VERSION}-{n}-{seed}"
    cached = (root / "manifest.json").is_file()
    t0 = time.perf_counter()
    corpus = sample_corpus(n, seed=seed)
    generation = time.perf_counter() - t0
    views = int(corpus.meta.n_views.sum())
    if not keep_index:
        for f in [*root.glob("features*"), *root.glob("view-maps*"), *root.glob("score-scale*")]:
            f.unlink()
    t1 = time.perf_counter()
    engine = Engine(corpus)
    indexing = time.perf_counter() - t1
    print(f"\n== {n:,} designs, {views:,} views ({corpus.root})")
    if cached:
        print("generation:       cached (delete the directory to time it)")
    else:
        print(f"generation:       {generation:7.1f} s   {views / generation:7.0f} drawings/s (draw + PNG write)")
    index_note = ("cached features loaded" if keep_index
                  else "from PNG files and the score scale's fit, generation excluded")
    print(f"index build:      {indexing:7.1f} s   {views / indexing:7.0f} drawings/s ({index_note})")
    if not cached and not keep_index:
        print(f"both:             {generation + indexing:7.1f} s   {views / (generation + indexing):7.0f} "
              "drawings/s (generation included)")
    maps = engine._index.maps
    print(f"features:         {engine._features.shape} {engine._features.dtype}, "
          f"{engine._features.nbytes / 2**20:.1f} MB; verification maps {maps.shape} on disk, "
          f"{maps.nbytes / 2**20:.0f} MB; process RSS {rss_mb():.0f} MB, "
          f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (generation and build included)")
    for data in images[:3]:  # warm up caches and lazy imports
        engine.search(data, DesignQuery())
    times, features = [], []
    for k in range(repeats):
        t = time.perf_counter()
        features.append(engine.query_feature(images[k % len(images)]))
        times.append(time.perf_counter() - t)
    print(f"{'query features only':<24}{percentiles(times)}   ({len(ANGLES)} rotations + a map)")
    for label, rerank in (("stage 1 only", 0), (f"stages 1 + 2 ({engine_mod.RERANK})", engine_mod.RERANK)):
        verified, engine_mod.RERANK = engine_mod.RERANK, rerank
        times = []
        for feature in features:
            t = time.perf_counter()
            engine.scores_for(feature)
            times.append(time.perf_counter() - t)
        engine_mod.RERANK = verified
        print(f"{label:<24}{percentiles(times)}   (scores of every design, query features excluded)")
    for name, query in SCENARIOS.items():
        times = []
        for k in range(repeats):
            data = images[k % len(images)]
            if name == "main_field, uncached":
                engine._keyword_cache.clear()  # a new keyword every time (repeats reuse a cached mask)
            t = time.perf_counter()
            result = engine.search(data, query)
            times.append(time.perf_counter() - t)
        print(f"{name:<24}{percentiles(times)}   total {result.total:,}")
    del engine, corpus
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated corpus sizes (designs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=200, help="searches per scenario")
    parser.add_argument("--keep-index", action="store_true", help="load cached features instead of rebuilding")
    args = parser.parse_args()
    images = query_images()
    print(f"{len(images)} query images; cache {default_cache_dir()}")
    for n in (int(s) for s in args.sizes.split(",")):
        bench_size(n, args.seed, args.repeats, args.keep_index, images)


if __name__ == "__main__":
    main()
