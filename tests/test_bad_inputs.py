"""Adversarial inputs, as one table: each bad input fails locally, with its own class and words, for free.

Every row of :data:`BAD_INPUTS` is one *kind* of mistake an analyst (or a hostile file) can make. Two tests
read the table:

* :func:`test_the_client_rejects_it_before_any_call` — the client raises the row's exception class with the
  row's message fragment, and the sandbox's server-side counters prove that it cost ZERO calls.
* :func:`test_the_api_rejects_it_raw_with_its_own_code` — the same input sent RAW to the sandbox (a multipart
  upload of the bad file, or ``search-id`` with the bad parameter string), bypassing the client: the answer is
  the API's error envelope (68300010 for uploads, 68300004 for parameters) with HTTP 200, never a 5xx.

Decision on file types: the client and the sandbox judge an image by its magic bytes, never by its file name
or extension. A PNG saved as ``drawing.jpg`` is therefore ACCEPTED (and uploaded with a ``.png`` name and
``image/png`` type, which is what the bytes are); a GIF renamed ``.png`` is rejected. The PNG-named-jpg row is
the positive control of the table: it must cost exactly one upload and one search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from patsnap_analytics import errors
from patsnap_analytics.images import MAX_IMAGE_BYTES

from .conftest import SEARCH, TOKEN, UPLOAD, bomb_png, calls, client_for, jpeg_bytes, png_bytes

NO_CALLS = {TOKEN: 0, UPLOAD: 0, SEARCH: 0}
UPLOAD_RULES, BAD_PARAMETER = 68300010, 68300004




OVERSIZED = b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES + 1024 - 8)  # 4097 KB, PNG magic
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path
    return make


def _text_mode_file(tmp: Path) -> Any:
    path = tmp / "drawing.png"
    path.write_bytes(png_bytes())
    return path.open("r", encoding="latin-1")  # closed by the test


def _directory(tmp: Path) -> Path:
    (tmp / "folder.png").mkdir()
    return tmp / "folder.png"


@dataclass(frozen=True)
class Bad:
    """One kind of bad input: what is passed, what the client raises, and the raw request's expected code."""

    kind: str
    error: type[Exception]
    fragment: str
    image: Any = None                                # bytes, str, or a callable(tmp_path) -> image
    filters: dict[str, Any] = field(default_factory=dict)
    raw_upload: bytes | None = None                  # sent as the multipart 'image' field
    raw_params: dict[str, str] | None = None         # sent to search-id with a valid url
    raw_code: int = BAD_PARAMETER


IMG = errors.InvalidImageError
VAL = errors.ValidationError

BAD_INPUTS: list[Bad] = [
    # ---- the image ------------------------------------------------------------------------------------------
    Bad("empty file", IMG, "empty file", b"", raw_upload=b"", raw_code=UPLOAD_RULES),
    Bad("GIF", IMG, "GIF is not accepted", b"GIF89a\x01\x00\x01\x00\x80\x00\x00", raw_upload=b"GIF89a\x01\x00",
        raw_code=UPLOAD_RULES),
    Bad("GIF named .png", IMG, "GIF is not accepted", _write("looks.png", b"GIF89a\x01\x00\x01\x00"),
        raw_upload=b"GIF89a\x01\x00\x01\x00", raw_code=UPLOAD_RULES),
    Bad("WebP", IMG, "WebP is not accepted", WEBP, raw_upload=WEBP, raw_code=UPLOAD_RULES),
    Bad("BMP", IMG, "BMP is not accepted", b"BM\x3a\x00\x00\x00", raw_upload=b"BM\x3a\x00\x00\x00",
        raw_code=UPLOAD_RULES),
    Bad("PDF", IMG, "PDF is not accepted", b"%PDF-1.7\n", raw_upload=b"%PDF-1.7\n", raw_code=UPLOAD_RULES),
    Bad("SVG", IMG, "SVG is not accepted", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        raw_upload=b"<svg xmlns='http://www.w3.org/2000/svg'/>", raw_code=UPLOAD_RULES),
    Bad("plain text", IMG, "neither JPG nor PNG", b"hello, I am a drawing", raw_upload=b"hello",
        raw_code=UPLOAD_RULES),
    Bad("truncated PNG", IMG, "PNG does not decode", png_bytes((400, 300))[:120],
        raw_upload=png_bytes((400, 300))[:120], raw_code=UPLOAD_RULES),
    Bad("truncated JPEG", IMG, "JPEG does not decode", jpeg_bytes((400, 300))[:200],
        raw_upload=jpeg_bytes((400, 300))[:200], raw_code=UPLOAD_RULES),
    Bad("4097 KB file", IMG, "over the API's limit of 4096 KB", _write("huge.png", OVERSIZED),
        raw_upload=OVERSIZED, raw_code=UPLOAD_RULES),
    Bad("4097 KB bytes", IMG, "over the API's limit of 4096 KB", OVERSIZED, raw_upload=OVERSIZED,
        raw_code=UPLOAD_RULES),
    Bad("decompression bomb", IMG, "decompression bomb", bomb_png(100_000, 100_000),
        raw_upload=bomb_png(100_000, 100_000), raw_code=UPLOAD_RULES),
    Bad("over the pixel cap", IMG, "over the cap", bomb_png(8000, 8000), raw_upload=bomb_png(8000, 8000),
        raw_code=UPLOAD_RULES),
    Bad("missing path", IMG, "file not found", "/no/such/drawing.png"),
    Bad("directory", IMG, "is a directory", _directory),
    Bad("text-mode file object", IMG, "open it with 'rb'", _text_mode_file),
    Bad("not an image type", IMG, "must be a path, bytes or a binary file object", 12345),
    Bad("file:// URL", VAL, r"only http(s) URLs", "file:///etc/passwd", raw_params={"url": "file:///etc/passwd"}),
    Bad("ftp:// URL", VAL, r"only http(s) URLs", "ftp://example.org/x.png",
        raw_params={"url": "ftp://example.org/x.png"}),
    # ---- the filters ----------------------------------------------------------------------------------------
    Bad("limit 0", VAL, "limit: must be an integer from 1 to 1100", filters={"limit": 0}, raw_params={"limit": "0"}),
    Bad("limit 1101", VAL, "limit: must be an integer from 1 to 1100", filters={"limit": 1101},
        raw_params={"limit": "1101"}),
    Bad("limit -5", VAL, "limit: must be an integer", filters={"limit": -5}, raw_params={"limit": "-5"}),
    # "10" is fine on the wire (so no raw row); in Python a string limit is a mistake (a widget, a CSV) to refuse
    Bad("limit '10' (a string)", VAL, "limit: must be an integer", filters={"limit": "10"}),
    Bad("limit 'ten'", VAL, "limit: must be an integer", filters={"limit": "ten"}, raw_params={"limit": "ten"}),
    Bad("limit True", VAL, "limit: must be an integer", filters={"limit": True}, raw_params={"limit": "true"}),
    Bad("date 2023-02-30", VAL, "is not a calendar date", filters={"apply_start_time": "2023-02-30"},
        raw_params={"apply_start_time": "20230230"}),
    Bad("date as 2020/01/31", VAL, "must be a date", filters={"public_end_time": "2020/01/31"},
        raw_params={"public_end_time": "2020/01/31"}),
    Bad("reversed date range", VAL, "must not be after",
        filters={"apply_start_time": "2021-01-01", "apply_end_time": "2020-01-01"},
        raw_params={"apply_start_time": "20210101", "apply_end_time": "20200101"}),
    Bad("year 1700", VAL, "must lie between", filters={"public_start_time": "1700-01-01"},
        raw_params={"public_start_time": "17000101"}),
    Bad("unknown legal status", VAL, "legal_status: unknown code 99", filters={"legal_status": [99]},
        raw_params={"legal_status": "99"}),
    Bad("unknown simple legal status", VAL, "unknown code 'Alive'", filters={"simple_legal_status": "Alive"},
        raw_params={"simple_legal_status": "Alive"}),
    Bad("boolean status code", VAL, "codes are integers", filters={"legal_status": [True]},
        raw_params={"legal_status": "true"}),
    Bad("country 'usa'", VAL, "did you mean US (United States)?", filters={"country": "usa"}, raw_params={"country": "usa"}),
    Bad("empty list item", VAL, "has an empty item", filters={"country": "US,,CN"}, raw_params={"country": "US,,CN"}),
    Bad("unbalanced LOC", VAL, "loc", filters={"loc": "(14-03 OR 14-04"}, raw_params={"loc": "(14-03 OR 14-04"}),
    Bad("dangling LOC operator", VAL, "loc", filters={"loc": "14-03 AND"}, raw_params={"loc": "14-03 AND"}),
    Bad("malformed LOC code", VAL, "loc", filters={"loc": "1403"}, raw_params={"loc": "1403"}),
    Bad("main_field over 500 chars", VAL, "at most 500 characters", filters={"main_field": "x" * 501},
        raw_params={"main_field": "x" * 501}),
    Bad("order 'up'", VAL, "order: must be 'asc' or 'desc'", filters={"order": "up"}, raw_params={"order": "up"}),
    Bad("field SCORE on search-id", VAL, "SCORE belongs to the newer endpoints",
        filters={"field": "SCORE"}, raw_params={"field": "SCORE"}),
    Bad("unknown keyword", VAL, "did you mean 'country'", filters={"countries": ["US"]}),
]



def _image(case: Bad, tmp_path: Path, drawing: bytes) -> Any:
    if case.image is None:
        return drawing  # a filter row: the image is fine
    return case.image(tmp_path) if callable(case.image) else case.image


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda c: c.kind)
def test_the_client_rejects_it_before_any_call(sb, drawing, tmp_path, case):
    client = client_for(sb, cache=False)
    image = _image(case, tmp_path, drawing)
    try:
        with pytest.raises(case.error) as info:
            client.search_designs(image, **case.filters)
        if case.image is not None:
            with pytest.raises(case.error):  # uploading alone is refused just the same
                client.upload_image(image)
    finally:
        if hasattr(image, "close"):
            image.close()
    assert case.fragment in str(info.value), str(info.value)
    assert isinstance(info.value, errors.ValidationError)  # every one of them is also a ValueError
    if case.filters:
        assert info.value.parameter in case.filters  # the message names the offending parameter
    assert calls(sb) == NO_CALLS


def test_kinds_are_distinct_and_many():
    kinds = [c.kind for c in BAD_INPUTS]
    assert len(kinds) == len(set(kinds)) and len(kinds) >= 25


def test_positive_control_png_named_jpg_is_accepted_by_content(sb, tmp_path):
    path = tmp_path / "drawing.jpg"
    path.write_bytes(png_bytes((200, 150)))
    client = client_for(sb, cache=False)
    df = client.search_designs(path, limit=3)
    assert len(df) == 3 and df["query"].iloc[0] == "drawing.jpg"
    assert calls(sb) == {TOKEN: 0, UPLOAD: 1, SEARCH: 1}
    # raw: the server also trusts the bytes, not the multipart file name or its content type
    r = requests.post(sb.url + UPLOAD, params={"apikey": sb.api_key},
                      files={"image": ("drawing.jpg", path.read_bytes(), "image/jpeg")}, timeout=10)
    assert r.status_code == 200 and r.json()["status"] is True
    assert r.json()["data"]["url"].endswith(".png")


RAW_CASES = [c for c in BAD_INPUTS if c.raw_upload is not None or c.raw_params is not None]


@pytest.mark.parametrize("case", RAW_CASES, ids=lambda c: c.kind)
def test_the_api_rejects_it_raw_with_its_own_code(sb, case):
    auth = {"apikey": sb.api_key}
    if case.raw_upload is not None:
        r = requests.post(sb.url + UPLOAD, params=auth, files={"image": ("bad.png", case.raw_upload)}, timeout=30)
        endpoint = UPLOAD
    else:
        corpus_url = f"{sb.url}/_sandbox/files/designs/0/0.png"  # an image the sandbox issued: no upload needed
        params = {"url": corpus_url, "limit": "5", **(case.raw_params or {}), **auth}
        r = requests.get(sb.url + SEARCH, params=params, timeout=30)
        endpoint = SEARCH
    assert r.status_code == 200, f"{r.status_code}: {r.text[:200]}"  # errors travel as envelopes, never 5xx
    body = r.json()
    assert body["status"] is False and body["error_code"] == case.raw_code, body
    assert body["error_msg"]
    assert sb.stats[endpoint] == 1 and sb.stats_detail()["by_error_code"] == {str(case.raw_code): 1}


def test_raw_table_covers_uploads_and_parameters():
    codes = {c.raw_code for c in RAW_CASES}
    assert codes == {UPLOAD_RULES, BAD_PARAMETER} and len(RAW_CASES) >= 25
