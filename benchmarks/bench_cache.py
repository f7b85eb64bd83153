"""What the cache saves: a cached search's time as a ratio to an uncached one, and the calls of two batch runs.

Runs against a local sandbox (no network, no costs). Prints a table; asserts nothing.

    python benchmarks/bench_cache.py [--designs 2000] [--repeats 30] [--batch 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import patsnap_analytics as pa
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.drawing import render_design


def query_images(n: int, folder: Path) -> list[Path]:
    """n distinct held-out drawings (a seed the corpus never uses)."""
    codes = ["10-02", "06-01", "09-01", "26-05", "14-03", "07-01", "12-08", "02-04"]
    rng = np.random.default_rng(424242)
    paths = []
    for i in range(n):
        path = folder / f"q{i:03d}.png"
        render_design(codes[i % len(codes)], rng)[0].save(path)
        paths.append(path)
    return paths


def timed(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--batch", type=int, default=20)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    images = query_images(max(args.batch, 1), tmp)
    with Sandbox(designs=args.designs) as sb:
        uncached = pa.connect(sandbox=sb, cache=False)
        cached = pa.connect(sandbox=sb, cache=tmp / "cache.sqlite")
        image = images[0].read_bytes()
        uncached.upload_image(image)  # compare searches, not uploads
        cached.search_designs(image, limit=20)  # warm the entry
        cold = timed(lambda i: uncached.search_designs(image, limit=20), args.repeats)
        warm = timed(lambda i: cached.search_designs(image, limit=20), args.repeats)
        cold_ms, warm_ms = statistics.median(cold) * 1e3, statistics.median(warm) * 1e3

        sb.reset_stats()
        batch_client = pa.connect(sandbox=sb, cache=tmp / "batch.sqlite")
        batch_client.search_many(images[: args.batch], limit=20, progress=False)
        first = dict(sb.stats)
        sb.reset_stats()
        pa.connect(sandbox=sb, cache=tmp / "batch.sqlite").search_many(images[: args.batch], limit=20, progress=False)
        second = dict(sb.stats)

    print(f"search_designs over HTTP to a {args.designs}-design sandbox, limit=20, median of {args.repeats}")
    print(f"{'':28}{'median ms':>12}{'ratio':>10}")
    print(f"{'uncached (HTTP search)':28}{cold_ms:12.2f}{1.0:10.2f}")
    print(f"{'cached (requests-cache)':28}{warm_ms:12.2f}{warm_ms / cold_ms:10.3f}")
    print(f"speed-up: {cold_ms / warm_ms:.1f}x")
    print()
    print(f"batch of {args.batch} distinct images, same filters, fresh client on the same cache file")
    print(f"{'run':8}{'uploads':>10}{'searches':>10}{'tokens':>8}{'total':>8}")
    for name, calls in (("first", first), ("second", second)):
        up, se, tok = (calls["/image-search/image-upload"], calls["/image-search/search-id"], calls["/oauth/token"])
        print(f"{name:8}{up:10}{se:10}{tok:8}{up + se + tok:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
