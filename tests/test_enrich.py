"""Enrichment by patent id and label() by the cheapest exact route, against a real sandbox over HTTP.

Call counts are read from the sandbox's own counters; labels are compared with the corpus metadata (the
ground truth) for every row, and with the filtered re-searches' labels (the old, exact-for-the-top-100 route).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import pandas as pd
import pytest
import requests

from patsnap_analytics import codes
from patsnap_analytics.errors import BudgetExceeded, ProtocolError, ValidationError
from patsnap_analytics.frames import ENRICHED_DTYPES
from patsnap_analytics.sandbox.corpus import legal_events

from .conftest import QUERIES, ROOT, SEARCH, UPLOAD, client_for

BIBLIO, SIMPLE, LEGAL = ("/basic-patent-data/simple-bibliography", "/basic-patent-data/simple-legal-status",
                         "/basic-patent-data/legal-status")
ENRICHMENT = (BIBLIO, SIMPLE, LEGAL)
FACETS = ("simple_legal_status", "legal_status", "country", "loc", "assignee", "application_year",
          "publication_year")


def enrichment_calls(sb) -> int:
    return sum(sb.stats[p] for p in ENRICHMENT)


def billed(sb) -> int:
    return sum(v for k, v in sb.stats.items() if k != "/oauth/token")


@pytest.fixture
def client(sb, tmp_path):
    return client_for(sb, cache=tmp_path / "cache.sqlite")


@pytest.fixture
def demo_hits(sb, client):
    """What `make demo` searches: the 8 sample query drawings, 25 hits each (200 rows)."""
    hits = client.search_many(sorted(QUERIES.glob("*.png")), limit=25, progress=False)
    assert len(hits) == 200
    sb.reset_stats()
    return hits


def truth(sb) -> pd.DataFrame:
    return sb.corpus.meta.set_index("patent_id")


def test_the_demo_landscape_costs_at_most_six_calls_and_a_second_run_none(sb, client, demo_hits, tmp_path):
    designs = demo_hits["patent_id"].nunique()
    per_endpoint = math.ceil(designs / 100)
    assert sum(client.label(demo_hits, by=by, dry_run=True) for by in ("simple_legal_status", "legal_status",
                                                                      "loc")) == 3 * per_endpoint
    df = demo_hits
    for by in FACETS:
        df = client.label(df, by=by, progress=False)
    assert billed(sb) == enrichment_calls(sb) == 3 * per_endpoint <= 6
    assert {p: sb.stats[p] for p in ENRICHMENT} == dict.fromkeys(ENRICHMENT, per_endpoint)
    routes = df.attrs["label_routes"]
    assert routes["country"]["route"] in ("rows", "office") and routes["country"]["calls"] == 0
    assert {routes[by]["route"] for by in FACETS if by != "country"} == {"enrichment"}
    assert sum(r["calls"] for r in routes.values()) == 3 * per_endpoint

    # a second run (another client on the same cache file: another notebook, another process) costs nothing
    sb.reset_stats()
    again = client_for(sb, cache=tmp_path / "cache.sqlite")
    assert sum(again.label(demo_hits, by=by, dry_run=True) for by in FACETS) == 0
    for by in FACETS:
        again.label(demo_hits, by=by, progress=False)
    assert again.enrich(demo_hits, progress=False).attrs["enrichment"]["calls"] == 0
    assert billed(sb) == 0


def test_enrichment_labels_equal_the_corpus_for_every_row(sb, client, demo_hits):
    df = client.enrich(demo_hits, progress=False)
    meta = truth(sb).loc[df["patent_id"].tolist()]
    assert df["simple_legal_status"].tolist() == meta["simple_legal_status"].tolist()
    assert df["legal_status"].tolist() == meta["legal_status"].tolist()
    assert df["legal_status_label"].tolist() == [codes.name_of("legal_status", c) for c in meta["legal_status"]]
    assert df["current_assignee"].tolist() == meta["assignee"].tolist()
    assert df["original_assignee"].tolist() == meta["original_assignee"].tolist()
    assert (df["current_assignee"] != df["original_assignee"]).sum() == (meta["assignee"] != meta["original_assignee"]).sum()
    assert df["loc"].tolist() == meta["loc"].str.split(",").tolist()
    assert df["inventors"].tolist() == meta["inventor"].str.split("|").tolist()
    assert df["applicants"].tolist() == meta["applicants"].str.split("|").tolist()
    assert df["application_number"].tolist() == meta["application_number"].tolist()
    assert (df["application_date"].to_numpy() == meta["apdt"].to_numpy()).all()
    assert (df["publication_date"].to_numpy() == meta["pbdt"].to_numpy()).all()
    assert df["title_en"].tolist() == meta["title_en"].tolist()
    last_event = [legal_events(row)[-1][0] for _, row in meta.reset_index().iterrows()]
    assert df["legal_status_date"].dt.date.tolist() == last_event
    # typed as the contract says; the rows and their order are those of the input
    assert str(df["application_date"].dtype) == "datetime64[ns]" and str(df["legal_status"].dtype) == "Int64"
    assert (df["application_date"].dropna() == df["application_date"].dropna().dt.normalize()).all()
    untouched = [c for c in demo_hits.columns if c not in ENRICHED_DTYPES]  # the rest enrichment fills
    pd.testing.assert_frame_equal(df[untouched], demo_hits[untouched])
    json.dumps(df.attrs)


def test_label_by_every_facet_matches_the_corpus(sb, client, demo_hits):
    df = demo_hits
    for by in FACETS:
        df = client.label(df, by=by, progress=False)
    meta = truth(sb).loc[df["patent_id"].tolist()]
    assert df["country"].tolist() == meta["country"].tolist()
    assert df["loc"].tolist() == meta["loc"].str.split(",").tolist()
    assert df["application_year"].tolist() == meta["apdt"].dt.year.tolist()
    assert df["publication_year"].tolist() == meta["pbdt"].dt.year.tolist()
    assert df["current_assignee"].tolist() == meta["assignee"].tolist()
    assert df["simple_legal_status_label"].notna().all() and df["loc_label"].notna().all()


@pytest.mark.parametrize("by", ["simple_legal_status", "legal_status", "country"])
def test_enrichment_equals_the_re_search_labels_for_the_top_100(sb, client, by):
    hits = client.search_designs(QUERIES / "query-3-06-01-chair.png", limit=100)
    by_enrichment = client.label(hits, by=by, progress=False)
    by_research = client.label(hits, by=by, route="research", progress=False)
    assert by_research.attrs["label_routes"][by]["route"] == "research"
    column = f"{by}_label"
    assert by_enrichment[column].notna().all()
    assert by_enrichment[column].tolist() == by_research[column].tolist()
    if by == "country":
        assert by_research["country_verified"].all()


def test_enrichment_equals_the_re_search_loc_labels_for_the_top_100(sb, client):
    hits = client.search_designs(QUERIES / "query-3-06-01-chair.png", limit=100)
    by_enrichment = client.enrich(hits, fields="bibliography", progress=False)
    subclasses = sorted({code for codes_ in by_enrichment["loc"] for code in codes_})
    # a re-search per subclass any hit carries: each row gets the subclasses whose filtered search returned it
    by_research = client.label(hits, by="loc", values=subclasses, route="research", progress=False)
    assert by_research.attrs["label_routes"]["loc"]["calls"] == len(subclasses)
    assert [sorted(found) for found in by_research["loc"]] == [sorted(codes_) for codes_ in by_enrichment["loc"]]


def test_more_than_100_patents_are_split_and_a_patent_is_paid_for_once(sb, client, demo_hits):
    designs = demo_hits["patent_id"].nunique()
    first = demo_hits[demo_hits["query"].isin(demo_hits["query"].unique()[:4])]
    client.enrich(first, fields="bibliography", progress=False)
    assert sb.stats[BIBLIO] == math.ceil(first["patent_id"].nunique() / 100)
    sb.reset_stats()
    # the whole batch: only the patents not yet known are paid for
    new = designs - first["patent_id"].nunique()
    assert client.enrich(demo_hits, fields="bibliography", dry_run=True) == math.ceil(new / 100)
    client.enrich(demo_hits, fields="bibliography", progress=False)
    assert sb.stats[BIBLIO] == math.ceil(new / 100) and billed(sb) == sb.stats[BIBLIO]


def test_dry_run_is_exact_and_max_calls_is_never_exceeded(sb, client, demo_hits):
    cost = client.enrich(demo_hits, dry_run=True)
    assert billed(sb) == 0
    with pytest.raises(BudgetExceeded, match=f"{cost} calls"):
        client.enrich(demo_hits, max_calls=cost - 1, progress=False)
    assert billed(sb) == 0  # refused before anything was sent
    client.enrich(demo_hits, max_calls=cost, progress=False)
    assert billed(sb) == cost


def test_unknown_patents_are_reported_not_errors(sb, client, demo_hits):
    df = demo_hits.head(5).copy()
    df["patent_id"] = pd.array(["not-a-patent", *df["patent_id"].iloc[1:]], dtype="string")
    out = client.enrich(df, fields=["simple_legal_status"], progress=False)
    assert out.attrs["enrichment"]["not_found"] == ["not-a-patent"]
    assert pd.isna(out["simple_legal_status"].iloc[0]) and out["simple_legal_status"].iloc[1:].notna().all()
    sb.reset_stats()  # the unknown patent is remembered too: asking again costs nothing
    again = client.enrich(df, fields=["simple_legal_status"], progress=False)
    assert billed(sb) == 0 and again.attrs["enrichment"]["not_found"] == ["not-a-patent"]


def test_an_unlicensed_endpoint_is_remembered_explained_and_label_falls_back(sb, client, demo_hits):
    sb.configure(unlicensed=(SIMPLE, LEGAL))
    with pytest.warns(UserWarning, match="not licensed for P013"):
        out = client.enrich(demo_hits, progress=False)
    info = out.attrs["enrichment"]
    assert info["fields"] == ["bibliography"] and set(info["unlicensed"]) == {"simple_legal_status", "legal_status"}
    assert "legal_status" not in out.columns and out["current_assignee"].notna().all()
    assert sb.stats[SIMPLE] == sb.stats[LEGAL] == 1  # one refused call each, then remembered
    sb.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.enrich(demo_hits, progress=False)
    assert sb.stats[SIMPLE] == sb.stats[LEGAL] == 0
    with pytest.warns(UserWarning, match=r"refresh=True asks again"):  # the warning says how to ask again
        client.enrich(demo_hits, fields="legal_status", progress=False)
    with pytest.warns(UserWarning, match="not licensed"):  # refresh=True asks the refusing endpoint again: 1 call
        client.enrich(demo_hits, fields="legal_status", refresh=True, progress=False)
    assert sb.stats[LEGAL] == 1
    sb.reset_stats()
    # label() now plans the filtered re-searches, states their cost, and spends exactly that
    planned = client.label(demo_hits, by="simple_legal_status", dry_run=True)
    assert planned == demo_hits["query"].nunique() * len(codes.SIMPLE_LEGAL_STATUS)
    out = client.label(demo_hits, by="simple_legal_status", progress=False)
    assert sb.stats[SEARCH] == planned and billed(sb) == planned
    route = out.attrs["label_routes"]["simple_legal_status"]
    assert route["route"] == "research" and "not licensed" in route["note"]
    assert out["simple_legal_status"].tolist() == truth(sb).loc[out["patent_id"].tolist(), "simple_legal_status"].tolist()
    # a facet only the bibliography answers cannot fall back: a clear error, no call
    sb.configure(unlicensed=(BIBLIO,))
    other = client_for(sb)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other.enrich(demo_hits, fields="bibliography", progress=False)
    before = billed(sb)
    with pytest.raises(ValidationError, match="no search filter can stand in"):
        other.label(demo_hits, by="assignee", progress=False)
    assert billed(sb) == before


def test_a_malformed_record_is_reported_naming_the_field_and_nothing_is_stored(client, demo_hits):
    """A stand-in server answers a bad date: the record is reported (a warning naming the endpoint, record and
    field; ``attrs["enrichment"]["malformed"]``), not stored; an answer of the wrong shape is a ProtocolError."""
    import patsnap_analytics as pa
    from patsnap_analytics.enrich import IncompleteEnrichmentWarning

    from .standin import KEY, StandIn

    pid = str(demo_hits["patent_id"].iloc[0])
    with StandIn() as api:
        api.answer = lambda h: h.json({"status": True, "error_code": 0, "data": [
            {"patent_id": pid, "legal_date": 20241399, "patent_legal": {"legal_status": ["Granted"]}}]})
        bad = pa.Client(api_key=KEY, base_url=api.url, cache=":memory:")
        with pytest.warns(IncompleteEnrichmentWarning, match=r"legal-status answered a malformed data\[0\]\.legal_date"):
            out = bad.enrich(demo_hits.head(1), fields="legal_status", progress=False)
        assert out.attrs["enrichment"]["malformed"][0]["patent_id"] == pid and pd.isna(out["legal_status"].iloc[0])
        assert bad.enricher.plan([pid], ["legal_status"]).calls == 1  # nothing was stored
        assert [r["path"] for r in api.received] == ["/basic-patent-data/legal-status"]  # one call, not retried
        api.answer = lambda h: h.json({"status": True, "error_code": 0, "data": {"patent_id": pid}})
        with pytest.raises(ProtocolError, match=r"legal-status answered a malformed data: must be array"):
            bad.enrich(demo_hits.head(1), fields="legal_status", progress=False)


def test_the_sandbox_answers_the_spec_shapes_and_its_limits(sb):
    meta = sb.corpus.meta
    params = {"apikey": sb.api_key}
    ids = ",".join(meta["patent_id"].iloc[:3])
    body = requests.get(sb.url + BIBLIO, params={**params, "patent_id": ids + ",nope",
                                                 "patent_number": meta["patent_pn"].iloc[5]}).json()
    assert body["status"] is True and [d["pn"] for d in body["data"]] == [*meta["patent_pn"].iloc[:3],
                                                                           meta["patent_pn"].iloc[5]]
    biblio = body["data"][0]["bibliographic_data"]
    assert biblio["classification_loc"][0]["code"] == meta["loc"].iloc[0].split(",")[0]
    assert isinstance(biblio["application_reference"]["date"], int)
    too_many = ",".join(meta["patent_id"].iloc[:101])
    for path in ENRICHMENT:
        answer = requests.get(sb.url + path, params={**params, "patent_id": too_many})
        assert answer.status_code == 200 and answer.json()["error_code"] == 68300004
        assert requests.get(sb.url + path, params=params).json()["error_code"] == 68300004
        assert requests.get(sb.url + path, params={"patent_id": ids}).json()["error_code"] == 67200008
    assert sb.stats[BIBLIO] == 4 and sb.stats[UPLOAD] == 0  # every call counted, failed ones too


def test_a_user_corpus_serves_its_own_assignees_and_dates(tmp_path):
    from patsnap_analytics.sandbox import Sandbox
    from patsnap_analytics.sandbox.user_corpus import index_directory

    from .conftest import png_bytes

    (tmp_path / "a.png").write_bytes(png_bytes())
    (tmp_path / "b.png").write_bytes(png_bytes(size=(80, 40)))
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,title,title_en,current_assignee,original_assignee,inventor,apdt,pbdt,isdt,"
        "legal_status,legal_events,application_number\n"
        "CN305000001S,a.png,06-01,椅子,Chair,Acme Ltd,Beta GmbH,Li Wei|Wang Na,2020-01-02,2020-06-01,2020-06-01,"
        "16,2020-06-01:3;2023-02-01:16,CN202030000001.X\n"
        "USD0900001S,b.png,06-01;06-03,Chair,,Acme Ltd,,,2021-03-04,,,,,\n", encoding="utf-8")
    corpus = index_directory(tmp_path, tmp_path / "meta.csv", tmp_path / "corpus")
    with Sandbox(corpus=corpus.root) as box:
        client = client_for(box, cache=False)
        df = pd.DataFrame({"patent_id": corpus.meta["patent_id"], "patent_pn": corpus.meta["patent_pn"]})
        out = client.enrich(df, progress=False)
    first, second = out.iloc[0], out.iloc[1]
    assert (first["current_assignee"], first["original_assignee"], first["title_en"]) == ("Acme Ltd", "Beta GmbH",
                                                                                          "Chair")
    assert first["legal_status_label"] == "Non-payment" and first["legal_events"] == ["Granted", "Non-payment"]
    assert first["legal_status_date"] == pd.Timestamp("2023-02-01") and first["inventors"] == ["Li Wei", "Wang Na"]
    assert second["original_assignee"] == "Acme Ltd" and second["loc"] == ["06-01", "06-03"]
    assert second["legal_status_label"] == "Published" and pd.isna(second["publication_date"])


def test_enrich_rejects_bad_input_before_any_call(sb, client, demo_hits):
    with pytest.raises(ValidationError, match="fields: unknown field 'abstract'"):
        client.enrich(demo_hits, fields=["abstract"])
    with pytest.raises(ValidationError, match="patent_id"):
        client.enrich(pd.DataFrame({"patent_pn": ["USD1S"]}))
    with pytest.raises(ValidationError, match="max_calls"):
        client.enrich(demo_hits, max_calls=-1)
    with pytest.raises(ValidationError, match="route"):
        client.label(demo_hits, by="assignee", route="office")
    assert billed(sb) == 0


def test_importing_the_package_still_loads_no_heavy_module():
    code = ("import sys, patsnap_analytics as pa; pa.Client; import patsnap_analytics.enrich; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'uvicorn', 'skimage') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_record_orjson_will_not_write_is_kept_as_escaped_json():
    # a title cut inside a character (a lone surrogate: an answer read before such text was read as U+FFFD, or a
    # record made by hand) is refused by orjson's writer: the record is kept all the same, as escaped JSON, and
    # reads back as the wire now reads it, U+FFFD in its place, which a frame can hold
    from patsnap_analytics.api import SIMPLE_BIBLIOGRAPHY
    from patsnap_analytics.frames import enriched_column
    from patsnap_analytics.records import PatentRecords

    records = PatentRecords(None)
    item = {"title_en": "Vase \ud83d", "application_date": "2020-01-31"}
    records.put("https://h", SIMPLE_BIBLIOGRAPHY, {"p1": item})
    read = records.get("https://h", SIMPLE_BIBLIOGRAPHY, ["p1"])
    assert read == {"p1": {"title_en": "Vase \ufffd", "application_date": "2020-01-31"}}
    assert enriched_column("title_en", [read["p1"]["title_en"]]).tolist() == ["Vase \ufffd"]
