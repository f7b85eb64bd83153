"""Full HTTP search latency against the sandbox, next to the engine alone, at several corpus sizes.

A search here is what a user's ``client.search_designs(url)`` costs end to end on loopback: the client's
validation, the HTTP request, the sandbox's auth/fault gateway, the engine (query features + top-k) and the
frame — the upload excluded (done once before timing). The engine-only time of the same query is printed
beside it, so the HTTP overhead shows as a difference and a ratio.

    python benchmarks/bench_http.py                         # 1k and 10k designs
    python benchmarks/bench_http.py --sizes 1000,10000,100000 --repeats 60
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import patsnap_analytics as pa
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.sandbox import Sandbox

QUERIES = sorted((Path(__file__).resolve().parents[1] / "data" / "queries").glob("*.png"))
CASES = {
    "no filter": {"limit": 10},
    "limit 100": {"limit": 100},
    "country+status": {"country": ["CN", "US"], "simple_legal_status": [1], "limit": 10},
}


def pct(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def bench_size(designs: int, repeats: int) -> list[tuple]:
    rows = []
    with Sandbox(designs=designs) as sb:
        client = pa.connect(sandbox=sb, cache=False)
        engine = sb.engine
        urls = [client.upload_image(p).url for p in QUERIES]
        images = [p.read_bytes() for p in QUERIES]
        for name, filters in CASES.items():
            query = DesignQuery(**filters)
            client.search_designs(urls[0], **filters)  # warm-up
            http, core = [], []
            for i in range(repeats):
                t0 = time.perf_counter()
                client.search_designs(urls[i % len(urls)], **filters)
                http.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                engine.search(images[i % len(images)], query)
                core.append(time.perf_counter() - t0)
            rows.append((designs, name, pct(core, 50), pct(http, 50), pct(http, 95)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--repeats", type=int, default=40)
    args = ap.parse_args(argv)
    print(f"{'designs':>8} {'case':16} {'engine p50':>11} {'HTTP p50':>9} {'HTTP p95':>9} {'HTTP/engine':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        for designs, name, core50, http50, http95 in bench_size(size, args.repeats):
            print(f"{designs:8d} {name:16} {core50:9.1f}ms {http50:7.1f}ms {http95:7.1f}ms {http50 / core50:11.2f}x",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
