"""Re-execute the notebooks against the sandbox and save them with small, stable, secret-free outputs.

Run after a change that moves what the notebooks show (the engine, the corpus, a chart):

    python scripts/refresh_notebooks.py [notebooks/01_quickstart.ipynb ...]

It strips what must never be committed: widget state (it can hold uploaded bytes), the sandbox's announcement
line (its port changes every run), execution timings; and it fails if a sandbox key or a token slipped into
an output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SECRET = re.compile(r"sk-sandbox-[0-9a-f]{8,}|Bearer\s+[A-Za-z0-9._-]{16,}")


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue  # the sandbox announcement (a random port) and progress bars
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
            kept.append(out)
        cell.outputs = kept
    text = nbformat.writes(nb)
    if SECRET.search(text):
        raise SystemExit(f"{path}: an output holds a key or token; not saved")
    path.write_text(text, encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(text) // 1024} KB")


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        refresh(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
