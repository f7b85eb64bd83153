"""Issue 20, part 3 (client side): answers that are well-formed but inconsistent or impossible.

An inconsistent vendor — pages whose totals disagree, pages that overlap, dates no calendar holds, one bad
record among good ones, a patent id that is a refusal marker or holds a comma, an answer that stops early —
is a stand-in server on 127.0.0.1 (``tests/standin.py``), talked to over HTTP through the real client, session
and cache. Costs are counted on the server side (what the stand-in received).
"""

from __future__ import annotations

import warnings

import pytest

import patsnap_analytics as pa
from patsnap_analytics.retry import RetryPolicy
from patsnap_analytics.searcher import IncompleteSearchWarning

from .conftest import SEARCH
from .standin import KEY, StandIn

RESULTS = "/image-search/results"
SINGLE = "/search/patent/image-single"
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


def test_a_batch_says_which_queries_came_back_incomplete(tmp_path):
    with StandIn() as api:
        api.answer = search_pages(lambda offset: 1100 if offset == 0 else 150,
                                  lambda offset, limit: consistent(offset, limit, 150))
        client = client_of(api, tmp_path)
        with pytest.warns(IncompleteSearchWarning):
            df = client.search_many([IMAGE], limit=300, progress=False)
        assert df.attrs["incomplete"][IMAGE]["missing_ranks"] == [[151, 300]]
