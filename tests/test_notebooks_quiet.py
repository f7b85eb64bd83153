"""The committed notebooks render as an analyst sees them, without error-styled output, on the one sandbox.

nbval re-runs them in ``make test``; this checks what is committed: no ``error`` output and no ``stderr``
stream (Jupyter paints both pink), no explicit corpus size (the notebooks, the app and the CLI share the
sandbox's default, so a query shows the same top hits everywhere), and the report of notebook 02 saved next
to the notebook with a link, not in a hidden temporary folder.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "scripts"))
from refresh_notebooks import loud_outputs  # noqa: E402  (the script that writes them uses the same check)


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _code(path) -> str:
    return "\n".join("".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code")


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"01_quickstart.ipynb", "02_landscape_report.ipynb",
                                           "03_scoring_study.ipynb", "app.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_styled_output_is_committed(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert loud_outputs(nb) == [], f"{path.name}: stderr or error outputs render as pink boxes"
    kinds = {out["output_type"] for cell in nb.cells for out in cell.get("outputs", [])}
    assert kinds <= {"execute_result", "display_data", "stream"}
    streams = {out["name"] for cell in nb.cells for out in cell.get("outputs", []) if out["output_type"] == "stream"}
    assert streams <= {"stdout"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_connects_to_the_default_sandbox(path):
    code = _code(path)
    assert "pa.connect()" in code
    assert "sandbox_options" not in code and not re.search(r"(connect|Sandbox)\([^)]*\bdesigns\s*=", code), \
        f"{path.name} sets its own corpus size"


def test_the_report_is_saved_next_to_the_notebook_with_a_link():
    path = ROOT / "notebooks" / "02_landscape_report.ipynb"
    code = _code(path)
    assert "tempfile" not in code and 'landscape_report(rich, "landscape.html"' in code
    html = [o["data"]["text/html"] for c in _cells(path) for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and "landscape.html" in "".join(o["data"]["text/html"])]
    assert html and '<a href="landscape.html"' in "".join(html[0])


def test_loud_outputs_finds_both_kinds():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="fine")]
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="E", evalue="x", traceback=[]),
                           nbformat.v4.new_output("stream", name="stderr", text="pink")]
    assert loud_outputs(nb) == ["cell 1: error", "cell 1: stderr"]


@pytest.mark.parametrize(("name", "cold"), [("01_quickstart.ipynb", True), ("02_landscape_report.ipynb", False)])
def test_a_fresh_run_shows_no_error_styled_output(name, cold, tmp_path, monkeypatch):
    """What a newcomer sees on a first run, not what was committed: the quickstart on a machine that has never
    built the sandbox (a cold corpus build, its progress included), the landscape notebook on a warm one."""
    import shutil

    import nbformat
    from nbclient import NotebookClient

    if cold:
        monkeypatch.setenv("PATSNAP_SANDBOX_CACHE", str(tmp_path / "sandbox"))
    monkeypatch.setenv("PATSNAP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / name  # a copy: the landscape notebook writes its report next to itself
    shutil.copy(ROOT / "notebooks" / name, path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert loud_outputs(nb) == [], f"{name}: a fresh run paints pink boxes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_outputs_hold_no_raw_metric(path):
    """What nbval compares must not hinge on a library's float details: counts, invariants and orderings with clear
    margins are checked, never a score or a metric written to two decimals or more."""
    for cell in _cells(path):
        if cell["cell_type"] != "code" or "NBVAL_CHECK_OUTPUT" not in "".join(cell["source"]):
            continue
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"\d\.\d\d", text), f"{path.name}: a checked output holds a raw figure: {text[:300]}"


def test_the_study_notebook_never_imports_the_sandbox_and_judges_with_its_synthetic_truth():
    code = _code(ROOT / "notebooks" / "03_scoring_study.ipynb")
    assert "patsnap_analytics.sandbox" not in code and "Sandbox(" not in code  # only over HTTP, through the client
    assert "pa.demo.study_queries(client" in code and "pa.verdicts.synthetic(client" in code
    for step in ("pa.study.evaluate(", "pa.study.compare(", "pa.study.calibrate(", ".cutoff(", "pa.study.fuse("):
        assert step in code, step
