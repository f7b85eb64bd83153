"""Figures for docs/reliability.md: calls vs the minimum across processes, peak memory under hostile answers,
memory kept after a batch of files; and issue 20's storage, team and sandbox findings (a damaged cache file, a
full disk, a Redis restarted empty or frozen, dripped bodies, few file descriptors, a costly PNG). Prints
figures; asserts nothing. Mounting a 512 KB tmpfs (the full disk) needs root; redis-server is Debian's.

    .venv/bin/python benchmarks/bench_reliability.py            # everything (a few minutes)
    .venv/bin/python benchmarks/bench_reliability.py --only issue20
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_PEAK = """
import resource, sys, patsnap_analytics as pa
from patsnap_analytics.wire.retry import RetryPolicy
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
from patsnap_analytics.store.flight import SingleFlight
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


# ---------------------------------------------------------------------------------------------- issue 20, part 3

_HOLD_CACHE = """
import sys, patsnap_analytics as pa
client = pa.Client(api_key=sys.argv[2], base_url=sys.argv[1], cache=sys.argv[3])
client.search_designs("https://img.example/a.png", limit=3)
print("ready", flush=True)
sys.stdin.read()
"""
_SECOND_CLIENT = """
import sys, time, warnings, patsnap_analytics as pa
warnings.simplefilter("ignore")
started = time.monotonic()
client = pa.Client(api_key=sys.argv[2], base_url=sys.argv[1], cache=sys.argv[3])
client.search_designs("https://img.example/b.png", limit=3)
print(f"{time.monotonic() - started:.1f}")
"""


def damaged_cache(bound: float = 300) -> str:
    """Seconds a second client takes on a cache file whose base was replaced beside another process's WAL."""
    from tests.standin import KEY, StandIn, rows

    with tempfile.TemporaryDirectory() as tmp, StandIn(lambda h: h.json(
            {"status": True, "error_code": 0, "data": rows(3)})) as api:
        path = Path(tmp) / "c.sqlite"
        holder = subprocess.Popen([sys.executable, "-c", _HOLD_CACHE, api.url, KEY, str(path)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        holder.stdout.readline()
        path.unlink()
        path.write_bytes(b"")
        try:
            out = subprocess.run([sys.executable, "-c", _SECOND_CLIENT, api.url, KEY, str(path)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=bound).stdout.strip()
        except subprocess.TimeoutExpired:
            out = f"> {bound:g} (still waiting, stopped)"
        holder.communicate("")
    return f"{out} s"


def full_disk(searches: int = 200) -> str:
    """Calls for ``searches`` searches of one image with 64 KB free on the cache's disk; cache_info's answer."""
    from PIL import Image

    import patsnap_analytics as pa
    from tests.standin import KEY, StandIn, rows

    if os.geteuid() != 0:
        return "skipped (mounting a tmpfs needs root)"
    buf = io.BytesIO()
    Image.new("L", (64, 48), 255).save(buf, "PNG")
    with tempfile.TemporaryDirectory() as tmp, StandIn(lambda h: h.json(
            {"status": True, "error_code": 0, "data": {"url": "https://img.example/u.png", "expire": 32400}}
            if "image-upload" in h.path else {"status": True, "error_code": 0, "data": rows(100)})) as api:
        folder = Path(tmp)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "none", str(folder)], check=True)
        try:
            free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
            (folder / "filler").write_bytes(b"\0" * (free - 64 * 1024))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                client = pa.Client(api_key=KEY, base_url=api.url, cache=folder / "c.sqlite")
                for _ in range(searches):
                    client.search_designs(buf.getvalue(), limit=100)
                try:
                    info = f"storage_errors {client.cache_info()['storage_errors']}"
                except Exception as exc:  # what the old code did
                    info = f"cache_info() raised {type(exc).__module__}.{type(exc).__name__}"
                client.close()
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
    return (f"{searches} searches of one image: {api.calls('/image-search/image-upload')} uploads, "
            f"{api.calls('/image-search/search-id')} searches; {info}")


def redis_restart(images: int = 30) -> str:
    """A team client with max_calls=30: calls after Redis restarts empty mid-run, and what re-running cached
    images costs after the restart."""
    import patsnap_analytics as pa
    from patsnap_analytics.errors import BudgetExceeded
    from patsnap_analytics.sandbox import Sandbox
    from tests.redisserver import REDIS_SERVER, RedisServer
    from tests.test_batch import drawings

    if REDIS_SERVER is None:
        return "skipped (redis-server is not installed)"
    pictures = drawings(images, seed=20)
    with tempfile.TemporaryDirectory() as tmp, Sandbox(designs=300) as sb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = RedisServer(Path(tmp) / "r").start()
        try:
            client = pa.connect(sandbox=sb, cache=server.url, max_calls=30)
            for image in pictures[:10]:
                client.search_designs(image, limit=3)
            server.restart()
            try:
                for image in pictures[10:20]:
                    client.search_designs(image, limit=3)
            except BudgetExceeded:
                pass
            budget = sum(sb.stats.values())
            sb.reset_stats()
            again = pa.connect(sandbox=sb, cache=server.url)
            for image in pictures:
                again.search_designs(image, limit=3)
            server.restart()
            sb.reset_stats()
            for image in pictures:
                again.search_designs(image, limit=3)
            repaid = sum(sb.stats.values())
        finally:
            server.stop()
    return (f"max_calls=30, 20 calls, Redis restarted empty, 20 more asked: {budget} calls in all; "
            f"{images} cached images re-run after a restart: {repaid} calls")


def frozen_redis(images: int = 20) -> str:
    """Wall time of a batch when Redis is frozen (SIGSTOP) just before it, against the same batch on a live one."""
    import patsnap_analytics as pa
    from patsnap_analytics.sandbox import Sandbox
    from tests.redisserver import REDIS_SERVER, RedisServer
    from tests.test_batch import drawings, write_folder

    if REDIS_SERVER is None:
        return "skipped (redis-server is not installed)"
    times = {}
    with tempfile.TemporaryDirectory() as tmp, Sandbox(designs=300) as sb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for frozen in (False, True):
            server = RedisServer(Path(tmp) / f"r{frozen}").start()
            paths = write_folder(Path(tmp) / f"q{frozen}", drawings(images, seed=21 + frozen))
            try:
                client = pa.connect(sandbox=sb, cache=server.url, qps=50)
                client.search_designs(drawings(1, seed=99)[0], limit=3)
                if frozen:
                    os.kill(server.process.pid, signal.SIGSTOP)
                started = time.monotonic()
                client.search_many(paths, workers=4, limit=3, progress=False)
                times[frozen] = time.monotonic() - started
            finally:
                if frozen:
                    os.kill(server.process.pid, signal.SIGCONT)
                server.stop()
    return f"{images} images, 4 workers: {times[False]:.1f} s on a live Redis, {times[True]:.1f} s on a frozen one"


_SANDBOX = """
import resource, sys
if sys.argv[1] != "0":
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[1])))
from patsnap_analytics.sandbox import Sandbox
with Sandbox(designs=300) as sb:
    print(sb.url, sb.api_key, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, flush=True)
    sys.stdin.read()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, flush=True)
"""


def _sandbox_process(nofile: int = 0) -> tuple[subprocess.Popen, str, str, int]:
    child = subprocess.Popen([sys.executable, "-c", _SANDBOX, str(nofile)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url, key, peak = child.stdout.readline().split()
    return child, url, key, int(peak)


def _first_answer(url: str) -> str:
    import requests

    started = time.monotonic()
    try:
        requests.get(url + "/_sandbox/stats", timeout=60).raise_for_status()
        return f"answered in {time.monotonic() - started:.2f} s"
    except requests.RequestException as exc:
        return f"{type(exc).__name__} after {time.monotonic() - started:.2f} s"


def flooded(kind: str, connections: int, nofile: int = 0) -> str:
    """How a legitimate request fares behind ``connections`` idle sockets or connections dripping a body."""
    child, url, key, _ = _sandbox_process(nofile)
    host, port = url.removeprefix("http://").split(":")
    head = (f"POST /image-search/image-upload?apikey={key} HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n").encode()
    socks = []
    try:
        for _ in range(connections):
            sock = socket.create_connection((host, int(port)), timeout=60)
            if kind == "drip":
                sock.sendall(head)
            socks.append(sock)
        time.sleep(0.5)
        answer = _first_answer(url)
    finally:
        for sock in socks:
            sock.close()
        _, err = child.communicate("", timeout=120)
    ran_out = err.count("out of system resource")
    return answer + (f"; the server ran out of file descriptors {ran_out} times" if nofile else "")


def costly_png(at_once: int) -> str:
    """Peak RSS of a sandbox that gets ``at_once`` 0.2 MB 7071x7071 RGBA PNGs at once (upload, then search)."""
    import requests
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (7071, 7071)).save(buf, "PNG")
    data = buf.getvalue()
    child, url, key, started = _sandbox_process()
    codes: list[object] = []

    def one() -> None:
        up = requests.post(url + "/image-search/image-upload", params={"apikey": key},
                           files={"image": ("a.png", data)}, timeout=600).json()
        if up.get("status") is not True:
            codes.append(up.get("error_code"))
            return
        found = requests.get(url + "/image-search/search-id", params={"apikey": key, "url": up["data"]["url"],
                                                                     "limit": 3}, timeout=600).json()
        codes.append(found.get("error_code"))

    threads = [threading.Thread(target=one) for _ in range(at_once)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out, _ = child.communicate("", timeout=120)
    return (f"{at_once} at once ({len(data) // 1024} KB each): peak {started} -> {out.split()[-1]} MB; "
            f"answers {sorted(map(str, codes))}")


def injection() -> str:
    """Cells a spreadsheet would evaluate, in every writer, for a frame of hostile text."""
    from openpyxl import load_workbook

    from patsnap_analytics.exports import reviewer_workbook, write_frame
    from tests.test_reliability_exports import FORMULA_STARTS, hostile_frame

    with tempfile.TemporaryDirectory() as tmp:
        df = hostile_frame()
        with open(write_frame(df, Path(tmp) / "h.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        live_csv = sum(cell.startswith(FORMULA_STARTS) for row in rows for cell in row
                       if not cell.lstrip("-").replace(".", "").isdigit())  # a negative number is a number
        live = {}
        for name, write in (("write_frame", write_frame), ("reviewer_workbook", reviewer_workbook)):
            path = Path(tmp) / f"{name}.xlsx"
            write(df, path)
            live[name] = sum(1 for sheet in load_workbook(path).worksheets for row in sheet.iter_rows()
                             for c in row if c.data_type == "f" or (isinstance(c.value, str)
                                                                    and c.value.startswith(FORMULA_STARTS)
                                                                    and not c.quotePrefix))
    return f"CSV cells starting a formula: {live_csv}; live xlsx cells: {live}"


def issue20() -> None:
    print("second client on a damaged cache file (fresh base beside another process's WAL):", damaged_cache())
    print("full disk (64 KB free):", full_disk())
    print("team, Redis restarted empty:", redis_restart())
    print("team, Redis frozen (SIGSTOP):", frozen_redis())
    print("sandbox, 100 connections dripping an upload body, then a request:", flooded("drip", 100))
    print("sandbox with RLIMIT_NOFILE=256, 300 idle sockets, then a request:", flooded("idle", 300, nofile=256))
    for at_once in (1, 3):
        print("sandbox, 7071x7071 RGBA PNG:", costly_png(at_once))
    print("exports of hostile text:", injection())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["issue13", "issue20"], help="one part of the figures")
    only = parser.parse_args().only
    if only != "issue20":
        issue13()
    if only != "issue13":
        issue20()


def issue13() -> None:
    from patsnap_analytics.wire.http_limits import MAX_ANSWER_BYTES

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
