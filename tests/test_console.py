"""The installed ``patsnap-analytics`` command and a user's script, run as a user runs them: separate processes.

Nothing here calls the package in-process: each test starts the console script (or ``python script.py``),
talks to it over HTTP or reads the files it wrote, and stops it as a user would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from patsnap_analytics.sandbox import parallel
from patsnap_analytics.sandbox.corpus import load_corpus
from patsnap_analytics.sandbox.drawing import GENERATORS, render_design
from patsnap_analytics.sandbox.index import _PARALLEL_MIN_VIEWS
from patsnap_analytics.sandbox.sample import _PARALLEL_MIN_DESIGNS
from patsnap_analytics.settings import ENV_VARS

from .conftest import QUERIES, SEARCH, UPLOAD, as_in_a_terminal

EXE = Path(sys.executable).with_name("patsnap-analytics")
pytestmark = pytest.mark.skipif(not EXE.is_file(), reason="the patsnap-analytics script is not installed here")


def user_env(**changes: str) -> dict[str, str]:
    """The environment of a user without PatSnap credentials (the sandbox corpus cache as the tests set it)."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS or k in ("PATSNAP_SANDBOX_CACHE",
                                                                              "PATSNAP_CACHE_DIR")}
    return {**env, **changes}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Output:
    """A process's stdout or stderr, collected line by line in a thread (so the pipe never fills), so a test can
    wait for a line with a deadline."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if m := re.search(pattern, line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")
                self._changed.wait(min(left, 0.5))

    def text(self) -> str:
        self._thread.join(timeout=30)
        return "".join(self.lines)


def ctrl_c(proc: subprocess.Popen, err: Output, times: int = 1) -> int:
    """Press Ctrl+C ``times`` (50 ms apart) and return the exit code; a process still running 30 s later is
    killed and the test fails with its stderr."""
    for k in range(times):
        if k:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"still running 30 s after Ctrl+C; stderr:\n{''.join(err.lines)[-3000:]}") from None


def test_sandbox_serve_answers_http_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([str(EXE), "sandbox", "serve", "--port", str(port), "--designs", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=user_env(),
                            preexec_fn=as_in_a_terminal)
    out = Output(proc.stdout)
    err = Output(proc.stderr)  # drained as it comes: a full stderr pipe would block the server's own logging
    try:
        url = out.wait_for(r"serving at (http://127\.0\.0\.1:\d+)").group(1)
        key = out.wait_for(r"api key:\s+(\S+)").group(1)
        out.wait_for("Press Ctrl")
        assert url == f"http://127.0.0.1:{port}"
        stats = requests.get(url + "/_sandbox/stats", timeout=10).json()
        assert stats["calls"][SEARCH] == 0
        image = (QUERIES / "query-1-10-02-watch.png").read_bytes()
        upload = requests.post(url + UPLOAD, params={"apikey": key}, files={"image": ("q.png", image)},
                               timeout=30).json()
        assert upload["status"] is True, upload
        found = requests.get(url + SEARCH, params={"apikey": key, "url": upload["data"]["url"], "limit": 5},
                             timeout=30).json()
        assert found["status"] is True and len(found["data"]["patent_messages"]) == 5
        from patsnap_analytics.sandbox.sample import sample_metadata

        designs = int(sample_metadata(300).patent_type.eq("D").sum())  # search-id: designs, not utility models
        assert found["data"]["total_search_result_count"] == designs
        assert requests.get(url + "/_sandbox/stats", timeout=10).json()["calls"][SEARCH] == 1
    finally:
        code = ctrl_c(proc, err)
    stderr = err.text()
    assert code == 0, stderr
    assert "stopping" in out.text() and "Traceback" not in stderr


def test_sandbox_serve_stops_cleanly_on_a_double_ctrl_c() -> None:
    # an impatient user presses Ctrl+C twice: the server still winds down, without a traceback
    proc = subprocess.Popen([str(EXE), "sandbox", "serve", "--port", str(free_port()), "--designs", "300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=user_env(),
                            preexec_fn=as_in_a_terminal)
    out, err = Output(proc.stdout), Output(proc.stderr)
    try:
        out.wait_for("Press Ctrl")
        time.sleep(0.5)  # the main thread is waiting now, as a user's would be
    finally:
        code = ctrl_c(proc, err, times=2)
    stderr = err.text()
    assert code == 0 and "Traceback" not in stderr, stderr
    assert "stopping" in out.text()


def _generated_drawings(folder: Path) -> Path:
    folder.mkdir()
    rows = ["patent_pn,image,loc,title"]
    for k, code in enumerate(sorted(GENERATORS)[:4]):
        views = render_design(code, np.random.default_rng(k), ("front", "side"))
        names = []
        for v, im in enumerate(views):
            names.append(f"d{k}-{v}.png")
            im.save(folder / names[-1])
        rows.append(f"USD09{k:05d}S,{';'.join(names)},{code},Design {k}")
    (folder / "meta.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder / "meta.csv"


def _real_drawings_csv(sheets: list[Path], out: Path) -> Path:
    by_patent: dict[str, list[str]] = {}
    for sheet in sheets:
        by_patent.setdefault(sheet.name.split("-")[0] + "S", []).append(sheet.name)
    rows = ["patent_pn,image,loc"] + [f"{pn},{';'.join(names)},32-00" for pn, names in by_patent.items()]
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")  # only the CSV is written; the drawings stay put
    return out


@pytest.mark.parametrize("source", ["generated", "real"])
def test_sandbox_index_builds_a_corpus_that_loads(source: str, tmp_path: Path, request) -> None:
    if source == "real":
        sheets = request.getfixturevalue("real_drawings")  # skips where ../shared/real_drawings is absent
        images, csv = sheets[0].parent, _real_drawings_csv(sheets, tmp_path / "meta.csv")
        n_designs, n_views = len({s.name.split("-")[0] for s in sheets}), len(sheets)
    else:
        csv = _generated_drawings(tmp_path / "drawings")
        images, n_designs, n_views = csv.parent, 4, 8
    out = tmp_path / "corpus"
    done = subprocess.run([str(EXE), "sandbox", "index", str(images), "--metadata", str(csv), "--out", str(out)],
                          capture_output=True, text=True, env=user_env(), timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"indexed {n_designs} designs into {out}" in done.stdout
    corpus = load_corpus(out)
    assert len(corpus) == n_designs and int(corpus.meta.n_views.sum()) == n_views
    assert not corpus.sandbox_marked and corpus.view_path(0, 0).is_file()


def test_sandbox_index_reports_bad_rows_in_one_message(tmp_path: Path) -> None:
    csv = _generated_drawings(tmp_path / "drawings")
    csv.write_text(csv.read_text(encoding="utf-8") + "XX1,missing.png,1002,Bad\n", encoding="utf-8")
    done = subprocess.run([str(EXE), "sandbox", "index", str(csv.parent), "--metadata", str(csv), "--out",
                           str(tmp_path / "corpus")], capture_output=True, text=True, env=user_env(), timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "1 bad row(s)" in done.stderr and "missing.png" in done.stderr
    assert not (tmp_path / "corpus").exists()


# no `if __name__ == "__main__":` guard, on purpose: many users' scripts look like this
UNGUARDED_SCRIPT = """\
import logging, sys
import patsnap_analytics

logging.basicConfig(level=logging.DEBUG, format="log: %(name)s: %(message)s")
with open(sys.argv[1], "a", encoding="utf-8") as runs:
    runs.write("ran\\n")
client = patsnap_analytics.connect(sandbox_options={"designs": int(sys.argv[3])})
hits = client.search_designs(sys.argv[2], limit=3)
print(len(hits), hits.attrs["source"])
client.close()
"""


def test_a_script_without_a_main_guard_runs_once_on_a_cold_corpus(tmp_path: Path) -> None:
    designs = _PARALLEL_MIN_DESIGNS  # drawing, and indexing (a view or more a design), both go to workers
    assert designs >= _PARALLEL_MIN_VIEWS
    script, runs = tmp_path / "find_similar.py", tmp_path / "runs.txt"
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    env = user_env(PATSNAP_SANDBOX_CACHE=str(tmp_path / "cold-corpus"), PATSNAP_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, str(script), str(runs), str(QUERIES / "query-3-06-01-chair.png"),
                           str(designs)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    assert runs.read_text(encoding="utf-8").splitlines() == ["ran"]  # the script ran once: no worker re-ran it
    assert done.stdout.split() == ["3", "sandbox"]
    if parallel._default_workers() >= 1:  # the parallel path really ran, for both steps
        started = re.findall(r"started \d+ sandbox worker\(s\) for patsnap_analytics\.sandbox\.(\w+)", done.stderr)
        assert started == ["sample", "index"], done.stderr
    assert len(list((tmp_path / "cold-corpus").iterdir())) == 1  # one corpus built, not one per process
