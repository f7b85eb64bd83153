"""The sandbox's synthetic truth: study queries made from design families and their graded verdicts, over
real HTTP (``/_sandbox/study``, ``/_sandbox/truth``), from Python (``Sandbox.study_queries`` / ``truth``) and
from the command line; marked synthetic, in ``codes.VERDICTS``' words, answered only for queries it made.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import requests

from patsnap_analytics.codes import VERDICTS
from patsnap_analytics.sandbox.truth import StudyBook, UnknownQuery, study_queries
from tests.conftest import SINGLE, UPLOAD, client_for

KEY = r"sha256:[0-9a-f]{64}"


def get(sb, path: str, **params) -> requests.Response:
    return requests.get(f"{sb.url}{path}", params=params, timeout=60)


def test_forty_study_queries_cost_no_call_and_carry_their_graded_truth(sb):
    answer = get(sb, "/_sandbox/study", n=40, seed=0)
    assert answer.status_code == 200 and answer.headers["X-PatSnap-Sandbox"] == "1"
    data = answer.json()["data"]
    queries = pd.DataFrame(data["queries"])
    assert len(queries) == 40 and queries.query_key.is_unique and queries.name.is_unique
    assert queries.query_key.str.fullmatch(KEY).all()
    assert set(queries.degradation) == {"scanned", "photographed", "cropped"}
    assert queries.family_id.nunique() >= 15  # many designs, not one design many times
    assert sum(sb.stats.values()) == 0  # the truth is the sandbox's own: no business call
    for q in data["queries"][:6]:  # each image is what its key says
        image = requests.get(q["image_url"], timeout=30)
        assert image.status_code == 200 and "sha256:" + hashlib.sha256(image.content).hexdigest() == q["query_key"]
    truth = pd.DataFrame(data["truth"]["verdicts"])
    assert set(truth.query_key) == set(queries.query_key)
    assert (truth.verdict_source == "sandbox-synthetic").all() and data["truth"]["verdict_source"] == "sandbox-synthetic"
    assert (truth.relevance == truth.verdict.map(VERDICTS)).all() and set(truth.verdict) <= set(VERDICTS)
    assert data["truth"]["unlisted"] == "different" and data["truth"]["designs"] == len(sb.corpus.meta)
    meta = sb.corpus.meta.set_index("patent_id")
    members = meta.loc[truth.patent_id]
    assert (members.family_id.to_numpy() == truth.family_id.to_numpy()).all()
    expected = members.family_role.map({"original": 2, "registration": 2, "copy": 2, "variant": 1})
    assert (truth.relevance.to_numpy() == expected.to_numpy()).all()
    per_query = truth.groupby("query_key").relevance
    assert (per_query.max() == 2).all() and (per_query.size() >= 2).all()  # its design and more of its family
    assert {"registration", "variant", "copy"} <= set(truth.family_role)


def test_the_truth_route_answers_by_key_and_matches_python(sb):
    study = sb.study_queries(12, seed=4)
    listing = get(sb, "/_sandbox/study", n=12, seed=4).json()["data"]
    assert [q["query_key"] for q in listing["queries"]] == study.keys  # one generator: the same set
    answer = get(sb, "/_sandbox/truth", query_key=study.keys[:3]).json()
    assert answer["status"] is True
    over_http = pd.DataFrame(answer["data"]["verdicts"])
    expected = study.truth[study.truth.query_key.isin(study.keys[:3])].reset_index(drop=True)
    pd.testing.assert_frame_equal(over_http, expected, check_dtype=False)
    assert study_queries(sb.corpus, 12, seed=4)[5].key == study.keys[5]  # deterministic: nothing stored


def test_a_query_searched_through_the_client_is_judged_by_its_key(sb):
    client = client_for(sb, cache=":memory:")
    study = sb.study_queries(3, seed=9)
    image, key = study.images[0], study.keys[0]
    hits = client.search_designs(image, endpoint="image-single", model=2, limit=25)
    assert sb.stats[SINGLE] == 1 and sb.stats[UPLOAD] == 1
    assert "sha256:" + hashlib.sha256(image).hexdigest() == key  # the contract's query key
    truth = sb.truth(key, patent_ids=hits.patent_id)
    graded = hits.merge(truth[["patent_id", "verdict", "relevance"]], on="patent_id", how="left")
    assert graded.verdict.notna().all()  # every hit judged: its family's members by grade, the rest different
    assert set(truth.verdict) == {"same design", "different"} | ({"similar"} & set(truth.verdict))
    assert graded.relevance.iloc[0] == 2  # a scan finds its own design first
    assert graded.loc[graded.relevance == 0, "score"].max() < graded.loc[graded.relevance == 2, "score"].min()


@pytest.mark.parametrize(("params", "fragment"), [
    ({"query_key": "sha256:" + "0" * 64}, "is not a study query this sandbox generated"),
    ({"query_key": "abc"}, "sha256: and the 64 lowercase hex digits"),
    ({"query_key": "SHA256:" + "A" * 64}, "sha256: and the 64 lowercase hex digits"),
    ({}, "query_key"),
    ({"query_key": [f"sha256:{k:064x}" for k in range(201)]}, "at most 200"),
])
def test_the_truth_refuses_what_it_did_not_make_with_the_apis_parameter_error(sb, params, fragment):
    answer = get(sb, "/_sandbox/truth", **params)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] is False and body["error_code"] == 68300004 and fragment in body["error_msg"]


def test_an_unknown_key_is_named_and_the_way_to_get_truth_said(sb):
    unknown = "sha256:" + hashlib.sha256(b"a drawing of my own").hexdigest()
    message = get(sb, "/_sandbox/truth", query_key=unknown).json()["error_msg"]
    assert unknown in message and "/_sandbox/study" in message and "Sandbox.study_queries" in message
    with pytest.raises(UnknownQuery, match="not a study query"):
        sb.truth([unknown])


@pytest.mark.parametrize(("path", "params"), [
    ("/_sandbox/study", {"n": 0}), ("/_sandbox/study", {"n": 251}), ("/_sandbox/study", {"seed": -1}),
    ("/_sandbox/study", {"n": "many"}), ("/_sandbox/study/images/" + "0" * 64 + ".png", {}),
    ("/_sandbox/study/images/..%2F..%2Fetc%2Fpasswd", {}), ("/_sandbox/study/images/" + "0" * 64 + ".gif", {}),
])
def test_bad_study_requests_are_answered_never_with_a_5xx(sb, path, params):
    answer = get(sb, path, **params)
    assert answer.status_code in (200, 404) and answer.json()["status"] is False


def test_a_study_images_extension_must_be_its_own(sb):
    q = get(sb, "/_sandbox/study", n=2, seed=6).json()["data"]["queries"]
    for item in q:
        ext = item["image_url"].rsplit(".", 1)[1]
        wrong = item["image_url"][: -len(ext)] + ("jpg" if ext == "png" else "png")
        assert requests.get(wrong, timeout=30).status_code == 404


def test_a_corpus_without_families_has_no_study_and_says_so(tmp_path):
    from patsnap_analytics.sandbox import Sandbox
    from patsnap_analytics.sandbox.drawing import GENERATORS, render_design
    from patsnap_analytics.sandbox.user_corpus import index_directory

    lines = ["patent_pn,image,loc"]
    for k, code in enumerate(sorted(GENERATORS)[:3]):
        render_design(code, np.random.default_rng(k))[0].save(tmp_path / f"d{k}.png")
        lines.append(f"USD09{k:05d}S,d{k}.png,{code}")
    (tmp_path / "meta.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = index_directory(tmp_path, tmp_path / "meta.csv", tmp_path / "corpus")
    assert (corpus.meta.family_id == "").all() and (corpus.meta.family_role == "").all()
    with Sandbox(corpus=corpus) as sb:
        body = get(sb, "/_sandbox/study", n=5).json()
    assert body["status"] is False and body["error_code"] == 68300004 and "no design families" in body["error_msg"]


def test_the_book_remembers_a_bounded_number_of_queries(sb):
    book = StudyBook(limit=5)
    first = book.generate(sb.corpus, 4, seed=11)
    later = book.generate(sb.corpus, 8, seed=12)
    assert len(book.truth(sb.corpus, [q.key for q in later[-5:]])) >= 5
    with pytest.raises(UnknownQuery):
        book.truth(sb.corpus, [first[0].key])  # the oldest were forgotten


def test_the_command_line_writes_study_queries_and_their_truth(tmp_path):
    out = tmp_path / "study"
    done = subprocess.run([sys.executable, "-m", "patsnap_analytics.cli", "sandbox", "queries", str(out),
                           "--study", "6", "--designs", "300"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    truth = pd.read_csv(out / "truth.csv")
    images = sorted(p.name for p in out.iterdir() if p.suffix in (".png", ".jpg"))
    assert len(images) == 6 and sorted(set(truth["query"])) == images
    for name, key in truth.groupby("query")["query_key"].first().items():
        assert "sha256:" + hashlib.sha256((out / name).read_bytes()).hexdigest() == key
    assert (truth.verdict_source == "sandbox-synthetic").all() and "truth.csv" in done.stdout
