"""Fault soak: a batch of distinct searches through a sandbox that misbehaves on purpose.

The sandbox answers 30 % of business calls with the rate-limit code 67200002, 10 % with a bare HTTP 503 and
drops 5 % of connections before answering (token requests included), and its OAuth tokens live a few seconds.
The client runs ``search_many`` in OAuth mode with a generous retry policy. Afterwards:

* every search either completed or is reported as failed (none lost), none appears twice, and each completed
  query has exactly ``limit`` rows with ranks 1..limit;
* the rows equal those of the same searches made with the faults off (retries never corrupt a result);
* the calls spent, counted by the SERVER, are printed next to the minimum possible
  (one upload + one search per image + the tokens that the wall time requires).

Loopback only; bounded in count (``--searches``) and in time (the retry policy caps every call's waiting).

    python benchmarks/bench_soak.py [--searches 300] [--workers 4] [--token-lifetime 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import io
import math
import time
from collections import Counter
from typing import Any

import numpy as np

import patsnap_analytics as pa
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.drawing import GENERATORS, render_design
from patsnap_analytics.wire.retry import RetryPolicy

FAULTS = {"rate_limit_fraction": 0.30, "http_503_fraction": 0.10, "drop_fraction": 0.05}
#: Generous but bounded: 45 % of calls fail, so 15 attempts leave ~6e-6 odds that one call fails for good.
SOAK_RETRY = RetryPolicy(max_attempts=15, backoff=0.02, max_backoff=0.25, max_total=30.0)
FAULTS_OFF = {name: 0.0 for name in FAULTS}


def soak_images(n: int, seed: int = 0) -> list[bytes]:
    """``n`` distinct generated drawings (PNG bytes), cycling through every LOC generator with its own rng."""
    codes = sorted(GENERATORS)
    out = []
    for i in range(n):
        im = render_design(codes[i % len(codes)], np.random.default_rng([seed, i]))[0]
        buf = io.BytesIO()
        im.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def run_soak(sb: Sandbox, n: int, *, workers: int = 4, limit: int = 10, token_lifetime: float = 3.0,
             seed: int = 1) -> dict[str, Any]:
    """Run ``n`` distinct searches through ``sb`` with the faults on; return the figures (see module doc)."""
    images = soak_images(n, seed)
    assert len(set(images)) == n, "the generated query images must be distinct"
    labels = [f"q{i:03d}" for i in range(n)]
    sb.configure(**FAULTS, token_lifetime=token_lifetime, seed=seed)
    sb.reset_stats()
    client = pa.connect(sandbox=sb, client_id=sb.client_id, client_secret=sb.client_secret, cache=False, retry=SOAK_RETRY)
    t0 = time.monotonic()
    df = client.search_many(images, names=labels, workers=workers, limit=limit, progress=False)
    wall = time.monotonic() - t0
    server = sb.stats_detail()

    rows = Counter(df["query"])
    completed = set(rows)
    failed = [f["image"] for f in df.attrs["failures"]]
    pending = list(df.attrs["pending"])
    reported = Counter([*completed, *failed, *pending])
    lost = [label for label in labels if label not in reported]
    duplicated = sorted(label for label, k in reported.items() if k > 1)
    duplicated += sorted(label for label, k in rows.items() if k != limit)  # a retried search counted twice
    ranks_ok = all(sorted(part) == list(range(1, limit + 1)) for _, part in df.groupby("query")["rank"])
    unknown = sorted(set(reported) - set(labels))

    # the same searches with the faults off: retries must never have changed a result
    sb.configure(**FAULTS_OFF)
    reference = pa.connect(sandbox=sb, cache=False).search_many(images, names=labels, workers=workers, limit=limit,
                                                   progress=False)
    expected = reference.groupby("query")["patent_id"].apply(list).to_dict()
    got = df.groupby("query")["patent_id"].apply(list).to_dict()
    mismatched = sorted(label for label in got if got[label] != expected.get(label))

    calls = server["calls"]
    tokens_needed = max(1, math.ceil(wall / token_lifetime))
    return {
        "searches": n,
        "completed": len(completed),
        "failed": len(failed),
        "pending": len(pending),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unknown_labels": len(unknown),
        "ranks_ok": ranks_ok,
        "mismatched_results": len(mismatched),
        "calls_spent": sum(calls.values()),
        "calls_by_endpoint": calls,
        "client_counted_calls": client.stats.total_calls,
        "calls_minimum": 2 * n + tokens_needed,
        "tokens": calls["/oauth/token"],
        "tokens_minimum": tokens_needed,
        "faults_by_code": server["by_error_code"],
        "retries": client.stats.retries,
        "wall_s": wall,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as a few aligned lines."""
    f = figures
    ratio = f["calls_spent"] / f["calls_minimum"]
    return "\n".join([
        f"searches {f['searches']}: completed {f['completed']}, failed {f['failed']}, pending {f['pending']}, "
        f"lost {f['lost']}, duplicated {f['duplicated']}, results differing from a fault-free run "
        f"{f['mismatched_results']}",
        f"calls spent (server-side) {f['calls_spent']}  vs minimum {f['calls_minimum']}  "
        f"(x{ratio:.2f}; client counted {f['client_counted_calls']}, retries {f['retries']})",
        f"  per endpoint {f['calls_by_endpoint']}; tokens {f['tokens']} vs minimum {f['tokens_minimum']}",
        f"  faults met {f['faults_by_code']}",
        f"wall time {f['wall_s']:.1f} s",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--token-lifetime", type=float, default=3.0)
    parser.add_argument("--designs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"fault soak: {args.searches} searches, {args.workers} workers, faults {FAULTS}, "
          f"token lifetime {args.token_lifetime} s, corpus {args.designs} designs")
    with Sandbox(designs=args.designs, seed=args.seed) as sb:
        figures = run_soak(sb, args.searches, workers=args.workers, limit=args.limit,
                           token_lifetime=args.token_lifetime, seed=args.seed)
    print(report(figures))


if __name__ == "__main__":
    main()
