"""The sandbox server over real HTTP on 127.0.0.1: routes, envelope, auth, uploads, search, files, stats.

Every request goes through a real socket to a real uvicorn; nothing is mocked.
"""

from __future__ import annotations

import base64
import http.client
import http.server
import io
import re
import threading

import pytest
import requests
from PIL import Image

from patsnap_analytics.images import MAX_IMAGE_BYTES
from patsnap_analytics.sandbox import Sandbox

from .conftest import SEARCH, TOKEN, UPLOAD, as_in_a_terminal, bomb_png, calls, jpeg_bytes, png_bytes

ENVELOPE_KEYS = {"status", "error_code", "error_msg", "data"}


@pytest.fixture(scope="module")
def sb():
    with Sandbox(designs=300) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def http_session():
    with requests.Session() as session:
        yield session




def webp_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buf, "WEBP")
    return buf.getvalue()


def gif_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (16, 16)).save(buf, "GIF")
    return buf.getvalue()


def upload(sb, data: bytes, session=requests, filename: str = "drawing.png", **params) -> dict:
    r = session.post(sb.url + UPLOAD, params={"apikey": sb.api_key, **params}, files={"image": (filename, data)})
    assert r.status_code == 200, r.text
    return r.json()


def uploaded_url(sb, data: bytes | None = None, session=requests) -> str:
    body = upload(sb, data or png_bytes((120, 90)), session)
    assert body["status"] is True, body
    return body["data"]["url"]


def search(sb, session=requests, **params) -> dict:
    r = session.get(sb.url + SEARCH, params={"apikey": sb.api_key, **params})
    assert r.status_code == 200, r.text
    return r.json()


def oauth_token(sb, client_id: str | None = None, client_secret: str | None = None) -> str:
    r = requests.post(sb.url + TOKEN, data={"grant_type": "client_credentials"},
                      auth=(client_id or sb.client_id, client_secret or sb.client_secret))
    body = r.json()
    assert body["status"] == "approved", body
    return body["token"]


def assert_error(body: dict, code: int) -> None:
    assert set(body) <= ENVELOPE_KEYS, body
    assert body["status"] is False and body["error_code"] == code, body
    assert isinstance(body["error_msg"], str) and body["error_msg"], body


# ------------------------------------------------------------------ sandbox object
def test_credentials_are_generated_per_instance_and_not_in_repr(sb):
    other = Sandbox(designs=300)
    assert sb.api_key.startswith("sk-sandbox-") and sb.api_key != other.api_key
    assert sb.client_id != other.client_id and sb.client_secret != other.client_secret
    assert sb.url.startswith("http://127.0.0.1:")
    assert sb.api_key not in repr(sb) and sb.client_secret not in repr(sb)


def test_two_sandboxes_serve_side_by_side_and_stop_cleanly(sb):
    threads_before = set(threading.enumerate())
    with Sandbox(designs=300) as second:
        assert second.url != sb.url
        assert upload(second, png_bytes())["status"] is True
        assert_error(upload(second, png_bytes(), apikey=sb.api_key), 67200003)  # keys are per instance
    assert not second.running
    with pytest.raises(requests.ConnectionError):
        requests.get(second.url + "/_sandbox/stats", timeout=5)
    for thread in set(threading.enumerate()) - threads_before:  # worker threads may take a moment to wind down
        thread.join(timeout=15)
        assert not thread.is_alive(), f"the stopped sandbox left {thread.name} running"
    assert upload(sb, png_bytes())["status"] is True


def test_unknown_option_is_rejected():
    with pytest.raises(TypeError, match="unknown Sandbox option"):
        Sandbox(designs=300, latencyy=1)


def test_binding_beyond_loopback_warns():
    with pytest.warns(UserWarning, match="beyond loopback"):
        Sandbox(designs=300, host="0.0.0.0")


# ------------------------------------------------------------------ envelope and header
def test_every_answer_carries_the_sandbox_header(sb):
    url = uploaded_url(sb)
    answers = [
        requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("a.png", png_bytes())}),
        requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": url}),
        requests.get(sb.url + SEARCH),
        requests.post(sb.url + TOKEN),
        requests.get(url),
        requests.get(sb.url + "/_sandbox/stats"),
        requests.get(sb.url + "/no/such/route"),
        requests.delete(sb.url + SEARCH),
    ]
    for r in answers:
        assert r.headers.get("X-PatSnap-Sandbox") == "1", (r.request.method, r.request.url)


def test_unknown_route_and_method_get_envelopes_not_crashes(sb):
    r = requests.get(sb.url + "/image-search/nothing")
    assert r.status_code == 404
    assert_error(r.json(), 68300007)
    r = requests.put(sb.url + UPLOAD, params={"apikey": sb.api_key})
    assert r.status_code == 405
    assert_error(r.json(), 68300007)


# ------------------------------------------------------------------ auth
def test_apikey_mode_with_and_without_bearer(sb):
    assert upload(sb, png_bytes())["status"] is True
    r = requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("a.png", png_bytes())},
                      headers={"Authorization": f"Bearer {sb.api_key}", "X-PatSnap-Version": "1.0"})
    assert r.json()["status"] is True


def test_missing_apikey_is_67200008(sb):
    r = requests.post(sb.url + UPLOAD, files={"image": ("a.png", png_bytes())},
                      headers={"Authorization": f"Bearer {sb.api_key}"})
    assert_error(r.json(), 67200008)
    assert_error(search(sb, apikey="", url="x"), 67200008)


def test_wrong_key_is_67200003(sb):
    assert_error(upload(sb, png_bytes(), apikey="sk-sandbox-" + "0" * 32), 67200003)
    assert_error(search(sb, apikey="nobody", url="x"), 67200003)
    r = requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": "x"},
                     headers={"Authorization": "Bearer not-the-key"})
    assert_error(r.json(), 67200003)


def test_oauth_token_shape_and_business_call(sb):
    r = requests.post(sb.url + TOKEN, data={"grant_type": "client_credentials"},
                      headers={"Authorization": "Basic " + base64.b64encode(
                          f"{sb.client_id}:{sb.client_secret}".encode()).decode()})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"token", "token_type", "expires_in", "status"}
    assert body["token_type"] == "BearerToken" and body["status"] == "approved" and body["expires_in"] == 1799
    url = uploaded_url(sb)
    r = requests.get(sb.url + SEARCH, params={"apikey": sb.client_id, "url": url, "limit": 3},
                     headers={"Authorization": f"Bearer {body['token']}"})
    assert r.json()["status"] is True and len(r.json()["data"]["patent_messages"]) == 3


def test_oauth_wrong_credentials_are_67200003(sb):
    cases = [
        {"auth": (sb.client_id, "wrong-secret")},
        {"auth": ("unknown-client", sb.client_secret)},
        {"headers": {"Authorization": "Basic !!!not-base64"}},
        {"headers": {"Authorization": "Bearer " + sb.api_key}},
        {},
    ]
    for kw in cases:
        r = requests.post(sb.url + TOKEN, data={"grant_type": "client_credentials"}, **kw)
        assert r.status_code == 200
        assert_error(r.json(), 67200003)


def test_oauth_wrong_grant_type_is_68300004(sb):
    r = requests.post(sb.url + TOKEN, data={"grant_type": "password"}, auth=(sb.client_id, sb.client_secret))
    assert_error(r.json(), 68300004)


def test_oauth_business_call_needs_a_valid_token(sb):
    for headers in ({}, {"Authorization": "Bearer sandbox-token-unknown"}, {"Authorization": "Basic abc"}):
        r = requests.get(sb.url + SEARCH, params={"apikey": sb.client_id, "url": "x"}, headers=headers)
        assert_error(r.json(), 67200003)


def test_token_of_another_client_is_67200009(sb):
    other_id, other_secret = sb.add_client()
    other_token = oauth_token(sb, other_id, other_secret)
    r = requests.get(sb.url + SEARCH, params={"apikey": sb.client_id, "url": "x"},
                     headers={"Authorization": f"Bearer {other_token}"})
    assert_error(r.json(), 67200009)
    # an OAuth token sent along with the api key does not match it either
    r = requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": "x"},
                     headers={"Authorization": f"Bearer {other_token}"})
    assert_error(r.json(), 67200009)


def test_expired_token_is_67200003_and_a_new_one_works():
    with Sandbox(designs=300, token_lifetime=60) as sandbox:
        token = oauth_token(sandbox)
        url = uploaded_url(sandbox)
        headers = {"Authorization": f"Bearer {token}"}
        params = {"apikey": sandbox.client_id, "url": url}
        assert requests.get(sandbox.url + SEARCH, params=params, headers=headers).json()["status"] is True
        sandbox.advance_clock(61)
        body = requests.get(sandbox.url + SEARCH, params=params, headers=headers).json()
        assert_error(body, 67200003)
        assert "expired" in body["error_msg"]
        headers = {"Authorization": f"Bearer {oauth_token(sandbox)}"}
        assert requests.get(sandbox.url + SEARCH, params=params, headers=headers).json()["status"] is True


# ------------------------------------------------------------------ upload
def test_upload_png_and_jpeg(sb):
    body = upload(sb, png_bytes())
    assert set(body) == {"data", "status", "error_code"} and body["error_code"] == 0
    assert set(body["data"]) == {"url", "expire"} and body["data"]["expire"] == 32400
    assert body["data"]["url"].startswith(sb.url + "/_sandbox/files/uploads/")
    r = requests.get(body["data"]["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png_bytes()
    url = upload(sb, jpeg_bytes(), filename="photo.png")["data"]["url"]  # the bytes decide, not the name
    assert url.endswith(".jpg")
    assert requests.get(url).headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("name, data", [
    ("empty", b""),
    ("gif", gif_bytes()),
    ("webp", webp_bytes()),
    ("truncated png", png_bytes((400, 300), draw_box=True)[:120]),
    ("4097 KB", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES + 1024 - 8)),
    ("decompression bomb", bomb_png()),
    ("text", b"hello, I am not an image"),
])
def test_bad_uploads_are_68300010(sb, name, data):
    r = requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("x.png", data)})
    assert r.status_code == 200, name
    assert_error(r.json(), 68300010)


def test_oversized_body_is_rejected_before_parsing(sb):
    r = requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key},
                      files={"image": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (6 * 2**20))})
    assert r.status_code == 200
    body = r.json()
    assert_error(body, 68300010)
    assert "KB" in body["error_msg"]


def test_malformed_upload_requests_are_68300004(sb):
    params = {"apikey": sb.api_key}
    answers = [
        requests.post(sb.url + UPLOAD, params=params),                                      # no body
        requests.post(sb.url + UPLOAD, params=params, json={"image": "x"}),                 # not multipart
        requests.post(sb.url + UPLOAD, params=params, files={"picture": ("a.png", png_bytes())}),  # wrong field
        requests.post(sb.url + UPLOAD, params=params, data={"image": "just text"}),         # not a file
        requests.post(sb.url + UPLOAD, params=params, data=b"--x\r\nbroken",
                      headers={"Content-Type": "multipart/form-data; boundary=x"}),        # broken multipart
    ]
    for r in answers:
        assert r.status_code == 200, r.text
        assert_error(r.json(), 68300004)


def test_real_drawing_uploads_and_searches(sb, real_drawings):
    data = real_drawings[0].read_bytes()
    url = uploaded_url(sb, data)
    assert requests.get(url).content == data
    body = search(sb, url=url, limit=5)
    assert body["status"] is True and len(body["data"]["patent_messages"]) == 5


def test_upload_expiry_deletes_the_file_and_refuses_the_url():
    with Sandbox(designs=300, upload_expire=30) as sandbox:
        body = upload(sandbox, png_bytes())
        assert body["data"]["expire"] == 30
        url = body["data"]["url"]
        assert requests.get(url).status_code == 200
        sandbox.advance_clock(31)
        assert requests.get(url).status_code == 404
        answer = search(sandbox, url=url)
        assert_error(answer, 68300004)
        assert "expired" in answer["error_msg"]


# ------------------------------------------------------------------ search
def test_search_answer_shape_and_order(sb):
    url = uploaded_url(sb)
    body = search(sb, url=url, limit=20)
    assert set(body) == {"data", "status", "error_code"} and body["status"] is True
    data = body["data"]
    assert set(data) == {"patent_messages", "search_id", "total_search_result_count"}
    assert re.fullmatch(r"[0-9A-F]{32}-1-D", data["search_id"])
    assert data["total_search_result_count"] == int(sb.corpus.meta.patent_type.eq("D").sum())  # designs only
    rows = data["patent_messages"]
    assert len(rows) == 20
    for row in rows:
        assert set(row) == {"patent_id", "patent_pn", "title", "url", "score"}
        assert all(isinstance(row[k], str) for k in ("patent_id", "patent_pn", "title", "url"))
        assert isinstance(row["score"], float) and 0.0 <= row["score"] <= 1.0
        assert row["url"].startswith(sb.url + "/_sandbox/files/designs/")
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert len({row["patent_id"] for row in rows}) == 20


def test_limit_defaults_to_10(sb):
    assert len(search(sb, url=uploaded_url(sb))["data"]["patent_messages"]) == 10


def test_score_is_null_when_sorted_by_date(sb):
    body = search(sb, url=uploaded_url(sb), field="PBD", order="asc", limit=10)
    rows = body["data"]["patent_messages"]
    assert rows and all(row["score"] is None for row in rows)
    meta = sb.corpus.meta.set_index("patent_id")
    dates = [meta.loc[row["patent_id"], "pbdt"] for row in rows]
    assert dates == sorted(dates)


def test_filters_restrict_the_results(sb):
    body = search(sb, url=uploaded_url(sb), country="US", simple_legal_status="1", limit=100)
    meta = sb.corpus.meta.set_index("patent_pn")
    rows = body["data"]["patent_messages"]
    expected = ((sb.corpus.meta["country"] == "US") & (sb.corpus.meta["simple_legal_status"] == 1)).sum()
    assert body["data"]["total_search_result_count"] == expected
    assert len(rows) == min(100, expected)
    for row in rows:
        assert meta.loc[row["patent_pn"], "country"] == "US" and row["patent_pn"].startswith("US")


def test_search_id_is_stable_per_image_and_params(sb):
    image = png_bytes((200, 150))
    first = search(sb, url=uploaded_url(sb, image), limit=5, country="CN,US")["data"]["search_id"]
    again = search(sb, url=uploaded_url(sb, image), limit=5, country="US,CN")["data"]["search_id"]
    other = search(sb, url=uploaded_url(sb, image), limit=6, country="CN,US")["data"]["search_id"]
    assert first == again != other


def test_search_by_a_corpus_drawing_finds_that_design(sb):
    design = 17
    url = f"{sb.url}/_sandbox/files/designs/{design}/0.png"
    r = requests.get(url)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")
    rows = search(sb, url=url, limit=5)["data"]["patent_messages"]
    assert sb.corpus.meta.at[design, "patent_id"] in [row["patent_id"] for row in rows]


@pytest.mark.parametrize("param, value", [
    ("loc", "(01-01 OR"),
    ("loc", "1-1"),
    ("assignees", "x" * 501),
    ("legal_status", "99"),
    ("legal_status", "3,,2"),
    ("country", "USA"),
    ("simple_legal_status", "5"),
    ("main_field", "y" * 501),
    ("apply_start_time", "2020-01-01"),
    ("apply_end_time", "20201301"),
    ("public_start_time", "2020"),
    ("public_end_time", "yesterday"),
    ("limit", "0"),
    ("limit", "101"),
    ("limit", "ten"),
    ("field", "SCORE"),
    ("order", "up"),
])
def test_bad_filters_are_68300004(sb, http_session, param, value):
    body = search(sb, http_session, url=uploaded_url(sb, session=http_session), **{param: value})
    assert_error(body, 68300004)
    assert param in body["error_msg"]


def test_inconsistent_date_range_is_68300004(sb):
    body = search(sb, url=uploaded_url(sb), apply_start_time="20200101", apply_end_time="20190101")
    assert_error(body, 68300004)


def test_missing_url_is_68300004(sb):
    assert_error(search(sb), 68300004)
    assert_error(search(sb, url=""), 68300004)


# ------------------------------------------------------------------ SSRF and path traversal
class _Witness(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png_bytes())

    def log_message(self, *args):
        pass


def test_outside_urls_are_refused_without_any_fetch(sb):
    witness = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
    thread = threading.Thread(target=witness.serve_forever, daemon=True)
    thread.start()
    try:
        port = witness.server_address[1]
        own = sb.url
        outside = [
            "http://example.com/x.png",
            f"http://127.0.0.1:{port}/",
            f"http://127.0.0.1:{port}/_sandbox/files/designs/0/0.png",
            f"http://localhost:{port}/x.png",
            "file:///etc/passwd",
            "ftp://127.0.0.1/x.png",
            f"{own}/_sandbox/files/../../../etc/passwd",
            f"{own}/_sandbox/stats",
            f"{own}/_sandbox/files/uploads/" + "0" * 32 + ".png",
            f"{own.replace('http://', 'http://user@')}/_sandbox/files/designs/0/0.png",
            "//example.com/x.png",
            "not a url",
        ]
        for url in outside:
            assert_error(search(sb, url=url), 68300004)
        assert _Witness.hits == 0
    finally:
        witness.shutdown()
        witness.server_close()


@pytest.mark.parametrize("path", [
    "/_sandbox/files/../../etc/passwd",
    "/_sandbox/files/uploads/..%2f..%2f..%2fetc%2fpasswd",
    "/_sandbox/files/uploads/%2e%2e",
    "/_sandbox/files/uploads/../../../etc/passwd",
    "/_sandbox/files/designs/0/..%2f..%2fmeta.csv",
    "/_sandbox/files/designs/..%2f..%2f/0.png",
    "/_sandbox/files/designs/0/../../manifest.json",
    "/_sandbox/files/designs/99999/0.png",
    "/_sandbox/files/designs/0/99.png",
    "/_sandbox/files/designs/-1/0.png",
    "/_sandbox/files/designs/0/0.png%00.txt",
    "/_sandbox/files/uploads/" + "g" * 32 + ".png",
    "/_sandbox/files/meta.csv",
])
def test_path_traversal_on_file_routes_is_404(sb, path):
    host, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)  # raw path: no client-side normalisation of ".."
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 404, path
    assert b"root:" not in body and b"\x89PNG" not in body and b"patent_id" not in body


# ------------------------------------------------------------------ robustness
def test_odd_requests_never_crash_the_server(sb):
    host, port = sb.url.removeprefix("http://").split(":")
    weird = [
        ("GET", f"{SEARCH}?apikey={sb.api_key}&url=%ff%fe&limit=%00", {}),
        ("GET", f"{SEARCH}?apikey={sb.api_key}&url=x&url=y&limit=1&limit=2", {}),
        ("GET", f"{SEARCH}?apikey={sb.api_key}&" + "a=b&" * 2000, {}),
        ("POST", f"{SEARCH}?apikey={sb.api_key}", {}),
        ("PATCH", TOKEN, {}),
        ("POST", f"{UPLOAD}?apikey={sb.api_key}", {"Content-Type": "multipart/form-data"}),
        ("POST", f"{UPLOAD}?apikey={sb.api_key}", {"Content-Type": "text/plain"}),
        ("GET", SEARCH, {"X-Long": "v" * 8000}),
        ("GET", "/_sandbox/files/designs/0/0.png", {"X-Huge": "h" * 100_000}),
    ]
    for method, path, headers in weird:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        assert response.status < 500, (method, path[:60], response.status)
    assert upload(sb, png_bytes())["status"] is True  # still serving


# ------------------------------------------------------------------ stats
ENRICHMENT_ZERO = dict.fromkeys(("/basic-patent-data/simple-bibliography", "/basic-patent-data/simple-legal-status",
                                 "/basic-patent-data/legal-status"), 0)


def test_stats_count_every_business_request_including_failures(sb):
    sb.reset_stats()
    assert calls(sb) == {TOKEN: 0, UPLOAD: 0, SEARCH: 0}
    url = uploaded_url(sb)
    upload(sb, b"")                             # 68300010
    search(sb, url=url)                         # ok
    search(sb, url=url, limit="0")              # 68300004
    search(sb, apikey="", url=url)              # 67200008
    requests.post(sb.url + TOKEN)               # 67200003
    requests.get(url)                           # a file: not a business call
    requests.get(sb.url + "/_sandbox/stats")    # neither
    assert calls(sb) == {TOKEN: 1, UPLOAD: 2, SEARCH: 3}
    remote = requests.get(sb.url + "/_sandbox/stats").json()
    assert remote["calls"] == sb.stats
    assert {p: n for p, n in remote["errors"].items() if n} == {TOKEN: 1, UPLOAD: 1, SEARCH: 2}
    assert remote["by_error_code"] == {"67200003": 1, "67200008": 1, "68300004": 1, "68300010": 1}
    sb.reset_stats()
    assert calls(sb) == {TOKEN: 0, UPLOAD: 0, SEARCH: 0}


# ------------------------------------------------------------------ command line
def test_cli_serve_prints_url_and_credentials_and_stops_on_ctrl_c():
    import os
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "patsnap_analytics.sandbox.cli", "sandbox", "serve", "--designs", "300",
               "--daily-quota", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ,
                               preexec_fn=as_in_a_terminal)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        text = "".join(lines)
        url = re.search(r"serving at (http://127\.0\.0\.1:\d+)", text)[1]
        key = re.search(r"api key:\s+(sk-sandbox-\w+)", text)[1]
        assert re.search(r"client secret:\s+\S+", text)
        answers = [requests.post(url + UPLOAD, params={"apikey": key}, files={"image": ("a.png", png_bytes())})
                   for _ in range(2)]
        assert [a.json()["error_code"] for a in answers] == [0, 67200007]  # the --daily-quota flag applies
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_cli_rejects_impossible_settings(capsys):
    from patsnap_analytics.sandbox.cli import main

    assert main(["sandbox", "serve", "--drop-fraction", "0.8", "--http-503-fraction", "0.8"]) == 2
    assert "add up" in capsys.readouterr().err


def test_cli_index_then_serve_own_drawings(tmp_path, capsys):
    from patsnap_analytics.sandbox.cli import main

    drawings = tmp_path / "drawings"
    drawings.mkdir()
    for i, size in enumerate([(120, 90), (90, 120), (100, 100)]):
        (drawings / f"d{i}.png").write_bytes(png_bytes(size))
    (tmp_path / "meta.csv").write_text(
        "patent_pn,image,loc,title\n"
        "USD0900001S,d0.png,10-02,Watch\n"
        "USD0900002S,d1.png;d2.png,14-03,Phone\n", encoding="utf-8")
    out = tmp_path / "corpus"
    assert main(["sandbox", "index", str(drawings), "--metadata", str(tmp_path / "meta.csv"),
                 "--out", str(out)]) == 0
    assert "indexed 2 designs" in capsys.readouterr().out
    with Sandbox(corpus=out) as own:
        url = f"{own.url}/_sandbox/files/designs/1/1.png"
        assert requests.get(url).content == own.corpus.view_path(1, 1).read_bytes()
        body = search(own, url=url, limit=5)
        assert body["data"]["total_search_result_count"] == 2
        assert {row["title"] for row in body["data"]["patent_messages"]} == {"Watch", "Phone"}

    (tmp_path / "bad.csv").write_text("patent_pn,image,loc\nUSD1S,missing.png,99\n", encoding="utf-8")
    assert main(["sandbox", "index", str(drawings), "--metadata", str(tmp_path / "bad.csv"),
                 "--out", str(tmp_path / "bad")]) == 2
    assert "missing.png" in capsys.readouterr().err
