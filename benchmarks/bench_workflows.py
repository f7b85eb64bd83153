"""Benchmark: what each workflow of issue 23 costs, in calls (the sandbox's server-side counters) and time.

A sandbox of ``--designs`` designs whose calendar starts on 2025-03-01 at noon; one client on a cache file.
Printed per step: the calls by endpoint, their total, and the wall time (loopback: the vendor's ~5 s a search
would dominate it against the real API).

* ``search_like``: ``--numbers`` registrations by number, limit 100, first run and again (then a new client on
  the same cache file: a restart); the same with ``prior_art=True`` (other filters: new searches, the numbers
  and their links recorded);
* ``watch``: a portfolio of 4 drawings and 4 numbers, first run, the same day again, 60 days later;
* overnight: the 8 sample drawings submitted, submitted again, collected before and after the night;
* ``report``: the 8 sample drawings and 4 numbers, limit 25 (searches, enrichment, the three files).

Run:  .venv/bin/python benchmarks/bench_workflows.py [--designs 2000] [--numbers 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import patsnap_analytics as pa
from patsnap_analytics.demo import sample_queries
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.workflows.deliverable import make_report

SHORT = {"/search/patent/patent-search-pn": "P069", "/basic-patent-data/abstract-image": "P021",
         "/image-search/search-id": "search", "/search/patent/image-single": "image-single",
         "/image-search/image-upload": "upload", "/search/patent/image-search/single-batch-create": "P062 create",
         "/search/patent/image-search/single-batch-result": "P062 result"}


def step(sb: Sandbox, name: str, action: Callable[[], object]) -> None:
    sb.reset_stats()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        action()
    wall = time.perf_counter() - t0
    calls = {SHORT.get(p, p.rsplit("/", 1)[-1]): n for p, n in sb.stats.items() if n}
    detail = ", ".join(f"{k} {v}" for k, v in calls.items()) or "none"
    print(f"| {name} | {sum(calls.values())} | {detail} | {wall:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=2000)
    parser.add_argument("--numbers", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-workflows-"))
    with Sandbox(designs=args.designs, today="2025-03-01") as sb:
        meta = sb.corpus.meta
        designs = meta[(meta.patent_type == "D") & (meta.pbdt < "2025-03-01")]
        numbers = designs.patent_pn.iloc[: args.numbers].tolist()
        cache = work / "cache.sqlite"
        client = pa.connect(sandbox=sb, cache=cache)
        print(f"{args.designs} designs, {len(numbers)} numbers; calendar {sb.today()}\n")
        print("| step | calls | by endpoint | wall |\n|---|---|---|---|")
        step(sb, f"search_like, {len(numbers)} numbers, limit 100", lambda: client.search_like(
            numbers, limit=100, progress=False))
        step(sb, "the same again", lambda: client.search_like(numbers, limit=100, progress=False))
        step(sb, "the same after a restart (same cache file)", lambda: pa.connect(sandbox=sb, cache=cache).search_like(
            numbers, limit=100, progress=False))
        step(sb, "prior_art=True (numbers and links recorded)", lambda: client.search_like(
            numbers, prior_art=True, limit=100, progress=False))
        portfolio = [*map(str, sample_queries()[:4]), *numbers[:4]]
        options = dict(endpoint="image-single", limit=100, progress=False)
        step(sb, "watch, 4 drawings + 4 numbers, first run", lambda: client.watch("bench", portfolio, **options))
        step(sb, "watch, the same day again", lambda: client.watch("bench", portfolio, **options))
        sb.advance_clock(60 * 86400)
        step(sb, "watch, 60 days later*", lambda: client.watch("bench", portfolio, **options))
        images = sample_queries()
        step(sb, "overnight: submit 8 drawings", lambda: client.submit_overnight(images, limit=50))
        step(sb, "overnight: submit them again", lambda: client.submit_overnight(images, limit=50))
        step(sb, "overnight: collect at noon", client.collect_overnight)
        sb.advance_clock(21 * 3600)
        step(sb, "overnight: collect the next morning", client.collect_overnight)
        step(sb, "overnight: collect again", client.collect_overnight)
        fresh = pa.connect(sandbox=sb, cache=work / "report.sqlite")
        step(sb, "report: 8 drawings + 4 numbers, limit 25", lambda: make_report(
            fresh, [*images, *numbers[4:8]], work / "report", limit=25, progress=False))
    print("\n* the sandbox's calendar moved 60 days while the client's own clock did not: the upload URLs and "
          "drawing links it still trusts are refused once each and renewed (an upload or a P021 call and one "
          "search more per item); a real week later, the client knows they expired and asks once.")


if __name__ == "__main__":
    main()
