"""The study notebook (notebooks/03_scoring_study.ipynb): its run time and the calls it spends, as CI runs it.

Each run executes a copy of the notebook in a fresh kernel (nbclient, as nbval does) with an empty user cache, on the
default sandbox corpus built beforehand (the first notebook of a CI run builds it; its cold build is measured in
docs/engine.md). After the notebook's last cell one more cell reads the calls from the client's counters and the
sandbox's server-side ones. Prints the wall time of each run (kernel start included), the slowest cells of the
median run, and the calls.

    python benchmarks/bench_study_notebook.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_scoring_study.ipynb"
PROBE = ("import json\n"
         "print('BENCH', json.dumps({'client': client.stats.as_dict(), 'server': dict(client.owned_sandbox.stats)}))")


def _seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def run_once(workdir: Path) -> tuple[float, list[tuple[float, str]], dict]:
    """One execution: (wall seconds, [(seconds, first line of the cell)], the calls the probe read)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    os.environ["PATSNAP_CACHE_DIR"] = str(workdir / "cache")  # an empty user cache, as on a CI machine
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    wall = time.perf_counter() - started
    cells = sorted(((_seconds(c), c.source.splitlines()[0][:60] if c.source else "")
                    for c in nb.cells if c.cell_type == "code"), reverse=True)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    calls = json.loads(text.split("BENCH", 1)[1])
    return wall, cells, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from patsnap_analytics.sandbox import Sandbox

    started = time.perf_counter()
    with Sandbox():  # the default corpus and its index, built once (a no-op when cached)
        pass
    print(f"default sandbox ready in {time.perf_counter() - started:.1f} s (build excluded below)")
    runs = []
    for i in range(args.repeats):
        workdir = Path(tempfile.mkdtemp(prefix="bench-study-nb-"))
        try:
            runs.append(run_once(workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"run {i + 1}: {runs[-1][0]:.1f} s, load {os.getloadavg()[0]:.1f}")
    walls = [w for w, _, _ in runs]
    _, cells, calls = sorted(runs, key=lambda r: r[0])[len(runs) // 2]  # the median run
    print(f"\nwall time: median {statistics.median(walls):.1f} s (min {min(walls):.1f}, max {max(walls):.1f}) over "
          f"{len(walls)} runs")
    print("slowest cells of the median run:")
    for seconds, first in cells[:6]:
        print(f"  {seconds:5.1f} s  {first}")
    client, server = calls["client"], {k: v for k, v in calls["server"].items() if v}
    print(f"\ncalls (client): {client['total_calls']} — {client['calls']}")
    print(f"calls (sandbox, server side): {sum(server.values())} — {server}")
    print(f"uploads reused {client['upload_reuses']}, study images fetched {client['image_downloads']} "
          "(image links, not calls)")


if __name__ == "__main__":
    main()
