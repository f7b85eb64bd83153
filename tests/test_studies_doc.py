"""docs/studies.md's worked example runs as written, on a small embedded sandbox, and costs what it says."""

from __future__ import annotations

import re

from .conftest import ROOT

DOC = ROOT / "docs" / "studies.md"


def test_the_worked_example_runs_and_spends_what_the_page_says(monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    import patsnap_analytics as pa

    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 4  # the worked example (3), then a study on the sandbox's synthetic truth
    real_connect = pa.connect

    def small_sandbox(*args, **kwargs):  # the page's pa.connect(), on the small test corpus, with its own cache
        kwargs.setdefault("sandbox_options", {"designs": 300})
        kwargs.setdefault("cache", tmp_path / "cache.sqlite")
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(pa, "connect", small_sandbox)
    monkeypatch.chdir(tmp_path)  # review.xlsx and study-report.html are written here
    namespace: dict = {}
    try:
        for block in blocks[:3]:
            exec(compile(block, str(DOC), "exec"), namespace)
        client = namespace["client"]
        spent = {path: n for path, n in client.owned_sandbox.stats.items() if n}
        client.owned_sandbox.reset_stats()
        exec(compile(blocks[3], str(DOC), "exec"), namespace)
        synthetic_spent = {path: n for path, n in client.owned_sandbox.stats.items() if n}
    finally:
        if "client" in namespace:
            namespace["client"].close()
        plt.close("all")
    assert spent == {"/image-search/image-upload": 8, "/image-search/search-id": 8,
                     "/search/patent/image-single": 8, "/basic-patent-data/simple-bibliography": 2}
    table, tests, cut, verdicts = namespace["table"], namespace["tests"], namespace["cut"], namespace["verdicts"]
    assert list(table.index) == ["search-id", "image-single m2", "fused"] and (table["queries"] == 8).all()
    assert table.attrs["source"] == "sandbox" and table["ndcg@10"].between(0, 1).all()
    assert len(tests) == 6 and tests["p_adjusted"].between(0, 1).all()
    assert len(verdicts) == len(namespace["runs"]["fused"]) and set(verdicts["verdict"]) <= {"similar", "different"}
    assert cut.recall >= 0.9 and cut.low <= cut.threshold <= cut.high and cut.queries == 8
    report = (tmp_path / "study-report.html").read_text(encoding="utf-8")
    assert "P(relevant)" in report and "Reviewed " in report and "designs pass the filters" in report
    assert synthetic_spent == {"/image-search/image-upload": 40, "/search/patent/image-single": 40}  # as it says
    truth, hits = namespace["truth"], namespace["hits"]
    assert (truth["verdict_source"] == "sandbox-synthetic").all() and len(namespace["study"]) == 40
    judged = hits.merge(truth, on=["query_key", "patent_id"], how="left")
    assert judged["verdict"].notna().all() and (judged["relevance"] > 0).any()
