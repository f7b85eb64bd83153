"""The hot path, each figure a ratio measured in one run (issue 24): an uncached call against a raw ``requests``
call of the same request, a cache hit against a bare requests-cache hit of the same answer, and
``import patsnap_analytics`` against ``import pandas, requests``.

1. **Uncached**, on every endpoint, against one loopback sandbox (serving from a process of its own, as a remote
   API would; ``--in-process`` runs it in a thread instead): ours is the public call an analyst makes
   (``search_designs`` on a client without a cache, the image already uploaded and searched by its URL;
   ``upload_image(refresh=True)``; ``enrich(fields=..., refresh=True)`` of 100 patents), frame included; raw is
   ``requests.Session().request(...)`` of the same request — the request ours sent, captured on the wire — and
   ``.json()``. The sandbox's own time is in both sides, so the overhead in ms (ours - raw) is printed too: it
   is what the goal is about. ``search-id + results`` is a search of 200 ranks against the same two raw requests.
   Then what 500 uncached searches in a row leave in memory (each call's deadline watchdog once kept its answer
   alive for the whole timeout: +25 MB).
2. **Cache hit**, per search endpoint: ours is ``search_designs`` answered from the SQLite cache file, the
   typed frame included; bare is a requests-cache ``CachedSession`` on the same SQLite backend (a file of its
   own, JSON serializer, the same request) returning its stored response, and ``.json()``.
3. **The frame alone** (``--only frame``): ``results_frame`` of a search-id and an image-single answer, warm (in a
   loop) and cold (the CPU's caches flushed before each build, as the wait for an answer leaves them), with the
   distinct Python functions one build runs, beside ``pd.DataFrame(rows)`` of the same rows (untyped). A build
   right after a network wait costs by the code it runs more than by its rows: this is the figure to watch when
   changing the frame (issue 24).
4. **Import**, in fresh subprocesses: the seconds ``import patsnap_analytics`` takes against
   ``import pandas, requests`` (each timed inside its own child, without the interpreter's start; bytecode
   cached, as for any installed package).

The machine is shared, so every comparison is interleaved (A B B A, repeated) so that load hits both sides
alike, and medians are printed: wall clock (what the goals are stated in) and the calling thread's CPU time
(what the client itself spends, the figure other processes' load moves least). Asserts nothing. ``--profile``
also prints where a cache hit and an uncached call spend their CPU (cProfile: the toolkit's functions,
pandas' frame constructor and requests-cache, by cumulative time).

    .venv/bin/python benchmarks/bench_hot_path.py [--designs 2000] [--repeats 41] [--imports 41] [--profile]
    .venv/bin/python benchmarks/bench_hot_path.py --only uncached     # or hit, frame, import
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

import patsnap_analytics as pa
from patsnap_analytics.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "data" / "queries").glob("*.png"))  # the sample drawings
ENRICH = ("bibliography", "simple_legal_status", "legal_status")


#: A client on the sandbox with the given cache (``False``: none).
Connect = Callable[[object], pa.Client]


@contextlib.contextmanager
def served(designs: int) -> Iterator[tuple[str, str]]:
    """A sandbox in a process of its own (``patsnap-analytics sandbox serve``): its URL and api key."""
    child = subprocess.Popen([sys.executable, "-m", "patsnap_analytics.cli", "sandbox", "serve", "--designs",
                              str(designs)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = key = None
        for line in child.stdout or ():
            if "serving at" in line:
                url = line.split("serving at", 1)[1].split()[0]
            elif "api key:" in line:
                key = line.split("api key:", 1)[1].strip()
                break
        if not url or not key:
            raise RuntimeError("the sandbox did not start")
        yield url, key
    finally:
        child.terminate()
        child.wait(timeout=30)


def interleaved(ours: Callable[[], object], theirs: Callable[[], object], repeats: int) -> list[tuple[float, float]]:
    """Median (wall, CPU of the calling thread) seconds of each side, timed A B B A ... so that a burst of load
    hits both sides alike. The thread's CPU time leaves out the sandbox (its own thread) and the waiting: it is
    what the client itself spends, and the figure least moved by the other processes of a shared machine."""
    times: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for i in range(repeats):
        for side in ((0, 1) if i % 2 == 0 else (1, 0)):
            fn = ours if side == 0 else theirs
            t0, c0 = time.perf_counter(), time.thread_time()
            fn()
            times[side].append((time.perf_counter() - t0, time.thread_time() - c0))
    return [(statistics.median(w for w, _ in times[s]), statistics.median(c for _, c in times[s])) for s in (0, 1)]


def recorded(session: requests.Session, fn: Callable[[], object]) -> list[requests.PreparedRequest]:
    """Every request ``fn`` sends through ``session``, in order (a response hook)."""
    sent: list[requests.PreparedRequest] = []

    def hook(response: requests.Response, *args: object, **kwargs: object) -> None:
        sent.append(response.request)

    session.hooks["response"].append(hook)
    try:
        fn()
    finally:
        session.hooks["response"].remove(hook)
    return sent


def replay(prepared: requests.PreparedRequest) -> Callable[[requests.Session], requests.Response]:
    """The same request as a raw ``requests`` call: method, URL, query parameters and body."""
    parts = urlsplit(prepared.url or "")
    url, method = f"{parts.scheme}://{parts.netloc}{parts.path}", prepared.method or "GET"
    params = parse_qsl(parts.query, keep_blank_values=True)
    content_type = prepared.headers.get("Content-Type", "")
    if content_type == "application/json":
        body = json.loads(prepared.body or b"null")
        return lambda s: s.request(method, url, params=params, json=body)
    if content_type.startswith("multipart/"):
        data, headers = prepared.body, {"Content-Type": content_type}
        return lambda s: s.request(method, url, params=params, data=data, headers=headers)
    return lambda s: s.request(method, url, params=params)


def raw_of(session: requests.Session, sent: list[requests.PreparedRequest]) -> Callable[[], list]:
    """Each request ``sent`` as a raw call on ``session``, and ``.json()`` of each answer."""
    calls = [replay(p) for p in sent]
    return lambda: [call(session).json() for call in calls]


def uncached_cases(client: pa.Client, url: str, url2: str, image: bytes, hits) -> dict[str, Callable[[], object]]:
    """What an analyst calls, per endpoint, on a client without a cache (the image already uploaded)."""
    ids = hits.head(100)
    return {
        "search-id (limit 100)": lambda: client.search_designs(url, limit=100),
        "search-id + results (200)": lambda: client.search_designs(url, limit=200),
        "image-single (model 2)": lambda: client.search_designs(url, endpoint="image-single", model=2, limit=100),
        "image-single-beta": lambda: client.search_designs(url, endpoint="image-single-beta", limit=100),
        "image-multiple (2 views)": lambda: client.search_designs(pa.Views(url, url2), limit=100),
        "upload": lambda: client.upload_image(image, refresh=True),
        **{f"enrich {name}": (lambda name=name: client.enrich(ids, fields=name, refresh=True, progress=False))
           for name in ENRICH},
    }


HIT_CASES = {
    "search-id (limit 100)": {"limit": 100},
    "image-single (model 2)": {"endpoint": "image-single", "model": 2, "limit": 100},
    "image-multiple (2 views)": {"endpoint": "image-multiple", "limit": 100},
}


def bench_uncached(connect: Connect, url: str, url2: str, image: bytes, repeats: int) -> list[tuple]:
    client = connect(False)
    hits = client.search_designs(url, endpoint="image-single", limit=100)
    raw = requests.Session()
    rows = []
    for name, ours in uncached_cases(client, url, url2, image, hits).items():
        sent = recorded(client.session, ours)  # also the warm-up
        theirs = raw_of(raw, sent)
        theirs()
        rows.append((name, len(sent), *interleaved(ours, theirs, repeats)))
    return rows


def kept_memory(client: pa.Client, url: str, searches: int = 500) -> str:
    """What ``searches`` uncached searches in a row leave in memory: the growth of this process's resident set
    (Linux), and the deadlines still held (each call's watchdog used to keep its answer for ``timeout``)."""
    from patsnap_analytics.wire import http_limits

    def resident_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    for _ in range(20):
        client.search_designs(url, limit=100)
    before = resident_mb()
    for _ in range(searches):
        client.search_designs(url, limit=100)
    return (f"kept after {searches} uncached searches in a row: resident set {resident_mb() - before:+.1f} MB, "
            f"{len(http_limits._ALARMS._due)} deadline(s) held")


def searching(client: pa.Client, target: object, filters: dict) -> Callable[[], object]:
    return lambda: client.search_designs(target, **filters)


def bench_hits(connect: Connect, url: str, url2: str, folder: Path, repeats: int) -> list[tuple]:
    from requests_cache import CachedSession

    client = connect(folder / "ours.sqlite")
    bare = CachedSession(str(folder / "bare.sqlite"), backend="sqlite", serializer="json",
                         allowable_methods=("GET", "POST"), expire_after=3600)
    rows = []
    for name, filters in HIT_CASES.items():
        target = [url, url2] if filters.get("endpoint") == "image-multiple" else url
        ours = searching(client, target, filters)
        sent = recorded(client.session, ours)  # stores the answer
        if not ours().attrs["from_cache"]:  # the figure would time something else: say so rather than print it
            raise SystemExit(f"bench_hot_path: {name}: our cache hit was not a hit; nothing measured")
        theirs = raw_of(bare, sent)
        theirs()  # stored
        if not all(replay(p)(bare).from_cache for p in sent):
            raise SystemExit(f"bench_hot_path: {name}: the bare requests-cache hit was not a hit; nothing measured")
        rows.append((name, *interleaved(ours, theirs, repeats)))
    return rows


_CHILD = ("import time; t, c = time.perf_counter(), time.process_time(); import {what}; "
          "print(time.perf_counter() - t, time.process_time() - c)")


def import_seconds(what: str, pycache: Path) -> tuple[float, float]:
    """Seconds ``import <what>`` takes in a fresh interpreter (wall clock, and CPU: less moved by other
    processes' load), bytecode cached as for any installed package (a
    ``pycache_prefix`` of our own: an environment with PYTHONDONTWRITEBYTECODE would otherwise compile the
    toolkit from source on every start while pandas' bytecode came with its wheel)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-X", f"pycache_prefix={pycache}", "-c", _CHILD.format(what=what)],
                          capture_output=True, text=True, check=True, cwd=pycache.parent, env=env)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def bench_import(repeats: int, pycache: Path) -> list[tuple[str, float, float]]:
    """Median wall and CPU seconds of each import, children started A B B A ..."""
    import_seconds("patsnap_analytics", pycache)  # the bytecode of both written before timing
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    interleaved(lambda: ours.append(import_seconds("patsnap_analytics", pycache)),
                lambda: base.append(import_seconds("pandas, requests", pycache)), repeats)  # children time themselves
    return [(what, statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
            for what, times in (("import patsnap_analytics", ours), ("import pandas, requests", base))]


def distinct_functions(fn: Callable[[], object]) -> int:
    """How many distinct Python functions one call of ``fn`` runs (what a build right after a network wait pays
    for: each is code and data out of the CPU's caches)."""
    seen: set[tuple[str, int]] = set()

    def tracer(frame, event, arg):  # sys.setprofile's signature
        if event == "call":
            seen.add((frame.f_code.co_filename, frame.f_code.co_firstlineno))

    fn()
    sys.setprofile(tracer)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return len(seen)


def warm_and_cold(fn: Callable[[], object], repeats: int, rounds: int = 5) -> tuple[float, float]:
    """Median seconds of ``fn`` in a loop (warm) and with the CPU's caches flushed before each call (cold: 64 MB
    written, as a wait on the network lets other processes do); ``rounds`` blocks of each in turn, so that load
    hits both alike."""
    import numpy as np

    flush = np.ones(8 * 2**20)
    warm: list[float] = []
    cold: list[float] = []
    for _ in range(rounds):
        for flushed, times in ((False, warm), (True, cold)):
            fn()
            for _ in range(max(1, repeats // rounds)):
                if flushed:
                    flush[::8] += 1.0  # one write per cache line
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
    return statistics.median(warm), statistics.median(cold)


def bench_frames(connect: Connect, url: str, repeats: int) -> list[tuple]:
    """``results_frame`` of one answer per kind of row (search-id's five fields, image-single's rich ones) against
    ``pd.DataFrame(rows)`` of the same rows (untyped: what a client without a result contract would return)."""
    import pandas as pd

    from patsnap_analytics.frames import results_frame

    client = connect(False)
    rows = []
    for name, filters in (("search-id (limit 100)", {"limit": 100}),
                          ("image-single (model 2)", {"endpoint": "image-single", "model": 2, "limit": 100})):
        sent = recorded(client.session, lambda filters=filters: client.search_designs(url, **filters))
        data = replay(sent[-1])(requests.Session()).json()["data"]
        ours = lambda data=data: results_frame(data, query="q", sorted_by_similarity=True, query_key="url:q")  # noqa: E731
        naive = lambda data=data: pd.DataFrame(data["patent_messages"])  # noqa: E731
        rows.append((name, len(data["patent_messages"]), *warm_and_cold(ours, repeats), distinct_functions(ours),
                     *warm_and_cold(naive, repeats), distinct_functions(naive)))
    return rows


def profile(label: str, fn: Callable[[], object], n: int = 40) -> None:
    """Where one call's CPU goes (cProfile on this thread's CPU clock): the toolkit's functions, pandas' frame
    constructor and requests-cache, by cumulative time per call."""
    fn()
    prof = cProfile.Profile(time.thread_time)
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    stats = pstats.Stats(prof)
    print(f"\n-- profile: {label}: {stats.total_tt / n * 1e3:.2f} ms CPU a call under cProfile "  # type: ignore[attr-defined]
          "(cProfile slows Python code: read the shares)")
    timings = stats.stats.items()  # type: ignore[attr-defined]
    rows = [(ct / n, f"{_short(file)}:{func}") for (file, _, func), (_, _, _, ct, _) in timings
            if "patsnap_analytics" in file or "requests_cache" in file or file.endswith("pandas/core/frame.py")]
    for seconds, where in sorted(rows, reverse=True)[:18]:
        print(f"  {seconds * 1e3:8.3f} ms  {where}")


def _short(file: str) -> str:
    return file[file.find("patsnap_analytics"):] if "patsnap_analytics" in file else file.split("site-packages/")[-1]


def http_figures(connect: Connect, args: argparse.Namespace, folder: Path) -> None:
    """The uncached and cache-hit tables (and the profiles) against one sandbox."""
    image, image2 = SAMPLES[0].read_bytes(), SAMPLES[1].read_bytes()
    setup = connect(False)
    url, url2 = setup.upload_image(image).url, setup.upload_image(image2).url
    if args.only in (None, "uncached"):
        rows = bench_uncached(connect, url, url2, image, args.repeats)
        print(f"Uncached, loopback sandbox of {args.designs} designs, median of {args.repeats} interleaved "
              "(wall: the goal's ratio; CPU: the calling thread's own time)")
        print(f"{'call':28}{'calls':>6}{'ours ms':>9}{'raw ms':>9}{'ratio':>7}{'overhead':>10}"
              f"{'CPU ours':>10}{'CPU raw':>9}{'CPU overhead':>14}")
        for name, calls, (ours_wall, ours_cpu), (raw_wall, raw_cpu) in rows:
            print(f"{name:28}{calls:6d}{ours_wall * 1e3:9.2f}{raw_wall * 1e3:9.2f}{ours_wall / raw_wall:7.2f}"
                  f"{(ours_wall - raw_wall) * 1e3:10.2f}{ours_cpu * 1e3:10.2f}{raw_cpu * 1e3:9.2f}"
                  f"{(ours_cpu - raw_cpu) * 1e3:14.2f}")
        print(kept_memory(connect(False), url))
        print()
    if args.only in (None, "hit"):
        rows = bench_hits(connect, url, url2, folder, args.repeats)
        print(f"Cache hit (SQLite file), median of {args.repeats} interleaved")
        print(f"{'search':28}{'ours ms':>9}{'bare ms':>9}{'ratio':>7}{'CPU ours':>10}{'CPU bare':>10}{'CPU ratio':>11}")
        for name, (ours_wall, ours_cpu), (bare_wall, bare_cpu) in rows:
            print(f"{name:28}{ours_wall * 1e3:9.2f}{bare_wall * 1e3:9.2f}{ours_wall / bare_wall:7.2f}"
                  f"{ours_cpu * 1e3:10.2f}{bare_cpu * 1e3:10.2f}{ours_cpu / bare_cpu:11.2f}")
        print()
    if args.only in (None, "frame"):
        rows = bench_frames(connect, url, args.repeats)
        print(f"Result frame alone, median of {args.repeats} (cold: the CPU's caches flushed before each build; "
              "functions: distinct Python functions one build runs)")
        print(f"{'answer':24}{'rows':>5}{'ours warm':>11}{'cold':>8}{'functions':>10}{'naive warm':>12}{'cold':>8}"
              f"{'functions':>10}{'cold ratio':>11}")
        for name, n, ours_warm, ours_cold, ours_fns, naive_warm, naive_cold, naive_fns in rows:
            print(f"{name:24}{n:5d}{ours_warm * 1e6:9.0f}us{ours_cold * 1e6:6.0f}us{ours_fns:10d}"
                  f"{naive_warm * 1e6:10.0f}us{naive_cold * 1e6:6.0f}us{naive_fns:10d}{ours_cold / naive_cold:11.2f}")
        print()
    if args.profile:
        cached = connect(folder / "profile.sqlite")
        profile("cache hit, image-single limit 100",
                lambda: cached.search_designs(url, endpoint="image-single", limit=100))
        uncached = connect(False)
        profile("uncached, image-single limit 100",
                lambda: uncached.search_designs(url, endpoint="image-single", limit=100))
        print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=41)
    ap.add_argument("--imports", type=int, default=41, help="fresh subprocesses per side for the import figure")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--in-process", action="store_true",
                    help="run the sandbox in a thread of this process (its allocations and the GIL then weigh on "
                         "both sides) instead of a process of its own, as a remote API would be")
    ap.add_argument("--only", choices=("uncached", "hit", "frame", "import"), default=None)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    folder = Path(tempfile.mkdtemp(prefix="bench-hot-"))
    if args.only != "import" and args.in_process:
        with Sandbox(designs=args.designs) as sb:
            http_figures(lambda cache: pa.connect(sandbox=sb, cache=cache), args, folder)
    elif args.only != "import":
        with served(args.designs) as (url, key):
            http_figures(lambda cache: pa.Client(key, base_url=url, cache=cache), args, folder)
    if args.only in (None, "import"):
        rows = bench_import(args.imports, folder / "pycache")
        print(f"Import in a fresh process (bytecode cached), median of {args.imports} interleaved")
        print(f"{'':28}{'wall ms':>10}{'CPU ms':>10}")
        for what, wall, cpu in rows:
            print(f"{what:28}{wall * 1e3:10.1f}{cpu * 1e3:10.1f}")
        (_, ours_wall, ours_cpu), (_, base_wall, base_cpu) = rows
        print(f"{'ratio':28}{ours_wall / base_wall:10.3f}{ours_cpu / base_cpu:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
