"""Re-execute the notebooks against the sandbox and save them with small, stable, secret-free outputs.

Run after a change that moves what the notebooks show (the engine, the corpus, a chart):

    python scripts/refresh_notebooks.py [notebooks/01_quickstart.ipynb ...]

The default sandbox (the one every notebook, the app and the CLI use) is started once first, so its corpus is
built and indexed before any notebook runs: no build progress lands in a notebook. A notebook that then
writes to stderr or raises is NOT saved — the committed notebooks must render as an analyst sees them, with
no error-styled (pink) output; the script names the cell instead. It strips what must never be committed:
widget state (it can hold uploaded bytes) and execution timings; and it fails if a sandbox key or a token
slipped into an output.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SECRET = re.compile(r"sk-sandbox-[0-9a-f]{8,}|Bearer\s+[A-Za-z0-9._-]{16,}")


def loud_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Where a notebook shows error-styled output: ``cell N: stderr`` / ``cell N: error`` (none is allowed).

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
        >>> nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text="oops")]
        >>> loud_outputs(nb)
        ['cell 0: stderr']
    """
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index}: error")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {index}: stderr")
    return found


def warm_up() -> None:
    """Build and index the default sandbox corpus once (a no-op when it is already cached)."""
    from patsnap_analytics.sandbox import Sandbox

    with Sandbox():
        pass


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    loud = loud_outputs(nb)
    if loud:
        raise SystemExit(f"{path}: error-styled output in {', '.join(loud)}; not saved")
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
    text = nbformat.writes(nb)
    if SECRET.search(text):
        raise SystemExit(f"{path}: an output holds a key or token; not saved")
    path.write_text(text, encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(text) // 1024} KB")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    given = parser.parse_args(argv).notebooks
    paths = [p.resolve() for p in given] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    warm_up()
    for path in paths:
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
