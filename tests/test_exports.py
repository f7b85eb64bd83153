"""Every frame the toolkit returns (one search, a batch, labelled frames) survives CSV, Excel and Parquet:
no list/object columns, and attrs that are JSON-serialisable (Parquet keeps them)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from patsnap_analytics.batch import search_many
from patsnap_analytics.facets import label
from patsnap_analytics.sandbox import Sandbox

from .conftest import client_for
from .conftest import query_drawing_bytes as drawings

ALLOWED_DTYPES = {"string", "Int64", "Float64", "boolean"}




@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """One of each kind of frame, made against a real sandbox."""
    cache = tmp_path_factory.mktemp("exports") / "cache.sqlite"
    with Sandbox(designs=300) as sb:
        client = client_for(sb, cache=cache)
        images = drawings(2)
        single = client.search_designs(images[0], limit=8, country=["US", "CN", "EU", "JP"])
        batch = search_many(client, [*images, b"GIF89a-not-really"], limit=8, progress=False)
        out = {"search": single, "batch": batch,
               "empty_batch": search_many(client, [], progress=False),
               "by_date": client.search_designs(images[1], limit=5, field="PBD")}  # score is all NA
        for by, values in (("simple_legal_status", None), ("legal_status", [1, 2, 3, 15, 22]),
                           ("country", None), ("loc", ["06", "10", "14-03", "31"])):
            out[f"labelled_{by}"] = label(client, batch, by=by, values=values, progress=False)
        out["labelled_twice"] = label(client, out["labelled_country"], by="simple_legal_status", progress=False)
    return out


KINDS = ["search", "batch", "empty_batch", "by_date", "labelled_simple_legal_status", "labelled_legal_status",
         "labelled_country", "labelled_loc", "labelled_twice"]


def typed_like(read: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """A frame read back from a typeless format, given the original's dtypes."""
    read = read.astype("object").where(read.notna(), None)
    for column in original.columns[original.dtypes.astype(str) == "boolean"]:
        read[column] = read[column].map({"True": True, "False": False, None: None})
    return read.astype(dict(original.dtypes))


@pytest.mark.parametrize("kind", KINDS)
def test_columns_are_typed_and_attrs_are_json(frames, kind):
    df = frames[kind]
    assert set(df.dtypes.astype(str)) <= ALLOWED_DTYPES, dict(df.dtypes.astype(str))
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


TEXT_FORMATS = {
    # suffix: (write, read, comparison tolerance) — Excel stores numbers as doubles
    "csv": (pd.DataFrame.to_csv, pd.read_csv, {}),
    "xlsx": (pd.DataFrame.to_excel, pd.read_excel, {"check_exact": False, "rtol": 1e-12}),
}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_csv_and_excel_round_trip(frames, kind, fmt, tmp_path):
    df = frames[kind]
    write, read, tolerance = TEXT_FORMATS[fmt]
    path = tmp_path / f"out.{fmt}"
    write(df, path, index=False)
    back = read(path, dtype=str, keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(typed_like(back, df), df, **tolerance)


def test_the_frames_are_not_trivial(frames):
    assert len(frames["batch"]) == 16 and frames["batch"].attrs["failures"]
    assert frames["by_date"]["score"].isna().all()
    assert frames["labelled_twice"].attrs["labelled_by"] == ["country", "simple_legal_status"]
    assert frames["labelled_loc"]["loc"].isna().any()  # NA survives every format too
