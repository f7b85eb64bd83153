"""Cache keys and filters, without a server: what is keyed how, and what may never be stored."""

import pytest
import requests

from patsnap_analytics.api import ENDPOINTS
from patsnap_analytics.query import DesignQuery
from patsnap_analytics.searcher import page_plan, page_request
from patsnap_analytics.store.keys import SearchKeyer, cache_settings, cacheable, image_placeholder
from patsnap_analytics.store.ledger import UploadLedger
from patsnap_analytics.store.session import make_session
from patsnap_analytics.wire.stats import ClientStats
from patsnap_analytics.wire.transport import Transport

SEARCH = "https://connect.patsnap.com/image-search/search-id"


def key(keyer, endpoint, **params):
    return keyer(requests.Request("GET", endpoint, params=params).prepare())


def test_search_key_uses_the_image_hash_not_the_upload_url():
    k = SearchKeyer()
    k.register("https://img/upload-1.png", "sha256:aa")
    k.register("https://img/upload-2.png", "sha256:aa")  # the same bytes, uploaded again after expiry
    a = key(k, SEARCH, url="https://img/upload-1.png", limit="10", apikey="secret-1")
    b = key(k, SEARCH, url="https://img/upload-2.png", limit="10", apikey="secret-2")
    c = key(k, SEARCH, url=image_placeholder("aa"), limit="10")
    assert a == b == c


def test_params_order_is_irrelevant_but_values_are_not():
    k = SearchKeyer()
    a = key(k, SEARCH, url="https://x/1.png", limit="10", country="CN,US")
    b = requests.Request("GET", SEARCH + "?country=CN%2CUS&url=https%3A%2F%2Fx%2F1.png&limit=10").prepare()
    assert a == k(b)
    assert a != key(k, SEARCH, url="https://x/1.png", limit="11", country="CN,US")


def test_outside_urls_key_by_url_and_hosts_do_not_share():
    k = SearchKeyer()
    assert key(k, SEARCH, url="https://x/1.png") != key(k, SEARCH, url="https://x/2.png")
    china = "https://connect.zhihuiya.com/image-search/search-id"
    assert key(k, SEARCH, url="https://x/1.png") != key(k, china, url="https://x/1.png")


def test_secrets_never_enter_the_key():
    k = SearchKeyer()
    a = k(requests.Request("GET", SEARCH, params={"url": "u", "apikey": "A"},
                           headers={"Authorization": "Bearer T1"}).prepare())
    b = k(requests.Request("GET", SEARCH, params={"url": "u", "apikey": "B"},
                           headers={"Authorization": "Bearer T2"}).prepare())
    assert a == b


def response(status, body, ctype="application/json", url="https://img.example/t/1.png"):
    r = requests.Response()
    r.status_code, r._content, r.url = status, body, url
    r.headers["Content-Type"] = ctype
    return r


def test_requests_cache_itself_stores_only_thumbnails_and_never_drops_an_api_answer():
    # API answers pass requests-cache's filter whatever they hold: the transport stores them itself after
    # checking them, and a filtered-out refresh would make requests-cache delete the answer stored before
    api = "https://connect.patsnap.com/image-search/search-id?url=x"
    assert cacheable(response(200, b'{"status": false, "error_code": 67200002}', url=api))
    assert cacheable(response(503, b"<html>down</html>", "text/html", url=api))
    assert not cacheable(response(200, b"<html>gateway</html>", "text/html"))
    assert cacheable(response(200, b"\x89PNG....", "image/png"))
    assert not cacheable(response(404, b"\x89PNG....", "image/png"))


def test_upload_ledger_persists_in_the_cache_file_and_honours_expiry(tmp_path):
    now = [1000.0]
    session = make_session(tmp_path / "c.sqlite", SearchKeyer())
    ledger = UploadLedger(session, clock=lambda: now[0])
    ledger.put("h|aa", "https://img/1.png", expire_in=600)
    assert UploadLedger(make_session(tmp_path / "c.sqlite", SearchKeyer()), clock=lambda: now[0]).get("h|aa") == "https://img/1.png"
    now[0] += 600 - 61
    assert ledger.get("h|aa") == "https://img/1.png"
    now[0] += 2  # inside the safety margin: treated as expired
    assert ledger.get("h|aa") is None


SINGLE = "https://connect.patsnap.com/search/patent/image-single"
MULTIPLE = "https://connect.patsnap.com/search/patent/image-multiple"
RESULTS = "https://connect.patsnap.com/image-search/results"


def post_key(keyer, endpoint, body, **params):
    return keyer(requests.Request("POST", endpoint, params=params, json=body).prepare())


def test_json_search_key_reads_the_body_by_image_not_upload_url_and_keeps_the_page():
    k = SearchKeyer()
    k.register("https://img/up-1.png", "sha256:aa")
    k.register("https://img/up-2.png", "sha256:aa")
    a = post_key(k, SINGLE, {"url": "https://img/up-1.png", "patent_type": "D", "model": 1, "offset": 0},
                 apikey="secret-1")
    b = post_key(k, SINGLE, {"offset": 0, "model": 1, "patent_type": "D", "url": "https://img/up-2.png"},
                 apikey="secret-2")
    c = post_key(k, SINGLE, {"url": image_placeholder("aa"), "patent_type": "D", "model": 1, "offset": 0})
    assert a == b == c
    assert a != post_key(k, SINGLE, {"url": image_placeholder("aa"), "patent_type": "D", "model": 1, "offset": 100})
    assert a != post_key(k, MULTIPLE, {"urls": [image_placeholder("aa")], "patent_type": "D", "model": 1, "offset": 0})


def test_a_results_page_is_keyed_by_its_search_image_not_the_search_id():
    k = SearchKeyer()
    k.register("F00D-1-D", "sha256:aa")  # the search_id of a search of image aa
    k.register("BEEF-1-D", "sha256:aa")  # the same search, 20 minutes later
    a = key(k, RESULTS, search_id="F00D-1-D", offset="100", limit="100")
    assert a == key(k, RESULTS, search_id="BEEF-1-D", offset="100", limit="100")
    assert a == key(k, RESULTS, search_id=image_placeholder("aa"), offset="100", limit="100")
    assert a != key(k, RESULTS, search_id=image_placeholder("aa"), offset="200", limit="100")


def test_requests_cache_itself_stores_no_post_and_the_transport_stores_only_searches():
    # requests-cache may store GETs only (thumbnails); API answers are stored by the transport after checking them,
    # and of the POSTs only the JSON searches' (never an upload's or a token's)
    assert cache_settings(SearchKeyer())["allowable_methods"] == ("GET",)
    stored = {e.name for e in ENDPOINTS.values() if (e.method == "GET" or e.params_in == "json") and e.http_cached}
    assert stored == {"search-id", "results", "image-single", "image-single-beta", "image-multiple"}


@pytest.mark.parametrize("endpoint", ["search-id", "image-single", "image-single-beta", "image-multiple"])
def test_every_page_is_sent_as_the_request_it_is_stored_and_looked_up_under(endpoint):
    # issue 24: the key and the call of a page are one request (searcher.page_request) with the images named two
    # ways — by hash for the key, by upload URL (and a results page by its search id) for the call — which the
    # keyer reads as one entry; before, two hand-built copies had to agree field by field
    keyer = SearchKeyer()
    transport = Transport(requests.Session(), base_url="https://connect.patsnap.com", auth=None, stats=ClientStats())
    hashes = ["a" * 64, "b" * 64][: 2 if endpoint == "image-multiple" else 1]
    uploads = [f"https://img.example/u/{i}.png" for i in range(len(hashes))]
    for url, sha in zip(uploads, hashes, strict=True):
        keyer.register(url, f"sha256:{sha}")
    keyer.register("S-1", f"sha256:{hashes[0]}")  # what the searcher registers for a search's search id
    design_query = DesignQuery(endpoint=endpoint, limit=250, country=["US", "CN"])
    pages = page_plan(design_query)
    assert len(pages) == 3
    for page in pages:
        key = page_request(page, design_query, [image_placeholder(s) for s in hashes])
        sent = page_request(page, design_query, uploads, search_id="S-1")
        assert key.operation is sent.operation is page.operation
        assert keyer(transport.key_request(key.operation, key.params, key.body)) == \
            keyer(transport.key_request(sent.operation, sent.params, sent.body))
        assert "S-1" in str(sent.params) or uploads[0] in str(sent.params) + str(sent.body)  # the wire form
        assert uploads[0] not in str(key.params) + str(key.body)  # the key never holds an upload URL


def test_a_field_added_to_a_page_s_request_is_in_its_key_and_its_call_alike(sb, drawing, monkeypatch):
    # "change one field, both change": a request edited in page_request alone still hits the cache, because the
    # look-up and the stored answer come from the same request (and the field did reach the stored key)
    from patsnap_analytics import searcher as searcher_module
    from tests.conftest import calls, client_for

    original = searcher_module.page_request

    def with_probe(*args, **kwargs):
        request = original(*args, **kwargs)
        if request.body is not None:
            return searcher_module.PageRequest(request.operation, request.params, {**request.body, "probe": "1"})
        return searcher_module.PageRequest(request.operation, {**request.params, "probe": "1"})

    for endpoint in ("search-id", "image-single", "image-multiple"):
        client = client_for(sb, cache=":memory:")
        target = [drawing] if endpoint == "image-multiple" else drawing
        monkeypatch.setattr(searcher_module, "page_request", with_probe)
        client.search_designs(target, endpoint=endpoint, limit=150)
        sent = sum(calls(sb).values())
        again = client.search_designs(target, endpoint=endpoint, limit=150)
        assert sum(calls(sb).values()) == sent and again.attrs["calls_spent"] == 0, endpoint
        monkeypatch.setattr(searcher_module, "page_request", original)
        client.search_designs(target, endpoint=endpoint, limit=150)  # the stored pages carry the probe: missed
        assert sum(calls(sb).values()) == sent + 2, endpoint
