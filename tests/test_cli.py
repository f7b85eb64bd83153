"""The patsnap-analytics command, run in-process against the shared sandbox."""

from __future__ import annotations

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


def test_demo_writes_a_landscape_report(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--designs", "300"]) == 0
    out = capsys.readouterr().out
    report = tmp_path / "landscape.html"
    assert f"report: {report}" in out and report.stat().st_size > 50_000
    html = report.read_text(encoding="utf-8")
    assert "SANDBOX" in html and "data:image/png;base64," in html
    results = pd.read_csv(tmp_path / "results.csv")
    assert {"simple_legal_status_label", "country_label"} <= set(results.columns)


def test_search_takes_an_endpoint_a_model_and_several_images_as_views(env_for, query_images, tmp_path, capsys):
    out = tmp_path / "rich.xlsx"
    assert main(["search", str(query_images[0]), "--endpoint", "image-single", "--model", "2", "--limit", "5",
                 "--return-img-id", "--out", str(out), "--no-cache"]) == 0
    back = pd.read_excel(out)
    assert len(back) == 5 and back["img_id"].notna().all() and back["loc"].str.match(r"\d\d-\d\d").all()
    assert main(["search", str(query_images[0]), str(query_images[1]), "--limit", "3", "--no-cache"]) == 0
    assert env_for.stats["/search/patent/image-single"] == 1 and env_for.stats["/search/patent/image-multiple"] == 1
    assert main(["search", str(query_images[0]), "--model", "2"]) == 2  # search-id takes no model: no call
    assert "search-id endpoint does not take model" in capsys.readouterr().err
