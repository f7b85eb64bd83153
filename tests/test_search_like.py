"""search_like: a search that starts from a patent number, through the real client, session and cache, against
the sandbox on 127.0.0.1. Call counts are the sandbox's server-side counters."""

from __future__ import annotations

import pandas as pd
import pytest

from patsnap_analytics.errors import ValidationError
from patsnap_analytics.sandbox import Sandbox
from tests.conftest import SANDBOX_DESIGNS, SEARCH, SINGLE, client_for

# the API's paths, written out here as the tests' own spec
PN, DRAWING = "/search/patent/patent-search-pn", "/basic-patent-data/abstract-image"


def spent(sb) -> dict[str, int]:
    return {path: n for path, n in sb.stats.items() if n}


def designs(sb, patent_type: str = "D") -> pd.DataFrame:
    meta = sb.corpus.meta
    return meta[meta.patent_type == patent_type]


def test_a_number_is_searched_by_its_drawing_s_link_and_a_second_run_costs_nothing(sb, tmp_path):
    source = designs(sb).iloc[4]
    client = client_for(sb, cache=tmp_path / "cache.sqlite")
    df = client.search_like(source.patent_pn.lower(), limit=20, progress=False)
    # one number: P069 resolves it, P021 gives its drawing, the link is searched (no upload)
    assert spent(sb) == {PN: 1, DRAWING: 1, SEARCH: 1}
    assert len(df) == 20 and set(df["query"]) == {source.patent_pn}
    assert set(df["query_key"]) == {f"pn:{source.patent_pn}"}
    assert df.iloc[0]["patent_id"] == source.patent_id and float(df.iloc[0]["score"]) == pytest.approx(1.0)
    facts = df.attrs["source_patents"][source.patent_pn]
    assert (facts["patent_id"], facts["application_date"], facts["office"]) == (
        source.patent_id, source.apdt.date().isoformat(), source.country)
    again = client.search_like(source.patent_pn, limit=20, progress=False)
    pd.testing.assert_frame_equal(again, df)
    # a new process on the same cache file: the number, its drawing and the search are all recorded
    later = client_for(sb, cache=tmp_path / "cache.sqlite").search_like(source.patent_pn, limit=20, progress=False)
    assert later["patent_id"].tolist() == df["patent_id"].tolist() and later.attrs["calls_spent"] == 0
    assert spent(sb) == {PN: 1, DRAWING: 1, SEARCH: 1}


def test_prior_art_finds_only_designs_filed_before_the_source_and_leaves_it_out(sb):
    meta = designs(sb)
    source = meta.sort_values("apdt").iloc[len(meta) // 2]
    client = client_for(sb, cache=":memory:")
    df = client.search_like(source.patent_pn, prior_art=True, endpoint="image-single", limit=100, progress=False)
    earlier = meta[meta.apdt < source.apdt]
    assert len(df) == min(100, len(earlier)) and set(df["total_count"]) == {len(earlier)}
    assert (df["application_date"] < source.apdt).all() and source.patent_id not in set(df["patent_id"])
    facts = df.attrs["source_patents"][source.patent_pn]
    assert facts["filed_before"] == source.apdt.date().isoformat()
    assert df.attrs["workflow"] == {"kind": "search_like", "prior_art": True}
    assert spent(sb) == {PN: 1, DRAWING: 1, SINGLE: 1}


def test_several_numbers_make_one_frame_and_a_bad_number_is_that_row_s_failure(sb):
    good = designs(sb).iloc[[1, 2, 3]]
    utility = designs(sb, "U").iloc[0]
    sb.configure(no_drawing=(good.patent_pn.iloc[2],))
    numbers = [good.patent_pn.iloc[0], good.patent_pn.iloc[1], "USD9999999S", utility.patent_pn,
               good.patent_pn.iloc[2], good.patent_pn.iloc[0].lower()]
    client = client_for(sb, cache=":memory:")
    df = client.search_like(numbers, limit=10, progress=False)
    assert df["query"].unique().tolist() == good.patent_pn.iloc[:2].tolist() and len(df) == 20
    failures = {f["image"]: f["error"] for f in df.attrs["failures"]}
    assert failures == {"USD9999999S": "UnknownPatentError", utility.patent_pn: "PatentTypeError",
                        good.patent_pn.iloc[2]: "NoDrawingError"}
    assert df.attrs["duplicates"] == [{"image": good.patent_pn.iloc[0].lower(), "same_as": good.patent_pn.iloc[0]}]
    # one P069 call per distinct number (a lower-case spelling is the same number), one P021 call for the
    # three designs, two searches
    assert spent(sb) == {PN: 5, DRAWING: 1, SEARCH: 2} and df.attrs["calls_spent"] == 8
    # the utility model is searched once asked for as one
    models = client.search_like(utility.patent_pn, endpoint="image-single", patent_type="U", model=3, limit=5,
                                progress=False)
    assert models.iloc[0]["patent_id"] == utility.patent_id and not models.attrs["failures"]


def test_a_link_that_expired_sooner_than_recorded_is_asked_for_again_once():
    with Sandbox(designs=SANDBOX_DESIGNS, seed=7, today="2026-01-05") as box:
        number = designs(box).iloc[7].patent_pn
        client = client_for(box, cache=":memory:")
        client.search_like(number, limit=5, progress=False)
        box.advance_clock(10 * 3600)  # the sandbox's link is dead; the client's record (8 hours) is not
        box.reset_stats()
        df = client.search_like(number, limit=6, progress=False)  # another search: the link is needed
        assert len(df) == 6 and not df.attrs["failures"]
        assert spent(box) == {SEARCH: 2, DRAWING: 1}  # the refused search, a fresh link, the search again


def test_dry_run_states_the_cost_without_spending_it(sb):
    numbers = designs(sb).patent_pn.iloc[10:13].tolist()
    client = client_for(sb, cache=":memory:")
    guess = client.search_like(numbers, limit=250, endpoint="image-single", dry_run=True)
    assert sum(sb.stats.values()) == 0
    client.search_like(numbers, limit=250, endpoint="image-single", progress=False)
    # before the numbers are known: each one's P069 call, the links, every page (results may end sooner)
    assert guess == 3 + 1 + 3 * 3 >= sum(sb.stats.values())
    sb.reset_stats()
    other = dict(limit=20, endpoint="image-single", country=["US", "CN"])  # known numbers, links still recorded
    exact = client.search_like(numbers, dry_run=True, **other)
    client.search_like(numbers, progress=False, **other)
    assert exact == sum(sb.stats.values()) == sb.stats[SINGLE] == 3
    assert client.search_like(numbers, dry_run=True, **other) == 0


@pytest.mark.parametrize(("call", "parameter"), [
    (dict(patent_numbers="chair.png"), "patent_numbers"), (dict(patent_numbers=[]), "patent_numbers"),
    (dict(patent_numbers="USD0430005S", model=2), "model"),
    (dict(patent_numbers="USD0430005S", endpoint="image-multiple"), "endpoint"),
    (dict(patent_numbers="USD0430005S", max_calls=-1), "max_calls"),
])
def test_bad_numbers_and_filters_are_refused_before_any_call(sb, call, parameter):
    client = client_for(sb, cache=":memory:")
    numbers = call.pop("patent_numbers")
    with pytest.raises(ValidationError) as info:
        client.search_like(numbers, progress=False, **call)
    assert info.value.parameter == parameter and sum(sb.stats.values()) == 0


def test_a_quota_stops_the_workflow_and_leaves_the_rest_pending(sb):
    numbers = designs(sb).patent_pn.iloc[20:23].tolist()
    sb.advance_day()  # today's count starts at zero
    sb.configure(daily_quota=2)
    df = client_for(sb, cache=":memory:").search_like(numbers, limit=5, progress=False)
    assert len(df) == 0 and df.attrs["pending"] == numbers and not df.attrs["failures"]
    assert df.attrs["stopped"]["error"] == "DailyQuotaExceededError"
    assert sb.stats[PN] == 3 and sb.stats[DRAWING] == sb.stats[SEARCH] == 0  # nothing sent after the refusal
