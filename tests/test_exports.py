"""Every frame the toolkit returns (one search, a batch, labelled frames, the newer endpoints' rich rows)
survives CSV, Excel and Parquet: typed columns (the only object columns are the rich rows' lists, which
the toolkit's own writer joins with ``; `` for CSV and Excel), and attrs that are JSON-serialisable
(Parquet keeps them)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from patsnap_analytics import frames as frames_mod
from patsnap_analytics.sandbox import Sandbox

from .conftest import client_for
from .conftest import query_drawing_bytes as drawings

ALLOWED_DTYPES = {"string", "Int64", "Float64", "boolean", "datetime64[ns]"}
LIST_COLUMNS = set(frames_mod.LIST_COLUMNS) | {"inventors", "loc"}  # lists of names / codes




@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """One of each kind of frame, made against a real sandbox."""
    cache = tmp_path_factory.mktemp("exports") / "cache.sqlite"
    with Sandbox(designs=300) as sb:
        client = client_for(sb, cache=cache)
        images = drawings(2)
        single = client.search_designs(images[0], limit=8, country=["US", "CN", "EU", "JP"])
        batch = client.search_many([*images, b"GIF89a-not-really"], limit=8, progress=False)
        out = {"search": single, "batch": batch,
               "empty_batch": client.search_many([], progress=False),
               "by_date": client.search_designs(images[1], limit=5, field="PBD"),  # score is all NA
               "rich": client.search_designs(images[0], endpoint="image-single", limit=8, return_img_id=True)}
        for by, values in (("simple_legal_status", None), ("legal_status", [1, 2, 3, 15, 22]),
                           ("country", None), ("loc", ["06", "10", "14-03", "31"])):
            out[f"labelled_{by}"] = client.label(batch, by=by, values=values, route="research", progress=False)
        out["labelled_twice"] = client.label(out["labelled_country"], by="simple_legal_status", route="research",
                                            progress=False)
    return out


KINDS = ["search", "batch", "empty_batch", "by_date", "rich", "labelled_simple_legal_status", "labelled_legal_status",
         "labelled_country", "labelled_loc", "labelled_twice"]


def typed_like(read: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """A frame read back from a typeless format, given the original's dtypes (list columns come back as the
    ``"; "``-joined text they were written as, and are split again; the ``data_source`` column the writer adds
    is dropped)."""
    read = read.drop(columns=["data_source"], errors="ignore")
    read = read.astype("object").where(read.notna(), None)
    for column in original.columns[original.dtypes.astype(str) == "boolean"]:
        read[column] = read[column].map({"True": True, "False": False, None: None})
    for column in original.columns[original.dtypes.astype(str) == "object"]:
        read[column] = read[column].map(lambda v: v.split("; ") if isinstance(v, str) else None)
    return read.astype(dict(original.dtypes))


@pytest.mark.parametrize("kind", KINDS)
def test_columns_are_typed_and_attrs_are_json(frames, kind):
    df = frames[kind]
    dtypes = {c: str(t) for c, t in df.dtypes.items()}
    lists = {c for c in LIST_COLUMNS & set(df.columns) if dtypes[c] == "object"}  # labelling by loc: text
    assert {t for c, t in dtypes.items() if c not in lists} <= ALLOWED_DTYPES, dtypes
    assert all(v is None or (isinstance(v, list) and all(isinstance(x, str) for x in v)) for c in lists for v in df[c])
    assert json.loads(json.dumps(df.attrs)) == df.attrs
    if df.attrs["queries"]:  # an empty batch made no call, so no answer told it where it came from
        assert df.attrs["source"] == "sandbox"


@pytest.mark.parametrize("kind", KINDS)
def test_parquet_round_trip_keeps_values_dtypes_and_attrs(frames, kind, tmp_path):
    df = frames[kind]
    path = tmp_path / "out.parquet"
    df.to_parquet(path)
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs == df.attrs


def _write(suffix):
    from patsnap_analytics.exports import write_frame

    return lambda df, path, index: write_frame(df, path)


TEXT_FORMATS = {
    # suffix: (write, read, comparison tolerance) — Excel stores numbers as doubles; the toolkit's writer
    # joins the rich rows' lists with "; " for these cell-per-value formats
    "csv": (_write(".csv"), pd.read_csv, {}),
    "xlsx": (_write(".xlsx"), pd.read_excel, {"check_exact": False, "rtol": 1e-12}),
}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_csv_and_excel_round_trip(frames, kind, fmt, tmp_path):
    df = frames[kind]
    write, read, tolerance = TEXT_FORMATS[fmt]
    path = tmp_path / f"out.{fmt}"
    write(df, path, index=False)
    back = read(path, dtype=str, keep_default_na=False, na_values=[""])
    if len(df):  # sandbox links say they are sandbox links, in a column of their own beside image_url
        assert list(back.columns).index("image_url_note") == list(back.columns).index("image_url") + 1
    back = back.drop(columns=["image_url_note"], errors="ignore")
    pd.testing.assert_frame_equal(typed_like(back, df), df, **tolerance)


def test_the_frames_are_not_trivial(frames):
    assert len(frames["batch"]) == 16 and frames["batch"].attrs["failures"]
    assert frames["by_date"]["score"].isna().all()
    assert frames["labelled_twice"].attrs["labelled_by"] == ["country", "simple_legal_status"]
    assert frames["labelled_loc"]["loc"].isna().any()  # NA survives every format too


# ---------------------------------------------------------------------------------------------- write_frame

def test_write_frame_writes_every_format_by_extension(frames, tmp_path):
    from patsnap_analytics.exports import SANDBOX_LINK_NOTE, write_frame

    df = frames["labelled_loc"]
    columns = list(df.columns)
    # sandbox data: every format starts with data_source and gets image_url_note right after image_url; the frame
    # itself is unchanged
    noted = ["data_source", *columns[:columns.index("image_url") + 1], "image_url_note",
             *columns[columns.index("image_url") + 1:]]
    parquet = write_frame(df, tmp_path / "deep" / "er" / "hits.PARQUET")  # folders made, extension any case
    back = pd.read_parquet(parquet)
    assert list(back.columns) == noted and list(df.columns) == columns
    assert (back["image_url_note"] == SANDBOX_LINK_NOTE).all() and back["data_source"].str.startswith("sandbox").all()
    pd.testing.assert_frame_equal(back.drop(columns=["image_url_note", "data_source"]), df)
    assert back.attrs == df.attrs
    csv = pd.read_csv(write_frame(df, tmp_path / "hits.csv"), dtype=str, keep_default_na=False, na_values=[""])
    assert list(csv.columns) == noted and (csv["image_url_note"] == SANDBOX_LINK_NOTE).all()
    pd.testing.assert_frame_equal(typed_like(csv.drop(columns="image_url_note"), df), df)
    xlsx = pd.read_excel(write_frame(df, tmp_path / "hits.xlsx"), dtype=str, keep_default_na=False,
                         na_values=[""])
    assert (xlsx["image_url_note"] == SANDBOX_LINK_NOTE).all()
    pd.testing.assert_frame_equal(typed_like(xlsx.drop(columns="image_url_note"), df), df, check_exact=False,
                                  rtol=1e-12)
    records = json.loads(write_frame(df, tmp_path / "hits.json").read_text(encoding="utf-8"))
    assert len(records) == len(df) and list(records[0]) == noted
    assert [r["patent_pn"] for r in records] == df["patent_pn"].tolist()


def test_real_api_frames_are_written_as_they_are(frames, tmp_path):
    from patsnap_analytics.exports import write_frame

    df = frames["search"].copy()
    df.attrs = {**df.attrs, "source": "patsnap"}  # as a real-API search would mark it
    back = pd.read_parquet(write_frame(df, tmp_path / "hits.parquet"))
    assert (back.pop("data_source") == "PatSnap Open API").all()  # where the rows come from, said in a column
    pd.testing.assert_frame_equal(back, df)  # no note column: these are PatSnap's own image links


def test_cli_uses_the_same_write_frame():
    from patsnap_analytics import cli, exports

    assert cli.write_frame is exports.write_frame


# ---------------------------------------------------------------------------------------------- check_output_path

@pytest.mark.parametrize("name", ["hits.csv", "hits.parquet", "hits.xlsx", "hits.json", "HITS.XLSX"])
def test_check_output_path_accepts_the_four_formats_and_writes_nothing(tmp_path, name):
    from patsnap_analytics.exports import check_output_path

    target = tmp_path / "not" / "yet" / name
    assert check_output_path(str(target)) == target
    assert not (tmp_path / "not").exists()


@pytest.mark.parametrize("name", ["hits.txt", "hits", "hits.xls", "hits.csv.gz"])
def test_check_output_path_refuses_other_extensions(tmp_path, name):
    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import check_output_path, write_frame

    with pytest.raises(ValidationError, match=r"out: must end in \.csv, \.parquet, \.xlsx or \.json"):
        check_output_path(tmp_path / name)
    with pytest.raises(ValidationError):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "new" / name)
    assert not (tmp_path / "new").exists()


def test_check_output_path_refuses_a_folder(tmp_path):
    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import check_output_path

    (tmp_path / "hits.csv").mkdir()
    with pytest.raises(ValidationError, match="is a folder"):
        check_output_path(tmp_path / "hits.csv")


@pytest.mark.parametrize(("name", "libraries"), [("hits.parquet", ("pyarrow", "fastparquet")),
                                                 ("hits.xlsx", ("openpyxl", "xlsxwriter"))])
def test_a_missing_library_is_reported_before_anything_is_written(monkeypatch, tmp_path, name, libraries):
    """As on a trimmed install without pyarrow / openpyxl: ``import pyarrow`` fails (None in sys.modules does that)."""
    import sys

    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import check_output_path, write_frame

    for library in libraries:
        monkeypatch.setitem(sys.modules, library, None)
    with pytest.raises(ValidationError, match=f"needs {libraries[0]}, which is missing from this environment: "
                                             f"pip install {libraries[0]}"):
        check_output_path(tmp_path / name)
    with pytest.raises(ValidationError, match=libraries[0]):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "new" / name)
    assert not (tmp_path / "new").exists()
    check_output_path(tmp_path / "hits.csv")  # formats that need nothing extra are still fine


def test_the_reviewer_workbook_has_thumbnails_links_frozen_headers_filters_and_a_sheet_per_query(tmp_path):
    from openpyxl import load_workbook

    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import image_store, sample_frame

    df = sample_frame(queries=("chair.png", "a/b:c*?.png"), n=5, source="patsnap")
    df["current_assignee"] = pd.array(["=cmd|' /C calc'!A0"] * len(df), dtype="string")
    store = image_store(df, missing=1)
    path = reviewer_workbook(df, tmp_path / "review.xlsx", fetch=store.get)
    book = load_workbook(path)
    assert book.sheetnames == ["About", "All hits", "chair.png", "a_b_c__.png"]
    assert book["About"]["B2"].value == "PatSnap Open API"
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    hits = book["All hits"]
    header = [c.value for c in hits[1]]
    assert header[:4] == ["Image", "Query", "Rank", "Patent number"]
    assert hits.max_row == len(df) + 1 and book["chair.png"].max_row == 6
    pn = hits.cell(row=2, column=header.index("Patent number") + 1)
    assert pn.value == df["patent_pn"].iloc[0] and pn.hyperlink.target.endswith(df["patent_pn"].iloc[0])
    holder = hits.cell(row=2, column=header.index("Holder") + 1)
    assert holder.data_type == "s" and holder.value.startswith("=cmd")  # text, never a formula
    expected = sum(url in store for url in df["image_url"])
    assert len(hits._images) == expected > 0


def test_sandbox_workbooks_link_nothing(tmp_path):
    from openpyxl import load_workbook

    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import sample_frame

    path = reviewer_workbook(sample_frame(n=3), tmp_path / "r.xlsx", thumbnails=False)
    assert all(c.hyperlink is None for row in load_workbook(path)["All hits"].iter_rows() for c in row)
