"""The sandbox's workflow routes over real HTTP: the patent-number search (P069), the abstract image (P021) and
the overnight batch (P062), held to the vendor's OpenAPI description with jsonschema, and the calendar that
makes them (and watches) testable: designs published after the sandbox's today are not found yet, signed
drawing links expire, jobs finish after the calendar's night.

The spec refers to component schemas it does not hold for these operations; :data:`COMPONENTS` writes them
here as docs/endpoints.md describes them, strictly (no other field allowed).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import requests

from patsnap_analytics.sandbox import Sandbox

from .conftest import SANDBOX_DESIGNS
from .test_family import COMPONENTS as FAMILY

SPEC_FILE = Path(__file__).resolve().parents[1].parent / "shared" / "api-spec" / "patsnap-image-ops.json"
# the API's paths, written out here as the tests' own spec
PN, DRAWING = "/search/patent/patent-search-pn", "/basic-patent-data/abstract-image"
CREATE, RESULT = "/search/patent/image-search/single-batch-create", "/search/patent/image-search/single-batch-result"
SINGLE = "/search/patent/image-single"
# one row of image-single's answer, as tests/test_family.py writes it from api-facts.md
_ROW = FAMILY["P060PatentImageSingle_PatentExtendMessage"]
_TEXT = _ROW["properties"]["apno"]
_DAY = _ROW["properties"]["apdt"]
#: The component schemas the spec names for these operations but does not hold (docs/endpoints.md).
COMPONENTS = {
    "P069PatentPatentSearchPn_PatentBaseV2Response": {
        "type": "object", "additionalProperties": False, "required": ["patent_id", "pn"],
        "properties": {"patent_id": {"type": "string"}, "pn": {"type": "string"}, "apno": _TEXT, "apdt": _DAY,
                       "pbdt": _DAY, "authority": {"type": "string", "pattern": "^[A-Z]{2}$"},
                       "patent_type": {"enum": ["D", "U"]}, "current_assignee": _TEXT, "original_assignee": _TEXT,
                       "inventor": _TEXT}},
    "P021BasicPatentDataAbstractImage_AbstractDrawing": {
        "type": ["object", "null"], "additionalProperties": False, "required": ["path"],
        "properties": {"path": {"type": "string", "pattern": "^https?://"}, "number": _TEXT}},
    "P062ImageSearchSingleBatchResult_MoreImageSearchResult": {
        "type": "object", "additionalProperties": False,
        "required": ["url", "patent_messages", "total_search_result_count"],
        "properties": {"url": {"type": "string"}, "patent_messages": {"type": "array", "items": _ROW},
                       "total_search_result_count": {"type": "integer", "minimum": 0}}},
}

pytestmark = pytest.mark.skipif(not SPEC_FILE.is_file(), reason="../shared/api-spec is not available")


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def operation(spec: dict, path: str) -> dict:
    methods = spec["paths"][path]
    return methods.get("post") or methods["get"]


def answer_validator(spec: dict, path: str) -> jsonschema.Draft202012Validator:
    schema = copy.deepcopy(operation(spec, path)["responses"]["200"]["content"]["application/json"]["schema"])
    schema["components"] = {"schemas": COMPONENTS}
    return jsonschema.Draft202012Validator(schema)


def request_validator(spec: dict, path: str) -> jsonschema.Draft202012Validator:
    schema = copy.deepcopy(operation(spec, path)["requestBody"]["content"]["application/json"]["schema"])
    schema["additionalProperties"] = False  # the spec's body names every field the API takes
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def box():
    """A sandbox of its own whose calendar starts on 2024-06-01 at noon (the tests move it)."""
    with Sandbox(designs=SANDBOX_DESIGNS, seed=7, today="2024-06-01") as sb:
        yield sb


def post(sb, path: str, body, **params) -> dict:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    r = requests.post(f"{sb.url}{path}", params={"apikey": sb.api_key, **params}, data=data,
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 200
    return r.json()


def get(sb, path: str, **params) -> dict:
    r = requests.get(f"{sb.url}{path}", params={"apikey": sb.api_key, **params}, timeout=30)
    assert r.status_code == 200
    return r.json()


def published(sb, before: str) -> pd.DataFrame:
    meta = sb.corpus.meta
    return meta[meta.pbdt <= pd.Timestamp(before)]


# ---------------------------------------------------------------------------------------------- P069

def test_a_number_as_people_write_it_finds_its_patent_in_the_spec_s_shape(box, spec):
    meta = published(box, "2024-06-01")
    row = meta[meta.patent_pn.str.match(r"USD0")].iloc[0]
    digits = row.patent_pn[3:-1].lstrip("0")
    loose = f"us d {digits[:-3]},{digits[-3:]}"  # 'us d 430,005' for USD0430005S
    answer = post(box, PN, {"pn": loose})
    answer_validator(spec, PN).validate(answer)
    [found] = answer["data"]["results"]
    assert (found["pn"], found["patent_id"], found["authority"]) == (row.patent_pn, row.patent_id, row.country)
    assert found["apdt"] == int(row.apdt.strftime("%Y%m%d")) and found["patent_type"] == row.patent_type
    assert answer["data"]["result_count"] == answer["data"]["total_search_result_count"] == 1
    by_application = post(box, PN, {"apno": row.application_number})["data"]["results"]
    assert [r["pn"] for r in by_application] == [row.patent_pn]


def test_unknown_numbers_and_unpublished_patents_are_not_found(box):
    later = box.corpus.meta[box.corpus.meta.pbdt > pd.Timestamp("2024-06-01")].iloc[0]
    assert post(box, PN, {"pn": "USD9999999S"})["data"]["results"] == []
    assert post(box, PN, {"pn": later.patent_pn})["data"]["results"] == []  # published after today: not yet
    box.advance_clock((later.pbdt - pd.Timestamp("2024-06-01")).days * 86400 + 86400)
    assert [r["pn"] for r in post(box, PN, {"pn": later.patent_pn})["data"]["results"]] == [later.patent_pn]


@pytest.mark.parametrize("body", [b"{not json", [1], {}, {"pn": 5}, {"pn": "USD1", "limit": 1001},
                                  {"pn": "USD1", "authority": "US"}, {"pn": "USD1", "authority": ["UK"]},
                                  {"pn": "x" * 101}])
def test_bad_number_searches_get_68300004_with_http_200(box, body):
    answer = post(box, PN, body)
    assert answer["status"] is False and answer["error_code"] == 68300004
    assert box.stats[PN] == 1


# ---------------------------------------------------------------------------------------------- P021

def test_drawings_are_signed_links_that_expire_after_nine_hours(box, spec):
    rows = published(box, "2024-06-01").head(3)
    answer = get(box, DRAWING, patent_id=",".join(rows.patent_id), patent_number="USD9999999S")
    answer_validator(spec, DRAWING).validate(answer)
    assert [item["pn"] for item in answer["data"]] == rows.patent_pn.tolist()  # unknown ones are left out
    link = answer["data"][0]["abstract_drawing"]["path"]
    again = get(box, DRAWING, patent_number=rows.patent_pn.iloc[0])["data"][0]["abstract_drawing"]["path"]
    assert link != again and link.split("?")[0] == again.split("?")[0]  # a new signature every time
    body = {"url": link, "patent_type": "D", "model": 2, "limit": 1}
    assert post(box, SINGLE, body)["data"]["patent_messages"][0]["patent_id"] == rows.patent_id.iloc[0]
    forged = link.replace("expires=", "expires=9")
    assert post(box, SINGLE, {**body, "url": forged})["error_code"] == 68300004
    box.advance_clock(9 * 3600 + 60)
    expired = post(box, SINGLE, body)
    assert expired["error_code"] == 68300004 and "expired" in expired["error_msg"]
    assert post(box, SINGLE, {**body, "url": again})["error_code"] == 68300004


def test_a_patent_without_a_drawing_answers_null_and_limits_hold(box, spec):
    row = published(box, "2024-06-01").iloc[1]
    box.configure(no_drawing=(row.patent_pn,))
    answer = get(box, DRAWING, patent_number=row.patent_pn)
    answer_validator(spec, DRAWING).validate(answer)
    assert answer["data"] == [{"patent_id": row.patent_id, "pn": row.patent_pn, "abstract_drawing": None}]
    ids = ",".join(box.corpus.meta.patent_id.head(101))
    assert get(box, DRAWING, patent_id=ids)["error_code"] == 68300004  # 100 ids a call at most
    assert get(box, DRAWING)["error_code"] == 68300004


# ---------------------------------------------------------------------------------------------- P062

def test_an_overnight_job_waits_runs_at_night_and_answers_image_single_s_rows(box, spec):
    urls = [f"{box.url}/_sandbox/files/designs/{d}/0.png" for d in (3, 5)]
    body = {"urls": urls, "patent_type": "D", "model": 2, "limit": 5, "country": ["US", "CN", "EU", "JP"]}
    request_validator(spec, CREATE).validate(body)
    created = post(box, CREATE, body)
    answer_validator(spec, CREATE).validate(created)
    job = created["data"]["job_id"]
    assert post(box, RESULT, {}, task_id=job)["data"] == {"status": "waiting"}  # created at noon
    box.advance_clock(11 * 3600)  # 23:00: the night is under way
    assert post(box, RESULT, {}, task_id=job)["data"] == {"status": "running"}
    box.advance_clock(9 * 3600 + 60)  # 08:01 the next morning: done
    done = post(box, RESULT, {}, task_id=job)
    answer_validator(spec, RESULT).validate(done)
    assert done["data"]["status"] == "success" and [r["url"] for r in done["data"]["search_result"]] == urls
    for url, result in zip(urls, done["data"]["search_result"], strict=True):
        direct = post(box, SINGLE, {**{k: v for k, v in body.items() if k != "urls"}, "url": url})["data"]
        assert result["patent_messages"] == direct["patent_messages"]  # what image-single answers that day
    assert done["data"]["total_search_result_count"] == sum(r["total_search_result_count"]
                                                            for r in done["data"]["search_result"])
    assert box.stats[CREATE] == 1 and box.stats[RESULT] == 3


@pytest.mark.parametrize("change", [{"urls": []}, {"urls": "one"}, {"urls": ["U"] * 11}, {"model": 3},
                                    {"urls": ["https://elsewhere.example/a.png"]}, {"limit": 101}, {"country": "US"}])
def test_bad_jobs_get_68300004_and_create_nothing(box, change):
    good = {"urls": [f"{box.url}/_sandbox/files/designs/1/0.png"], "patent_type": "D", "model": 1}
    answer = post(box, CREATE, {**good, **change})
    assert answer["status"] is False and answer["error_code"] == 68300004
    assert box._state.jobs.__len__() == 0


def test_an_unknown_task_is_68300004(box):
    assert post(box, RESULT, {}, task_id="264de8bf7e294505a9a000597e25d615")["error_code"] == 68300004


# ---------------------------------------------------------------------------------------------- the calendar

def test_searches_answer_as_of_the_calendar_s_today(box):
    url = f"{box.url}/_sandbox/files/designs/0/0.png"
    body = {"url": url, "patent_type": "D", "model": 2, "limit": 100, "field": "PBD"}
    before = post(box, SINGLE, body)["data"]
    assert max(r["pbdt"] for r in before["patent_messages"]) <= 20240601
    meta = box.corpus.meta
    assert before["total_search_result_count"] == int(((meta.patent_type == "D") & (meta.pbdt <= "2024-06-01")).sum())
    box.advance_clock(600 * 86400)  # past the corpus's last publication: every design is there
    after = post(box, SINGLE, body)["data"]
    assert after["total_search_result_count"] == int((meta.patent_type == "D").sum())
    assert max(r["pbdt"] for r in after["patent_messages"]) > 20240601
    wholly_later = post(box, SINGLE, {**body, "public_start_time": "20990101"})["data"]
    assert wholly_later["total_search_result_count"] == 0


def test_the_shared_sandbox_s_calendar_is_today_and_hides_nothing(sb):
    from datetime import UTC, datetime, timedelta

    from patsnap_analytics import DesignQuery

    # other tests move the shared sandbox's clock on by hours (token and upload expiry), never back
    started = datetime.now(UTC).date()
    assert started - timedelta(days=1) <= sb.today() <= started + timedelta(days=7)  # (a run across midnight)
    assert sb._state.visible(DesignQuery()) == DesignQuery()  # a calendar at or past today hides no design


def test_what_the_client_sends_is_what_the_spec_takes(box, spec):
    from tests.conftest import client_for

    client = client_for(box, cache=":memory:")
    sent: dict[str, list] = {}

    def keep(response, *args, **kwargs):
        path = requests.utils.urlparse(response.request.url).path
        sent.setdefault(path, []).append(json.loads(response.request.body or b"null"))

    client.session.hooks["response"].append(keep)
    number = published(box, "2024-06-01").patent_pn.iloc[0]
    client.search_like(number, limit=5, progress=False)
    client.submit_overnight([f"{box.url}/_sandbox/files/designs/2/0.png"], limit=5, country=["US", "CN"],
                            apply_start_time="2010-01-01")
    for path in (PN, CREATE):
        for body in sent[path]:
            request_validator(spec, path).validate(body)
    # (requests-cache's session runs response hooks once more: a body may be seen twice; the server counts)
    assert all(body == {"pn": number, "limit": 10} for body in sent[PN]) and box.stats[PN] == 1
    assert sent[CREATE][0]["urls"] == [f"{box.url}/_sandbox/files/designs/2/0.png"]
    assert sent[CREATE][0]["apply_start_time"] == "20100101" and sent[CREATE][0]["country"] == ["CN", "US"]
