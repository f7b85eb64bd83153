"""Build steps in chunks: real worker processes give what this process gives, and are never required."""

from __future__ import annotations

import math
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from patsnap_analytics.sandbox import parallel
from patsnap_analytics.sandbox.index import describe_views
from patsnap_analytics.sandbox.parallel import READY, receive, run_chunks, send
from patsnap_analytics.sandbox.sample import _draw_designs, drawing_rows, sample_corpus, sample_metadata


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    corpus = sample_corpus(12, seed=21, cache_dir=tmp_path_factory.mktemp("parallel-corpus"))
    return sorted(str(p) for p in (corpus.root / "views").iterdir())


def test_a_worker_process_answers_as_this_process_does(views: list[str]) -> None:
    proc = parallel._start_worker()
    assert proc is not None
    try:
        send(proc.stdin, describe_views)
        assert receive(proc.stdout) == READY
        send(proc.stdin, views[:5])
        ok, block = receive(proc.stdout)
        assert ok
        np.testing.assert_array_equal(block, describe_views(views[:5]))
        send(proc.stdin, ["/no/such/drawing.png"])
        ok, text = receive(proc.stdout)
        assert not ok and "FileNotFoundError" in text  # a failing chunk is reported, and the worker lives on
        send(proc.stdin, views[5:6])
        assert receive(proc.stdout)[0]
    finally:
        proc.stdin.close()  # end of requests: the worker exits by itself
        assert proc.wait(timeout=30) == 0
        proc.stdout.close()


def test_chunks_drawn_by_workers_have_the_pixels_drawn_here(tmp_path: Path) -> None:
    meta = sample_metadata(24, seed=0)
    assert {"variant", "copy"} <= set(meta.family_role)  # family members are drawn from their original's seed
    rows = drawing_rows(meta)
    outputs = []
    for workers in (0, 1):
        root = tmp_path / f"workers-{workers}"
        (root / "views").mkdir(parents=True)
        chunks = [(str(root), rows[k:k + 3], 0) for k in range(0, len(rows), 3)]
        assert sorted(i for i, _ in run_chunks(_draw_designs, chunks, workers=workers)) == list(range(len(chunks)))
        outputs.append({p.name: p.read_bytes() for p in (root / "views").iterdir()})
    assert outputs[0] == outputs[1] and len(outputs[0]) == int(meta.n_views.sum())


def test_every_chunk_is_answered_once_whoever_computes_it() -> None:
    chunks = [float(k * k) for k in range(40)]
    results = list(run_chunks(math.sqrt, chunks, workers=2))
    assert sorted(results) == [(k, float(k)) for k in range(40)]


def test_a_failing_chunk_raises_its_own_error_here() -> None:
    # a worker only reports a failure; the chunk is redone here, where the real exception is raised
    with pytest.raises(ValueError, match="math domain error"):
        list(run_chunks(math.sqrt, [4.0, 9.0, -1.0, 16.0], workers=1))


@pytest.mark.parametrize("executable", ["/no/such/bin/python3", "/usr/bin/uwsgi", ""])
def test_without_processes_everything_runs_here(monkeypatch: pytest.MonkeyPatch, views: list[str],
                                                executable: str) -> None:
    monkeypatch.setattr(sys, "executable", executable)  # cannot start / an embedding app's binary / none
    assert parallel._start_worker() is None
    chunks = [views[k:k + 2] for k in range(0, 8, 2)]
    blocks = dict(run_chunks(describe_views, chunks, workers=2))
    np.testing.assert_array_equal(np.concatenate([blocks[i] for i in range(len(chunks))]),
                                  describe_views(views[:8]))


def test_it_runs_in_a_server_thread() -> None:
    out: list = []
    thread = threading.Thread(target=lambda: out.extend(run_chunks(math.factorial, list(range(12)), workers=1)))
    thread.start()
    thread.join(timeout=60)
    assert sorted(out) == [(k, math.factorial(k)) for k in range(12)]


def test_tasks_of_the_main_module_never_go_to_workers() -> None:
    def local(x: int) -> int:
        return x

    script: dict = {"__name__": "__main__"}  # a function defined by a user's script
    exec("def task(x):\n    return x * 2\n", script)
    assert not parallel._importable(local) and not parallel._importable(script["task"])
    assert parallel._importable(math.factorial) and parallel._importable(describe_views)
    assert sorted(run_chunks(script["task"], [1, 2, 3], workers=2)) == [(0, 2), (1, 4), (2, 6)]  # done here


def test_workers_leave_no_process_behind() -> None:
    before = _children()
    list(run_chunks(math.factorial, list(range(30)), workers=2))
    assert _children() <= before


def _children() -> set[int]:
    """This process's child processes (Linux), zombies included: a worker not waited for shows up here."""
    task_dir = Path(f"/proc/{os.getpid()}/task")
    if not task_dir.is_dir():
        pytest.skip("needs /proc")
    found = set()
    for task in task_dir.iterdir():
        children = task / "children"
        if children.is_file():
            found |= {int(pid) for pid in children.read_text().split()}
    return found


JUPYTER_CELL = """
import math, os
from patsnap_analytics.sandbox import parallel
from patsnap_analytics.sandbox.index import describe_views
proc = parallel._start_worker()
parallel.send(proc.stdin, describe_views)
ready = parallel.receive(proc.stdout) == parallel.READY
parallel.send(proc.stdin, VIEWS)
ok, block = parallel.receive(proc.stdout)
proc.stdin.close(); proc.wait(); proc.stdout.close()
same = ok and bool((block == describe_views(VIEWS)).all())
chunks_ok = sorted(parallel.run_chunks(math.factorial, list(range(30)), workers=1)) == [
    (k, math.factorial(k)) for k in range(30)]
print("RESULT", ready, same, chunks_ok)
"""


def test_workers_start_from_a_jupyter_kernel(views: list[str]) -> None:
    """A kernel's __main__, stdin and stdout are not a script's: a worker must start and answer all the same."""
    manager = pytest.importorskip("jupyter_client").KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def output(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                printed.append("\n".join(msg["content"]["traceback"]))

        reply = client.execute_interactive(f"VIEWS = {views[:3]!r}\n" + JUPYTER_CELL, timeout=120,
                                           output_hook=output)
        assert reply["content"]["status"] == "ok", printed
        assert "RESULT True True True" in "".join(printed)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
