"""The HTML landscape report: self-contained, escaped, and showing what the frame and its attrs say."""

from __future__ import annotations

import base64
import io
import os
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from patsnap_analytics.codes import SIMPLE_LEGAL_STATUS, loc_title
from patsnap_analytics.report import landscape_report

from .conftest import client_for

EVIL = "<script>alert(1)</script>"


def drawing(k: int) -> bytes:
    img = Image.new("1", (240, 320), 1)
    draw = ImageDraw.Draw(img)
    draw.rectangle([20 + k % 40, 30, 200, 260 - k % 50], outline=0, width=3)
    draw.ellipse([60, 80, 140 + k % 60, 160], outline=0, width=2)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def sample_frame(queries=("chair.png", "lamp.png", "https://example.com/q/sofa.jpg"), n=20, *,
                 source="sandbox", labelled=True, seed=0) -> pd.DataFrame:
    """A labelled batch result in the client's schema, with the attrs a batch carries."""
    rng = np.random.default_rng(seed)
    offices = ["US", "US", "CN", "EU", "JP", "KR", "WO"]
    rows = []
    for q in queries:
        picks = rng.choice(40, n, replace=False)
        scores = np.sort(rng.uniform(0.4, 0.99, n))[::-1]
        for rank, (k, score) in enumerate(zip(picks, scores, strict=True), start=1):
            office = offices[k % len(offices)]
            rows.append({"query": q, "rank": rank, "patent_id": f"id{k:03d}", "patent_pn": f"{office}D{k:06d}S",
                         "title": f"Ornamental design for a chair no. {k}", "score": float(score),
                         "image_url": f"https://images.vendor.example/{k}.png?sig=abc{k}", "country": office,
                         "search_id": f"s-{q}", "total_count": 1500})
    df = pd.DataFrame(rows).astype({
        "query": "string", "rank": "Int64", "patent_id": "string", "patent_pn": "string", "title": "string",
        "score": "Float64", "image_url": "string", "country": "string", "search_id": "string",
        "total_count": "Int64"})
    if labelled:
        k = df["patent_id"].str[2:].astype(int)
        status = pd.array([(1, 0, 2, None)[i % 4] for i in k], dtype="Int64")
        df["simple_legal_status"] = status
        df["simple_legal_status_label"] = pd.array(
            [None if pd.isna(c) else SIMPLE_LEGAL_STATUS[int(c)] for c in status], dtype="string")
        locs = [("06-01", "26-05", "09-03", None)[i % 4] for i in k]
        df["loc"] = pd.array(locs, dtype="string")
        df["loc_label"] = pd.array([None if c is None else loc_title(c) for c in locs], dtype="string")
    df.attrs.update(source=source, base_url="http://127.0.0.1:8765", endpoint="/image-search/search-id",
                    filters={"country": ["US", "CN"], "simple_legal_status": [1, 2], "loc": "(06-01 OR 26-05)",
                             "limit": n, "order": "desc", "field": None},
                    failures=[{"image": "broken.gif", "error": "InvalidImageError",
                               "message": "not a JPG or PNG"}],
                    pending=["later.png"])
    return df


def image_store(df: pd.DataFrame, missing: int = 2) -> dict[str, bytes]:
    """Images for every result URL except the first ``missing`` (by patent id), which have none."""
    urls = sorted(set(df["image_url"]))
    return {url: drawing(i) for i, url in enumerate(urls) if i >= missing}


class Page(HTMLParser):
    """Every tag with its attributes, plus the text of every <td class="pn">."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.patent_numbers: list[str] = []
        self._in_pn = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_pn = tag in ("td", "span") and attrs.get("class") == "pn"  # the top table: a span in its Design cell

    def handle_data(self, data):
        if self._in_pn:
            self.patent_numbers.append(data)
            self._in_pn = False

    def attr_values(self, *names: str) -> list[str]:
        return [a[n] for _, a in self.tags for n in names if a.get(n) is not None]

    def count(self, tag: str, **match: str) -> int:
        return sum(t == tag and all(a.get(k) == v for k, v in match.items()) for t, a in self.tags)


@pytest.fixture(scope="module")
def batch():
    return sample_frame()


@pytest.fixture(scope="module")
def report(batch, tmp_path_factory):
    store = image_store(batch)
    path = landscape_report(batch, tmp_path_factory.mktemp("r") / "landscape.html", fetch=store.get,
                            stats={"calls": {"image-upload": 3, "search-id": 3}, "cache_hits": 7,
                                   "calls_saved": 7}, top=12)
    return path, path.read_text(encoding="utf-8")


def test_report_is_written_where_asked_and_returns_the_path(report, tmp_path):
    path, html = report
    assert path.name == "landscape.html" and path.is_file()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_report_refers_to_nothing_outside_the_file(report, batch):
    _, html = report
    page = Page(html)
    references = page.attr_values("src", "href", "srcset", "poster", "data", "action")
    assert references, "expected embedded images"
    assert all(ref.startswith("data:") for ref in references), [r[:40] for r in references if
                                                                 not r.startswith("data:")]
    assert page.count("script") == 0 and page.count("link") == 0 and page.count("iframe") == 0
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html), "CSS must not load anything"
    assert "@import" not in html
    for url in batch["image_url"]:  # presigned vendor links are neither loaded nor leaked into the file
        assert url not in html
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0] and "img-src data:" in csp[0]


def test_charts_are_embedded_pngs_that_decode(report):
    _, html = report
    page = Page(html)
    charts = [a["src"] for t, a in page.tags if t == "img" and a.get("alt", "").endswith(" chart")]
    # score distribution, score by rank, offices, simple legal status, Locarno classes, overlap of 3 queries
    assert len(charts) == 6
    for src in charts:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert image.format == "PNG" and image.width > 400


def test_top_table_lists_the_best_distinct_designs_with_thumbnails_and_placeholders(report, batch):
    _, html = report
    top = html[html.index('<table class="top">'):]
    page = Page(top[:top.index("</table>")])
    # ranked by something comparable across searches: each design's best rank in its own query, then score
    best = batch.sort_values(["rank", "score"], ascending=[True, False], kind="stable").drop_duplicates("patent_id")
    best = best.head(12)
    assert page.patent_numbers == best["patent_pn"].tolist()
    assert sorted(best["query"].iloc[:3]) == sorted(batch["query"].unique())  # every query's first hit first
    thumbs = [a for t, a in page.tags if t == "img" and a.get("alt") in set(best["patent_pn"])]
    placeholders = page.count("div", **{"class": "placeholder"})
    store = image_store(batch)
    expected_missing = sum(url not in store for url in best["image_url"])
    assert len(thumbs) == 12 - expected_missing and placeholders == expected_missing
    assert all(a["src"].startswith(("data:image/png;base64,", "data:image/jpeg;base64,")) for a in thumbs)
    for title in best["title"]:
        assert title in html


def test_filters_source_usage_and_key_figures_are_shown_readably(report, batch):
    _, html = report
    for text in ("China (CN), United States (US)", "Active (1), Pending (2)", "06-01 = Seats",
                 "descending", "similarity", "/image-search/search-id", "Sandbox (offline sample data)"):
        assert text in html, text
    assert "127.0.0.1" not in html  # the local server's address is nothing the reader needs
    assert html.index("<h3>API usage") > html.index("Appendix B —")  # usage is in an appendix, not in the reader's face
    assert re.search(r"Calls \(total\)</dt><dd>6<", html)
    assert re.search(r"Calls: image-upload</dt><dd>3<", html)
    assert re.search(r"Cache hits</dt><dd>7<", html)
    designs = batch.drop_duplicates("patent_id")
    assert re.search(rf'class="v">{len(batch)}</div><div class="k">Results<', html)
    assert re.search(rf'class="v">{len(designs)}</div><div class="k">Distinct designs<', html)
    active = f"{(designs['simple_legal_status'] == 1).fillna(False).mean():.0%}"
    assert re.search(rf'class="v">{active}</div><div class="k">Active designs<', html)
    best = batch.groupby("query")["score"].max()  # several searches: the range of their bests, not one maximum
    assert f'class="v">{best.min():.2f}–{best.max():.2f}</div><div class="k">Best score per query<' in html
    assert ">Best score<" not in html.split("<h2>What was searched")[0]


def test_one_query_s_key_figure_is_its_best_score(tmp_path):
    one = sample_frame(n=5)
    one = one[one["query"] == one["query"].iloc[0]]
    html = landscape_report(one, tmp_path / "one.html").read_text(encoding="utf-8")
    assert f'class="v">{one["score"].max():.3f}</div><div class="k">Best score<' in html


def test_failures_and_pending_images_are_reported(report):
    _, html = report
    assert "broken.gif" in html and "InvalidImageError" in html and "later.png" in html


def test_sandbox_data_gets_a_loud_banner_and_real_data_none(tmp_path):
    sandbox = landscape_report(sample_frame(n=5), tmp_path / "s.html").read_text()
    real = landscape_report(sample_frame(n=5, source="patsnap"), tmp_path / "p.html").read_text()
    assert 'class="sandbox"' in sandbox and "SANDBOX DATA" in sandbox
    assert "[sandbox data]</title>" in sandbox
    assert "SANDBOX DATA" not in real and "PatSnap Open API" in real


def test_every_text_from_the_api_or_the_user_is_escaped(tmp_path):
    df = sample_frame(queries=(f"{EVIL}.png", "b.png"), n=5)
    df.loc[:, "title"] = f'{EVIL} "quoted" & <img src=x onerror=alert(2)>'
    df.loc[:, "patent_pn"] = df["patent_pn"] + '"><marquee>'
    df.attrs["failures"] = [{"image": EVIL, "error": "X", "message": "<iframe src=//evil>"}]
    df.attrs["filters"] = {"main_field": EVIL, "assignees": ["<marquee>Acme</marquee>"]}
    html = landscape_report(df, tmp_path / "x.html", title=EVIL, stats={EVIL: EVIL},
                            fetch=lambda url: None).read_text()
    page = Page(html)
    assert page.count("script") == 0 and page.count("iframe") == 0 and page.count("marquee") == 0
    assert not [a for t, a in page.tags if "onerror" in a]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;marquee&gt;Acme&lt;/marquee&gt;" in html
    assert "&amp; &lt;img src=x onerror=alert(2)&gt;" in html


def test_stats_and_thumbnails_come_from_the_client_when_not_given(sb, query_images, tmp_path):
    client = client_for(sb, cache=tmp_path / "cache.sqlite")  # a real client over HTTP, thumbnails through its cache
    df = client.search_designs(query_images[0], limit=4)
    html = landscape_report(df, tmp_path / "c.html", client=client).read_text()
    assert re.search(r"Calls: /image-search/search-id</dt><dd>1<", html)
    assert re.search(r"Calls: /image-search/image-upload</dt><dd>1<", html)
    assert re.search(r"Calls \(total\)</dt><dd>2<", html)
    assert Page(html).count("div", **{"class": "placeholder"}) == 0  # every thumbnail fetched
    assert client.stats.image_downloads == 4


def test_a_stats_mapping_is_rendered_as_rows(tmp_path):
    df = sample_frame(queries=("one.png",), n=4, labelled=False)
    stats = {"calls": {"search-id": 2}, "cache_hits": 5}
    html = landscape_report(df, tmp_path / "c.html", stats=stats, fetch=lambda url: drawing(1)).read_text()
    assert re.search(r"Calls: search-id</dt><dd>2<", html) and re.search(r"Cache hits</dt><dd>5<", html)
    assert "Calls (total)" not in html  # a single counter needs no total


def test_single_unlabelled_query_gets_only_the_charts_that_make_sense(tmp_path):
    df = sample_frame(queries=("one.png",), n=6, labelled=False)
    html = landscape_report(df, tmp_path / "one.html").read_text()
    charts = [a["alt"] for t, a in Page(html).tags if t == "img" and a.get("alt", "").endswith(" chart")]
    assert charts == ["Similarity scores chart", "Score by rank chart", "Offices chart"]
    assert "Thumbnails not included" in html and "<th>Image</th>" not in html
    assert "Active designs" not in html and "Labels" not in html


def test_date_sorted_results_have_no_score_charts_and_dashes_for_scores(tmp_path):
    df = sample_frame(queries=("one.png",), n=5, labelled=False)
    df["score"] = pd.array([pd.NA] * len(df), dtype="Float64")
    df.attrs["filters"] = {"field": "APD", "order": "asc"}
    html = landscape_report(df, tmp_path / "d.html").read_text()
    charts = [a["alt"] for t, a in Page(html).tags if t == "img" and a.get("alt", "").endswith(" chart")]
    assert charts == ["Offices chart"]
    assert "application date (APD)" in html and "ascending" in html
    assert Page(html).patent_numbers == df.sort_values("rank")["patent_pn"].tolist()
    assert html.count('<td class="num">—</td>') >= len(df)


def test_explicit_failures_override_attrs_and_an_empty_frame_still_reports(tmp_path):
    df = sample_frame(n=3).iloc[0:0]
    html = landscape_report(df, tmp_path / "e.html",
                            failures=[{"image": "x.png", "error": "APIError", "message": "quota"}]).read_text()
    assert "The search returned no results" in html and "nothing to chart" in html
    assert "x.png" in html and "quota" in html and "broken.gif" not in html


def test_report_needs_a_result_frame_and_leaves_it_untouched(tmp_path):
    with pytest.raises(ValueError, match="patent_id"):
        landscape_report(pd.DataFrame({"query": ["a"], "patent_pn": ["X"]}), tmp_path / "bad.html")
    with pytest.raises(ValueError, match="top"):
        landscape_report(sample_frame(n=2), tmp_path / "bad.html", top=0)
    df = sample_frame(n=4)
    before, attrs = df.copy(), dict(df.attrs)
    landscape_report(df, tmp_path / "ok.html")
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == attrs


def test_report_leaves_no_pyplot_figures_open(tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    landscape_report(sample_frame(n=4), tmp_path / "f.html")
    assert plt.get_fignums() == before


def test_client_stats_objects_render_as_rows():
    from patsnap_analytics.report import _stats_rows
    from patsnap_analytics.wire.stats import ClientStats

    stats = ClientStats()
    stats.count_call("/image-search/search-id")
    stats.count_call("/image-search/image-upload")
    stats.count_saved("search_cache_hits")
    rows = dict(_stats_rows(stats))
    assert rows["Calls (total)"] == "2" and rows["Calls saved"] == "1"


def test_a_built_wheel_carries_the_report_template_and_renders_from_it(tmp_path):
    """A non-editable install must find templates/ too: build a wheel of a copy of the tree, unpack it, render."""
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    tree = tmp_path / "tree"  # a copy, so the build writes no build/ or egg-info into the checkout
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, tree / name)
    shutil.copytree(root / "patsnap_analytics", tree / "patsnap_analytics",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # no build isolation: the test venv's setuptools builds it, so no network is needed
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(tree)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("patsnap_analytics-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert {"patsnap_analytics/templates/report.html.j2", "patsnap_analytics/templates/report.css"} <= names
        zf.extractall(tmp_path / "site")
    code = ("import pathlib, sys, pandas as pd, patsnap_analytics.report as r; "
            "df = pd.DataFrame({'query': ['q.png'], 'patent_id': ['p1'], 'patent_pn': ['USD1S']}); "
            "html = r.landscape_report(df, pathlib.Path(sys.argv[1])).read_text(); "
            "print(r.__file__); print('.charts {' in html and 'USD1S' in html)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r.html")], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(tmp_path / "site"), "MPLBACKEND": "Agg"},
                         cwd=tmp_path).stdout.split()
    assert out == [str(tmp_path / "site" / "patsnap_analytics" / "report.py"), "True"]


# ---------------------------------------------------------------------------------------------- issue 21
def test_each_query_says_how_many_are_shown_of_how_many_and_what_passes_the_filters(report):
    _, html = report
    # 20 hits fetched per query, 6 shown; total_count is what passes the filters, not what "matches"
    assert html.count("6 of 20 shown · 1,500 designs pass the filters") == 3
    assert "matching designs" not in html and "Matches in database" not in html
    assert "Designs that pass the filters" in html


def test_the_cross_query_table_says_what_it_is_ranked_by(report):
    _, html = report
    note = html[html.index('<p class="note ranking">'):]
    assert "best rank within its own search" in note[:400] and "not on one scale" in note[:400]


def test_a_calibration_ranks_by_probability_and_shows_it_beside_the_score(batch, tmp_path):
    import warnings

    from patsnap_analytics.study import calibrate

    truth = batch.assign(relevance=(batch["score"] > 0.75).astype(int))[["query", "patent_id", "relevance"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibration = calibrate(batch, truth.drop_duplicates(["query", "patent_id"]))
    html = landscape_report(batch, tmp_path / "c.html", calibration=calibration, top=10).read_text()
    assert "calibrated probability" in html and f"on {calibration.n_verdicts} reviewers" in html
    top = html[html.index('<table class="top">'):]
    top = top[:top.index("</table>")]
    assert "<th class=\"num\">P(relevant)</th>" in top
    cells = re.findall(r'<td class="num">(\d\.\d{3}|—)</td><td class="num">(\d\.\d{2}|—)</td>', top)
    probabilities = [float(p) for _, p in cells]
    assert len(probabilities) == 10 and probabilities == sorted(probabilities, reverse=True)
    assert re.search(r"score \d\.\d{3} · P\(relevant\) \d\.\d{2}", html)  # in every query's section too


def test_reviewed_hits_lead_the_summary_and_are_tagged(batch, tmp_path):
    from patsnap_analytics.verdicts import verdict_frame

    judged = batch.drop_duplicates(["query", "patent_id"]).head(7)
    words = ["same design", "similar", "similar", "different", "unsure", "similar", "same design"]
    verdicts = verdict_frame({"query": q, "patent_id": p, "verdict": w}
                             for q, p, w in zip(judged["query"], judged["patent_id"], words, strict=True))
    html = landscape_report(batch, tmp_path / "v.html", verdicts=verdicts).read_text()
    summary = html[html.index("Executive summary"):]
    assert summary.index("Reviewed 7 of 60 hits: 2 same design, 3 similar, 1 different, 1 unsure.") < \
        summary.index("query images found")
    assert "<th>Verdict</th>" in html and '<span class="tag verdict">same design</span>' in html


def test_the_summary_counts_close_hits_per_search_or_by_calibrated_probability(batch, report, tmp_path):
    """Raw scores of different searches are not on one scale: without a calibration the summary counts the hits
    at or above the threshold per search (it pooled them before); with one, designs by calibrated P(relevant)."""
    import warnings

    from patsnap_analytics.study import calibrate

    _, html = report
    summary = html[html.index("Executive summary"):html.index("</section>", html.index("Executive summary"))]
    per_search = (batch["score"] >= 0.8).groupby(batch["query"], sort=False).sum()
    assert "score above" not in summary and "in their own search" in summary
    assert ", ".join(f"{q} {n}" for q, n in per_search.items()) in summary
    truth = batch.assign(relevance=(batch["score"] > 0.75).astype(int))[["query", "patent_id", "relevance"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibration = calibrate(batch, truth.drop_duplicates(["query", "patent_id"]))
    html = landscape_report(batch, tmp_path / "c.html", calibration=calibration).read_text()
    summary = html[html.index("Executive summary"):html.index("</section>", html.index("Executive summary"))]
    likely = batch[calibration.probability(batch["score"]) >= 0.8]["patent_id"].nunique()
    assert f"{likely} designs likely relevant (calibrated P(relevant) ≥ 0.80, from {calibration.n_verdicts} " \
           "verdicts" in summary
    assert "in their own search" not in summary
