"""Hostile clients of the sandbox: idle and half-sent connections, connection floods, big uploads, deep
Locarno expressions, aliases of file names and a forged Host header (issue 13, items 14-17).

Nothing here measures time: a connection the server must close is awaited with a generous socket timeout
(a loaded machine only makes the test slower), and floods are counted, not timed.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket

import pytest
import requests
from PIL import Image

import patsnap_analytics as pa
from patsnap_analytics import errors
from patsnap_analytics.loc import MAX_DEPTH
from patsnap_analytics.sandbox import Sandbox
from patsnap_analytics.sandbox.faults import Clock
from patsnap_analytics.sandbox.state import UploadStore

from .conftest import SEARCH, UPLOAD, client_for, png_bytes

WAIT = 60.0  # seconds a socket waits for the server to close it; never reached when the server is right


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server closed the connection (EOF or reset) before ``WAIT`` seconds."""
    sock.settimeout(WAIT)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def upload(sb, data: bytes) -> dict:
    return requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key}, files={"image": ("a.png", data)},
                         timeout=60).json()


def search(sb, **params) -> dict:
    return requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, **params}, timeout=60).json()


# ------------------------------------------------------------------ 14: idle, half-sent, flooding connections

@pytest.fixture(scope="module")
def guarded():
    with Sandbox(designs=300, idle_timeout=0.5, max_connections=8) as box:
        yield box


def _connect(box) -> socket.socket:
    host, port = box.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=WAIT)


@pytest.mark.parametrize("sent", [b"", b"GET /_sandbox/stats HTTP/1.1\r\nHost: x\r\n", b"GE"])
def test_idle_and_half_sent_connections_are_closed(guarded, sent):
    sock = _connect(guarded)
    try:
        sock.sendall(sent)
        assert closed_by_server(sock), "the server kept an idle / half-sent connection open"
    finally:
        sock.close()


def test_a_dripped_request_head_does_not_keep_a_connection(guarded):
    sock = _connect(guarded)
    try:
        for byte in b"GET /_sandbox/stats HTTP/1.1\r\nX-Slow: ":
            sock.sendall(bytes([byte]))  # every byte restarts uvicorn's own keep-alive timer; ours keeps going
        assert closed_by_server(sock)
    finally:
        sock.close()


def test_a_dripped_request_body_is_answered_and_closed(guarded):
    sock = _connect(guarded)
    try:
        head = (f"POST {UPLOAD}?apikey={guarded.api_key} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                "boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n")
        sock.sendall(head.encode())
        sock.settimeout(WAIT)
        answer = b""
        while b"}" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert b"68300007" in answer and b"did not arrive" in answer
    finally:
        sock.close()


def test_a_flood_of_idle_connections_never_stops_the_server_answering(guarded):
    flood = [_connect(guarded) for _ in range(40)]  # five times max_connections, all silent
    try:
        # a real client still gets its answers: the oldest idle connections make room for it
        for _ in range(3):
            assert requests.get(guarded.url + "/_sandbox/stats", timeout=WAIT).status_code == 200
        client = client_for(guarded, cache=False)
        assert len(client.search_designs(f"{guarded.url}/_sandbox/files/designs/3/0.png", limit=2)) == 2
        closed = sum(closed_by_server(s) for s in flood)
        assert closed >= len(flood) - guarded.max_connections
    finally:
        for s in flood:
            s.close()


# ------------------------------------------------------------------ 15: upload bytes, large images

def test_stored_uploads_are_capped_in_bytes_oldest_first():
    store = UploadStore(Clock(), max_bytes=10_000)
    names = [store.add(bytes(4_000), "png", expire=3600).split(".")[0] for _ in range(5)]
    assert store.stored_bytes <= 10_000
    assert [store.lookup(n) == "expired" for n in names] == [True, True, True, False, False]
    big = store.add(bytes(50_000), "png", expire=3600).split(".")[0]  # one upload over the cap is still kept
    assert store.lookup(big) != "expired" and store.stored_bytes == 50_000


def _big_png(side: int) -> bytes:
    im = Image.new("1", (side, side), 1)
    from PIL import ImageDraw

    ImageDraw.Draw(im).rectangle([side // 4, side // 4, 3 * side // 4, 3 * side // 4], outline=0, width=side // 100)
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def test_a_large_drawing_is_decoded_once_outside_the_search_lock(sb):
    data = _big_png(4000)  # 16 megapixels, a small file
    import hashlib

    url = upload(sb, data)["data"]["url"]
    state, key = sb._state, hashlib.sha256(data).hexdigest()
    engine, decode = state.engine, state.engine.query_feature
    lock_held_while_decoding: list[bool] = []

    def watched(image, *args, **kwargs):  # the real decode, noting whether the search lock is held meanwhile
        lock_held_while_decoding.append(state.search_lock.locked())
        return decode(image, *args, **kwargs)

    engine.query_feature = watched
    try:
        first = search(sb, url=url, limit=3)
        feature = state.features[key]  # decoded once, kept for the next search of the same image
        again = search(sb, url=url, limit=3, country="US")
    finally:
        del engine.query_feature
    assert first["status"] is True and again["status"] is True
    assert state.features[key] is feature  # the second search did not decode it again
    assert lock_held_while_decoding == [False]  # one decode, and other searches could run during it


def test_a_big_jpeg_checks_at_reduced_scale():
    from patsnap_analytics.images import ImageRef

    im = Image.new("L", (6000, 6000), 255)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=30)
    ref = ImageRef.from_bytes(buf.getvalue())
    assert ref.size == (6000, 6000) and ref.kind == "jpeg"
    truncated = buf.getvalue()[: len(buf.getvalue()) // 2]
    with pytest.raises(errors.InvalidImageError, match="does not decode"):
        ImageRef.from_bytes(truncated)


def test_a_corrupt_large_png_is_refused_without_decoding_it():
    from patsnap_analytics.images import FULL_DECODE_PIXELS, ImageRef

    data = bytearray(_big_png(4000))
    assert FULL_DECODE_PIXELS < 4000 * 4000
    data[-20] ^= 0xFF  # inside the last IDAT chunk: its checksum no longer matches
    with pytest.raises(errors.InvalidImageError):
        ImageRef.from_bytes(bytes(data))


# ------------------------------------------------------------------ 16: nesting depth

def deep(n: int) -> str:
    return "(" * n + "14-03" + ")" * n


def test_a_deeply_nested_loc_is_68300004_not_a_retryable_code(sb):
    url = f"{sb.url}/_sandbox/files/designs/3/0.png"
    assert search(sb, url=url, loc=deep(MAX_DEPTH), limit=2)["status"] is True
    for expression in (deep(MAX_DEPTH + 1), deep(330), "NOT " * 400 + "14", deep(5000)):
        answer = search(sb, url=url, loc=expression, limit=2)
        assert answer["error_code"] == 68300004 and "nested deeper" in answer["error_msg"]
    assert sb.stats_detail()["by_error_code"].get("68300005") is None


def test_a_deeply_nested_loc_is_a_validation_error_before_any_call(sb):
    client = client_for(sb, cache=False)
    for expression in (deep(330), "not " * 1000 + "14"):
        with pytest.raises(errors.ValidationError, match="loc: nested deeper"):
            client.search_designs(f"{sb.url}/_sandbox/files/designs/3/0.png", loc=expression)
    assert sb.stats[SEARCH] == 0 and sb.stats[UPLOAD] == 0


# ------------------------------------------------------------------ 17: canonical names, Host not trusted

def raw_get(sb, path: str, host: str | None = None) -> tuple[int, bytes]:
    h, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(h, int(port), timeout=WAIT)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_file_routes_serve_canonical_names_only(sb):
    url = upload(sb, png_bytes())["data"]["url"]
    path = url.removeprefix(sb.url)
    assert raw_get(sb, path)[0] == 200
    assert raw_get(sb, "/_sandbox/files/designs/7/0.png")[0] == 200
    for alias in (path + "%0a", path + "%0A", path.upper().replace("/_SANDBOX/FILES/UPLOADS/", "/_sandbox/files/uploads/"),
                  "/_sandbox/files/designs/07/0.png", "/_sandbox/files/designs/7/00.png",
                  "/_sandbox/files/designs/%D9%A7/0.png",          # ARABIC-INDIC DIGIT SEVEN
                  "/_sandbox/files/designs/%EF%BC%97/0.png",       # FULLWIDTH DIGIT SEVEN
                  "/_sandbox/files/designs/7/0.png%0a", "/_sandbox/files/designs/7%0a/0.png"):
        status, body = raw_get(sb, alias)
        assert status == 404 and b"\x89PNG" not in body, alias


def test_issued_urls_are_recognised_without_trusting_the_host_header(sb):
    url = upload(sb, png_bytes())["data"]["url"]
    path = url.removeprefix(sb.url)
    # a request that claims to be for another host cannot make that host's URLs "ours"
    forged = requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": f"http://evil.example{path}"},
                          headers={"Host": "evil.example"}, timeout=WAIT).json()
    assert forged["error_code"] == 68300004
    # the issued URL itself is recognised whatever Host the request carries
    honest = requests.get(sb.url + SEARCH, params={"apikey": sb.api_key, "url": url, "limit": 2},
                          headers={"Host": "evil.example"}, timeout=WAIT).json()
    assert honest["status"] is True and len(honest["data"]["patent_messages"]) == 2


def test_the_client_reports_a_sandbox_refusal_of_an_alias(sb):
    client = pa.Client(api_key=sb.api_key, base_url=sb.url, cache=False)
    with pytest.raises(errors.RequestRejectedError):
        client.search_designs(f"{sb.url}/_sandbox/files/designs/07/0.png", limit=2)


# ------------------------------------------------------------------ issue 20, 9: dripped bodies, file descriptors, big decodes

@pytest.fixture(scope="module")
def patient():
    """A sandbox that waits long for a request body (60 s), with room for 8 connections."""
    with Sandbox(designs=300, idle_timeout=20, max_connections=8) as box:
        yield box


def test_connections_dripping_an_upload_body_never_lock_a_legitimate_request_out(patient):
    head = (f"POST {UPLOAD}?apikey={patient.api_key} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            "boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n").encode()
    drippers = []
    try:
        for _ in range(5 * patient.max_connections):  # every one of them busy sending a body, byte by byte
            sock = _connect(patient)
            sock.sendall(head)
            drippers.append(sock)
        for _ in range(3):
            for sock in drippers:
                with contextlib.suppress(OSError):
                    sock.send(b"x")
            # the slowest body makes room; before, the newcomer was refused until the body timeout (60 s here)
            assert requests.get(patient.url + "/_sandbox/stats", timeout=WAIT).status_code == 200
        client = client_for(patient, cache=False)
        assert len(client.search_designs(png_bytes(), limit=2)) == 2
    finally:
        for sock in drippers:
            sock.close()


_SERVE_WITH_FEW_FILES = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
from patsnap_analytics.sandbox import Sandbox
with Sandbox(designs=300) as sb:
    print(sb.url, flush=True)
    sys.stdin.read()
"""


def test_a_sandbox_allowed_256_files_never_runs_out_of_them_under_300_idle_sockets():
    import subprocess
    import sys

    server = subprocess.Popen([sys.executable, "-c", _SERVE_WITH_FEW_FILES], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    flood = []
    try:
        url = server.stdout.readline().strip()
        host, port = url.removeprefix("http://").split(":")
        flood = [socket.create_connection((host, int(port)), timeout=WAIT) for _ in range(300)]
        for _ in range(3):
            assert requests.get(url + "/_sandbox/stats", timeout=WAIT).status_code == 200
    finally:
        for sock in flood:
            sock.close()
        _, err = server.communicate("", timeout=120)
    # out of file descriptors, asyncio stops accepting for a second at a time (a legitimate client waited 5 s)
    assert "out of system resource" not in err and "Too many open files" not in err


def _rgba_png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (side, side)).save(buf, "PNG")  # all transparent: a few hundred KB
    return buf.getvalue()


def test_an_image_too_costly_to_decode_is_refused_at_upload_with_the_apis_code(sb):
    from patsnap_analytics.sandbox.decoding import MAX_DECODE_BYTES

    data = _rgba_png(7071)  # 50 megapixels with transparency: ~650 MB to read, 0.2 MB on the wire
    assert len(data) < 2**20
    answer = upload(sb, data)
    assert answer["error_code"] == 68300010
    assert "7071x7071 RGBA PNG" in answer["error_msg"] and f"{MAX_DECODE_BYTES // 2**20} MB" in answer["error_msg"]
    with pytest.raises(errors.UploadRejectedError, match="greyscale, 1-bit or RGB PNG"):
        client_for(sb, cache=False).upload_image(data)
    # a 50-megapixel 1-bit drawing sheet (the client's own pixel cap) costs far less: taken, and its share of the
    # decode budget given back
    sheet = io.BytesIO()
    Image.new("1", (7071, 7071), 1).save(sheet, "PNG")
    assert upload(sb, sheet.getvalue())["status"] is True
    assert sb._state.decode_budget.in_use == 0


def test_decodes_at_once_share_one_memory_budget():
    import threading
    import time as clock

    from patsnap_analytics.sandbox.decoding import DecodeBudget

    budget, seen, lock = DecodeBudget(100), [], threading.Lock()

    def decode(cost: int) -> None:
        with budget.hold(cost):
            with lock:
                seen.append((cost, budget.in_use))
            clock.sleep(0.05)

    threads = [threading.Thread(target=decode, args=(cost,)) for cost in (60, 60, 30, 150, 10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # never over the budget, except a decode that costs more than all of it, which then runs alone
    assert len(seen) == 5 and all(in_use <= 100 or in_use == cost for cost, in_use in seen) and budget.in_use == 0
