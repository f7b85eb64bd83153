"""Several processes searching the same images at once pay the minimum once (issue 13, item 6).

Three real processes share one cache file and one sandbox; they start together (a go-file they wait for)
and the sandbox's latency knob keeps their searches in flight at the same time. The server's own counters
say what the run cost.
"""

from __future__ import annotations

import subprocess
import sys
import time

from patsnap_analytics.store.flight import FileKeyLocks, SingleFlight

from .conftest import SEARCH, UPLOAD
from .test_batch import drawings, write_folder

_WORKER = """
import sys, time, pathlib
import patsnap_analytics as pa
url, key, cache, folder, go, ready = sys.argv[1:7]
client = pa.Client(api_key=key, base_url=url, cache=cache)
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.01)
df = client.search_many(folder, workers=4, limit=3, progress=False)
print(df["query"].nunique(), df.attrs["calls_spent"], len(df.attrs["failures"]))
"""


def test_three_processes_searching_the_same_images_pay_the_minimum(sb, tmp_path):
    images = 12
    folder = tmp_path / "q"
    write_folder(folder, drawings(images, seed=9))
    sb.configure(latency=0.05)  # searches overlap in time; correctness does not depend on it
    go = tmp_path / "go"
    procs = []
    for n in range(3):
        ready = tmp_path / f"ready{n}"
        procs.append((ready, subprocess.Popen(
            [sys.executable, "-c", _WORKER, sb.url, sb.api_key, str(tmp_path / "c.sqlite"), str(folder), str(go),
             str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    while not all(ready.exists() or proc.poll() is not None for ready, proc in procs):
        time.sleep(0.05)
    go.touch()
    outputs = [proc.communicate(timeout=600) for _, proc in procs]
    for (_, proc), (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        found, _, failed = out.split()
        assert found == str(images) and failed == "0"
    assert sb.stats[UPLOAD] == images and sb.stats[SEARCH] == images  # the minimum: one upload, one search each
    assert sum(int(out.split()[1]) for out, _ in outputs) == 2 * images


def test_a_shared_lock_makes_two_flights_of_one_key_take_turns(tmp_path):
    import threading

    locks = FileKeyLocks(tmp_path / "locks")
    a, b = SingleFlight(locks), SingleFlight(locks)  # two "processes": separate in-process locks
    inside, overlap = [], []

    def run(flight):
        for _ in range(20):
            with flight.hold("search:k"):
                inside.append(1)
                overlap.append(len(inside))
                inside.pop()

    threads = [threading.Thread(target=run, args=(f,)) for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(overlap) == 40 and max(overlap) == 1
    assert len(list((tmp_path / "locks").iterdir())) == 1
