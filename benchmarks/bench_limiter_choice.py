"""Why a team's shared QPS is slots held until the answer, not a rate-limiting library's window: both, measured.

Several processes send calls as fast as their shared limiter lets them, to a sandbox whose account limit is
the same ``qps`` (it refuses a call over the limit with 67200002, counted where calls *arrive*):

* **limits** — ``limits``' ``MovingWindowRateLimiter`` on ``RedisStorage`` (``"{qps}/second"``), the library
  the issue suggested: a call leaves when the window of *departures* has room;
* **slots** — the toolkit's ``gates.SharedRateLimiter``: ``qps`` redis-py locks, each held from before a
  call until one second after its answer.

Printed: calls, refusals, wall time and wall ÷ ideal (calls / qps) for each, on the same Redis and sandbox.
Needs Debian's redis-server and ``pip install limits[redis]`` (not a dependency of the toolkit: it is only
measured here).

    python benchmarks/bench_limiter_choice.py --processes 4 --calls 60
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _png() -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(im).rectangle((10, 10, 50, 50), outline=0, width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _worker(kind: str, redis_url: str, sandbox_url: str, api_key: str, qps: int, calls: int, start: float) -> int:
    """``calls`` uploads paced by the ``kind`` limiter; returns how many the sandbox refused with 67200002."""
    import requests

    from patsnap_analytics.api import UPLOAD

    if kind == "limits":
        from limits import parse
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        window = MovingWindowRateLimiter(RedisStorage(redis_url))
        item = parse(f"{qps}/second")

        def paced(send):
            while not window.hit(item, "bench"):
                time.sleep(0.005)
            return send()
    else:
        from patsnap_analytics import Team
        from patsnap_analytics.wire.gates import SharedRateLimiter

        slots = SharedRateLimiter(Team(redis_url), "bench", qps=qps)

        def paced(send):
            with slots.hold():
                return send()

    session, image, refused = requests.Session(), _png(), 0
    time.sleep(max(0.0, start - time.time()))  # every process starts at once
    for _ in range(calls):
        answer = paced(lambda: session.post(f"{sandbox_url}{UPLOAD.path}", params={"apikey": api_key},
                                            files={"image": ("q.png", image, "image/png")}, timeout=30))
        refused += answer.json().get("error_code") == 67200002
    return refused


def measure(kind: str, redis_url: str, processes: int, calls: int, qps: int) -> dict:
    from patsnap_analytics.sandbox import Sandbox

    with Sandbox(designs=50, seed=3, qps_limit=qps) as sb:
        start = time.time() + 3.0  # workers import and connect first
        jobs = [(kind, redis_url, sb.url, sb.api_key, qps, calls, start)] * processes
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            refused = sum(pool.starmap(_worker, jobs))
        wall = time.time() - start
    total = processes * calls
    return {"kind": kind, "calls": total, "refused": refused, "wall": wall, "ideal": total / qps}


def main() -> None:
    from tests.redisserver import REDIS_SERVER, RedisServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--calls", type=int, default=60, help="calls per process")
    parser.add_argument("--qps", type=int, default=10)
    args = parser.parse_args()
    if REDIS_SERVER is None:
        sys.exit("needs redis-server (Debian's package)")
    try:
        import limits  # noqa: F401
    except ImportError:
        sys.exit("needs the limits library: pip install 'limits[redis]'")
    with tempfile.TemporaryDirectory() as name:
        redis = RedisServer(Path(name) / "redis").start()
        try:
            rows = [measure(kind, redis.url, args.processes, args.calls, args.qps) for kind in ("limits", "slots")]
        finally:
            redis.stop()
    print(f"{args.processes} processes x {args.calls} calls, shared qps {args.qps} = the sandbox's limit; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'limiter':<10}{'calls':>7}{'refused':>9}{'wall s':>8}{'ideal s':>9}{'wall/ideal':>11}")
    for r in rows:
        print(f"{r['kind']:<10}{r['calls']:>7}{r['refused']:>9}{r['wall']:>8.1f}{r['ideal']:>9.1f}"
              f"{r['wall'] / r['ideal']:>11.2f}")


if __name__ == "__main__":
    main()
