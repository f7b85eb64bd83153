"""The patsnap-analytics command, run in-process against the shared sandbox."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from patsnap_analytics.cli import main


@pytest.fixture
def env_for(monkeypatch, sb):
    monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    return sb


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".json"])
def test_search_prints_a_table_and_writes_the_frame(env_for, query_images, tmp_path, capsys, suffix):
    out = tmp_path / f"hits{suffix}"
    code = main(["search", str(query_images[0]), "--country", "US,CN", "--limit", "7", "--out", str(out),
                 "--no-cache"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "patent_pn" in printed and "[sandbox data]" in printed and f"written: {out}" in printed
    reader = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
              ".json": pd.read_json}[suffix]
    back = reader(out)
    assert len(back) == 7 and set(back["country"]) <= {"US", "CN"}


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [(["--limit", "0"], "limit"), (["--loc", "(14-03 OR"], "loc"), (["--country", "usa"], "country"),
     (["--apply-start-time", "2023-02-30"], "calendar date"), (["--order", "up"], "order")],
)
def test_bad_flags_fail_cleanly_and_cost_nothing(env_for, query_images, capsys, flags, fragment):
    assert main(["search", str(query_images[0]), *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{fragment}" in err and "Traceback" not in err and err.count("\n") == 1
    assert sum(env_for.stats.values()) == 0


def test_a_missing_image_is_one_line(env_for, capsys):
    assert main(["search", "/no/such.png"]) == 2
    assert "not found" in capsys.readouterr().err


def test_demo_writes_a_landscape_report(tmp_path, capsys, monkeypatch):
    import sys

    connect_module = sys.modules["patsnap_analytics.connect"]  # the module (pa.connect is the function)

    monkeypatch.setattr(connect_module, "_announced", False)  # as in a fresh process, which a command is
    assert main(["demo", "--out", str(tmp_path), "--designs", "300"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    # the command shows the package's notices on stderr (a notebook keeps them in logging)
    assert "patsnap-analytics: no PatSnap credentials: using the embedded sandbox at http://127.0.0.1:" in captured.err
    report = tmp_path / "landscape.html"
    assert f"report: {report}" in out and report.stat().st_size > 50_000
    html = report.read_text(encoding="utf-8")
    assert "SANDBOX" in html and "data:image/png;base64," in html
    results = pd.read_csv(tmp_path / "results.csv")
    assert {"simple_legal_status_label", "country_label"} <= set(results.columns)
    # who holds them and since when come from enrichment, a few calls for every hit (100 patents a call)
    assert results["current_assignee"].notna().all() and results["application_date"].notna().all()
    spent = re.search(r"calls: searches (\d+), enrichment (\d+), labels (\d+)", out)
    assert spent, out
    searches, enrichment, labels = map(int, spent.groups())
    assert searches == 2 * results["query"].nunique() and enrichment <= 6 and labels == 0


@pytest.mark.parametrize("out", ["hits.txt", "hits", "folder.csv"])
def test_a_bad_out_is_refused_before_any_call(env_for, query_images, tmp_path, capsys, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.csv").mkdir()
    assert main(["search", str(query_images[0]), "--out", out, "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "Traceback" not in err
    assert sum(env_for.stats.values()) == 0  # not an upload, not a search: the check came first


def test_cache_info_with_a_mistyped_path_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "htpp_cache.sqlite"
    assert main(["cache", "info", "--path", str(typo)]) == 2
    assert f"--path: no cache file at '{typo}'" in capsys.readouterr().err
    assert not typo.exists() and list(tmp_path.iterdir()) == []
    assert main(["cache", "clear", "--path", str(typo)]) == 2 and not typo.exists()


def test_cache_info_before_any_cache_exists_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATSNAP_CACHE_DIR", str(tmp_path / "fresh"))
    assert main(["cache", "info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["exists"] is False and info["responses"] == 0
    assert not (tmp_path / "fresh").exists()  # looking created nothing


def test_cache_info_reads_an_existing_cache(env_for, query_images, tmp_path, capsys):
    cache = tmp_path / "c.sqlite"
    import patsnap_analytics as pa

    pa.connect(cache=cache).search_designs(query_images[0], limit=3)
    capsys.readouterr()
    assert main(["cache", "info", "--path", str(cache)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["path"] == str(cache) and info["responses"] == 1 and info["uploads"] == 1


def test_search_takes_an_endpoint_a_model_and_several_images_as_views(env_for, query_images, tmp_path, capsys):
    out = tmp_path / "rich.xlsx"
    assert main(["search", str(query_images[0]), "--endpoint", "image-single", "--model", "2", "--limit", "5",
                 "--return-img-id", "--out", str(out), "--no-cache"]) == 0
    back = pd.read_excel(out)
    assert len(back) == 5 and back["img_id"].notna().all() and back["loc"].str.match(r"\d\d-\d\d").all()
    assert main(["search", str(query_images[0]), str(query_images[1]), "--views", "--limit", "3", "--no-cache"]) == 0
    assert env_for.stats["/search/patent/image-single"] == 1 and env_for.stats["/search/patent/image-multiple"] == 1
    assert main(["search", str(query_images[0]), "--model", "2"]) == 2  # search-id takes no model: no call
    assert "search-id endpoint does not take --model" in capsys.readouterr().err  # the flag, on the command line


def test_several_images_are_several_searches_not_one_design_s_views(env_for, query_images, tmp_path, capsys):
    # issue 23: `search watch.png phone.png` searched a watch and a phone as ONE design (image-multiple)
    out = tmp_path / "two.csv"
    assert main(["search", str(query_images[0]), str(query_images[1]), "--limit", "4", "--out", str(out),
                 "--no-cache"]) == 0
    assert env_for.stats["/image-search/search-id"] == 2 and env_for.stats["/search/patent/image-multiple"] == 0
    back = pd.read_csv(out)
    assert back.groupby("query").size().to_dict() == {query_images[0].name: 4, query_images[1].name: 4}
    printed = capsys.readouterr().out
    assert query_images[0].name in printed and query_images[1].name in printed


def test_report_writes_the_deliverable_from_images_and_numbers(env_for, query_images, tmp_path, capsys):
    number = env_for.corpus.meta.query("patent_type == 'D'").patent_pn.iloc[5]
    out = tmp_path / "deliverable"
    assert main(["report", str(query_images[0]), number, "USD9999999S", "--limit", "10", "--country", "US,CN,EU,JP",
                 "--prior-art", "--out", str(out)]) == 0
    printed, err = capsys.readouterr()
    assert "report: 1 image(s) and 2 patent number(s)" in err  # the cost preview, before any call
    assert f"report: {out / 'landscape.html'}" in printed and "failed: USD9999999S" in printed
    results = pd.read_csv(out / "results.csv")
    assert set(results["query"]) == {query_images[0].name, number} and results["current_assignee"].notna().all()
    assert set(results.loc[results["query"] == number, "query_key"]) == {f"pn:{number}"}
    assert "Prior art" in (out / "landscape.html").read_text(encoding="utf-8") and (out / "review.xlsx").is_file()
    stats = env_for.stats
    assert (stats["/image-search/image-upload"], stats["/image-search/search-id"]) == (1, 2)
    assert stats["/search/patent/patent-search-pn"] == 2 and stats["/basic-patent-data/abstract-image"] == 1
    assert all(stats[p] == 1 for p in ("/basic-patent-data/simple-bibliography",
                                       "/basic-patent-data/simple-legal-status", "/basic-patent-data/legal-status"))


@pytest.mark.parametrize(("args", "fragment"), [
    (["--max-calls", "3"], "more than --max-calls 3; nothing was spent"),
    (["--limit", "0"], "limit"),
])
def test_report_refuses_before_any_call(env_for, query_images, tmp_path, capsys, args, fragment):
    out = tmp_path / "deliverable"
    assert main(["report", str(query_images[0]), str(query_images[1]), "--out", str(out), *args]) == 2
    assert fragment in capsys.readouterr().err
    assert sum(env_for.stats.values()) == 0 and not out.exists()


def test_report_refuses_what_is_neither_image_folder_url_nor_number(env_for, tmp_path, capsys):
    assert main(["report", "chair-drawing", "--out", str(tmp_path / "r")]) == 2
    assert "'chair-drawing' is not an image file, a folder, an http(s) URL or a patent number" in \
        capsys.readouterr().err
    assert sum(env_for.stats.values()) == 0
