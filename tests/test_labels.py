"""label() against a real sandbox: labels must agree with the corpus's own metadata for every row, and the
cost it announces must equal what the server counts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from patsnap_analytics import codes
from patsnap_analytics.errors import BudgetExceeded, ValidationError
from patsnap_analytics.loc import code_matches
from patsnap_analytics.sandbox import Sandbox

from .conftest import SEARCH, UPLOAD, client_for
from .conftest import query_drawing_bytes as drawings


def billed(sb: Sandbox) -> int:
    return sb.stats[UPLOAD] + sb.stats[SEARCH]


def truth(sb: Sandbox) -> pd.DataFrame:
    return sb.corpus.meta.set_index("patent_id")


@pytest.fixture(scope="module")
def sb():
    with Sandbox(designs=300) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb, tmp_path):
    return client_for(sb, cache=tmp_path / "cache.sqlite")


@pytest.fixture
def results(client):
    """Three held-out query drawings, top 15 each, with a filter that label() must keep."""
    return client.search_many(drawings(3), limit=15, progress=False,
                       public_start_time="2000-01-01")


def spend(sb, fn):
    """Run ``fn`` and return (its result, server-side calls it cost)."""
    before = billed(sb)
    out = fn()
    return out, billed(sb) - before


@pytest.mark.parametrize("by", ["simple_legal_status", "legal_status"])
def test_status_labels_match_the_corpus_for_every_row(sb, client, results, by, capsys):
    df = results if by == "simple_legal_status" else results[results["query"] != results["query"].iloc[0]]
    announced, cost = spend(sb, lambda: client.label(df, by=by, route="research", dry_run=True))
    table = codes.SIMPLE_LEGAL_STATUS if by == "simple_legal_status" else codes.LEGAL_STATUS
    assert cost == 0 and announced == df["query"].nunique() * len(table)  # uploads reused, nothing cached

    out, cost = spend(sb, lambda: client.label(df, by=by, route="research"))
    assert cost == announced
    assert f"label by {by}: {announced} searches, {announced} calls (0 cached)" in capsys.readouterr().err
    meta = truth(sb)
    assert out[by].notna().all() and str(out[by].dtype) == "Int64"
    assert out[by].tolist() == meta.loc[out["patent_id"].tolist(), by].tolist()
    assert out[f"{by}_label"].tolist() == [codes.name_of(by, c) for c in out[by]]
    assert out.attrs["labelled_by"] == [by] and out.attrs["queries"] == df.attrs["queries"]
    assert out.attrs["label_routes"][by]["route"] == "research"
    assert by not in df.columns  # the input frame is left alone

    # everything is cached now: the plan says 0 calls and costs 0
    again, cost = spend(sb, lambda: client.label(df, by=by, route="research", dry_run=True))
    assert again == 0 and cost == 0
    relabelled, cost = spend(sb, lambda: client.label(df, by=by, route="research", progress=False))
    assert cost == 0
    pd.testing.assert_frame_equal(relabelled, out)


def test_country_labels_are_verified_against_the_corpus(sb, client, results):
    announced = client.label(results, by="country", route="research", dry_run=True)
    # only each query's own offices are worth a search: others cannot confirm any row
    assert announced == sum(g["country"].nunique() for _, g in results.groupby("query"))
    out, cost = spend(sb, lambda: client.label(results, by="country", route="research", progress=False))
    assert cost == announced
    meta = truth(sb)
    assert out["country_verified"].all() and str(out["country_verified"].dtype) == "boolean"
    assert out["country"].tolist() == meta.loc[out["patent_id"].tolist(), "country"].tolist()
    assert out["country_label"].tolist() == [codes.name_of("country", c) for c in out["country"]]


def test_loc_labels_match_every_code_of_the_corpus(sb, client, results):
    meta = truth(sb)
    corpus_codes = {pid: meta.at[pid, "loc"].split(",") for pid in results["patent_id"]}
    classes = sorted({c[:2] for cs in corpus_codes.values() for c in cs})
    subclass = next(iter(corpus_codes.values()))[0]
    values = [*classes[:4], subclass, "31"]  # "31" (food machines) is drawn by no generator: matches nothing
    announced = client.label(results, by="loc", values=values, route="research", dry_run=True)
    assert announced == 3 * len(values)
    out, cost = spend(sb, lambda: client.label(results, by="loc", values=values, route="research", progress=False))
    assert cost == announced
    for pid, got, got_label in zip(out["patent_id"], out["loc"], out["loc_label"], strict=True):
        expected = [v for v in values if any(code_matches(v, c) for c in corpus_codes[pid])]
        assert got == (expected or None)
        if expected:
            assert got_label == "; ".join(codes.loc_title(v) for v in expected)
    assert out["loc"].notna().any() and out["loc"].isna().any()
    with pytest.raises(ValidationError, match="values"):
        client.label(results, by="loc", route="research")
    with pytest.raises(ValidationError, match="one code"):
        client.label(results, by="loc", values=["14 OR 10"], route="research")


def test_values_outside_the_query_filter_are_not_searched(sb, client):
    df = client.search_many(drawings(2), limit=20, progress=False, simple_legal_status=[0, 1],
                     country=["US", "CN", "EU"])
    # 2 queries x the 2 statuses their filter admits (not 6)
    assert client.label(df, by="simple_legal_status", route="research", dry_run=True) == 4
    out, cost = spend(sb, lambda: client.label(df, by="simple_legal_status", route="research", progress=False))
    assert cost == 4 and out["simple_legal_status"].isin([0, 1]).all()
    meta = truth(sb)
    assert out["simple_legal_status"].tolist() == meta.loc[out["patent_id"].tolist(), "simple_legal_status"].tolist()
    # values given by label are accepted like filters; a value outside both filters costs nothing
    assert client.label(df, by="simple_legal_status", values=["Active", "Pending"], route="research",
                        dry_run=True) == 0


def test_max_calls_is_checked_before_spending(sb, client, results):
    cost = client.label(results, by="simple_legal_status", route="research", dry_run=True)
    before = billed(sb)
    with pytest.raises(BudgetExceeded, match=f"{cost} calls"):
        client.label(results, by="simple_legal_status", route="research", max_calls=cost - 1, progress=False)
    assert billed(sb) == before  # refused before anything was sent
    out = client.label(results, by="simple_legal_status", route="research", max_calls=cost, progress=False)
    assert billed(sb) - before == cost and out["simple_legal_status"].notna().all()


def test_expired_uploads_are_counted_in_the_plan(sb, client, results):
    client.ledger.clear()  # as if the 9-hour upload URLs had expired
    announced = client.label(results, by="simple_legal_status", route="research", dry_run=True)
    assert announced == 3 * len(codes.SIMPLE_LEGAL_STATUS) + 3  # one new upload per image
    uploads_before = sb.stats[UPLOAD]
    _, cost = spend(sb, lambda: client.label(results, by="simple_legal_status", route="research", progress=False))
    assert sb.stats[UPLOAD] - uploads_before == 3 and cost == announced


def test_a_new_session_labels_from_the_cache_but_cannot_pay_without_the_image(sb, client, results, tmp_path):
    client.label(results, by="simple_legal_status", route="research", progress=False)
    later = client_for(sb, cache=tmp_path / "cache.sqlite")  # knows the cache, not the images
    out, cost = spend(sb, lambda: later.label(results, by="simple_legal_status", route="research", progress=False))
    assert cost == 0 and out["simple_legal_status"].notna().all()
    with pytest.raises(ValidationError, match="not known to this client"):
        later.label(results, by="country", route="research", progress=False)


def test_url_queries_and_single_searches_can_be_labelled(sb, client):
    url = f"{sb.url}/_sandbox/files/designs/11/0.png"
    df = client.search_designs(url, limit=10)
    uploads = sb.stats[UPLOAD]
    out, cost = spend(sb, lambda: client.label(df, by="simple_legal_status", route="research", progress=False))
    assert cost == len(codes.SIMPLE_LEGAL_STATUS) and sb.stats[UPLOAD] == uploads  # a URL needs no upload
    meta = truth(sb)
    assert out["simple_legal_status"].tolist() == meta.loc[out["patent_id"].tolist(), "simple_legal_status"].tolist()
    json.dumps(out.attrs)


def test_bad_arguments_and_empty_frames(sb, client, results):
    with pytest.raises(ValidationError, match="by"):
        client.label(results, by="inventor")
    with pytest.raises(ValidationError, match="legal_status"):
        client.label(results, by="legal_status", values=[999999], route="research")
    stripped = results.copy()
    stripped.attrs = {}
    with pytest.raises(ValidationError, match="attrs"):
        client.label(stripped, route="research", progress=False)
    empty = results.iloc[0:0]
    assert client.label(empty, route="research", dry_run=True) == 0
    out = client.label(empty, route="research", progress=False)
    assert list(out.columns[-2:]) == ["simple_legal_status", "simple_legal_status_label"] and len(out) == 0


def test_a_quota_error_mid_label_is_raised_and_the_retry_pays_only_for_the_rest(sb, client, results):
    from patsnap_analytics.errors import DailyQuotaExceededError

    planned = client.label(results, by="simple_legal_status", route="research", dry_run=True)
    sb.advance_day()
    sb.configure(daily_quota=7)
    try:
        before = billed(sb)
        with pytest.raises(DailyQuotaExceededError):
            client.label(results, by="simple_legal_status", route="research", progress=False)
        first = billed(sb) - before
        assert 7 < first < planned  # it stopped soon after the refusal (running searches may finish)
        sb.advance_day()
        sb.configure(daily_quota=None)
        rest = client.label(results, by="simple_legal_status", route="research", dry_run=True)
        assert rest == planned - 7  # the 7 searches that succeeded are cached
        out, cost = spend(sb, lambda: client.label(results, by="simple_legal_status", route="research", progress=False))
        assert cost == rest and out["simple_legal_status"].notna().all()
    finally:
        sb.configure(daily_quota=None)
