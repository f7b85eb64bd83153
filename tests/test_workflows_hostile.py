"""What the workflows do with answers the sandbox never gives: malformed, hostile or inconsistent ones, from a
stand-in API on 127.0.0.1 (tests/standin.py). An answer that is not what the API documents is an error naming
the endpoint and the field, that row's or that job's failure, never stored and never searched with."""

from __future__ import annotations

import patsnap_analytics as pa

from .standin import KEY, StandIn

# the API's paths, written out here as the tests' own spec
PN, DRAWING = "/search/patent/patent-search-pn", "/basic-patent-data/abstract-image"
CREATE, RESULT = "/search/patent/image-search/single-batch-create", "/search/patent/image-search/single-batch-result"
SEARCH = "/image-search/search-id"
PATENT = {"patent_id": "p-1", "pn": "USD0900001S", "apdt": 20200105, "pbdt": 20200901, "authority": "US",
          "patent_type": "D"}


def ok(data: object) -> dict:
    return {"status": True, "error_code": 0, "data": data}


def test_a_malformed_number_answer_is_that_row_s_failure_and_never_recorded(tmp_path):
    with StandIn() as api:
        api.answer = lambda h: h.json(ok({"results": [{"pn": "USD0900001S"}]}))  # no patent_id
        client = pa.Client(api_key=KEY, base_url=api.url, cache=tmp_path / "c.sqlite")
        df = client.search_like(["USD0900001S"], progress=False)
        [failure] = df.attrs["failures"]
        assert failure["error"] == "ProtocolError" and PN in failure["message"] and "patent_id" in failure["message"]
        assert client.source_patents.unresolved(["USD0900001S"]) == ["USD0900001S"]  # nothing was kept
        assert api.calls(PN) == 3 and api.calls(SEARCH) == 0  # retried twice, as any malformed answer, then given up


def test_a_drawing_path_that_is_no_web_link_is_never_searched(tmp_path):
    def answer(h):
        if h.path.split("?")[0] == PN:
            h.json(ok({"results": [PATENT]}))
        else:  # an id we did not ask for, and a local file offered as the drawing
            h.json(ok([{"patent_id": "other", "abstract_drawing": {"path": "https://evil.example/x.png"}},
                       {"patent_id": "p-1", "pn": "USD0900001S", "abstract_drawing": {"path": "file:///etc/passwd"}}]))

    with StandIn(answer) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=tmp_path / "c.sqlite")
        df = client.search_like("USD0900001S", progress=False)
        assert [f["error"] for f in df.attrs["failures"]] == ["NoDrawingError"]
        assert api.calls(SEARCH) == 0 and [r["path"] for r in api.received] == [PN, DRAWING]
        records = client.records.get(client.base_url, pa.api.ABSTRACT_IMAGE, ["other", "p-1"])
        assert records == {"p-1": {"url": None}}  # the unasked id is not trusted, nor stored


def test_a_job_result_that_does_not_match_its_images_is_that_job_s_failure_and_kept_waiting(tmp_path):
    def answer(h):
        if h.path.split("?")[0] == CREATE:
            h.json(ok({"job_id": "job-1"}))
        else:
            h.json(ok({"status": "success", "search_result": [{"patent_messages": []}, {"patent_messages": []}]}))

    with StandIn(answer) as api:
        client = pa.Client(api_key=KEY, base_url=api.url, cache=tmp_path / "c.sqlite")
        jobs = client.submit_overnight(["https://img.example/a.png"], limit=5)
        assert jobs["job_id"].tolist() == ["job-1"]
        out = client.collect_overnight()
        [failure] = out.attrs["failures"]
        assert failure["error"] == "ProtocolError" and "data.search_result" in failure["message"]
        assert len(out) == 0 and client.overnight_jobs()["state"].tolist() == ["submitted"]
        assert out.attrs["workflow"]["waiting"][0]["job_id"] == "job-1"
