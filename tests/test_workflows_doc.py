"""docs/workflows.md is a manual that stays true: its Python examples run as written, in order, against a sandbox
(on the small test corpus), and what they claim holds."""

from __future__ import annotations

import re

from .conftest import ROOT, SANDBOX_DESIGNS

PAGE = ROOT / "docs" / "workflows.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_every_workflow_has_a_worked_example():
    text = PAGE.read_text(encoding="utf-8")
    for call in ("client.search_like(", "prior_art=True", "client.watch(", "client.submit_overnight(",
                 "client.collect_overnight(", "patsnap-analytics report "):
        assert call in text, call


def test_the_workflow_examples_run(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATSNAP_CACHE_DIR", str(tmp_path))
    namespace: dict = {}
    code = blocks("python")
    assert len(code) >= 8
    try:
        for block in code:
            block = block.replace("Sandbox(today=", f"Sandbox(designs={SANDBOX_DESIGNS}, today=")
            for name in ("report-output", "new-designs.html"):  # written into a temporary folder
                block = block.replace(f'"{name}"', repr(str(tmp_path / name)))
            exec(compile(block, "docs/workflows.md", "exec"), namespace)
    finally:
        if "sb" in namespace:
            namespace["sb"].stop()
    number = namespace["number"]
    assert set(namespace["hits"]["query_key"]) == {f"pn:{number}"} and namespace["again"].attrs["calls_spent"] == 0
    assert [f["error"] for f in namespace["several"].attrs["failures"]] == ["UnknownPatentError"]
    later = namespace["later"]
    assert len(later) > 0 and later.attrs["workflow"]["new_since"] == "2025-03-01"
    assert "New designs since 2025-03-01" in (tmp_path / "new-designs.html").read_text(encoding="utf-8")
    assert namespace["waiting"].attrs["workflow"]["waiting"][0]["status"] == "waiting"
    assert len(namespace["overnight"]) == 8 * 20
    done = namespace["done"]
    assert sorted(done.paths) == ["csv", "report", "workbook"] and all(p.is_file() for p in done.paths.values())
    assert sum(done.calls.values()) <= 50
