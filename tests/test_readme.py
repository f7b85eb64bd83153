"""The README's Python examples run as written (against the embedded sandbox: no credentials here)."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_examples_run(monkeypatch, tmp_path):
    blocks = readme_blocks()
    assert len(blocks) >= 2
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
        for block in blocks:
            exec(compile(block.replace('"landscape.html"', repr(str(tmp_path / "landscape.html"))),
                         "README.md", "exec"), namespace)
    finally:
        if "client" in namespace:
            namespace["client"].close()
        import matplotlib.pyplot as plt

        plt.close("all")  # the README's charts were drawn on new pyplot figures
    hits, batch = namespace["hits"], namespace["batch"]
    assert len(hits) > 0 and hits.attrs["source"] == "sandbox"
    assert "simple_legal_status_label" in batch.columns
    assert (tmp_path / "landscape.html").stat().st_size > 10_000


@pytest.mark.parametrize("path", ["patsnap_analytics/samples/query-1-10-02-watch.png"])
def test_files_the_readme_names_exist(path):
    assert path in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / path).is_file()
