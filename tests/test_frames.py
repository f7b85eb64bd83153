"""Result frames built column by column are the frames the contract describes (issue 24, the hot path).

``results_frame`` types each column once, straight from its values. The reference below is the construction it
replaced — one dict per row, a frame of objects, then ``astype`` to :data:`FRAME_DTYPES` — kept here as the
spec of what a frame holds: for any answer the schema lets through (and the values the frame tolerates: a
score that is no number, a day no calendar holds), both give the same columns, in the same order, with the
same dtypes and the same values.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal

from patsnap_analytics import arrays
from patsnap_analytics.api import wire_day
from patsnap_analytics.codes import office_of
from patsnap_analytics.frames import FRAME_DTYPES, empty_results, frame_of_arrays, results_frame


def _reference_day(value):
    try:
        day = wire_day(value)
    except ValueError:
        return None
    return None if day is None else pd.Timestamp(day)


def _reference_score(value):
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _reference_names(value):
    if not isinstance(value, str) or not value.strip():
        return None
    return [n.strip() for n in value.split("|") if n.strip()]


def reference_frame(data: dict, *, query: str, sorted_by_similarity: bool, ranks=None) -> pd.DataFrame:
    """The frame as row dicts, then astype (the construction results_frame had before issue 24)."""
    messages = data.get("patent_messages") or []
    ranks = range(1, len(messages) + 1) if ranks is None else ranks
    rows = []
    for rank, m in zip(ranks, messages, strict=True):
        loc_match = m.get("loc_match")
        rows.append({
            "query": query, "rank": rank, "patent_id": m.get("patent_id"), "patent_pn": m.get("patent_pn"),
            "title": m.get("title"), "score": _reference_score(m.get("score")) if sorted_by_similarity else None,
            "image_url": m.get("url"), "country": m.get("authority") or office_of(m.get("patent_pn")),
            "search_id": data.get("search_id"), "total_count": data.get("total_search_result_count"),
            "application_number": m.get("apno"), "application_date": _reference_day(m.get("apdt")),
            "publication_date": _reference_day(m.get("pbdt")), "current_assignee": m.get("current_assignee"),
            "original_assignee": m.get("original_assignee"), "inventors": _reference_names(m.get("inventor")),
            "loc": list(m["loc"]) if isinstance(m.get("loc"), list) else None,
            "loc_match": None if loc_match is None else bool(loc_match), "img_id": m.get("img_id"),
        })
    if not rows:
        return empty_results()
    return pd.DataFrame(rows, columns=list(FRAME_DTYPES)).astype(FRAME_DTYPES)


text = st.none() | st.text(max_size=12)
day = st.none() | st.just(0) | st.integers(10000101, 99991231) | st.sampled_from([20200131, 20200229, 20210229,
                                                                                   16770921, 22620412])
row = st.fixed_dictionaries({"patent_id": st.text(min_size=1, max_size=8)}, optional={
    "patent_pn": st.none() | st.sampled_from(["USD0912345S", "CN305123456S", "EU0065350760001S", "", "12"]),
    "title": text, "url": text, "img_id": text, "apno": text, "current_assignee": text, "original_assignee": text,
    "authority": st.none() | st.sampled_from(["CN", "US", ""]),
    "score": st.none() | st.floats(allow_nan=True) | st.integers(-5, 5) | st.just("high") | st.just(10**400)
             | st.just(True),
    "apdt": day, "pbdt": day,
    "inventor": st.none() | st.sampled_from(["", " ", "Li Wei|Kim Ji-ho", "| A |"]) | st.text(max_size=10)
                | st.text(alphabet="ab |\t\xa0\x00\u3000", max_size=10),  # blanks and bars where names meet
    "loc": st.none() | st.lists(st.sampled_from(["10-02", "06-01"]), max_size=3),
    "loc_match": st.none() | st.sampled_from([0, 1, 2, -1, True, False]) | st.just(0.5) | st.just("y"),
})
answer = st.fixed_dictionaries({"patent_messages": st.lists(row, max_size=6)}, optional={
    "search_id": text, "total_search_result_count": st.none() | st.integers(0, 10**6)})


@settings(max_examples=150, deadline=None)
@given(answer, st.booleans())
def test_column_by_column_equals_rows_then_astype(data, by_similarity):
    got = results_frame(data, query="q.png", sorted_by_similarity=by_similarity)
    assert_frame_equal(got, reference_frame(data, query="q.png", sorted_by_similarity=by_similarity))
    assert list(got.columns) == list(FRAME_DTYPES)
    assert [str(t) for t in got.dtypes] == list(FRAME_DTYPES.values())


def test_server_ranks_and_lists_of_equal_length_stay_one_per_row():
    # equal-length lists in an object column must stay lists (never a 2-D array); ranks are the server's
    data = {"patent_messages": [{"patent_id": "a", "loc": ["10-02", "10-07"], "inventor": "A|B"},
                                {"patent_id": "b", "loc": ["06-01", "06-04"], "inventor": "C|D"}]}
    got = results_frame(data, query="q", sorted_by_similarity=True, ranks=[101, 103])
    assert got["loc"].tolist() == [["10-02", "10-07"], ["06-01", "06-04"]]
    assert got["inventors"].tolist() == [["A", "B"], ["C", "D"]]
    assert got["rank"].tolist() == [101, 103]
    assert_frame_equal(got, reference_frame(data, query="q", sorted_by_similarity=True, ranks=[101, 103]))


def test_ranks_may_come_from_any_iterable_and_a_text_column_keeps_only_its_own_text():
    # ranks= took a generator before the hot path's rework, and takes one again; each text column owns its
    # buffers (a frame's text in one Arrow array, sliced, kept every title alive for a column of ids kept alone)
    data = {"patent_messages": [{"patent_id": f"p{i}", "title": "x" * 10_000, "url": "u" * 5_000} for i in range(3)]}
    got = results_frame(data, query="q", sorted_by_similarity=True, ranks=(r for r in (7, 9, 12)))
    assert got["rank"].tolist() == [7, 9, 12]
    ids = got["patent_id"].array.__arrow_array__()
    assert sum(b.size for chunk in ids.chunks for b in chunk.buffers() if b is not None) < 1_000


def test_ranks_must_be_one_per_row():
    with pytest.raises(ValueError, match="1 ranks for 2 rows"):
        results_frame({"patent_messages": [{"patent_id": "a"}, {"patent_id": "b"}]}, query="q",
                      sorted_by_similarity=True, ranks=[1])


def test_a_value_that_is_no_text_is_converted_in_its_own_column_only():
    # results_frame is public: a hand-made answer may hold a number where text belongs; its column is converted as
    # pandas converts it, the other text columns are typed as ever, and a frame changed in one column leaves the
    # next frame made from the same answer alone
    data = {"patent_messages": [{"patent_id": "a", "title": 7, "url": "u1", "apno": "A1"},
                                {"patent_id": "b", "title": None, "url": "u2", "apno": None}]}
    got = results_frame(data, query="q", sorted_by_similarity=True)
    assert got["title"].tolist() == pd.array([7, None], dtype="string").tolist() == ["7", pd.NA]
    assert got["patent_id"].tolist() == ["a", "b"] and got["image_url"].tolist() == ["u1", "u2"]
    assert got["application_number"].tolist() == ["A1", pd.NA]
    assert [str(t) for t in got.dtypes] == list(FRAME_DTYPES.values())
    got.loc[0, "patent_id"] = "changed"
    again = results_frame(data, query="q", sorted_by_similarity=True)
    assert again["patent_id"].tolist() == ["a", "b"]
    assert got["image_url"].tolist() == ["u1", "u2"]


@settings(max_examples=60, deadline=None)
@given(answer)
def test_the_fast_constructors_and_the_public_ones_make_the_same_frame(data):
    # the result frame is made by pandas' constructors for trusted values (not all public API: _simple_new,
    # _from_pyarrow_array, DataFrame._from_arrays); each frame must be the one the public constructors make, so a
    # pandas that changes them is caught here, and a pandas without them (every fast path refused) makes it too
    got = results_frame(data, query="q", sorted_by_similarity=True)
    with pytest.MonkeyPatch.context() as public_only:
        public_only.setattr(arrays, "_string_template", lambda: None)
        public_only.setattr(arrays, "_block_constructors", lambda: None)
        public_only.setattr(arrays, "_simple_new_of", lambda array_type: None)
        assert_frame_equal(results_frame(data, query="q", sorted_by_similarity=True), got)
    if not len(got):
        return
    public = pd.DataFrame({c: got[c].array.copy() for c in FRAME_DTYPES}, index=pd.RangeIndex(len(got)), copy=False)
    fast = frame_of_arrays([got[c].array.copy() for c in FRAME_DTYPES], pd.Index(list(FRAME_DTYPES)), len(got))
    assert_frame_equal(got, public)
    assert_frame_equal(fast, public)
    assert got._mgr.nblocks == public._consolidate()._mgr.nblocks  # laid out as pandas lays such a frame out
    assert_frame_equal(pd.concat([got, got.iloc[::-1]]), pd.concat([public, public.iloc[::-1]]))
    before = got["title"].copy()
    fast.loc[0, "title"] = "changed"  # each frame owns its columns
    got.loc[0, "application_date"] = pd.Timestamp("2001-02-03")
    got.loc[0, "inventors"] = ["someone"]
    assert fast.loc[0, "title"] == "changed"
    assert_series_equal(got["title"], before)
    assert_series_equal(public["title"], before)
    assert public.loc[0, "inventors"] != ["someone"] and public.loc[0, "application_date"] != pd.Timestamp("2001-02-03")


def test_the_locked_pandas_offers_the_constructors_the_hot_path_counts_on():
    # the figures in docs/benchmarks.md are the fast paths': on the locked pandas none may fall back unnoticed
    assert arrays._string_template() is not None and arrays._block_constructors() is not None
    assert all(hasattr(t, "_simple_new") for t in (pd.arrays.IntegerArray, pd.arrays.FloatingArray,
                                                    pd.arrays.BooleanArray))
    assert hasattr(pd.DataFrame, "_from_arrays")


@pytest.mark.parametrize("shape", ["results", "user frame", "repeated labels", "empty"])
def test_with_columns_is_setting_each_column_on_a_copy(shape):
    # enrichment sets its columns through with_columns (one frame from arrays); it must be what setting them one
    # at a time on a copy gives: same values, dtypes, order and index, and no array shared with the input
    import numpy as np

    from patsnap_analytics.frames import enriched_column, with_columns

    data = {"patent_messages": [{"patent_id": f"p{i}", "title": f"T{i}", "apdt": 20200101 + i} for i in range(4)]}
    df = results_frame(data, query="q", sorted_by_similarity=True)
    if shape == "user frame":
        df = df.assign(count=np.arange(4), share=np.linspace(0, 1, 4)).set_axis([10, 3, 7, 1])
    elif shape == "repeated labels":
        df = pd.concat([df, df[["title"]]], axis=1)
    elif shape == "empty":
        df = df.iloc[:0]
    n = len(df)
    new = {"title_en": enriched_column("title_en", ["x"] * n),
           "application_date": enriched_column("application_date", ["2021-02-03"] * n),
           "applicants": enriched_column("applicants", [["A", "B"]] * n)}
    expected = pd.DataFrame(df, copy=True)
    for name, values in new.items():
        expected[name] = values
    got = with_columns(df, new)
    assert_frame_equal(got, expected)
    if n:
        before = df["patent_id"].copy()
        got.iloc[0, list(got.columns).index("patent_id")] = "changed"
        assert_series_equal(df["patent_id"], before)


def test_frames_share_no_column_labels_and_a_bad_day_blanks_only_its_row():
    data = {"patent_messages": [{"patent_id": "a", "apdt": 20200131}, {"patent_id": "b", "apdt": [2020]},
                                {"patent_id": "c", "apdt": 20210228}]}
    first = results_frame(data, query="q", sorted_by_similarity=True)
    first.columns.name = "field"
    second = results_frame(data, query="q", sorted_by_similarity=True)
    assert second.columns.name is None
    assert [str(d)[:10] for d in second["application_date"]] == ["2020-01-31", "NaT", "2021-02-28"]
