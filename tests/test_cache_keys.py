"""Cache keys and filters, without a server: what is keyed how, and what may never be stored."""

import requests

from patsnap_analytics.cache import SearchKeyer, UploadLedger, cacheable, image_placeholder, make_session

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
