"""Figures for docs/team.md: four processes of one team searching 200 images with overlap, against an account
limited to 10 calls per second (the sandbox's ``qps_limit``), each process with ``qps=10``.

* **team**: every process on one Redis (``cache="redis://…"``): one cache, one single flight, one QPS limit.
* **per-process**: the same run with one SQLite cache file (so the processes of this machine still share
  answers and lock files) but each process pacing itself at ``qps=10``: the setting a team had before.

For each: calls spent vs the minimum (one upload and one search per distinct image, read from the sandbox's
own counters), 67200002 refusals, retries, and the wall time vs the ideal (minimum calls / qps). Prints
figures; asserts nothing. Needs Debian's redis-server.

    .venv/bin/python benchmarks/bench_team.py [--processes 4] [--qps 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def folders(tmp: Path, processes: int, shared: int, own: int) -> tuple[list[Path], int]:
    """One folder per process: ``shared`` images every process searches, ``own`` images only it does."""
    from tests.test_batch import drawings, write_folder

    images = drawings(shared + processes * own, seed=151)
    out = []
    for n in range(processes):
        folder = tmp / f"analyst{n}"
        write_folder(folder, images[:shared] + images[shared + n * own: shared + (n + 1) * own])
        out.append(folder)
    return out, shared + processes * own


def run(setting: str, cache: str, dirs: list[Path], distinct: int, qps: int, tmp: Path) -> dict:
    from patsnap_analytics.sandbox import Sandbox
    from tests.test_team import _WORKER, run_together

    work = tmp / setting.split()[0]
    work.mkdir()
    with Sandbox(designs=300, seed=7, qps_limit=qps) as sb:
        results = run_together(_WORKER, [[sb.url, sb.api_key, cache, str(f), str(qps)] for f in dirs], work)
        wall = max(r["done"] for r in results) - (work / "go").stat().st_mtime
        detail = sb.stats_detail()
    minimum = 2 * distinct
    spent = sum(detail["calls"].values())
    return {"setting": setting, "calls": spent, "minimum": minimum,
            "refusals": detail["by_error_code"].get("67200002", 0), "retries": sum(r["retries"] for r in results),
            "failures": sum(r["failures"] for r in results), "wall": wall, "ideal": minimum / qps,
            "searched": sum(r["queries"] for r in results)}


def main() -> None:
    from tests.redisserver import REDIS_SERVER, RedisServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--qps", type=int, default=10)
    parser.add_argument("--shared", type=int, default=20, help="images every process searches")
    parser.add_argument("--own", type=int, default=30, help="images only one process searches")
    args = parser.parse_args()
    if REDIS_SERVER is None:
        sys.exit("bench_team needs redis-server (Debian's package)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        dirs, distinct = folders(tmp, args.processes, args.shared, args.own)
        redis = RedisServer(tmp / "redis").start()
        try:
            rows = [run("team (one Redis)", redis.url, dirs, distinct, args.qps, tmp),
                    run("per-process limiters", str(tmp / "c.sqlite"), dirs, distinct, args.qps, tmp)]
        finally:
            redis.stop()
    load = os.getloadavg()[0]
    print(f"{args.processes} processes x {args.shared + args.own} images ({args.shared} shared by all), "
          f"{args.processes * (args.shared + args.own)} searches, {distinct} distinct images; qps={args.qps} each, "
          f"sandbox limit {args.qps}/s; load average {load:.1f} on {os.cpu_count()} cores")
    print(f"{'setting':<22} {'calls':>6} {'minimum':>8} {'refusals':>9} {'retries':>8} {'failed':>7} "
          f"{'wall s':>7} {'ideal s':>8} {'wall/ideal':>10}")
    for r in rows:
        print(f"{r['setting']:<22} {r['calls']:>6} {r['minimum']:>8} {r['refusals']:>9} {r['retries']:>8} "
              f"{r['failures']:>7} {r['wall']:>7.1f} {r['ideal']:>8.1f} {r['wall'] / r['ideal']:>10.2f}")


if __name__ == "__main__":
    main()
