"""Benchmark: a 200-image batch against a slow, rate-limited sandbox (issue 5).

Sandbox: 200 ms added latency per call, a server-side limit of 10 calls/s per credential, and (by default)
20 % of calls answered 67200002 at random. Client: ``search_many(qps=10, workers=8)``. Every image must
complete. Printed per scenario: wall time, calls spent vs the minimum, and the wall time as a ratio to

* the issue's ideal, ``images / qps`` (it counts searches only: 200 images at 10/s = 20 s), and
* the floor this sandbox really allows, ``minimum calls / (qps * (1 - fault rate))``: a fresh image costs an
  upload AND a search, both take a rate slot, and a randomly refused call still used its slot on the server.

Scenarios: ``fresh`` (new images: upload + search each), ``reuse`` (the same images again with another filter:
their upload URLs are still valid, so searches only — the case the issue's 20 s describes), and ``no-faults``
(fresh images without injected refusals, to separate the limiter's overhead from the faults' cost).

Run:  /work/venv/bin/python benchmarks/bench_batch.py [--images 200] [--qps 10] [--workers 8]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import warnings
from pathlib import Path

import patsnap_analytics as pa
from patsnap_analytics.batch import failures, pending
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.sample import query_drawings
from patsnap_analytics.wire.retry import RetryPolicy

UPLOAD, SEARCH = "/image-search/image-upload", "/image-search/search-id"


def distinct_drawings(n: int, seed: int) -> list[bytes]:
    """``n`` held-out query drawings (never in the corpus), all distinct bytes."""
    out, seen = [], set()
    for _, im in query_drawings(n, seed=seed):
        buf = io.BytesIO()
        im.save(buf, "PNG")
        data = buf.getvalue()
        if data not in seen:
            seen.add(data)
            out.append(data)
    assert len(out) == n, f"only {len(out)} distinct drawings"
    return out


def run(sb: Sandbox, client, images: list[bytes], *, qps: float, workers: int, fault: float,
        uploads_needed: int, limit: int) -> dict:
    sb.configure(rate_limit_fraction=fault)
    sb.reset_stats()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an incomplete batch is a failed benchmark
        df = client.search_many(images, qps=qps, workers=workers, limit=limit, progress=False)
    wall = time.perf_counter() - t0
    detail = sb.stats_detail()
    assert failures(df).empty and not pending(df), (failures(df), pending(df))
    assert df["query"].nunique() == len(images), "every image must complete"
    n = len(images)
    min_calls = n + uploads_needed
    server_calls = detail["calls"][UPLOAD] + detail["calls"][SEARCH]
    return {
        "images": n,
        "uploads": detail["calls"][UPLOAD],
        "searches": detail["calls"][SEARCH],
        "calls": df.attrs["calls_spent"],
        "server": server_calls,
        "min_calls": min_calls,
        "refused": detail["by_error_code"].get("67200002", 0),
        "wall": wall,
        "ideal_issue": n / qps,
        "ideal_floor": min_calls / (qps * (1 - fault)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--qps", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--fault", type=float, default=0.2, help="share of calls answered 67200002")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp, \
            Sandbox(designs=300, latency=args.latency, qps_limit=int(args.qps), seed=1) as sb:
        # 0.2**10: an image fails only after 10 refusals in a row (the default 6 would lose one in ~40 runs)
        client = pa.connect(sandbox=sb, cache=Path(tmp) / "cache.sqlite", retry=RetryPolicy(max_attempts=10))
        images = distinct_drawings(args.images, seed=7)
        common = {"qps": args.qps, "workers": args.workers}
        rows.append(("fresh", run(sb, client, images, fault=args.fault, uploads_needed=len(images),
                                  limit=10, **common)))
        rows.append(("reuse", run(sb, client, images, fault=args.fault, uploads_needed=0, limit=20, **common)))
        others = distinct_drawings(args.images, seed=8)
        rows.append(("no-faults", run(sb, client, others, fault=0.0, uploads_needed=len(others), limit=10,
                                      **common)))

    print(f"\nsearch_many: {args.images} images, sandbox latency {args.latency * 1000:.0f} ms, server limit "
          f"{int(args.qps)} calls/s, {args.fault:.0%} random 67200002; client qps={args.qps:g}, "
          f"workers={args.workers}\n")
    head = (f"{'scenario':<10} {'uploads':>7} {'searches':>8} {'calls':>6} {'min':>5} {'x min':>6} {'67200002':>8} "
            f"{'wall s':>7} {'ideal(issue)':>12} {'ratio':>6} {'floor s':>7} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    for name, r in rows:
        print(f"{name:<10} {r['uploads']:>7} {r['searches']:>8} {r['calls']:>6} {r['min_calls']:>5} "
              f"{r['calls'] / r['min_calls']:>6.2f} {r['refused']:>8} {r['wall']:>7.1f} {r['ideal_issue']:>12.1f} "
              f"{r['wall'] / r['ideal_issue']:>6.2f} {r['ideal_floor']:>7.1f} {r['wall'] / r['ideal_floor']:>6.2f}")
    print("\nideal(issue) = images / qps (searches only); floor = minimum calls / (qps x (1 - fault rate)):"
          "\nuploads take rate slots too, and a refused call used its slot on the server."
          f"\nThe client spaces calls {1 + 0.05:.2f}/qps apart (batch.QPS_MARGIN) so jitter never trips the limit.")


if __name__ == "__main__":
    main()
