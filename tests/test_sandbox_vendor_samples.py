"""The vendor's own request samples, parsed out of its documentation pages, run against the sandbox.

Each sample (the Python ``requests`` snippet and the curl command of both endpoints) is pointed at the
sandbox by replacing the host and filling in the blanks the vendor leaves (``apikey``, ``{token}``, the
file path; for the search, the outside image URL becomes a sandbox-issued one) -- every filter stays as
the vendor wrote it. The answers must have exactly the shape of the page's documented response body.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
import requests
from PIL import Image

from patsnap_analytics.sandbox import Sandbox

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
UPLOAD_PAGE = SEEDS / "image-upload_P010.txt"
SEARCH_PAGE = SEEDS / "image-search-similar-design_search-id.txt"
VENDOR_HOSTS = ("https://connect.patsnap.com", "https://connect.zhihuiya.com")

pytestmark = pytest.mark.skipif(not (UPLOAD_PAGE.is_file() and SEARCH_PAGE.is_file()),
                                reason="../shared/seeds is not available")


# ------------------------------------------------------------------ parsing the pages
def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def python_sample(page: str, last_line: str) -> str:
    """The page's Python snippet: from ``import requests`` to its final print."""
    start = page.index("import requests\n")
    end = page.index(last_line, start) + len(last_line)
    return page[start:end] + "\n"


def curl_sample(page: str) -> list[str]:
    """The page's curl command as argv (backslash continuations and one-option-per-line both occur)."""
    start = page.index("curl -X ")
    lines = []
    for line in page[start:].splitlines():
        if lines and not line.startswith(("-H", "-F", "-d")):
            break
        lines.append(line.rstrip("\\").rstrip())
    return shlex.split(" ".join(lines))


def documented_body(page: str) -> dict:
    """The page's sample response body (the last JSON object with a ``data`` member)."""
    start = page.rindex('{\n"data"') if '{\n"data"' in page else page.index("{", page.rindex("Response Body"))
    body, _ = json.JSONDecoder().raw_decode(page[start:])
    return body


def assert_same_shape(actual, documented, path="body", *, nullable=("score",)) -> None:
    """Same keys at every level, same JSON types (``score`` may be null: it is only set when sorted by
    similarity)."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), path
        assert set(actual) == set(documented), (path, sorted(actual), sorted(documented))
        for key, value in documented.items():
            assert_same_shape(actual[key], value, f"{path}.{key}", nullable=nullable)
    elif isinstance(documented, list):
        assert isinstance(actual, list), path
        for i, item in enumerate(actual):
            assert_same_shape(item, documented[0], f"{path}[{i}]", nullable=nullable)
    elif actual is None and path.rsplit(".", 1)[-1] in nullable:
        return
    elif isinstance(documented, bool):
        assert isinstance(actual, bool), path
    elif isinstance(documented, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), path
    elif isinstance(documented, float):
        assert isinstance(actual, float), path
    else:
        assert isinstance(actual, type(documented)), (path, actual)


def run_python_sample(code: str) -> list[str]:
    """Execute a vendor snippet (already pointed at the sandbox) and return what it printed."""
    for host in (*VENDOR_HOSTS, "baidu.com", "C:/Users"):
        assert host not in code, f"{host} left in the sample: it must only talk to the sandbox"
    printed: list[str] = []
    namespace = {"print": lambda *a: printed.append(" ".join(map(str, a)))}
    exec(compile(code, "<vendor sample>", "exec"), namespace)
    for file in (namespace.get("files") or {}).values():  # the upload snippet leaves its file open
        file.close()
    if "response" in namespace:  # and its streamed response
        namespace["response"].close()
    return printed


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def sb():
    with Sandbox(designs=300) as sandbox:
        yield sandbox


@pytest.fixture(params=["apikey", "oauth"])
def creds(request, sb) -> tuple[str, str]:
    """(apikey value, bearer value) for the auth mode."""
    if request.param == "apikey":
        return sb.api_key, sb.api_key
    token = requests.post(sb.url + "/oauth/token", data={"grant_type": "client_credentials"},
                          auth=(sb.client_id, sb.client_secret)).json()["token"]
    return sb.client_id, token


@pytest.fixture(scope="module")
def demo_jpg(sb, tmp_path_factory) -> Path:
    """A JPG drawing, standing in for the sample's ``demo2.jpg``."""
    buf = io.BytesIO()
    Image.open(sb.corpus.view_path(5, 0)).convert("RGB").save(buf, "JPEG", quality=90)
    path = tmp_path_factory.mktemp("vendor") / "demo2.jpg"
    path.write_bytes(buf.getvalue())
    return path


def issued_url(sb, image: Path) -> str:
    r = requests.post(sb.url + "/image-search/image-upload", params={"apikey": sb.api_key},
                      files={"image": (image.name, image.read_bytes())})
    return r.json()["data"]["url"]


def point_search_url(url: str, sb, apikey: str, image_url: str, **overrides: str) -> str:
    """The sample's search URL with the sandbox host, a sandbox image and the key; other params kept."""
    parts = urlsplit(url)
    params = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        value = {"url": image_url, "apikey": apikey}.get(name, overrides.get(name, value))
        params.append((name, value))
    return f"{sb.url}{parts.path}?{urlencode(params, quote_via=quote)}"


# ------------------------------------------------------------------ the samples themselves
def test_pages_hold_the_samples_this_module_parses():
    upload, search = _page(UPLOAD_PAGE), _page(SEARCH_PAGE)
    assert "files=files" in python_sample(upload, "print(line.decode('utf-8'))")
    assert '"field": "PBD"' in python_sample(search, "print(response.text)")
    assert curl_sample(upload)[:3] == ["curl", "-X", "POST"]
    assert curl_sample(search)[:3] == ["curl", "-X", "GET"] and "-H" in curl_sample(search)
    assert set(documented_body(upload)["data"]) == {"url", "expire"}
    assert set(documented_body(search)["data"]) == {"patent_messages", "search_id", "total_search_result_count"}


def test_upload_python_sample(sb, creds, demo_jpg):
    page = _page(UPLOAD_PAGE)
    apikey, bearer = creds
    code = python_sample(page, "print(line.decode('utf-8'))")
    for host in VENDOR_HOSTS:
        code = code.replace(host, sb.url)
    code = (code.replace('"apikey": ""', f'"apikey": "{apikey}"')
                .replace("{token}", bearer)
                .replace("C:/Users/xxxx/Pictures/demo2.jpg", demo_jpg.as_posix()))
    printed = run_python_sample(code)
    body = json.loads("".join(printed))
    assert body["status"] is True, body
    assert_same_shape(body, documented_body(page))
    assert body["data"]["expire"] == 32400
    assert requests.get(body["data"]["url"]).content == demo_jpg.read_bytes()


def test_search_python_sample_keeps_every_filter(sb, creds, demo_jpg):
    page = _page(SEARCH_PAGE)
    apikey, bearer = creds
    original = python_sample(page, "print(response.text)")
    sample_url = re.search(r'"url": "(https://img2\.baidu\.com[^"]+)"', original)[1]
    code = original.replace(sample_url, issued_url(sb, demo_jpg))
    for host in VENDOR_HOSTS:
        code = code.replace(host, sb.url)
    code = code.replace('"apikey": ""', f'"apikey": "{apikey}"').replace("{token}", bearer)
    body = json.loads("".join(run_python_sample(code)))
    assert body["status"] is True, body
    assert_same_shape(body, documented_body(page))

    # the same snippet with its narrowing filters emptied (the API's "not set") returns rows to check;
    # still field=PBD: sorted by date, so every row's score is null
    for name in ("loc", "assignees", "legal_status", "country", "simple_legal_status", "main_field",
                 "apply_start_time", "apply_end_time", "public_start_time", "public_end_time"):
        code = re.sub(rf'"{name}": "[^"]*"', f'"{name}": ""', code)
    body = json.loads("".join(run_python_sample(code)))
    rows = body["data"]["patent_messages"]
    assert len(rows) == 10 and all(row["score"] is None for row in rows), body

    # and sorted by similarity (field empty): rows with scores
    code = re.sub(r'"field": "[^"]*"', '"field": ""', code)
    body = json.loads("".join(run_python_sample(code)))
    assert body["status"] is True and len(body["data"]["patent_messages"]) == 10, body
    assert_same_shape(body, documented_body(page), nullable=())


def test_vendor_samples_as_published_get_the_missing_apikey_envelope(sb):
    """The pages leave ``apikey`` empty and ``{token}`` unfilled: the real API's answer is 67200008."""
    code = python_sample(_page(SEARCH_PAGE), "print(response.text)")
    code = code.replace("https://connect.zhihuiya.com", sb.url)
    code = re.sub(r'"url": "https://img2\.baidu\.com[^"]+"', '"url": "x"', code)
    body = json.loads("".join(run_python_sample(code)))
    assert set(body) == {"status", "error_code", "error_msg"}
    assert body["status"] is False and body["error_code"] == 67200008 and isinstance(body["error_msg"], str)


@pytest.fixture
def curl():
    path = shutil.which("curl")
    if path is None:
        pytest.skip("curl is not installed")
    return path


def run_curl(curl: str, argv: list[str]) -> dict:
    for arg in argv:
        assert not any(host in arg for host in VENDOR_HOSTS), arg
    result = subprocess.run([curl, "-sS", "--max-time", "60", *argv[1:]], capture_output=True, timeout=90,
                            check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)


def test_upload_curl_sample(sb, creds, curl, demo_jpg):
    page = _page(UPLOAD_PAGE)
    apikey, bearer = creds
    argv = []
    for arg in curl_sample(page):
        for host in VENDOR_HOSTS:
            arg = arg.replace(host, sb.url)
        if arg.endswith("?apikey="):
            arg += apikey
        argv.append(arg.replace("{token}", bearer).replace("C:/Users/xxxx/Pictures/demo2.jpg", demo_jpg.as_posix()))
    body = run_curl(curl, argv)
    assert body["status"] is True, body
    assert_same_shape(body, documented_body(page))


def test_search_curl_sample(sb, creds, curl, demo_jpg):
    page = _page(SEARCH_PAGE)
    apikey, bearer = creds
    image_url = issued_url(sb, demo_jpg)
    argv = []
    for arg in curl_sample(page):
        if arg.startswith(VENDOR_HOSTS):
            arg = point_search_url(arg, sb, apikey, image_url)
            sample_params = dict(parse_qsl(urlsplit(arg).query))
        argv.append(arg.replace("{token}", bearer))
    assert sample_params["loc"] == "(01-01 OR 01-02)" and sample_params["field"] == "PBD"  # filters kept
    body = run_curl(curl, argv)
    assert body["status"] is True, body
    assert_same_shape(body, documented_body(page))

    # the same command sorted by similarity and without the narrowing filters, to see rows with scores
    blank = {name: "" for name in sample_params if name not in ("url", "apikey", "limit", "order")}
    argv = [point_search_url(a, sb, apikey, image_url, **blank) if a.startswith(sb.url) else a for a in argv]
    body = run_curl(curl, argv)
    assert len(body["data"]["patent_messages"]) == 10, body
    assert_same_shape(body, documented_body(page), nullable=())
