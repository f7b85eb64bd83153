"""Reviewers' verdicts, the loop closed: results carry a query key, the reviewer workbook has a Verdict drop-down,
filled workbooks (and CSVs) read back by key, verdicts are stored beside the cache (never expiring) and later
results show them. Over real HTTP against the sandbox where a search is involved."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from patsnap_analytics.images import Views

from .conftest import SEARCH, TOKEN, UPLOAD, calls, client_for


# ---------------------------------------------------------------------------------------------- the query key
def test_every_result_row_carries_the_image_s_key_whatever_the_query_is_called(sb, query_images):
    client = client_for(sb, cache=False)
    data = query_images[0].read_bytes()
    named = client.search_designs(data, limit=5, name="renamed.png")
    by_path = client.search_designs(str(query_images[0]), limit=5)
    key = "sha256:" + hashlib.sha256(data).hexdigest()
    assert named["query_key"].tolist() == [key] * 5 and by_path["query_key"].tolist() == [key] * 5
    assert named["query"].iloc[0] != by_path["query"].iloc[0]  # two names, one key
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 2}


def test_a_batch_and_one_design_s_views_carry_their_keys(sb, query_images):
    client = client_for(sb, cache=False)
    images = [p.read_bytes() for p in query_images[:2]]
    keys = ["sha256:" + hashlib.sha256(b).hexdigest() for b in images]
    batch = client.search_many(images, limit=3, progress=False)
    assert batch.groupby("query", sort=False)["query_key"].unique().map(list).tolist() == [[keys[0]], [keys[1]]]
    views = client.search_designs(Views(images), limit=3)          # one design in two views: image-multiple
    assert set(views["query_key"]) == {"+".join(keys)}
    assert not batch["query_key"].isna().any()


# ---------------------------------------------------------------------------------------------- the workbook
def _fill(path, verdicts: dict[str, tuple[str, str]], *, sheet="All hits", resort=True, author=None):
    """Fill a written workbook as a reviewer would in Excel: Verdict and Note cells of the rows whose patent number
    is in ``verdicts``, after sorting the sheet by title (rows move with their hidden keys)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    if resort:
        rows.sort(key=lambda r: (str(r[header.index("Title")]), str(r[header.index("Patent number")])), reverse=True)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=value)
        pn = values[header.index("Patent number")]
        if pn in verdicts:
            ws.cell(row=r, column=header.index("Verdict") + 1, value=verdicts[pn][0])
            ws.cell(row=r, column=header.index("Note") + 1, value=verdicts[pn][1])
    if author:
        book.properties.lastModifiedBy = author
    book.save(path)
    return header


def test_the_workbook_has_a_verdict_drop_down_a_note_and_hidden_keys(tmp_path):
    from openpyxl import load_workbook

    from patsnap_analytics.codes import VERDICTS
    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import sample_frame

    df = sample_frame(queries=("chair.png", "lamp.png"), n=4).assign(query_key=lambda d: "sha256:" + d["query"])
    book = load_workbook(reviewer_workbook(df, tmp_path / "review.xlsx", thumbnails=False))
    for ws in book.worksheets[1:]:  # after the About sheet
        header = [c.value for c in ws[1]]
        assert header[-5:] == ["Verdict", "Note", "Reviewer", "Query key", "Patent id"]
        letters = {h: ws.cell(row=1, column=i + 1).column_letter for i, h in enumerate(header)}
        assert ws.column_dimensions[letters["Query key"]].hidden and ws.column_dimensions[letters["Patent id"]].hidden
        assert not ws.column_dimensions[letters["Verdict"]].hidden
        (choice,) = ws.data_validations.dataValidation
        assert choice.type == "list" and choice.formula1 == '"' + ",".join(VERDICTS) + '"'
        assert choice.showErrorMessage and str(choice.sqref) == f"{letters['Verdict']}2:{letters['Verdict']}{ws.max_row}"
        keys = [ws.cell(row=r, column=header.index("Query key") + 1).value for r in range(2, ws.max_row + 1)]
        assert all(k.startswith("sha256:") for k in keys)
        assert ws.auto_filter.ref == ws.dimensions  # the filter covers the reviewer's columns too


def test_a_filled_workbook_renamed_and_re_sorted_reads_back_and_later_results_show_it(sb, query_images, tmp_path):
    from patsnap_analytics.exports import reviewer_workbook

    client = client_for(sb, cache=tmp_path / "cache.sqlite")
    hits = client.search_many([p.read_bytes() for p in query_images[:2]], names=["a.png", "b.png"], limit=5,
                              progress=False)
    path = reviewer_workbook(hits, tmp_path / "review.xlsx", thumbnails=False)
    first, second, third = hits["patent_pn"].iloc[0], hits["patent_pn"].iloc[1], hits["patent_pn"].iloc[7]
    _fill(path, {first: ("same design", "the registration in another office"), second: ("Similar ", "legs differ"),
                 third: ("different", None)}, author="Ana Reviewer")
    renamed = path.rename(tmp_path / "review (ana's copy).xlsx")
    before = dict(sb.stats)

    stored = client.verdicts.load(renamed)
    assert dict(sb.stats) == before  # verdicts cost no call
    assert sorted(stored["verdict"]) == ["different", "same design", "similar"]
    row = stored.set_index("patent_pn").loc[first]
    assert row["relevance"] == 2 and row["note"] == "the registration in another office"
    assert row["query_key"] == hits["query_key"].iloc[0] and row["reviewer"] == "Ana Reviewer"
    assert row["reviewed_at"] and row["verdict_source"] == "reviewer"

    later = client_for(sb, cache=tmp_path / "cache.sqlite")  # another session on the same cache file
    shown = later.with_verdicts(later.search_designs(query_images[0].read_bytes(), name="renamed.png", limit=5))
    assert shown.set_index("patent_pn").loc[first, "verdict"] == "same design"
    assert shown["verdict"].notna().sum() == 2 and shown["relevance"].dropna().tolist() == [2, 1]
    again = reviewer_workbook(shown, tmp_path / "again.xlsx", thumbnails=False)   # stored verdicts are pre-filled
    from patsnap_analytics import verdicts

    assert sorted(verdicts.read(again)["verdict"]) == ["same design", "similar"]


@pytest.mark.parametrize(("value", "expected"), [
    ("same", r"review\.xlsx, sheet 'All hits', row \d+: 'same' is not a verdict; use one of 'same design', "
             r"'similar', 'different', 'unsure'"),
    ("=1+1", r"'=1\+1' is not a verdict"),
])
def test_a_bad_verdict_cell_names_the_file_the_sheet_the_row_and_the_value(tmp_path, value, expected):
    from patsnap_analytics import verdicts
    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import sample_frame

    df = sample_frame(queries=("chair.png",), n=3).assign(query_key="sha256:" + "c" * 64)
    path = reviewer_workbook(df, tmp_path / "review.xlsx", thumbnails=False)
    _fill(path, {df["patent_pn"].iloc[1]: (value, "")})
    with pytest.raises(ValidationError, match=expected):
        verdicts.read(path)


def test_the_same_hit_judged_differently_in_two_sheets_is_an_error_naming_both(tmp_path):
    from patsnap_analytics import verdicts
    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import sample_frame

    df = sample_frame(queries=("chair.png",), n=3).assign(query_key="sha256:" + "c" * 64)
    path = reviewer_workbook(df, tmp_path / "review.xlsx", thumbnails=False)
    pn = df["patent_pn"].iloc[0]
    _fill(path, {pn: ("similar", "")})
    _fill(path, {pn: ("similar", "")}, sheet="chair.png", resort=False)
    assert verdicts.read(path)["verdict"].tolist() == ["similar"]          # said twice, the same: one verdict
    _fill(path, {pn: ("different", "")}, sheet="chair.png", resort=False)
    with pytest.raises(ValidationError, match=r"sheet 'chair.png', row 2: 'different' contradicts .*sheet "
                                              r"'All hits', row \d+ \('similar'\)"):
        verdicts.read(path)


def test_an_edited_hidden_key_or_a_typed_in_row_is_refused_with_the_fix(tmp_path):
    from openpyxl import load_workbook

    from patsnap_analytics import verdicts
    from patsnap_analytics.errors import ValidationError
    from patsnap_analytics.exports import reviewer_workbook

    from .test_report import sample_frame

    df = sample_frame(queries=("chair.png",), n=2).assign(query_key="sha256:" + "c" * 64)
    path = reviewer_workbook(df, tmp_path / "review.xlsx", thumbnails=False)
    book = load_workbook(path)
    ws = book["All hits"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("Verdict") + 1, value="similar")
    ws.cell(row=2, column=header.index("Query key") + 1, value="chair.png")
    book.save(path)
    with pytest.raises(ValidationError, match=r"row 2: 'chair.png' is not a query key .*hidden Query key"):
        verdicts.read(path)
    ws.cell(row=2, column=header.index("Query key") + 1, value="sha256:" + "c" * 64)
    ws.append(["", "chair.png", 9, "USD9S"] + [None] * (header.index("Verdict") - 4) + ["similar"])
    book.save(path)
    with pytest.raises(ValidationError, match=r"row 4: the verdict 'similar' has no Patent id"):
        verdicts.read(path)
    with pytest.raises(ValidationError, match="no sheet with Verdict"):
        sample_frame(n=1).to_excel(tmp_path / "plain.xlsx")
        verdicts.read(tmp_path / "plain.xlsx")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValidationError, match=r"from \.xlsx or \.csv"):
        verdicts.read(tmp_path / "notes.txt")


def test_a_csv_of_words_or_grades_reads_back_and_a_bad_grade_is_named(tmp_path):
    from patsnap_analytics import verdicts
    from patsnap_analytics.errors import ValidationError

    path = tmp_path / "judged.csv"
    path.write_text("Query,Patent id,Relevance,Note\nchair.png,p1,2,\nchair.png,p2,0,not a chair\nchair.png,p3,,\n",
                    encoding="utf-8")
    frame = verdicts.read(path)
    assert frame[["query", "patent_id", "verdict", "relevance"]].values.tolist() == [
        ["chair.png", "p1", "same design", 2], ["chair.png", "p2", "different", 0]]
    assert frame["query_key"].isna().all() and frame["reviewed_at"].notna().all()
    path.write_text("query,patent_id,relevance\nchair.png,p1,3\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"judged.csv, row 2: '3' is not a relevance grade; use 2 \(same "
                                              r"design\), 1 \(similar\), 0 \(different\)"):
        verdicts.read(path)
    path.write_text("query,patent_id,verdict,relevance\nchair.png,p1,similar,2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="relevance '2' does not match the verdict 'similar'"):
        verdicts.read(path)
    for garbage in (b"", b"\xff\xfe\x00q\x00u\x00\xff\xff\x81"):
        path.write_bytes(garbage)
        with pytest.raises(ValidationError, match="cannot be read as a UTF-8 CSV"):
            verdicts.read(path)
    (tmp_path / "fake.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError, match=r"fake\.xlsx cannot be read as an Excel workbook"):
        verdicts.read(tmp_path / "fake.xlsx")


# ---------------------------------------------------------------------------------------------- stored
def _hits(n=3, key="sha256:" + "d" * 64):
    return pd.DataFrame({"query": ["q.png"] * n, "query_key": [key] * n, "patent_id": [f"p{i}" for i in range(n)],
                         "patent_pn": [f"USD{i}S" for i in range(n)]})


def test_stored_verdicts_survive_a_new_client_and_clear_cache_and_stay_apart_from_sandbox_ones(tmp_path):
    from patsnap_analytics import Client

    cache = tmp_path / "cache.sqlite"
    first = Client(api_key="sk-test-only", cache=cache)
    first.verdicts.record(_hits().iloc[:2], "similar", reviewer="ana")
    first.verdicts.record(_hits().iloc[1], "same design", note="on second look", reviewer="bo")  # latest wins
    first.clear_cache()
    second = Client(api_key="sk-test-only", cache=cache)
    frame = second.verdicts.frame().sort_values("patent_id")
    assert frame[["patent_id", "verdict", "reviewer", "note"]].values.tolist() == [
        ["p0", "similar", "ana", pd.NA], ["p1", "same design", "bo", "on second look"]]
    assert second.cache_info()["verdicts"] == 2
    sandbox = Client(api_key="sk-test-only", cache=cache, source="sandbox")
    assert len(sandbox.verdicts) == 0 and sandbox.with_verdicts(_hits())["verdict"].isna().all()
    assert second.verdicts.forget(_hits().iloc[[0]]) == 1 and len(second.verdicts) == 1


def test_a_tampered_record_is_skipped_and_a_keyless_verdict_is_refused(tmp_path):
    import sqlite3

    from patsnap_analytics import Client
    from patsnap_analytics.errors import ValidationError

    cache = tmp_path / "cache.sqlite"
    client = Client(api_key="sk-test-only", cache=cache)
    client.verdicts.record(_hits(1), "different")
    with sqlite3.connect(cache) as db:
        db.execute("INSERT INTO verdicts (key, value) VALUES (?, ?)", ("patsnap|x|y", '{"v": 1, "verdict": "maybe"}'))
    assert client.verdicts.frame()["verdict"].tolist() == ["different"]
    with pytest.raises(ValidationError, match=r"1 verdict\(s\) have no query_key .*carry query_key"):
        client.verdicts.record(_hits(1).drop(columns="query_key"), "similar")
    with pytest.raises(ValidationError, match="'relevant' is not a verdict"):
        client.verdicts.record(_hits(1), "relevant")


def test_a_team_shares_verdicts_in_redis_without_expiry_and_cache_clear_keeps_them(redis_url, redis_server):
    from patsnap_analytics import Client

    ana = Client(api_key="sk-test-only", cache=redis_url)
    ana.verdicts.record(_hits(2), "same design", reviewer="ana")
    bo = Client(api_key="sk-test-only", cache=redis_url)           # another analyst of the team
    assert sorted(bo.verdicts.frame()["patent_id"]) == ["p0", "p1"]
    r = redis_server.client()
    keys = list(r.scan_iter(match="patsnap-analytics:verdicts:*"))
    assert len(keys) == 2 and all(r.pttl(k) == -1 for k in keys)  # -1: no expiry
    bo.clear_cache()
    assert len(ana.verdicts) == 2 and ana.cache_info()["verdicts"] == 2

