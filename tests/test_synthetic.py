"""The sandbox's synthetic truth from the client side: study queries (``pa.demo.study_queries``) and synthetic
verdicts for every hit of a study (``pa.verdicts.synthetic``), over real HTTP through the client's session — no
business call spent, refused on the API, and a hostile answer (from the stand-in) an error naming the field."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest

import patsnap_analytics as pa
from patsnap_analytics.errors import OfflineCacheMiss, ProtocolError, RequestRejectedError, ValidationError

from .conftest import calls, client_for, png_bytes
from .standin import KEY, StandIn

SINGLE, UPLOAD = "/search/patent/image-single", "/image-search/image-upload"
STUDY, TRUTH = "/_sandbox/study", "/_sandbox/truth"  # the tests' own spec of the sandbox's routes


def _count(client, path: str) -> list[int]:
    """A counter of the requests ``client``'s session sends to ``path`` (observed, nothing replaced)."""
    seen = [0]
    send = client.session.send

    def counting(request, **kwargs):
        seen[0] += request.path_url.split("?")[0] == path
        return send(request, **kwargs)

    client.session.send = counting
    return seen


def test_study_queries_come_over_http_checked_named_and_free(sb):
    client = client_for(sb, cache=":memory:")
    study = pa.demo.study_queries(client, 12, seed=3)
    assert list(study.columns) == ["query", "query_key", "degradation", "family_id", "loc", "image"]
    assert len(study) == 12 and study["query_key"].is_unique and study["query"].is_unique
    for _, row in study.iterrows():
        assert row["query_key"] == "sha256:" + hashlib.sha256(row["image"].data).hexdigest()
        assert row["image"].display_name == row["query"]
    assert set(study["degradation"]) == {"scanned", "photographed", "cropped"}
    assert study["query_key"].tolist() == sb.study_queries(12, seed=3).keys  # the sandbox's own set
    assert sum(sb.stats.values()) == 0 and client.stats.total_calls == 0  # not a business call
    assert client.stats.as_dict()["image_downloads"] == 12
    again = pa.demo.study_queries(client, 5, seed=3)
    assert again["query_key"].tolist() == study["query_key"].tolist()[:5]  # query k does not depend on n


def test_every_hit_of_a_study_is_judged_and_its_family_listed_at_no_call(sb):
    client = client_for(sb, cache=":memory:")
    study = pa.demo.study_queries(client, 6, seed=5)
    hits = client.search_many(study["image"], endpoint="image-single", model=2, limit=30, progress=False)
    assert calls(sb)[SINGLE] == 6 and calls(sb)[UPLOAD] == 6
    sb.reset_stats()
    truth_requests = _count(client, TRUTH)
    verdicts = pa.verdicts.synthetic(client, hits)
    assert sum(sb.stats.values()) == 0 and truth_requests == [1]  # six queries: one request, no call
    assert (verdicts["verdict_source"] == "sandbox-synthetic").all() and (verdicts["reviewer"] == "sandbox").all()
    judged = hits.merge(verdicts, on=["query_key", "patent_id"], how="left")
    assert judged["verdict"].notna().all()  # every hit judged
    assert judged.groupby("query_key")["query_x"].first().equals(judged.groupby("query_key")["query_y"].first())
    expected = sb.truth(study["query_key"].tolist(), patent_ids=hits["patent_id"])  # the sandbox in Python
    merged = verdicts.merge(expected, on=["query_key", "patent_id"], how="left", suffixes=("", "_py"))
    assert (merged["verdict"] == merged["verdict_py"]).all()  # each hit judged as the sandbox judges it
    members = expected[expected["verdict"] != "different"]
    assert len(members) == verdicts["family_role"].notna().sum()  # every family member listed, found or not
    assert len(members) > len(judged[judged["relevance"] > 0])  # some were not found in the top 30
    outside = verdicts[verdicts["family_role"].isna()]
    assert (outside["verdict"] == "different").all() and (outside["relevance"] == 0).all()
    assert set(verdicts.loc[verdicts["family_role"].notna(), "verdict"]) <= {"same design", "similar"}
    assert verdicts.duplicated(["query_key", "patent_id"]).sum() == 0
    table = pa.study.evaluate(hits, verdicts, ["recall@30", "mrr"])  # what a study does with them
    assert table.loc["results", "queries"] == 6 and table.loc["results", "mrr"] > 0.5


def test_more_queries_than_one_truth_request_takes_are_asked_in_chunks(sb):
    client = client_for(sb, cache=":memory:")
    study = pa.demo.study_queries(client, 201, seed=11)
    some = sb.corpus.meta["patent_id"].iloc[0]
    frame = study[["query", "query_key"]].assign(patent_id=some)  # one hit per query is enough to judge
    truth_requests = _count(client, TRUTH)
    verdicts = pa.verdicts.synthetic(client, frame)
    assert truth_requests == [2] and set(verdicts["query_key"]) == set(study["query_key"])
    assert sum(sb.stats.values()) == 0


def test_it_is_refused_on_the_api_offline_and_for_queries_that_are_not_study_queries(sb, query_images):
    api = pa.Client(api_key="sk-not-a-real-key-at-all", cache=False)  # the vendor's host: refused before sending
    with pytest.raises(ValidationError, match="client: the synthetic truth exists only on the sandbox"):
        pa.demo.study_queries(api, 40)
    hits = pd.DataFrame({"query": ["q"], "query_key": ["sha256:" + "0" * 64], "patent_id": ["p1"]})
    with pytest.raises(ValidationError, match="client:"):
        pa.verdicts.synthetic(api, hits)
    with pytest.raises(OfflineCacheMiss, match="never cached"):
        pa.verdicts.synthetic(client_for(sb, cache=":memory:", offline=True), hits)
    client = client_for(sb, cache=":memory:")
    sample = client.search_designs(query_images[0], limit=5)  # a drawing of the user's, not a study query
    sb.reset_stats()
    with pytest.raises(RequestRejectedError, match="is not a study query this sandbox generated"):
        pa.verdicts.synthetic(client, sample)
    by_url = sample.assign(query_key="url:https://example.com/chair.png")
    with pytest.raises(ValidationError, match=re.escape("query_key: 'url:https://example.com/chair.png' is not")):
        pa.verdicts.synthetic(client, by_url)
    with pytest.raises(ValidationError, match="results: no query_key column"):
        pa.verdicts.synthetic(client, sample.drop(columns="query_key"))
    with pytest.raises(ValidationError, match="n: must be an integer from 1 to 250"):
        pa.demo.study_queries(client, 251)
    assert sum(sb.stats.values()) == 0


def _study_answer(image: bytes, key: str | None = None, **changes) -> dict:
    key = key or "sha256:" + hashlib.sha256(image).hexdigest()
    verdict = {"query_key": key, "patent_id": "p1", "patent_pn": "USD1S", "verdict": "same design", "relevance": 2,
               "verdict_source": "sandbox-synthetic", "family_id": "USD1S", "family_role": "original"}
    truth = {"verdicts": [{**verdict, **changes}], "unlisted": "different", "verdict_source": "sandbox-synthetic"}
    return {"queries": [{"name": "study-0-001-06-01-scanned.png", "query_key": key}], "truth": truth}


@pytest.mark.parametrize(("answer", "header", "error"), [
    ("not json", True, "body: is not a JSON envelope"),
    ({"status": True, "data": {"queries": [{"name": "x.png", "query_key": "sha256:zz"}], "truth": {
        "verdicts": [], "unlisted": "different", "verdict_source": "sandbox-synthetic"}}}, True,
     "data.queries[0].query_key: must match pattern"),
    ("good", False, "headers: lack X-PatSnap-Sandbox"),
    ("wrong image", True, "data.queries[0].query_key: does not match its image"),
])
def test_a_hostile_study_answer_is_an_error_naming_the_field_and_no_credential_is_sent(answer, header, error):
    image = png_bytes()

    def script(handler):
        if handler.path.startswith("/_sandbox/study/images/"):
            handler.send(200, png_bytes(draw_box=False) if answer == "wrong image" else image, "image/png")
        elif isinstance(answer, str) and answer == "not json":
            handler.send(200, b"<html>maintenance</html>", "text/html", X_PatSnap_Sandbox="1")
        else:
            body = answer if isinstance(answer, dict) else {"status": True, "data": _study_answer(image)}
            extra = {"X_PatSnap_Sandbox": "1"} if header else {}
            handler.send(200, json.dumps(body).encode(), **extra)

    with StandIn(script) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=False, source="sandbox")
        with pytest.raises(ProtocolError) as caught:
            pa.demo.study_queries(client, 1)
        assert error in str(caught.value) and STUDY in str(caught.value)
        assert all("apikey" not in r["query"] and "Authorization" not in r["headers"] for r in api.received)
        assert KEY not in str(caught.value)


@pytest.mark.parametrize(("changes", "error"), [
    ({"query_key": "sha256:" + "1" * 64}, "data.verdicts[0].query_key: names a query that was not asked for"),
    ({"relevance": 1}, "data.verdicts[0].relevance: 1 is not the grade of 'same design'"),
    ({"verdict": "unsure"}, "data.verdicts[0].verdict: must be one of"),
    ({"verdict_source": "reviewer"}, "data.verdicts[0].verdict_source: must be"),
    ("twice", "data.verdicts[1].patent_id: judges a hit a second time"),
])
def test_a_hostile_truth_is_an_error_naming_the_field_and_nothing_is_returned(changes, error):
    key = "sha256:" + "2" * 64
    data = _study_answer(b"", key, **({} if changes == "twice" else changes))["truth"]
    if changes == "twice":
        data["verdicts"] *= 2

    with StandIn(lambda h: h.send(200, json.dumps({"status": True, "data": data}).encode(),
                                  X_PatSnap_Sandbox="1")) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=False, source="sandbox")
        hits = pd.DataFrame({"query": ["q"], "query_key": [key], "patent_id": ["p9"]})
        with pytest.raises(ProtocolError) as caught:
            pa.verdicts.synthetic(client, hits)
        assert error in str(caught.value) and TRUTH in str(caught.value)
        assert api.calls(TRUTH) == 1  # checked, never retried into a second request


def test_the_shipped_verdict_set_is_the_default_sandbox_s_synthetic_truth():
    """data/verdicts.csv (scripts/sample_data.py) agrees with the families of the corpus pa.connect() starts, and
    reads back marked synthetic (it was made by Locarno class before the families existed, and read() dropped the
    mark)."""
    from patsnap_analytics.sandbox.sample import sample_corpus
    from patsnap_analytics.sandbox.truth import study_queries, truth_frame

    shipped = pa.verdicts.read(pa.demo.sample_verdicts())
    assert (shipped["verdict_source"] == "sandbox-synthetic").all() and len(shipped) < 300  # small
    corpus = sample_corpus()  # the default corpus (drawn once, cached; no index needed)
    queries = study_queries(corpus, 8, seed=0)
    assert shipped["query_key"].unique().tolist() == [q.key for q in queries]
    assert shipped["query"].unique().tolist() == [q.name for q in queries]
    family = truth_frame(corpus, queries)
    merged = shipped.merge(family[["query_key", "patent_id", "verdict"]], on=["query_key", "patent_id"],
                           how="outer", suffixes=("", "_truth"), indicator=True)
    assert (merged["_merge"] != "right_only").all()  # every family member is in the set
    members = merged[merged["_merge"] == "both"]
    assert (members["verdict"] == members["verdict_truth"]).all()
    assert (merged.loc[merged["_merge"] == "left_only", "verdict"] == "different").all()
    assert (shipped.groupby("query_key").size() >= 25).all()  # the first 25 hits of each query judged
