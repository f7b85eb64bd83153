"""Figures for docs/reliability.md: calls vs the minimum across processes, peak memory under hostile answers,
memory kept after a batch of files. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_reliability.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_PEAK = """
import resource, sys, patsnap_analytics as pa
from patsnap_analytics.retry import RetryPolicy
client = pa.Client(api_key="bench-key-0123456789", base_url=sys.argv[1], cache=sys.argv[2],
                   retry=RetryPolicy(max_attempts=1))
try:
    client.search_designs("https://img.example/x.png", limit=2)
except Exception as exc:
    print(type(exc).__name__, end=" ")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

_WORKER = """
import sys, time, pathlib
import patsnap_analytics as pa
from patsnap_analytics.flight import SingleFlight
url, key, cache, folder, go, locks = sys.argv[1:7]
client = pa.Client(api_key=key, base_url=url, cache=cache)
if locks == "off":  # the control: threads of one process still queue, processes do not
    client.searcher.flight.shared = None
pathlib.Path(go + ".ready" + str(time.time_ns())).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.01)
client.search_many(folder, workers=4, limit=3, progress=False)
"""


def peak_rss(answer) -> str:
    from tests.standin import StandIn

    with StandIn(answer) as api, tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _PEAK, api.url, f"{tmp}/c.sqlite"], capture_output=True,
                             text=True, cwd=ROOT).stdout.split()
        size = sum(p.stat().st_size for p in Path(tmp).iterdir() if p.is_file())
    return f"{out[0]}, peak RSS {out[-1]} MB, cache files {size / 1024:.0f} KB"


def processes(locks: str, images: int = 12) -> int:
    from patsnap_analytics.sandbox import Sandbox
    from tests.test_batch import drawings, write_folder

    with tempfile.TemporaryDirectory() as tmp, Sandbox(designs=300, latency=0.05) as sb:
        folder = Path(tmp) / "q"
        write_folder(folder, drawings(images, seed=9))
        go = Path(tmp) / "go"
        procs = [subprocess.Popen([sys.executable, "-c", _WORKER, sb.url, sb.api_key, f"{tmp}/c.sqlite",
                                   str(folder), str(go), locks], cwd=ROOT) for _ in range(3)]
        while len(list(Path(tmp).glob("go.ready*"))) < 3:
            time.sleep(0.05)
        go.touch()
        for p in procs:
            p.wait()
        return sum(sb.stats.values())


def kept_after_files(n: int = 200) -> str:
    import tracemalloc

    import numpy as np
    from PIL import Image

    import patsnap_analytics as pa
    from patsnap_analytics.images import ImageRef

    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        paths = []
        for i in range(n):
            path = Path(tmp) / f"{i}.png"
            Image.fromarray(rng.integers(0, 256, (300, 280), dtype=np.uint8)).save(path)  # ~85 KB of noise
            paths.append(path)
        client = pa.Client(api_key="sk-x", cache=False)
        tracemalloc.start()
        for path in paths:
            client.searcher._remember(ImageRef.from_any(path))
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        total = sum(p.stat().st_size for p in paths)
    return f"{n} files, {total / 2**20:.1f} MB on disk: {kept / 2**20:.2f} MB kept (peak {peak / 2**20:.1f} MB)"


def main() -> None:
    from patsnap_analytics.http_limits import MAX_ANSWER_BYTES

    # built a MB at a time: a 300 MB buffer here would raise the peak the child processes inherit (ru_maxrss
    # survives fork and exec on Linux)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    megabyte = b"\0" * 2**20
    bomb = b"".join(packer.compress(megabyte) for _ in range(300)) + packer.flush()
    from tests.standin import rows

    print(f"answer cap: {MAX_ANSWER_BYTES / 2**20:g} MB decoded")
    print("a normal answer (the baseline):",
          peak_rss(lambda h: h.json({"status": True, "error_code": 0, "data": rows(100)})))
    print("endless answer:", peak_rss(lambda h: h.stream(b"x" * 65536, limit=200 * 2**20)))
    print(f"gzip bomb of {len(bomb) / 1024:.0f} KB (300 MB inflated):",
          peak_rss(lambda h: h.send(200, bomb, Content_Encoding="gzip")))
    print("memory kept:", kept_after_files())
    for locks in ("on", "off"):
        print(f"3 processes x 12 images (minimum 24 calls), cross-process lock {locks}: {processes(locks)} calls")


if __name__ == "__main__":
    main()
