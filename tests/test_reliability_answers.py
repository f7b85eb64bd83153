"""Issue 20, part 3 (client side): answers that are well-formed but inconsistent or impossible.

An inconsistent vendor — pages whose totals disagree, pages that overlap, dates no calendar holds, one bad
record among good ones, a patent id that is a refusal marker or holds a comma, an answer that stops early —
is a stand-in server on 127.0.0.1 (``tests/standin.py``), talked to over HTTP through the real client, session
and cache. Costs are counted on the server side (what the stand-in received).
"""

from __future__ import annotations

import warnings
from urllib.parse import urlsplit

import pandas as pd
import pytest

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.enrich import IncompleteEnrichmentWarning
from patsnap_analytics.searcher import IncompleteSearchWarning
from patsnap_analytics.wire.retry import RetryPolicy

from .conftest import RESULTS, SEARCH, SINGLE
from .standin import KEY, StandIn

FAST = RetryPolicy(backoff=0.01, max_backoff=0.02, jitter=False)
IMAGE = "https://img.example/chair.png"


def client_of(api: StandIn, tmp_path, **options) -> pa.Client:
    return pa.Client(api_key=KEY, base_url=api.url, cache=options.pop("cache", tmp_path / "c.sqlite"),
                     retry=FAST, **options)


def row(rank: int, **fields) -> dict:
    """The row a consistent server puts at ``rank`` (its patent id names the rank)."""
    return {"patent_id": f"p{rank}", "patent_pn": f"USD{900000 + rank}S", "title": f"Chair {rank}",
            "url": f"https://img.example/{rank}.png", "score": round(1 - rank / 2000, 4), **fields}


def search_pages(total_of, rows_of):
    """A search-id server: page ``offset`` answers ``rows_of(offset, limit)`` and the total ``total_of(offset)``."""
    def answer(h):
        offset, limit = int(h.query.get("offset") or 0), int(h.query.get("limit") or 100)
        h.json({"status": True, "error_code": 0, "data": {
            "patent_messages": rows_of(offset, limit), "search_id": "S1",
            "total_search_result_count": total_of(offset)}})
    return answer


def consistent(offset: int, limit: int, total: int = 1100) -> list[dict]:
    return [row(r) for r in range(offset + 1, min(offset + limit, total) + 1)]


# ------------------------------------------------------------------ 3.2: paging trusts each page's own total

def test_pages_whose_totals_disagree_are_reported_and_never_cached_as_complete(tmp_path):
    """Page 1 counts 1,100 results, the later pages 350: the frame says ranks 351-1100 are missing, and the
    short page is not taken from the cache as complete: once the server is consistent, a re-run fetches
    the rest (and only the rest)."""
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100 if offset == 0 else 350,
                                  lambda offset, limit: consistent(offset, limit, 350))
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteSearchWarning, match=r"ranks 351-1100 are missing .*first page counted 1100"):
            df = client.search_designs(IMAGE, limit=1100)
        assert len(df) == 350 and df["rank"].tolist() == list(range(1, 351))
        assert df.attrs["total_count"] == 1100 and df.attrs["missing_ranks"] == [[351, 1100]]
        assert df.attrs["page_totals"] == [1100, 350, 350, 350]
        assert api.calls(SEARCH) == 1 and api.calls(RESULTS) == 3

        api.answer = search_pages(lambda offset: 1100, consistent)  # the vendor is consistent again
        with warnings.catch_warnings():
            warnings.simplefilter("error", IncompleteSearchWarning)
            again = client.search_designs(IMAGE, limit=1100)
        assert len(again) == 1100 and again.attrs["missing_ranks"] == []
        assert again["rank"].tolist() == list(range(1, 1101))
        # pages 1-3 came from the cache; the short page 4 and the 7 after it were asked
        assert api.calls(SEARCH) == 1 and api.calls(RESULTS) == 3 + 8


def test_a_cut_short_page_is_not_served_from_the_cache_to_a_later_search(tmp_path):
    """The same inconsistent server twice: each run asks again for the short page (one call), never less."""
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 500 if offset == 0 else 130,
                                  lambda offset, limit: consistent(offset, limit, 130))
        client = client_of(api, tmp_path)
        for run in (1, 2):
            with pytest.warns(IncompleteSearchWarning, match="ranks 131-200 are missing"):
                df = client.search_designs(IMAGE, limit=200)
            assert len(df) == 130 and df.attrs["missing_ranks"] == [[131, 200]]
            assert api.calls(RESULTS) == run  # the first page is cached; the short one is asked each time
        assert api.calls(SEARCH) == 1


def test_a_short_page_that_holds_every_rank_asked_is_complete(tmp_path):
    """A page short of the total, but past the ranks this search asked for, is no loss: no warning, cached."""
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100, lambda offset, limit: consistent(offset, 60 if offset else limit))
        client = client_of(api, tmp_path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", IncompleteSearchWarning)
            df = client.search_designs(IMAGE, limit=150)
            client.search_designs(IMAGE, limit=150)
        assert len(df) == 150 and api.calls(SEARCH) + api.calls(RESULTS) == 2  # the second run: from the cache


def test_overlapping_pages_keep_the_server_s_ranks_and_say_what_was_repeated(tmp_path):
    """Page 2 starts with the last 5 patents of page 1 (the ranking moved between calls): they are listed once,
    every other row keeps its server rank (the patent at rank 106 stays 106), and the frame says so."""
    def rows_of(offset, limit):
        return consistent(offset, limit) if offset == 0 else [row(r) for r in range(offset - 4, offset - 4 + limit)]

    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100, rows_of)
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteSearchWarning, match=r"ranks 101-105 repeated patents already listed"):
            df = client.search_designs(IMAGE, limit=200)
        assert len(df) == 195 and df["patent_id"].is_unique
        ranks = dict(zip(df["patent_id"], df["rank"], strict=True))
        assert ranks["p100"] == 100 and ranks["p101"] == 106 and ranks["p195"] == 200
        assert df.attrs["repeated_ranks"] == [101, 102, 103, 104, 105] and df.attrs["missing_ranks"] == []
        with pytest.warns(IncompleteSearchWarning, match="repeated"):  # said again when served from the cache
            again = client.search_designs(IMAGE, limit=200)
        assert again["rank"].tolist() == df["rank"].tolist() and api.calls(SEARCH) + api.calls(RESULTS) == 2


def test_rows_past_a_page_s_own_ranks_are_not_given_ranks_of_the_next_page(tmp_path):
    """A page that answers more rows than asked: its extra rows are not the next page's ranks (no rank twice)."""
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100, lambda offset, limit: consistent(offset, limit + 50))
        df = client_of(api, tmp_path).search_designs(IMAGE, limit=200)
        assert df["rank"].tolist() == list(range(1, 201)) and df["patent_id"].tolist() == [f"p{r}" for r in range(1, 201)]


def test_a_batch_says_which_queries_came_back_incomplete(tmp_path):
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100 if offset == 0 else 150,
                                  lambda offset, limit: consistent(offset, limit, 150))
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteSearchWarning):
            df = client.search_many([IMAGE], limit=300, progress=False)
        assert df.attrs["incomplete"][IMAGE]["missing_ranks"] == [[151, 300]]


# ------------------------------------------------------------------ 3.5: dates outside pandas' range

def rich_answer(bad_rank: int | None = None, value: int = 99991231):
    """An image-single server answering 5 rich rows; the row at ``bad_rank`` filed on ``value``."""
    def answer(h):
        rows = [row(r, apdt=value if r == bad_rank else 20200101 + r, pbdt=20210101) for r in range(1, 6)]
        h.json({"status": True, "error_code": 0, "data": {"patent_messages": rows, "total_search_result_count": 5}})
    return answer


@pytest.mark.parametrize("value", [99991231, 16770101, 20241399])
def test_an_impossible_date_in_a_search_row_is_a_protocol_error_never_stored(tmp_path, value):
    """``apdt`` 99991231 used to pass the check, be cached and make ``results_frame`` raise OutOfBoundsDatetime
    on every later run (0 calls). Now it is an error naming the endpoint, the row and the field; nothing is
    stored, and once the server answers well the search is paid once and works."""
    with StandIn() as api:
        api.answer = rich_answer(bad_rank=3, value=value)
        client = client_of(api, tmp_path)
        with pytest.raises(errors.ProtocolError,
                           match=rf"{SINGLE} answered a malformed data\.patent_messages\[2\]\.apdt: {value} is not a "
                                 r"yyyyMMdd day"):
            client.search_designs(IMAGE, endpoint="image-single", limit=5)
        assert len(client.session.cache.responses) == 0
        tries = api.calls(SINGLE)
        api.answer = rich_answer()
        df = client.search_designs(IMAGE, endpoint="image-single", limit=5)
        assert len(df) == 5 and df["application_date"].notna().all() and api.calls(SINGLE) == tries + 1


def test_a_poisoned_answer_cached_by_an_older_version_is_asked_again_not_a_crash(tmp_path, monkeypatch):
    """An answer an older version stored without the day check is a miss today (checked again when read)."""
    from patsnap_analytics.wire import checks

    with StandIn() as api:
        api.answer = rich_answer(bad_rank=3)
        client = client_of(api, tmp_path)
        monkeypatch.setattr(checks, "_bad_day", lambda *args: None)  # the older version's check: no day checked
        old = client.search_designs(IMAGE, endpoint="image-single", limit=5)
        assert pd.isna(old["application_date"].iloc[2]) and old["application_date"].notna().sum() == 4  # no crash
        monkeypatch.undo()
        api.answer = rich_answer()
        df = client.search_designs(IMAGE, endpoint="image-single", limit=5)
        assert df["application_date"].notna().all() and api.calls(SINGLE) == 2


# ------------------------------------------------------------------ 3.5 and 3.6: enrichment records

BIBLIO, SIMPLE, LEGAL = ("/basic-patent-data/simple-bibliography", "/basic-patent-data/simple-legal-status",
                         "/basic-patent-data/legal-status")


def records_server(bad: dict[str, int] | None = None, answered=lambda ids: ids):
    """The three enrichment endpoints over every id asked (``answered(ids)`` picks the ones answered, in order);
    a patent in ``bad`` gets that application date in its bibliography."""
    bad = bad or {}

    def record(path: str, pid: str) -> dict:
        if path == BIBLIO:
            return {"patent_id": pid, "pn": f"US{pid}S", "bibliographic_data": {
                "application_reference": {"date": bad.get(pid, 20190101)},
                "current_assignees": [{"name": f"Holder of {pid}"}]}}
        if path == SIMPLE:
            return {"patent_id": pid, "simple_legal_status": ["Active"]}
        return {"patent_id": pid, "legal_date": 20240131, "patent_legal": {"legal_status": ["Granted"]}}

    def answer(h):
        ids, path = h.query["patent_id"].split(","), urlsplit(h.path).path
        h.json({"status": True, "error_code": 0, "data": [record(path, pid) for pid in answered(ids)]})
    return answer


def frame_of(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"patent_id": pd.array(ids, dtype="string")})


@pytest.mark.parametrize("value", [20241399, 99991231])
def test_one_bad_record_does_not_sink_an_enrichment_batch(tmp_path, value):
    """1 malformed date of 10 used to raise ProtocolError: the 9 good records lost, the other fields never
    asked (or, for 99991231, a record kept 90 days that crashed every later run). Now the 9 are kept, the bad
    one is reported (naming endpoint, record and field), not stored — not as "unknown" either — and asked again."""
    ids = [f"p{i}" for i in range(10)]
    with StandIn() as api:
        api.answer = records_server(bad={"p3": value})
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteEnrichmentWarning,
                          match=rf"{BIBLIO} answered a malformed data\[3\]\.bibliographic_data\.application_reference"
                                rf"\.date: {value}"):
            out = client.enrich(frame_of(ids), progress=False)
        assert [api.calls(p) for p in (BIBLIO, SIMPLE, LEGAL)] == [1, 1, 1]  # every field asked
        assert out["application_date"].notna().tolist() == [i != 3 for i in range(10)]
        assert out["simple_legal_status_label"].eq("Active").all() and out["legal_status"].eq(3).all()
        enrichment = out.attrs["enrichment"]
        assert [(m["patent_id"], m["field"]) for m in enrichment["malformed"]] == [("p3", "bibliography")]
        assert enrichment["not_found"] == []
        assert client.enricher.plan(ids, ["bibliography"]).to_fetch == {"bibliography": ["p3"]}

        api.answer = records_server()  # the record is fixed: only it is asked again
        again = client.enrich(frame_of(ids), progress=False)
        assert [api.calls(p) for p in (BIBLIO, SIMPLE, LEGAL)] == [2, 1, 1]
        assert again["application_date"].notna().all() and again.attrs["enrichment"]["malformed"] == []


# ------------------------------------------------------------------ 3.11: refusal key, truncation, commas

def test_a_patent_id_named_like_the_refusal_marker_switches_nothing_off(tmp_path):
    with StandIn() as api:
        api.answer = records_server(answered=lambda ids: [p for p in ids if p != "*refused*"])
        client = client_of(api, tmp_path)
        out = client.enrich(frame_of(["*refused*", "p1"]), fields="simple_legal_status", progress=False)
        assert out.attrs["enrichment"]["not_found"] == ["*refused*"]
        later = client.enrich(frame_of(["p2"]), fields="simple_legal_status", progress=False)
        assert later.attrs["enrichment"]["unlicensed"] == {} and later["simple_legal_status"].notna().all()
        assert api.calls(SIMPLE) == 2


def test_an_answer_that_stops_early_is_not_remembered_as_unknown(tmp_path):
    """Asked 5, answered the first 2: the 3 after them are not "unknown for a day" but asked again next time;
    a patent left out *between* answered ones is unknown to the API, and remembered."""
    ids = [f"p{i}" for i in range(5)]
    with StandIn() as api:
        api.answer = records_server(answered=lambda asked: asked[:2])
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteEnrichmentWarning, match=r"stopped before the last 3 patent\(s\)"):
            out = client.enrich(frame_of(ids), fields="simple_legal_status", progress=False)
        assert out.attrs["enrichment"]["unanswered"] == {"simple_legal_status": ["p2", "p3", "p4"]}
        assert out.attrs["enrichment"]["not_found"] == []

        api.answer = records_server(answered=lambda asked: [p for p in asked if p != "p3"])  # p3: truly unknown
        again = client.enrich(frame_of(ids), fields="simple_legal_status", progress=False)
        assert api.calls(SIMPLE) == 2 and api.received[-1]["query"]["patent_id"] == ["p2,p3,p4"]
        assert again["simple_legal_status"].notna().tolist() == [True, True, True, False, True]
        assert again.attrs["enrichment"]["not_found"] == ["p3"]
        client.enrich(frame_of(ids), fields="simple_legal_status", progress=False)
        assert api.calls(SIMPLE) == 2  # p3 is remembered as unknown: nothing left to ask


def test_a_patent_id_with_a_comma_is_refused_before_any_call(tmp_path):
    with StandIn() as api:
        api.answer = records_server()
        client = client_of(api, tmp_path)
        for dry_run in (True, False):
            with pytest.raises(errors.ValidationError, match="patent_id 'a,b' holds a comma"):
                client.enrich(frame_of(["p1", "a,b"]), dry_run=dry_run, progress=False)
        assert api.received == []
