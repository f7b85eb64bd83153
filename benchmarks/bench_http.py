"""Full HTTP search latency against the sandbox, next to the engine alone; peak memory of building the index.

A search here is what a user's ``client.search_designs(url)`` costs end to end on loopback: the client's
validation, the HTTP request, the sandbox's auth/fault gateway, the engine (query features at every angle,
a pass over every design, geometric verification of the best few) and the frame — the upload excluded
(done before timing). Every timed search is of an image never searched before (a corpus drawing distorted
anew), so no feature or ranking cache helps. The engine-only time of the same kind of query is printed
beside it, so the HTTP overhead shows as a difference and a ratio.

``--build-memory`` first rebuilds each corpus's index in a fresh process and prints its peak resident memory
(``ru_maxrss``) and that of its largest build worker; the corpus itself is generated beforehand.

    python benchmarks/bench_http.py                                    # 1k and 10k designs
    python benchmarks/bench_http.py --sizes 100000 --repeats 60 --build-memory
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
from PIL import Image

import patsnap_analytics as pa
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.degrade import scanned
from patsnap_analytics.sandbox.sample import sample_corpus

CASES = {
    "no filter": {"limit": 10},
    "limit 100": {"limit": 100},
    "country+status": {"country": ["CN", "US"], "simple_legal_status": [1], "limit": 10},
}
# the child that rebuilds an index: its own peak, and its workers' (children's) peak, in kB (Linux)
_BUILD = """
import json, resource, sys, time
from patsnap_analytics.sandbox.engine import Engine
from patsnap_analytics.sandbox.sample import sample_corpus
corpus = sample_corpus(int(sys.argv[1]), seed=0)
for f in list(corpus.root.glob("features*")) + list(corpus.root.glob("view-maps*")):
    f.unlink()
t = time.perf_counter()
engine = Engine(corpus)
print(json.dumps({"seconds": time.perf_counter() - t, "views": int(engine._features.shape[0]),
                  "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "workers_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def pct(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def fresh_queries(designs: int, count: int, seed: int) -> list[bytes]:
    """``count`` images never seen before: corpus drawings under the combined distortions."""
    corpus = sample_corpus(designs, seed=0)
    rng = np.random.default_rng(seed)
    out = []
    for d in rng.choice(designs, size=count, replace=count > designs):
        with Image.open(corpus.view_path(int(d), 0)) as im:
            out.append(scanned(im, rng))
    return out


def build_memory(designs: int) -> None:
    sample_corpus(designs, seed=0)  # generation is not what is measured
    done = subprocess.run([sys.executable, "-c", _BUILD, str(designs)], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{designs:8d} index build: {got['views']:,} views in {got['seconds']:.0f} s; peak RSS "
          f"{got['self_kb'] / 1024:.0f} MB (building process), {got['workers_kb'] / 1024:.0f} MB (largest worker)",
          flush=True)


def bench_size(designs: int, repeats: int) -> list[tuple]:
    rows = []
    with Sandbox(designs=designs) as sb:
        client = pa.connect(sandbox=sb, cache=False)
        engine = sb.engine
        for k, (name, filters) in enumerate(CASES.items()):
            query = DesignQuery(**filters)
            images = fresh_queries(designs, 2 * repeats + 1, seed=100 + k)
            urls = [client.upload_image(data).url for data in images[:repeats + 1]]
            client.search_designs(urls[-1], **filters)  # warm-up
            http, core = [], []
            for i in range(repeats):
                t0 = time.perf_counter()
                client.search_designs(urls[i], **filters)
                http.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                engine.search(images[repeats + 1 + i], query)
                core.append(time.perf_counter() - t0)
            rows.append((designs, name, pct(core, 50), pct(http, 50), pct(http, 95)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--build-memory", action="store_true", help="rebuild each index first and print its peak RSS")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.build_memory:
        for size in sizes:
            build_memory(size)
        print()
    print(f"{'designs':>8} {'case':16} {'engine p50':>11} {'HTTP p50':>9} {'HTTP p95':>9} {'HTTP/engine':>12}")
    for size in sizes:
        for designs, name, core50, http50, http95 in bench_size(size, args.repeats):
            print(f"{designs:8d} {name:16} {core50:9.1f}ms {http50:7.1f}ms {http95:7.1f}ms {http50 / core50:11.2f}x",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
