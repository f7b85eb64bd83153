"""The image-search family over real HTTP: search-id and its results paging, image-single, its line-drawing
beta and image-multiple, through the real client, session and cache, against the sandbox on 127.0.0.1.

Call counts are the sandbox's server-side counters. The vendor's OpenAPI description (``../shared/api-spec``)
is the yardstick for the newer endpoints: its row schemas are ``$ref``\\ s to components the file does not
hold, so :data:`COMPONENTS` writes them here from ``api-facts.md``, strictly (no other field allowed).
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import requests
from PIL import Image

from patsnap_analytics.errors import PermissionDeniedError, ValidationError
from patsnap_analytics.frames import FRAME_DTYPES
from patsnap_analytics.images import Views
from patsnap_analytics.searcher import IncompleteSearchWarning
from tests.conftest import BETA, ENDPOINT_MODELS, MULTIPLE, RESULTS, SEARCH, SINGLE, UPLOAD, client_for

SPEC_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "api-spec" / "patsnap-image-ops.json"
# the API's paths, written out here as the tests' own spec
JSON_PATHS = {"image-single": SINGLE, "image-single-beta": BETA, "image-multiple": MULTIPLE}
_TEXT = {"type": ["string", "null"]}
_DAY = {"type": ["integer", "null"], "minimum": 19000101, "maximum": 20991231}
_ROW = {"type": "object", "additionalProperties": False, "required": ["patent_id", "patent_pn", "url", "title"],
        "properties": {"url": {"type": "string"}, "title": {"type": "string"}, "img_id": _TEXT,
                       "patent_id": {"type": "string"}, "patent_pn": {"type": "string"}, "apno": _TEXT,
                       "apdt": _DAY, "pbdt": _DAY, "score": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                       "inventor": _TEXT, "current_assignee": _TEXT, "original_assignee": _TEXT,
                       "authority": {"type": "string", "pattern": "^[A-Z]{2}$"},
                       "loc": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{2}-[0-9]{2}$"}},
                       "loc_match": {"enum": [0, 1]}}}
#: The component schemas the spec refers to but does not hold (rows of P060, P060 beta, P061).
COMPONENTS = {"P060PatentImageSingle_PatentExtendMessage": _ROW, "P060ImageSingleBeta_PatentMessage": _ROW,
              "P061PatentImageMultiple_PatentExtendMessage": _ROW}

pytestmark = pytest.mark.skipif(not SPEC_FILE.is_file(), reason="../shared/api-spec is not available")


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def response_validator(spec: dict, path: str) -> jsonschema.Draft202012Validator:
    schema = copy.deepcopy(spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"])
    schema["components"] = {"schemas": COMPONENTS}
    schema["properties"]["data"]["required"] = ["patent_messages", "total_search_result_count"]
    return jsonschema.Draft202012Validator(schema)


def png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def post(sb, path: str, body, **kw) -> requests.Response:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(f"{sb.url}{path}", params={"apikey": sb.api_key}, data=data,
                         headers={"Content-Type": "application/json"}, timeout=30, **kw)


def view_url(sb, design: int, view: int = 0) -> str:
    return f"{sb.url}/_sandbox/files/designs/{design}/{view}.png"


def designs_of(sb, patent_type: str, min_views: int = 1) -> np.ndarray:
    meta = sb.corpus.meta
    return np.flatnonzero((meta.patent_type.eq(patent_type) & meta.n_views.ge(min_views)).to_numpy())


def rank_of(df: pd.DataFrame, patent_id: str) -> int | None:
    hit = df.loc[df.patent_id == patent_id, "rank"]
    return int(hit.iloc[0]) if len(hit) else None


# ---------------------------------------------------------------------------------------------- every endpoint



@pytest.mark.parametrize(("endpoint", "filters"), ENDPOINT_MODELS)
def test_each_endpoint_and_model_answers_typed_rich_rows_for_one_call(sb, drawing, endpoint, filters):
    client = client_for(sb, cache=":memory:")
    df = client.search_designs(drawing, endpoint=endpoint, limit=15, **filters)
    path = JSON_PATHS.get(endpoint, SEARCH)
    assert sb.stats[path] == 1 and sb.stats["/image-search/image-upload"] == 1
    assert len(df) == 15 and df["rank"].tolist() == list(range(1, 16))
    assert {c: str(t) for c, t in df.dtypes.items()} == FRAME_DTYPES
    meta = sb.corpus.meta.set_index("patent_id")
    wanted = filters.get("patent_type", "D")
    assert (meta.loc[df.patent_id, "patent_type"] == wanted).all()
    if endpoint == "search-id":
        assert df.application_date.isna().all() and df.search_id.notna().all()
    else:  # rich rows: every column the landscape needs, typed
        assert df.application_number.notna().all() and df.application_date.notna().all()
        assert df.current_assignee.notna().all() and all(isinstance(x, list) and x for x in df.inventors)
        assert all(isinstance(x, list) and x for x in df["loc"])
        assert (df.country == meta.loc[df.patent_id, "country"].to_numpy()).all()
        assert df.loc_match.notna().all() == (filters.get("model") == 1)
    assert df.score.is_monotonic_decreasing


def test_the_keyword_and_search_option_fields_travel_in_their_json_form_and_take_effect(sb, drawing):
    from patsnap_analytics.query import DesignQuery

    client = client_for(sb, cache=":memory:")
    options = dict(include_machine_translation=True, pre_filter=0, score_expansion=True)
    plain = client.search_designs(drawing, endpoint="image-single", model=2, limit=100, **options)
    word = plain["title"].str.split().str[-1].mode().iloc[0]  # a word many of the hits' titles end with
    titled = plain["title"].str.contains(word, case=False)
    by_text = client.search_designs(drawing, endpoint="image-single", model=2, limit=100,
                                    query_text=f"TACD: {word}", **options)
    # query_text filtered on the server: fewer designs match, and every titled hit is among them
    assert by_text.attrs["total_count"] < plain.attrs["total_count"]
    assert set(plain.patent_id[titled]) <= set(by_text.patent_id)
    plural = word.lower() + "s"
    stemmed = client.search_designs(drawing, endpoint="image-single", model=2, limit=100, main_field=plural,
                                    stemming=1, **options)
    literal = client.search_designs(drawing, endpoint="image-single", model=2, limit=100, main_field=plural,
                                    stemming=0, **options)
    assert set(stemmed.patent_id) >= set(by_text.patent_id) and len(stemmed) > len(literal)  # stemming took effect
    assert sb.stats[SINGLE] == 4 and sb.stats["/image-search/image-upload"] == 1
    # the JSON body's own types (booleans, integers, text), as the spec has them, and read back the same
    query = DesignQuery(endpoint="image-single", model=2, query_text=f"TACD: {word}", stemming=1, **options)
    body = query.to_wire()
    assert (body["include_machine_translation"], body["pre_filter"], body["score_expansion"], body["stemming"],
            body["query_text"]) == (True, 0, True, 1, f"TACD: {word}")
    assert DesignQuery.from_api_body("image-single", {"url": "https://x/y.png", **body}).to_wire() == body


def test_views_as_a_list_go_to_image_multiple_and_client_default_endpoint(sb, query_images):
    client = client_for(sb, cache=":memory:", endpoint="image-single")
    assert client.endpoint == "image-single"
    client.search_designs(query_images[0], limit=5)
    df = client.search_designs(Views(query_images[0], query_images[1]), limit=5)
    assert sb.stats[SINGLE] == 1 and sb.stats[MULTIPLE] == 1
    assert df.attrs["endpoint"] == MULTIPLE and len(df.attrs["queries"][df["query"].iloc[0]]["views"]) == 2


# ---------------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize(("call", "parameter", "fragment"), [
    (dict(endpoint="search-id", model=2), "model", "search-id endpoint does not take model"),
    (dict(endpoint="search-id", lang="en"), "lang", "image-single"),
    (dict(endpoint="image-single", model=3), "model", "patent_type D"),
    (dict(endpoint="image-single", patent_type="U", model=1), "model", "patent_type U"),
    (dict(endpoint="image-single", offset=1001), "offset", "0 to 1000"),
    (dict(endpoint="image-single", offset=1000, limit=101), "limit", "at most 1100"),
    (dict(endpoint="image-single", lang="fr"), "lang", "original, cn, en"),
    (dict(endpoint="image-single", is_https=2), "is_https", "0 or 1"),
    (dict(endpoint="search-id", field="SCORE"), "field", "newer endpoints"),
    (dict(endpoint="image-single-2"), "endpoint", "image-single-beta"),
])
def test_bad_input_names_the_parameter_and_costs_nothing(sb, drawing, call, parameter, fragment):
    client = client_for(sb, cache=":memory:")
    with pytest.raises(ValidationError) as info:
        client.search_designs(drawing, **call)
    assert info.value.parameter == parameter and fragment in str(info.value)
    assert sum(sb.stats.values()) == 0


def test_five_views_and_views_to_a_single_image_endpoint_are_refused(sb, query_images):
    client = client_for(sb, cache=":memory:")
    with pytest.raises(ValidationError, match="1 to 4 views"):
        client.search_designs(query_images[:5])
    with pytest.raises(ValidationError, match="image-multiple"):
        client.search_designs(query_images[:2], endpoint="image-single")
    assert sum(sb.stats.values()) == 0


@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2]", {"patent_type": "D", "model": 1},
    {"url": "U", "patent_type": "D", "model": "1"}, {"url": "U", "patent_type": "D", "model": 3},
    {"url": "U", "patent_type": "X", "model": 1}, {"url": "U", "patent_type": "D", "model": 1, "offset": 1001},
    {"url": "U", "patent_type": "D", "model": 1, "limit": 101}, {"url": "U", "patent_type": "D", "model": 1,
                                                                  "country": "CN,US"},
    {"url": "U", "patent_type": "D", "model": 1, "apply_start_time": "2020-01-01"},
    {"url": "U", "patent_type": "D", "model": 1, "return_img_id": "yes"},
    {"urls": ["U"] * 5, "patent_type": "D", "model": 1},
])
def test_bad_bodies_get_68300004_with_http_200(sb, body):
    good = view_url(sb, 0)
    for path in (SINGLE, BETA, MULTIPLE):
        payload = body
        if isinstance(body, dict):
            payload = json.loads(json.dumps(body).replace('"U"', json.dumps(good)))
            if path == MULTIPLE and "url" in payload:
                payload["urls"] = [payload.pop("url")]
        resp = post(sb, path, payload)
        assert resp.status_code == 200, (path, resp.text)
        assert resp.json()["status"] is False and resp.json()["error_code"] == 68300004, (path, body)


# ---------------------------------------------------------------------------------------------- the spec

def test_every_answer_matches_the_spec_response_schemas(sb, spec):
    multi = designs_of(sb, "D", min_views=3)[0]
    urls = [view_url(sb, int(multi), v) for v in range(3)]
    bodies = [{"patent_type": "D", "model": 1, "limit": 30}, {"patent_type": "D", "model": 2, "field": "APD",
                                                              "order": "asc", "return_img_id": True, "lang": "en"},
              {"patent_type": "U", "model": 4, "offset": 5, "is_https": 1, "lang": "cn", "score_expansion": True},
              {"patent_type": "D", "model": 1, "country": ["CN", "JP"], "pre_filter": 0, "stemming": 1,
               "main_field": "chairs"}]
    checked = 0
    for path in (SINGLE, BETA, MULTIPLE):
        validator = response_validator(spec, path)
        for body in bodies:
            views = {"urls": urls} if path == MULTIPLE else {"url": urls[0]}
            answer = post(sb, path, {**views, **body}).json()
            assert answer["status"] is True, answer
            errors = sorted(validator.iter_errors(answer), key=str)
            assert not errors, f"{path} {body}: {errors[0]}"
            checked += len(answer["data"]["patent_messages"])
    assert checked > 100


@pytest.mark.parametrize("path", [SINGLE, BETA, MULTIPLE])
def test_every_request_example_of_the_spec_is_answered_status_true(sb, spec, path):
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    body = {name: prop["example"] for name, prop in schema["properties"].items() if "example" in prop}
    assert {"patent_type", "model"} <= set(body)
    # the vendor's sample image lives on its own host; the sandbox searches only images it issued
    if "urls" in body:
        body["urls"] = [view_url(sb, 1), view_url(sb, 2)]
    else:
        body["url"] = view_url(sb, 1)
    answer = post(sb, path, body).json()
    assert answer["status"] is True and answer["error_code"] == 0, answer
    assert not list(response_validator(spec, path).iter_errors(answer))


# ---------------------------------------------------------------------------------------------- paging and cost

@pytest.mark.parametrize(("endpoint", "paths"), [
    ("image-single", {SINGLE: 3}), ("image-multiple", {MULTIPLE: 3}), ("search-id", {SEARCH: 1, RESULTS: 2})])
def test_250_ranks_cost_3_calls_then_none_and_are_continuous(sb, drawing, endpoint, paths):
    client = client_for(sb, cache=":memory:")
    df = client.search_designs(drawing, endpoint=endpoint, limit=250)
    assert {p: n for p, n in sb.stats.items() if n and p != "/image-search/image-upload"} == paths
    assert df["rank"].tolist() == list(range(1, 251)) and df.patent_id.is_unique
    for _, group in df.groupby(df.loc_match.fillna(False)):  # model 1 ranks the predicted class first
        assert group.score.is_monotonic_decreasing  # scores never rise across pages
    assert (df.total_count > 250).all()
    sb.reset_stats()
    again = client.search_designs(drawing, endpoint=endpoint, limit=250)
    assert sum(sb.stats.values()) == 0 and again.attrs["from_cache"] is True
    assert again.patent_id.tolist() == df.patent_id.tolist()


def test_offset_pages_continue_the_same_ranking(sb, drawing):
    client = client_for(sb, cache=":memory:")
    whole = client.search_designs(drawing, endpoint="image-single", model=2, limit=200)
    page2 = client.search_designs(drawing, endpoint="image-single", model=2, offset=100, limit=100)
    assert page2["rank"].tolist() == list(range(101, 201))
    assert page2.patent_id.tolist() == whole.patent_id.tolist()[100:]
    assert not set(page2.patent_id) & set(whole.patent_id[:100])


def test_total_counts_every_match_after_filters(sb, drawing):
    client = client_for(sb, cache=":memory:")
    df = client.search_designs(drawing, endpoint="image-single", model=2, country=["CN", "US"], limit=5)
    meta = sb.corpus.meta
    expected = int((meta.country.isin(["CN", "US"]) & meta.patent_type.eq("D")).sum())
    assert int(df.total_count.iloc[0]) == expected


def test_search_id_pages_through_results_and_renews_an_expired_search_id(sb, drawing):
    client = client_for(sb, cache=":memory:")
    first = client.search_designs(drawing, limit=100)
    sb.advance_clock(21 * 60)  # the search_id is dead on the server's clock; the client's copy looks fresh
    dead = requests.get(f"{sb.url}{RESULTS}", params={"apikey": sb.api_key, "search_id": first.search_id.iloc[0],
                                                       "offset": 100, "limit": 10}, timeout=30).json()
    assert dead["error_code"] == 68300004 and "expired" in dead["error_msg"]
    sb.reset_stats()
    deeper = client.search_designs(drawing, limit=200)
    # page 1 from the cache; results refused the dead id (68300004); one new search; results again
    assert sb.stats[SEARCH] == 1 and sb.stats[RESULTS] == 2
    assert sb.stats_detail()["by_error_code"] == {"68300004": 1}
    assert deeper.patent_id.tolist()[:100] == first.patent_id.tolist() and deeper.patent_id.is_unique


def test_a_failed_page_keeps_the_earlier_pages_and_says_which_ranks_are_missing(sb, drawing):
    client = client_for(sb, cache=":memory:")
    client.search_designs(drawing, endpoint="image-single", limit=100)
    sb.reset_stats()
    sb.fail_next(67200007)  # the daily quota runs out on page 2
    with pytest.warns(IncompleteSearchWarning, match="ranks 101-250 are missing"):
        partial = client.search_designs(drawing, endpoint="image-single", limit=250)
    assert partial["rank"].tolist() == list(range(1, 101))
    assert partial.attrs["missing_ranks"] == [[101, 250]] and "DailyQuota" in partial.attrs["missing_reason"]
    sb.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = client.search_designs(drawing, endpoint="image-single", limit=250)
    assert sb.stats[SINGLE] == 2 and len(whole) == 250 and whole.attrs["missing_ranks"] == []


def test_a_refusal_names_the_endpoint_and_is_not_paid_twice(sb, drawing):
    client = client_for(sb, cache=":memory:")
    client.upload_image(drawing)  # the refusal scripted next is the search's, not the upload's
    sb.fail_next(67200004)
    with pytest.raises(PermissionDeniedError) as info:
        client.search_designs(drawing, endpoint="image-single", limit=5)
    text = str(info.value)
    assert "image-single" in text and "'image-single-beta'" in text and "'image-multiple'" in text
    before = sb.stats[SINGLE]
    with pytest.raises(PermissionDeniedError, match="remembered a day beside the cache: no call was sent; "
                                                    "refresh=True asks again"):
        client.search_designs(drawing, endpoint="image-single", limit=7)
    assert sb.stats[SINGLE] == before and client.stats.as_dict()["refusals_remembered"] == 1
    assert len(client.search_designs(drawing, endpoint="image-single-beta", limit=5)) == 5
    # the licence was granted since: refresh=True asks again (one call), and the answer is served from then on
    assert len(client.search_designs(drawing, endpoint="image-single", limit=7, refresh=True)) == 7
    assert sb.stats[SINGLE] == before + 1
    assert len(client.search_designs(drawing, endpoint="image-single", limit=7)) == 7 and sb.stats[SINGLE] == before + 1


def test_a_remembered_refusal_outlives_the_client_and_refresh_asks_again(sb, drawing, tmp_path):
    # review: docs/endpoints.md said "a new client asks again"; refusals are kept a day beside the cache (a
    # team shares them), so a new client on the same cache is refused without a call until refresh=True
    cache = tmp_path / "c.sqlite"
    first = client_for(sb, cache=cache)
    first.upload_image(drawing)
    sb.fail_next(67200004)
    with pytest.raises(PermissionDeniedError):
        first.search_designs(drawing, endpoint="image-single", limit=5)
    first.close()
    asked = sb.stats[SINGLE]
    second = client_for(sb, cache=cache)
    with pytest.raises(PermissionDeniedError, match="refresh=True asks again"):
        second.search_designs(drawing, endpoint="image-single", limit=5)
    assert sb.stats[SINGLE] == asked
    assert second.cache_info()["patent_records"] == 0  # a remembered refusal is not a patent record
    assert len(second.search_designs(drawing, endpoint="image-single", limit=5, refresh=True)) == 5
    assert sb.stats[SINGLE] == asked + 1
    second.close()


def test_an_upload_s_refusal_is_not_remembered_as_the_search_endpoint_s(sb, drawing):
    # issue 24: the upload happened inside the search call's refusal handling, so a 67200004 answered to the
    # upload was blamed on image-single, named it unlicensed and blocked it (no call sent) for the client's life
    client = client_for(sb, cache=":memory:")
    sb.fail_next(67200004)
    with pytest.raises(PermissionDeniedError) as info:
        client.search_designs(drawing, endpoint="image-single", limit=5)
    assert "licence for the image-single" not in str(info.value) and info.value.path == UPLOAD
    before = sb.stats[SINGLE]
    assert len(client.search_designs(drawing, endpoint="image-single", limit=5)) == 5
    assert sb.stats[SINGLE] == before + 1 and client.stats.as_dict()["refusals_remembered"] == 0


def test_json_searches_are_cached_by_image_and_body_never_uploads_or_tokens(sb, drawing, tmp_path):
    client = client_for(sb, auth="oauth", cache=tmp_path / "c.sqlite")
    client.search_designs(drawing, endpoint="image-single", limit=10)
    client.search_designs(drawing, endpoint="image-single", limit=10, country=["CN"])
    stored = [r.request for r in client.session.cache.responses.values()]
    assert sorted(r.method for r in stored) == ["POST", "POST"]
    assert all(r.url.split("?")[0].endswith(SINGLE) for r in stored)
    raw = (tmp_path / "c.sqlite").read_bytes()
    assert sb.client_secret.encode() not in raw and b"sandbox-token-" not in raw


# ---------------------------------------------------------------------------------------------- semantics

def test_model_1_predicts_the_locarno_class_and_ranks_it_first(sb, query_images):
    watch = next(p for p in query_images if "10-02" in p.name)
    client = client_for(sb, cache=":memory:")
    smart = client.search_designs(watch, endpoint="image-single", model=1, limit=60)
    plain = client.search_designs(watch, endpoint="image-single", model=2, limit=60)
    matched = smart.loc_match.tolist()
    assert matched[0] and matched == sorted(matched, reverse=True)  # the predicted class first
    assert all("10-02" in codes for codes in smart.loc[smart.loc_match.astype(bool), "loc"])
    in_class = lambda df: sum("10-02" in codes for codes in df["loc"][:30])  # noqa: E731
    assert in_class(smart) > in_class(plain)
    assert plain.loc_match.isna().all()


def test_image_multiple_fuses_views(sb):
    client = client_for(sb, cache=":memory:")
    a, b = (int(d) for d in designs_of(sb, "D", min_views=3)[:2])
    images = [sb.corpus.view_path(a, 0), sb.corpus.view_path(a, 1), sb.corpus.view_path(b, 0)]
    df = client.search_designs(Views([p.read_bytes() for p in images]), model=2, limit=20)
    pid = sb.corpus.meta.patent_id
    assert rank_of(df, pid[a]) == 1 and rank_of(df, pid[a]) < (rank_of(df, pid[b]) or 99)
    all_views = client.search_designs(Views([sb.corpus.view_path(a, v).read_bytes() for v in range(3)]), model=2,
                                       limit=3)
    assert rank_of(all_views, pid[a]) == 1 and float(all_views.score.iloc[0]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("rendering", ["photo_like", "silhouette", "printout_photo"])
def test_beta_finds_photo_like_queries_drawings_better_than_image_single(sb, rendering):
    from patsnap_analytics.sandbox import linework

    make = getattr(linework, rendering)  # a shaded rendering, a filled silhouette, a photo of a printout
    client = client_for(sb, cache=":memory:")
    designs = designs_of(sb, "D")[::9][:25]
    ranks = {"image-single": [], "image-single-beta": []}
    for d in designs:
        query = make(sb.corpus.view_path(int(d), 0).read_bytes(), seed=int(d))
        for endpoint, found in ranks.items():
            df = client.search_designs(query, endpoint=endpoint, model=2, limit=50)
            found.append(rank_of(df, sb.corpus.meta.patent_id[d]) or 51)
    mrr = {e: float(np.mean([1 / r for r in found])) for e, found in ranks.items()}
    print(f"{rendering} queries, mean reciprocal rank of their drawing: {mrr}")
    assert mrr["image-single-beta"] > mrr["image-single"]


def test_model_3_ignores_colour_and_model_4_weighs_it(sb):
    client = client_for(sb, cache=":memory:")
    ranks3, ranks4 = [], []
    for d in designs_of(sb, "U")[:8]:
        pixels = np.asarray(Image.open(sb.corpus.view_path(int(d), 0)).convert("RGB")).copy()
        inks = sorted({tuple(p) for p in pixels.reshape(-1, 3)} - {(255, 255, 255)})
        first, second = (pixels == inks[0]).all(-1), (pixels == inks[1]).all(-1)
        pixels[first], pixels[second] = inks[1], inks[0]  # the same drawing, its two colours swapped
        query = png(Image.fromarray(pixels))
        pid = sb.corpus.meta.patent_id[d]
        ranks3.append(rank_of(client.search_designs(query, endpoint="image-single", patent_type="U", model=3,
                                                    limit=30), pid))
        ranks4.append(rank_of(client.search_designs(query, endpoint="image-single", patent_type="U", model=4,
                                                    limit=30), pid) or 31)
    assert ranks3 == [1] * len(ranks3)
    assert sum(r > 1 for r in ranks4) >= len(ranks4) // 2 and all(r4 >= 1 for r4 in ranks4)


def test_lang_return_img_id_and_is_https(sb, drawing):
    client = client_for(sb, cache=":memory:")
    kw = dict(endpoint="image-single", model=2, country=["CN"], limit=10)
    original = client.search_designs(drawing, **kw)
    english = client.search_designs(drawing, lang="en", return_img_id=True, is_https=1, **kw)
    assert original.patent_id.tolist() == english.patent_id.tolist()
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in original.title)
    assert all(t.isascii() for t in english.title)
    assert original.img_id.isna().all() and english.img_id.notna().all()
    assert original.image_url.str.startswith("http://").all() and english.image_url.str.startswith("https://").all()
    assert client.fetch_image(english.image_url.iloc[0]).startswith(b"\x89PNG")  # the sandbox's links still work


# ---------------------------------------------------------------------------------------------- the other faces

def test_batch_labels_and_report_work_with_rich_frames(sb, query_images, tmp_path):
    from patsnap_analytics.report import landscape_report

    client = client_for(sb, cache=":memory:")
    df = client.search_many([[query_images[0], query_images[1]], query_images[2]], endpoint="image-multiple",
                            limit=20, progress=False)
    assert df["query"].nunique() == 2 and sb.stats[MULTIPLE] == 2 and not df.attrs["failures"]
    sb.reset_stats()
    assert client.label(df, by="country", dry_run=True) == 0  # rich rows carry the office: free
    by_loc = client.label(df, by="loc", progress=False)  # the rows' own Locarno classes: free
    assert sum(sb.stats.values()) == 0 and by_loc.attrs["label_routes"]["loc"]["route"] == "rows"
    assert by_loc["loc"].map(lambda codes: isinstance(codes, list) and len(codes) > 0).all()
    # the re-search route runs each query again through its own endpoint (image-multiple, its views)
    planned = client.label(df, by="simple_legal_status", route="research", dry_run=True)
    by_status = client.label(df, by="simple_legal_status", route="research", progress=False)
    assert sb.stats[MULTIPLE] == planned
    assert sb.stats[MULTIPLE] > 0 and sb.stats[SINGLE] == sb.stats[SEARCH] == 0  # re-searched as it was
    meta = sb.corpus.meta.set_index("patent_id")
    known = by_status.dropna(subset=["simple_legal_status"])
    assert len(known) == len(by_status)  # labelling by filtered re-searches stays exact under model 1
    assert (known.simple_legal_status.astype(int).to_numpy() == meta.loc[known.patent_id, "simple_legal_status"]
            .to_numpy()).all()
    report = landscape_report(by_status, tmp_path / "r.html", client=client)
    assert report.stat().st_size > 20_000


@pytest.mark.parametrize(("row", "field"), [
    ({"patent_id": "p", "apdt": "20200131"}, "apdt"), ({"patent_id": "p", "loc": "10-02"}, "loc"),
    ({"patent_id": "p", "loc_match": 2}, "loc_match"), ({"patent_id": ""}, "patent_id"),
])
def test_a_malformed_rich_row_is_a_protocol_error_naming_the_endpoint_and_field(row, field):
    from patsnap_analytics.api import IMAGE_MULTIPLE
    from patsnap_analytics.errors import ProtocolError
    from patsnap_analytics.wire.checks import check_data

    with pytest.raises(ProtocolError) as info:
        check_data(IMAGE_MULTIPLE, {"patent_messages": [row], "total_search_result_count": 1})
    assert MULTIPLE in str(info.value) and field in str(info.value)


def test_an_image_is_uploaded_once_for_every_endpoint_and_its_reuse_counted_once(sb, query_images):
    client = client_for(sb, cache=":memory:")
    client.search_designs(query_images[0], endpoint="image-single", limit=5)
    client.search_designs(query_images[0], endpoint="image-single-beta", limit=5)
    client.search_designs(Views(query_images[0], query_images[1]), limit=5)
    assert sb.stats["/image-search/image-upload"] == 2  # each image once, whatever the endpoint
    assert client.stats.as_dict()["upload_reuses"] == 2  # the beta search, and view 1 of the multiple one
