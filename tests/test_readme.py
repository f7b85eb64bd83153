"""The README is a manual that stays true: its Python and command-line examples run as written (against the
embedded sandbox: no credentials here), its filter table is what the code's FILTERS table says, and every
variable and file it names exists."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from patsnap_analytics.settings import ENV_VARS

from .conftest import ROOT

README = ROOT / "README.md"
# a command line the test cannot run as written: it serves until Ctrl+C, or needs the reader's own drawings
_NOT_RUN = ("sandbox serve", "sandbox index", "drawings/", "my-corpus")


def readme() -> str:
    return README.read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme(), flags=re.S)


def test_readme_python_examples_run(monkeypatch, tmp_path):
    python = blocks("python")
    assert len(python) >= 3
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    import patsnap_analytics as pa

    real_connect = pa.connect

    def small_sandbox(*args, **kwargs):  # the README's pa.connect(), on the small test corpus
        kwargs.setdefault("sandbox_options", {"designs": 300})
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(pa, "connect", small_sandbox)
    monkeypatch.setenv("PATSNAP_CACHE_DIR", str(tmp_path))
    try:
        for block in python:
            for name in ("landscape.html", "review.xlsx"):  # written into a temporary folder, not the checkout
                block = block.replace(f'"{name}"', repr(str(tmp_path / name)))
            exec(compile(block, "README.md", "exec"), namespace)
    finally:
        if "client" in namespace:
            namespace["client"].close()
        import matplotlib.pyplot as plt

        plt.close("all")  # the README's charts were drawn on new pyplot figures
    hits, rich, deep = namespace["hits"], namespace["rich"], namespace["deep"]
    assert len(hits) > 0 and hits.attrs["source"] == "sandbox"
    assert rich["simple_legal_status_label"].notna().all() and rich["current_assignee"].notna().any()
    assert rich.attrs["label_routes"]["simple_legal_status"]["route"] == "rows"
    assert len(deep) == 250 and deep["rank"].tolist() == list(range(1, 251))
    assert namespace["views"].attrs["endpoint"] == "/search/patent/image-multiple"
    assert (tmp_path / "landscape.html").stat().st_size > 10_000 and (tmp_path / "review.xlsx").is_file()


def _command_lines() -> list[str]:
    lines = []
    for block in blocks("bash"):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith("patsnap-analytics ") and not any(skip in command for skip in _NOT_RUN):
                lines.append(command)
    return lines


def test_the_readme_command_lines_run(tmp_path):
    lines = _command_lines()
    assert len(lines) >= 5
    script = Path(sys.executable).with_name("patsnap-analytics")
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for line in lines:  # through bash, as a reader types them: "$(patsnap-analytics samples watch)" included
        command = line.replace("demo-output", str(tmp_path / "demo")).replace("report-output", str(tmp_path / "report"))
        command = " ".join(shlex.quote(str(tmp_path / a)) if a.startswith("hits.") else a for a in command.split(" "))
        done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"
    assert (tmp_path / "hits.csv").stat().st_size > 0 and (tmp_path / "hits.xlsx").stat().st_size > 0
    assert (tmp_path / "demo" / "landscape.html").is_file()
    assert {p.name for p in (tmp_path / "report").iterdir()} >= {"landscape.html", "review.xlsx", "results.csv"}


def test_the_filter_table_is_the_code_s():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import readme_tables
    finally:
        sys.path.pop(0)
    assert readme_tables.render(readme()) == readme(), "run: python scripts/readme_tables.py --write"


def test_every_environment_variable_is_documented():
    text = readme()
    for name in ENV_VARS:
        assert f"`{name}" in text, name


@pytest.mark.parametrize("path", ["data/README.md", "notebooks/app.ipynb",
                                  "notebooks/02_landscape_report.ipynb", "scripts/readme_tables.py"])
def test_files_the_readme_names_exist(path):
    assert path in readme()
    assert (ROOT / path).is_file()


def test_the_links_to_docs_resolve():
    for target in re.findall(r"\]\((docs/[^)#]+)\)", readme()):
        assert (ROOT / target).is_file(), target
